/*
 * store.c - opening the SQLite store, transactions, incremental state
 * (seen keys, cursors), item insertion with dedupe, tags and run records.
 * Threading lives in thread.c, routing in routing.c, case reading in cases.c.
 */
#include "store_p.h"
#include "../ingest/ingest.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Corruption found by SQLite anywhere (its error log sees every
 * SQLITE_CORRUPT, also where a read loop stops at the first error without
 * looking at it). Counted per process; a store compares with the count at
 * its open, so a batch read from damaged pages is never committed.
 */
static long corrupt_events;
/* The damage was reported: once per process, whichever connection met it first. */
static int damage_said;

static void sqlite_log(void *data, int code, const char *msg)
{
	if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB)
		__atomic_add_fetch(&corrupt_events, 1, __ATOMIC_RELAXED);
}

/* The directory holding path (a new string). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ct_strdup(".");
	if (slash == path)
		return ct_strdup("/");
	return ct_strndup(path, (size_t)(slash - path));
}

/* "root:root, mode 0600" for the hint about who may use a file. */
static void describe_owner(const char *path, char *out, size_t n)
{
	struct stat sb;
	snprintf(out, n, "?");
	if (stat(path, &sb) != 0)
		return;
	struct passwd *pw = getpwuid(sb.st_uid);
	struct group *gr = getgrgid(sb.st_gid);
	char u[32], g[32];
	snprintf(u, sizeof(u), "%ld", (long)sb.st_uid);
	snprintf(g, sizeof(g), "%ld", (long)sb.st_gid);
	snprintf(out, n, "%s:%s, mode %04o", pw ? pw->pw_name : u, gr ? gr->gr_name : g,
		 (unsigned)(sb.st_mode & 07777));
}

static int dir_not_writable(struct ct_store *st, const char *what, int e)
{
	char *dir = dir_of(st->path);
	char own[128];
	describe_owner(dir, own, sizeof(own));
	if (e == EROFS)
		ct_error("store '%s' cannot be %s: its directory '%s' is on a read-only file system",
			 st->path, what, dir);
	else
		ct_error("store '%s' cannot be %s: its directory '%s' is not writable (%s): %s",
			 st->path, what, dir, own, strerror(e));
	if (st->writable)
		ct_hint("SQLite keeps '%s-wal' and '%s-shm', casetrail '%s.lock' beside the store: make "
			"'%s' writable for this user, or move the store", st->path, st->path, st->path, dir);
	else
		ct_hint("reading needs '%s-wal' and '%s-shm' beside the store (there while a writer has "
			"it open), or a writable '%s' to create them: make it writable for this user, or "
			"copy the store elsewhere", st->path, st->path, dir);
	free(dir);
	return -1;
}

/* file: the store or one of its -wal, -shm files; what: "read" or "written". */
static int file_not_accessible(struct ct_store *st, const char *file, const char *what, int e)
{
	char own[128];
	describe_owner(file, own, sizeof(own));
	if (e == EROFS) {
		ct_error("store '%s' cannot be %s: its file system is mounted read-only", st->path, what);
		ct_hint("remount it read-write, or copy the store to a writable place");
		return -1;
	}
	if (e == EPERM) {
		/* access(W_OK) says EPERM only for an immutable file. */
		ct_error("store '%s' cannot be %s: '%s' is immutable: %s", st->path, what, file, strerror(e));
		ct_hint("'chattr -i %s' (lsattr shows it); what was committed before is kept, so run "
			"again afterwards", file);
		return -1;
	}
	if (strcmp(file, st->path))
		ct_error("store '%s' cannot be %s: '%s' (%s): %s", st->path, what, file, own, strerror(e));
	else
		ct_error("store '%s' cannot be %s (%s): %s", st->path, what, own, strerror(e));
	ct_hint("run casetrail as the store's owner, or give this user %s access to '%s'",
		!strcmp(what, "read") ? "read" : "write", file);
	return -1;
}

/*
 * After SQLite could not write: which of the store's files, or its
 * directory, the file system refuses to write (reported, -1); 0 when all
 * look writable.
 */
static int probe_writable(struct ct_store *st)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	int ret = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(ext) && !ret; i++) {
		char *f = ct_xstrfmt("%s%s", st->path, ext[i]);
		if (access(f, F_OK) == 0 && access(f, W_OK) != 0)
			ret = file_not_accessible(st, f, "written", errno);
		free(f);
	}
	if (!ret) {
		char *dir = dir_of(st->path);
		if (access(dir, W_OK) != 0)
			ret = dir_not_writable(st, "written", errno);
		free(dir);
	}
	return ret;
}

/*
 * PostgreSQL's message, and what to do when the server went away (the run
 * stops; what was committed is kept and the next run goes on from there).
 */
static int report_pgerr(struct ct_store *st, const char *what, const char *detail)
{
	ct_error("store '%s': %s: %s", st->path, what, detail);
	if (ct_db_lost(st->db))
		ct_hint("the connection to the server was lost: what was committed is kept; run again "
			"when the server is back");
	return -1;
}

/*
 * Says what is wrong with a store SQLite could not read or write, from its
 * result code (extended) and the system's errno, with what to do about it.
 */
static int report_sqlerr(struct ct_store *st, int code, const char *what, const char *detail)
{
	sqlite3 *h = ct_db_sqlite(st->db);
	if (!h)
		return report_pgerr(st, what, detail);
	int prim = code & 0xff;
	int e = sqlite3_system_errno(h);
	if (prim == SQLITE_FULL || (prim == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT))) {
		char *dir = dir_of(st->path);
		st->write_failed = 1;
		ct_error("store '%s': %s: the disk is full (%s)", st->path, what, detail);
		ct_hint("free space where '%s' lives (df -h '%s'), then run again: what was committed "
			"before is kept", st->path, dir);
		free(dir);
		return -1;
	}
	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) {
		if (__atomic_exchange_n(&damage_said, 1, __ATOMIC_RELAXED))
			return -1;
		ct_error("store '%s' is damaged%s: %s: %s", st->path,
			 prim == SQLITE_NOTADB ? " or not a casetrail store" : "", what, detail);
		ct_hint("'casetrail --db %s store check' lists the damage; restore the store from a "
			"backup", st->path);
		return -1;
	}
	if (code == SQLITE_READONLY_DIRECTORY || code == SQLITE_READONLY_CANTINIT)
		return dir_not_writable(st, st->writable ? "written" : "read", EACCES);
	if (code == SQLITE_READONLY_DBMOVED) {
		ct_error("store '%s': %s: the file was moved or deleted while casetrail had it open",
			 st->path, what);
		return -1;
	}
	if (prim == SQLITE_READONLY || prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN) {
		/* SQLite's errno is often gone by now: ask the file system what it refuses. */
		st->write_failed = 1;
		if (probe_writable(st))
			return -1;
		if (e)
			return ct_error("store '%s': %s: %s (%s)", st->path, what, detail, strerror(e));
	}
	return ct_error("store '%s': %s: %s", st->path, what, detail);
}

