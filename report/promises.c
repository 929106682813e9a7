/*
 * promises.c - the promise ledger in reports: `report promises` (per
 * department and staff member: made, kept, broken, overdue now, median
 * lateness; the overdue list first), the Promises section of the complaint
 * report and of a case's timeline, and `report customers` (customers who
 * dealt with many people, departments or channels on one case).
 *
 * Figures count the promises made in [since, until), decided as of until
 * (manual decisions win; dropped promises count nowhere). "Overdue now"
 * counts every promise overdue at until, whenever it was made.
 */
#include "report.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct pstats {
	long made, kept, broken, open, overdue;
	ct_time *late;
	size_t nlate, late_alloc;
};

static void stats_add(struct pstats *s, const struct ct_promise *p, ct_time since, ct_time until)
{
	if (p->verdict == CT_VERDICT_DROPPED)
		return;
	if (p->overdue)
		s->overdue++;
	if (p->made_at < since || p->made_at >= until)
		return;
	s->made++;
	if (p->verdict == CT_VERDICT_KEPT)
		s->kept++;
	else if (p->verdict == CT_VERDICT_BROKEN)
		s->broken++;
	else
		s->open++;
	if (p->verdict == CT_VERDICT_BROKEN && p->late >= 0) {
		CT_ALLOC_GROW(s->late, s->nlate + 1, s->late_alloc);
		s->late[s->nlate++] = p->late;
	}
}

static int cmp_time(const void *a, const void *b)
{
	ct_time x = *(const ct_time *)a, y = *(const ct_time *)b;
	return x < y ? -1 : x > y;
}

/* Median lateness in seconds, -1 when no broken promise has one. */
static ct_time stats_median(struct pstats *s)
{
	if (!s->nlate)
		return -1;
	qsort(s->late, s->nlate, sizeof(*s->late), cmp_time);
	if (s->nlate % 2)
		return s->late[s->nlate / 2];
	return (s->late[s->nlate / 2 - 1] + s->late[s->nlate / 2]) / 2;
}

static void stats_release(struct pstats *s)
{
	free(s->late);
	memset(s, 0, sizeof(*s));
}

static int relevant(const struct ct_promise *p, const char *dept, ct_time since, ct_time until)
{
	if (dept && (!p->department || strcasecmp(p->department, dept)))
		return 0;
	return p->overdue || (p->made_at >= since && p->made_at < until);
}

/* Distinct departments (or staff of dept) of the promises that count, sorted. */
static void keys(const struct ct_promise_list *l, const char *dept, ct_time since, ct_time until,
		 struct ct_strlist *out)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ct_promise *p = &l->v[i];
		if (p->verdict == CT_VERDICT_DROPPED || !relevant(p, dept, since, until))
			continue;
		const char *k = dept ? p->staff : p->department;
		if (!k)
			k = "";
		if (!ct_strlist_has(out, k))
			ct_strlist_push(out, k);
	}
	for (size_t i = 1; i < out->n; i++)
		for (size_t k = i; k > 0 && strcmp(out->v[k - 1], out->v[k]) > 0; k--) {
			char *t = out->v[k];
			out->v[k] = out->v[k - 1];
			out->v[k - 1] = t;
		}
}

static void compute(const struct ct_promise_list *l, const char *dept, const char *staff, ct_time since, ct_time until,
		    struct pstats *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < l->n; i++) {
		const struct ct_promise *p = &l->v[i];
		if (dept && (!p->department || strcmp(p->department, dept)))
			continue;
		if (staff && strcmp(p->staff ? p->staff : "", staff))
			continue;
		stats_add(s, p, since, until);
	}
}

/* The overdue promises of dept (NULL: all), oldest due first. */
static size_t overdue_list(const struct ct_promise_list *l, const char *dept, const struct ct_promise ***out)
{
	size_t n = 0;
	*out = ct_calloc(l->n + 1, sizeof(**out));
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].overdue && l->v[i].verdict == CT_VERDICT_BROKEN &&
		    (!dept || (l->v[i].department && !strcasecmp(l->v[i].department, dept))))
			(*out)[n++] = &l->v[i];
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && (*out)[k - 1]->due_at > (*out)[k]->due_at; k--) {
			const struct ct_promise *t = (*out)[k];
			(*out)[k] = (*out)[k - 1];
			(*out)[k - 1] = t;
		}
	return n;
}

