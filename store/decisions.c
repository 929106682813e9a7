/*
 * decisions.c - corrections that stick. Manual decisions (a tag dismissed or
 * confirmed, a case closed, reopened, merged or split, an item's department
 * set by hand) are kept with who, when and why, and applied again after
 * every ingest, classify and recompute, so nothing the pipeline redoes
 * undoes them. Recomputation brings the departments and roles of stored
 * items up to date with the configuration, from what the store keeps (the
 * mailboxes an item was found in, its addresses, its ticket group), without
 * reading any mail again.
 */
#include "store_p.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ct_decision_release(struct ct_decision *d)
{
	free(d->action);
	free(d->item);
	free(d->category);
	free(d->value);
	free(d->by);
	free(d->reason);
	ct_strlist_clear(&d->items);
	memset(d, 0, sizeof(*d));
}

void ct_decision_copy(struct ct_decision *o, const struct ct_decision *d)
{
	memset(o, 0, sizeof(*o));
	o->id = d->id;
	o->action = ct_strdup(d->action);
	o->item = ct_strdup(d->item);
	o->category = ct_strdup(d->category);
	o->value = ct_strdup(d->value);
	o->by = ct_strdup(d->by);
	o->reason = ct_strdup(d->reason);
	o->at = d->at;
	o->superseded = d->superseded;
	for (size_t i = 0; i < d->items.n; i++)
		ct_strlist_push(&o->items, d->items.v[i]);
}

static int is_action(const char *a)
{
	static const char *const known[] = { "tag-dismiss", "tag-confirm", "case-close", "case-reopen",
					     "case-merge", "case-split", "item-department" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(known); i++)
		if (!strcmp(a, known[i]))
			return 1;
	return 0;
}

/* ---- meta ---- */

char *ct_store_meta_get(struct ct_store *st, const char *key)
{
	struct ct_db_stmt *q;
	char *v = NULL;
	if (ct_db_prepare(st->db, "SELECT value FROM meta WHERE key = ?", &q))
		return NULL;
	ct_store_bind_text(q, 1, key);
	if (ct_db_step(q) == CT_DB_ROW)
		v = ct_store_col_strdup(q, 0);
	ct_db_finalize(q);
	return v;
}

int ct_store_meta_set(struct ct_store *st, const char *key, const char *value)
{
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, "INSERT INTO meta(key, value) VALUES (?, ?)"
			       " ON CONFLICT (key) DO UPDATE SET value = excluded.value", &q))
		return ct_store_sqlerr(st, "writing meta");
	ct_store_bind_text(q, 1, key);
	ct_store_bind_text(q, 2, value);
	int rc = ct_db_step(q);
	ct_db_finalize(q);
	return rc == CT_DB_DONE ? 0 : ct_store_sqlerr(st, "writing meta");
}

/* ---- items and cases by external id ---- */

/* Row id and case of the item with this external id; 0 when there is none. */
static int64_t item_by_ext(struct ct_store *st, const char *ext, int64_t *case_id)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_DEC_ITEM, "SELECT id, case_id FROM items WHERE external_id = ?");
	int64_t id = 0;
	ct_store_bind_text(q, 1, ext);
	if (ct_db_step(q) == CT_DB_ROW) {
		id = ct_db_column_int64(q, 0);
		if (case_id)
			*case_id = ct_db_column_is_null(q, 1) ? 0
				 : ct_store_resolve_case(st, ct_db_column_int64(q, 1));
	}
	ct_db_reset(q);
	return id;
}

char *ct_store_case_anchor(struct ct_store *st, int64_t case_id)
{
	struct ct_db_stmt *q;
	char *ext = NULL;
	if (ct_db_prepare(st->db, "SELECT external_id FROM items WHERE case_id = ? ORDER BY date, id LIMIT 1", &q))
		return NULL;
	ct_db_bind_int64(q, 1, ct_store_resolve_case(st, case_id));
	if (ct_db_step(q) == CT_DB_ROW)
		ext = ct_store_col_strdup(q, 0);
	ct_db_finalize(q);
	return ext;
}