int ct_store_sqlerr(struct ct_store *st, const char *what)
{
	sqlite3 *h = ct_db_sqlite(st->db);
	return report_sqlerr(st, h ? sqlite3_extended_errcode(h) : 0, what, ct_db_errmsg(st->db));
}

struct ct_db_stmt *ct_store_stmt(struct ct_store *st, enum ct_stmt_id id, const char *sql)
{
	if ((unsigned)id >= ST__COUNT)
		ct_bug("statement id %d out of range", (int)id);
	struct ct_db_stmt *q = st->stmts[id];
	if (!q) {
		if (ct_db_prepare(st->db, sql, &q)) {
			ct_store_sqlerr(st, "preparing a statement");
			ct_bug("bad SQL: %s", sql);
		}
		st->stmts[id] = q;
		st->stmt_sql[id] = sql;
	} else {
		/* The same call site passes the same literal: compare text only when it is not. */
		if (sql != st->stmt_sql[id] && strcmp(sql, ct_db_stmt_sql(q)))
			ct_bug("statement %d asked for \"%s\" but holds \"%s\"", (int)id, sql, ct_db_stmt_sql(q));
		ct_db_reset(q);
	}
	return q;
}

int ct_store_bind_text(struct ct_db_stmt *q, int i, const char *s)
{
	if (!s)
		return ct_db_bind_null(q, i);
	return ct_db_bind_text(q, i, s);
}

int ct_store_bind_static(struct ct_db_stmt *q, int i, const char *s)
{
	if (!s)
		return ct_db_bind_null(q, i);
	return ct_db_bind_text_static(q, i, s);
}

char *ct_store_col_strdup(struct ct_db_stmt *q, int i)
{
	const char *t = ct_db_column_text(q, i);
	return t ? ct_strdup(t) : NULL;
}

const char *ct_store_path(const struct ct_store *st)
{
	return st->path;
}

static int exec(struct ct_store *st, const char *sql, const char *what)
{
	if (ct_db_exec(st->db, sql))
		return ct_store_sqlerr(st, what);
	return 0;
}

/* CASETRAIL_SQL_SLOW_MS=N prints every statement slower than N ms (tuning aid). */
static int slow_ms = -1;

static int trace_slow(unsigned type, void *ctx, void *p, void *x)
{
	int64_t ns = *(int64_t *)x;
	if (ns / 1000000 >= slow_ms) {
		char *sql = sqlite3_expanded_sql(p);
		fprintf(stderr, "casetrail: slow SQL (%.1f ms): %.300s\n", (double)ns / 1e6, sql ? sql : "?");
		sqlite3_free(sql);
	}
	return 0;
}

/*
 * One writer at a time: a writer holds an exclusive flock on PATH.lock for
 * as long as the store is open, with its pid and start time written in it.
 * A second writer waits up to busy_timeout_ms, then names the holder.
 */
static int lock_store(struct ct_store *st)
{
	char *lp = ct_xstrfmt("%s.lock", st->path);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		ct_error("cannot create the lock file '%s': %s", lp, strerror(e));
		free(lp);
		return -1;
	}
	double deadline = ct_now_mono() + st->opt.busy_timeout_ms / 1000.0;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			ct_error("cannot lock '%s': %s", lp, strerror(errno));
			goto fail;
		}
		if (ct_now_mono() >= deadline) {
			char who[128] = "";
			ssize_t n = pread(fd, who, sizeof(who) - 1, 0);
			if (n > 0) {
				who[n] = '\0';
				who[strcspn(who, "\n")] = '\0';
			}
			long pid = 0;
			char started[64] = "?";
			sscanf(who, "%ld %63s", &pid, started);
			ct_error("store '%s' is in use by another casetrail run (pid %ld, started %s); "
				 "gave up after %.1f s", st->path, pid, started,
				 st->opt.busy_timeout_ms / 1000.0);
			ct_hint("wait for it to finish, or raise CASETRAIL_BUSY_TIMEOUT_MS");
			goto fail;
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	char line[96], when[32];
	ct_time_iso((ct_time)time(NULL), when);
	int len = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), when);
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)len, 0) != len) {
		/* only informative; the lock itself is what counts */
	}
	st->lock_fd = fd;
	free(lp);
	return 0;
fail:
	close(fd);
	free(lp);
	return -1;
}

/*
 * What the file system says before SQLite is asked: the store (or, for a
 * new one, its directory) must be readable, and for a writer writable, with
 * room in its directory for the -wal, -shm and lock files. Reported as
 * such, instead of the SQLite error they would cause later.
 */
