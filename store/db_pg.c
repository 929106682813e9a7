/*
 * db_pg.c - store/db.h on PostgreSQL through libpq: the translation of the
 * neutral dialect (ct_db_translate_pg, the one place that knows the
 * differences), server-side prepared statements, and batches in libpq's
 * pipeline mode.
 */
#include "db.h"
#include "../base/base.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

struct pdb {
	struct ct_db base;
	PGconn *conn;
	unsigned next_name;   /* statement names ct_s1, ct_s2, ... */
	int pipelined;        /* in pipeline mode, with statements not yet synced */
	size_t queued;        /* statements sent since the last sync */
	int queue_failed;     /* a queued statement failed: the rest of the batch is void */
	int connected;        /* the connection was up once: a failure now means it was lost */
	/* statements with rows held by ct_db_queue_row, in the order they first held one */
	struct pstmt **holding;
	size_t nholding, aholding;
};

/* Rows of one INSERT sent together (ct_db_queue_row): at most this many per statement. */
#define HOLD_MAX 64

struct pstmt {
	struct ct_db_stmt base;
	char name[24];
	int nparams;
	char **values;        /* text of each parameter, NULL for SQL NULL */
	char *owned;          /* values[i] was allocated here */
	PGresult *res;
	int row;              /* current row of res, -1 before the first */
	int prepared;         /* sent to the server (at first use: see ensure_prepared) */
	/*
	 * ct_db_queue_row: row_form is 1 when the statement is one row of an
	 * INSERT ("INSERT INTO t(...) VALUES ($1, ..., $k)", ON CONFLICT DO
	 * NOTHING allowed), 0 when not, -1 before it was looked at; ins_head
	 * and ins_tail are the text around the row, table its table.
	 */
	int row_form;
	char *table, *ins_head, *ins_tail;
	char **held;          /* nheld rows of nparams values (owned; NULL for SQL NULL) */
	size_t nheld;
	int is_holding;       /* in the connection's holding list */
	char multi_ready[HOLD_MAX + 1];   /* the statement of m rows is prepared */
};

/* ---- translation ---- */

static int word_char(int c)
{
	return isalnum(c) || c == '_';
}

/* The word starting at or after p (blanks skipped): *len 0 when none. */
static const char *next_word(const char *p, size_t *len)
{
	while (isspace((unsigned char)*p))
		p++;
	*len = 0;
	if (isalpha((unsigned char)*p) || *p == '_')
		while (word_char((unsigned char)p[*len]))
			(*len)++;
	return p;
}

static int is_word(const char *w, size_t len, const char *kw)
{
	return strlen(kw) == len && !strncasecmp(w, kw, len);
}

/* Parameters are numbered up to this (SQLite's own limit is 32766). */
#define MAX_PARAMS 32766

/*
 * ORDER BY: SQLite sorts NULL first in ascending order and last in
 * descending order, PostgreSQL the other way round; each sort key gets
 * SQLite's order spelled out. Called at the end of a key (a comma, the end
 * of the clause).
 */
static void end_sort_key(struct ct_buf *out, int *desc, int *has_nulls)
{
	if (!*has_nulls) {
		while (out->len && out->buf[out->len - 1] == ' ')
			ct_buf_setlen(out, out->len - 1);
		ct_buf_addstr(out, *desc ? " NULLS LAST" : " NULLS FIRST");
	}
	*desc = *has_nulls = 0;
}

/* Whether the words at p are IS NULL or IS NOT NULL. */
static int null_test_follows(const char *p)
{
	size_t l1, l2, l3;
	const char *w1 = next_word(p, &l1);
	const char *w2 = next_word(w1 + l1, &l2);
	const char *w3 = next_word(w2 + l2, &l3);
	if (!is_word(w1, l1, "IS"))
		return 0;
	return is_word(w2, l2, "NULL") || (is_word(w2, l2, "NOT") && is_word(w3, l3, "NULL"));
}

