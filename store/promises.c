/*
 * promises.c - the promise ledger: the promises and kept-marks the
 * classifier found, manual decisions, and the verdict of each promise
 * worked out from what happened in its case after it was made:
 *
 *   kept    before the due time, staff said it was done (a [kept] rule on
 *           a staff item), a ticket of the case was solved or closed, or the
 *           customer confirmed that it works (a [kept] rule on their item);
 *   broken  the customer complained of a broken promise (an overpromise tag
 *           on a customer item) before any of that, or the due time passed
 *           without it;
 *   open    not due yet, nothing decided.
 *
 * A manual decision (casetrail promise keep|break|drop) overrides all of
 * it. Lateness: for a broken promise, the time from due until the first
 * item that did it, or until now when nothing has.
 */
#include "store_p.h"
#include "../classify/classify.h"

#include <stdlib.h>
#include <string.h>

const char *ct_verdict_name(enum ct_verdict v)
{
	switch (v) {
	case CT_VERDICT_KEPT: return "kept";
	case CT_VERDICT_BROKEN: return "broken";
	case CT_VERDICT_DROPPED: return "dropped";
	default: return "open";
	}
}

int ct_store_set_date_tz(struct ct_store *st, int64_t item_id, int tz_min)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_SET_TZ, "UPDATE items SET date_tz = ? WHERE id = ? AND date_tz IS NULL");
	ct_db_bind_int64(q, 1, tz_min);
	ct_db_bind_int64(q, 2, item_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "storing a Date offset");
	return 0;
}

int ct_store_set_ledger(struct ct_store *st, int64_t item_id, const struct ct_ledger *l)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_PROM_STALE, "UPDATE promises SET stale = 1 WHERE item_id = ?");
	ct_db_bind_int64(q, 1, item_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "storing promises");
	q = ct_store_stmt(st, ST_KEPT_CLEAR, "DELETE FROM promise_kept WHERE item_id = ?");
	ct_db_bind_int64(q, 1, item_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "storing promises");
	for (size_t i = 0; l && i < l->n; i++) {
		const struct ct_ledger_hit *h = &l->v[i];
		if (h->kind == CT_LEDGER_PROMISE) {
			q = ct_store_stmt(st, ST_PROM_UPSERT,
				"INSERT INTO promises(item_id, sentence_start, rule_id, span_start, span_end, sentence, due_at, stale)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)"
				" ON CONFLICT(item_id, sentence_start) DO UPDATE SET rule_id = ?3, span_start = ?4,"
				" span_end = ?5, sentence = ?6, due_at = ?7, stale = 0");
			ct_db_bind_int64(q, 1, item_id);
			ct_db_bind_int64(q, 2, (int64_t)h->sentence_start);
			ct_store_bind_static(q, 3, h->rule_id);
			ct_db_bind_int64(q, 4, (int64_t)h->start);
			ct_db_bind_int64(q, 5, (int64_t)h->end);
			ct_store_bind_static(q, 6, h->snippet ? h->snippet : "");
			ct_db_bind_int64(q, 7, h->due);
		} else {
			q = ct_store_stmt(st, ST_KEPT_ADD,
				"INSERT INTO promise_kept(item_id, rule_id, span_start, span_end, snippet)"
				" VALUES (?, ?, ?, ?, ?) ON CONFLICT (item_id, rule_id) DO UPDATE SET"
				" span_start = excluded.span_start, span_end = excluded.span_end,"
				" snippet = excluded.snippet");
			ct_db_bind_int64(q, 1, item_id);
			ct_store_bind_static(q, 2, h->rule_id);
			ct_db_bind_int64(q, 3, (int64_t)h->start);
			ct_db_bind_int64(q, 4, (int64_t)h->end);
			ct_store_bind_static(q, 5, h->snippet ? h->snippet : "");
		}
		if (ct_db_queue(q))
			return ct_store_sqlerr(st, "storing promises");
	}
	q = ct_store_stmt(st, ST_PROM_DEL_STALE, "DELETE FROM promises WHERE item_id = ? AND stale = 1");
	ct_db_bind_int64(q, 1, item_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "storing promises");
	return 0;
}

