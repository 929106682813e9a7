/*
 * copy.c - 'casetrail store copy': every row of one store into another,
 * empty one, on either engine (a SQLite file to PostgreSQL and back). Ids
 * are kept, so case numbers, links and decisions read the same afterwards.
 *
 * The source is read in one transaction (a consistent picture while other
 * writers go on), the target written in one: a copy that fails leaves the
 * target as empty as it was. On PostgreSQL the source is read through a
 * cursor, a page at a time, and the target's rows go out pipelined.
 */
#include "store_p.h"

#include <stdlib.h>
#include <string.h>

/*
 * Every table of the schema, parents before children. cases refers to
 * itself (merged_into, follow_up_of): those two columns are written once
 * every case is in.
 */
static const char *const tables[] = {
	"cases", "items", "item_refs", "item_mailboxes", "forwards", "attachments", "tags",
	"case_merges", "routing_events", "seen", "cursors", "meta", "runs", "decisions",
	"promises", "promise_kept", "promise_decisions",
};

/* Tables with an id column the engine numbers (PostgreSQL: identity to move on). */
static const char *const with_ids[] = {
	"cases", "items", "tags", "case_merges", "routing_events", "runs", "decisions", "promises",
};

/* Rows of a page read through a PostgreSQL cursor. */
#define PAGE_ROWS 5000
#define PAGE_ROWS_TEXT "5000"

struct self_ref {
	int64_t id;
	char *merged_into, *follow_up_of;
};

struct copy {
	struct ct_store *src, *dst;
	struct self_ref *refs;
	size_t nrefs, refs_alloc;
	void (*progress)(const char *table, long rows, int done, void *data);
	void *data;
};

static int src_err(struct copy *c, const char *what)
{
	return ct_store_sqlerr(c->src, what);
}

static int dst_err(struct copy *c, const char *what)
{
	return ct_store_sqlerr(c->dst, what);
}

/* The INSERT for the columns of q's current row, with cases' self-references left out. */
static char *insert_sql(const char *table, struct ct_db_stmt *q, int *merged_col, int *follow_col)
{
	struct ct_buf b = CT_BUF_INIT;
	int n = ct_db_column_count(q);
	*merged_col = *follow_col = -1;
	ct_buf_addf(&b, "INSERT INTO %s(", table);
	for (int i = 0; i < n; i++) {
		const char *name = ct_db_column_name(q, i);
		if (!strcmp(table, "cases") && !strcmp(name, "merged_into"))
			*merged_col = i;
		if (!strcmp(table, "cases") && !strcmp(name, "follow_up_of"))
			*follow_col = i;
		ct_buf_addf(&b, "%s\"%s\"", i ? ", " : "", name);
	}
	ct_buf_addstr(&b, ") VALUES (");
	for (int i = 0; i < n; i++)
		ct_buf_addstr(&b, i ? ", ?" : "?");
	ct_buf_addch(&b, ')');
	return ct_buf_detach(&b, NULL);
}

static int copy_row(struct copy *c, struct ct_db_stmt *q, struct ct_db_stmt *ins, int merged_col,
		    int follow_col)
{
	int n = ct_db_column_count(q);
	for (int i = 0; i < n; i++) {
		if (i == merged_col || i == follow_col)
			ct_db_bind_null(ins, i + 1);
		else
			ct_db_bind_text(ins, i + 1, ct_db_column_text(q, i));
	}
	if ((merged_col >= 0 && !ct_db_column_is_null(q, merged_col)) ||
	    (follow_col >= 0 && !ct_db_column_is_null(q, follow_col))) {
		CT_ALLOC_GROW(c->refs, c->nrefs + 1, c->refs_alloc);
		struct self_ref *r = &c->refs[c->nrefs++];
		r->id = ct_db_column_int64(q, 0);
		r->merged_into = merged_col >= 0 && !ct_db_column_is_null(q, merged_col)
			? ct_strdup(ct_db_column_text(q, merged_col)) : NULL;
		r->follow_up_of = follow_col >= 0 && !ct_db_column_is_null(q, follow_col)
			? ct_strdup(ct_db_column_text(q, follow_col)) : NULL;
	}
	return ct_db_queue(ins);
}

static int copy_table(struct copy *c, const char *table, long *rows)
{
	struct ct_db *sdb = c->src->db;
	int pg = ct_db_kind(sdb) == CT_DB_POSTGRES;
	struct ct_db_stmt *q = NULL, *ins = NULL;
	int merged_col = -1, follow_col = -1, rc = -1;
	char *sql = NULL;
	*rows = 0;
	if (pg) {
		sql = ct_xstrfmt("DECLARE ct_copy NO SCROLL CURSOR FOR SELECT * FROM %s", table);
		if (ct_db_exec(sdb, sql)) {
			src_err(c, "reading the store");
			goto out;
		}
		free(sql);
		sql = NULL;
		if (ct_db_prepare(sdb, "FETCH " PAGE_ROWS_TEXT " FROM ct_copy", &q)) {
			src_err(c, "reading the store");
			goto out;
		}
	} else {
		sql = ct_xstrfmt("SELECT * FROM %s", table);
		if (ct_db_prepare(sdb, sql, &q)) {
			src_err(c, "reading the store");
			goto out;
		}
	}
	for (;;) {
		long page = 0;
		int step;
		while ((step = ct_db_step(q)) == CT_DB_ROW) {
			if (!ins) {
				char *isql = insert_sql(table, q, &merged_col, &follow_col);
				int prc = ct_db_prepare(c->dst->db, isql, &ins);
				free(isql);
				if (prc) {
					dst_err(c, "writing the copy");
					goto out;
				}
			}
			if (copy_row(c, q, ins, merged_col, follow_col)) {
				dst_err(c, "writing the copy");
				goto out;
			}
			page++;
		}
		if (step != CT_DB_DONE) {
			src_err(c, "reading the store");
			goto out;
		}
		*rows += page;
		if (!pg || page < PAGE_ROWS)
			break;
		ct_db_reset(q);
		if (c->progress)
			c->progress(table, *rows, 0, c->data);
	}
	rc = 0;
out:
	ct_db_finalize(q);
	ct_db_finalize(ins);
	free(sql);
	if (pg && ct_db_in_tx(sdb) && ct_db_exec(sdb, "CLOSE ct_copy") && !rc)
		rc = src_err(c, "reading the store");
	return rc;
}

