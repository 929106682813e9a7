/*
 * cmd_decide.c - corrections by hand, kept as decisions with who, when and
 * why: `casetrail tag dismiss|confirm`, `casetrail case close|reopen|merge|
 * split` (dispatched here from cmd_cases.c), `casetrail item department`,
 * and `casetrail recompute` (departments and roles from the configuration).
 */
#include "cli.h"
#include "../report/report.h"
#include "../store/store.h"

#include <jansson.h>

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char tag_usage[] =
	"usage: casetrail tag dismiss ITEM TAG... [--by WHO] [--reason TEXT]\n"
	"   or: casetrail tag confirm ITEM TAG... [--by WHO] [--reason TEXT]\n"
	"\n"
	"Dismisses a tag the rules gave an item wrongly, or confirms one (a tag the\n"
	"rules missed is added, with rule 'manual'). ITEM is the item's external id as\n"
	"'case show' prints it (a Message-ID, sha256:..., zendesk:4108#2187...).\n"
	"Decisions are kept with who, when and why, hold after 'classify --rescan',\n"
	"re-ingest and 'recompute', and are labels for 'rules masscheck --store-labels'\n"
	"(dismissed: a false positive; confirmed: a true positive).\n"
	"\n"
	"  --by WHO        who decided (default: $USER)\n"
	"  --reason TEXT   why\n"
	"  -h, --help      this help\n";

static const char item_usage[] =
	"usage: casetrail item department ITEM DEPARTMENT [--by WHO] [--reason TEXT]\n"
	"\n"
	"Sets an item's department by hand, whatever the configuration says; its\n"
	"case's trail and routing follow. The decision is kept with who, when and\n"
	"why, and holds after re-ingest, 'classify' and 'recompute'.\n"
	"\n"
	"  --by WHO        who decided (default: $USER)\n"
	"  --reason TEXT   why\n"
	"  -h, --help      this help\n";

static const char case_decide_usage[] =
	"usage: casetrail case close CASE... [--by WHO] [--reason TEXT]\n"
	"   or: casetrail case reopen CASE... [--by WHO] [--reason TEXT]\n"
	"   or: casetrail case merge CASE OTHER... [--by WHO] [--reason TEXT]\n"
	"   or: casetrail case split CASE ITEM... [--by WHO] [--reason TEXT]\n"
	"\n"
	"  close    closes a case by hand (state closed, reason manual) until someone\n"
	"           writes in it again\n"
	"  reopen   opens a closed case again (a ticket closed before is set aside;\n"
	"           the inactivity clock starts again now)\n"
	"  merge    merges the OTHER cases into CASE\n"
	"  split    moves the ITEMs (external ids, as 'case show' prints them) of CASE\n"
	"           into one new case\n"
	"\n"
	"Decisions are kept with who, when and why; 'case show' and the handoff audit\n"
	"list them, and they hold after re-ingest, 'classify' and 'recompute'.\n"
	"\n"
	"  --by WHO        who decided (default: $USER)\n"
	"  --reason TEXT   why\n"
	"  -h, --help      this help\n";

static const char recompute_usage[] =
	"usage: casetrail recompute\n"
	"\n"
	"Recomputes every stored item's department and staff/customer side from the\n"
	"configuration ([department] addresses, helpdesk_groups and leader, each\n"
	"source's department, internal_domains), then the routing of the cases that\n"
	"changed, then applies the manual decisions again. No mail is read: the store\n"
	"keeps the mailboxes each item was found in. 'ingest' and 'classify' do this\n"
	"by themselves when these parts of the configuration changed.\n"
	"\n"
	"  -h, --help      this help\n";

static const char decisions_usage[] =
	"usage: casetrail decisions [--case ID] [--format table|csv|json|markdown|html]\n"
	"\n"
	"Lists the decisions made by hand, oldest first: what was decided (tag dismiss or\n"
	"confirm, case close, reopen, merge or split, item department), about which item,\n"
	"by whom, when and why. A merge or split that a later one of the same items\n"
	"decides otherwise is marked superseded.\n"
	"\n"
	"  --case ID       only the decisions about case ID or its items\n"
	"  --format F      table (default on a terminal), json (default otherwise), csv,\n"
	"                  markdown, html\n"
	"  -h, --help      this help\n";

/* Parses --by, --reason, --help; leaves the words in argv[optind..]. 0, or the exit status. */
static int parse_common(int argc, char **argv, const char *usage, const char **by, const char **reason,
			int *done)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	*done = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!*optarg) {
				ct_error("--by takes a name, not an empty string");
				*done = 1;
				return 2;
			}
			*by = optarg;
			break;
		case 'r': *reason = optarg; break;
		case 'h': fputs(usage, stdout); *done = 1; return 0;
		default: fputs(usage, stderr); *done = 1; return 2;
		}
	}
	if (!*by) {
		*by = getenv("USER");
		if (!*by || !**by)
			*by = getenv("LOGNAME");
		if (!*by || !**by)
			*by = "unknown";
	}
	return 0;
}