static void fmt_late(ct_time secs, char out[32])
{
	if (secs < 0)
		snprintf(out, 32, "-");
	else
		ct_format_duration(secs, out);
}

static void local_time(ct_time t, int tz, char out[32])
{
	ct_time_iso_tz(t, tz, out);
}

struct json_t *ct_json_promise(const struct ct_promise *p)
{
	json_t *o = json_object();
	char due[32];
	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "case_id", json_integer(p->case_id));
	json_object_set_new(o, "external_id", ct_json_str(p->external_id));
	json_object_set_new(o, "staff", ct_json_str(p->staff));
	json_object_set_new(o, "staff_name", ct_json_str(p->staff_name));
	json_object_set_new(o, "department", ct_json_str(p->department));
	json_object_set_new(o, "sentence", ct_json_str(p->sentence));
	json_object_set_new(o, "rule", ct_json_str(p->rule_id));
	json_object_set_new(o, "made_at", ct_json_time(p->made_at));
	json_object_set_new(o, "due_at", ct_json_time(p->due_at));
	local_time(p->due_at, p->tz, due);
	json_object_set_new(o, "due_local", json_string(due));
	json_object_set_new(o, "verdict", json_string(ct_verdict_name(p->verdict)));
	json_object_set_new(o, "how", ct_json_str(p->how));
	json_object_set_new(o, "decided_by_item", ct_json_str(p->decided_external_id));
	json_object_set_new(o, "decided_at", ct_json_time(p->decided_at));
	json_object_set_new(o, "manual", json_boolean(p->manual));
	if (p->manual) {
		json_object_set_new(o, "reason", ct_json_str(p->reason));
		json_object_set_new(o, "decided_by", ct_json_str(p->decided_by));
	}
	json_object_set_new(o, "fulfilled_at", ct_json_time(p->fulfilled_at));
	json_object_set_new(o, "overdue", json_boolean(p->overdue));
	json_object_set_new(o, "late_seconds", p->late >= 0 ? json_integer(p->late) : json_null());
	return o;
}

static json_t *json_stats(struct pstats *s)
{
	json_t *o = json_object();
	ct_time m = stats_median(s);
	json_object_set_new(o, "made", json_integer(s->made));
	json_object_set_new(o, "kept", json_integer(s->kept));
	json_object_set_new(o, "broken", json_integer(s->broken));
	json_object_set_new(o, "open", json_integer(s->open));
	json_object_set_new(o, "overdue_now", json_integer(s->overdue));
	json_object_set_new(o, "median_lateness_seconds", m >= 0 ? json_integer(m) : json_null());
	return o;
}

struct json_t *ct_json_promise_section(const struct ct_promise_list *l, const char *dept, ct_time since,
				       ct_time until)
{
	struct pstats s;
	compute(l, dept, NULL, since, until, &s);
	json_t *o = json_stats(&s);
	stats_release(&s);
	const struct ct_promise **od;
	size_t n = overdue_list(l, dept, &od);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, ct_json_promise(od[i]));
	free(od);
	json_object_set_new(o, "overdue", arr);
	return o;
}

static void stats_row(struct ct_doc_table *t, const char *a, const char *b, struct pstats *s)
{
	char n[5][24], late[32];
	snprintf(n[0], sizeof(n[0]), "%ld", s->made);
	snprintf(n[1], sizeof(n[1]), "%ld", s->kept);
	snprintf(n[2], sizeof(n[2]), "%ld", s->broken);
	snprintf(n[3], sizeof(n[3]), "%ld", s->open);
	snprintf(n[4], sizeof(n[4]), "%ld", s->overdue);
	fmt_late(stats_median(s), late);
	ct_doc_row(t, a, b, n[0], n[1], n[2], n[3], n[4], late);
}