char *ct_db_translate_pg(const char *sql, int *nparams, struct ct_buf *err)
{
	struct ct_buf out = CT_BUF_INIT;
	const char *p = sql;
	int maxp = 0, depth = 0;
	int ignore = 0;       /* this statement is an INSERT OR IGNORE */
	int first = 1;        /* the next word is the statement's first */
	int ddl = 0;          /* this statement is a CREATE or an ALTER */
	int order_depth = -1; /* the depth of the ORDER BY being read, -1 outside one */
	int desc = 0, has_nulls = 0;
	int json_close[16];   /* depths at which a json_each( call closes */
	int njson = 0;
	*nparams = 0;
	while (*p) {
		unsigned char c = (unsigned char)*p;
		if (order_depth >= 0 && depth == order_depth && (c == ',' || c == ';' || c == ')')) {
			end_sort_key(&out, &desc, &has_nulls);
			if (c != ',')
				order_depth = -1;
		}
		if (c == '\'' || c == '"') {
			/* A quoted string or identifier, doubled quotes inside. */
			const char *e = p + 1;
			while (*e && !(*e == (char)c && e[1] != (char)c))
				e += *e == (char)c ? 2 : 1;
			if (*e)
				e++;
			ct_buf_add(&out, p, (size_t)(e - p));
			p = e;
		} else if (c == '-' && p[1] == '-') {
			size_t n = strcspn(p, "\n");
			ct_buf_add(&out, p, n);
			p += n;
		} else if (c == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			e = e ? e + 2 : p + strlen(p);
			ct_buf_add(&out, p, (size_t)(e - p));
			p = e;
		} else if (c == '?') {
			int n;
			p++;
			if (isdigit((unsigned char)*p)) {
				n = (int)strtol(p, (char **)&p, 10);
				if (n < 1 || n > MAX_PARAMS) {
					ct_buf_addf(err, "parameter ?%d out of range", n);
					goto fail;
				}
			} else {
				n = maxp + 1;
				if (n > MAX_PARAMS) {
					ct_buf_addf(err, "more than %d parameters", MAX_PARAMS);
					goto fail;
				}
			}
			if (n > maxp)
				maxp = n;
			/*
			 * "? IS NULL" gives the server nothing to infer the type from
			 * (even when the parameter is used elsewhere too): it is text.
			 */
			if (null_test_follows(p))
				ct_buf_addf(&out, "CAST($%d AS TEXT)", n);
			else
				ct_buf_addf(&out, "$%d", n);
		} else if (c == '(' || c == ')') {
			if (c == ')' && njson && json_close[njson - 1] == depth) {
				ct_buf_addstr(&out, " AS json)");
				njson--;
			}
			depth += c == '(' ? 1 : -1;
			ct_buf_addch(&out, c);
			p++;
		} else if (c == ';') {
			if (ignore)
				ct_buf_addstr(&out, " ON CONFLICT DO NOTHING");
			ignore = 0;
			depth = 0;
			first = 1;
			ct_buf_addch(&out, c);
			p++;
		} else if (isalpha(c) || c == '_') {
			size_t len, l2, l3;
			const char *w = p, *w2, *w3;
			next_word(p, &len);
			p += len;
			w2 = next_word(p, &l2);
			w3 = next_word(w2 + l2, &l3);
			if (first)
				ddl = is_word(w, len, "CREATE") || is_word(w, len, "ALTER");
			first = 0;
			if (is_word(w, len, "IS") && !(l2 && (is_word(w2, l2, "NULL") || is_word(w2, l2, "TRUE") ||
					is_word(w2, l2, "FALSE") || is_word(w2, l2, "DISTINCT") ||
					is_word(w2, l2, "NOT")))) {
				/* SQLite's "a IS b" compares NULL as a value */
				ct_buf_addstr(&out, "IS NOT DISTINCT FROM");
			} else if (is_word(w, len, "IS") && is_word(w2, l2, "NOT") &&
				   !(l3 && (is_word(w3, l3, "NULL") || is_word(w3, l3, "TRUE") ||
					    is_word(w3, l3, "FALSE") || is_word(w3, l3, "DISTINCT")))) {
				/* ... and so does "a IS NOT b" */
				ct_buf_addstr(&out, "IS DISTINCT FROM");
				p = w2 + l2;
			} else if (is_word(w, len, "json_each") && *p == '(' && njson < (int)CT_ARRAY_SIZE(json_close)) {
				/* json_each(x): the elements of a JSON array as rows with a column value */
				ct_buf_addstr(&out, "json_array_elements_text(CAST");
				json_close[njson++] = depth + 1;
			} else if (is_word(w, len, "ORDER") && is_word(w2, l2, "BY")) {
				ct_buf_add(&out, w, len);
				ct_buf_addstr(&out, " BY");
				p = w2 + l2;
				order_depth = depth;
				desc = has_nulls = 0;
			} else if (order_depth >= 0 && depth == order_depth &&
				   (is_word(w, len, "LIMIT") || is_word(w, len, "OFFSET"))) {
				end_sort_key(&out, &desc, &has_nulls);
				order_depth = -1;
				ct_buf_addch(&out, ' ');
				ct_buf_add(&out, w, len);
			} else if (order_depth >= 0 && depth == order_depth && is_word(w, len, "DESC")) {
				ct_buf_add(&out, w, len);
				desc = 1;
			} else if (order_depth >= 0 && depth == order_depth && is_word(w, len, "NULLS")) {
				ct_buf_add(&out, w, len);
				has_nulls = 1;
			} else if (ddl && is_word(w, len, "TEXT")) {
				/* Text compares and sorts by its bytes, as SQLite's BINARY collation does. */
				ct_buf_addstr(&out, "TEXT COLLATE \"C\"");
			} else if (is_word(w, len, "INSERT") && is_word(w2, l2, "OR") && is_word(w3, l3, "IGNORE")) {
				ct_buf_add(&out, w, len);
				ignore = 1;
				p = w3 + l3;
			} else if (is_word(w, len, "INSERT") && is_word(w2, l2, "OR")) {
				ct_buf_addf(err, "INSERT OR %.*s has no PostgreSQL translation: write "
					    "INSERT ... ON CONFLICT (columns) DO UPDATE SET ...", (int)l3, w3);
				goto fail;
			} else if (is_word(w, len, "INTEGER") && is_word(w2, l2, "PRIMARY") &&
				   is_word(w3, l3, "KEY")) {
				ct_buf_addstr(&out, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
				p = w3 + l3;
				const char *w4 = next_word(p, &len);
				if (is_word(w4, len, "AUTOINCREMENT"))
					p = w4 + len;
			} else if (ddl && is_word(w, len, "INTEGER")) {
				/* Columns only: CAST(? AS INTEGER) elsewhere keeps int4 for functions that want it. */
				ct_buf_addstr(&out, "BIGINT");
			} else if (is_word(w, len, "WITHOUT") && is_word(w2, l2, "ROWID")) {
				p = w2 + l2;
			} else if (is_word(w, len, "RETURNING") && ignore && depth == 0) {
				ct_buf_addstr(&out, "ON CONFLICT DO NOTHING ");
				ct_buf_add(&out, w, len);
				ignore = 0;
			} else {
				ct_buf_add(&out, w, len);
			}
		} else if (isdigit(c)) {
			/* A number (or the digits of a word like t1 already passed). */
			while (word_char((unsigned char)*p))
				ct_buf_addch(&out, *p++);
		} else {
			ct_buf_addch(&out, c);
			p++;
		}
	}
	if (order_depth >= 0)
		end_sort_key(&out, &desc, &has_nulls);
	if (ignore)
		ct_buf_addstr(&out, " ON CONFLICT DO NOTHING");
	*nparams = maxp;
	return ct_buf_detach(&out, NULL);
fail:
	ct_buf_release(&out);
	return NULL;
}


/* ---- connection and errors ---- */

static PGconn *conn_of(struct ct_db *db)
{
	return ((struct pdb *)db)->conn;
}

/* Takes the message (and SQLSTATE) of res, or of the connection when res has none. */
static int fail_res(struct ct_db *db, const PGresult *res)
{
	PGconn *c = conn_of(db);
	const char *msg = res ? PQresultErrorMessage(res) : "";
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (!msg || !*msg)
		msg = c ? PQerrorMessage(c) : "out of memory";
	if (!msg || !*msg)
		msg = "unknown PostgreSQL error";
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
	/* libpq prefixes "ERROR:  " / "FATAL:  ": keep the text after it. */
	if (!strncmp(msg, "ERROR:  ", 8) || !strncmp(msg, "FATAL:  ", 8))
		msg += 8;
	/*
	 * Gone: libpq says so, or the server's last words were a shutdown or
	 * termination (57P01-57P03) or a connection failure (class 08), which
	 * arrive before libpq has seen the socket close.
	 */
	int gone = (c && PQstatus(c) == CONNECTION_BAD) || !strncmp(db->sqlstate, "57P0", 4) ||
		   !strncmp(db->sqlstate, "08", 2);
	if (gone && ((struct pdb *)db)->connected && !db->lost) {
		db->lost = 1;
		return ct_db_fail(db, "the connection to PostgreSQL was lost: %s", msg);
	}
	if (gone)
		db->lost = 1;
	return ct_db_fail(db, "%s", msg);
}

/* Notices ("relation already exists, skipping") are not errors: dropped. */
static void no_notices(void *arg, const char *message)
{
}

static int p_open(const char *target, const struct ct_db_open_options *opt, struct ct_db **out)
{
	struct pdb *d = (struct pdb *)ct_db_alloc(sizeof(*d), &ct_db_pg_ops, CT_DB_POSTGRES);
	char timeout[16];
	const char *keys[16], *vals[16];
	int n = 0;
	*out = &d->base;
	snprintf(timeout, sizeof(timeout), "%d", opt->connect_timeout_s > 0 ? opt->connect_timeout_s : 10);
	/*
	 * Defaults first, then the URL (expand_dbname): what the URL says wins.
	 * Keepalives and a TCP user timeout turn a silent network into an
	 * error within about a minute instead of a hang.
	 */
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "keepalives_idle", vals[n++] = "30";
	keys[n] = "keepalives_interval", vals[n++] = "10";
	keys[n] = "keepalives_count", vals[n++] = "3";
	keys[n] = "tcp_user_timeout", vals[n++] = "60000";
	keys[n] = "application_name", vals[n++] = "casetrail";
	if (opt->password)
		keys[n] = "password", vals[n++] = opt->password;
	keys[n] = "dbname", vals[n++] = target;
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	/*
	 * No JIT: the store's queries are short, and compiling them cost more
	 * than it saved (a month's complaint report on 1,000,000 items: 2.3-3.0 s
	 * with it, 1.6-2.0 s without).
	 */
	keys[n] = "options";
	vals[n++] = opt->readonly ? "-c jit=off -c default_transaction_read_only=on" : "-c jit=off";
	keys[n] = NULL, vals[n] = NULL;
	d->conn = PQconnectdbParams(keys, vals, 1);
	if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
		d->base.lost = 1;
		return fail_res(&d->base, NULL);
	}
	d->connected = 1;
	PQsetNoticeProcessor(d->conn, no_notices, NULL);
	if (PQserverVersion(d->conn) < 100000)
		return ct_db_fail(&d->base, "PostgreSQL %d.%d is too old: casetrail needs 10 or later",
				  PQserverVersion(d->conn) / 10000, PQserverVersion(d->conn) % 10000);
	return 0;
}

