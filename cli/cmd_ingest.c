/* cmd_ingest.c - `casetrail ingest`: run sources into the store. */
#include "cli.h"
#include "../classify/classify.h"
#include "../ingest/ingest.h"
#include "../store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: casetrail [-c CONFIG] [--db PATH] ingest [options] [SOURCE...]\n"
	"   or: casetrail ingest --maildir DIR | --mbox FILE | --eml FILE... | --tickets FILE\n"
	"                        [--department NAME]\n"
	"\n"
	"Reads new mail and tickets into the store: every configured source, or the\n"
	"SOURCEs named; incremental (what was read before is skipped) and safe to\n"
	"interrupt (a rerun loses nothing and duplicates nothing).\n"
	"\n"
	"  --maildir DIR       read a Maildir (cur/, new/, Maildir++ subfolders)\n"
	"  --mbox FILE         read an mbox file (mboxo/mboxrd, any line endings)\n"
	"  --eml FILE          read .eml files (repeatable; a directory reads all its files)\n"
	"  --tickets FILE      read a Zendesk export (JSON) or a JSONL ticket event file\n"
	"  --department NAME   department of the mailbox read with the options above\n"
	"  --dry-run           count what would be read; store nothing\n"
	"  --no-classify       store without tagging (tag later with 'casetrail classify')\n"
	"  --batch N           items per transaction, 1 to 1000000 (default: 1000, doubling\n"
	"                      up to 8000 on a long run)\n"
	"  --summary F         text (default: one line on stderr), json (one object on\n"
	"                      stdout, for monitoring) or none\n"
	"  --log FILE          append one line per run and per source to FILE (default:\n"
	"                      [log] file of the configuration)\n"
	"  -q, --quiet         no warnings and no summary (errors are still printed)\n"
	"  -h, --help          this help\n"
	"\n"
	"When the departments or staff of the configuration changed since the last run,\n"
	"the stored items' departments, sides and routing are recomputed first (see\n"
	"'casetrail recompute'); decisions made by hand are applied again at the end.\n"
	"The summary counts new, already seen, warnings, failed messages, cases touched,\n"
	"and the sources that finished and that failed.\n"
	"Exit status: 0 ok; 1 the run finished with errors it reported (a source or a\n"
	"message failed, the store could not be written, interrupted); 2 bad usage,\n"
	"configuration or rule set (no rule set found, unless --no-classify).\n";

/*
 * The rule set: [organization] rules; else, for a casetrail run from its
 * checkout (the binary at the top, or in a build directory beside config/),
 * that checkout's config/rules.conf; else the installed one: beside an
 * installed binary (BIN/../share/casetrail, so a DESTDIR copy finds its own),
 * else the one of the PREFIX it was built for. The working directory plays no
 * part: an installed casetrail never reads whatever ./config/rules.conf holds.
 */
const char *ct_cli_rules_path(const struct ct_cli *cli)
{
#ifndef CT_DATADIR
#define CT_DATADIR "/usr/local/share/casetrail"
#endif
	/* where a rule set lives, from the binary's directory; a checkout has a Makefile there */
	static const struct { const char *dir, *mark; } beside[] = {
		{ "", "Makefile" },                      /* ./casetrail of a checkout */
		{ "/..", "Makefile" },                   /* build/casetrail, build-san/casetrail */
		{ "/../share/casetrail", NULL },         /* PREFIX/bin/casetrail */
	};
	static char found[4200];
	char exe[4096];
	struct stat st;
	if (cli->have_config && cli->cfg.rules_path)
		return cli->cfg.rules_path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
	for (size_t i = 0; slash && i < CT_ARRAY_SIZE(beside); i++) {
		*slash = '\0';
		if (beside[i].mark) {
			snprintf(found, sizeof(found), "%s%s/%s", exe, beside[i].dir, beside[i].mark);
			if (stat(found, &st))
				continue;
			snprintf(found, sizeof(found), "%s%s/config/rules.conf", exe, beside[i].dir);
		} else {
			snprintf(found, sizeof(found), "%s%s/rules.conf", exe, beside[i].dir);
		}
		if (stat(found, &st) == 0) {
			/* say /usr/share/casetrail/rules.conf, not /usr/bin/../share/... */
			char *real = realpath(found, NULL);
			if (real) {
				snprintf(found, sizeof(found), "%s", real);
				free(real);
			}
			return found;
		}
	}
	if (stat(CT_DATADIR "/rules.conf", &st) == 0)
		return CT_DATADIR "/rules.conf";
	return NULL;
}

