/*
 * routing.c - derives a case's routing history from its items: the
 * departments of its items and ticket moves in time order, consecutive
 * repeats collapsed (the trail); each change is a routing event with its
 * time, actor and channel; handoffs = trail length - 1; ping-pong = a
 * department returns. Recomputed from scratch for each touched case, so items
 * arriving out of order (another mailbox, a later run) give the same answer.
 */
#include "store_p.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *closed_statuses[] = { "solved", "closed", "resolved", "rejected", "deleted" };

int ct_store_status_closed(const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(closed_statuses); i++)
		if (!strcasecmp(s, closed_statuses[i]))
			return 1;
	return 0;
}

/* One case's routing, built row by row from its items in time order. */
struct route {
	int64_t case_id;
	json_t *trail;
	char *holder, *subject, *customer, *first_dept;
	ct_time opened, last, closed;
	enum ct_sender_role last_role;
	int nitems, handoffs, ping_pong, seq;
	int last_is_ticket_close;
};

static void route_start(struct route *r, int64_t case_id)
{
	memset(r, 0, sizeof(*r));
	r->case_id = case_id;
	r->trail = json_array();
}

static void route_release(struct route *r)
{
	json_decref(r->trail);
	free(r->holder);
	free(r->subject);
	free(r->customer);
	free(r->first_dept);
	memset(r, 0, sizeof(*r));
}

/* Clears the case's routing events before they are written again. */
static int route_clear(struct ct_store *st, int64_t case_id)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_ROUTE_CLEAR, "DELETE FROM routing_events WHERE case_id = ?");
	ct_db_bind_int64(q, 1, case_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "clearing routing events");
	return 0;
}

/*
 * The item in columns col.. of q (id, kind, date, department, from_addr,
 * role, subject, ticket_status, observed), the next of its case in time order.
 */
static int route_item(struct ct_store *st, struct route *r, struct ct_db_stmt *q, int col)
{
	int64_t item_id = ct_db_column_int64(q, col);
	enum ct_item_kind kind = (enum ct_item_kind)(int)ct_db_column_int64(q, col + 1);
	ct_time date = ct_db_column_int64(q, col + 2);
	const char *dept = ct_db_column_text(q, col + 3);
	const char *from = ct_db_column_text(q, col + 4);
	enum ct_sender_role role = (enum ct_sender_role)(int)ct_db_column_int64(q, col + 5);
	const char *status = ct_db_column_text(q, col + 7);
	int observed = (int)ct_db_column_int64(q, col + 8);

	if (!r->nitems) {
		r->opened = date;
		if (kind != CT_ITEM_TICKET_MOVE)
			r->subject = ct_store_col_strdup(q, col + 6);
	}
	if (!r->subject && kind != CT_ITEM_TICKET_MOVE)
		r->subject = ct_store_col_strdup(q, col + 6);
	if (!r->customer && role == CT_ROLE_CUSTOMER && from && *from)
		r->customer = ct_strdup(from);
	r->nitems++;
	r->last = date;
	if (kind != CT_ITEM_TICKET_MOVE)
		r->last_role = role;
	if (kind != CT_ITEM_EMAIL && status) {
		r->last_is_ticket_close = ct_store_status_closed(status);
		if (r->last_is_ticket_close)
			r->closed = date;
	} else if (kind == 0 && role == 1) {
		r->last_is_ticket_close = 0; /* the customer wrote again */
	}

	if (!dept || !*dept)
		return 0;
	if (r->holder && !strcmp(r->holder, dept))
		return 0;
	if (r->holder) {
		struct ct_db_stmt *ins = ct_store_stmt(st, ST_ROUTE_INSERT,
			"INSERT INTO routing_events(case_id, seq, at, from_department,"
			" to_department, via, actor, item_id, observed) VALUES (?,?,?,?,?,?,?,?,?)");
		ct_db_bind_int64(ins, 1, r->case_id);
		ct_db_bind_int64(ins, 2, ++r->seq);
		ct_db_bind_int64(ins, 3, date);
		ct_store_bind_text(ins, 4, r->holder);
		ct_store_bind_text(ins, 5, dept);
		ct_store_bind_text(ins, 6, kind == 0 ? "email" : "ticket");
		ct_store_bind_text(ins, 7, from && *from ? from : NULL);
		ct_db_bind_int64(ins, 8, item_id);
		ct_db_bind_int64(ins, 9, observed);
		if (ct_db_queue(ins))
			return ct_store_sqlerr(st, "writing a routing event");
		r->handoffs++;
	}
	for (size_t i = 0; i < json_array_size(r->trail); i++)
		if (!strcmp(json_string_value(json_array_get(r->trail, i)), dept))
			r->ping_pong = 1;
	json_array_append_new(r->trail, json_string(dept));
	free(r->holder);
	r->holder = ct_strdup(dept);
	if (!r->first_dept)
		r->first_dept = ct_strdup(dept);
	return 0;
}

