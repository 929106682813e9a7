/*
 * report_queries.c - the SQL behind the complaint report and the handoff
 * audit. Each report reads a handful of grouped queries and aggregates in C,
 * so a store of a million items answers in well under two seconds.
 */
#include "store_p.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void ct_count_list_add(struct ct_count_list *l, const char *key, long n)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key)) {
			l->v[i].n += n;
			return;
		}
	CT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n].key = ct_strdup(key);
	l->v[l->n].n = n;
	l->n++;
}

static int cmp_count(const void *a, const void *b)
{
	const struct ct_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

void ct_count_list_sort(struct ct_count_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_count);
}

void ct_count_list_release(struct ct_count_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * The last activity of case c before a report's end (SQL of a column): a
 * case active again after the period may have been quiet, so closed, at its
 * end. One index lookup, only for cases active after the end.
 */
#define LAST_BEFORE(until) \
	"CASE WHEN c.last_activity_at < " until " THEN c.last_activity_at ELSE coalesce((SELECT max(x.date)" \
	" FROM items x WHERE x.case_id = c.id AND x.date < " until "), c.opened_at) END"

static int open_at(struct ct_store *st, ct_time until, ct_time opened, ct_time closed, const char *reason,
		   ct_time reopened, int last_role, ct_time last, struct ct_case_state *out)
{
	struct ct_case_state tmp;
	if (!out)
		out = &tmp;
	ct_case_state_at(until, opened, last, last_role, closed, reason, reopened, st->opt.close_after_days, out);
	return out->open;
}

/* ---- complaint report ---- */

static struct ct_complaint_dept *dept_get(struct ct_complaints *c, const char *name)
{
	for (size_t i = 0; i < c->ndepts; i++)
		if (!strcmp(c->depts[i].department, name))
			return &c->depts[i];
	CT_ALLOC_GROW(c->depts, c->ndepts + 1, c->depts_alloc);
	struct ct_complaint_dept *d = &c->depts[c->ndepts++];
	memset(d, 0, sizeof(*d));
	d->department = ct_strdup(name);
	return d;
}

static struct ct_complaint_tag *tag_get(struct ct_complaint_dept *d, const char *cat)
{
	for (size_t i = 0; i < d->ntags; i++)
		if (!strcmp(d->tags[i].category, cat))
			return &d->tags[i];
	CT_ALLOC_GROW(d->tags, d->ntags + 1, d->tags_alloc);
	struct ct_complaint_tag *t = &d->tags[d->ntags++];
	memset(t, 0, sizeof(*t));
	t->category = ct_strdup(cat);
	return t;
}

static int cmp_dept(const void *a, const void *b)
{
	return strcmp(((const struct ct_complaint_dept *)a)->department,
		      ((const struct ct_complaint_dept *)b)->department);
}

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(((const struct ct_complaint_tag *)a)->category,
		      ((const struct ct_complaint_tag *)b)->category);
}

static int cmp_oldest(const void *a, const void *b)
{
	const struct ct_complaint_case *x = a, *y = b;
	if (x->opened_at != y->opened_at)
		return x->opened_at < y->opened_at ? -1 : 1;
	return x->case_id < y->case_id ? -1 : x->case_id > y->case_id;
}