static int open_rw(struct ct_cli *cli)
{
	if (cli->store) {
		ct_store_close(cli->store);
		cli->store = NULL;
	}
	return ct_cli_open_store(cli, 1);
}

static int decide(struct ct_cli *cli, struct ct_decision *d, const char *what)
{
	int64_t id = 0;
	if (ct_store_decide(cli->store, d, &id))
		return 1;
	if (!cli->quiet)
		printf("decision %lld: %s (by %s)\n", (long long)id, what, d->by);
	return 0;
}

int ct_cmd_tag(int argc, char **argv, struct ct_cli *cli)
{
	const char *by = NULL, *reason = NULL;
	int done, rc = parse_common(argc, argv, tag_usage, &by, &reason, &done);
	if (done)
		return rc;
	if (optind >= argc) {
		fputs(tag_usage, stderr);
		return 2;
	}
	const char *verb = argv[optind];
	if (strcmp(verb, "dismiss") && strcmp(verb, "confirm")) {
		ct_opt_unknown("tag command", verb, "dismiss, confirm");
		return 2;
	}
	if (argc - optind < 3) {
		fputs(tag_usage, stderr);
		return 2;
	}
	if (open_rw(cli))
		return 1;
	for (int i = optind + 2; i < argc; i++) {
		struct ct_decision d = { 0 };
		d.action = ct_xstrfmt("tag-%s", verb);
		d.item = argv[optind + 1];
		d.category = argv[i];
		d.by = (char *)by;
		d.reason = (char *)reason;
		char *what = ct_xstrfmt("tag %s of item %s %s", argv[i], d.item,
					!strcmp(verb, "dismiss") ? "dismissed" : "confirmed");
		rc = decide(cli, &d, what);
		free(what);
		free(d.action);
		if (rc)
			return rc;
	}
	return 0;
}

int ct_cmd_item(int argc, char **argv, struct ct_cli *cli)
{
	const char *by = NULL, *reason = NULL;
	int done, rc = parse_common(argc, argv, item_usage, &by, &reason, &done);
	if (done)
		return rc;
	if (optind >= argc) {
		fputs(item_usage, stderr);
		return 2;
	}
	if (strcmp(argv[optind], "department")) {
		ct_opt_unknown("item command", argv[optind], "department");
		return 2;
	}
	if (argc - optind != 3) {
		fputs(item_usage, stderr);
		return 2;
	}
	if (open_rw(cli))
		return 1;
	const char *dept = argv[optind + 2];
	if (ct_cli_department(cli, &dept))
		return 2;
	struct ct_decision d = { 0 };
	d.action = (char *)"item-department";
	d.item = argv[optind + 1];
	d.value = (char *)dept;
	d.by = (char *)by;
	d.reason = (char *)reason;
	char *what = ct_xstrfmt("item %s set to department %s", d.item, dept);
	rc = decide(cli, &d, what);
	free(what);
	return rc;
}

/* A case id argument: its first item names it in the decision (a new string), or NULL (reported). */
static char *case_anchor(struct ct_cli *cli, const char *arg, long *id, int *status)
{
	*status = 2;
	if (ct_opt_long("CASE", arg, 1, LONG_MAX, id))
		return NULL;
	*status = 1;
	char *anchor = ct_store_case_anchor(cli->store, *id);
	if (!anchor)
		ct_error("no case %ld in '%s'", *id, ct_store_path(cli->store));
	return anchor;
}