int ct_store_item_tags(struct ct_store *st, const char *external_id, struct ct_strlist *out)
{
	struct ct_db_stmt *q;
	int rc;
	if (ct_db_prepare(st->db, "SELECT DISTINCT t.category FROM tags t JOIN items i ON i.id = t.item_id"
			       " WHERE i.external_id = ? ORDER BY 1", &q))
		return ct_store_sqlerr(st, "reading tags");
	ct_store_bind_text(q, 1, external_id);
	while ((rc = ct_db_step(q)) == CT_DB_ROW)
		ct_strlist_push(out, ct_db_column_text(q, 0));
	ct_db_finalize(q);
	return rc == CT_DB_DONE ? 0 : ct_store_sqlerr(st, "reading tags");
}

/* ---- reading decisions ---- */

static void decision_from_row(struct ct_db_stmt *q, struct ct_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->id = ct_db_column_int64(q, 0);
	d->action = ct_store_col_strdup(q, 1);
	d->item = ct_store_col_strdup(q, 2);
	d->category = ct_store_col_strdup(q, 3);
	const char *items = ct_db_column_text(q, 4);
	d->value = ct_store_col_strdup(q, 5);
	d->by = ct_store_col_strdup(q, 6);
	d->at = ct_db_column_int64(q, 7);
	d->reason = ct_store_col_strdup(q, 8);
	if (items) {
		json_t *a = json_loads(items, 0, NULL);
		for (size_t i = 0; a && i < json_array_size(a); i++)
			if (json_string_value(json_array_get(a, i)))
				ct_strlist_push(&d->items, json_string_value(json_array_get(a, i)));
		json_decref(a);
	}
}

#define DEC_COLS "d.id, d.action, d.item, d.category, d.items, d.value, d.decided_by, d.at, d.reason"

struct dec_list {
	struct ct_decision *v;
	size_t n, alloc;
};

static void dec_list_release(struct dec_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ct_decision_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int shares_item(const struct ct_decision *a, const struct ct_decision *b)
{
	if (!strcmp(a->item, b->item) || ct_strlist_has(&b->items, a->item) || ct_strlist_has(&a->items, b->item))
		return 1;
	for (size_t i = 0; i < a->items.n; i++)
		if (ct_strlist_has(&b->items, a->items.v[i]))
			return 1;
	return 0;
}

static int is_structural(const struct ct_decision *d)
{
	return !strcmp(d->action, "case-merge") || !strcmp(d->action, "case-split");
}

/* Every decision, oldest first, with superseded merges and splits marked. */
static int load_all(struct ct_store *st, struct dec_list *l)
{
	struct ct_db_stmt *q;
	int rc;
	if (ct_db_prepare(st->db, "SELECT " DEC_COLS " FROM decisions d ORDER BY d.id", &q))
		return ct_store_sqlerr(st, "reading decisions");
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		CT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
		decision_from_row(q, &l->v[l->n++]);
	}
	ct_db_finalize(q);
	if (rc != CT_DB_DONE)
		return ct_store_sqlerr(st, "reading decisions");
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = i + 1; k < l->n && is_structural(&l->v[i]); k++)
			if (is_structural(&l->v[k]) && shares_item(&l->v[i], &l->v[k]))
				l->v[i].superseded = 1;
	return 0;
}

int ct_store_list_decisions(struct ct_store *st, int64_t case_id,
			    int (*cb)(const struct ct_decision *d, void *data), void *data)
{
	struct dec_list l = { 0 };
	int ret = 0;
	if (load_all(st, &l))
		return -1;
	for (size_t i = 0; i < l.n && !ret; i++) {
		struct ct_decision *d = &l.v[i];
		if (case_id) {
			int64_t c = 0;
			int mine = item_by_ext(st, d->item, &c) && c == case_id;
			for (size_t k = 0; k < d->items.n && !mine; k++)
				mine = item_by_ext(st, d->items.v[k], &c) && c == case_id;
			if (!mine)
				continue;
		}
		ret = cb(d, data);
	}
	dec_list_release(&l);
	return ret < 0 ? -1 : 0;
}

/* ---- applying ---- */

