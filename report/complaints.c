/* complaints.c - the complaint report for team leaders: per department and period. */
#include "report.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define jtime ct_json_time

static const char *leader_of(const struct ct_config *cfg, const char *dept)
{
	const struct ct_department *d = ct_config_dept_by_name(cfg, dept);
	return d && d->leader ? d->leader : NULL;
}

static int json_out(FILE *out, const struct ct_config *cfg, const struct ct_complaints *c)
{
	json_t *root = json_object(), *depts = json_array(), *weeks = json_array();
	json_object_set_new(root, "schema", json_string(CT_JSON_SCHEMA));
	json_object_set_new(root, "report", json_string("complaints"));
	json_object_set_new(root, "since", jtime(c->since));
	json_object_set_new(root, "until", jtime(c->until));
	json_object_set_new(root, "previous_since", jtime(c->prev_since));
	for (size_t i = 0; i < c->ndepts; i++) {
		const struct ct_complaint_dept *d = &c->depts[i];
		json_t *o = json_object(), *tags = json_array(), *old = json_array(), *rules = json_array(),
		       *rep = json_array(), *staff = json_array(), *tot = json_object();
		const char *leader = leader_of(cfg, d->department);
		json_object_set_new(o, "department", json_string(d->department));
		json_object_set_new(o, "leader", leader ? json_string(leader) : json_null());
		json_object_set_new(tot, "opened", json_integer(d->opened));
		json_object_set_new(tot, "open", json_integer(d->open));
		json_object_set_new(tot, "previous", json_integer(d->previous));
		json_object_set_new(tot, "change", json_integer(d->opened - d->previous));
		json_object_set_new(o, "tagged_cases", tot);
		for (size_t k = 0; k < d->ntags; k++) {
			json_t *t = json_object();
			json_object_set_new(t, "category", json_string(d->tags[k].category));
			json_object_set_new(t, "opened", json_integer(d->tags[k].opened));
			json_object_set_new(t, "open", json_integer(d->tags[k].open));
			json_object_set_new(t, "previous", json_integer(d->tags[k].previous));
			json_object_set_new(t, "change", json_integer(d->tags[k].opened - d->tags[k].previous));
			json_array_append_new(tags, t);
		}
		json_object_set_new(o, "tags", tags);
		for (size_t k = 0; k < d->noldest; k++) {
			const struct ct_complaint_case *oc = &d->oldest[k];
			json_t *t = json_object();
			json_object_set_new(t, "case", json_integer(oc->case_id));
			json_object_set_new(t, "opened_at", jtime(oc->opened_at));
			json_object_set_new(t, "category", json_string(oc->category));
			json_object_set_new(t, "rule", oc->rule_id ? json_string(oc->rule_id) : json_null());
			json_object_set_new(t, "snippet", oc->snippet ? json_string(oc->snippet) : json_null());
			json_object_set_new(t, "subject", oc->subject ? json_string(oc->subject) : json_null());
			json_object_set_new(t, "customer", oc->customer ? json_string(oc->customer) : json_null());
			json_array_append_new(old, t);
		}
		json_object_set_new(o, "oldest_open", old);
		for (size_t k = 0; k < d->rules.n; k++) {
			json_t *t = json_object();
			json_object_set_new(t, "rule", json_string(d->rules.v[k].key));
			json_object_set_new(t, "count", json_integer(d->rules.v[k].n));
			json_array_append_new(rules, t);
		}
		json_object_set_new(o, "rules", rules);
		for (size_t k = 0; k < d->repeat.n; k++) {
			json_t *t = json_object();
			json_object_set_new(t, "customer", json_string(d->repeat.v[k].key));
			json_object_set_new(t, "cases", json_integer(d->repeat.v[k].n));
			json_array_append_new(rep, t);
		}
		json_object_set_new(o, "repeat_customers", rep);
		for (size_t k = 0; k < d->staff.n; k++) {
			json_t *t = json_object();
			json_object_set_new(t, "staff", json_string(d->staff.v[k].key));
			json_object_set_new(t, "cases", json_integer(d->staff.v[k].n));
			json_array_append_new(staff, t);
		}
		json_object_set_new(o, "overpromise_staff", staff);
		if (c->promises)
			json_object_set_new(o, "promises", ct_json_promise_section(c->promises, d->department, c->since,
										     c->until));
		json_array_append_new(depts, o);
	}
	json_object_set_new(root, "departments", depts);
	for (size_t i = 0; i < c->nweeks; i++) {
		json_t *w = json_object();
		json_object_set_new(w, "week", jtime(c->weeks[i].week));
		json_object_set_new(w, "category", json_string(c->weeks[i].category));
		json_object_set_new(w, "cases", json_integer(c->weeks[i].n));
		json_array_append_new(weeks, w);
	}
	json_object_set_new(root, "weeks", weeks);
	json_t *months = json_array();
	for (size_t i = 0; i < c->nmonths; i++) {
		json_t *w = json_object();
		json_object_set_new(w, "month", jtime(c->months[i].week));
		json_object_set_new(w, "category", json_string(c->months[i].category));
		json_object_set_new(w, "cases", json_integer(c->months[i].n));
		json_array_append_new(months, w);
	}
	json_object_set_new(root, "months", months);
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc ? ct_error("cannot write the report") : 0;
}

