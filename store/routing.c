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

int ct_store_route_case(struct ct_store *st, int64_t case_id)
{
	struct ct_db_stmt *q;
	json_t *trail = json_array();
	char *holder = NULL, *subject = NULL, *customer = NULL, *first_dept = NULL;
	ct_time opened = 0, last = 0, closed = 0;
	enum ct_sender_role last_role = CT_ROLE_UNKNOWN;
	int nitems = 0, handoffs = 0, ping_pong = 0, seq = 0, ret = -1;
	int last_is_ticket_close = 0;

	q = ct_store_stmt(st, ST_ROUTE_CLEAR, "DELETE FROM routing_events WHERE case_id = ?");
	ct_db_bind_int64(q, 1, case_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "clearing routing events");

	q = ct_store_stmt(st, ST_ROUTE_ITEMS,
		"SELECT id, kind, date, department, from_addr, role, subject, ticket_status, observed"
		" FROM items WHERE case_id = ? ORDER BY date, id");
	ct_db_bind_int64(q, 1, case_id);
	struct ct_db_stmt *ins = NULL;
	int rc;
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		int64_t item_id = ct_db_column_int64(q, 0);
		enum ct_item_kind kind = (enum ct_item_kind)(int)ct_db_column_int64(q, 1);
		ct_time date = ct_db_column_int64(q, 2);
		const char *dept = ct_db_column_text(q, 3);
		const char *from = ct_db_column_text(q, 4);
		enum ct_sender_role role = (enum ct_sender_role)(int)ct_db_column_int64(q, 5);
		const char *status = ct_db_column_text(q, 7);
		int observed = (int)ct_db_column_int64(q, 8);

		if (!nitems) {
			opened = date;
			if (kind != CT_ITEM_TICKET_MOVE)
				subject = ct_store_col_strdup(q, 6);
		}
		if (!subject && kind != CT_ITEM_TICKET_MOVE)
			subject = ct_store_col_strdup(q, 6);
		if (!customer && role == CT_ROLE_CUSTOMER && from && *from)
			customer = ct_strdup(from);
		nitems++;
		last = date;
		if (kind != CT_ITEM_TICKET_MOVE)
			last_role = role;
		if (kind != CT_ITEM_EMAIL && status) {
			last_is_ticket_close = ct_store_status_closed(status);
			if (last_is_ticket_close)
				closed = date;
		} else if (kind == 0 && role == 1) {
			last_is_ticket_close = 0; /* the customer wrote again */
		}

		if (!dept || !*dept)
			continue;
		if (holder && !strcmp(holder, dept))
			continue;
		if (holder) {
			if (!ins)
				ins = ct_store_stmt(st, ST_ROUTE_INSERT,
					"INSERT INTO routing_events(case_id, seq, at, from_department,"
					" to_department, via, actor, item_id, observed) VALUES (?,?,?,?,?,?,?,?,?)");
			else
				ct_db_reset(ins);
			ct_db_bind_int64(ins, 1, case_id);
			ct_db_bind_int64(ins, 2, ++seq);
			ct_db_bind_int64(ins, 3, date);
			ct_store_bind_text(ins, 4, holder);
			ct_store_bind_text(ins, 5, dept);
			ct_store_bind_text(ins, 6, kind == 0 ? "email" : "ticket");
			ct_store_bind_text(ins, 7, from && *from ? from : NULL);
			ct_db_bind_int64(ins, 8, item_id);
			ct_db_bind_int64(ins, 9, observed);
			if (ct_db_queue(ins)) {
				ct_store_sqlerr(st, "writing a routing event");
				goto out;
			}
			handoffs++;
		}
		for (size_t i = 0; i < json_array_size(trail); i++)
			if (!strcmp(json_string_value(json_array_get(trail, i)), dept))
				ping_pong = 1;
		json_array_append_new(trail, json_string(dept));
		free(holder);
		holder = ct_strdup(dept);
		if (!first_dept)
			first_dept = ct_strdup(dept);
	}
	if (rc != CT_DB_DONE) {
		ct_store_sqlerr(st, "reading a case's items");
		goto out;
	}
	/*
	 * A manual close or reopen (the latest of them about an item of this
	 * case). A close holds until someone writes after it; a reopen sets
	 * aside a ticket closed before it, and the inactivity clock starts again.
	 */
	ct_time manual_close = 0, reopened = 0;
	q = ct_store_stmt(st, ST_ROUTE_DECISION,
		"SELECT d.action, d.at FROM decisions d JOIN items i ON i.external_id = d.item"
		" WHERE i.case_id = ? AND d.action IN ('case-close', 'case-reopen') ORDER BY d.id DESC LIMIT 1");
	ct_db_bind_int64(q, 1, case_id);
	if (ct_db_step(q) == CT_DB_ROW) {
		ct_time at = ct_db_column_int64(q, 1);
		if (!strcmp(ct_db_column_text(q, 0), "case-close"))
			manual_close = at >= last ? at : 0;
		else
			reopened = at;
	}
	ct_db_reset(q);
	const char *close_reason = NULL;
	if (manual_close) {
		closed = manual_close;
		close_reason = "manual";
	} else if (last_is_ticket_close && closed && !(reopened && closed <= reopened)) {
		close_reason = "ticket-closed";
	} else {
		closed = 0;
	}
	char *trail_s = json_dumps(trail, JSON_COMPACT);
	q = ct_store_stmt(st, ST_ROUTE_CASE,
		"UPDATE cases SET subject = coalesce(?2, subject), customer = ?3, opened_at = ?4,"
		" last_activity_at = ?5, last_role = ?6, closed_at = ?7, trail = ?8,"
		" first_department = ?9, last_department = ?10, handoffs = ?11, ping_pong = ?12,"
		" item_count = ?13, close_reason = ?14, reopened_at = ?15 WHERE id = ?1");
	ct_db_bind_int64(q, 1, case_id);
	ct_store_bind_text(q, 2, subject);
	ct_store_bind_text(q, 3, customer);
	ct_db_bind_int64(q, 4, opened);
	ct_db_bind_int64(q, 5, last);
	ct_db_bind_int64(q, 6, last_role);
	if (closed)
		ct_db_bind_int64(q, 7, closed);
	ct_store_bind_text(q, 14, close_reason);
	if (reopened)
		ct_db_bind_int64(q, 15, reopened);
	ct_store_bind_text(q, 8, trail_s);
	ct_store_bind_text(q, 9, first_dept);
	ct_store_bind_text(q, 10, holder);
	ct_db_bind_int64(q, 11, handoffs);
	ct_db_bind_int64(q, 12, ping_pong);
	ct_db_bind_int64(q, 13, nitems);
	rc = ct_db_queue(q) ? -1 : CT_DB_DONE;
	free(trail_s);
	if (rc != CT_DB_DONE) {
		ct_store_sqlerr(st, "updating a case");
		goto out;
	}
	ret = 0;
out:
	json_decref(trail);
	free(holder);
	free(subject);
	free(customer);
	free(first_dept);
	return ret;
}
