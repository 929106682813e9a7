/* cmd_site.c - `casetrail site --out DIR`: the static site of reports and cases. */
#include "report_p.h"
#include "../report/report.h"
#include "../store/store.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

static const char site_usage[] =
	"usage: casetrail site --out DIR [--until DATE]\n"
	"\n"
	"Writes a static site into DIR (created when missing) that any web server can\n"
	"publish: self-contained HTML pages (inline CSS, no script, no external file),\n"
	"linked to each other by relative links:\n"
	"\n"
	"  index.html                    links to everything below\n"
	"  complaints-all-PERIOD.html    the complaint report of every department\n"
	"  complaints-DEPT-PERIOD.html   the complaint report of one department\n"
	"  audit.html                    the handoff audit of every case\n"
	"  cases.html                    every case, most recent activity first\n"
	"  case-ID.html                  one case: timeline, evidence, routing\n"
	"\n"
	"PERIOD is week, month, quarter or year: the 7, 30, 91 or 365 days before\n"
	"--until. A page is replaced atomically (written aside, then renamed) and only\n"
	"when it changed; pages of cases merged away are removed. Run it after the\n"
	"nightly ingest; with [site] url, mailed reports link to the published pages.\n"
	"\n"
	"  --out DIR      the site's directory (required)\n"
	"  --until DATE   the site as of DATE, YYYY-MM-DD or ISO 8601 (UTC; default now)\n";

int ct_cmd_site(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	ct_time until = 0;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'u': if (ct_opt_date("--until", optarg, &until)) return 2; break;
		case 'h': fputs(site_usage, stdout); return 0;
		default: fputs(site_usage, stderr); return 2;
		}
	}
	if (optind != argc || !out || !*out) {
		if (optind == argc)
			ct_error("site needs --out DIR");
		fputs(site_usage, stderr);
		return 2;
	}
	if (!until)
		until = (ct_time)time(NULL);
	return ct_site_write(cli->store, &cli->cfg, out, until) ? 1 : 0;
}