int ct_store_decide_promise(struct ct_store *st, int64_t id, enum ct_verdict v, const char *reason,
			    const char *by, ct_time at)
{
	struct ct_db_stmt *q;
	int64_t item = 0, sent = 0;
	if (ct_db_prepare(st->db, "SELECT item_id, sentence_start FROM promises WHERE id = ?", &q))
		return ct_store_sqlerr(st, "reading a promise");
	ct_db_bind_int64(q, 1, id);
	int rc = ct_db_step(q);
	if (rc == CT_DB_ROW) {
		item = ct_db_column_int64(q, 0);
		sent = ct_db_column_int64(q, 1);
	}
	ct_db_finalize(q);
	if (rc == CT_DB_DONE)
		return 1;
	if (rc != CT_DB_ROW)
		return ct_store_sqlerr(st, "reading a promise");
	if (v == CT_VERDICT_OPEN) {
		if (ct_db_prepare(st->db, "DELETE FROM promise_decisions WHERE item_id = ? AND sentence_start = ?", &q))
			return ct_store_sqlerr(st, "clearing a decision");
		ct_db_bind_int64(q, 1, item);
		ct_db_bind_int64(q, 2, sent);
	} else {
		if (ct_db_prepare(st->db, "INSERT INTO promise_decisions(item_id, sentence_start, verdict, reason,"
				       " decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)"
				       " ON CONFLICT (item_id, sentence_start) DO UPDATE SET verdict = excluded.verdict,"
				       " reason = excluded.reason, decided_by = excluded.decided_by,"
				       " decided_at = excluded.decided_at", &q))
			return ct_store_sqlerr(st, "storing a decision");
		ct_db_bind_int64(q, 1, item);
		ct_db_bind_int64(q, 2, sent);
		ct_store_bind_text(q, 3, ct_verdict_name(v));
		ct_store_bind_text(q, 4, reason);
		ct_store_bind_text(q, 5, by);
		ct_db_bind_int64(q, 6, at);
	}
	rc = ct_db_step(q);
	ct_db_finalize(q);
	if (rc != CT_DB_DONE)
		return ct_store_sqlerr(st, "storing a decision");
	return 0;
}

/* One later item of a case, as far as verdicts are concerned. */
struct event {
	int64_t id;
	char *external_id;
	ct_time date;
	int role, kind;
	int kept_mark;      /* a [kept] rule hit it */
	int closed;         /* a ticket comment or move with a solved/closed status */
	int complaint;      /* tagged overpromise */
};

struct events {
	int64_t case_id;
	struct event *v;
	size_t n, alloc;
};

static void events_clear(struct events *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].external_id);
	e->n = 0;
	e->case_id = 0;
}

static int load_events(struct ct_store *st, int64_t case_id, ct_time until, struct events *e)
{
	struct ct_db_stmt *q;
	events_clear(e);
	if (ct_db_prepare(st->db, "SELECT i.id, i.external_id, i.date, i.role, i.kind,"
			       " EXISTS (SELECT 1 FROM promise_kept k WHERE k.item_id = i.id),"
			       " i.ticket_status,"
			       " EXISTS (SELECT 1 FROM tags t WHERE t.item_id = i.id AND t.category = 'overpromise')"
			       " FROM items i WHERE i.case_id = ? AND i.date < ? ORDER BY i.date, i.id", &q))
		return ct_store_sqlerr(st, "reading a case's items");
	ct_db_bind_int64(q, 1, case_id);
	ct_db_bind_int64(q, 2, until);
	int rc;
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		CT_ALLOC_GROW(e->v, e->n + 1, e->alloc);
		struct event *ev = &e->v[e->n++];
		ev->id = ct_db_column_int64(q, 0);
		ev->external_id = ct_store_col_strdup(q, 1);
		ev->date = ct_db_column_int64(q, 2);
		ev->role = (int)ct_db_column_int64(q, 3);
		ev->kind = (int)ct_db_column_int64(q, 4);
		ev->kept_mark = (int)ct_db_column_int64(q, 5);
		/* the same statuses close a ticket for a promise as for the case's state */
		ev->closed = ev->kind != CT_ITEM_EMAIL && ct_store_status_closed(ct_db_column_text(q, 6));
		ev->complaint = (int)ct_db_column_int64(q, 7);
	}
	ct_db_finalize(q);
	if (rc != CT_DB_DONE)
		return ct_store_sqlerr(st, "reading a case's items");
	e->case_id = case_id;
	return 0;
}

