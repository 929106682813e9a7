/*
 * db.c - the engine-neutral half of store/db.h: choosing the engine from
 * the target, the error message, and dispatch to db_sqlite.c or db_pg.c.
 */
#include "db.h"
#include "../base/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ct_db_is_url(const char *target)
{
	return target && (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11));
}

char *ct_db_display_name(const char *target)
{
	if (!ct_db_is_url(target))
		return ct_strdup(target);
	/* scheme://[user[:password]@]host...: drop ":password" of the user part. */
	const char *start = strstr(target, "://") + 3;
	const char *end = start + strcspn(start, "/?");
	const char *at = NULL;
	for (const char *p = start; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return ct_strdup(target);
	const char *colon = memchr(start, ':', (size_t)(at - start));
	if (!colon)
		return ct_strdup(target);
	return ct_xstrfmt("%.*s%s", (int)(colon - target), target, at);
}

struct ct_db *ct_db_alloc(size_t size, const struct ct_db_ops *ops, enum ct_db_kind kind)
{
	struct ct_db *db = ct_calloc(1, size);
	db->ops = ops;
	db->kind = kind;
	db->err = ct_strdup("");
	return db;
}

int ct_db_fail(struct ct_db *db, const char *fmt, ...)
{
	va_list ap;
	struct ct_buf b = CT_BUF_INIT;
	va_start(ap, fmt);
	ct_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/*
	 * libpq's messages span lines ("...unexpectedly\n\tThis probably
	 * means..."): one line, without a trailing newline.
	 */
	size_t j = 0;
	for (size_t i = 0; i < b.len; i++) {
		if (b.buf[i] == '\n' || b.buf[i] == '\t') {
			if (j && b.buf[j - 1] != ' ')
				b.buf[j++] = ' ';
		} else {
			b.buf[j++] = b.buf[i];
		}
	}
	while (j && b.buf[j - 1] == ' ')
		j--;
	ct_buf_setlen(&b, j);
	free(db->err);
	db->err = ct_buf_detach(&b, NULL);
	return -1;
}

int ct_db_open(const char *target, const struct ct_db_open_options *opt, struct ct_db **out)
{
	static const struct ct_db_open_options none;
	const struct ct_db_ops *ops = ct_db_is_url(target) ? &ct_db_pg_ops : &ct_db_sqlite_ops;
	struct ct_db *db = NULL;
	if (!opt)
		opt = &none;
	/* The backend allocates its own larger handle, also when it fails. */
	int rc = ops->open(target, opt, &db);
	*out = db;
	return rc;
}

void ct_db_close(struct ct_db *db)
{
	if (!db)
		return;
	char *err = db->err;
	db->ops->close(db);
	free(err);
}

enum ct_db_kind ct_db_kind(const struct ct_db *db)
{
	return db->kind;
}

const char *ct_db_errmsg(const struct ct_db *db)
{
	return db->err ? db->err : "";
}

const char *ct_db_sqlstate(const struct ct_db *db)
{
	return db->sqlstate;
}

int ct_db_lost(const struct ct_db *db)
{
	return db->lost;
}

int ct_db_exec(struct ct_db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int ct_db_prepare(struct ct_db *db, const char *sql, struct ct_db_stmt **out)
{
	*out = NULL;
	return db->ops->prepare(db, sql, out);
}

void ct_db_finalize(struct ct_db_stmt *q)
{
	if (!q)
		return;
	char *sql = q->sql, *esql = q->engine_sql;
	q->db->ops->finalize(q);
	free(sql);
	free(esql);
}

const char *ct_db_stmt_sql(const struct ct_db_stmt *q)
{
	return q->sql;
}

const char *ct_db_stmt_engine_sql(const struct ct_db_stmt *q)
{
	return q->engine_sql;
}

int ct_db_bind_int64(struct ct_db_stmt *q, int i, int64_t v)
{
	return q->db->ops->bind(q, i, NULL, v, CT_DB_BIND_INT);
}

int ct_db_bind_text(struct ct_db_stmt *q, int i, const char *s)
{
	return q->db->ops->bind(q, i, s, 0, s ? CT_DB_BIND_TEXT : CT_DB_BIND_NULL);
}

int ct_db_bind_text_static(struct ct_db_stmt *q, int i, const char *s)
{
	return q->db->ops->bind(q, i, s, 0, s ? CT_DB_BIND_STATIC : CT_DB_BIND_NULL);
}

int ct_db_bind_null(struct ct_db_stmt *q, int i)
{
	return q->db->ops->bind(q, i, NULL, 0, CT_DB_BIND_NULL);
}

int ct_db_step(struct ct_db_stmt *q)
{
	return q->db->ops->step(q);
}

void ct_db_reset(struct ct_db_stmt *q)
{
	q->db->ops->reset(q);
}

int64_t ct_db_changes(const struct ct_db_stmt *q)
{
	return q->changes;
}

const char *ct_db_column_name(const struct ct_db_stmt *q, int i)
{
	return q->db->ops->column_name(q, i);
}

int ct_db_column_count(const struct ct_db_stmt *q)
{
	return q->db->ops->column_count(q);
}

int ct_db_column_is_null(const struct ct_db_stmt *q, int i)
{
	return q->db->ops->column_is_null(q, i);
}

int64_t ct_db_column_int64(const struct ct_db_stmt *q, int i)
{
	return q->db->ops->column_int64(q, i);
}

double ct_db_column_double(const struct ct_db_stmt *q, int i)
{
	return q->db->ops->column_double(q, i);
}

const char *ct_db_column_text(const struct ct_db_stmt *q, int i)
{
	return q->db->ops->column_text(q, i);
}

int ct_db_queue(struct ct_db_stmt *q)
{
	return q->db->ops->queue(q);
}

int ct_db_queue_row(struct ct_db_stmt *q)
{
	return q->db->ops->queue_row ? q->db->ops->queue_row(q) : q->db->ops->queue(q);
}

int ct_db_flush(struct ct_db *db)
{
	return db->ops->flush(db);
}

int ct_db_begin(struct ct_db *db)
{
	if (db->in_tx)
		return ct_db_fail(db, "a transaction is already open");
	if (db->ops->tx(db, CT_DB_TX_BEGIN))
		return -1;
	db->in_tx = 1;
	return 0;
}

int ct_db_commit(struct ct_db *db)
{
	if (!db->in_tx)
		return ct_db_fail(db, "no transaction is open");
	db->in_tx = 0;
	return db->ops->tx(db, CT_DB_TX_COMMIT);
}

int ct_db_rollback(struct ct_db *db)
{
	db->in_tx = 0;
	return db->ops->tx(db, CT_DB_TX_ROLLBACK);
}

int ct_db_in_tx(const struct ct_db *db)
{
	return db->in_tx;
}

int ct_db_schema_version(struct ct_db *db, int *version)
{
	*version = 0;
	return db->ops->schema_version(db, version);
}

int ct_db_set_schema_version(struct ct_db *db, int version)
{
	return db->ops->set_schema_version(db, version);
}