static void p_close(struct ct_db *db)
{
	struct pdb *d = (struct pdb *)db;
	free(d->holding);     /* the statements were finalized first (and their rows sent or dropped) */
	if (d->conn)
		PQfinish(d->conn);
	free(d);
}

/*
 * Ends a pipeline: syncs, reads every result up to the sync, leaves
 * pipeline mode. The first failure's message is kept; -1 when any
 * queued statement failed (including earlier chunks of this batch).
 */
static int pipeline_sync(struct ct_db *db, int leave, PGresult **keep)
{
	struct pdb *d = (struct pdb *)db;
	int failed = d->queue_failed;
	if (!d->pipelined)
		return failed ? -1 : 0;
	if (PQpipelineSync(d->conn) != 1) {
		fail_res(db, NULL);
		failed = 1;
		goto out;
	}
	for (int nulls = 0;;) {
		PGresult *r = PQgetResult(d->conn);
		if (!r) {
			/* One NULL ends each statement's results; two in a row, nothing is coming. */
			if (PQstatus(d->conn) == CONNECTION_BAD || ++nulls > 1) {
				if (!failed)
					fail_res(db, NULL);
				db->lost = PQstatus(d->conn) == CONNECTION_BAD;
				failed = 1;
				goto out;
			}
			continue;
		}
		nulls = 0;
		ExecStatusType s = PQresultStatus(r);
		if (s == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_PIPELINE_ABORTED && !failed) {
			fail_res(db, r);
			failed = 1;
		}
		if (keep && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)) {
			/* The last statement's result (keep's caller sent it last) is the one kept. */
			PQclear(*keep);
			*keep = r;
		} else {
			PQclear(r);
		}
	}
