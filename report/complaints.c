/* complaints.c - the complaint report for team leaders: per department and period. */
#include "report.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc ? ct_error("cannot write the report") : 0;
}

static char *weekly_chart(const struct ct_complaints *c)
{
	struct ct_strlist cats = CT_STRLIST_INIT, labels = CT_STRLIST_INIT;
	const ct_time monday0 = 4 * 86400;
	ct_time last = c->until - 1 - ((c->until - 1 - monday0) % (7 * 86400));
	ct_time weeks[12];
	for (int w = 0; w < 12; w++) {
		char iso[32];
		weeks[w] = last - (11 - w) * 7 * 86400;
		ct_time_iso(weeks[w], iso);
		ct_strlist_push_owned(&labels, ct_strndup(iso + 5, 5));
	}
	for (size_t i = 0; i < c->nweeks; i++)
		if (!ct_strlist_has(&cats, c->weeks[i].category))
			ct_strlist_push(&cats, c->weeks[i].category);
	long *vals = ct_calloc(cats.n * 12 + 1, sizeof(long));
	for (size_t i = 0; i < c->nweeks; i++)
		for (size_t s = 0; s < cats.n; s++)
			if (!strcmp(cats.v[s], c->weeks[i].category))
				for (int w = 0; w < 12; w++)
					if (weeks[w] == c->weeks[i].week)
						vals[s * 12 + (size_t)w] += c->weeks[i].n;
	char *svg = ct_svg_bars("Tagged cases per week and category (weeks starting Monday, UTC)",
				(const char *const *)labels.v, 12, (const char *const *)cats.v, cats.n, vals);
	free(vals);
	ct_strlist_clear(&cats);
	ct_strlist_clear(&labels);
	return svg;
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
		"department|leader|category|#opened|#previous period|#change|#open now");
	d.csv = all;
	ct_doc_text(&d, "Cases with a tagged item in each department: opened in the period, opened in the "
		    "previous period of the same length, and still open at its end. A case is open unless "
		    "its ticket was closed or staff wrote last more than %d days before.", CT_STALE_DAYS);
	if (fmt == CT_FMT_HTML)
		ct_doc_svg(&d, weekly_chart(c));
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
		ct_doc_text(&d, "%ld tagged case%s opened in the period (previous period %ld, %+ld); %ld open now.",
			    dp->opened, dp->opened == 1 ? "" : "s", dp->previous, dp->opened - dp->previous, dp->open);
		struct ct_doc_table *t = ct_doc_table(&d, "Per tag", "tag|#opened|#change|#open now");
		for (size_t k = 0; k < dp->ntags; k++) {
			snprintf(n1, sizeof(n1), "%ld", dp->tags[k].opened);
			snprintf(n2, sizeof(n2), "%+ld", dp->tags[k].opened - dp->tags[k].previous);
			snprintf(n3, sizeof(n3), "%ld", dp->tags[k].open);
			ct_doc_row(t, dp->tags[k].category, n1, n2, n3);
		}
		t = ct_doc_table(&d, "Oldest open tagged cases", "#case|opened|tag|~customer|~evidence");
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
