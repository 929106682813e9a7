/* cases.c - reading cases for `cases` and `case show`. */
#include "store_p.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


void ct_case_release(struct ct_case *c)
{
	free(c->subject);
	free(c->customer);
	ct_strlist_clear(&c->departments);
	for (size_t i = 0; i < c->ntagc; i++)
		free(c->tagc[i].category);
	free(c->tagc);
	for (size_t i = 0; i < c->nitems; i++) {
		struct ct_case_item *it = &c->items[i];
		free(it->external_id);
		free(it->from);
		free(it->from_name);
		free(it->department);
		free(it->subject);
		free(it->body);
		free(it->link_reason);
		free(it->link_detail);
		free(it->warnings);
		ct_strlist_clear(&it->mailboxes);
		for (size_t j = 0; j < it->ntags; j++) {
			free(it->tags[j].category);
			free(it->tags[j].rule_id);
			free(it->tags[j].snippet);
		}
		free(it->tags);
	}
	free(c->items);
	ct_store_routing_free(c->routing, c->nrouting);
	for (size_t i = 0; i < c->nmerges; i++) {
		free(c->merges[i].reason);
		free(c->merges[i].detail);
	}
	free(c->merges);
	free(c->follow_ups);
	for (size_t i = 0; i < c->ndecisions; i++)
		ct_decision_release(&c->decisions[i]);
	free(c->decisions);
	if (c->promises) {
		ct_promise_list_release(c->promises);
		free(c->promises);
	}
	memset(c, 0, sizeof(*c));
}

void ct_case_state_at(ct_time t, ct_time opened_at, ct_time last_activity_at, int last_role,
		      ct_time closed_at, const char *close_reason, ct_time reopened_at,
		      int close_after_days, struct ct_case_state *out)
{
	memset(out, 0, sizeof(*out));
	if (close_after_days <= 0)
		close_after_days = 30;
	if (opened_at >= t) {
		out->close_reason = NULL;
		return;
	}
	if (closed_at && closed_at <= t && close_reason) {
		out->close_reason = !strcmp(close_reason, CT_CLOSED_MANUAL) ? CT_CLOSED_MANUAL : CT_CLOSED_TICKET;
		out->closed_at = closed_at;
		return;
	}
	/*
	 * Inactive: nobody wrote for close_after days before t. Activity after t
	 * is not known at t, so a case active later counts from the last
	 * activity the store has only when that is before t.
	 */
	ct_time ref = last_activity_at > reopened_at ? last_activity_at : reopened_at;
	ct_time quiet_end = ref + (ct_time)close_after_days * 86400;
	if (ref < t && quiet_end <= t) {
		out->close_reason = CT_CLOSED_INACTIVE;
		out->closed_at = quiet_end;
		return;
	}
	out->open = 1;
	out->waiting_on = last_role == CT_ROLE_STAFF ? CT_WAITING_CUSTOMER : CT_WAITING_STAFF;
}

void ct_case_state_label(const struct ct_case_state *s, char out[48])
{
	if (s->open)
		snprintf(out, 48, "open (waiting on %s)", s->waiting_on ? s->waiting_on : CT_WAITING_STAFF);
	else
		snprintf(out, 48, "closed (%s)", s->close_reason ? s->close_reason : CT_CLOSED_INACTIVE);
}

static void tagc_add(struct ct_case *c, const char *cat)
{
	for (size_t i = 0; i < c->ntagc; i++)
		if (!strcmp(c->tagc[i].category, cat)) {
			c->tagc[i].n++;
			return;
		}
	CT_ALLOC_GROW(c->tagc, c->ntagc + 1, c->tagc_alloc);
	c->tagc[c->ntagc].category = ct_strdup(cat);
	c->tagc[c->ntagc].n = 1;
	c->ntagc++;
}

static int cmp_tagc(const void *a, const void *b)
{
	return strcmp(((const struct ct_tag_count *)a)->category, ((const struct ct_tag_count *)b)->category);
}

#define CASE_COLS "id, subject, customer, opened_at, last_activity_at, closed_at, last_role, trail, handoffs," \
	" ping_pong, close_reason, reopened_at, follow_up_of"