out:
	d->queued = 0;
	if (leave || db->lost) {
		if (!db->lost && PQexitPipelineMode(d->conn) != 1 && !failed) {
			fail_res(db, NULL);
			failed = 1;
		}
		d->pipelined = 0;
	}
	d->queue_failed = failed;
	return failed ? -1 : 0;
}

/* Before any call that waits for an answer: the queued statements are done. */
static int send_all_held(struct ct_db *db);
static void drop_all_held(struct ct_db *db);

static int idle_holding(struct ct_db *db, int send_held);

static int idle(struct ct_db *db)
{
	return idle_holding(db, 1);
}

/* The same; held rows (ct_db_queue_row) are sent first when send_held, else kept. */
static int idle_holding(struct ct_db *db, int send_held)
{
	struct pdb *d = (struct pdb *)db;
	if (send_held && d->nholding && !db->lost)
		send_all_held(db);   /* a failure is the sync's below */
	if (db->lost)
		return ct_db_fail(db, "%s", *db->err ? db->err : "the connection to PostgreSQL was lost");
	if (!d->pipelined && !d->queue_failed)
		return 0;
	int rc = pipeline_sync(db, 1, NULL);
	/* Outside a transaction the failed batch is over once reported. */
	if (!db->in_tx)
		d->queue_failed = 0;
	return rc;
}

static int p_exec(struct ct_db *db, const char *sql)
{
	struct ct_buf err = CT_BUF_INIT;
	int n, rc = 0;
	if (idle(db))
		return -1;
	char *t = ct_db_translate_pg(sql, &n, &err);
	if (!t) {
		rc = ct_db_fail(db, "%s", err.buf);
		goto out;
	}
	if (n) {
		rc = ct_db_fail(db, "ct_db_exec takes no parameters: %s", sql);
		goto out;
	}
	PGresult *r = PQexec(conn_of(db), t);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = fail_res(db, r);
	PQclear(r);
out:
	free(t);
	ct_buf_release(&err);
	return rc;
}

