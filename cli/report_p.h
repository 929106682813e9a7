/* report_p.h - private to cli/: what `report` and `audit` share. */
#ifndef CT_REPORT_P_H
#define CT_REPORT_P_H

#include "cli.h"
#include "../report/report.h"

struct ct_report_opts {
	enum ct_format fmt;
	int fmt_set;
	const char *out, *dept;
	ct_time since, until;
	int dry_run;
};

typedef int (*render_fn)(FILE *out, enum ct_format fmt, void *data);

/*
 * Without --format, --out's extension decides (.txt, .csv, .json, .md, .html;
 * none: the text table). An unknown one is reported: -1, the command exits 2.
 */
int ct_report_format_from_out(struct ct_report_opts *c);
FILE *ct_report_open_out(const struct ct_report_opts *c);
int ct_report_close_out(const struct ct_report_opts *c, FILE *f, int rc);
/* Renders text and HTML with render() and mails them (or writes DIR/name.eml). */
int ct_report_mail_one(const struct ct_config *cfg, const char *to, const char *subject, const char *name,
		       render_fn render, void *data, const char *dry_dir);

/* With [site] url: case ids link to the site's case pages, and HTML pages link to its index. */
void ct_report_links_from_config(const struct ct_config *cfg);

#endif
