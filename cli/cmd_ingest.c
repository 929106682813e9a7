/* cmd_ingest.c - `casetrail ingest`: run sources into the store. */
#include "cli.h"
#include "../classify/classify.h"
#include "../ingest/ingest.h"
#include "../store/store.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	"  -q, --quiet         no per-message warnings (still counted in the summary)\n"
	"  -h, --help          this help\n"
	"\n"
	"When the departments or staff of the configuration changed since the last run,\n"
	"the stored items' departments, sides and routing are recomputed first (see\n"
	"'casetrail recompute'); decisions made by hand are applied again at the end.\n"
	"Prints a summary line on stderr: new, already seen, warnings, failed, cases touched.\n"
	"Exit status: 0 ok, 1 a source or a message failed (reported), 2 bad usage or config.\n";

/* The rule set: [organization] rules, else config/rules.conf, else the installed one. */
const char *ct_cli_rules_path(const struct ct_cli *cli)
{
#ifndef CT_DATADIR
#define CT_DATADIR "/usr/local/share/casetrail"
#endif
	struct stat st;
	if (cli->have_config && cli->cfg.rules_path)
		return cli->cfg.rules_path;
	if (stat("config/rules.conf", &st) == 0)
		return "config/rules.conf";
	if (stat(CT_DATADIR "/rules.conf", &st) == 0)
		return CT_DATADIR "/rules.conf";
	return NULL;
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

static void summary(const struct ct_pipeline *p, struct ct_store *st, double secs, int dry)
{
	if (dry) {
		fprintf(stderr, "ingest (dry run): %ld would be read, %ld already seen, %ld failed\n",
			p->n_dry, p->n_seen, p->n_failed);
		return;
	}
	fprintf(stderr,
		"ingest: %ld new, %ld already seen, %ld warnings, %ld failed, %zu cases touched (%.1fs)\n",
		p->n_new, p->n_seen + p->n_dup, p->n_warn, p->n_failed, ct_store_cases_touched(st), secs);
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
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct local_opt lo = { 0 };
	struct ct_pipeline p;
	struct ct_rules *rules = NULL;
	int dry = 0, classify = 1, batch = 0, c, ret = 0, failed_sources = 0;
	int64_t run_id = 0;

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
		case 'b': if (ct_opt_int("--batch", optarg, 1, CT_MAX_BATCH, &batch)) return 2; break;
		case 'q': ct_quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	int local = lo.maildir || lo.mbox || lo.tickets || lo.eml.n;
	/* --eml takes several files: the rest of the arguments after it are files too */
	if (lo.eml.n)
		for (int i = optind; i < argc; i++)
			ct_strlist_push(&lo.eml, argv[i]);
	else if (local && optind < argc) {
		ct_error("source names cannot be combined with --maildir/--mbox/--tickets");
		ct_strlist_clear(&lo.eml);
		return 2;
	}
	if (!local && !cli->have_config) {
		ct_error("no configuration: nothing to ingest");
		ct_hint("pass -c FILE, create ./casetrail.conf, or use --maildir/--mbox/--eml/--tickets");
		ct_strlist_clear(&lo.eml);
		return 2;
	}
	/* Without a configuration, --department names the mailbox's department freely. */
	if (lo.department && cli->have_config && ct_cli_department(cli, &lo.department)) {
		ct_strlist_clear(&lo.eml);
		return 2;
	}
	if (!local)
		for (int i = optind; i < argc; i++)
			if (!ct_config_source(&cli->cfg, argv[i])) {
				ct_error("no source '%s' in %s", argv[i], cli->cfg.file);
				ct_strlist_clear(&lo.eml);
				return 2;
			}
	if (ct_cli_open_store(cli, 1)) {
		ct_strlist_clear(&lo.eml);
		return 1;
	}
	/* Departments or staff changed in the configuration: bring stored items up to date first. */
	if (!dry && cli->have_config) {
		int ran;
		if (ct_store_recompute_if_changed(cli->store, &cli->cfg, &ran)) {
			ct_strlist_clear(&lo.eml);
			return 1;
		}
	}
	interrupted = 0;
	catch_interrupts(1);
	if (classify && !dry) {
		const char *rp = ct_cli_rules_path(cli);
		if (rp) {
			if (ct_rules_load(rp, &rules)) {
				ct_strlist_clear(&lo.eml);
				return 2;
			}
		} else {
			ct_warn("no rule set found: items are stored untagged");
			ct_hint("set [organization] rules, or run 'casetrail classify' later");
		}
	}
	if (ct_pipeline_init(&p, &cli->cfg, cli->store, rules)) {
		ct_rules_free(rules);
		ct_strlist_clear(&lo.eml);
		return 2;
	}
	if (batch) {
		p.batch_size = batch;
		p.batch_grow = 0;
	}
	p.dry_run = dry;
	p.sink.dry_run = dry;
	p.stop = &interrupted;
	if (!dry && (ct_store_run_start(cli->store, &run_id) || ct_pipeline_start(&p))) {
		ret = 1;
		goto out;
	}

	if (local) {
		const char *dept = lo.department;
		int rc = 0;
		if (lo.maildir)
			rc |= ct_maildir_ingest(lo.maildir, "cli:maildir", dept, &p.sink) ? 1 : 0;
		if (!rc && lo.mbox)
			rc |= ct_mbox_ingest(lo.mbox, "cli:mbox", dept, &p.sink) ? 1 : 0;
		if (!rc && lo.eml.n)
			rc |= ct_eml_ingest((const char *const *)lo.eml.v, lo.eml.n, "cli:eml", dept,
					    &p.sink) ? 1 : 0;
		if (!rc && lo.tickets)
			rc |= ct_tickets_ingest_file(lo.tickets, "cli:tickets", &p.sink) ? 1 : 0;
		if (ct_pipeline_finish(&p) || ct_pipeline_failed(&p))
			rc = 1;
		if (rc && !interrupted)
			failed_sources++;
	} else {
		for (size_t i = 0; i < cli->cfg.nsources; i++) {
			const struct ct_source *src = &cli->cfg.sources[i];
			int wanted = optind >= argc;
			for (int a = optind; a < argc; a++)
				if (!strcmp(argv[a], src->name))
					wanted = 1;
			if (!wanted || interrupted)
				continue;
			const struct ct_fetcher *f = ct_fetcher_find(src->type);
			if (!f || !f->run) {
				ct_error("source '%s': type '%s' is not supported by this build", src->name,
					 src->type);
				failed_sources++;
				continue;
			}
			long before = dry ? p.n_dry : p.n_new;
			int rc = f->run(&cli->cfg, src, &p.sink);
			/* Whatever the source delivered before it failed is kept. */
			if (ct_pipeline_finish(&p) || ct_pipeline_failed(&p))
				rc = -1;
			if (rc && !interrupted) {
				failed_sources++;
				ct_error("source '%s' stopped with errors; continuing with the others", src->name);
			}
			if (dry)
				printf("%s: %ld new\n", src->name, p.n_dry - before);
		}
	}
	if (failed_sources || p.n_failed || interrupted)
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
	summary(&p, cli->store, ct_now_mono() - p.started, dry);
	if (interrupted)
		ct_error("interrupted by %s: what was read before is stored; the next run goes on from there",
			 interrupted == SIGINT ? "SIGINT" : "SIGTERM");
	if (!dry && run_id)
		ct_store_run_finish(cli->store, run_id, p.n_new, p.n_seen + p.n_dup, p.n_warn,
				    p.n_failed, (long)ct_store_cases_touched(cli->store));
	ct_rules_free(rules);
	ct_strlist_clear(&lo.eml);
	return ret;
}