static int p_prepare(struct ct_db *db, const char *sql, struct ct_db_stmt **out)
{
	struct pdb *d = (struct pdb *)db;
	struct ct_buf err = CT_BUF_INIT;
	int n;
	char *t = ct_db_translate_pg(sql, &n, &err);
	if (!t) {
		ct_db_fail(db, "%s", err.buf);
		ct_buf_release(&err);
		return -1;
	}
	ct_buf_release(&err);
	/*
	 * The server hears of the statement at its first use (ensure_prepared),
	 * where a failure, a lost connection say, is an error the caller
	 * handles like any other of that statement.
	 */
	struct pstmt *s = ct_calloc(1, sizeof(*s));
	s->base.db = db;
	s->base.sql = ct_strdup(sql);
	s->base.engine_sql = t;
	s->nparams = n;
	s->values = ct_calloc((size_t)n + 1, sizeof(*s->values));
	s->owned = ct_calloc((size_t)n + 1, 1);
	s->row = -1;
	s->row_form = -1;
	snprintf(s->name, sizeof(s->name), "ct_s%u", ++d->next_name);
	*out = &s->base;
	return 0;
}

/* Prepares s on the server: in the pipeline when one is open (its answer comes with the sync). */
static int ensure_prepared(struct pstmt *s)
{
	struct ct_db *db = s->base.db;
	struct pdb *d = (struct pdb *)db;
	if (s->prepared)
		return 0;
	if (d->pipelined) {
		if (PQsendPrepare(d->conn, s->name, s->base.engine_sql, s->nparams, NULL) != 1)
			return fail_res(db, NULL);
		d->queued++;
		s->prepared = 1;
		return 0;
	}
	PGresult *r = PQprepare(d->conn, s->name, s->base.engine_sql, s->nparams, NULL);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : fail_res(db, r);
	PQclear(r);
	if (!rc)
		s->prepared = 1;
	return rc;
}

static void clear_values(struct pstmt *s)
{
	for (int i = 0; i < s->nparams; i++) {
		if (s->owned[i])
			free(s->values[i]);
		s->values[i] = NULL;
		s->owned[i] = 0;
	}
}

/* ---- rows held for multi-row INSERTs (ct_db_queue_row) ---- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	return p;
}

/* Whether s is one row of an INSERT that can take several (see struct pstmt). */
static int row_form(struct pstmt *s)
{
	if (s->row_form >= 0)
		return s->row_form;
	s->row_form = 0;
	const char *sql = s->base.engine_sql, *p = sql, *t;
	if (strncmp(p, "INSERT INTO ", 12) || s->nparams < 1)
		return 0;
	p = t = p + 12;
	while (word_char((unsigned char)*p))
		p++;
	if (p == t || *p != '(')
		return 0;
	char *table = ct_strndup(t, (size_t)(p - t));
	p = strchr(p, ')');
	if (!p || strncmp(p, ") VALUES (", 10)) {
		free(table);
		return 0;
	}
	const char *head_end = p + 9;
	p += 10;
	for (int i = 1; i <= s->nparams; i++) {
		char want[16];
		snprintf(want, sizeof(want), "$%d", i);
		p = skip_blanks(p);
		if (strncmp(p, want, strlen(want)) || isdigit((unsigned char)p[strlen(want)])) {
			free(table);
			return 0;
		}
		p = skip_blanks(p + strlen(want));
		if (*p != (i < s->nparams ? ',' : ')')) {
			free(table);
			return 0;
		}
		p++;
	}
	if (*p && strcmp(p, " ON CONFLICT DO NOTHING")) {
		free(table);
		return 0;
	}
	s->table = table;
	s->ins_head = ct_strndup(sql, (size_t)(head_end - sql));
	s->ins_tail = ct_strdup(p);
	return s->row_form = 1;
}

static void drop_held(struct pstmt *s)
{
	for (size_t i = 0; i < s->nheld * (size_t)s->nparams; i++)
		free(s->held[i]);
	s->nheld = 0;
}

static int enter_pipeline(struct ct_db *db)
{
	struct pdb *d = (struct pdb *)db;
	if (d->pipelined)
		return 0;
	if (PQenterPipelineMode(d->conn) != 1)
		return fail_res(db, NULL);
	d->pipelined = 1;
	return 0;
}

static int pipeline_sync(struct ct_db *db, int leave, PGresult **keep);
static int ensure_prepared(struct pstmt *s);