static void overdue_table(struct ct_doc *d, const struct ct_promise_list *l, const char *dept, ct_time until,
			  const char *title)
{
	const struct ct_promise **od;
	size_t n = overdue_list(l, dept, &od);
	struct ct_doc_table *t =
		ct_doc_table(d, title, "#promise|due|#case|late|~staff|department|~sentence");
	for (size_t i = 0; i < n; i++) {
		char id[24], cs[24], due[32], late[32];
		snprintf(id, sizeof(id), "%lld", (long long)od[i]->id);
		snprintf(cs, sizeof(cs), "%lld", (long long)od[i]->case_id);
		local_time(od[i]->due_at, od[i]->tz, due);
		fmt_late(until - od[i]->due_at, late);
		ct_doc_row(t, id, due, cs, late, od[i]->staff ? od[i]->staff : "",
			   od[i]->department ? od[i]->department : "", od[i]->sentence ? od[i]->sentence : "");
	}
	if (!n)
		ct_doc_text(d, "No promise is overdue.");
	free(od);
}

void ct_doc_promise_section(struct ct_doc *d, const struct ct_promise_list *l, const char *dept, ct_time since,
			    ct_time until)
{
	struct pstats s;
	compute(l, dept, NULL, since, until, &s);
	ct_time m = stats_median(&s);
	char late[32];
	fmt_late(m, late);
	ct_doc_heading(d, 2, "Promises");
	ct_doc_text(d, "%ld promise%s made in the period: %ld kept, %ld broken, %ld open; %ld overdue now; median "
		    "lateness of the broken ones %s.", s.made, s.made == 1 ? "" : "s", s.kept, s.broken, s.open,
		    s.overdue, late);
	stats_release(&s);
	overdue_table(d, l, dept, until, "Overdue promises, oldest first");
}

static int promises_json(FILE *out, const struct ct_promise_list *l, ct_time since, ct_time until)
{
	json_t *root = json_object(), *depts = json_array(), *all = json_array();
	json_object_set_new(root, "schema", json_string(CT_JSON_SCHEMA));
	json_object_set_new(root, "report", json_string("promises"));
	json_object_set_new(root, "since", ct_json_time(since));
	json_object_set_new(root, "until", ct_json_time(until));
	struct pstats s;
	compute(l, NULL, NULL, since, until, &s);
	json_object_set_new(root, "total", json_stats(&s));
	stats_release(&s);
	struct ct_strlist dl = CT_STRLIST_INIT;
	keys(l, NULL, since, until, &dl);
	for (size_t i = 0; i < dl.n; i++) {
		json_t *o = json_object(), *staff = json_array();
		json_object_set_new(o, "department", json_string(dl.v[i]));
		compute(l, dl.v[i], NULL, since, until, &s);
		json_object_set_new(o, "figures", json_stats(&s));
		stats_release(&s);
		struct ct_strlist sl = CT_STRLIST_INIT;
		keys(l, dl.v[i], since, until, &sl);
		for (size_t k = 0; k < sl.n; k++) {
			compute(l, dl.v[i], sl.v[k], since, until, &s);
			json_t *so = json_stats(&s);
			json_object_set_new(so, "staff", json_string(sl.v[k]));
			json_array_append_new(staff, so);
			stats_release(&s);
		}
		ct_strlist_clear(&sl);
		json_object_set_new(o, "staff", staff);
		json_array_append_new(depts, o);
	}
	ct_strlist_clear(&dl);
	json_object_set_new(root, "departments", depts);
	const struct ct_promise **od;
	size_t n = overdue_list(l, NULL, &od);
	json_t *oda = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(oda, ct_json_promise(od[i]));
	free(od);
	json_object_set_new(root, "overdue", oda);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].made_at >= since && l->v[i].made_at < until)
			json_array_append_new(all, ct_json_promise(&l->v[i]));
	json_object_set_new(root, "promises", all);
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc ? ct_error("cannot write the report") : 0;
}