void ct_cli_rules_missing(void)
{
	ct_error("no rule set found: none configured ([organization] rules), no source checkout "
		 "beside this casetrail, none installed in '%s'", CT_DATADIR);
}

int ct_cli_load_rules(const struct ct_config *cfg, const char *path, struct ct_rules **out)
{
	struct ct_strlist names = CT_STRLIST_INIT, addrs = CT_STRLIST_INIT;
	for (size_t i = 0; cfg && i < cfg->ndepts; i++) {
		const struct ct_department *d = &cfg->depts[i];
		ct_strlist_push(&names, d->name);
		for (size_t k = 0; k < d->helpdesk_groups.n; k++)
			ct_strlist_push(&names, d->helpdesk_groups.v[k]);
		for (size_t k = 0; k < d->addresses.n; k++)
			ct_strlist_push(&addrs, d->addresses.v[k]);
	}
	struct ct_rules_org org = { (const char *const *)names.v, names.n, (const char *const *)addrs.v, addrs.n };
	int rc;
	if (!names.n && !addrs.n) {
		rc = ct_rules_load_org(path, NULL, stderr, out);
	} else {
		/*
		 * A pattern that takes the names many times may grow past what
		 * PCRE2 compiles: then the rules are loaded without them, with a
		 * warning, rather than not at all (the file's own problems are
		 * printed by the second load).
		 */
		char *msg = NULL;
		size_t msg_len = 0;
		FILE *err = open_memstream(&msg, &msg_len);
		rc = ct_rules_load_org(path, &org, err ? err : stderr, out);
		if (err)
			fclose(err);
		if (rc && (rc = ct_rules_load_org(path, NULL, stderr, out)) == 0) {
			char *nl = msg ? strchr(msg, '\n') : NULL;
			if (nl)
				*nl = '\0';
			ct_warn("the rules are used without the configured departments' names and addresses "
				"(org_dept, org_addr): with them, %s", msg && *msg ? msg : "they did not load");
		}
		free(msg);
	}
	ct_strlist_clear(&names);
	ct_strlist_clear(&addrs);
	return rc;
}

/* The signal that interrupted the run (SIGTERM, SIGINT), or 0. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/*
 * SIGTERM and SIGINT stop the run cleanly: the fetcher stops at its next
 * item, what was read before is committed, the run is recorded as finished.
 * A second signal ends the process at once (SA_RESETHAND); that too loses
 * nothing but the open batch.
 */
static void catch_interrupts(int on)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_interrupt : SIG_DFL;
	sa.sa_flags = on ? SA_RESETHAND | SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

struct local_opt {
	const char *maildir, *mbox, *tickets, *department;
	struct ct_strlist eml;
};

enum summary_mode { SUMMARY_TEXT, SUMMARY_JSON, SUMMARY_NONE };

/* What one source did in this run: for the summary, the JSON and the log. */
struct source_result {
	const char *name, *type;
	int failed;
	long n_new, n_seen, n_warn, n_failed;
	double secs;
	char error[512];
};

struct run {
	struct ct_pipeline *p;
	struct ct_cli *cli;
	int dry;
	enum summary_mode summary;
	int log_fd;                  /* -1: no log */
	time_t started_at;
	struct source_result *res;
	size_t nres, res_alloc;
	char error[512];             /* what stopped the run before its sources, if anything */
};