/* Sends the rows s holds as one INSERT (prepared once per number of rows). */
static int send_held(struct pstmt *s)
{
	struct ct_db *db = s->base.db;
	struct pdb *d = (struct pdb *)db;
	size_t m = s->nheld;
	int rc = 0;
	if (!m)
		return 0;
	if (enter_pipeline(db))
		goto fail;
	if (m == 1) {
		if (ensure_prepared(s) ||
		    PQsendQueryPrepared(d->conn, s->name, s->nparams, (const char *const *)s->held, NULL, NULL, 0) != 1)
			goto fail;
	} else {
		char name[64];
		snprintf(name, sizeof(name), "%s_%zu", s->name, m);
		if (!s->multi_ready[m]) {
			struct ct_buf sql = CT_BUF_INIT;
			ct_buf_addstr(&sql, s->ins_head);
			for (size_t r = 0; r < m; r++) {
				ct_buf_addstr(&sql, r ? ", (" : "(");
				for (int i = 0; i < s->nparams; i++)
					ct_buf_addf(&sql, "%s$%zu", i ? ", " : "", r * (size_t)s->nparams + (size_t)i + 1);
				ct_buf_addch(&sql, ')');
			}
			ct_buf_addstr(&sql, s->ins_tail);
			int ok = PQsendPrepare(d->conn, name, sql.buf, (int)(m * (size_t)s->nparams), NULL) == 1;
			ct_buf_release(&sql);
			if (!ok)
				goto fail;
			d->queued++;
			s->multi_ready[m] = 1;
		}
		if (PQsendQueryPrepared(d->conn, name, (int)(m * (size_t)s->nparams), (const char *const *)s->held,
					NULL, NULL, 0) != 1)
			goto fail;
	}
	drop_held(s);
	if (++d->queued >= CT_DB_PIPELINE_CHUNK)
		rc = pipeline_sync(db, 0, NULL);
	return rc;
fail:
	drop_held(s);
	d->queue_failed = 1;
	return fail_res(db, NULL);
}

/* Sends every held row, in the order the statements first held one. */
static int send_all_held(struct ct_db *db)
{
	struct pdb *d = (struct pdb *)db;
	int rc = 0;
	for (size_t i = 0; i < d->nholding; i++) {
		struct pstmt *s = d->holding[i];
		if (!rc && !db->lost && !d->queue_failed)
			rc = send_held(s);
		else
			drop_held(s);
		s->is_holding = 0;
	}
	d->nholding = 0;
	return rc;
}

/* Forgets every held row (a rollback, a lost connection). */
static void drop_all_held(struct ct_db *db)
{
	struct pdb *d = (struct pdb *)db;
	for (size_t i = 0; i < d->nholding; i++) {
		drop_held(d->holding[i]);
		d->holding[i]->is_holding = 0;
	}
	d->nholding = 0;
}

/* Whether sql names a table that has rows held (it must run after them). */
static int names_held_table(const struct pdb *d, const char *sql)
{
	for (size_t i = 0; i < d->nholding; i++) {
		const char *t = d->holding[i]->table;
		size_t n = strlen(t);
		for (const char *p = strstr(sql, t); p; p = strstr(p + 1, t))
			if ((p == sql || !word_char((unsigned char)p[-1])) && !word_char((unsigned char)p[n]))
				return 1;
	}
	return 0;
}

static void p_reset(struct ct_db_stmt *q);

static int p_queue(struct ct_db_stmt *q);

static int p_queue_row(struct ct_db_stmt *q)
{
	struct pstmt *s = (struct pstmt *)q;
	struct pdb *d = (struct pdb *)q->db;
	if (!row_form(s) || q->db->lost || d->queue_failed || !q->db->in_tx)
		return p_queue(q);
	if (!s->held)
		s->held = ct_calloc((size_t)HOLD_MAX * (size_t)s->nparams, sizeof(*s->held));
	char **row = s->held + s->nheld * (size_t)s->nparams;
	for (int i = 0; i < s->nparams; i++)
		row[i] = s->values[i] ? ct_strdup(s->values[i]) : NULL;
	s->nheld++;
	if (!s->is_holding) {
		CT_ALLOC_GROW(d->holding, d->nholding + 1, d->aholding);
		d->holding[d->nholding++] = s;
		s->is_holding = 1;
	}
	int rc = s->nheld == HOLD_MAX ? send_held(s) : 0;
	p_reset(q);
	return rc;
}

static void p_reset(struct ct_db_stmt *q)
{
	struct pstmt *s = (struct pstmt *)q;
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	clear_values(s);
}

