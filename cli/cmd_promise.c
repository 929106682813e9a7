/*
 * cmd_promise.c - "casetrail promise keep|break|drop|reopen ID": a person's
 * verdict on a promise of the ledger. It overrides what the case's items
 * say, and sticks: it is kept under the promise's item and sentence, so a
 * re-classification that finds the promise again (or a re-ingest, which
 * finds the item again) keeps it.
 */
#include "cli.h"
#include "../store/store.h"

#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: casetrail promise keep|break|drop|reopen ID [--reason TEXT] [--by NAME]\n"
	"\n"
	"Decides a promise of the ledger (its ID from 'report promises' or 'case show')\n"
	"by hand: keep (it was kept), break (it was not), drop (it was no promise at\n"
	"all: it counts nowhere), reopen (forget the decision: the case's items decide\n"
	"again). A decision overrides what the case's items say and survives\n"
	"'classify --rescan' and re-ingest.\n"
	"\n"
	"  --reason TEXT   why (shown with the verdict)\n"
	"  --by NAME       who decided (default: the login name)\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 ok, 1 no such promise or a store error, 2 bad usage.\n";

int ct_cmd_promise(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "by", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL, *by = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'b': by = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		if (argc - optind == 1 && !strcmp(argv[optind], "help")) {
			fputs(usage, stdout);
			return 0;
		}
		fputs(usage, stderr);
		return 2;
	}
	const char *verb = argv[optind];
	enum ct_verdict v;
	if (!strcmp(verb, "keep"))
		v = CT_VERDICT_KEPT;
	else if (!strcmp(verb, "break"))
		v = CT_VERDICT_BROKEN;
	else if (!strcmp(verb, "drop"))
		v = CT_VERDICT_DROPPED;
	else if (!strcmp(verb, "reopen"))
		v = CT_VERDICT_OPEN;
	else {
		ct_opt_unknown("promise decision", verb, "keep, break, drop, reopen");
		return 2;
	}
	long id;
	if (ct_opt_long("promise ID", argv[optind + 1], 1, LONG_MAX, &id))
		return 2;
	if (!by) {
		const struct passwd *pw = getpwuid(getuid());
		by = pw && pw->pw_name ? pw->pw_name : NULL;
	}
	if (ct_store_begin(cli->store))
		return 1;
	int rc = ct_store_decide_promise(cli->store, id, v, reason, by, (ct_time)time(NULL));
	if (rc) {
		ct_store_rollback(cli->store);
		if (rc == 1) {
			ct_error("no promise %ld in the store", id);
			ct_hint("'casetrail report promises' and 'casetrail case show ID' list the promises and their ids");
		}
		return 1;
	}
	if (ct_store_commit(cli->store))
		return 1;
	if (v == CT_VERDICT_OPEN)
		printf("promise %ld: decision removed; the case's items decide\n", id);
	else
		printf("promise %ld: %s%s%s%s%s\n", id, ct_verdict_name(v), by ? " by " : "", by ? by : "",
		       reason ? ": " : "", reason ? reason : "");
	return 0;
}