/*
 * Writes the case row from its items and the latest manual close or reopen
 * of it (action NULL for none, at its time). A close holds until someone
 * writes after it; a reopen sets aside a ticket closed before it, and the
 * inactivity clock starts again.
 */
static int route_finish(struct ct_store *st, struct route *r, const char *action, ct_time at)
{
	ct_time manual_close = 0, reopened = 0, closed = r->closed;
	if (action) {
		if (!strcmp(action, "case-close"))
			manual_close = at >= r->last ? at : 0;
		else
			reopened = at;
	}
	const char *close_reason = NULL;
	if (manual_close) {
		closed = manual_close;
		close_reason = "manual";
	} else if (r->last_is_ticket_close && closed && !(reopened && closed <= reopened)) {
		close_reason = "ticket-closed";
	} else {
		closed = 0;
	}
	char *trail_s = json_dumps(r->trail, JSON_COMPACT);
	struct ct_db_stmt *q = ct_store_stmt(st, ST_ROUTE_CASE,
		"UPDATE cases SET subject = coalesce(?2, subject), customer = ?3, opened_at = ?4,"
		" last_activity_at = ?5, last_role = ?6, closed_at = ?7, trail = ?8,"
		" first_department = ?9, last_department = ?10, handoffs = ?11, ping_pong = ?12,"
		" item_count = ?13, close_reason = ?14, reopened_at = ?15 WHERE id = ?1");
	ct_db_bind_int64(q, 1, r->case_id);
	ct_store_bind_text(q, 2, r->subject);
	ct_store_bind_text(q, 3, r->customer);
	ct_db_bind_int64(q, 4, r->opened);
	ct_db_bind_int64(q, 5, r->last);
	ct_db_bind_int64(q, 6, r->last_role);
	if (closed)
		ct_db_bind_int64(q, 7, closed);
	ct_store_bind_text(q, 14, close_reason);
	if (reopened)
		ct_db_bind_int64(q, 15, reopened);
	ct_store_bind_text(q, 8, trail_s);
	ct_store_bind_text(q, 9, r->first_dept);
	ct_store_bind_text(q, 10, r->holder);
	ct_db_bind_int64(q, 11, r->handoffs);
	ct_db_bind_int64(q, 12, r->ping_pong);
	ct_db_bind_int64(q, 13, r->nitems);
	int rc = ct_db_queue(q);
	free(trail_s);
	return rc ? ct_store_sqlerr(st, "updating a case") : 0;
}

int ct_store_route_case(struct ct_store *st, int64_t case_id)
{
	struct route r;
	int rc, ret = -1;
	if (route_clear(st, case_id))
		return -1;
	route_start(&r, case_id);
	struct ct_db_stmt *q = ct_store_stmt(st, ST_ROUTE_ITEMS,
		"SELECT id, kind, date, department, from_addr, role, subject, ticket_status, observed"
		" FROM items WHERE case_id = ? ORDER BY date, id");
	ct_db_bind_int64(q, 1, case_id);
	while ((rc = ct_db_step(q)) == CT_DB_ROW)
		if (route_item(st, &r, q, 0))
			goto out;
	if (rc != CT_DB_DONE) {
		ct_store_sqlerr(st, "reading a case's items");
		goto out;
	}
	q = ct_store_stmt(st, ST_ROUTE_DECISION,
		"SELECT d.action, d.at FROM decisions d JOIN items i ON i.external_id = d.item"
		" WHERE i.case_id = ? AND d.action IN ('case-close', 'case-reopen') ORDER BY d.id DESC LIMIT 1");
	ct_db_bind_int64(q, 1, case_id);
	char *action = NULL;
	ct_time at = 0;
	if (ct_db_step(q) == CT_DB_ROW) {
		action = ct_store_col_strdup(q, 0);
		at = ct_db_column_int64(q, 1);
	}
	ct_db_reset(q);
	ret = route_finish(st, &r, action, at);
	free(action);
out:
	route_release(&r);
	return ret;
}