static void p_finalize(struct ct_db_stmt *q)
{
	struct pstmt *s = (struct pstmt *)q;
	struct ct_db *db = q->db;
	if (s->is_holding) {
		/* its rows go out now, in their order with the others' */
		if (!db->lost && db->in_tx)
			send_all_held(db);
		else
			drop_all_held(db);
	}
	p_reset(q);
	/*
	 * Free the server's copy while the session goes on; a failed
	 * transaction refuses even that, and then it lives until the
	 * connection closes (harmless). The caller's message is kept.
	 */
	if (s->prepared && !db->lost && !db->in_tx && !((struct pdb *)db)->pipelined) {
		char sql[48];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(conn_of(db), sql));
	}
	free(s->values);
	free(s->owned);
	free(s->held);
	free(s->table);
	free(s->ins_head);
	free(s->ins_tail);
	free(s);
}

static int p_bind(struct ct_db_stmt *q, int i, const char *text, int64_t v, int how)
{
	struct pstmt *s = (struct pstmt *)q;
	if (i < 1 || i > s->nparams)
		return ct_db_fail(q->db, "binding parameter %d: the statement has %d", i, s->nparams);
	i--;
	if (s->owned[i])
		free(s->values[i]);
	s->owned[i] = 0;
	s->values[i] = NULL;
	switch (how) {
	case CT_DB_BIND_INT:
		s->values[i] = ct_xstrfmt("%lld", (long long)v);
		s->owned[i] = 1;
		break;
	case CT_DB_BIND_TEXT:
		s->values[i] = ct_strdup(text);
		s->owned[i] = 1;
		break;
	case CT_DB_BIND_STATIC:
		s->values[i] = (char *)text;
		break;
	}
	return 0;
}

static int p_step(struct ct_db_stmt *q)
{
	struct pstmt *s = (struct pstmt *)q;
	struct pdb *d = (struct pdb *)q->db;
	if (!s->res) {
		PGresult *r = NULL;
		/* held rows go out first when the query reads their table; otherwise they wait */
		if (d->nholding && names_held_table(d, q->engine_sql) && !q->db->lost)
			send_all_held(q->db);
		if (d->pipelined && !d->queue_failed && !q->db->lost) {
			/*
			 * Statements are queued: this one goes out behind them and
			 * comes back with their results, one round trip for all.
			 */
			int sent = !d->queue_failed && !ensure_prepared(s) &&
				   PQsendQueryPrepared(d->conn, s->name, s->nparams,
						       (const char *const *)s->values, NULL, NULL, 0) == 1;
			if (sent)
				d->queued++;
			int rc = pipeline_sync(q->db, 1, &r);
			if (!q->db->in_tx)
				d->queue_failed = 0;
			if (!sent || rc || !r) {
				if (!sent && !rc)
					fail_res(q->db, NULL);
				PQclear(r);
				return -1;
			}
		} else {
			if (idle_holding(q->db, 0) || ensure_prepared(s))
				return -1;
			r = PQexecPrepared(conn_of(q->db), s->name, s->nparams,
					   (const char *const *)s->values, NULL, NULL, 0);
		}
		ExecStatusType st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			fail_res(q->db, r);
			PQclear(r);
			return -1;
		}
		s->res = r;
		s->row = -1;
		const char *ch = PQcmdTuples(r);
		q->changes = ch && *ch ? strtoll(ch, NULL, 10) : 0;
	}
	if (s->row + 1 < PQntuples(s->res)) {
		s->row++;
		return CT_DB_ROW;
	}
	s->row = PQntuples(s->res);
	return CT_DB_DONE;
}

static int p_column_count(const struct ct_db_stmt *q)
{
	const struct pstmt *s = (const struct pstmt *)q;
	return s->res ? PQnfields(s->res) : 0;
}

static int on_row(const struct pstmt *s, int i)
{
	return s->res && s->row >= 0 && s->row < PQntuples(s->res) && i >= 0 && i < PQnfields(s->res);
}

static int p_column_is_null(const struct ct_db_stmt *q, int i)
{
	const struct pstmt *s = (const struct pstmt *)q;
	return !on_row(s, i) || PQgetisnull(s->res, s->row, i);
}

static const char *p_column_name(const struct ct_db_stmt *q, int i)
{
	const struct pstmt *s = (const struct pstmt *)q;
	return s->res ? PQfname(s->res, i) : NULL;
}