/* Runs sql, a statement that returns no rows, with ?1 = a and (nargs 2) ?2 = b; what names it in an error. */
static int exec_ids(struct ct_store *st, const char *what, const char *sql, int nargs, int64_t a, int64_t b)
{
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, sql, &q))
		return ct_store_sqlerr(st, what);
	ct_db_bind_int64(q, 1, a);
	if (nargs > 1)
		ct_db_bind_int64(q, 2, b);
	int rc = ct_db_step(q);
	ct_db_finalize(q);
	return rc == CT_DB_DONE ? 0 : ct_store_sqlerr(st, what);
}

static int new_case_for(struct ct_store *st, int64_t from_case, int64_t *out)
{
	struct ct_db_stmt *q;
	/* PostgreSQL numbers new cases itself within a writer's transaction (ct_store_new_id) */
	if (ct_db_kind(st->db) == CT_DB_POSTGRES && st->in_tx) {
		if (ct_store_new_id(st, CT_IDS_CASES, out))
			return -1;
		return exec_ids(st, "creating a case",
				"INSERT INTO cases(id, subject, opened_at, last_activity_at)"
				" SELECT ?1, subject, opened_at, last_activity_at FROM cases WHERE id = ?2",
				2, *out, from_case);
	}
	if (ct_db_prepare(st->db, "INSERT INTO cases(subject, opened_at, last_activity_at)"
			       " SELECT subject, opened_at, last_activity_at FROM cases WHERE id = ? RETURNING id", &q))
		return ct_store_sqlerr(st, "creating a case");
	ct_db_bind_int64(q, 1, from_case);
	int rc = ct_db_step(q);
	if (rc == CT_DB_ROW)
		*out = ct_db_column_int64(q, 0);
	ct_db_finalize(q);
	if (rc != CT_DB_ROW)
		return ct_store_sqlerr(st, "creating a case");
	return 0;
}

/*
 * The case a split moves its items to: the one it made before, when it is
 * still there (taken back out of the case a later mail merged it into, so
 * its id holds), else a new one, recorded in the decision (value).
 */
static int split_case_for(struct ct_store *st, const struct ct_decision *d, int64_t from_case, int64_t *out)
{
	static const char *const revive[] = {
		"UPDATE cases SET merged_into = NULL WHERE id = ?1",
		"DELETE FROM case_merges WHERE from_case = ?1",
	};
	struct ct_db_stmt *q;
	int64_t prev = d->value ? strtoll(d->value, NULL, 10) : 0;
	int exists = 0;
	if (prev > 0 && prev != from_case &&
	    !ct_db_prepare(st->db, "SELECT 1 FROM cases WHERE id = ?", &q)) {
		ct_db_bind_int64(q, 1, prev);
		exists = ct_db_step(q) == CT_DB_ROW;
		ct_db_finalize(q);
	}
	if (exists) {
		for (size_t i = 0; i < CT_ARRAY_SIZE(revive); i++)
			if (exec_ids(st, "splitting a case", revive[i], 1, prev, 0))
				return -1;
		*out = prev;
		return 0;
	}
	if (new_case_for(st, from_case, out))
		return -1;
	return exec_ids(st, "recording a split", "UPDATE decisions SET value = ?2 WHERE id = ?1", 2, d->id, *out);
}

static int exec_item(struct ct_store *st, const char *sql, int64_t item_id, const char *a, const char *b,
		     int *changed)
{
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, sql, &q))
		return ct_store_sqlerr(st, "applying a decision");
	ct_db_bind_int64(q, 1, item_id);
	ct_store_bind_text(q, 2, a);
	ct_store_bind_text(q, 3, b);
	int rc = ct_db_step(q);
	if (changed)
		*changed = ct_db_changes(q) > 0;
	ct_db_finalize(q);
	if (rc != CT_DB_DONE)
		return ct_store_sqlerr(st, "applying a decision");
	return 0;
}

