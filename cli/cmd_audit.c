/* cmd_audit.c - `casetrail audit handoffs`: options, --out and --mail-to. */
#include "report_p.h"
#include "../report/report.h"
#include "../store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char audit_usage[] =
	"usage: casetrail audit handoffs [--min-handoffs N] [--ping-pong] [--since DATE] [--until DATE]\n"
	"                                [--department NAME] [--format F] [--out FILE]\n"
	"                                [--mail-to ADDR [--dry-run]]\n"
	"\n"
	"The audit of cases passed between departments: every case's department trail with\n"
	"how long each department held it, handoff counts, ping-pong cases, the transfer\n"
	"matrix, the median time to resolution by number of handoffs, and the cases nobody\n"
	"answered after a handoff.\n"
	"\n"
	"  --min-handoffs N   only cases passed on at least N times (0 to 1000)\n"
	"  --ping-pong        only cases that returned to a department\n"
	"  --since DATE       only cases active on or after DATE\n"
	"  --until DATE       the audit as of DATE (default now)\n"
	"  --department NAME  only cases that department held\n"
	"  --format F, --out FILE   as for 'report complaints'\n"
	"  --mail-to ADDR     mail the audit to ADDR ([smtp]); --dry-run writes the .eml file\n";

struct audit_render {
	const struct ct_audit *a;
};

static int render_audit(FILE *out, enum ct_format fmt, void *data)
{
	struct audit_render *r = data;
	return ct_report_audit(out, fmt, 100, r->a);
}

static int handoffs(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "min-handoffs", required_argument, NULL, 'n' },
		{ "ping-pong", no_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "department", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "mail-to", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ct_report_opts c = { ct_default_format(), 0, NULL, NULL, 0, 0, 0 };
	struct ct_case_filter f = { 0 };
	const char *mail_to = NULL;
	int ch, ret;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (ct_opt_int("--min-handoffs", optarg, 0, CT_MAX_HANDOFFS, &f.min_handoffs))
				return 2;
			break;
		case 'p': f.ping_pong_only = 1; break;
		case 's': if (ct_opt_date("--since", optarg, &c.since)) return 2; break;
		case 'u': if (ct_opt_date("--until", optarg, &c.until)) return 2; break;
		case 'd': c.dept = optarg; break;
		case 'f': if (ct_parse_format(optarg, &c.fmt)) return 2; c.fmt_set = 1; break;
		case 'o': c.out = optarg; break;
		case 'm': mail_to = optarg; break;
		case 'D': c.dry_run = 1; break;
		case 'h': fputs(audit_usage, stdout); return 0;
		default: fputs(audit_usage, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(audit_usage, stderr);
		return 2;
	}
	if (ct_cli_department(cli, &c.dept))
		return 2;
	if (!c.until)
		c.until = (ct_time)time(NULL);
	if (ct_opt_period(c.since, c.until))
		return 2;
	f.since = c.since;
	f.department = c.dept;
	/* with --mail-to --dry-run, --out names a directory */
	if (!mail_to && ct_report_format_from_out(&c))
		return 2;
	ct_report_links_from_config(&cli->cfg);
	struct ct_audit a;
	if (ct_store_audit(cli->store, &f, c.until, &a))
		return 1;
	if (mail_to) {
		struct audit_render r = { &a };
		char subject[128], u[32];
		ct_time_iso(c.until, u);
		snprintf(subject, sizeof(subject), "Handoff audit until %.10s", u);
		ret = ct_report_mail_one(&cli->cfg, mail_to, subject, "handoff-audit", render_audit, &r,
			       c.dry_run ? (c.out ? c.out : ".") : NULL) ? 1 : 0;
		ct_audit_release(&a);
		return ret;
	}
	FILE *out = ct_report_open_out(&c);
	if (!out) {
		ct_audit_release(&a);
		return 1;
	}
	ret = ct_report_audit(out, c.fmt, ct_term_width(out), &a) ? 1 : 0;
	ret = ct_report_close_out(&c, out, ret);
	ct_audit_release(&a);
	return ret;
}

int ct_cmd_audit(int argc, char **argv, struct ct_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "handoffs"))
		return handoffs(argc - 1, argv + 1, cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(audit_usage, stdout);
		return 0;
	}
	if (argc >= 2)
		ct_opt_unknown("audit", argv[1], "handoffs");
	fputs(audit_usage, stderr);
	return 2;
}