static int check_access(struct ct_store *st)
{
	struct stat sb;
	char *dir = dir_of(st->path);
	int ret = -1;
	if (stat(st->path, &sb) != 0) {
		int e = errno;
		if (e != ENOENT || !st->writable) {
			ct_error("store '%s' cannot be read: %s", st->path, strerror(e));
			if (e == ENOENT)
				ct_hint("run 'casetrail ingest' first, or point --db at an existing store");
			goto out;
		}
		if (access(dir, W_OK) != 0) {
			e = errno;
			if (e == ENOENT)
				ct_error("cannot create store '%s': directory '%s' does not exist", st->path, dir);
			else
				dir_not_writable(st, "created", e);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		ct_error("store '%s' is a directory, not a casetrail store", st->path);
		goto out;
	}
	if (access(st->path, R_OK) != 0) {
		file_not_accessible(st, st->path, "read", errno);
		goto out;
	}
	if (st->writable && access(st->path, W_OK) != 0) {
		file_not_accessible(st, st->path, "written", errno);
		goto out;
	}
	if (st->writable && access(dir, W_OK) != 0) {
		dir_not_writable(st, "written", errno);
		goto out;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

/*
 * The cheap part of a check, on every open: the header and the schema can
 * be read, the schema version is one this build knows, and a store that
 * has one holds casetrail's tables. Damaged pages elsewhere are found when
 * a statement reads them ('casetrail store check' reads them all: about
 * 0.5 s per 100 MB from the page cache, seconds from disk, too slow for
 * every open).
 */
static int check_schema(struct ct_store *st)
{
	struct ct_db_stmt *q = NULL;
	int rc, tables = 0;
	if (ct_db_schema_version(st->db, &st->version))
		return ct_store_sqlerr(st, "reading the schema version");
	if (ct_store_check_version(st, st->version))
		return -1;
	if (ct_db_prepare(st->db, ct_db_kind(st->db) == CT_DB_SQLITE
			  ? "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
			    " AND name IN ('items', 'cases', 'seen', 'cursors', 'runs')"
			  : "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
			    " AND table_name IN ('items', 'cases', 'seen', 'cursors', 'runs')", &q))
		return ct_store_sqlerr(st, "reading the schema");
	rc = ct_db_step(q);
	if (rc == CT_DB_ROW)
		tables = (int)ct_db_column_int64(q, 0);
	ct_db_finalize(q);
	if (rc != CT_DB_ROW)
		return ct_store_sqlerr(st, "reading the schema");
	if (st->version > 0 && tables != 5) {
		ct_error("store '%s' is damaged or not a casetrail store: schema version %d but %d of "
			 "its 5 main tables", st->path, st->version, tables);
		ct_hint("'casetrail --db %s store check' lists the damage; restore the store from a "
			"backup", st->path);
		return -1;
	}
	return 0;
}

/*
 * SQLite keeps memory statistics by default, behind a global mutex taken
 * on every allocation and free: a quarter of a million lock pairs per
 * 5,000 messages stored. Nothing reads them.
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log, NULL);
	sqlite3_initialize();
}

/* The SQLite side of an open: the file's checks before, its PRAGMAs after. */
static int open_sqlite(struct ct_store *st, const char *path, int writable)
{
	if (check_access(st))
		return -1;
	if (writable && lock_store(st))
		return -1;
	pthread_once(&sqlite_once, sqlite_setup);
	st->corrupt_mark = __atomic_load_n(&corrupt_events, __ATOMIC_RELAXED);
	struct ct_db_open_options o = { .readonly = !writable, .busy_timeout_ms = st->opt.busy_timeout_ms };
	if (ct_db_open(path, &o, &st->db)) {
		ct_error("cannot open store '%s': %s", path, ct_db_errmsg(st->db));
		return -1;
	}
	sqlite3 *h = ct_db_sqlite(st->db);
	if (getenv("CASETRAIL_SQL_SLOW_MS")) {
		slow_ms = atoi(getenv("CASETRAIL_SQL_SLOW_MS"));
		sqlite3_trace_v2(h, SQLITE_TRACE_PROFILE, trace_slow, NULL);
	}
	/* Damaged pages are found when they are read, also by a writer. */
	if (exec(st, "PRAGMA cell_size_check = ON", "enabling page checks") || check_schema(st))
		return -1;
	if (writable) {
		if (exec(st, "PRAGMA journal_mode = WAL", "switching to WAL") ||
		    exec(st, "PRAGMA synchronous = NORMAL", "setting synchronous") ||
		    /* Fewer, larger checkpoints: a nightly run writes in bursts. */
		    exec(st, "PRAGMA wal_autocheckpoint = 8192", "setting the checkpoint size"))
			return -1;
	}
	/*
	 * A writer keeps a small cache so a long ingest stays within a few tens
	 * of MiB; a reader (the reports) maps the file and caches more, since it
	 * reads scattered pages of a large store once.
	 */
	if (writable)
		exec(st, "PRAGMA cache_size = -16384", "setting the cache size");
	else
		exec(st, "PRAGMA cache_size = -131072; PRAGMA mmap_size = 4294967296",
		     "setting the cache size");
	exec(st, "PRAGMA temp_store = MEMORY", "setting temp_store");
	return 0;
}

/*
 * The PostgreSQL side: no file and no lock file; several writers share the
 * database (threading serialises them where they meet, thread.c).
 */
static int open_postgres(struct ct_store *st, const char *url, int writable)
{
	struct ct_db_open_options o = {
		.readonly = !writable,
		.connect_timeout_s = st->opt.connect_timeout_s,
		.password = st->password,
	};
	if (ct_db_open(url, &o, &st->db)) {
		ct_error("cannot connect to store '%s': %s", st->path, ct_db_errmsg(st->db));
		ct_hint("check the server, the URL, and the password (password_command, password_env, "
			"~/.pgpass or PGPASSWORD)");
		return -1;
	}
	return check_schema(st);
}

int ct_store_is_url(const char *target)
{
	return ct_db_is_url(target);
}

int ct_store_open(const char *path, int writable, const struct ct_store_options *opt,
		  struct ct_store **out)
{
	struct ct_store *st = ct_calloc(1, sizeof(*st));
	st->path = ct_db_display_name(path);
	st->target = ct_strdup(path);
	st->writable = writable;
	st->lock_fd = -1;
	st->analyzed_rows = -1;
	if (opt)
		st->opt = *opt;
	/* Kept (for ct_store_open_reader) as a copy, not as the caller's pointer. */
	st->password = st->opt.password ? ct_strdup(st->opt.password) : NULL;
	st->opt.password = NULL;
	if (!st->opt.thread_window_days)
		st->opt.thread_window_days = 30;
	if (!st->opt.busy_timeout_ms)
		st->opt.busy_timeout_ms = 10000;
	*out = NULL;
	if (ct_db_is_url(path) ? open_postgres(st, path, writable) : open_sqlite(st, path, writable))
		goto fail;
	if (writable) {
		if (ct_store_migrate(st))
			goto fail;
	} else if (st->version == 0) {
		ct_error("'%s' is not a casetrail store (or it is empty)", st->path);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	ct_store_close(st);
	return -1;
}

int ct_store_open_reader(struct ct_store *st, struct ct_store **out)
{
	struct ct_store *r = ct_calloc(1, sizeof(*r));
	r->path = ct_strdup(st->path);
	r->target = ct_strdup(st->target);
	r->opt = st->opt;
	r->password = st->password ? ct_strdup(st->password) : NULL;
	r->lock_fd = -1;
	r->version = st->version;
	*out = NULL;
	struct ct_db_open_options o = {
		.readonly = 1,
		.busy_timeout_ms = r->opt.busy_timeout_ms,
		.connect_timeout_s = r->opt.connect_timeout_s,
		.password = st->password,
	};
	if (ct_db_open(st->target, &o, &r->db)) {
		ct_error("cannot open store '%s' for reading: %s", st->path, ct_db_errmsg(r->db));
		ct_store_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

void ct_store_close(struct ct_store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		ct_store_rollback(st);
	for (size_t i = 0; i < CT_ARRAY_SIZE(st->stmts); i++)
		ct_db_finalize(st->stmts[i]);
	ct_db_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->rules_hash);
	free(st->dirty);
	free(st->touched);
	free(st->path);
	free(st->target);
	free(st->password);
	free(st->seen_source);
	ct_strlist_clear(&st->seen_cache);
	ct_store_expect_done(st);
	free(st);
}

/* The advisory lock writers of a PostgreSQL store take per transaction ("casetrail"). */
#define CT_STORE_WRITE_LOCK "6364786566163010"

/* Names the process that holds the store, from the runs table. */
static void explain_busy(struct ct_store *st)
{
	struct ct_db_stmt *q;
	ct_error("store '%s' is busy: another process is writing it (waited %d ms)", st->path,
		 st->opt.busy_timeout_ms);
	if (ct_db_prepare(st->db, "SELECT pid, started_at FROM runs WHERE finished_at IS NULL "
			       "ORDER BY id DESC LIMIT 1", &q))
		return;
	if (ct_db_step(q) == CT_DB_ROW) {
		char when[32];
		long pid = (long)ct_db_column_int64(q, 0);
		ct_time_iso(ct_db_column_int64(q, 1), when);
		if (pid > 0 && kill((pid_t)pid, 0) == 0)
			ct_hint("casetrail pid %ld (started %s) holds it; wait for it to finish", pid, when);
	}
	ct_db_finalize(q);
}

int ct_store_begin(struct ct_store *st)
{
	if (st->in_tx)
		ct_bug("nested transaction");
	/*
	 * PostgreSQL: writers (ingest workers on several machines, classify,
	 * decisions) take turns per transaction, as SQLite's BEGIN IMMEDIATE
	 * makes them: threading a batch reads the cases other writers made, and
	 * two batches filing replies of one thread at once could each open a
	 * case for it. The lock ends with the transaction (also when the
	 * connection dies), and a batch holds it only while it writes
	 * (pipeline.c gathers the batch first).
	 */
	if (!ct_db_begin(st->db) && ct_db_kind(st->db) == CT_DB_POSTGRES &&
	    ct_db_exec(st->db, "SELECT pg_advisory_xact_lock(" CT_STORE_WRITE_LOCK ")")) {
		ct_store_sqlerr(st, "waiting for the other writers");
		ct_db_rollback(st->db);
		return -1;
	}
	if (!ct_db_in_tx(st->db)) {
		sqlite3 *h = ct_db_sqlite(st->db);
		if (h && (sqlite3_extended_errcode(h) & 0xff) == SQLITE_BUSY) {
			explain_busy(st);
			return -1;
		}
		return ct_store_sqlerr(st, "starting a transaction");
	}
	st->in_tx = 1;
	st->ndirty = 0;
	ct_pf_end_tx(st);
	st->touched_mark = st->ntouched;
	return 0;
}

int ct_store_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static const char *const id_tables[2] = { "items", "cases" };

int ct_store_new_id(struct ct_store *st, int table, int64_t *id)
{
	if (!st->in_tx)
		ct_bug("new id outside a transaction");
	if (!st->ids[table].active) {
		struct ct_db_stmt *q;
		char *sql = ct_xstrfmt("SELECT nextval(pg_get_serial_sequence('%s', 'id'))", id_tables[table]);
		int rc = ct_db_prepare(st->db, sql, &q);
		free(sql);
		if (!rc && ct_db_step(q) == CT_DB_ROW)
			st->ids[table].first = ct_db_column_int64(q, 0);
		else
			rc = -1;
		ct_db_finalize(q);
		if (rc)
			return ct_store_sqlerr(st, "numbering new rows");
		st->ids[table].active = 1;
		st->ids[table].used = 0;
	}
	*id = st->ids[table].first + st->ids[table].used++;
	return 0;
}

/* The sequences continue after the ids ct_store_new_id handed out. */
static int settle_ids(struct ct_store *st)
{
	for (int t = 0; t < 2; t++) {
		if (!st->ids[t].active)
			continue;
		st->ids[t].active = 0;
		char *sql = ct_xstrfmt("SELECT setval(pg_get_serial_sequence('%s', 'id'), %lld, false)",
				       id_tables[t], (long long)(st->ids[t].first + st->ids[t].used));
		int rc = ct_db_exec(st->db, sql);
		free(sql);
		if (rc)
			return ct_store_sqlerr(st, "numbering new rows");
	}
	return 0;
}

/*
 * PostgreSQL plans a prepared statement once for all its runs, from the
 * statistics of the tables at the time. Made on a new store, those plans
 * are for empty tables (a threading lookup by reference then took 0.9 ms
 * instead of 0.05 once the store had 20,000 items). So when this process
 * has made the items ten times what the statistics knew (from nothing:
 * after 1,000 items), it refreshes them (ANALYZE invalidates the plans; at
 * 20,000 items it took 0.2 s, so not more often); on a large store a run
 * rarely adds that many, and autovacuum keeps them. A role that does not own the tables is skipped by
 * the server with a warning, which is not shown.
 */
static void analyze_if_grown(struct ct_store *st)
{
	st->added_items += st->tx_new_items;
	st->tx_new_items = 0;
	if (ct_db_kind(st->db) != CT_DB_POSTGRES)
		return;
	if (st->analyzed_rows < 0) {
		struct ct_db_stmt *q;
		st->analyzed_rows = 0;
		if (!ct_db_prepare(st->db, "SELECT reltuples FROM pg_class WHERE oid = CAST('items' AS regclass)", &q)) {
			if (ct_db_step(q) == CT_DB_ROW && ct_db_column_double(q, 0) > 0)
				st->analyzed_rows = (int64_t)ct_db_column_double(q, 0);
			ct_db_finalize(q);
		}
	}
	int64_t threshold = st->analyzed_rows > 111 ? 9 * st->analyzed_rows : 1000;
	if (st->added_items < threshold)
		return;
	ct_db_exec(st->db, "ANALYZE items, item_refs");
	st->analyzed_rows += st->added_items;
	st->added_items = 0;
}

int ct_store_commit(struct ct_store *st)
{
	if (!st->in_tx)
		ct_bug("commit without transaction");
	if (st->ndirty)
		qsort(st->dirty, st->ndirty, sizeof(*st->dirty), ct_store_cmp_i64);
	if (st->ndirty && ct_store_route_cases(st, st->dirty, st->ndirty)) {
		ct_store_rollback(st);
		return -1;
	}
	st->ndirty = 0;
	/* Rows read from damaged pages may have steered this batch: keep none of it. */
	if (settle_ids(st) || ct_store_check_damage(st)) {
		ct_store_rollback(st);
		return -1;
	}
	if (ct_db_commit(st->db)) {
		/* The transaction is gone either way (ct_db_commit rolls back what failed). */
		ct_store_sqlerr(st, "committing");
		ct_store_rollback(st);
		return -1;
	}
	st->in_tx = 0;
	ct_pf_end_tx(st);
	analyze_if_grown(st);
	return 0;
}

int ct_store_rollback(struct ct_store *st)
{
	st->in_tx = 0;
	st->ndirty = 0;
	st->ntouched = st->touched_mark;
	st->ids[CT_IDS_ITEMS].active = st->ids[CT_IDS_CASES].active = 0;
	st->tx_new_items = 0;
	ct_pf_end_tx(st);
	if (!st->db || !ct_db_in_tx(st->db))
		return 0;
	if (ct_db_rollback(st->db))
		return ct_store_sqlerr(st, "rolling back");
	return 0;
}

int ct_store_check_damage(struct ct_store *st)
{
	if (__atomic_load_n(&corrupt_events, __ATOMIC_RELAXED) == st->corrupt_mark)
		return 0;
	if (!__atomic_exchange_n(&damage_said, 1, __ATOMIC_RELAXED)) {
		ct_error("store '%s' is damaged: SQLite found malformed pages while reading it", st->path);
		ct_hint("'casetrail --db %s store check' lists the damage; restore the store from a "
			"backup", st->path);
	}
	return -1;
}

int ct_store_check(const char *path, const char *password, int (*cb)(const char *problem, void *data),
		   void *data)
{
	struct ct_store st = { .path = ct_db_display_name(path), .lock_fd = -1, .password = (char *)password };
	int n = 0, rc = SQLITE_OK;
	if (ct_db_is_url(path)) {
		/* The server keeps its own pages sound: what is left to check is the schema. */
		if (open_postgres(&st, path, 0))
			n = -1;
		else if (st.version == 0)
			n = ct_error("'%s' is not a casetrail store (or it is empty)", st.path);
		goto out;
	}
	if (check_access(&st)) {
		n = -1;
		goto out;
	}
	pthread_once(&sqlite_once, sqlite_setup);
	struct ct_db_open_options o = { .readonly = 1 };
	if (ct_db_open(path, &o, &st.db)) {
		ct_error("cannot open store '%s': %s", path, ct_db_errmsg(st.db));
		n = -1;
		goto out;
	}
	sqlite3 *h = ct_db_sqlite(st.db);
	sqlite3_stmt *q = NULL;
	rc = sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *msg = (const char *)sqlite3_column_text(q, 0);
		if (!msg || !strcmp(msg, "ok"))
			continue;
		/* A row may hold several problems, a line each, after a "*** in database" title. */
		int stop = 0;
		for (const char *l = msg; *l && !stop; l += strcspn(l, "\n"), l += *l == '\n') {
			size_t len = strcspn(l, "\n");
			if (!len || !strncmp(l, "*** ", 4))
				continue;
			char *line = ct_strndup(l, len);
			n++;
			stop = cb(line, data);
			free(line);
		}
		if (stop)
			break;
	}
	if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		int prim = rc & 0xff;
		/* A file SQLite cannot read at all is a problem found, not a failed check. */
		if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB) {
			cb(sqlite3_errmsg(h), data);
			n++;
		} else {
			report_sqlerr(&st, sqlite3_extended_errcode(h), "checking", sqlite3_errmsg(h));
			n = -1;
		}
	}
	sqlite3_finalize(q);
	if (n == 0) {
		/* Sound pages, but written by a newer casetrail: not for this build to judge. */
		int v = 0;
		if (!ct_db_schema_version(st.db, &v)) {
			if (v == 0)
				n = ct_error("'%s' is not a casetrail store (or it is empty)", path);
			else if (ct_store_check_version(&st, v))
				n = -1;
		}
	}
out:
	ct_db_close(st.db);
	free(st.path);
	return n;
}

void ct_store_mark_reroute(struct ct_store *st, int64_t case_id)
{
	CT_ALLOC_GROW(st->dirty, st->ndirty + 1, st->dirty_alloc);
	st->dirty[st->ndirty++] = case_id;
}

void ct_store_mark_dirty(struct ct_store *st, int64_t case_id)
{
	ct_store_mark_reroute(st, case_id);
	for (size_t i = st->ntouched; i > 0 && i + 8 > st->ntouched; i--)
		if (st->touched[i - 1] == case_id)
			return;
	CT_ALLOC_GROW(st->touched, st->ntouched + 1, st->touched_alloc);
	st->touched[st->ntouched++] = case_id;
}

size_t ct_store_cases_touched(const struct ct_store *st)
{
	int64_t *v = ct_malloc((st->ntouched + 1) * sizeof(*v));
	size_t n = 0;
	if (st->ntouched) {
		memcpy(v, st->touched, st->ntouched * sizeof(*v));
		qsort(v, st->ntouched, sizeof(*v), ct_store_cmp_i64);
	}
	for (size_t i = 0; i < st->ntouched; i++)
		if (!i || v[i] != v[i - 1])
			n++;
	free(v);
	return n;
}

/* ---- incremental state ---- */

static int keep_key(const char *key, void *data)
{
	ct_strlist_push(data, key);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ct_store_seen(struct ct_store *st, const char *source, const char *key)
{
	/*
	 * PostgreSQL: a round trip per file would cost more than reading the
	 * source's keys once (what other writers mark later is found again as
	 * a duplicate item, and marked then).
	 */
	if (ct_db_kind(st->db) == CT_DB_POSTGRES) {
		if (!st->seen_source || strcmp(st->seen_source, source)) {
			ct_strlist_clear(&st->seen_cache);
			free(st->seen_source);
			st->seen_source = NULL;
			if (ct_store_seen_keys(st, source, keep_key, &st->seen_cache))
				return -1;
			if (st->seen_cache.n)
				qsort(st->seen_cache.v, st->seen_cache.n, sizeof(*st->seen_cache.v), cmp_str);
			st->seen_source = ct_strdup(source);
		}
		return st->seen_cache.n && bsearch(&key, st->seen_cache.v, st->seen_cache.n,
						   sizeof(*st->seen_cache.v), cmp_str) != NULL;
	}
	struct ct_db_stmt *q = ct_store_stmt(st, ST_SEEN, "SELECT 1 FROM seen WHERE source = ? AND key = ?");
	ct_store_bind_text(q, 1, source);
	ct_store_bind_text(q, 2, key);
	int rc = ct_db_step(q);
	if (rc == CT_DB_ROW)
		return 1;
	if (rc == CT_DB_DONE)
		return 0;
	return ct_store_sqlerr(st, "looking up a seen key");
}

int ct_store_seen_keys(struct ct_store *st, const char *source,
		       int (*cb)(const char *key, void *data), void *data)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_SEEN_KEYS, "SELECT key FROM seen WHERE source = ?");
	ct_store_bind_text(q, 1, source);
	int rc;
	while ((rc = ct_db_step(q)) == CT_DB_ROW)
		if (cb(ct_db_column_text(q, 0), data))
			break;
	if (rc != CT_DB_ROW && rc != CT_DB_DONE)
		return ct_store_sqlerr(st, "reading seen keys");
	ct_db_reset(q);
	return 0;
}

int ct_store_mark_seen(struct ct_store *st, const char *source, const char *key, int64_t item_id)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_MARK_SEEN,
		"INSERT INTO seen(source, key, item_id) VALUES (?, ?, ?)"
		" ON CONFLICT (source, key) DO UPDATE SET item_id = excluded.item_id");
	ct_store_bind_text(q, 1, source);
	ct_store_bind_text(q, 2, key);
	if (item_id > 0)
		ct_db_bind_int64(q, 3, item_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "recording a seen key");
	return 0;
}