/* The start of the bucket after t: next Monday, or the 1st of next month. */
static ct_time next_bucket(ct_time t, int monthly)
{
	if (!monthly)
		return t + 7 * 86400;
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	tm.tm_mon++;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (ct_time)timegm(&tm);
}

static ct_time first_bucket(ct_time since, int monthly)
{
	const ct_time monday0 = 4 * 86400;   /* 1970-01-05 was a Monday */
	if (!monthly)
		return since - (((since - monday0) % (7 * 86400)) + 7 * 86400) % (7 * 86400);
	time_t tt = (time_t)since;
	struct tm tm;
	gmtime_r(&tt, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (ct_time)timegm(&tm);
}

/* The period's chart: weeks, or calendar months when it is longer than CT_CHART_MAX_WEEKS weeks. */
struct period_chart {
	int monthly;
	struct ct_strlist cats, labels, years;
	ct_time *starts;
	size_t n;
	long *vals;        /* vals[cat * n + bucket] */
};

#define CT_CHART_MAX_WEEKS 26

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void period_chart_build(struct period_chart *pc, const struct ct_complaints *c)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	memset(pc, 0, sizeof(*pc));
	pc->monthly = c->until - c->since > (ct_time)CT_CHART_MAX_WEEKS * 7 * 86400;
	const struct ct_week_count *src = pc->monthly ? c->months : c->weeks;
	size_t nsrc = pc->monthly ? c->nmonths : c->nweeks;
	size_t alloc = 0;
	int last_year = -1;
	for (ct_time t = first_bucket(c->since, pc->monthly); t < c->until; t = next_bucket(t, pc->monthly)) {
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		CT_ALLOC_GROW(pc->starts, pc->n + 1, alloc);
		pc->starts[pc->n++] = t;
		if (pc->monthly)
			ct_strlist_push(&pc->labels, mon[tm.tm_mon]);
		else
			ct_strlist_push_owned(&pc->labels, ct_xstrfmt("%s %d", mon[tm.tm_mon], tm.tm_mday));
		if (tm.tm_year != last_year)
			ct_strlist_push_owned(&pc->years, ct_xstrfmt("%d", tm.tm_year + 1900));
		else
			ct_strlist_push(&pc->years, "");
		last_year = tm.tm_year;
	}
	for (size_t i = 0; i < nsrc; i++)
		if (!ct_strlist_has(&pc->cats, src[i].category))
			ct_strlist_push(&pc->cats, src[i].category);
	/* the same order (and colours) in every report */
	if (pc->cats.n)
		qsort(pc->cats.v, pc->cats.n, sizeof(char *), cmp_str);
	pc->vals = ct_calloc(pc->cats.n * pc->n + 1, sizeof(long));
	for (size_t i = 0; i < nsrc; i++)
		for (size_t s = 0; s < pc->cats.n; s++)
			if (!strcmp(pc->cats.v[s], src[i].category))
				for (size_t w = 0; w < pc->n; w++)
					if (pc->starts[w] == src[i].week)
						pc->vals[s * pc->n + w] += src[i].n;
}