static void fill_case_row(struct ct_store *st, struct ct_db_stmt *q, struct ct_case *c, ct_time now)
{
	c->id = ct_db_column_int64(q, 0);
	c->subject = ct_store_col_strdup(q, 1);
	c->customer = ct_store_col_strdup(q, 2);
	c->opened_at = ct_db_column_int64(q, 3);
	c->last_activity_at = ct_db_column_int64(q, 4);
	c->closed_at = ct_db_column_is_null(q, 5) ? 0 : ct_db_column_int64(q, 5);
	int last_role = (int)ct_db_column_int64(q, 6);
	ct_case_state_at(now, c->opened_at, c->last_activity_at, last_role, c->closed_at,
			 ct_db_column_text(q, 10), ct_db_column_int64(q, 11),
			 st->opt.close_after_days, &c->state);
	c->open = c->state.open;
	c->closed_at = c->state.open ? 0 : c->state.closed_at;
	c->follow_up_of = ct_db_column_int64(q, 12);
	if (c->follow_up_of)
		c->follow_up_of = ct_store_resolve_case(st, c->follow_up_of);
	json_t *t = json_loads(ct_db_column_text(q, 7), 0, NULL);
	for (size_t i = 0; t && i < json_array_size(t); i++)
		ct_strlist_push(&c->departments, json_string_value(json_array_get(t, i)));
	json_decref(t);
	c->handoffs = (int)ct_db_column_int64(q, 8);
	c->ping_pong = (int)ct_db_column_int64(q, 9);
}

/* Loads items (with tags and mailboxes) of c; with_body adds bodies. */
static int load_items(struct ct_store *st, struct ct_case *c, int with_body)
{
	struct ct_db_stmt *qi = ct_store_stmt(st, ST_CASE_ITEMS,
		"SELECT i.id, i.kind, i.external_id, i.date, i.from_addr, i.from_name, i.department,"
		" i.subject, i.link_reason, i.link_detail, i.warnings, i.body"
		" FROM items i WHERE i.case_id = ?"
		" ORDER BY i.date, i.id");
	ct_db_bind_int64(qi, 1, c->id);
	int rc;
	while ((rc = ct_db_step(qi)) == CT_DB_ROW) {
		CT_ALLOC_GROW(c->items, c->nitems + 1, c->items_alloc);
		struct ct_case_item *it = &c->items[c->nitems++];
		memset(it, 0, sizeof(*it));
		it->id = ct_db_column_int64(qi, 0);
		it->kind = (enum ct_item_kind)(int)ct_db_column_int64(qi, 1);
		it->external_id = ct_store_col_strdup(qi, 2);
		it->date = ct_db_column_int64(qi, 3);
		it->from = ct_store_col_strdup(qi, 4);
		it->from_name = ct_store_col_strdup(qi, 5);
		it->department = ct_store_col_strdup(qi, 6);
		it->subject = ct_store_col_strdup(qi, 7);
		it->link_reason = ct_store_col_strdup(qi, 8);
		it->link_detail = ct_store_col_strdup(qi, 9);
		it->warnings = ct_store_col_strdup(qi, 10);
		if (with_body)
			it->body = ct_store_col_strdup(qi, 11);
	}
	if (rc != CT_DB_DONE)
		return ct_store_sqlerr(st, "reading a case's items");
	ct_db_reset(qi);
	for (size_t i = 0; i < c->nitems; i++) {
		struct ct_case_item *it = &c->items[i];
		struct ct_db_stmt *qt = ct_store_stmt(st, ST_CASE_TAGS,
			"SELECT category, rule_id, snippet, span_start, span_end FROM tags WHERE item_id = ?"
			" ORDER BY span_start, id");
		ct_db_bind_int64(qt, 1, it->id);
		struct ct_strlist cats = CT_STRLIST_INIT;
		while (ct_db_step(qt) == CT_DB_ROW) {
			CT_ALLOC_GROW(it->tags, it->ntags + 1, it->tags_alloc);
			struct ct_case_tag *t = &it->tags[it->ntags++];
			t->category = ct_store_col_strdup(qt, 0);
			t->rule_id = ct_store_col_strdup(qt, 1);
			t->snippet = ct_store_col_strdup(qt, 2);
			t->start = (size_t)ct_db_column_int64(qt, 3);
			t->end = (size_t)ct_db_column_int64(qt, 4);
			if (!ct_strlist_has(&cats, t->category)) {
				ct_strlist_push(&cats, t->category);
				tagc_add(c, t->category);
			}
		}
		ct_db_reset(qt);
		ct_strlist_clear(&cats);
		struct ct_db_stmt *qm = ct_store_stmt(st, ST_CASE_MAILBOXES,
			"SELECT DISTINCT department FROM item_mailboxes WHERE item_id = ? AND department <> ''"
			" ORDER BY department");
		ct_db_bind_int64(qm, 1, it->id);
		while (ct_db_step(qm) == CT_DB_ROW)
			ct_strlist_push(&it->mailboxes, ct_db_column_text(qm, 0));
		ct_db_reset(qm);
	}
	if (c->ntagc)
		qsort(c->tagc, c->ntagc, sizeof(*c->tagc), cmp_tagc);
	return 0;
}

