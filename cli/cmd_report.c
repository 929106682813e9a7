/* cmd_report.c - `casetrail report complaints`: options, the period, --out and --mail. */
#include "report_p.h"
#include "../report/report.h"
#include "../store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char report_usage[] =
	"usage: casetrail report complaints [--since DATE] [--until DATE] [--department NAME]\n"
	"                                   [--oldest N] [--format F] [--out FILE] [--mail [--dry-run]]\n"
	"\n"
	"The complaint report for team leaders: per department (its leader named) and period\n"
	"(default: the 7 days before --until, which defaults to now), tagged cases opened and\n"
	"still open per tag with the change against the previous period of the same length,\n"
	"the oldest open tagged cases with their evidence, the rules that fired most, repeat\n"
	"customers, and the staff on cases tagged overpromise.\n"
	"\n"
	"  --since DATE, --until DATE   the period [since, until), YYYY-MM-DD or ISO 8601 (UTC)\n"
	"  --department NAME            one department only\n"
	"  --oldest N                   oldest open cases listed per department (1 to 1000,\n"
	"                               default 5)\n"
	"  --format F                   table, csv, json, markdown, html (default: from --out's\n"
	"                               extension, else table on a terminal, else json)\n"
	"  --out FILE                   write to FILE instead of stdout\n"
	"  --mail                       mail each department's report to its leader ([smtp])\n"
	"  --dry-run                    with --mail: write the .eml files (to --out DIR, default .)\n";

struct complaints_render {
	const struct ct_config *cfg;
	const struct ct_complaints *c;
};

static int render_complaints(FILE *out, enum ct_format fmt, void *data)
{
	struct complaints_render *r = data;
	return ct_report_complaints(out, fmt, 100, r->cfg, r->c);
}

static int complaints(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "department", required_argument, NULL, 'd' },
		{ "oldest", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "mail", no_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ct_report_opts c = { ct_default_format(), 0, NULL, NULL, 0, 0, 0 };
	int oldest = 5, mail = 0, ch, ret = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': if (ct_opt_date("--since", optarg, &c.since)) return 2; break;
		case 'u': if (ct_opt_date("--until", optarg, &c.until)) return 2; break;
		case 'd': c.dept = optarg; break;
		case 'n': if (ct_opt_int("--oldest", optarg, 1, 1000, &oldest)) return 2; break;
		case 'f': if (ct_parse_format(optarg, &c.fmt)) return 2; c.fmt_set = 1; break;
		case 'o': c.out = optarg; break;
		case 'm': mail = 1; break;
		case 'D': c.dry_run = 1; break;
		case 'h': fputs(report_usage, stdout); return 0;
		default: fputs(report_usage, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(report_usage, stderr);
		return 2;
	}
	if (ct_cli_department(cli, &c.dept))
		return 2;
	if (!c.until)
		c.until = (ct_time)time(NULL);
	if (!c.since)
		c.since = c.until - 7 * 86400;
	if (ct_opt_period(c.since, c.until))
		return 2;
	/* with --mail --dry-run, --out names a directory */
	if (!mail && ct_report_format_from_out(&c))
		return 2;
	ct_report_links_from_config(&cli->cfg);
	if (mail) {
		/* one mail per department, to its leader */
		struct ct_complaints all;
		if (ct_store_complaints(cli->store, c.since, c.until, c.dept, oldest, &all))
			return 1;
		for (size_t i = 0; i < all.ndepts; i++) {
			const char *name = all.depts[i].department;
			const struct ct_department *d = ct_config_dept_by_name(&cli->cfg, name);
			if (!d || !d->leader) {
				ct_warn("department '%s' has no leader: its report is not mailed", name);
				continue;
			}
			struct ct_complaints one;
			if (ct_store_complaints(cli->store, c.since, c.until, name, oldest, &one)) {
				ret = 1;
				continue;
			}
			char subject[256], a[32], b[32], fname[128];
			ct_time_iso(c.since, a);
			ct_time_iso(c.until - 1, b);
			snprintf(subject, sizeof(subject), "Complaint report for %s, %.10s to %.10s", name, a, b);
			snprintf(fname, sizeof(fname), "complaints-%s", name);
			for (char *p = fname; *p; p++)
				if (*p == ' ' || *p == '/')
					*p = '_';
			struct complaints_render r = { &cli->cfg, &one };
			if (ct_report_mail_one(&cli->cfg, d->leader, subject, fname, render_complaints, &r,
				     c.dry_run ? (c.out ? c.out : ".") : NULL))
				ret = 1;
			ct_complaints_release(&one);
		}
		ct_complaints_release(&all);
		return ret;
	}
	struct ct_complaints rep;
	if (ct_store_complaints(cli->store, c.since, c.until, c.dept, oldest, &rep))
		return 1;
	FILE *out = ct_report_open_out(&c);
	if (!out) {
		ct_complaints_release(&rep);
		return 1;
	}
	ret = ct_report_complaints(out, c.fmt, ct_term_width(out), &cli->cfg, &rep) ? 1 : 0;
	ret = ct_report_close_out(&c, out, ret);
	ct_complaints_release(&rep);
	return ret;
}

int ct_cmd_report(int argc, char **argv, struct ct_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "complaints"))
		return complaints(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "promises"))
		return ct_cmd_report_promises(argc - 1, argv + 1, cli);
	if (argc >= 2 && !strcmp(argv[1], "customers"))
		return ct_cmd_report_customers(argc - 1, argv + 1, cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(report_usage, stdout);
		fputs("\nAlso: 'casetrail report promises' (the promise ledger) and 'casetrail report customers'\n"
		      "(customers who dealt with many people on one case); each answers --help.\n", stdout);
		return 0;
	}
	if (argc >= 2)
		ct_opt_unknown("report", argv[1], "complaints, promises, customers");
	fputs(report_usage, stderr);
	return 2;
}