char *ct_store_get_cursor(struct ct_store *st, const char *source, const char *name)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_GET_CURSOR,
		"SELECT value FROM cursors WHERE source = ? AND name = ?");
	ct_store_bind_text(q, 1, source);
	ct_store_bind_text(q, 2, name);
	char *v = NULL;
	if (ct_db_step(q) == CT_DB_ROW)
		v = ct_store_col_strdup(q, 0);
	ct_db_reset(q);
	return v;
}

int ct_store_set_cursor(struct ct_store *st, const char *source, const char *name, const char *value)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_SET_CURSOR,
		"INSERT INTO cursors(source, name, value) VALUES (?, ?, ?)"
		" ON CONFLICT (source, name) DO UPDATE SET value = excluded.value");
	ct_store_bind_text(q, 1, source);
	ct_store_bind_text(q, 2, name);
	ct_store_bind_text(q, 3, value ? value : "");
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "saving a cursor");
	return 0;
}

/* ---- items ---- */

static int add_mailbox(struct ct_store *st, int64_t id, const struct ct_item *it)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_INS_MAILBOX,
		"INSERT OR IGNORE INTO item_mailboxes(item_id, source, department) VALUES (?, ?, ?)");
	ct_db_bind_int64(q, 1, id);
	ct_store_bind_static(q, 2, it->source ? it->source : "cli");
	ct_store_bind_static(q, 3, it->mailbox_dept ? it->mailbox_dept : "");
	if (ct_db_queue_row(q))
		return ct_store_sqlerr(st, "recording a mailbox");
	return 0;
}