int ct_store_list_cases(struct ct_store *st, const struct ct_case_filter *f,
			int (*cb)(const struct ct_case *c, void *data), void *data)
{
	struct ct_db_stmt *q;
	ct_time now = (ct_time)time(NULL);
	int rc, ret = 0;
	if (ct_db_prepare(st->db,
		"SELECT " CASE_COLS " FROM cases c WHERE merged_into IS NULL AND item_count > 0"
		" AND (?1 IS NULL OR EXISTS (SELECT 1 FROM items i JOIN tags t ON t.item_id = i.id"
		"      WHERE i.case_id = c.id AND t.category = ?1))"
		" AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.trail) WHERE value = ?2))"
		" AND (?3 = 0 OR last_activity_at >= ?3) AND (?4 = 0 OR opened_at < ?4)"
		" AND handoffs >= ?5 AND (?6 = 0 OR ping_pong = 1)"
		" ORDER BY last_activity_at DESC, id DESC", &q))
		return ct_store_sqlerr(st, "listing cases");
	ct_store_bind_text(q, 1, f ? f->tag : NULL);
	ct_store_bind_text(q, 2, f ? f->department : NULL);
	ct_db_bind_int64(q, 3, f ? f->since : 0);
	ct_db_bind_int64(q, 4, f ? f->until : 0);
	ct_db_bind_int64(q, 5, f ? f->min_handoffs : 0);
	ct_db_bind_int64(q, 6, f ? f->ping_pong_only : 0);
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		struct ct_case c;
		memset(&c, 0, sizeof(c));
		fill_case_row(st, q, &c, now);
		if (f && f->open_only && !c.open) {
			ct_case_release(&c);
			continue;
		}
		if (load_items(st, &c, 0)) {
			ct_case_release(&c);
			ret = -1;
			break;
		}
		int stop = cb(&c, data);
		ct_case_release(&c);
		if (stop) {
			ret = stop < 0 ? -1 : 0;
			break;
		}
	}
	if (!ret && rc != CT_DB_DONE && rc != CT_DB_ROW)
		ret = ct_store_sqlerr(st, "listing cases");
	ct_db_finalize(q);
	return ret;
}

int64_t ct_store_resolve_case(struct ct_store *st, int64_t id)
{
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, "SELECT merged_into FROM cases WHERE id = ?", &q))
		return id;
	for (int hops = 0; hops < 64; hops++) {
		ct_db_reset(q);
		ct_db_bind_int64(q, 1, id);
		if (ct_db_step(q) != CT_DB_ROW || ct_db_column_is_null(q, 0))
			break;
		id = ct_db_column_int64(q, 0);
	}
	ct_db_finalize(q);
	return id;
}

/* Copies a decision into the case (ct_store_list_decisions callback). */
static int add_decision(const struct ct_decision *d, void *data)
{
	struct ct_case *c = data;
	CT_ALLOC_GROW(c->decisions, c->ndecisions + 1, c->decisions_alloc);
	ct_decision_copy(&c->decisions[c->ndecisions++], d);
	return 0;
}