/* The cases' links to each other, now that every case is there. */
static int copy_self_refs(struct copy *c)
{
	struct ct_db_stmt *q;
	if (!c->nrefs)
		return 0;
	if (ct_db_prepare(c->dst->db, "UPDATE cases SET merged_into = ?, follow_up_of = ? WHERE id = ?", &q))
		return dst_err(c, "writing the copy");
	for (size_t i = 0; i < c->nrefs; i++) {
		ct_db_bind_text(q, 1, c->refs[i].merged_into);
		ct_db_bind_text(q, 2, c->refs[i].follow_up_of);
		ct_db_bind_int64(q, 3, c->refs[i].id);
		if (ct_db_queue(q)) {
			ct_db_finalize(q);
			return dst_err(c, "writing the copy");
		}
	}
	ct_db_finalize(q);
	return 0;
}

/* PostgreSQL numbers new rows after the copied ones. */
static int move_identities(struct copy *c)
{
	if (ct_db_kind(c->dst->db) != CT_DB_POSTGRES)
		return 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(with_ids); i++) {
		char *sql = ct_xstrfmt("SELECT setval(pg_get_serial_sequence('%s', 'id'),"
				       " coalesce(max(id), 0) + 1, false) FROM %s", with_ids[i], with_ids[i]);
		int rc = ct_db_exec(c->dst->db, sql);
		free(sql);
		if (rc)
			return dst_err(c, "numbering the copied rows");
	}
	return 0;
}

int ct_store_copy(struct ct_store *src, struct ct_store *dst,
		  void (*progress)(const char *table, long rows, int done, void *data), void *data)
{
	struct copy c = { .src = src, .dst = dst, .progress = progress, .data = data };
	int ret = -1;
	if (src->version != dst->version) {
		ct_error("store '%s' has schema version %d, '%s' %d: open both with this casetrail first",
			 src->path, src->version, dst->path, dst->version);
		return -1;
	}
	long have = ct_store_count_rows(dst, "items", NULL);
	long cases = ct_store_count_rows(dst, "cases", NULL);
	if (have < 0 || cases < 0)
		return dst_err(&c, "counting what the target holds");
	if (have || cases) {
		ct_error("store '%s' already holds %ld item%s and %ld case%s: the copy goes into an empty store",
			 dst->path, have, have == 1 ? "" : "s", cases, cases == 1 ? "" : "s");
		ct_hint("point --to at a new file, or at an empty PostgreSQL database or schema");
		return -1;
	}
	if (ct_db_begin(src->db))
		return src_err(&c, "starting to read");
	/* One consistent picture of a PostgreSQL store that others may be writing. */
	if (ct_db_kind(src->db) == CT_DB_POSTGRES &&
	    ct_db_exec(src->db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")) {
		src_err(&c, "starting to read");
		goto out;
	}
	if (ct_db_begin(dst->db)) {
		dst_err(&c, "starting to write");
		goto out;
	}
	/* What an empty store may hold of its own (meta written at open) gives way to the source's. */
	if (ct_db_exec(dst->db, "DELETE FROM meta")) {
		dst_err(&c, "writing the copy");
		goto out;
	}
	for (size_t i = 0; i < CT_ARRAY_SIZE(tables); i++) {
		long rows;
		if (copy_table(&c, tables[i], &rows))
			goto out;
		if (i == 0 && copy_self_refs(&c))
			goto out;
		if (progress)
			progress(tables[i], rows, 1, data);
	}
	if (move_identities(&c))
		goto out;
	if (ct_db_commit(dst->db)) {
		dst_err(&c, "committing the copy");
		goto out;
	}
	ret = 0;
out:
	if (ct_db_in_tx(dst->db))
		ct_db_rollback(dst->db);
	if (ct_db_in_tx(src->db))
		ct_db_rollback(src->db);
	for (size_t i = 0; i < c.nrefs; i++) {
		free(c.refs[i].merged_into);
		free(c.refs[i].follow_up_of);
	}
	free(c.refs);
	return ret;
}

int ct_store_compare_counts(struct ct_store *a, struct ct_store *b,
			    void (*cb)(const char *table, long na, long nb, void *data), void *data)
{
	int differ = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(tables); i++) {
		long na = ct_store_count_rows(a, tables[i], NULL), nb = ct_store_count_rows(b, tables[i], NULL);
		if (na != nb || na < 0)
			differ = 1;
		if (cb)
			cb(tables[i], na, nb, data);
	}
	return differ;
}
