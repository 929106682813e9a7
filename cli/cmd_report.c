/*
 * cmd_report.c - `casetrail report complaints` and `casetrail audit handoffs`:
 * options, the period, --out and --mail; the reports live in report/.
 */
#include "cli.h"
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
	"  --oldest N                   oldest open cases listed per department (default 5)\n"
	"  --format F                   table, csv, json, markdown, html (default: from --out's\n"
	"                               extension, else table on a terminal, else json)\n"
	"  --out FILE                   write to FILE instead of stdout\n"
	"  --mail                       mail each department's report to its leader ([smtp])\n"
	"  --dry-run                    with --mail: write the .eml files (to --out DIR, default .)\n";

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
	"  --min-handoffs N   only cases passed on at least N times\n"
	"  --ping-pong        only cases that returned to a department\n"
	"  --since DATE       only cases active on or after DATE\n"
	"  --until DATE       the audit as of DATE (default now)\n"
	"  --department NAME  only cases that department held\n"
	"  --format F, --out FILE   as for 'report complaints'\n"
	"  --mail-to ADDR     mail the audit to ADDR ([smtp]); --dry-run writes the .eml file\n";

struct common {
	enum ct_format fmt;
	int fmt_set;
	const char *out, *dept;
	ct_time since, until;
	int dry_run;
};

static int parse_date(const char *opt, const char *v, ct_time *t)
{
	if (ct_time_parse(v, t)) {
		ct_error("--%s: '%s' is not a date (YYYY-MM-DD or ISO 8601)", opt, v);
		return -1;
	}
	return 0;
}

static void format_from_out(struct common *c)
{
	if (c->fmt_set || !c->out)
		return;
	const char *dot = strrchr(c->out, '.');
	if (dot && ct_parse_format(dot + 1, &c->fmt) == 0)
		return;
	if (dot && !strcmp(dot, ".htm"))
		c->fmt = CT_FMT_HTML;
	else if (dot && !strcmp(dot, ".md"))
		c->fmt = CT_FMT_MARKDOWN;
	else
		c->fmt = CT_FMT_TABLE;
}

static FILE *open_out(const struct common *c)
{
	if (!c->out)
		return stdout;
	FILE *f = fopen(c->out, "w");
	if (!f)
		ct_error("cannot write '%s'", c->out);
	return f;
}

static int close_out(const struct common *c, FILE *f, int rc)
{
	if (f == stdout)
		return rc;
	if (fclose(f) && !rc)
		rc = ct_error("cannot write '%s'", c->out);
	if (!rc)
		fprintf(stderr, "wrote %s\n", c->out);
	return rc;
}

/* Renders a report twice (text and HTML) into memory for a mail. */
typedef int (*render_fn)(FILE *out, enum ct_format fmt, void *data);

static int mail_one(const struct ct_config *cfg, const char *to, const char *subject, const char *name,
		    render_fn render, void *data, const char *dry_dir)
{
	char *text = NULL, *html = NULL;
	size_t tl = 0, hl = 0;
	FILE *t = open_memstream(&text, &tl), *h = open_memstream(&html, &hl);
	int rc = render(t, CT_FMT_TABLE, data) | render(h, CT_FMT_HTML, data);
	fclose(t);
	fclose(h);
	if (!rc)
		rc = ct_report_mail(cfg, to, subject, text, html, dry_dir, name);
	free(text);
	free(html);
	return rc;
}

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
	struct common c = { ct_default_format(), 0, NULL, NULL, 0, 0, 0 };
	int oldest = 5, mail = 0, ch, ret = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': if (parse_date("since", optarg, &c.since)) return 2; break;
		case 'u': if (parse_date("until", optarg, &c.until)) return 2; break;
		case 'd': c.dept = optarg; break;
		case 'n': oldest = atoi(optarg); break;
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
	if (c.dept && cli->have_config && !ct_config_dept_by_name(&cli->cfg, c.dept)) {
		ct_error("unknown department '%s'", c.dept);
		return 2;
	}
	if (!c.until)
		c.until = (ct_time)time(NULL);
	if (!c.since)
		c.since = c.until - 7 * 86400;
	if (c.since >= c.until) {
		ct_error("--since must be before --until");
		return 2;
	}
	format_from_out(&c);
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
			if (mail_one(&cli->cfg, d->leader, subject, fname, render_complaints, &r,
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
	FILE *out = open_out(&c);
	if (!out) {
		ct_complaints_release(&rep);
		return 1;
	}
	ret = ct_report_complaints(out, c.fmt, ct_term_width(out), &cli->cfg, &rep) ? 1 : 0;
	ret = close_out(&c, out, ret);
	ct_complaints_release(&rep);
	return ret;
}

int ct_cmd_report(int argc, char **argv, struct ct_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "complaints"))
		return complaints(argc - 1, argv + 1, cli);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(report_usage, stdout);
		return 0;
	}
	fputs(report_usage, stderr);
	return 2;
}

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
	struct common c = { ct_default_format(), 0, NULL, NULL, 0, 0, 0 };
	struct ct_case_filter f = { 0 };
	const char *mail_to = NULL;
	int ch, ret;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': f.min_handoffs = atoi(optarg); break;
		case 'p': f.ping_pong_only = 1; break;
		case 's': if (parse_date("since", optarg, &c.since)) return 2; break;
		case 'u': if (parse_date("until", optarg, &c.until)) return 2; break;
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
	if (!c.until)
		c.until = (ct_time)time(NULL);
	f.since = c.since;
	f.department = c.dept;
	format_from_out(&c);
	struct ct_audit a;
	if (ct_store_audit(cli->store, &f, c.until, &a))
		return 1;
	if (mail_to) {
		struct audit_render r = { &a };
		char subject[128], u[32];
		ct_time_iso(c.until, u);
		snprintf(subject, sizeof(subject), "Handoff audit until %.10s", u);
		ret = mail_one(&cli->cfg, mail_to, subject, "handoff-audit", render_audit, &r,
			       c.dry_run ? (c.out ? c.out : ".") : NULL) ? 1 : 0;
		ct_audit_release(&a);
		return ret;
	}
	FILE *out = open_out(&c);
	if (!out) {
		ct_audit_release(&a);
		return 1;
	}
	ret = ct_report_audit(out, c.fmt, ct_term_width(out), &a) ? 1 : 0;
	ret = close_out(&c, out, ret);
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
	fputs(audit_usage, stderr);
	return 2;
}