int ct_store_complaints(struct ct_store *st, ct_time since, ct_time until, const char *dept,
			int oldest_limit, struct ct_complaints *c)
{
	struct ct_db_stmt *q = NULL;
	int rc, ret = -1;
	json_t *any_seen = json_object();    /* "dept\tcase" -> 1, for any-tag totals */
	json_t *oldest_seen = json_object(); /* same, for the oldest list */
	json_t *repeat_cases = json_object(); /* "dept\tcustomer" -> {case: 1} */

	memset(c, 0, sizeof(*c));
	c->since = since;
	c->until = until;
	c->prev_since = since - (until - since);
	c->close_after_days = st->opt.close_after_days > 0 ? st->opt.close_after_days : 30;

	/* One row per (department, category, case) with a tag, from cases opened before until. */
	if (ct_db_prepare(st->db,
		"SELECT i.department, t.category, c.id, c.opened_at, c.closed_at, c.last_role,"
		" c.last_activity_at, c.subject, c.customer, min(t.id), c.close_reason, c.reopened_at,"
		" " LAST_BEFORE("?2")
		" FROM tags t JOIN items i ON i.id = t.item_id JOIN cases c ON c.id = i.case_id"
		" WHERE c.merged_into IS NULL AND i.department IS NOT NULL AND c.opened_at < ?2"
		" AND (?1 IS NULL OR i.department = ?1)"
		" GROUP BY i.department, t.category, c.id", &q))
		goto sqlerr;
	ct_store_bind_text(q, 1, dept);
	ct_db_bind_int64(q, 2, until);
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		const char *dname = ct_db_column_text(q, 0);
		const char *cat = ct_db_column_text(q, 1);
		int64_t case_id = ct_db_column_int64(q, 2);
		ct_time opened = ct_db_column_int64(q, 3);
		ct_time closed = ct_db_column_is_null(q, 4) ? 0 : ct_db_column_int64(q, 4);
		int last_role = (int)ct_db_column_int64(q, 5);
		ct_time last = ct_db_column_int64(q, 12);   /* the last activity before until */
		int is_open = open_at(st, until, opened, closed, ct_db_column_text(q, 10),
				      ct_db_column_int64(q, 11), last_role, last, NULL);
		int in_period = opened >= since && opened < until;
		int in_prev = opened >= c->prev_since && opened < since;
		struct ct_complaint_dept *d = dept_get(c, dname);
		struct ct_complaint_tag *t = tag_get(d, cat);
		t->opened += in_period;
		t->open += is_open;
		t->previous += in_prev;
		char key[600];
		snprintf(key, sizeof(key), "%s\t%lld", dname, (long long)case_id);
		if (!json_object_get(any_seen, key)) {
			json_object_set_new(any_seen, key, json_true());
			d->opened += in_period;
			d->open += is_open;
			d->previous += in_prev;
		}
		const char *customer = ct_db_column_text(q, 8);
		if (customer && (in_period || is_open)) {
			char ck[600], cid[32];
			snprintf(ck, sizeof(ck), "%s\t%s", dname, customer);
			json_t *set = json_object_get(repeat_cases, ck);
			if (!set) {
				set = json_object();
				json_object_set_new(repeat_cases, ck, set);
			}
			snprintf(cid, sizeof(cid), "%lld", (long long)case_id);
			json_object_set_new(set, cid, json_true());
		}
		if (is_open && !json_object_get(oldest_seen, key)) {
			json_object_set_new(oldest_seen, key, json_true());
			CT_ALLOC_GROW(d->oldest, d->noldest + 1, d->oldest_alloc);
			struct ct_complaint_case *o = &d->oldest[d->noldest++];
			memset(o, 0, sizeof(*o));
			o->case_id = case_id;
			o->opened_at = opened;
			o->subject = ct_store_col_strdup(q, 7);
			o->customer = ct_store_col_strdup(q, 8);
			o->category = ct_strdup(cat);
			/* the evidence: the case's first tag in this department */
			struct ct_db_stmt *e = ct_store_stmt(st, ST_REPORT_TAG,
				"SELECT rule_id, snippet, category FROM tags WHERE id = ?");
			ct_db_bind_int64(e, 1, ct_db_column_int64(q, 9));
			if (ct_db_step(e) == CT_DB_ROW) {
				o->rule_id = ct_store_col_strdup(e, 0);
				o->snippet = ct_store_col_strdup(e, 1);
			}
			ct_db_reset(e);
		}
	}
	if (rc != CT_DB_DONE)
		goto sqlerr;
	ct_db_finalize(q);
	q = NULL;

	/* Repeat customers: several tagged cases. */
	const char *ck;
	json_t *set;
	json_object_foreach(repeat_cases, ck, set) {
		if (json_object_size(set) < 2)
			continue;
		const char *tab = strchr(ck, '\t');
		char *dname = ct_strndup(ck, (size_t)(tab - ck));
		ct_count_list_add(&dept_get(c, dname)->repeat, tab + 1, (long)json_object_size(set));
		free(dname);
	}

	/*
	 * Rules that fired in the period. Here and below the tags drive the
	 * join ("tags t CROSS JOIN items i" makes SQLite keep that order;
	 * PostgreSQL plans it as any inner join): with its statistics SQLite
	 * otherwise walks the items of the period by a skip-scan of
	 * items_subject and looks up each one's tags, 2.7 s instead of 0.1 s
	 * over two years of a 1,000,000-item store with 60,000 tags.
	 */
	if (ct_db_prepare(st->db, "SELECT i.department, t.rule_id, count(*) FROM tags t CROSS JOIN items i"
		" WHERE i.id = t.item_id AND i.date >= ?2 AND i.date < ?3 AND i.department IS NOT NULL"
		" AND (?1 IS NULL OR i.department = ?1) GROUP BY 1, 2", &q))
		goto sqlerr;
	ct_store_bind_text(q, 1, dept);
	ct_db_bind_int64(q, 2, since);
	ct_db_bind_int64(q, 3, until);
	while ((rc = ct_db_step(q)) == CT_DB_ROW)
		ct_count_list_add(&dept_get(c, ct_db_column_text(q, 0))->rules,
				  ct_db_column_text(q, 1), ct_db_column_int64(q, 2));
	if (rc != CT_DB_DONE)
		goto sqlerr;
	ct_db_finalize(q);
	q = NULL;

	/* Staff who wrote in cases tagged overpromise that were active in the period. */
	if (ct_db_prepare(st->db,
		"SELECT i.department, i.from_addr, count(DISTINCT i.case_id) FROM items i"
		" WHERE i.role = " SQL_ROLE_STAFF " AND i.department IS NOT NULL AND (?1 IS NULL OR i.department = ?1)"
		" AND i.case_id IN (SELECT i2.case_id FROM tags t JOIN items i2 ON i2.id = t.item_id"
		"   JOIN cases c ON c.id = i2.case_id WHERE t.category = 'overpromise'"
		"   AND c.opened_at < ?3 AND c.last_activity_at >= ?2)"
		" GROUP BY 1, 2", &q))
		goto sqlerr;
	ct_store_bind_text(q, 1, dept);
	ct_db_bind_int64(q, 2, since);
	ct_db_bind_int64(q, 3, until);
	while ((rc = ct_db_step(q)) == CT_DB_ROW)
		ct_count_list_add(&dept_get(c, ct_db_column_text(q, 0))->staff,
				  ct_db_column_text(q, 1), ct_db_column_int64(q, 2));
	if (rc != CT_DB_DONE)
		goto sqlerr;
	ct_db_finalize(q);
	q = NULL;

	/*
	 * Tagged cases per week and category over the period (the first and last
	 * weeks cut to it), and per calendar month for the charts of long periods.
	 */
	{
		/* 1970-01-05 was a Monday */
		const ct_time monday0 = 4 * 86400;
		if (ct_db_prepare(st->db, "SELECT (i.date - ?3) / 604800, t.category, count(DISTINCT i.case_id)"
			" FROM tags t CROSS JOIN items i"
			" WHERE i.id = t.item_id AND i.date >= ?2 AND i.date < ?4 AND (?1 IS NULL OR i.department = ?1)"
			" GROUP BY 1, 2 ORDER BY 1, 2", &q))
			goto sqlerr;
		ct_store_bind_text(q, 1, dept);
		ct_db_bind_int64(q, 2, since);   /* a first week cut by since counts from since */
		ct_db_bind_int64(q, 3, monday0);
		ct_db_bind_int64(q, 4, until);
		while ((rc = ct_db_step(q)) == CT_DB_ROW) {
			CT_ALLOC_GROW(c->weeks, c->nweeks + 1, c->weeks_alloc);
			struct ct_week_count *w = &c->weeks[c->nweeks++];
			w->week = monday0 + ct_db_column_int64(q, 0) * 604800;
			w->category = ct_store_col_strdup(q, 1);
			w->n = ct_db_column_int64(q, 2);
		}
		if (rc != CT_DB_DONE)
			goto sqlerr;
		ct_db_finalize(q);
		q = NULL;
		/* The start of a date's month (UTC) is the one expression the engines spell apart. */
		const char *month = ct_db_kind(st->db) == CT_DB_SQLITE
			? "SELECT CAST(strftime('%s', i.date, 'unixepoch', 'start of month') AS INTEGER),"
			: "SELECT CAST(extract(epoch FROM date_trunc('month', to_timestamp(i.date) AT TIME ZONE 'UTC'))"
			  " AS BIGINT),";
		char *sql = ct_xstrfmt("%s t.category, count(DISTINCT i.case_id)"
			" FROM tags t CROSS JOIN items i"
			" WHERE i.id = t.item_id AND i.date >= ?2 AND i.date < ?3 AND (?1 IS NULL OR i.department = ?1)"
			" GROUP BY 1, 2 ORDER BY 1, 2", month);
		rc = ct_db_prepare(st->db, sql, &q);
		free(sql);
		if (rc)
			goto sqlerr;
		ct_store_bind_text(q, 1, dept);
		ct_db_bind_int64(q, 2, since);
		ct_db_bind_int64(q, 3, until);
		while ((rc = ct_db_step(q)) == CT_DB_ROW) {
			CT_ALLOC_GROW(c->months, c->nmonths + 1, c->months_alloc);
			struct ct_week_count *w = &c->months[c->nmonths++];
			w->week = ct_db_column_int64(q, 0);
			w->category = ct_store_col_strdup(q, 1);
			w->n = ct_db_column_int64(q, 2);
		}
		if (rc != CT_DB_DONE)
			goto sqlerr;
		ct_db_finalize(q);
		q = NULL;
	}

	if (c->ndepts)
		qsort(c->depts, c->ndepts, sizeof(*c->depts), cmp_dept);
	for (size_t i = 0; i < c->ndepts; i++) {
		struct ct_complaint_dept *d = &c->depts[i];
		if (d->ntags)
			qsort(d->tags, d->ntags, sizeof(*d->tags), cmp_tag);
		if (d->noldest)
			qsort(d->oldest, d->noldest, sizeof(*d->oldest), cmp_oldest);
		/* A negative limit keeps none (it used to underflow noldest). */
		while (d->noldest > (oldest_limit > 0 ? (size_t)oldest_limit : 0)) {
			struct ct_complaint_case *o = &d->oldest[--d->noldest];
			free(o->subject);
			free(o->customer);
			free(o->category);
			free(o->rule_id);
			free(o->snippet);
		}
		ct_count_list_sort(&d->rules);
		ct_count_list_sort(&d->repeat);
		ct_count_list_sort(&d->staff);
	}
	c->promises = ct_calloc(1, sizeof(*c->promises));
	struct ct_promise_filter pf = { 0, dept, until };
	if (ct_store_promises(st, &pf, c->promises)) {
		ct_complaints_release(c);
		goto out;
	}
	ret = 0;
	goto out;