/* Applies one decision to the store as it is now; a decision whose items are gone does nothing. */
static int apply_one(struct ct_store *st, const struct ct_decision *d)
{
	int64_t case_id = 0;
	int64_t item_id = item_by_ext(st, d->item, &case_id);
	int changed = 0;
	if (!item_id || d->superseded)
		return 0;
	if (!strcmp(d->action, "tag-dismiss"))
		return exec_item(st, "DELETE FROM tags WHERE item_id = ?1 AND category = ?2", item_id,
				 d->category, NULL, NULL);
	if (!strcmp(d->action, "tag-confirm"))
		return exec_item(st, "INSERT INTO tags(item_id, category, rule_id, span_start, span_end, snippet)"
				 " SELECT ?1, ?2, 'manual', 0, 0, coalesce(?3, '') WHERE NOT EXISTS"
				 " (SELECT 1 FROM tags WHERE item_id = ?1 AND category = ?2)",
				 item_id, d->category, d->reason, NULL);
	if (!strcmp(d->action, "item-department")) {
		if (exec_item(st, "UPDATE items SET department = ?2 WHERE id = ?1 AND department IS NOT ?2",
			      item_id, d->value, NULL, &changed))
			return -1;
		if (changed && case_id)
			ct_store_mark_dirty(st, case_id);
		return 0;
	}
	/* case-close, case-reopen: routing reads them whenever it recomputes a case. */
	if (!strcmp(d->action, "case-close") || !strcmp(d->action, "case-reopen"))
		return 0;
	if (!strcmp(d->action, "case-merge")) {
		for (size_t i = 0; i < d->items.n; i++) {
			int64_t other = 0;
			case_id = 0;
			item_by_ext(st, d->item, &case_id);
			if (!item_by_ext(st, d->items.v[i], &other) || !other || !case_id || other == case_id)
				continue;
			char *detail = ct_xstrfmt("merged by %s%s%s", d->by, d->reason ? ": " : "",
						  d->reason ? d->reason : "");
			int rc = ct_store_merge_case(st, other, case_id, item_id, "manual", detail, d->at);
			free(detail);
			if (rc)
				return -1;
		}
		return 0;
	}
	if (!strcmp(d->action, "case-split")) {
		int64_t new_case = 0;
		for (size_t i = 0; i < d->items.n; i++) {
			int64_t c = 0, id = item_by_ext(st, d->items.v[i], &c);
			if (!id || c != case_id)
				continue;
			if (!new_case && split_case_for(st, d, case_id, &new_case))
				return -1;
			char *detail = ct_xstrfmt("split from case %lld by %s%s%s", (long long)case_id, d->by,
						  d->reason ? ": " : "", d->reason ? d->reason : "");
			char nc[24];
			snprintf(nc, sizeof(nc), "%lld", (long long)new_case);
			int rc = exec_item(st, "UPDATE items SET case_id = CAST(?2 AS INTEGER), link_reason = 'split',"
					   " link_detail = ?3 WHERE id = ?1", id, nc, detail, NULL);
			free(detail);
			if (rc)
				return -1;
		}
		if (new_case) {
			ct_store_mark_dirty(st, case_id);
			ct_store_mark_dirty(st, new_case);
		}
		return 0;
	}
	return 0;
}

int ct_store_apply_decisions(struct ct_store *st)
{
	struct dec_list l = { 0 };
	int ret = 0;
	if (load_all(st, &l))
		return -1;
	for (size_t i = 0; i < l.n && !ret; i++)
		ret = apply_one(st, &l.v[i]);
	dec_list_release(&l);
	return ret;
}