/* A reference of item id (it, filed into case_id). */
static int add_ref(struct ct_store *st, int64_t id, const struct ct_item *it, int64_t case_id,
		   const char *ref, const char *kind)
{
	if (!ref || !*ref)
		return 0;
	struct ct_db_stmt *q = ct_store_stmt(st, ST_INS_REF,
		"INSERT OR IGNORE INTO item_refs(item_id, ref, kind) VALUES (?, ?, ?)");
	ct_db_bind_int64(q, 1, id);
	ct_store_bind_static(q, 2, ref);
	ct_store_bind_static(q, 3, kind);
	if (ct_db_queue_row(q))
		return ct_store_sqlerr(st, "recording a reference");
	ct_pf_note_ref(st, id, case_id, it->external_id, ref, kind);
	return 0;
}

static char *join_addrs(const struct ct_addrlist *l)
{
	struct ct_buf b = CT_BUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			ct_buf_addstr(&b, ", ");
		ct_buf_addstr(&b, l->v[i].addr);
	}
	return ct_buf_detach(&b, NULL);
}


int ct_store_add_item_derived(struct ct_store *st, const struct ct_item *it,
			      const struct ct_item_derived *d, int64_t *item_id, int *is_new)
{
	struct ct_db_stmt *q;
	int64_t id = 0;
	struct ct_thread_plan plan = { 0 };
	int ret = -1;

	*is_new = 0;
	/* A content id may be stored under its pre-SHA-256 form: look for both. */
	const char *ext = NULL;
	int has_tz = 0;   /* known to be stored */
	for (int k = 0; k < 2 && !id; k++) {
		ext = k ? it->legacy_external_id : it->external_id;
		if (!ext)
			break;
		int pf = ct_pf_find_ext(st, ext, &id, &has_tz);
		if (pf < 0)
			return -1;
		if (pf)
			continue;
		q = ct_store_stmt(st, ST_FIND_EXT, "SELECT id FROM items WHERE external_id = ?");
		ct_store_bind_static(q, 1, ext);
		if (ct_db_step(q) == CT_DB_ROW)
			id = ct_db_column_int64(q, 0);
		ct_db_reset(q);
	}
	if (id) {
		/* The same message found again (another mailbox, Cc copy). */
		*item_id = id;
		/* A store written before offsets were kept learns it now. */
		if (it->date_has_tz && !has_tz) {
			if (ct_store_set_date_tz(st, id, it->date_tz))
				return -1;
			ct_pf_note_tz(st, ext);
		}
		return add_mailbox(st, id, it);
	}

	/* Filed before it is written: the row (body and all) is written once. */
	if (ct_store_thread_plan(st, it, d->norm, &d->outside, &plan))
		goto out;

#define INS_ITEM_COLUMNS \
		"INSERT INTO items(kind, external_id, message_id, in_reply_to, subject, subject_norm," \
		" from_addr, from_name, role, to_addrs, cc_addrs, date, date_from_file, body," \
		" body_from_html, department, ticket_system, ticket_id, ticket_group, ticket_group_from," \
		" ticket_status, ticket_public, observed, raw_size, warnings, is_reply, participants," \
		" rules_hash, case_id, link_reason, link_detail, date_tz"
#define INS_ITEM_VALUES "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"
	/* PostgreSQL: numbered here and queued; SQLite numbers it (no round trip there). */
	int queued = ct_db_kind(st->db) == CT_DB_POSTGRES && st->in_tx;
	if (queued) {
		if (ct_store_new_id(st, CT_IDS_ITEMS, &id))
			goto out;
		q = ct_store_stmt(st, ST_INS_ITEM_ID, INS_ITEM_COLUMNS ", id) VALUES (" INS_ITEM_VALUES ",?)");
		ct_db_bind_int64(q, 33, id);
	} else {
		q = ct_store_stmt(st, ST_INS_ITEM, INS_ITEM_COLUMNS ") VALUES (" INS_ITEM_VALUES ") RETURNING id");
	}
	if (it->date_has_tz)
		ct_db_bind_int64(q, 32, it->date_tz);
	ct_db_bind_int64(q, 1, it->kind);
	ct_store_bind_static(q, 2, it->external_id);
	ct_store_bind_static(q, 3, it->message_id);
	ct_store_bind_static(q, 4, it->in_reply_to);
	ct_store_bind_static(q, 5, it->subject ? it->subject : "");
	ct_store_bind_static(q, 6, d->norm);
	ct_store_bind_static(q, 7, it->from.addr ? it->from.addr : "");
	ct_store_bind_static(q, 8, it->from.name);
	ct_db_bind_int64(q, 9, it->role);
	ct_store_bind_static(q, 10, d->to);
	ct_store_bind_static(q, 11, d->cc);
	ct_db_bind_int64(q, 12, it->date);
	ct_db_bind_int64(q, 13, it->date_from_file);
	ct_store_bind_static(q, 14, it->body ? it->body : "");
	ct_db_bind_int64(q, 15, it->body_from_html);
	ct_store_bind_static(q, 16, it->department);
	ct_store_bind_static(q, 17, it->ticket_system);
	ct_store_bind_static(q, 18, it->ticket_id);
	ct_store_bind_static(q, 19, it->ticket_group);
	ct_store_bind_static(q, 20, it->ticket_group_from);
	ct_store_bind_static(q, 21, it->ticket_status);
	if (it->kind != CT_ITEM_EMAIL)
		ct_db_bind_int64(q, 22, it->ticket_public);
	ct_db_bind_int64(q, 23, it->ticket_observed);
	ct_db_bind_int64(q, 24, (int64_t)it->raw_size);
	ct_store_bind_static(q, 25, d->warnings);
	ct_db_bind_int64(q, 26, d->is_reply);
	ct_store_bind_static(q, 27, d->participants);
	ct_store_bind_static(q, 28, it->kind == CT_ITEM_TICKET_MOVE ? NULL : st->rules_hash);
	ct_db_bind_int64(q, 29, plan.case_id);
	ct_store_bind_static(q, 30, plan.reason);
	ct_store_bind_static(q, 31, plan.detail);
	if (queued ? ct_db_queue(q) != 0 : ct_db_step(q) != CT_DB_ROW) {
		ct_store_sqlerr(st, "storing an item");
		goto out;
	}
	if (!queued)
		id = ct_db_column_int64(q, 0);
	ct_db_reset(q);
	ct_pf_note_item(st, id, it, d, plan.case_id, plan.reason);

	if (add_mailbox(st, id, it))
		goto out;
	if (add_ref(st, id, it, plan.case_id, it->in_reply_to, "in-reply-to"))
		goto out;
	/* The parent is mostly also the last of References: one row says it
	   (the in-reply-to row, which the children lookup finds first anyway). */
	for (size_t i = 0; i < it->references.n; i++)
		if (ct_store_ref_used(it->references.n, i) &&
		    (!it->in_reply_to || strcmp(it->references.v[i], it->in_reply_to)) &&
		    add_ref(st, id, it, plan.case_id, it->references.v[i], "references"))
			goto out;
	if (add_ref(st, id, it, plan.case_id, it->x_forwarded_id, "forward"))
		goto out;
	for (size_t i = 0; i < it->nfwd; i++)
		if (add_ref(st, id, it, plan.case_id, it->fwd[i].message_id, "forward"))
			goto out;
	if (it->kind != CT_ITEM_EMAIL && add_ref(st, id, it, plan.case_id, it->message_id, "same-as"))
		goto out;
	for (size_t i = 0; i < it->ticket_refs.n; i++) {
		char *r = ct_xstrfmt("T:%s", it->ticket_refs.v[i]);
		int rc = add_ref(st, id, it, plan.case_id, r, "ticket");
		free(r);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < it->nfwd; i++) {
		q = ct_store_stmt(st, ST_INS_FWD,
			"INSERT INTO forwards(item_id, n, message_id, subject, from_addr, date, body)"
			" VALUES (?,?,?,?,?,?,?)");
		ct_db_bind_int64(q, 1, id);
		ct_db_bind_int64(q, 2, (int)i);
		ct_store_bind_static(q, 3, it->fwd[i].message_id);
		ct_store_bind_static(q, 4, it->fwd[i].subject);
		ct_store_bind_static(q, 5, it->fwd[i].from);
		ct_db_bind_int64(q, 6, it->fwd[i].date);
		ct_store_bind_static(q, 7, it->fwd[i].body);
		if (ct_db_queue(q)) {
			ct_store_sqlerr(st, "storing a forwarded message");
			goto out;
		}
	}
	for (size_t i = 0; i < it->natt; i++) {
		q = ct_store_stmt(st, ST_INS_ATT,
			"INSERT INTO attachments(item_id, n, name, type, size) VALUES (?,?,?,?,?)");
		ct_db_bind_int64(q, 1, id);
		ct_db_bind_int64(q, 2, (int)i);
		ct_store_bind_static(q, 3, it->att[i].name);
		ct_store_bind_static(q, 4, it->att[i].type);
		ct_db_bind_int64(q, 5, (int64_t)it->att[i].size);
		if (ct_db_queue(q)) {
			ct_store_sqlerr(st, "storing an attachment");
			goto out;
		}
	}
	if (ct_store_thread_apply(st, id, it, &plan))
		goto out;
	*item_id = id;
	*is_new = 1;
	st->tx_new_items++;
	ret = 0;
out:
	ct_store_thread_plan_release(&plan);
	return ret;
}

