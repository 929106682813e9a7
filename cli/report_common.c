/* report_common.c - options and output shared by `report` and `audit`. */
#include "report_p.h"
#include "../report/report.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>


int ct_report_format_from_out(struct ct_report_opts *c)
{
	static const struct {
		const char *ext;
		enum ct_format fmt;
	} exts[] = {
		{ "txt", CT_FMT_TABLE }, { "text", CT_FMT_TABLE }, { "table", CT_FMT_TABLE },
		{ "csv", CT_FMT_CSV }, { "json", CT_FMT_JSON }, { "md", CT_FMT_MARKDOWN },
		{ "markdown", CT_FMT_MARKDOWN }, { "html", CT_FMT_HTML }, { "htm", CT_FMT_HTML },
	};
	if (c->fmt_set || !c->out)
		return 0;
	const char *base = strrchr(c->out, '/');
	base = base ? base + 1 : c->out;
	const char *dot = strrchr(base, '.');
	/* a name without an extension gets the text table */
	if (!dot || dot == base) {
		c->fmt = CT_FMT_TABLE;
		return 0;
	}
	for (size_t i = 0; i < CT_ARRAY_SIZE(exts); i++)
		if (!strcasecmp(dot + 1, exts[i].ext)) {
			c->fmt = exts[i].fmt;
			return 0;
		}
	ct_error("--out '%s': no format writes '%s' files (known: .txt, .csv, .json, .md, .html)",
		 c->out, dot);
	ct_hint("name the file after its format, or pass --format");
	return -1;
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
	if (!rc && !ct_quiet)
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