/* Checks a decision before it is recorded; 0 or -1 (reported). */
static int check_decision(struct ct_store *st, const struct ct_decision *d)
{
	int64_t case_id = 0, item_id;
	if (!d->action || !is_action(d->action))
		ct_bug("unknown decision '%s'", d->action ? d->action : "(null)");
	if (!d->item || !(item_id = item_by_ext(st, d->item, &case_id)))
		return ct_error("no item '%s' in '%s'", d->item ? d->item : "", st->path);
	for (size_t i = 0; i < d->items.n; i++) {
		int64_t c = 0;
		if (!item_by_ext(st, d->items.v[i], &c))
			return ct_error("no item '%s' in '%s'", d->items.v[i], st->path);
		if (!strcmp(d->action, "case-merge") && c == case_id)
			return ct_error("item '%s' is already in case %lld", d->items.v[i], (long long)case_id);
		if (!strcmp(d->action, "case-split") && c != case_id)
			return ct_error("item '%s' is not in case %lld (it is in case %lld)", d->items.v[i],
					(long long)case_id, (long long)c);
		if (!strcmp(d->action, "case-split") && !strcmp(d->items.v[i], d->item))
			return ct_error("case %lld cannot be split from its own first item '%s'",
					(long long)case_id, d->item);
	}
	if (!strcmp(d->action, "tag-dismiss")) {
		struct ct_db_stmt *q;
		int has = 0;
		if (ct_db_prepare(st->db, "SELECT 1 FROM tags WHERE item_id = ? AND category = ?", &q))
			return ct_store_sqlerr(st, "reading tags");
		ct_db_bind_int64(q, 1, item_id);
		ct_store_bind_text(q, 2, d->category);
		has = ct_db_step(q) == CT_DB_ROW;
		ct_db_finalize(q);
		if (!has && !ct_db_prepare(st->db, "SELECT id, decided_by FROM decisions WHERE action = 'tag-dismiss'"
					       " AND item = ? AND category = ? ORDER BY id DESC LIMIT 1", &q)) {
			ct_store_bind_text(q, 1, d->item);
			ct_store_bind_text(q, 2, d->category);
			if (ct_db_step(q) == CT_DB_ROW)
				ct_error("tag '%s' of item '%s' is dismissed already (decision %lld by %s)", d->category,
					 d->item, (long long)ct_db_column_int64(q, 0), ct_db_column_text(q, 1));
			else
				ct_error("item '%s' has no tag '%s' to dismiss", d->item, d->category);
			ct_db_finalize(q);
			return -1;
		}
	}
	return 0;
}

int ct_store_decide(struct ct_store *st, const struct ct_decision *d, int64_t *id)
{
	struct ct_db_stmt *q = NULL;
	char *items = NULL;
	if (ct_store_begin(st))
		return -1;
	if (check_decision(st, d))
		goto fail;
	if (d->items.n) {
		json_t *a = json_array();
		for (size_t i = 0; i < d->items.n; i++)
			json_array_append_new(a, json_string(d->items.v[i]));
		items = json_dumps(a, JSON_COMPACT);
		json_decref(a);
	}
	if (ct_db_prepare(st->db, "INSERT INTO decisions(action, item, category, items, value, decided_by,"
			       " at, reason) VALUES (?,?,?,?,?,?,?,?) RETURNING id", &q)) {
		ct_store_sqlerr(st, "recording a decision");
		goto fail;
	}
	ct_store_bind_text(q, 1, d->action);
	ct_store_bind_text(q, 2, d->item);
	ct_store_bind_text(q, 3, d->category);
	ct_store_bind_text(q, 4, items);
	ct_store_bind_text(q, 5, d->value);
	ct_store_bind_text(q, 6, d->by && *d->by ? d->by : "unknown");
	ct_db_bind_int64(q, 7, d->at ? d->at : (ct_time)time(NULL));
	ct_store_bind_text(q, 8, d->reason && *d->reason ? d->reason : NULL);
	if (ct_db_step(q) != CT_DB_ROW) {
		ct_store_sqlerr(st, "recording a decision");
		goto fail;
	}
	*id = ct_db_column_int64(q, 0);
	ct_db_finalize(q);
	q = NULL;
	free(items);
	items = NULL;
	/* All of them again: a merge or split may supersede an earlier one. */
	if (ct_store_apply_decisions(st))
		goto fail;
	/* A close or reopen takes effect when its case is routed again: now. */
	int64_t case_id = 0;
	if (item_by_ext(st, d->item, &case_id) && case_id)
		ct_store_mark_dirty(st, case_id);
	return ct_store_commit(st);
fail:
	ct_db_finalize(q);
	free(items);
	ct_store_rollback(st);
	return -1;
}

/* ---- recomputing departments and roles ---- */

static void hash_list(struct ct_buf *b, const char *what, const struct ct_strlist *l)
{
	ct_buf_addf(b, "%s:", what);
	for (size_t i = 0; i < l->n; i++)
		ct_buf_addf(b, "%s\x1f", l->v[i]);
	ct_buf_addch(b, '\n');
}

