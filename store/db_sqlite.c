/*
 * db_sqlite.c - store/db.h on SQLite. The neutral dialect is SQLite's own,
 * so statements run as written; "queued" statements run at once (there is
 * no round trip to save).
 */
#include "db.h"
#include "../base/base.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct sdb {
	struct ct_db base;
	sqlite3 *h;
};

struct sstmt {
	struct ct_db_stmt base;
	sqlite3_stmt *q;
};

static sqlite3 *handle(const struct ct_db *db)
{
	return ((const struct sdb *)db)->h;
}

static int fail_here(struct ct_db *db)
{
	sqlite3 *h = handle(db);
	return ct_db_fail(db, "%s", h ? sqlite3_errmsg(h) : "out of memory");
}

static int s_open(const char *target, const struct ct_db_open_options *opt, struct ct_db **out)
{
	struct sdb *d = (struct sdb *)ct_db_alloc(sizeof(*d), &ct_db_sqlite_ops, CT_DB_SQLITE);
	int flags = opt->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	*out = &d->base;
	if (sqlite3_open_v2(target, &d->h, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return fail_here(&d->base);
	sqlite3_extended_result_codes(d->h, 1);
	sqlite3_busy_timeout(d->h, opt->busy_timeout_ms ? opt->busy_timeout_ms : 10000);
	if (sqlite3_exec(d->h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		return fail_here(&d->base);
	return 0;
}

static void s_close(struct ct_db *db)
{
	struct sdb *d = (struct sdb *)db;
	sqlite3_close(d->h);
	free(d);
}

struct sqlite3 *ct_db_sqlite(struct ct_db *db)
{
	return db->kind == CT_DB_SQLITE ? handle(db) : NULL;
}

static int s_exec(struct ct_db *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(handle(db), sql, NULL, NULL, &err) != SQLITE_OK) {
		ct_db_fail(db, "%s", err ? err : sqlite3_errmsg(handle(db)));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int s_prepare(struct ct_db *db, const char *sql, struct ct_db_stmt **out)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v3(handle(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK)
		return fail_here(db);
	if (!q)
		return ct_db_fail(db, "empty statement");
	struct sstmt *s = ct_calloc(1, sizeof(*s));
	s->base.db = db;
	s->base.sql = ct_strdup(sql);
	s->base.engine_sql = ct_strdup(sql);
	s->q = q;
	*out = &s->base;
	return 0;
}

static void s_finalize(struct ct_db_stmt *q)
{
	struct sstmt *s = (struct sstmt *)q;
	sqlite3_finalize(s->q);
	free(s);
}

static int s_bind(struct ct_db_stmt *q, int i, const char *text, int64_t v, int how)
{
	sqlite3_stmt *h = ((struct sstmt *)q)->q;
	int rc;
	switch (how) {
	case CT_DB_BIND_INT:
		rc = sqlite3_bind_int64(h, i, v);
		break;
	case CT_DB_BIND_TEXT:
		rc = sqlite3_bind_text(h, i, text, -1, SQLITE_TRANSIENT);
		break;
	case CT_DB_BIND_STATIC:
		rc = sqlite3_bind_text(h, i, text, -1, SQLITE_STATIC);
		break;
	default:
		rc = sqlite3_bind_null(h, i);
	}
	if (rc != SQLITE_OK)
		return ct_db_fail(q->db, "binding parameter %d: %s", i, sqlite3_errstr(rc));
	return 0;
}

static int s_step(struct ct_db_stmt *q)
{
	struct sstmt *s = (struct sstmt *)q;
	int rc = sqlite3_step(s->q);
	if (rc == SQLITE_ROW)
		return CT_DB_ROW;
	if (rc == SQLITE_DONE) {
		q->changes = sqlite3_changes64(handle(q->db));
		return CT_DB_DONE;
	}
	return fail_here(q->db);
}

static void s_reset(struct ct_db_stmt *q)
{
	struct sstmt *s = (struct sstmt *)q;
	sqlite3_reset(s->q);
	sqlite3_clear_bindings(s->q);
}

static int s_column_count(const struct ct_db_stmt *q)
{
	return sqlite3_column_count(((const struct sstmt *)q)->q);
}

static const char *s_column_name(const struct ct_db_stmt *q, int i)
{
	return sqlite3_column_name(((const struct sstmt *)q)->q, i);
}

static int s_column_is_null(const struct ct_db_stmt *q, int i)
{
	return sqlite3_column_type(((const struct sstmt *)q)->q, i) == SQLITE_NULL;
}

static const char *s_column_text(const struct ct_db_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(((const struct sstmt *)q)->q, i);
}

static int64_t s_column_int64(const struct ct_db_stmt *q, int i)
{
	return sqlite3_column_int64(((const struct sstmt *)q)->q, i);
}

static double s_column_double(const struct ct_db_stmt *q, int i)
{
	return sqlite3_column_double(((const struct sstmt *)q)->q, i);
}

static int s_queue(struct ct_db_stmt *q)
{
	int rc;
	while ((rc = s_step(q)) == CT_DB_ROW)
		;
	s_reset(q);
	return rc < 0 ? -1 : 0;
}

static int s_flush(struct ct_db *db)
{
	return 0;
}

static int s_tx(struct ct_db *db, int what)
{
	static const char *const sql[] = { "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };
	if (what == CT_DB_TX_ROLLBACK) {
		/* Keep the message of the failure that led here. */
		if (sqlite3_get_autocommit(handle(db)))
			return 0;
		return sqlite3_exec(handle(db), "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : fail_here(db);
	}
	if (s_exec(db, sql[what])) {
		/* A COMMIT that fails (SQLITE_BUSY, disk full) leaves the transaction open. */
		if (what == CT_DB_TX_COMMIT && !sqlite3_get_autocommit(handle(db)))
			sqlite3_exec(handle(db), "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static int s_schema_version(struct ct_db *db, int *version)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(handle(db), "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
		return fail_here(db);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : fail_here(db);
}

static int s_set_schema_version(struct ct_db *db, int version)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return s_exec(db, sql);
}

const struct ct_db_ops ct_db_sqlite_ops = {
	.open = s_open,
	.close = s_close,
	.exec = s_exec,
	.prepare = s_prepare,
	.finalize = s_finalize,
	.bind = s_bind,
	.step = s_step,
	.reset = s_reset,
	.column_count = s_column_count,
	.column_name = s_column_name,
	.column_is_null = s_column_is_null,
	.column_text = s_column_text,
	.column_int64 = s_column_int64,
	.column_double = s_column_double,
	.queue = s_queue,
	.flush = s_flush,
	.tx = s_tx,
	.schema_version = s_schema_version,
	.set_schema_version = s_set_schema_version,
};