void ct_store_derive(const struct ct_store *st, const struct ct_item *it, struct ct_item_derived *d)
{
	memset(d, 0, sizeof(*d));
	d->to = join_addrs(&it->to);
	d->cc = join_addrs(&it->cc);
	d->norm = ct_subject_normalize(it->kind == CT_ITEM_EMAIL || !it->ticket_subject
				       ? it->subject : it->ticket_subject);
	if (it->warnings.n) {
		struct ct_buf b = CT_BUF_INIT;
		for (size_t i = 0; i < it->warnings.n; i++) {
			if (i)
				ct_buf_addch(&b, '\n');
			ct_buf_addstr(&b, it->warnings.v[i]);
		}
		d->warnings = ct_buf_detach(&b, NULL);
	}
	d->is_reply = it->kind == CT_ITEM_EMAIL && ct_subject_is_reply(it->subject);
	struct ct_buf b = CT_BUF_INIT;
	ct_store_outside_addrs(st, it, &d->outside);
	ct_buf_addch(&b, ' ');
	for (size_t i = 0; i < d->outside.n; i++)
		ct_buf_addf(&b, "%s ", d->outside.v[i]);
	d->participants = ct_buf_detach(&b, NULL);
	d->ready = 1;
}

void ct_store_derived_free(struct ct_item_derived *d)
{
	free(d->to);
	free(d->cc);
	free(d->norm);
	free(d->warnings);
	free(d->participants);
	ct_strlist_clear(&d->outside);
	memset(d, 0, sizeof(*d));
}