static void decide(struct ct_promise *p, const struct events *e, ct_time until)
{
	const struct event *done = NULL, *complaint = NULL;
	const char *done_how = NULL;
	int after = 0;
	for (size_t i = 0; i < e->n; i++) {
		const struct event *ev = &e->v[i];
		if (ev->id == p->item_id) {
			after = 1;
			continue;
		}
		if (!after && ev->date <= p->made_at)
			continue;
		if (!done && ev->kept_mark && ev->role == CT_ROLE_STAFF) {
			done = ev;
			done_how = "done";
		} else if (!done && ev->closed) {
			done = ev;
			done_how = "ticket closed";
		} else if (!done && ev->kept_mark && ev->role == CT_ROLE_CUSTOMER) {
			done = ev;
			done_how = "customer confirmed";
		}
		if (!complaint && !done && ev->complaint && ev->role == CT_ROLE_CUSTOMER)
			complaint = ev;
	}
	p->fulfilled_at = done ? done->date : 0;
	p->late = -1;
	if (done && done->date <= p->due_at && (!complaint || complaint->date > done->date)) {
		p->verdict = CT_VERDICT_KEPT;
		p->how = done_how;
		p->decided_item = done->id;
		p->decided_external_id = ct_strdup(done->external_id);
		p->decided_at = done->date;
	} else if (complaint && complaint->date <= p->due_at) {
		p->verdict = CT_VERDICT_BROKEN;
		p->how = "customer complaint";
		p->decided_item = complaint->id;
		p->decided_external_id = ct_strdup(complaint->external_id);
		p->decided_at = complaint->date;
	} else if (until > p->due_at) {
		p->verdict = CT_VERDICT_BROKEN;
		p->how = "due passed";
		p->decided_at = p->due_at;
	} else {
		p->verdict = CT_VERDICT_OPEN;
		p->how = "not due yet";
	}
	if (p->verdict == CT_VERDICT_BROKEN) {
		ct_time end = done ? done->date : until;
		if (end > p->due_at)
			p->late = end - p->due_at;
		p->overdue = !done && until > p->due_at;
	}
}

static void promise_free(struct ct_promise *p)
{
	free(p->external_id);
	free(p->staff);
	free(p->staff_name);
	free(p->department);
	free(p->sentence);
	free(p->rule_id);
	free(p->case_subject);
	free(p->customer);
	free(p->decided_external_id);
	free(p->reason);
	free(p->decided_by);
}

void ct_promise_list_release(struct ct_promise_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		promise_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static enum ct_verdict verdict_from(const char *s)
{
	if (!s)
		return CT_VERDICT_OPEN;
	if (!strcmp(s, "kept"))
		return CT_VERDICT_KEPT;
	if (!strcmp(s, "broken"))
		return CT_VERDICT_BROKEN;
	return CT_VERDICT_DROPPED;
}

int ct_store_promises(struct ct_store *st, const struct ct_promise_filter *f, struct ct_promise_list *out)
{
	struct ct_db_stmt *q;
	struct events ev = { 0, NULL, 0, 0 };
	int ret = 0, rc;
	memset(out, 0, sizeof(*out));
	if (ct_db_prepare(st->db, "SELECT p.id, i.case_id, p.item_id, i.external_id, i.from_addr, i.from_name, i.department,"
			       " p.sentence, p.rule_id, i.date, p.due_at, coalesce(i.date_tz, 0), d.verdict, d.reason,"
			       " d.decided_by, d.decided_at, c.subject, c.customer"
			       " FROM promises p JOIN items i ON i.id = p.item_id"
			       " LEFT JOIN cases c ON c.id = i.case_id"
			       " LEFT JOIN promise_decisions d ON d.item_id = p.item_id AND d.sentence_start = p.sentence_start"
			       " WHERE i.date < ?1 AND (?2 = 0 OR i.case_id = ?2)"
			       " AND (?3 IS NULL OR lower(i.department) = lower(?3))"
			       " ORDER BY i.case_id, i.date, p.span_start", &q))
		return ct_store_sqlerr(st, "reading promises");
	ct_db_bind_int64(q, 1, f->until);
	ct_db_bind_int64(q, 2, f->case_id);
	ct_store_bind_text(q, 3, f->department);
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		CT_ALLOC_GROW(out->v, out->n + 1, out->alloc);
		struct ct_promise *p = &out->v[out->n++];
		memset(p, 0, sizeof(*p));
		p->id = ct_db_column_int64(q, 0);
		p->case_id = ct_db_column_int64(q, 1);
		p->item_id = ct_db_column_int64(q, 2);
		p->external_id = ct_store_col_strdup(q, 3);
		p->staff = ct_store_col_strdup(q, 4);
		p->staff_name = ct_store_col_strdup(q, 5);
		p->department = ct_store_col_strdup(q, 6);
		p->sentence = ct_store_col_strdup(q, 7);
		p->rule_id = ct_store_col_strdup(q, 8);
		p->made_at = ct_db_column_int64(q, 9);
		p->due_at = ct_db_column_int64(q, 10);
		p->tz = (int)ct_db_column_int64(q, 11);
		p->case_subject = ct_store_col_strdup(q, 16);
		p->customer = ct_store_col_strdup(q, 17);
		if (ev.case_id != p->case_id && load_events(st, p->case_id, f->until, &ev)) {
			ret = -1;
			break;
		}
		decide(p, &ev, f->until);
		if (!ct_db_column_is_null(q, 12)) {
			/* a person decided: the computed fulfilment still gives the lateness */
			p->verdict = verdict_from(ct_db_column_text(q, 12));
			p->manual = 1;
			p->how = "manual";
			p->reason = ct_store_col_strdup(q, 13);
			p->decided_by = ct_store_col_strdup(q, 14);
			p->decided_at = ct_db_column_int64(q, 15);
			p->decided_item = 0;
			free(p->decided_external_id);
			p->decided_external_id = NULL;
			if (p->verdict != CT_VERDICT_BROKEN) {
				p->overdue = 0;
				p->late = -1;
			} else if (p->late < 0 && !p->fulfilled_at && f->until > p->due_at) {
				p->late = f->until - p->due_at;
				p->overdue = 1;
			}
		}
	}
	if (!ret && rc != CT_DB_DONE)
		ret = ct_store_sqlerr(st, "reading promises");
	ct_db_finalize(q);
	events_clear(&ev);
	free(ev.v);
	if (ret)
		ct_promise_list_release(out);
	return ret;
}