char *ct_store_config_hash(const struct ct_config *cfg)
{
	struct ct_buf b = CT_BUF_INIT;
	char hex[65];
	hash_list(&b, "internal_domains", &cfg->internal_domains);
	for (size_t i = 0; i < cfg->ndepts; i++) {
		const struct ct_department *d = &cfg->depts[i];
		ct_buf_addf(&b, "department:%s\nleader:%s\n", d->name, d->leader ? d->leader : "");
		hash_list(&b, "addresses", &d->addresses);
		hash_list(&b, "helpdesk_groups", &d->helpdesk_groups);
	}
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct ct_source *s = &cfg->sources[i];
		const char *fd = ct_source_get(s, "folder_departments");
		ct_buf_addf(&b, "source:%s\ndepartment:%s\nfolder_departments:%s\n", s->name,
			    s->department ? s->department : "", fd ? fd : "");
	}
	ct_sha256_hex(b.buf, b.len, hex);
	ct_buf_release(&b);
	return ct_strdup(hex);
}

/* Parses a stored ", "-joined address list into l. */
static void addrs_from(struct ct_addrlist *l, const char *s)
{
	struct ct_strlist parts = CT_STRLIST_INIT;
	if (!s || !*s)
		return;
	ct_strlist_split(&parts, s, ',');
	for (size_t i = 0; i < parts.n; i++)
		if (*parts.v[i])
			ct_addrlist_push(l, NULL, parts.v[i]);
	ct_strlist_clear(&parts);
}

/* The mailbox department an item was first found in under cfg: the first of cfg's sources holding it. */
static char *mailbox_dept(struct ct_store *st, const struct ct_config *cfg, int64_t item_id)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_DEC_MAILBOXES,
		"SELECT source, department FROM item_mailboxes WHERE item_id = ? ORDER BY source, department");
	size_t best = (size_t)-1;
	char *dept = NULL, *fallback = NULL;
	ct_db_bind_int64(q, 1, item_id);
	while (ct_db_step(q) == CT_DB_ROW) {
		const char *src = ct_db_column_text(q, 0);
		const char *d = ct_db_column_text(q, 1);
		size_t k;
		for (k = 0; k < cfg->nsources; k++)
			if (!strcmp(cfg->sources[k].name, src))
				break;
		if (k < cfg->nsources && k < best) {
			best = k;
			free(dept);
			dept = ct_strdup(d);
		} else if (k == cfg->nsources && !fallback) {
			fallback = ct_strdup(d);
		}
	}
	ct_db_reset(q);
	if (!dept) {
		dept = fallback;
		fallback = NULL;
	}
	free(fallback);
	if (dept && !*dept) {
		free(dept);
		dept = NULL;
	}
	return dept;
}

/* Brings item_mailboxes.department of cfg's plain sources (no folder map) up to date. */
static int update_mailboxes(struct ct_store *st, const struct ct_config *cfg)
{
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct ct_source *s = &cfg->sources[i];
		const char *dept = s->department ? s->department : "";
		if (ct_source_get(s, "folder_departments"))
			continue;
		static const char *const sql[] = {
			/* one row per item moves (unless the item has one there already), the rest go */
			"UPDATE item_mailboxes SET department = ?2 WHERE source = ?1 AND department <> ?2"
			" AND NOT EXISTS (SELECT 1 FROM item_mailboxes m WHERE m.item_id = item_mailboxes.item_id"
			"   AND m.source = ?1 AND m.department = ?2)"
			" AND department = (SELECT min(m.department) FROM item_mailboxes m"
			"   WHERE m.item_id = item_mailboxes.item_id AND m.source = ?1)",
			"DELETE FROM item_mailboxes WHERE source = ?1 AND department <> ?2",
		};
		for (size_t k = 0; k < CT_ARRAY_SIZE(sql); k++) {
			struct ct_db_stmt *q;
			if (ct_db_prepare(st->db, sql[k], &q))
				return ct_store_sqlerr(st, "updating mailboxes");
			ct_store_bind_text(q, 1, s->name);
			ct_store_bind_text(q, 2, dept);
			int rc = ct_db_step(q);
			ct_db_finalize(q);
			if (rc != CT_DB_DONE)
				return ct_store_sqlerr(st, "updating mailboxes");
		}
	}
	return 0;
}