int ct_store_add_item(struct ct_store *st, const struct ct_item *it, int64_t *item_id, int *is_new)
{
	struct ct_item_derived d;
	ct_store_derive(st, it, &d);
	int ret = ct_store_add_item_derived(st, it, &d, item_id, is_new);
	ct_store_derived_free(&d);
	return ret;
}

/* ---- tags ---- */

int ct_store_clear_tags(struct ct_store *st, int64_t item_id)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_CLEAR_TAGS, "DELETE FROM tags WHERE item_id = ?");
	ct_db_bind_int64(q, 1, item_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "clearing tags");
	return 0;
}

int ct_store_add_tag(struct ct_store *st, int64_t item_id, const char *category, const char *rule_id,
		     size_t start, size_t end, const char *snippet)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_ADD_TAG,
		"INSERT INTO tags(item_id, category, rule_id, span_start, span_end, snippet)"
		" VALUES (?,?,?,?,?,?)");
	ct_db_bind_int64(q, 1, item_id);
	ct_store_bind_static(q, 2, category);
	ct_store_bind_static(q, 3, rule_id);
	ct_db_bind_int64(q, 4, (int64_t)start);
	ct_db_bind_int64(q, 5, (int64_t)end);
	ct_store_bind_static(q, 6, snippet ? snippet : "");
	if (ct_db_queue_row(q))
		return ct_store_sqlerr(st, "storing a tag");
	return 0;
}

