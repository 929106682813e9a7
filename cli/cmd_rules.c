/*
 * cmd_rules.c - "casetrail rules check [FILE]" compiles a rule file and runs
 * its examples; "casetrail rules test FILE.eml" shows which rules hit one
 * message, with the evidence.
 */
#include "cli.h"
#include "../classify/classify.h"
#include "../ingest/ingest.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* cli/cmd_ingest.c: [organization] rules, else config/rules.conf, else the installed one. */

static const char usage_main[] =
	"usage: casetrail rules check [-v] [FILE]\n"
	"   or: casetrail rules test [--rules FILE] [--staff|--customer] [--text] FILE.eml\n"
	"   or: casetrail rules masscheck [--corpus DIR]... [--labels FILE] [--part P] ...\n"
	"   or: casetrail rules fit [--corpus DIR]... [--labels FILE] [--write] ...\n"
	"\n"
	"  check      compile every rule and run its examples and counter-examples\n"
	"  test       which rules hit one message, with the evidence\n"
	"  masscheck  every rule's hits, precision and recall over labelled items\n"
	"  fit        fit the rules' scores on labelled items\n"
	"\n"
	"The rule file defaults to [organization] rules of the configuration, else\n"
	"config/rules.conf, else the installed rules.conf.\n";

static const char usage_check[] =
	"usage: casetrail rules check [-v] [FILE]\n"
	"\n"
	"Compiles every rule of FILE (default: the configured rule set) and runs every\n"
	"example (it must be tagged) and counter_example (it must not), printing each\n"
	"failure as FILE:LINE: rule ID: ...\n"
	"\n"
	"  -v, --verbose   also list each rule with its prefilter anchors\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 all examples pass, 1 some fail, 2 the rule file has errors.\n";

static const char usage_test[] =
	"usage: casetrail rules test [--rules FILE] [--staff|--customer] [--text] FILE.eml\n"
	"\n"
	"Decodes one message and prints every rule that hits it, with the byte span of\n"
	"the evidence in the decoded body, the rule's score and the sentence; then, per\n"
	"category, the sum of the scores against the category's threshold (the item\n"
	"gets the tag when the sum reaches it). The sender is staff when its address\n"
	"is in [organization] internal_domains, unless --staff/--customer says.\n"
	"\n"
	"  --rules FILE    rule file (default: the configured rule set)\n"
	"  --staff         treat the sender as staff\n"
	"  --customer      treat the sender as a customer\n"
	"  --text          also print the text the rules saw (quotes, signatures removed)\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 ok, 1 the message could not be read, 2 bad usage or rule file.\n";

static const char *default_rules(const struct ct_cli *cli)
{
	const char *p = ct_cli_rules_path(cli);
	if (!p) {
		ct_cli_rules_missing();
		ct_hint("pass the rule file, or set [organization] rules in the configuration");
	}
	return p;
}

static int cmd_check(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, verbose = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v': verbose = 1; break;
		case 'h': fputs(usage_check, stdout); return 0;
		default: fputs(usage_check, stderr); return 2;
		}
	}
	if (argc - optind > 1) {
		fputs(usage_check, stderr);
		return 2;
	}
	const char *path = optind < argc ? argv[optind] : default_rules(cli);
	if (!path)
		return 2;
	struct ct_rules *r;
	if (ct_rules_load(path, &r))
		return 2;
	if (verbose)
		ct_rules_describe(r, stdout);
	int fails = ct_rules_check(r, stdout);
	printf("%s: %zu rules, %zu examples, %d failing, rules %.12s\n", path, ct_rules_count(r),
	       ct_rules_examples(r), fails < 0 ? 0 : fails, ct_rules_hash(r));
	ct_rules_free(r);
	return fails != 0 ? 1 : 0;
}

