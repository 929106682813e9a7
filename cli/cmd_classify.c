/*
 * cmd_classify.c - "casetrail classify [--rescan]": tags the stored items
 * that the current rule set has not tagged yet. Each item remembers the hash
 * of the rule set that tagged it, so after a rule change only a rescan does
 * work, and with unchanged rules it does nothing at all.
 */
#include "cli.h"
#include "../classify/classify.h"
#include "../store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* cli/cmd_ingest.c: [organization] rules, else config/rules.conf, else the installed one. */

static const char usage[] =
	"usage: casetrail classify [--rescan] [--rules FILE] [--batch N]\n"
	"\n"
	"Tags every stored item that the current rule set has not tagged yet (new\n"
	"items stored with --no-classify, and all items after the rules changed):\n"
	"its old tags are replaced. Items tagged by the same rule set are skipped.\n"
	"Tags dismissed or confirmed by hand ('casetrail tag') stay so. When the\n"
	"configuration of departments or staff changed, departments, sides and\n"
	"routing are recomputed too (as 'casetrail recompute' does).\n"
	"\n"
	"  --rescan        re-tag items whose rule set differs (the default; kept for clarity)\n"
	"  --rules FILE    rule file (default: [organization] rules, else config/rules.conf)\n"
	"  --batch N       items per transaction (1 to 1000000, default 1000)\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 ok, 1 an error was reported, 2 bad usage or rule file.\n";

struct run {
	struct ct_cli *cli;
	const struct ct_rules *rules;
	struct ct_tags tags;
	long items, ntags, promises, pending, batch;
	int in_tx;
};

static int classify_one(const struct ct_stored_item *it, void *data)
{
	struct run *r = data;
	struct ct_store *st = r->cli->store;
	int staff = it->role == CT_ROLE_STAFF ? 1
		  : it->role == CT_ROLE_CUSTOMER ? 0
				  : ct_config_is_internal(&r->cli->cfg, it->from_addr ? it->from_addr : "");
	if (!r->in_tx) {
		if (ct_store_begin(st))
			return -1;
		r->in_tx = 1;
	}
	r->tags.n = 0;
	struct ct_ledger ledger = CT_LEDGER_INIT;
	if (ct_classify_ledger(r->rules, it->subject ? it->subject : "", it->body ? it->body : "", it->body_len, staff,
			       it->date, it->date_tz, &r->tags, &ledger)) {
		ct_ledger_clear(&ledger);
		return -1;
	}
	const char *failure = ct_classify_failure();
	if (failure)
		ct_warn("item %s: %s; that rule did not count for it", it->external_id ? it->external_id : "?", failure);
	int failed = ct_store_clear_tags(st, it->id);
	for (size_t i = 0; !failed && i < r->tags.n; i++) {
		const struct ct_tag *t = &r->tags.v[i];
		failed = ct_store_add_tag(st, it->id, t->category, t->rule_id, t->start, t->end, t->snippet);
	}
	if (failed || ct_store_set_ledger(st, it->id, &ledger)) {
		ct_ledger_clear(&ledger);
		return -1;
	}
	r->promises += (long)ledger.n;
	ct_ledger_clear(&ledger);
	if (ct_store_set_rules_hash(st, it->id, ct_rules_hash(r->rules)))
		return -1;
	r->items++;
	r->ntags += (long)r->tags.n;
	for (size_t i = 0; i < r->tags.n; i++)
		free(r->tags.v[i].snippet);
	r->tags.n = 0;
	if (++r->pending >= r->batch) {
		r->pending = 0;
		r->in_tx = 0;
		if (ct_store_commit(st))
			return -1;
	}
	return 0;
}

int ct_cmd_classify(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "rescan", no_argument, NULL, 'R' },
		{ "rules", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_path = NULL;
	struct ct_rules *rules = NULL;
	struct run run;
	int c, ret = 0;
	long batch = 1000;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'R': break;
		case 'r': rules_path = optarg; break;
		case 'b': if (ct_opt_long("--batch", optarg, 1, CT_MAX_BATCH, &batch)) return 2; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!rules_path && !(rules_path = ct_cli_rules_path(cli))) {
		ct_cli_rules_missing();
		ct_hint("pass --rules FILE, or set [organization] rules in the configuration");
		return 2;
	}
	if (ct_cli_load_rules(&cli->cfg, rules_path, &rules))
		return 2;
	if (!cli->store && ct_cli_open_store(cli, 1)) {
		ct_rules_free(rules);
		return 1;
	}
	memset(&run, 0, sizeof(run));
	run.cli = cli;
	run.rules = rules;
	run.batch = batch;
	if (ct_store_items_to_classify(cli->store, ct_rules_hash(rules), classify_one, &run)) {
		if (run.in_tx)
			ct_store_rollback(cli->store);
		ret = 1;
	} else if (run.in_tx && ct_store_commit(cli->store)) {
		ret = 1;
	}
	/* Departments or staff changed in the configuration; and decisions hold over re-tagging. */
	int ran = 0;
	if (!ret && cli->have_config && ct_store_recompute_if_changed(cli->store, &cli->cfg, &ran))
		ret = 1;
	if (!ret && !ran && (ct_store_begin(cli->store) || ct_store_apply_decisions(cli->store) ||
			     ct_store_commit(cli->store))) {
		ct_store_rollback(cli->store);
		ret = 1;
	}
	if (!ret) {
		if (run.items) {
			printf("classified %ld items (%ld tags), rules %.12s\n", run.items, run.ntags,
			       ct_rules_hash(rules));
			if (run.promises)
				printf("promise ledger: %ld promises and kept-marks found\n", run.promises);
		} else {
			printf("nothing to do: rules unchanged\n");
		}
	}
	ct_tags_clear(&run.tags);
	ct_rules_free(rules);
	return ret;
}