void ct_store_set_classifier(struct ct_store *st, const char *rules_hash)
{
	free(st->rules_hash);
	st->rules_hash = ct_strdup(rules_hash);
}

int ct_store_set_rules_hash(struct ct_store *st, int64_t item_id, const char *hash)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_SET_HASH, "UPDATE items SET rules_hash = ? WHERE id = ?");
	ct_store_bind_text(q, 1, hash);
	ct_db_bind_int64(q, 2, item_id);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "recording the rule set");
	return 0;
}

int ct_store_items_to_classify(struct ct_store *st, const char *rules_hash,
			       int (*cb)(const struct ct_stored_item *it, void *data), void *data)
{
	/* Collect ids first: the callback writes to the same tables. */
	struct ct_db_stmt *q;
	int64_t *ids = NULL;
	size_t n = 0, alloc = 0;
	int ret = 0;
	if (ct_db_prepare(st->db, "SELECT id FROM items WHERE kind <> 2 AND (rules_hash IS NULL OR rules_hash <> ?)"
			       " ORDER BY id", &q))
		return ct_store_sqlerr(st, "listing items to classify");
	ct_store_bind_text(q, 1, rules_hash);
	while (ct_db_step(q) == CT_DB_ROW) {
		CT_ALLOC_GROW(ids, n + 1, alloc);
		ids[n++] = ct_db_column_int64(q, 0);
	}
	ct_db_finalize(q);
	if (ct_db_prepare(st->db, "SELECT id, kind, external_id, subject, body, from_addr, role, date, date_tz FROM items WHERE id = ?", &q)) {
		free(ids);
		return ct_store_sqlerr(st, "reading an item");
	}
	for (size_t i = 0; i < n && !ret; i++) {
		ct_db_reset(q);
		ct_db_bind_int64(q, 1, ids[i]);
		if (ct_db_step(q) != CT_DB_ROW)
			continue;
		struct ct_stored_item it = {
			.id = ct_db_column_int64(q, 0),
			.kind = (enum ct_item_kind)(int)ct_db_column_int64(q, 1),
			.external_id = (char *)ct_db_column_text(q, 2),
			.subject = (char *)ct_db_column_text(q, 3),
			.body = (char *)ct_db_column_text(q, 4),
			.from_addr = (char *)ct_db_column_text(q, 5),
			.role = (enum ct_sender_role)(int)ct_db_column_int64(q, 6),
			.date = ct_db_column_int64(q, 7),
			.date_tz = (int)ct_db_column_int64(q, 8),
		};
		if (!it.body)
			it.body = (char *)"";
		it.body_len = strlen(it.body);
		ret = cb(&it, data);
	}
	ct_db_finalize(q);
	free(ids);
	return ret < 0 ? -1 : 0;
}

/* ---- runs ---- */

int ct_store_run_start(struct ct_store *st, int64_t *run_id)
{
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, "INSERT INTO runs(started_at, pid) VALUES (?, ?) RETURNING id", &q))
		return ct_store_sqlerr(st, "recording the run");
	ct_db_bind_int64(q, 1, (int64_t)time(NULL));
	ct_db_bind_int64(q, 2, (int64_t)getpid());
	int rc = ct_db_step(q);
	if (rc == CT_DB_ROW)
		*run_id = ct_db_column_int64(q, 0);
	ct_db_finalize(q);
	if (rc != CT_DB_ROW) {
		sqlite3 *h = ct_db_sqlite(st->db);
		if (h && (sqlite3_extended_errcode(h) & 0xff) == SQLITE_BUSY) {
			explain_busy(st);
			return -1;
		}
		return ct_store_sqlerr(st, "recording the run");
	}
	return 0;
}

int ct_store_run_finish(struct ct_store *st, int64_t run_id, long new_items, long seen_items,
			long warnings, long failed, long cases_touched)
{
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, "UPDATE runs SET finished_at = ?, new_items = ?, seen_items = ?, warnings = ?,"
			       " failed = ?, cases_touched = ? WHERE id = ?", &q))
		return ct_store_sqlerr(st, "finishing the run record");
	ct_db_bind_int64(q, 1, (int64_t)time(NULL));
	ct_db_bind_int64(q, 2, new_items);
	ct_db_bind_int64(q, 3, seen_items);
	ct_db_bind_int64(q, 4, warnings);
	ct_db_bind_int64(q, 5, failed);
	ct_db_bind_int64(q, 6, cases_touched);
	ct_db_bind_int64(q, 7, run_id);
	int rc = ct_db_step(q);
	ct_db_finalize(q);
	/* After a failed write the run has said what is wrong with the store: once is enough. */
	if (rc != CT_DB_DONE)
		return st->write_failed ? -1 : ct_store_sqlerr(st, "finishing the run record");
	return 0;
}

long ct_store_count(struct ct_store *st, const char *what)
{
	static const char *const tables[] = { "items", "cases", "tags", "routing_events" };
	const char *sql = NULL;
	for (size_t i = 0; i < CT_ARRAY_SIZE(tables); i++)
		if (!strcmp(what, tables[i]))
			sql = what;
	if (!sql)
		ct_bug("unknown count '%s'", what);
	return ct_store_count_rows(st, what, !strcmp(what, "cases") ? "merged_into IS NULL" : NULL);
}

long ct_store_count_rows(struct ct_store *st, const char *table, const char *where)
{
	char *sql = ct_xstrfmt("SELECT count(*) FROM %s%s%s", table, where ? " WHERE " : "", where ? where : "");
	struct ct_db_stmt *q;
	long n = -1;
	if (!ct_db_prepare(st->db, sql, &q)) {
		if (ct_db_step(q) == CT_DB_ROW)
			n = (long)ct_db_column_int64(q, 0);
		ct_db_finalize(q);
	}
	free(sql);
	return n;
}