int ct_store_get_case(struct ct_store *st, int64_t id, struct ct_case *c)
{
	struct ct_db_stmt *q;
	memset(c, 0, sizeof(*c));
	id = ct_store_resolve_case(st, id);
	if (ct_db_prepare(st->db, "SELECT " CASE_COLS " FROM cases WHERE id = ?", &q))
		return ct_store_sqlerr(st, "reading a case");
	ct_db_bind_int64(q, 1, id);
	int rc = ct_db_step(q);
	if (rc != CT_DB_ROW) {
		ct_db_finalize(q);
		return rc == CT_DB_DONE ? 1 : ct_store_sqlerr(st, "reading a case");
	}
	fill_case_row(st, q, c, (ct_time)time(NULL));
	ct_db_finalize(q);
	if (load_items(st, c, 1))
		goto fail;
	if (ct_db_prepare(st->db, "SELECT at, from_department, to_department, via, actor, observed FROM routing_events"
			       " WHERE case_id = ? ORDER BY seq", &q)) {
		ct_store_sqlerr(st, "reading routing events");
		goto fail;
	}
	ct_db_bind_int64(q, 1, id);
	while (ct_db_step(q) == CT_DB_ROW) {
		CT_ALLOC_GROW(c->routing, c->nrouting + 1, c->routing_alloc);
		struct ct_routing_event *e = &c->routing[c->nrouting++];
		ct_store_routing_from_row(q, 0, e);
	}
	ct_db_finalize(q);
	if (ct_db_prepare(st->db, "SELECT from_case, reason, detail, at FROM case_merges WHERE into_case = ? ORDER BY id", &q)) {
		ct_store_sqlerr(st, "reading merges");
		goto fail;
	}
	ct_db_bind_int64(q, 1, id);
	while (ct_db_step(q) == CT_DB_ROW) {
		CT_ALLOC_GROW(c->merges, c->nmerges + 1, c->merges_alloc);
		struct ct_case_merge *m = &c->merges[c->nmerges++];
		m->from_case = ct_db_column_int64(q, 0);
		m->reason = ct_store_col_strdup(q, 1);
		m->detail = ct_store_col_strdup(q, 2);
		m->at = ct_db_column_int64(q, 3);
	}
	ct_db_finalize(q);
	if (ct_db_prepare(st->db, "SELECT id FROM cases WHERE follow_up_of = ? AND merged_into IS NULL ORDER BY id", &q)) {
		ct_store_sqlerr(st, "reading follow-ups");
		goto fail;
	}
	ct_db_bind_int64(q, 1, id);
	while (ct_db_step(q) == CT_DB_ROW) {
		CT_ALLOC_GROW(c->follow_ups, c->nfollow_ups + 1, c->follow_ups_alloc);
		c->follow_ups[c->nfollow_ups++] = ct_db_column_int64(q, 0);
	}
	ct_db_finalize(q);
	if (ct_store_list_decisions(st, id, add_decision, c))
		goto fail;
	c->promises = ct_calloc(1, sizeof(*c->promises));
	struct ct_promise_filter pf = { c->id, NULL, (ct_time)time(NULL) + 1 };
	if (ct_store_promises(st, &pf, c->promises))
		goto fail;
	return 0;
fail:
	ct_case_release(c);
	return -1;
}

int64_t ct_store_case_of(struct ct_store *st, const char *external_id)
{
	struct ct_db_stmt *q;
	int64_t id = 0;
	if (ct_db_prepare(st->db, "SELECT case_id FROM items WHERE external_id = ?", &q))
		return 0;
	ct_store_bind_text(q, 1, external_id);
	if (ct_db_step(q) == CT_DB_ROW)
		id = ct_db_column_int64(q, 0);
	ct_db_finalize(q);
	return id ? ct_store_resolve_case(st, id) : 0;
}

int ct_store_departments(struct ct_store *st, struct ct_strlist *out)
{
	struct ct_db_stmt *q;
	int rc;
	if (ct_db_prepare(st->db, "SELECT DISTINCT j.value FROM cases c, json_each(c.trail) j"
			       " WHERE j.value IS NOT NULL ORDER BY 1", &q))
		return ct_store_sqlerr(st, "listing departments");
	while ((rc = ct_db_step(q)) == CT_DB_ROW)
		ct_strlist_push(out, ct_db_column_text(q, 0));
	ct_db_finalize(q);
	return rc == CT_DB_DONE ? 0 : ct_store_sqlerr(st, "listing departments");
}

void ct_store_routing_from_row(struct ct_db_stmt *q, int col, struct ct_routing_event *e)
{
	e->at = ct_db_column_int64(q, col);
	e->from_department = ct_store_col_strdup(q, col + 1);
	e->to_department = ct_store_col_strdup(q, col + 2);
	e->via = ct_store_col_strdup(q, col + 3);
	e->actor = ct_store_col_strdup(q, col + 4);
	e->observed = (int)ct_db_column_int64(q, col + 5);
}

void ct_store_routing_free(struct ct_routing_event *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].from_department);
		free(v[i].to_department);
		free(v[i].via);
		free(v[i].actor);
	}
	free(v);
}