static void period_chart_release(struct period_chart *pc)
{
	ct_strlist_clear(&pc->cats);
	ct_strlist_clear(&pc->labels);
	ct_strlist_clear(&pc->years);
	free(pc->starts);
	free(pc->vals);
}

static char *period_chart_svg(const struct period_chart *pc)
{
	const char **years = ct_calloc(pc->n + 1, sizeof(char *));
	for (size_t i = 0; i < pc->n; i++)
		years[i] = *pc->years.v[i] ? pc->years.v[i] : NULL;
	struct ct_chart ch = {
		.title = pc->monthly ? "Tagged cases per month and category" : "Tagged cases per week and category",
		.x_label = pc->monthly ? "month (UTC)" : "week starting Monday (UTC)",
		.y_label = "tagged cases",
		.labels = (const char *const *)pc->labels.v, .years = years, .nlabels = pc->n,
		.series = (const char *const *)pc->cats.v, .nseries = pc->cats.n, .values = pc->vals,
	};
	char *svg = ct_svg_bars(&ch);
	free(years);
	return svg;
}

/* The chart's figures as a table, for readers (and mail clients) without images. */
static void period_chart_table(struct ct_doc *d, const struct period_chart *pc)
{
	struct ct_buf cols = CT_BUF_INIT;
	ct_buf_addstr(&cols, pc->monthly ? "month" : "week starting");
	for (size_t s = 0; s < pc->cats.n; s++)
		ct_buf_addf(&cols, "|#%s", pc->cats.v[s]);
	struct ct_doc_table *t = ct_doc_table(d, "The chart's figures: tagged cases", cols.buf);
	ct_buf_release(&cols);
	for (size_t w = 0; w < pc->n; w++) {
		struct ct_strlist *row;
		char day[32];
		ct_time_iso(pc->starts[w], day);
		day[pc->monthly ? 7 : 10] = '\0';
		ct_doc_row_list(t, &row);
		ct_strlist_push(row, day);
		for (size_t s = 0; s < pc->cats.n; s++)
			ct_strlist_push_owned(row, ct_xstrfmt("%ld", pc->vals[s * pc->n + w]));
	}
}