static const char *p_column_text(const struct ct_db_stmt *q, int i)
{
	const struct pstmt *s = (const struct pstmt *)q;
	if (p_column_is_null(q, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

static int64_t p_column_int64(const struct ct_db_stmt *q, int i)
{
	const char *t = p_column_text(q, i);
	if (!t)
		return 0;
	/* Booleans come as t and f; numerics as decimal text. */
	if (!strcmp(t, "t") || !strcmp(t, "f"))
		return *t == 't';
	return strtoll(t, NULL, 10);
}

static double p_column_double(const struct ct_db_stmt *q, int i)
{
	const char *t = p_column_text(q, i);
	return t ? strtod(t, NULL) : 0;
}

static int p_queue(struct ct_db_stmt *q)
{
	struct pstmt *s = (struct pstmt *)q;
	struct pdb *d = (struct pdb *)q->db;
	int rc = 0;
	/* a statement about a table with held rows runs after them */
	if (d->nholding && names_held_table(d, q->engine_sql) && send_all_held(q->db))
		rc = -1;
	else if (q->db->lost)
		rc = idle(q->db);
	else if (d->queue_failed)
		/* The batch already failed: sending more only adds noise. */
		rc = -1;
	if (rc)
		goto out;
	if (!d->pipelined) {
		if (PQenterPipelineMode(d->conn) != 1) {
			rc = fail_res(q->db, NULL);
			goto out;
		}
		d->pipelined = 1;
	}
	if (ensure_prepared(s) ||
	    PQsendQueryPrepared(d->conn, s->name, s->nparams, (const char *const *)s->values,
				NULL, NULL, 0) != 1) {
		rc = fail_res(q->db, NULL);
		d->queue_failed = 1;
		goto out;
	}
	/*
	 * Sync every chunk: the server's answers wait in the socket until we
	 * read them, and a blocking connection that never reads would stall
	 * both sides once the buffers are full. Syncing inside a transaction
	 * does not commit it.
	 */
	if (++d->queued >= CT_DB_PIPELINE_CHUNK)
		rc = pipeline_sync(q->db, 0, NULL);
out:
	p_reset(q);
	return rc;
}

static int p_flush(struct ct_db *db)
{
	return idle(db);
}

static int p_tx(struct ct_db *db, int what)
{
	struct pdb *d = (struct pdb *)db;
	if (what == CT_DB_TX_ROLLBACK) {
		/* Read what is still coming and forget it; keep the first failure's message. */
		drop_all_held(db);
		char *keep = ct_strdup(db->err);
		if (d->pipelined && !db->lost)
			pipeline_sync(db, 1, NULL);
		d->queue_failed = 0;
		d->pipelined = 0;
		int rc = 0;
		if (!db->lost) {
			PGresult *r = PQexec(d->conn, "ROLLBACK");
			rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
			PQclear(r);
		}
		free(db->err);
		db->err = keep;
		return db->lost ? -1 : rc;
	}
	if (what == CT_DB_TX_COMMIT && d->nholding && !db->lost) {
		db->in_tx = 1;
		send_all_held(db);   /* a failure is the sync's below */
		db->in_tx = 0;
	}
	if (what == CT_DB_TX_COMMIT && (d->pipelined || d->queue_failed)) {
		db->in_tx = 1;        /* the batch's failure belongs to this transaction */
		int rc = pipeline_sync(db, 1, NULL);
		db->in_tx = 0;
		if (rc) {
			p_tx(db, CT_DB_TX_ROLLBACK);
			return -1;
		}
	}
	if (idle(db))
		return -1;
	PGresult *r = PQexec(d->conn, what == CT_DB_TX_BEGIN ? "BEGIN" : "COMMIT");
	int rc = 0;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = fail_res(db, r);
	else if (what == CT_DB_TX_COMMIT && !strcmp(PQcmdStatus(r), "ROLLBACK"))
		/* COMMIT of a transaction that had failed rolls back without an error. */
		rc = ct_db_fail(db, "the transaction had failed and was rolled back");
	PQclear(r);
	return rc;
}

static int p_schema_version(struct ct_db *db, int *version)
{
	if (idle(db))
		return -1;
	/*
	 * Read from pg_class, not with to_regclass(): a name looked up before
	 * another process created the table may stay "missing" in this
	 * backend's catalog cache (an advisory lock does not refresh it).
	 */
	PGresult *r = PQexec(conn_of(db), "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
			     " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
			     " WHERE c.relname = 'schema_version' AND n.nspname = current_schema())");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fail_res(db, r);
		PQclear(r);
		return -1;
	}
	int exists = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!exists)
		return 0;
	r = PQexec(conn_of(db), "SELECT max(version) FROM schema_version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fail_res(db, r);
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int p_set_schema_version(struct ct_db *db, int version)
{
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
		 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)", version);
	return p_exec(db, sql);
}

const struct ct_db_ops ct_db_pg_ops = {
	.open = p_open,
	.close = p_close,
	.exec = p_exec,
	.prepare = p_prepare,
	.finalize = p_finalize,
	.bind = p_bind,
	.step = p_step,
	.reset = p_reset,
	.column_count = p_column_count,
	.column_name = p_column_name,
	.column_is_null = p_column_is_null,
	.column_text = p_column_text,
	.column_int64 = p_column_int64,
	.column_double = p_column_double,
	.queue = p_queue,
	.queue_row = p_queue_row,
	.flush = p_flush,
	.tx = p_tx,
	.schema_version = p_schema_version,
	.set_schema_version = p_set_schema_version,
};