/* The case ids as a JSON array. */
static char *json_ids(const int64_t *ids, size_t n)
{
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addch(&b, '[');
	for (size_t i = 0; i < n; i++)
		ct_buf_addf(&b, "%s%lld", i ? "," : "", (long long)ids[i]);
	ct_buf_addch(&b, ']');
	return ct_buf_detach(&b, NULL);
}

struct latest {
	int64_t case_id;
	char *action;
	ct_time at;
};

int ct_store_route_cases(struct ct_store *st, const int64_t *ids, size_t n)
{
	if (ct_db_kind(st->db) != CT_DB_POSTGRES) {
		for (size_t i = 0; i < n; i++)
			if ((!i || ids[i] != ids[i - 1]) && ct_store_route_case(st, ids[i]))
				return -1;
		return 0;
	}
	/* PostgreSQL: the items and decisions of all n cases in two queries, not 2n round trips. */
	struct latest *dec = NULL;
	size_t ndec = 0, adec = 0;
	struct ct_db_stmt *q = NULL;
	struct route r;
	int ret = -1, rc;
	char *list = json_ids(ids, n);
	route_start(&r, 0);
	for (size_t i = 0; i < n; i++)
		if ((!i || ids[i] != ids[i - 1]) && route_clear(st, ids[i]))
			goto out;
	q = ct_store_stmt(st, ST_ROUTE_BATCH_DEC,
		"SELECT i.case_id, d.action, d.at FROM decisions d JOIN items i ON i.external_id = d.item"
		" WHERE i.case_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
		" AND d.action IN ('case-close', 'case-reopen') ORDER BY i.case_id, d.id DESC");
	ct_db_bind_text_static(q, 1, list);
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		int64_t c = ct_db_column_int64(q, 0);
		if (ndec && dec[ndec - 1].case_id == c)
			continue;   /* the latest came first */
		CT_ALLOC_GROW(dec, ndec + 1, adec);
		dec[ndec].case_id = c;
		dec[ndec].action = ct_store_col_strdup(q, 1);
		dec[ndec].at = ct_db_column_int64(q, 2);
		ndec++;
	}
	ct_db_reset(q);
	if (rc != CT_DB_DONE)
		goto sqlerr;
	q = ct_store_stmt(st, ST_ROUTE_BATCH_ITEMS,
		"SELECT case_id, id, kind, date, department, from_addr, role, subject, ticket_status, observed"
		" FROM items WHERE case_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))"
		" ORDER BY case_id, date, id");
	ct_db_bind_text_static(q, 1, list);
	rc = ct_db_step(q);
	size_t d = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		route_release(&r);
		route_start(&r, ids[i]);
		for (; rc == CT_DB_ROW && ct_db_column_int64(q, 0) <= ids[i]; rc = ct_db_step(q))
			if (ct_db_column_int64(q, 0) == ids[i] && route_item(st, &r, q, 1))
				goto out;
		if (rc != CT_DB_ROW && rc != CT_DB_DONE)
			goto sqlerr;
		while (d < ndec && dec[d].case_id < ids[i])
			d++;
		int has = d < ndec && dec[d].case_id == ids[i];
		if (route_finish(st, &r, has ? dec[d].action : NULL, has ? dec[d].at : 0))
			goto out;
	}
	ret = 0;
	goto out;
sqlerr:
	ct_store_sqlerr(st, "reading the items of the cases a batch touched");
out:
	if (q)
		ct_db_reset(q);
	route_release(&r);
	for (size_t i = 0; i < ndec; i++)
		free(dec[i].action);
	free(dec);
	free(list);
	return ret;
}
