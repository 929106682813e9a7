/* report_common.c - options and output shared by `report` and `audit`. */
#include "report_p.h"
#include "../report/report.h"

#include <stdlib.h>
#include <string.h>


void ct_report_format_from_out(struct ct_report_opts *c)
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

FILE *ct_report_open_out(const struct ct_report_opts *c)
{
	if (!c->out)
		return stdout;
	FILE *f = fopen(c->out, "w");
	if (!f)
		ct_error("cannot write '%s'", c->out);
	return f;
}

int ct_report_close_out(const struct ct_report_opts *c, FILE *f, int rc)
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

int ct_report_mail_one(const struct ct_config *cfg, const char *to, const char *subject, const char *name,
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


void ct_report_links_from_config(const struct ct_config *cfg)
{
	if (!cfg->site_url)
		return;
	struct ct_buf nav = CT_BUF_INIT;
	ct_report_set_case_links(cfg->site_url);
	ct_buf_addstr(&nav, "<a href=\"");
	ct_html_escape(&nav, cfg->site_url);
	ct_buf_addstr(&nav, "index.html\">All reports and cases on the site</a>");
	ct_report_set_nav(nav.buf);
	ct_buf_release(&nav);
}