/* A log value: bare when it is a plain word, else in double quotes with \" and \\. */
static void log_value(struct ct_buf *b, const char *v)
{
	if (*v && !v[strcspn(v, " \t\"\\=\r\n")]) {
		ct_buf_addstr(b, v);
		return;
	}
	ct_buf_addch(b, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			ct_buf_addch(b, '\\');
		ct_buf_addch(b, *v == '\n' || *v == '\r' || *v == '\t' ? ' ' : *v);
	}
	ct_buf_addch(b, '"');
}

/*
 * Appends one line "TIME casetrail[PID] ingest KEY=VALUE..." to the log with
 * one write(), so lines of concurrent runs do not interleave. fields holds
 * KEY, VALUE pairs and ends with NULL.
 */
static void log_line(struct run *r, const char *event, const char *const *fields)
{
	if (r->log_fd < 0)
		return;
	struct ct_buf b = CT_BUF_INIT;
	char now[32];
	ct_time_iso((ct_time)time(NULL), now);
	ct_buf_addf(&b, "%s casetrail[%ld] ingest %s", now, (long)getpid(), event);
	for (size_t i = 0; fields[i] && fields[i + 1]; i += 2) {
		ct_buf_addf(&b, " %s=", fields[i]);
		log_value(&b, fields[i + 1]);
	}
	ct_buf_addch(&b, '\n');
	if (write(r->log_fd, b.buf, b.len) != (ssize_t)b.len)
		ct_warn("cannot append to the log: %s", strerror(errno));
	ct_buf_release(&b);
}

static int log_open(struct run *r, const char *path)
{
	r->log_fd = -1;
	if (!path)
		return 0;
	r->log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (r->log_fd < 0) {
		ct_error("cannot open the log '%s': %s", path, strerror(errno));
		ct_hint("--log FILE or [log] file names a file this user can append to");
		return -1;
	}
	return 0;
}

static void log_start(struct run *r, const char *mode)
{
	char n[24];
	snprintf(n, sizeof(n), "%zu", r->cli->cfg.nsources);
	const char *f[] = { "mode", mode, "config", r->cli->have_config ? r->cli->cfg.file : "-",
			    "store", r->cli->db_path ? r->cli->db_path :
				     r->cli->cfg.store_path ? r->cli->cfg.store_path : "-",
			    "sources", n, NULL };
	log_line(r, "start", f);
}

static void log_source(struct run *r, const struct source_result *s)
{
	char a[24], b[24], c[24], d[24], t[32];
	snprintf(a, sizeof(a), "%ld", s->n_new);
	snprintf(b, sizeof(b), "%ld", s->n_seen);
	snprintf(c, sizeof(c), "%ld", s->n_warn);
	snprintf(d, sizeof(d), "%ld", s->n_failed);
	snprintf(t, sizeof(t), "%.1fs", s->secs);
	const char *f[] = { "name", s->name, "type", s->type, "status", s->failed ? "failed" : "ok",
			    r->dry ? "would_read" : "new", a, "seen", b, "warnings", c, "failed", d,
			    "duration", t, s->error[0] ? "error" : NULL, s->error, NULL };
	log_line(r, "source", f);
}

static size_t sources_failed(const struct run *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nres; i++)
		n += r->res[i].failed != 0;
	return n;
}

/*
 * The record of one source: source_begin() notes the counters before it runs,
 * source_end() what it added, whether it failed (with its first error) and logs it.
 */