sqlerr:
	ct_store_sqlerr(st, "reading the complaint report");
	ct_complaints_release(c);
out:
	ct_db_finalize(q);
	json_decref(any_seen);
	json_decref(oldest_seen);
	json_decref(repeat_cases);
	return ret;
}

void ct_complaints_release(struct ct_complaints *c)
{
	for (size_t i = 0; i < c->ndepts; i++) {
		struct ct_complaint_dept *d = &c->depts[i];
		free(d->department);
		for (size_t j = 0; j < d->ntags; j++)
			free(d->tags[j].category);
		free(d->tags);
		for (size_t j = 0; j < d->noldest; j++) {
			free(d->oldest[j].subject);
			free(d->oldest[j].customer);
			free(d->oldest[j].category);
			free(d->oldest[j].rule_id);
			free(d->oldest[j].snippet);
		}
		free(d->oldest);
		ct_count_list_release(&d->rules);
		ct_count_list_release(&d->repeat);
		ct_count_list_release(&d->staff);
	}
	free(c->depts);
	for (size_t i = 0; i < c->nweeks; i++)
		free(c->weeks[i].category);
	free(c->weeks);
	for (size_t i = 0; i < c->nmonths; i++)
		free(c->months[i].category);
	free(c->months);
	if (c->promises) {
		ct_promise_list_release(c->promises);
		free(c->promises);
	}
	memset(c, 0, sizeof(*c));
}