int ct_report_complaints(FILE *out, enum ct_format fmt, int width, const struct ct_config *cfg,
			 const struct ct_complaints *c)
{
	if (fmt == CT_FMT_JSON)
		return json_out(out, cfg, c);
	char a[32], b[32], title[128];
	ct_time_iso(c->since, a);
	ct_time_iso(c->until - 1, b);
	a[10] = b[10] = '\0';
	snprintf(title, sizeof(title), "Complaint report %s to %s", a, b);
	struct ct_doc d;
	ct_doc_init(&d, title);
	struct ct_doc_table *all = ct_doc_table(&d, "Tagged cases by department",
		"department|leader|category|#opened|#previous period|#change|#open at end");
	d.csv = all;
	ct_doc_text(&d, "Cases with a tagged item in each department: opened in the period, opened in the "
		    "previous period of the same length, and still open at its end. A case is open unless "
		    "its ticket was closed, it was closed by hand, or nobody wrote in it for %d days "
		    "(closed: inactive).", c->close_after_days);
	if (fmt == CT_FMT_HTML) {
		struct period_chart pc;
		period_chart_build(&pc, c);
		ct_doc_svg(&d, period_chart_svg(&pc), pc.monthly ? "Bar chart of the tagged cases per month and category; "
			   "its figures are in the table below it" : "Bar chart of the tagged cases per week and category; "
			   "its figures are in the table below it");
		if (pc.cats.n)
			period_chart_table(&d, &pc);
		period_chart_release(&pc);
	}
	for (size_t i = 0; i < c->ndepts; i++) {
		const struct ct_complaint_dept *dp = &c->depts[i];
		const char *leader = leader_of(cfg, dp->department);
		char n1[24], n2[24], n3[24], n4[24];
		for (size_t k = 0; k < dp->ntags; k++) {
			const struct ct_complaint_tag *t = &dp->tags[k];
			snprintf(n1, sizeof(n1), "%ld", t->opened);
			snprintf(n2, sizeof(n2), "%ld", t->previous);
			snprintf(n3, sizeof(n3), "%+ld", t->opened - t->previous);
			snprintf(n4, sizeof(n4), "%ld", t->open);
			ct_doc_row(all, dp->department, leader ? leader : "", t->category, n1, n2, n3, n4);
		}
	}
	for (size_t i = 0; i < c->ndepts; i++) {
		const struct ct_complaint_dept *dp = &c->depts[i];
		const char *leader = leader_of(cfg, dp->department);
		char n1[24], n2[24], n3[24], n4[24];
		ct_doc_heading(&d, 1, "%s%s%s%s", dp->department, leader ? " (leader: " : "", leader ? leader : "",
			       leader ? ")" : "");
		ct_doc_text(&d, "%ld tagged case%s opened in the period (previous period %ld, %+ld); %ld open at its end.",
			    dp->opened, dp->opened == 1 ? "" : "s", dp->previous, dp->opened - dp->previous, dp->open);
		struct ct_doc_table *t = ct_doc_table(&d, "Per tag", "tag|#opened|#change|#open at end");
		for (size_t k = 0; k < dp->ntags; k++) {
			snprintf(n1, sizeof(n1), "%ld", dp->tags[k].opened);
			snprintf(n2, sizeof(n2), "%+ld", dp->tags[k].opened - dp->tags[k].previous);
			snprintf(n3, sizeof(n3), "%ld", dp->tags[k].open);
			ct_doc_row(t, dp->tags[k].category, n1, n2, n3);
		}
		t = ct_doc_table(&d, "Oldest open tagged cases", "@case|opened|tag|~customer|!evidence");
		t->anchors = 1;
		for (size_t k = 0; k < dp->noldest; k++) {
			const struct ct_complaint_case *o = &dp->oldest[k];
			char when[32];
			ct_time_iso(o->opened_at, when);
			when[10] = '\0';
			snprintf(n1, sizeof(n1), "%lld", (long long)o->case_id);
			snprintf(n4, sizeof(n4), "%s", "");
			ct_doc_row(t, n1, when, o->category, o->customer ? o->customer : "", o->snippet ? o->snippet : "");
		}
		t = ct_doc_table(&d, "Rules that fired most in the period", "rule|#tags");
		for (size_t k = 0; k < dp->rules.n && k < 5; k++) {
			snprintf(n1, sizeof(n1), "%ld", dp->rules.v[k].n);
			ct_doc_row(t, dp->rules.v[k].key, n1);
		}
		t = ct_doc_table(&d, "Repeat customers (several tagged cases)", "customer|#cases");
		for (size_t k = 0; k < dp->repeat.n && k < 10; k++) {
			snprintf(n1, sizeof(n1), "%ld", dp->repeat.v[k].n);
			ct_doc_row(t, dp->repeat.v[k].key, n1);
		}
		t = ct_doc_table(&d, "Staff on cases tagged overpromise", "staff|#cases");
		for (size_t k = 0; k < dp->staff.n && k < 10; k++) {
			snprintf(n1, sizeof(n1), "%ld", dp->staff.v[k].n);
			ct_doc_row(t, dp->staff.v[k].key, n1);
		}
		(void)n2;
		if (c->promises)
			ct_doc_promise_section(&d, c->promises, dp->department, c->since, c->until);
	}
	if (!c->ndepts)
		ct_doc_text(&d, "No tagged cases.");
	int rc = ct_doc_emit(&d, fmt, out, width);
	ct_doc_release(&d);
	return rc;
}