int ct_report_promises(FILE *out, enum ct_format fmt, int width, const struct ct_promise_list *l, ct_time since,
		       ct_time until)
{
	if (fmt == CT_FMT_JSON)
		return promises_json(out, l, since, until);
	char a[32], b[32], title[128];
	ct_time_iso(since, a);
	ct_time_iso(until - 1, b);
	a[10] = b[10] = '\0';
	snprintf(title, sizeof(title), "Promises %s to %s", a, b);
	struct ct_doc d;
	ct_doc_init(&d, title);
	ct_doc_text(&d, "Commitments staff made with a time, and whether they were kept: kept when, before the due "
		    "time, staff reported it done, the ticket was closed or the customer confirmed it; broken when "
		    "the due time passed without that, or the customer complained of a broken promise first. "
		    "Figures count the promises made in the period; overdue counts every promise past due with "
		    "nothing done, whenever made. Lateness: from due until it was done, or until now.");
	overdue_table(&d, l, NULL, until, "Overdue now, oldest first");
	struct ct_doc_table *t = ct_doc_table(&d, "Per department and staff member",
		"department|~staff|#made|#kept|#broken|#open|#overdue now|median lateness");
	d.csv = t;
	struct ct_strlist dl = CT_STRLIST_INIT;
	keys(l, NULL, since, until, &dl);
	for (size_t i = 0; i < dl.n; i++) {
		struct pstats s;
		compute(l, dl.v[i], NULL, since, until, &s);
		stats_row(t, dl.v[i], "(all)", &s);
		stats_release(&s);
		struct ct_strlist sl = CT_STRLIST_INIT;
		keys(l, dl.v[i], since, until, &sl);
		for (size_t k = 0; k < sl.n; k++) {
			compute(l, dl.v[i], sl.v[k], since, until, &s);
			stats_row(t, dl.v[i], sl.v[k], &s);
			stats_release(&s);
		}
		ct_strlist_clear(&sl);
	}
	ct_strlist_clear(&dl);
	struct ct_doc_table *all = ct_doc_table(&d, "Promises made in the period",
		"#promise|made|due|#case|~staff|verdict|how|~sentence");
	for (size_t i = 0; i < l->n; i++) {
		const struct ct_promise *p = &l->v[i];
		if (p->made_at < since || p->made_at >= until)
			continue;
		char id[24], cs[24], made[32], due[32];
		snprintf(id, sizeof(id), "%lld", (long long)p->id);
		snprintf(cs, sizeof(cs), "%lld", (long long)p->case_id);
		local_time(p->made_at, p->tz, made);
		local_time(p->due_at, p->tz, due);
		ct_doc_row(all, id, made, due, cs, p->staff ? p->staff : "", ct_verdict_name(p->verdict),
			   p->how ? p->how : "", p->sentence ? p->sentence : "");
	}
	int rc = ct_doc_emit(&d, fmt, out, width);
	ct_doc_release(&d);
	return rc;
}

void ct_doc_case_promises(struct ct_doc *d, const struct ct_promise_list *l)
{
	ct_doc_heading(d, 1, "Promises");
	struct ct_doc_table *t = ct_doc_table(d, "", "#promise|made|due|~staff|verdict|how|~decided by|~sentence");
	for (size_t i = 0; i < l->n; i++) {
		const struct ct_promise *p = &l->v[i];
		char id[24], made[32], due[32];
		struct ct_buf by = CT_BUF_INIT;
		snprintf(id, sizeof(id), "%lld", (long long)p->id);
		local_time(p->made_at, p->tz, made);
		local_time(p->due_at, p->tz, due);
		if (p->manual)
			ct_buf_addf(&by, "%s%s%s", p->decided_by ? p->decided_by : "", p->reason ? ": " : "",
				    p->reason ? p->reason : "");
		else if (p->decided_external_id)
			ct_buf_addstr(&by, p->decided_external_id);
		ct_doc_row(t, id, made, due, p->staff ? p->staff : "", ct_verdict_name(p->verdict), p->how ? p->how : "",
			   by.buf, p->sentence ? p->sentence : "");
		ct_buf_release(&by);
	}
}