/* ---- handoff audit ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct audit_dec {
	struct ct_store *st;
	struct ct_audit *a;
};

/* Attaches a decision to the audited cases it is about (cases are in id order). */
static int audit_decision(const struct ct_decision *d, void *data)
{
	struct audit_dec *x = data;
	int64_t seen[2] = { 0, 0 };
	for (size_t k = 0; k <= d->items.n; k++) {
		int64_t id = ct_store_case_of(x->st, k ? d->items.v[k - 1] : d->item);
		if (!id || id == seen[0] || id == seen[1])
			continue;
		seen[k ? 1 : 0] = id;
		size_t lo = 0, hi = x->a->ncases;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (x->a->cases[mid].id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == x->a->ncases || x->a->cases[lo].id != id)
			continue;
		struct ct_audit_case *c = &x->a->cases[lo];
		CT_ALLOC_GROW(c->decisions, c->ndecisions + 1, c->decisions_alloc);
		ct_decision_copy(&c->decisions[c->ndecisions++], d);
	}
	return 0;
}

int ct_store_audit(struct ct_store *st, const struct ct_case_filter *f, ct_time until, struct ct_audit *a)
{
	struct ct_db_stmt *q = NULL, *r = NULL;
	double *days[4] = { NULL, NULL, NULL, NULL };
	size_t ndays[4] = { 0, 0, 0, 0 }, adays[4] = { 0, 0, 0, 0 };
	int rc, ret = -1;

	memset(a, 0, sizeof(*a));
	a->until = until;
	if (ct_db_prepare(st->db,
		"SELECT id, subject, customer, opened_at, last_activity_at, closed_at, last_role, trail,"
		" handoffs, ping_pong, close_reason, reopened_at, " LAST_BEFORE("?1") ","
		/*
		 * Unanswered: no staff of the department the case last moved to
		 * wrote after that move (NULL without a move). In the query, not
		 * one query per case: over two years of a 1,000,000-item store that
		 * was 30,000 round trips, 6 of PostgreSQL's 7.7 s.
		 */
		" (SELECT CASE WHEN EXISTS (SELECT 1 FROM items x WHERE x.case_id = e.case_id"
		"    AND x.role = " SQL_ROLE_STAFF " AND x.department = e.to_department AND x.date > e.at AND x.date < ?1)"
		"  THEN 0 ELSE 1 END FROM routing_events e WHERE e.case_id = c.id AND e.at < ?1 ORDER BY e.seq DESC LIMIT 1)"
		" FROM cases c WHERE merged_into IS NULL AND item_count > 0"
		" AND opened_at < ?1 AND (?2 = 0 OR last_activity_at >= ?2)"
		" AND handoffs >= ?3 AND (?4 = 0 OR ping_pong = 1)"
		" AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(trail) WHERE value = ?5))"
		" ORDER BY id", &q) ||
	    ct_db_prepare(st->db, "SELECT case_id, at, from_department, to_department, via, actor, observed"
		" FROM routing_events WHERE at < ?1 ORDER BY case_id, seq", &r))
		goto sqlerr;
	ct_db_bind_int64(q, 1, until);
	ct_db_bind_int64(q, 2, f ? f->since : 0);
	ct_db_bind_int64(q, 3, f ? f->min_handoffs : 0);
	ct_db_bind_int64(q, 4, f ? f->ping_pong_only : 0);
	ct_store_bind_text(q, 5, f ? f->department : NULL);
	ct_db_bind_int64(r, 1, until);

	/* Walk cases and routing events together, both ordered by case id. */
	int rrc = ct_db_step(r);
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		CT_ALLOC_GROW(a->cases, a->ncases + 1, a->cases_alloc);
		struct ct_audit_case *c = &a->cases[a->ncases++];
		memset(c, 0, sizeof(*c));
		c->id = ct_db_column_int64(q, 0);
		c->subject = ct_store_col_strdup(q, 1);
		c->customer = ct_store_col_strdup(q, 2);
		c->opened_at = ct_db_column_int64(q, 3);
		c->last_activity_at = ct_db_column_int64(q, 4);
		c->closed_at = ct_db_column_is_null(q, 5) ? 0 : ct_db_column_int64(q, 5);
		int last_role = (int)ct_db_column_int64(q, 6);
		c->open = open_at(st, until, c->opened_at, c->closed_at, ct_db_column_text(q, 10),
				  ct_db_column_int64(q, 11), last_role, ct_db_column_int64(q, 12), &c->state);
		c->closed_at = c->open ? 0 : c->state.closed_at;
		c->handoffs = (int)ct_db_column_int64(q, 8);
		c->ping_pong = (int)ct_db_column_int64(q, 9);
		json_t *trail = json_loads(ct_db_column_text(q, 7), 0, NULL);
		while (rrc == CT_DB_ROW && ct_db_column_int64(r, 0) < c->id)
			rrc = ct_db_step(r);
		while (rrc == CT_DB_ROW && ct_db_column_int64(r, 0) == c->id) {
			CT_ALLOC_GROW(c->routing, c->nrouting + 1, c->routing_alloc);
			struct ct_routing_event *e = &c->routing[c->nrouting++];
			ct_store_routing_from_row(r, 1, e);
			char key[512];
			snprintf(key, sizeof(key), "%s\t%s", e->from_department, e->to_department);
			ct_count_list_add(&a->matrix, key, 1);
			rrc = ct_db_step(r);
		}
		/* Holds: the first department from the opening, each move starts the next. */
		/* An inactive case was last held when someone last wrote. */
		ct_time end = !c->closed_at || c->closed_at >= until ? c->last_activity_at
			      : strcmp(c->state.close_reason, CT_CLOSED_INACTIVE) ? c->closed_at
			      : ct_db_column_int64(q, 12);
		if (end > until)
			end = until;
		const char *first = json_array_size(trail) ? json_string_value(json_array_get(trail, 0)) : NULL;
		if (first) {
			ct_time from = c->opened_at;
			const char *holder = first;
			for (size_t i = 0; i <= c->nrouting; i++) {
				ct_time to = i < c->nrouting ? c->routing[i].at : end;
				CT_ALLOC_GROW(c->stops, c->nstops + 1, c->stops_alloc);
				c->stops[c->nstops].department = ct_strdup(holder);
				c->stops[c->nstops].from = from;
				c->stops[c->nstops].to = to > from ? to : from;
				c->nstops++;
				if (i < c->nrouting) {
					holder = c->routing[i].to_department;
					from = c->routing[i].at;
				}
			}
		}
		json_decref(trail);
		if (c->nrouting) {
			c->unanswered = ct_db_column_int64(q, 13) != 0;
			a->unanswered += c->unanswered;
		}
		if (!c->open) {
			int b = c->handoffs > 3 ? 3 : c->handoffs;
			CT_ALLOC_GROW(days[b], ndays[b] + 1, adays[b]);
			days[b][ndays[b]++] = (double)(end - c->opened_at) / 86400.0;
		}
	}
	if (rc != CT_DB_DONE)
		goto sqlerr;
	for (int b = 0; b < 4; b++) {
		a->buckets[b].handoffs = b;
		a->buckets[b].resolved = (long)ndays[b];
		a->buckets[b].median_days = -1;
		if (ndays[b]) {
			qsort(days[b], ndays[b], sizeof(double), cmp_double);
			a->buckets[b].median_days = ndays[b] % 2 ? days[b][ndays[b] / 2]
				: (days[b][ndays[b] / 2 - 1] + days[b][ndays[b] / 2]) / 2;
		}
	}
	ct_count_list_sort(&a->matrix);
	struct audit_dec ad = { st, a };
	if (ct_store_list_decisions(st, 0, audit_decision, &ad)) {
		ct_audit_release(a);
		goto out;
	}
	ret = 0;
	goto out;
sqlerr:
	ct_store_sqlerr(st, "reading the handoff audit");
	ct_audit_release(a);
out:
	ct_db_finalize(q);
	ct_db_finalize(r);
	for (int b = 0; b < 4; b++)
		free(days[b]);
	return ret;
}

void ct_audit_release(struct ct_audit *a)
{
	for (size_t i = 0; i < a->ncases; i++) {
		struct ct_audit_case *c = &a->cases[i];
		free(c->subject);
		free(c->customer);
		for (size_t j = 0; j < c->nstops; j++)
			free(c->stops[j].department);
		free(c->stops);
		ct_store_routing_free(c->routing, c->nrouting);
		for (size_t j = 0; j < c->ndecisions; j++)
			ct_decision_release(&c->decisions[j]);
		free(c->decisions);
	}
	free(a->cases);
	ct_count_list_release(&a->matrix);
	memset(a, 0, sizeof(*a));
}