static int cmd_test(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "staff", no_argument, NULL, 'S' },
		{ "customer", no_argument, NULL, 'C' },
		{ "text", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, role = 0, show_text = 0, ret = 0;
	const char *rules_path = NULL;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rules_path = optarg; break;
		case 'S': role = CT_ROLE_STAFF; break;
		case 'C': role = CT_ROLE_CUSTOMER; break;
		case 't': show_text = 1; break;
		case 'h': fputs(usage_test, stdout); return 0;
		default: fputs(usage_test, stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		fputs(usage_test, stderr);
		return 2;
	}
	if (!rules_path && !(rules_path = default_rules(cli)))
		return 2;
	struct ct_rules *r;
	if (ct_cli_load_rules(&cli->cfg, rules_path, &r))
		return 2;
	struct ct_buf raw = CT_BUF_INIT;
	struct ct_item it;
	struct ct_tags tags = CT_TAGS_INIT;
	ct_item_init(&it);
	if (ct_buf_read_file(&raw, argv[optind])) {
		ret = 1;
		goto out;
	}
	if (ct_mime_parse(raw.buf, raw.len, (ct_time)time(NULL), &it))
		ct_warn("'%s' does not look like a mail message; matching its text as it is", argv[optind]);
	int staff = role ? role == CT_ROLE_STAFF
			 : it.role ? it.role == CT_ROLE_STAFF
				   : ct_config_is_internal(&cli->cfg, it.from.addr ? it.from.addr : "");
	const char *body = it.body ? it.body : "";
	size_t blen = it.body ? it.body_len : 0;
	printf("message: %s\nfrom: %s (%s)\nsubject: %s\nrules: %s (%.12s)\n", argv[optind],
	       it.from.addr ? it.from.addr : "?", staff ? "staff" : "customer", it.subject ? it.subject : "",
	       rules_path, ct_rules_hash(r));
	if (show_text) {
		struct ct_spans sp = { NULL, 0, 0 };
		ct_strip_authored(body, blen, &sp);
		printf("--- text the rules see (byte ranges of the body)\n");
		for (size_t i = 0; i < sp.n; i++)
			printf("[%zu-%zu]\n%.*s\n", sp.v[i].start, sp.v[i].end, (int)(sp.v[i].end - sp.v[i].start),
			       body + sp.v[i].start);
		printf("---\n");
		free(sp.v);
	}
	if (ct_classify_hits(r, it.subject, body, blen, staff, &tags)) {
		ret = 1;
		goto out;
	}
	if (ct_classify_failure())
		ct_warn("%s; that rule did not count", ct_classify_failure());
	if (!tags.n)
		printf("no tags\n");
	for (size_t i = 0; i < tags.n; i++) {
		const struct ct_tag *t = &tags.v[i];
		printf("%s  %s  %s[%zu-%zu]  \"%.*s\"  score %g\n    %s\n", t->category, t->rule_id,
		       t->in_subject ? "subject" : "body", t->start, t->end, (int)(t->end - t->start),
		       (t->in_subject ? it.subject : body) + t->start, t->score, t->snippet);
	}
	/* Per category: the sum of its rules' scores against its threshold. */
	for (size_t ci = 0; ci < ct_rules_ncategories(r); ci++) {
		const char *cat = ct_rules_category(r, ci);
		int any = 0;
		for (size_t i = 0; i < tags.n && !any; i++)
			any = tags.v[i].category == cat;
		double sum = ct_tags_category_score(&tags, 0, cat);
		if (any)
			printf("%s: score %g, threshold %g: %s\n", cat, sum, ct_rules_threshold(r, cat),
			       sum + 1e-9 >= ct_rules_threshold(r, cat) ? "tagged" : "not tagged");
	}
out:
	ct_tags_clear(&tags);
	ct_item_free(&it);
	ct_buf_release(&raw);
	ct_rules_free(r);
	return ret;
}

int ct_cmd_rules(int argc, char **argv, struct ct_cli *cli)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "test"))
		return cmd_test(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "masscheck"))
		return ct_cmd_rules_masscheck(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "fit"))
		return ct_cmd_rules_fit(argc - 1, argv + 1, cli);
	ct_opt_unknown("rules command", argv[1], "check, test, masscheck, fit");
	fputs(usage_main, stderr);
	return 2;
}