static int customers_json(FILE *out, const struct ct_customer_list *cl, const struct ct_promise_list *pl,
			  ct_time since, ct_time until, int min)
{
	json_t *root = json_object(), *arr = json_array();
	json_object_set_new(root, "schema", json_string(CT_JSON_SCHEMA));
	json_object_set_new(root, "report", json_string("customers"));
	json_object_set_new(root, "since", ct_json_time(since));
	json_object_set_new(root, "until", ct_json_time(until));
	json_object_set_new(root, "min", json_integer(min));
	for (size_t i = 0; i < cl->n; i++) {
		json_t *o = json_object(), *cases = json_array();
		json_object_set_new(o, "customer", json_string(cl->v[i].customer));
		for (size_t k = 0; k < cl->v[i].ncases; k++) {
			const struct ct_customer_case *c = &cl->v[i].cases[k];
			json_t *co = json_object(), *st = json_array(), *dp = json_array(), *ch = json_array(),
			       *pr = json_array();
			json_object_set_new(co, "case_id", json_integer(c->case_id));
			json_object_set_new(co, "subject", ct_json_str(c->subject));
			json_object_set_new(co, "opened_at", ct_json_time(c->opened_at));
			json_object_set_new(co, "last_activity_at", ct_json_time(c->last_activity_at));
			for (size_t m = 0; m < c->staff.n; m++)
				json_array_append_new(st, json_string(c->staff.v[m]));
			for (size_t m = 0; m < c->departments.n; m++)
				json_array_append_new(dp, json_string(c->departments.v[m]));
			for (size_t m = 0; m < c->channels.n; m++)
				json_array_append_new(ch, json_string(c->channels.v[m]));
			for (size_t m = 0; m < pl->n; m++)
				if (pl->v[m].case_id == c->case_id)
					json_array_append_new(pr, ct_json_promise(&pl->v[m]));
			json_object_set_new(co, "staff", st);
			json_object_set_new(co, "departments", dp);
			json_object_set_new(co, "channels", ch);
			json_object_set_new(co, "handoffs", json_integer(c->handoffs));
			json_object_set_new(co, "promises", pr);
			json_array_append_new(cases, co);
		}
		json_object_set_new(o, "cases", cases);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "customers", arr);
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc ? ct_error("cannot write the report") : 0;
}

static void join(struct ct_buf *b, const struct ct_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		ct_buf_addf(b, "%s%s", i ? ", " : "", l->v[i]);
}

int ct_report_customers(FILE *out, enum ct_format fmt, int width, const struct ct_customer_list *cl,
			const struct ct_promise_list *pl, ct_time since, ct_time until, int min)
{
	if (fmt == CT_FMT_JSON)
		return customers_json(out, cl, pl, since, until, min);
	char a[32], b[32], title[160];
	ct_time_iso(since, a);
	ct_time_iso(until - 1, b);
	a[10] = b[10] = '\0';
	snprintf(title, sizeof(title), "Customers who got more than %d voices, %s to %s", min, a, b);
	struct ct_doc d;
	ct_doc_init(&d, title);
	ct_doc_text(&d, "Customers who, on one case active in the period, dealt with more than %d staff members, "
		    "departments or channels (email or a helpdesk): their cases side by side, with the handoffs and "
		    "the promises each one was given.", min);
	struct ct_doc_table *t = ct_doc_table(&d, "", "~customer|#case|~subject|#staff|~staff|departments|channels|"
						      "#handoffs|~promises");
	d.csv = t;
	for (size_t i = 0; i < cl->n; i++)
		for (size_t k = 0; k < cl->v[i].ncases; k++) {
			const struct ct_customer_case *c = &cl->v[i].cases[k];
			struct ct_buf st = CT_BUF_INIT, dp = CT_BUF_INIT, ch = CT_BUF_INIT, pr = CT_BUF_INIT;
			char id[24], ns[24], nh[24];
			join(&st, &c->staff);
			join(&dp, &c->departments);
			join(&ch, &c->channels);
			for (size_t m = 0; m < pl->n; m++) {
				const struct ct_promise *p = &pl->v[m];
				char due[32];
				if (p->case_id != c->case_id)
					continue;
				local_time(p->due_at, p->tz, due);
				ct_buf_addf(&pr, "%s#%lld %s due %.16s (%s): “%s”", pr.len ? "; " : "", (long long)p->id,
					    p->staff ? p->staff : "", due, ct_verdict_name(p->verdict),
					    p->sentence ? p->sentence : "");
			}
			snprintf(id, sizeof(id), "%lld", (long long)c->case_id);
			snprintf(ns, sizeof(ns), "%zu", c->staff.n);
			snprintf(nh, sizeof(nh), "%d", c->handoffs);
			ct_doc_row(t, cl->v[i].customer, id, c->subject ? c->subject : "", ns, st.buf, dp.buf, ch.buf, nh,
				   pr.buf);
			ct_buf_release(&st);
			ct_buf_release(&dp);
			ct_buf_release(&ch);
			ct_buf_release(&pr);
		}
	if (!cl->n)
		ct_doc_text(&d, "No customer crossed the line.");
	int rc = ct_doc_emit(&d, fmt, out, width);
	ct_doc_release(&d);
	return rc;
}
