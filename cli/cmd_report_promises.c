/*
 * cmd_report_promises.c - "casetrail report promises" and "report
 * customers": the promise ledger per department and staff member, and the
 * customers who dealt with many people, departments or channels on one case.
 */
#include "report_p.h"
#include "../report/report.h"
#include "../store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char promises_usage[] =
	"usage: casetrail report promises [--since DATE] [--until DATE] [--department NAME]\n"
	"                                 [--format F] [--out FILE]\n"
	"\n"
	"The promise ledger: commitments staff made with a time (\"by Thursday\", \"within\n"
	"48 hours\", \"bis Freitag\"), each with its due time and verdict as of --until: kept\n"
	"(before due, staff reported it done, the ticket was closed, or the customer\n"
	"confirmed it), broken (due passed without that, or the customer complained of a\n"
	"broken promise first) or open (not due yet); 'casetrail promise' decides by hand.\n"
	"First the promises overdue now, oldest first, with their sentence; then per\n"
	"department and staff member: made, kept, broken, open, overdue now and the median\n"
	"lateness of the broken ones, over the promises made in the period (default: the\n"
	"7 days before --until, which defaults to now).\n"
	"\n"
	"  --since DATE, --until DATE   the period [since, until), YYYY-MM-DD or ISO 8601 (UTC)\n"
	"  --department NAME            one department only\n"
	"  --format F                   table, csv, json, markdown, html (default: from --out's\n"
	"                               extension, else table on a terminal, else json)\n"
	"  --out FILE                   write to FILE instead of stdout\n";

static const char customers_usage[] =
	"usage: casetrail report customers [--since DATE] [--until DATE] [--min N]\n"
	"                                  [--format F] [--out FILE]\n"
	"\n"
	"Customers who get a different story from each person: those who, on one case\n"
	"active in the period (default: the 30 days before --until, which defaults to\n"
	"now), dealt with more than N staff members, or departments, or channels (email,\n"
	"or a helpdesk system), with their cases, departments, handoffs and the promises\n"
	"they were given side by side.\n"
	"\n"
	"  --since DATE, --until DATE   the period [since, until), YYYY-MM-DD or ISO 8601 (UTC)\n"
	"  --min N                      more than N (0 to 1000, default 2)\n"
	"  --format F                   table, csv, json, markdown, html\n"
	"  --out FILE                   write to FILE instead of stdout\n";

/* Options common to both: 0 ok, 2 bad usage (printed), -1 --help was answered. */
static int parse(int argc, char **argv, const char *usage, struct ct_report_opts *c, int *min, int default_days)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "department", required_argument, NULL, 'd' },
		{ "min", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': if (ct_opt_date("--since", optarg, &c->since)) return 2; break;
		case 'u': if (ct_opt_date("--until", optarg, &c->until)) return 2; break;
		case 'd':
			if (!min) {
				c->dept = optarg;
				break;
			}
			fputs(usage, stderr);
			return 2;
		case 'n':
			if (min) {
				if (ct_opt_int("--min", optarg, 0, 1000, min))
					return 2;
				break;
			}
			fputs(usage, stderr);
			return 2;
		case 'f': if (ct_parse_format(optarg, &c->fmt)) return 2; c->fmt_set = 1; break;
		case 'o': c->out = optarg; break;
		case 'h': fputs(usage, stdout); return -1;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!c->until)
		c->until = (ct_time)time(NULL);
	if (!c->since)
		c->since = c->until - (ct_time)default_days * 86400;
	if (ct_opt_period(c->since, c->until))
		return 2;
	ct_report_format_from_out(c);
	return 0;
}

int ct_cmd_report_promises(int argc, char **argv, struct ct_cli *cli)
{
	struct ct_report_opts c = { ct_default_format(), 0, NULL, NULL, 0, 0, 0 };
	int rc = parse(argc, argv, promises_usage, &c, NULL, 7);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (ct_cli_department(cli, &c.dept))
		return 2;
	struct ct_promise_list l;
	struct ct_promise_filter f = { 0, c.dept, c.until };
	if (ct_store_promises(cli->store, &f, &l))
		return 1;
	FILE *out = ct_report_open_out(&c);
	if (!out) {
		ct_promise_list_release(&l);
		return 1;
	}
	int ret = ct_report_promises(out, c.fmt, ct_term_width(out), &l, c.since, c.until) ? 1 : 0;
	ret = ct_report_close_out(&c, out, ret);
	ct_promise_list_release(&l);
	return ret;
}

int ct_cmd_report_customers(int argc, char **argv, struct ct_cli *cli)
{
	struct ct_report_opts c = { ct_default_format(), 0, NULL, NULL, 0, 0, 0 };
	int min = 2;
	int rc = parse(argc, argv, customers_usage, &c, &min, 30);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct ct_customer_list cl;
	struct ct_promise_list pl;
	struct ct_promise_filter f = { 0, NULL, c.until };
	if (ct_store_customers(cli->store, c.since, c.until, min, &cl))
		return 1;
	if (ct_store_promises(cli->store, &f, &pl)) {
		ct_customer_list_release(&cl);
		return 1;
	}
	int ret = 1;
	FILE *out = ct_report_open_out(&c);
	if (out) {
		ret = ct_report_customers(out, c.fmt, ct_term_width(out), &cl, &pl, c.since, c.until, min) ? 1 : 0;
		ret = ct_report_close_out(&c, out, ret);
	}
	ct_customer_list_release(&cl);
	ct_promise_list_release(&pl);
	return ret;
}