int ct_cmd_case_decide(int argc, char **argv, struct ct_cli *cli)
{
	const char *by = NULL, *reason = NULL;
	int done, rc = parse_common(argc, argv, case_decide_usage, &by, &reason, &done);
	if (done)
		return rc;
	const char *verb = argv[optind];
	int many = !strcmp(verb, "merge") || !strcmp(verb, "split");
	if (argc - optind < (many ? 3 : 2)) {
		fputs(case_decide_usage, stderr);
		return 2;
	}
	if (open_rw(cli))
		return 1;
	long id;
	if (!many) {
		for (int i = optind + 1; i < argc; i++) {
			int status;
			char *anchor = case_anchor(cli, argv[i], &id, &status);
			if (!anchor)
				return status;
			struct ct_decision d = { 0 };
			d.action = ct_xstrfmt("case-%s", verb);
			d.item = anchor;
			d.by = (char *)by;
			d.reason = (char *)reason;
			char *what = ct_xstrfmt("case %ld %s", id, !strcmp(verb, "close") ? "closed" : "reopened");
			rc = decide(cli, &d, what);
			free(what);
			free(d.action);
			free(anchor);
			if (rc)
				return rc;
		}
		return 0;
	}
	int status;
	char *anchor = case_anchor(cli, argv[optind + 1], &id, &status);
	if (!anchor)
		return status;
	struct ct_decision d = { 0 };
	d.action = ct_xstrfmt("case-%s", verb);
	d.item = anchor;
	d.by = (char *)by;
	d.reason = (char *)reason;
	rc = 0;
	for (int i = optind + 2; i < argc && !rc; i++) {
		if (!strcmp(verb, "merge")) {
			long other;
			char *a = case_anchor(cli, argv[i], &other, &status);
			if (!a) {
				rc = status;
			} else if (ct_store_resolve_case(cli->store, other) == ct_store_resolve_case(cli->store, id)) {
				ct_error("case %ld is case %ld already", other, id);
				rc = 1;
			} else
				ct_strlist_push(&d.items, a);
			free(a);
		} else {
			ct_strlist_push(&d.items, argv[i]);
		}
	}
	if (!rc) {
		char *what;
		if (!strcmp(verb, "merge")) {
			struct ct_buf b = CT_BUF_INIT;
			for (int i = optind + 2; i < argc; i++)
				ct_buf_addf(&b, "%s%s", i > optind + 2 ? ", " : "", argv[i]);
			what = ct_xstrfmt("case%s %s merged into case %ld", argc - optind > 3 ? "s" : "", b.buf, id);
			ct_buf_release(&b);
			rc = decide(cli, &d, what);
		} else {
			int64_t id_dec = 0;
			what = NULL;
			if (ct_store_decide(cli->store, &d, &id_dec)) {
				rc = 1;
			} else if (!cli->quiet) {
				printf("decision %lld: %zu item%s of case %ld split into case %lld (by %s)\n",
				       (long long)id_dec, d.items.n, d.items.n == 1 ? "" : "s", id,
				       (long long)ct_store_case_of(cli->store, d.items.v[0]), by);
			}
		}
		free(what);
	}
	free(d.action);
	free(anchor);
	ct_strlist_clear(&d.items);
	return rc;
}

int ct_cmd_recompute(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(recompute_usage, stdout);
			return 0;
		}
		fputs(recompute_usage, stderr);
		return 2;
	}
	if (optind < argc) {
		fputs(recompute_usage, stderr);
		return 2;
	}
	if (!cli->have_config) {
		ct_error("no configuration: departments and staff come from it");
		ct_hint("pass -c FILE, or run where ./casetrail.conf is");
		return 2;
	}
	if (open_rw(cli))
		return 1;
	long changed = 0, cases = 0;
	if (ct_store_recompute(cli->store, &cli->cfg, &changed, &cases))
		return 1;
	if (!cli->quiet)
		printf("recompute: %ld item%s changed department or side, %ld case%s re-routed\n", changed,
		       changed == 1 ? "" : "s", cases, cases == 1 ? "" : "s");
	return 0;
}

struct list_ctx {
	json_t *arr;
	struct ct_doc_table *t;
	long n;
};

static int list_one(const struct ct_decision *d, void *data)
{
	struct list_ctx *x = data;
	x->n++;
	if (x->arr) {
		json_t *one = ct_json_decisions(d, 1);
		json_array_extend(x->arr, one);
		json_decref(one);
		return 0;
	}
	char id[24], when[32], *what = ct_decision_describe(d);
	snprintf(id, sizeof(id), "%lld", (long long)d->id);
	ct_time_iso(d->at, when);
	ct_doc_row(x->t, id, when, d->action, what, d->by, d->reason ? d->reason : "");
	free(what);
	return 0;
}

int ct_cmd_decisions(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ct_format fmt = ct_default_format();
	long case_id = 0;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': if (ct_opt_long("--case", optarg, 1, LONG_MAX, &case_id)) return 2; break;
		case 'f': if (ct_parse_format(optarg, &fmt)) return 2; break;
		case 'h': fputs(decisions_usage, stdout); return 0;
		default: fputs(decisions_usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fputs(decisions_usage, stderr);
		return 2;
	}
	struct ct_doc doc;
	struct list_ctx x = { 0 };
	ct_doc_init(&doc, "Decisions");
	if (fmt == CT_FMT_JSON) {
		x.arr = json_array();
	} else {
		x.t = ct_doc_table(&doc, "", "#id|at|action|~decision|by|~why");
		doc.csv = x.t;
	}
	int64_t cid = case_id ? ct_store_resolve_case(cli->store, case_id) : 0;
	int rc = ct_store_list_decisions(cli->store, cid, list_one, &x);
	if (!rc && x.arr) {
		json_dumpf(x.arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else if (!rc) {
		rc = ct_doc_emit(&doc, fmt, stdout, ct_term_width(stdout));
	}
	json_decref(x.arr);
	ct_doc_release(&doc);
	return rc ? 1 : 0;
}