void ct_customer_list_release(struct ct_customer_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct ct_customer_row *r = &l->v[i];
		free(r->customer);
		for (size_t k = 0; k < r->ncases; k++) {
			free(r->cases[k].subject);
			ct_strlist_clear(&r->cases[k].staff);
			ct_strlist_clear(&r->cases[k].departments);
			ct_strlist_clear(&r->cases[k].channels);
		}
		free(r->cases);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void push_once(struct ct_strlist *l, const char *s)
{
	if (s && *s && !ct_strlist_has_ci(l, s))
		ct_strlist_push(l, s);
}

int ct_store_customers(struct ct_store *st, ct_time since, ct_time until, int min, struct ct_customer_list *out)
{
	struct ct_db_stmt *q;
	int rc;
	memset(out, 0, sizeof(*out));
	/*
	 * The case's items in the period (only they count: "within one
	 * period"): staff authors, departments, channels (email, or the
	 * helpdesk system). One row per item, cases in order.
	 */
	if (ct_db_prepare(st->db, "SELECT c.id, c.customer, c.subject, c.opened_at, c.last_activity_at, c.handoffs,"
			       " i.role, i.from_addr, i.department, i.kind, i.ticket_system"
			       " FROM cases c JOIN items i ON i.case_id = c.id"
			       " WHERE c.merged_into IS NULL AND c.customer IS NOT NULL"
			       " AND c.last_activity_at >= ?1 AND c.opened_at < ?2 AND i.date >= ?1 AND i.date < ?2"
			       " ORDER BY c.customer, c.id, i.date", &q))
		return ct_store_sqlerr(st, "reading cases");
	ct_db_bind_int64(q, 1, since);
	ct_db_bind_int64(q, 2, until);
	struct ct_customer_case cur;
	char *cur_customer = NULL;
	memset(&cur, 0, sizeof(cur));
	for (;;) {
		rc = ct_db_step(q);
		int64_t id = rc == CT_DB_ROW ? ct_db_column_int64(q, 0) : 0;
		if (cur.case_id && id != cur.case_id) {
			/* the case before is complete: keep it when it crossed the line */
			if (cur.staff.n > (size_t)min || cur.departments.n > (size_t)min || cur.channels.n > (size_t)min) {
				struct ct_customer_row *row = out->n ? &out->v[out->n - 1] : NULL;
				if (!row || strcmp(row->customer, cur_customer)) {
					CT_ALLOC_GROW(out->v, out->n + 1, out->alloc);
					row = &out->v[out->n++];
					memset(row, 0, sizeof(*row));
					row->customer = ct_strdup(cur_customer);
				}
				CT_ALLOC_GROW(row->cases, row->ncases + 1, row->cases_alloc);
				row->cases[row->ncases++] = cur;
			} else {
				free(cur.subject);
				ct_strlist_clear(&cur.staff);
				ct_strlist_clear(&cur.departments);
				ct_strlist_clear(&cur.channels);
			}
			memset(&cur, 0, sizeof(cur));
			free(cur_customer);
			cur_customer = NULL;
		}
		if (rc != CT_DB_ROW)
			break;
		if (!cur.case_id) {
			cur.case_id = id;
			cur_customer = ct_store_col_strdup(q, 1);
			cur.subject = ct_store_col_strdup(q, 2);
			cur.opened_at = ct_db_column_int64(q, 3);
			cur.last_activity_at = ct_db_column_int64(q, 4);
			cur.handoffs = (int)ct_db_column_int64(q, 5);
		}
		if ((int)ct_db_column_int64(q, 6) == CT_ROLE_STAFF)
			push_once(&cur.staff, ct_db_column_text(q, 7));
		push_once(&cur.departments, ct_db_column_text(q, 8));
		if ((int)ct_db_column_int64(q, 9) == CT_ITEM_EMAIL)
			push_once(&cur.channels, "email");
		else
			push_once(&cur.channels, ct_db_column_text(q, 10));
	}
	free(cur_customer);
	ct_db_finalize(q);
	if (rc != CT_DB_DONE) {
		ct_customer_list_release(out);
		return ct_store_sqlerr(st, "reading cases");
	}
	return 0;
}