int ct_store_recompute(struct ct_store *st, const struct ct_config *cfg, long *changed, long *cases)
{
	struct ct_db_stmt *q = NULL, *u = NULL;
	char *hash = ct_store_config_hash(cfg);
	long nchanged = 0;
	int rc;
	if (ct_store_begin(st)) {
		free(hash);
		return -1;
	}
	size_t touched_before = ct_store_cases_touched(st);
	if (update_mailboxes(st, cfg))
		goto fail;
	if (ct_db_prepare(st->db, "SELECT id, kind, from_addr, to_addrs, cc_addrs, ticket_group, role, department, case_id"
		" FROM items i WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item = i.external_id"
		" AND d.action = 'item-department') ORDER BY id", &q) ||
	    ct_db_prepare(st->db, "UPDATE items SET department = ?2, role = ?3 WHERE id = ?1", &u)) {
		ct_store_sqlerr(st, "recomputing departments");
		goto fail;
	}
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		struct ct_item it;
		memset(&it, 0, sizeof(it));
		int64_t id = ct_db_column_int64(q, 0);
		it.kind = (enum ct_item_kind)(int)ct_db_column_int64(q, 1);
		const char *from = ct_db_column_text(q, 2);
		int role = (int)ct_db_column_int64(q, 6);
		const char *old = ct_db_column_text(q, 7);
		int64_t case_id = ct_db_column_int64(q, 8);
		it.from.addr = ct_strdup(from ? from : "");
		it.mailbox_dept = mailbox_dept(st, cfg, id);
		const char *dept;
		int new_role = role;
		if (it.kind == CT_ITEM_EMAIL) {
			addrs_from(&it.to, ct_db_column_text(q, 3));
			addrs_from(&it.cc, ct_db_column_text(q, 4));
			dept = ct_email_department(cfg, &it);
			/* A mail's side comes from the configuration; a ticket's from its helpdesk. */
			new_role = ct_config_is_internal(cfg, it.from.addr) ? CT_ROLE_STAFF : CT_ROLE_CUSTOMER;
		} else {
			const struct ct_department *d =
				ct_config_dept_by_group(cfg, ct_db_column_text(q, 5));
			dept = d ? d->name : it.mailbox_dept;
		}
		if ((old ? !dept || strcmp(old, dept) : dept != NULL) || new_role != role) {
			ct_db_reset(u);
			ct_db_bind_int64(u, 1, id);
			ct_store_bind_text(u, 2, dept);
			ct_db_bind_int64(u, 3, new_role);
			if (ct_db_step(u) != CT_DB_DONE) {
				ct_item_free(&it);
				ct_store_sqlerr(st, "recomputing departments");
				goto fail;
			}
			nchanged++;
			if (case_id)
				ct_store_mark_dirty(st, ct_store_resolve_case(st, case_id));
		}
		ct_item_free(&it);
	}
	if (rc != CT_DB_DONE) {
		ct_store_sqlerr(st, "recomputing departments");
		goto fail;
	}
	ct_db_finalize(q);
	ct_db_finalize(u);
	q = u = NULL;
	if (ct_store_apply_decisions(st) || ct_store_meta_set(st, "config_hash", hash))
		goto fail;
	if (cases)
		*cases = (long)(ct_store_cases_touched(st) - touched_before);
	if (ct_store_commit(st))
		goto fail_done;
	free(hash);
	if (changed)
		*changed = nchanged;
	return 0;
fail:
	ct_db_finalize(q);
	ct_db_finalize(u);
	ct_store_rollback(st);
fail_done:
	free(hash);
	return -1;
}

int ct_store_recompute_if_changed(struct ct_store *st, const struct ct_config *cfg, int *ran)
{
	char *want = ct_store_config_hash(cfg);
	char *have = ct_store_meta_get(st, "config_hash");
	int ret = 0;
	*ran = 0;
	if (have && !strcmp(have, want))
		goto out;
	if (!have && ct_store_count(st, "items") == 0) {
		/* A new store: nothing to bring up to date. */
		ret = ct_store_meta_set(st, "config_hash", want);
		goto out;
	}
	long changed = 0, cases = 0;
	ret = ct_store_recompute(st, cfg, &changed, &cases);
	if (!ret) {
		*ran = 1;
		if (!ct_quiet)
			fprintf(stderr, "recompute: the configuration of departments or staff changed: %ld item%s"
				" changed department or side, %ld case%s re-routed\n", changed,
				changed == 1 ? "" : "s", cases, cases == 1 ? "" : "s");
	}
out:
	free(want);
	free(have);
	return ret;
}