static struct source_result *source_begin(struct run *r, const char *name, const char *type)
{
	CT_ALLOC_GROW(r->res, r->nres + 1, r->res_alloc);
	struct source_result *s = &r->res[r->nres++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->type = type;
	s->secs = ct_now_mono();
	s->n_new = r->dry ? r->p->n_dry : r->p->n_new;
	s->n_seen = r->p->n_seen + r->p->n_dup;
	s->n_warn = r->p->n_warn;
	s->n_failed = r->p->n_failed;
	ct_error_mark();
	return s;
}

static void source_end(struct run *r, struct source_result *s, int failed)
{
	s->failed = failed;
	s->secs = ct_now_mono() - s->secs;
	s->n_new = (r->dry ? r->p->n_dry : r->p->n_new) - s->n_new;
	s->n_seen = r->p->n_seen + r->p->n_dup - s->n_seen;
	s->n_warn = r->p->n_warn - s->n_warn;
	s->n_failed = r->p->n_failed - s->n_failed;
	if (failed || s->n_failed)
		ct_error_first(s->error, sizeof(s->error));
	log_source(r, s);
}

static const char *status_name(int ret, int interrupted_by)
{
	return interrupted_by ? "interrupted" : ret == 0 ? "ok" : ret == 1 ? "errors" : "error";
}

/* The summary (text on stderr, or JSON on stdout) and the log's end line. */
static void finish(struct run *r, int ret, int interrupted_by)
{
	const struct ct_pipeline *p = r->p;
	double secs = p ? ct_now_mono() - p->started : 0;
	long nnew = p ? (r->dry ? p->n_dry : p->n_new) : 0, seen = p ? p->n_seen + p->n_dup : 0;
	long warn = p ? p->n_warn : 0, failed = p ? p->n_failed : 0;
	size_t touched = p && r->cli->store && !r->dry ? ct_store_cases_touched(r->cli->store) : 0;
	size_t sfail = sources_failed(r);
	const char *status = status_name(ret, interrupted_by);
	char a[24], b[24], c[24], d[24], e[24], f[24], g[24], t[32], code[8];
	snprintf(a, sizeof(a), "%ld", nnew);
	snprintf(b, sizeof(b), "%ld", seen);
	snprintf(c, sizeof(c), "%ld", warn);
	snprintf(d, sizeof(d), "%ld", failed);
	snprintf(e, sizeof(e), "%zu", r->nres - sfail);
	snprintf(f, sizeof(f), "%zu", sfail);
	snprintf(g, sizeof(g), "%zu", touched);
	snprintf(t, sizeof(t), "%.1fs", secs);
	snprintf(code, sizeof(code), "%d", ret);
	const char *fields[] = { "status", status, "exit", code, r->dry ? "would_read" : "new", a,
				 "seen", b, "warnings", c, "failed", d, "sources_ok", e,
				 "sources_failed", f, "cases_touched", g, "duration", t,
				 r->error[0] ? "error" : NULL, r->error, NULL };
	log_line(r, "end", fields);

	if (r->summary == SUMMARY_TEXT && p) {
		if (r->dry)
			fprintf(stderr, "ingest (dry run): %ld would be read, %ld already seen, %ld failed; "
				"sources: %zu ok, %zu failed\n", nnew, seen, failed, r->nres - sfail, sfail);
		else
			fprintf(stderr, "ingest: %ld new, %ld already seen, %ld warnings, %ld failed, "
				"%zu cases touched; sources: %zu ok, %zu failed (%.1fs)\n",
				nnew, seen, warn, failed, touched, r->nres - sfail, sfail, secs);
	}
	if (r->summary != SUMMARY_JSON)
		return;
	char started[32];
	ct_time_iso((ct_time)r->started_at, started);
	json_t *o = json_object(), *srcs = json_array();
	json_object_set_new(o, "schema", json_string("casetrail-json/1"));
	json_object_set_new(o, "report", json_string("ingest"));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "exit_status", json_integer(ret));
	json_object_set_new(o, "dry_run", json_boolean(r->dry));
	json_object_set_new(o, "started_at", json_string(started));
	json_object_set_new(o, "duration_seconds", json_real((double)(long)(secs * 1000) / 1000));
	json_object_set_new(o, r->dry ? "would_read" : "new", json_integer(nnew));
	json_object_set_new(o, "already_seen", json_integer(seen));
	json_object_set_new(o, "warnings", json_integer(warn));
	json_object_set_new(o, "failed", json_integer(failed));
	json_object_set_new(o, "cases_touched", json_integer((json_int_t)touched));
	json_object_set_new(o, "sources_ok", json_integer((json_int_t)(r->nres - sfail)));
	json_object_set_new(o, "sources_failed", json_integer((json_int_t)sfail));
	json_object_set_new(o, "interrupted_by", interrupted_by ?
			    json_string(interrupted_by == SIGINT ? "SIGINT" : "SIGTERM") : json_null());
	json_object_set_new(o, "error", r->error[0] ? json_string(r->error) : json_null());
	for (size_t i = 0; i < r->nres; i++) {
		const struct source_result *s = &r->res[i];
		json_t *j = json_object();
		json_object_set_new(j, "name", json_string(s->name));
		json_object_set_new(j, "type", json_string(s->type));
		json_object_set_new(j, "status", json_string(s->failed ? "failed" : "ok"));
		json_object_set_new(j, r->dry ? "would_read" : "new", json_integer(s->n_new));
		json_object_set_new(j, "already_seen", json_integer(s->n_seen));
		json_object_set_new(j, "warnings", json_integer(s->n_warn));
		json_object_set_new(j, "failed", json_integer(s->n_failed));
		json_object_set_new(j, "duration_seconds", json_real((double)(long)(s->secs * 1000) / 1000));
		json_object_set_new(j, "error", s->error[0] ? json_string(s->error) : json_null());
		json_array_append_new(srcs, j);
	}
	json_object_set_new(o, "sources", srcs);
	json_dumpf(o, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(o);
}

/* An error before any source ran: the summary and the log say so too. */
static int fail_early(struct run *r, int ret)
{
	ct_error_first(r->error, sizeof(r->error));
	finish(r, ret, 0);
	return ret;
}

int ct_cmd_ingest(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "maildir", required_argument, NULL, 'M' },
		{ "mbox", required_argument, NULL, 'B' },
		{ "eml", required_argument, NULL, 'E' },
		{ "tickets", required_argument, NULL, 'T' },
		{ "department", required_argument, NULL, 'd' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-classify", no_argument, NULL, 'N' },
		{ "batch", required_argument, NULL, 'b' },
		{ "summary", required_argument, NULL, 'S' },
		{ "log", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct local_opt lo = { 0 };
	struct ct_pipeline p;
	struct ct_rules *rules = NULL;
	struct run r;
	const char *log_path = NULL;
	int dry = 0, classify = 1, batch = 0, c, ret = 0, summary_set = 0, quiet = cli->quiet;
	int64_t run_id = 0;

	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.log_fd = -1;
	r.started_at = time(NULL);
	optind = 0;
	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'M': lo.maildir = optarg; break;
		case 'B': lo.mbox = optarg; break;
		case 'E': ct_strlist_push(&lo.eml, optarg); break;
		case 'T': lo.tickets = optarg; break;
		case 'd': lo.department = optarg; break;
		case 'n': dry = 1; break;
		case 'N': classify = 0; break;
		case 'b': if (ct_opt_int("--batch", optarg, 1, CT_MAX_BATCH, &batch)) goto usage_error; break;
		case 'S':
			summary_set = 1;
			if (!strcmp(optarg, "text"))
				r.summary = SUMMARY_TEXT;
			else if (!strcmp(optarg, "json"))
				r.summary = SUMMARY_JSON;
			else if (!strcmp(optarg, "none"))
				r.summary = SUMMARY_NONE;
			else {
				ct_opt_unknown("--summary", optarg, "text, json, none");
				goto usage_error;
			}
			break;
		case 'L': log_path = optarg; break;
		case 'q': ct_quiet = 1; quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); goto usage_error;
		}
	}
	/* -q silences the summary, unless one was asked for by name */
	if (quiet && !summary_set)
		r.summary = SUMMARY_NONE;
	r.dry = dry;
	int local = lo.maildir || lo.mbox || lo.tickets || lo.eml.n;
	/* --eml takes several files: the rest of the arguments after it are files too */
	if (lo.eml.n)
		for (int i = optind; i < argc; i++)
			ct_strlist_push(&lo.eml, argv[i]);
	else if (local && optind < argc) {
		ct_error("source names cannot be combined with --maildir/--mbox/--tickets");
		goto usage_error;
	}
	if (!local && !cli->have_config) {
		ct_error("no configuration: nothing to ingest");
		ct_hint("pass -c FILE, create ./casetrail.conf, or use --maildir/--mbox/--eml/--tickets");
		goto usage_error;
	}
	/* Without a configuration, --department names the mailbox's department freely. */
	if (lo.department && cli->have_config && ct_cli_department(cli, &lo.department))
		goto usage_error;
	if (!local)
		for (int i = optind; i < argc; i++)
			if (!ct_config_source(&cli->cfg, argv[i])) {
				ct_error("no source '%s' in %s", argv[i], cli->cfg.file);
				goto usage_error;
			}
	ct_error_mark();
	if (log_open(&r, log_path ? log_path : cli->cfg.log_file)) {
		ct_strlist_clear(&lo.eml);
		return 2;
	}
	if (ct_cli_open_store(cli, 1)) {
		log_start(&r, dry ? "dry-run" : "run");
		ret = fail_early(&r, 1);
		goto out_early;
	}
	log_start(&r, dry ? "dry-run" : "run");
	/* Departments or staff changed in the configuration: bring stored items up to date first. */
	if (!dry && cli->have_config) {
		int ran;
		if (ct_store_recompute_if_changed(cli->store, &cli->cfg, &ran)) {
			ret = fail_early(&r, 1);
			goto out_early;
		}
	}
	if (classify && !dry) {
		const char *rp = ct_cli_rules_path(cli);
		if (!rp) {
			ct_cli_rules_missing();
			ct_hint("set [organization] rules, or 'make install' the rules; or ingest "
				"with --no-classify (nothing tags the new items) and run "
				"'casetrail classify' later");
			ret = fail_early(&r, 2);
			goto out_early;
		}
		if (ct_cli_load_rules(&cli->cfg, rp, &rules)) {
			ret = fail_early(&r, 2);
			goto out_early;
		}
	}
	interrupted = 0;
	catch_interrupts(1);
	if (ct_pipeline_init(&p, &cli->cfg, cli->store, rules)) {
		catch_interrupts(0);
		ret = fail_early(&r, 2);
		ct_rules_free(rules);
		goto out_early;
	}
	r.p = &p;
	if (batch) {
		p.batch_size = batch;
		p.batch_grow = 0;
	}
	p.dry_run = dry;
	p.sink.dry_run = dry;
	p.dry_lines = r.summary != SUMMARY_JSON;
	p.stop = &interrupted;
	if (!dry && (ct_store_run_start(cli->store, &run_id) || ct_pipeline_start(&p))) {
		ct_error_first(r.error, sizeof(r.error));
		ret = 1;
		goto out;
	}

	if (local) {
		const char *dept = lo.department;
		int rc = 0;
		struct source_result *s;
		/* each option is one source of the summary; the first that fails stops the run */
		if (lo.maildir) {
			s = source_begin(&r, "cli:maildir", "maildir");
			rc = ct_maildir_ingest(lo.maildir, "cli:maildir", dept, &p.sink) ? -1 : 0;
			if (ct_pipeline_finish(&p) || ct_pipeline_failed(&p))
				rc = -1;
			source_end(&r, s, rc && !interrupted);
		}
		if (!rc && lo.mbox) {
			s = source_begin(&r, "cli:mbox", "mbox");
			rc = ct_mbox_ingest(lo.mbox, "cli:mbox", dept, &p.sink) ? -1 : 0;
			if (ct_pipeline_finish(&p) || ct_pipeline_failed(&p))
				rc = -1;
			source_end(&r, s, rc && !interrupted);
		}
		if (!rc && lo.eml.n) {
			s = source_begin(&r, "cli:eml", "eml");
			rc = ct_eml_ingest((const char *const *)lo.eml.v, lo.eml.n, "cli:eml", dept,
					   &p.sink) ? -1 : 0;
			if (ct_pipeline_finish(&p) || ct_pipeline_failed(&p))
				rc = -1;
			source_end(&r, s, rc && !interrupted);
		}
		if (!rc && lo.tickets) {
			s = source_begin(&r, "cli:tickets", "tickets");
			rc = ct_tickets_ingest_file(lo.tickets, "cli:tickets", &p.sink) ? -1 : 0;
			if (ct_pipeline_finish(&p) || ct_pipeline_failed(&p))
				rc = -1;
			source_end(&r, s, rc && !interrupted);
		}
		if (dry)
			for (size_t i = 0; i < r.nres && r.summary != SUMMARY_JSON; i++)
				printf("%s: %ld new\n", r.res[i].name, r.res[i].n_new);
	} else {
		for (size_t i = 0; i < cli->cfg.nsources; i++) {
			const struct ct_source *src = &cli->cfg.sources[i];
			int wanted = optind >= argc;
			for (int a = optind; a < argc; a++)
				if (!strcmp(argv[a], src->name))
					wanted = 1;
			if (!wanted || interrupted)
				continue;
			struct source_result *s = source_begin(&r, src->name, src->type);
			const struct ct_fetcher *f = ct_fetcher_find(src->type);
			if (!f || !f->run) {
				ct_error("source '%s': type '%s' is not supported by this build", src->name,
					 src->type);
				source_end(&r, s, 1);
				continue;
			}
			int rc = f->run(&cli->cfg, src, &p.sink);
			/* Whatever the source delivered before it failed is kept. */
			if (ct_pipeline_finish(&p) || ct_pipeline_failed(&p))
				rc = -1;
			if (rc && !interrupted)
				ct_error("source '%s' stopped with errors; continuing with the others", src->name);
			source_end(&r, s, rc && !interrupted);
			if (dry && r.summary != SUMMARY_JSON)
				printf("%s: %ld new\n", src->name, s->n_new);
		}
	}
	if (sources_failed(&r) || p.n_failed || interrupted)
		ret = 1;
out:
	/* Stops the writer; after this the store is ours again. */
	ct_pipeline_release(&p);
	catch_interrupts(0);
	/* Decisions made by hand hold for what this run added (a split that new mail joined again). */
	if (!dry && run_id && (ct_store_begin(cli->store) || ct_store_apply_decisions(cli->store) ||
			       ct_store_commit(cli->store))) {
		ct_store_rollback(cli->store);
		ret = 1;
	}
	if (interrupted)
		ct_error("interrupted by %s: what was read before is stored; the next run goes on from there",
			 interrupted == SIGINT ? "SIGINT" : "SIGTERM");
	/* the summary counts what was committed: the store's run row says the same */
	if (!dry && run_id)
		ct_store_run_finish(cli->store, run_id, p.n_new, p.n_seen + p.n_dup, p.n_warn,
				    p.n_failed, (long)ct_store_cases_touched(cli->store));
	finish(&r, ret, interrupted);
	ct_rules_free(rules);
out_early:
	if (r.log_fd >= 0)
		close(r.log_fd);
	free(r.res);
	ct_strlist_clear(&lo.eml);
	return ret;
usage_error:
	ct_strlist_clear(&lo.eml);
	return 2;
}
