/*
 * doc.c - the report document and its emitters: one function per format
 * over the same headings, paragraphs, tables and charts.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void ct_doc_init(struct ct_doc *d, const char *title)
{
	memset(d, 0, sizeof(*d));
	d->title = ct_strdup(title);
}

void ct_doc_release(struct ct_doc *d)
{
	for (size_t i = 0; i < d->nblocks; i++) {
		struct ct_doc_block *b = &d->blocks[i];
		free(b->text);
		if (b->table) {
			free(b->table->title);
			ct_strlist_clear(&b->table->cols);
			for (size_t r = 0; r < b->table->nrows; r++)
				ct_strlist_clear(&b->table->rows[r]);
			free(b->table->rows);
			free(b->table);
		}
	}
	free(d->blocks);
	free(d->title);
	memset(d, 0, sizeof(*d));
}

static struct ct_doc_block *add_block(struct ct_doc *d, enum ct_block_type type)
{
	CT_ALLOC_GROW(d->blocks, d->nblocks + 1, d->blocks_alloc);
	struct ct_doc_block *b = &d->blocks[d->nblocks++];
	memset(b, 0, sizeof(*b));
	b->type = type;
	return b;
}

void ct_doc_heading(struct ct_doc *d, int level, const char *fmt, ...)
{
	struct ct_buf b = CT_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ct_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	struct ct_doc_block *bl = add_block(d, CT_BLOCK_HEADING);
	bl->level = level;
	bl->text = ct_buf_detach(&b, NULL);
}

void ct_doc_text(struct ct_doc *d, const char *fmt, ...)
{
	struct ct_buf b = CT_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ct_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	add_block(d, CT_BLOCK_TEXT)->text = ct_buf_detach(&b, NULL);
}

void ct_doc_svg(struct ct_doc *d, char *svg)
{
	add_block(d, CT_BLOCK_SVG)->text = svg;
}

struct ct_doc_table *ct_doc_table(struct ct_doc *d, const char *title, const char *cols)
{
	struct ct_doc_table *t = ct_calloc(1, sizeof(*t));
	struct ct_strlist l = CT_STRLIST_INIT;
	t->title = ct_strdup(title);
	ct_strlist_split(&l, cols, '|');
	for (size_t i = 0; i < l.n; i++) {
		const char *c = l.v[i];
		if (*c == '#') {
			t->numeric |= 1u << i;
			c++;
		} else if (*c == '~') {
			t->shrink_first |= 1u << i;
			c++;
		}
		ct_strlist_push(&t->cols, c);
	}
	ct_strlist_clear(&l);
	add_block(d, CT_BLOCK_TABLE)->table = t;
	return t;
}

void ct_doc_row(struct ct_doc_table *t, ...)
{
	va_list ap;
	CT_ALLOC_GROW(t->rows, t->nrows + 1, t->rows_alloc);
	struct ct_strlist *r = &t->rows[t->nrows++];
	memset(r, 0, sizeof(*r));
	va_start(ap, t);
	for (size_t i = 0; i < t->cols.n; i++) {
		const char *s = va_arg(ap, const char *);
		ct_strlist_push(r, s ? s : "");
	}
	va_end(ap);
}

/* ---- escaping ---- */

void ct_html_escape(struct ct_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p);
	for (size_t i = 0; i < len;) {
		unsigned c = p[i];
		/* bidirectional controls would reorder what the reader sees: show them instead */
		if (c == 0xE2) {
			uint32_t cp;
			size_t n = ct_utf8_decode(p + i, len - i, &cp);
			if ((cp >= 0x202A && cp <= 0x202E) || cp == 0x200E || cp == 0x200F ||
			    (cp >= 0x2066 && cp <= 0x2069)) {
				ct_buf_addf(out, "[U+%04X]", (unsigned)cp);
				i += n;
				continue;
			}
		}
		switch (c) {
		case '&': ct_buf_addstr(out, "&amp;"); break;
		case '<': ct_buf_addstr(out, "&lt;"); break;
		case '>': ct_buf_addstr(out, "&gt;"); break;
		case '"': ct_buf_addstr(out, "&quot;"); break;
		case '\'': ct_buf_addstr(out, "&#39;"); break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t')
				ct_buf_addch(out, ' ');
			else
				ct_buf_addch(out, (int)c);
		}
		i++;
	}
}

void ct_csv_field(struct ct_buf *out, const char *s)
{
	s = s ? s : "";
	if (!strpbrk(s, ",\"\r\n")) {
		ct_buf_addstr(out, s);
		return;
	}
	ct_buf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			ct_buf_addch(out, '"');
		ct_buf_addch(out, *s);
	}
	ct_buf_addch(out, '"');
}

/* ---- table (terminal) ---- */

/* Appends s cut to w columns (… when cut), padded to w unless last. */
static void cell(struct ct_buf *out, const char *s, size_t w, int right, int last)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), width = ct_utf8_width(s, len);
	struct ct_buf tmp = CT_BUF_INIT;
	if (width > w) {
		size_t used = 0, i = 0;
		while (i < len) {
			size_t n = ct_utf8_seqlen(p + i, len - i);
			size_t cw = ct_utf8_width(s + i, n);
			if (used + cw > w - 1)
				break;
			ct_buf_add(&tmp, p + i, n);
			used += cw;
			i += n;
		}
		ct_buf_addstr(&tmp, "…");
		width = used + 1;
	} else {
		ct_buf_addstr(&tmp, s);
	}
	/* newlines and tabs would break the grid */
	for (size_t i = 0; i < tmp.len; i++)
		if (tmp.buf[i] == '\n' || tmp.buf[i] == '\t' || tmp.buf[i] == '\r')
			tmp.buf[i] = ' ';
	if (right)
		for (size_t i = width; i < w; i++)
			ct_buf_addch(out, ' ');
	ct_buf_add(out, tmp.buf, tmp.len);
	if (!right && !last)
		for (size_t i = width; i < w; i++)
			ct_buf_addch(out, ' ');
	ct_buf_release(&tmp);
}

static void emit_table_text(struct ct_buf *out, const struct ct_doc_table *t, int width)
{
	size_t n = t->cols.n, *w = ct_calloc(n, sizeof(size_t));
	for (size_t c = 0; c < n; c++) {
		w[c] = ct_utf8_width(t->cols.v[c], strlen(t->cols.v[c]));
		for (size_t r = 0; r < t->nrows; r++) {
			size_t x = ct_utf8_width(t->rows[r].v[c], strlen(t->rows[r].v[c]));
			if (x > w[c])
				w[c] = x;
		}
	}
	/* shrink the widest columns until the table fits */
	size_t total = 0;
	for (size_t c = 0; c < n; c++)
		total += w[c] + (c + 1 < n ? 2 : 0);
	for (int pass = 0; pass < 2; pass++)
		while (width > 20 && total > (size_t)width) {
			size_t widest = n;
			for (size_t c = 0; c < n; c++) {
				if ((pass == 0 && !((t->shrink_first >> c) & 1)) || ((t->keep >> c) & 1))
					continue;
				if (widest == n || w[c] > w[widest])
					widest = c;
			}
			if (widest == n || w[widest] <= (pass == 0 ? 8u : 6u))
				break;
			w[widest]--;
			total--;
		}
	if (t->title && *t->title)
		ct_buf_addf(out, "%s\n", t->title);
	for (size_t c = 0; c < n; c++) {
		cell(out, t->cols.v[c], w[c], (t->numeric >> c) & 1, c + 1 == n);
		if (c + 1 < n)
			ct_buf_addstr(out, "  ");
	}
	ct_buf_addch(out, '\n');
	for (size_t c = 0; c < n; c++) {
		for (size_t i = 0; i < w[c]; i++)
			ct_buf_addstr(out, "─");
		if (c + 1 < n)
			ct_buf_addstr(out, "  ");
	}
	ct_buf_addch(out, '\n');
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < n; c++) {
			cell(out, t->rows[r].v[c], w[c], (t->numeric >> c) & 1, c + 1 == n);
			if (c + 1 < n)
				ct_buf_addstr(out, "  ");
		}
		ct_buf_addch(out, '\n');
	}
	if (!t->nrows)
		ct_buf_addstr(out, "(none)\n");
	ct_buf_addch(out, '\n');
	free(w);
}

static void emit_text(struct ct_buf *out, const struct ct_doc *d, int width)
{
	ct_buf_addf(out, "%s\n", d->title);
	for (size_t i = 0; i < ct_utf8_width(d->title, strlen(d->title)); i++)
		ct_buf_addch(out, '=');
	ct_buf_addstr(out, "\n\n");
	for (size_t i = 0; i < d->nblocks; i++) {
		const struct ct_doc_block *b = &d->blocks[i];
		switch (b->type) {
		case CT_BLOCK_HEADING:
			ct_buf_addf(out, "%s\n", b->text);
			for (size_t k = 0; k < ct_utf8_width(b->text, strlen(b->text)); k++)
				ct_buf_addstr(out, b->level == 1 ? "=" : "-");
			ct_buf_addstr(out, "\n\n");
			break;
		case CT_BLOCK_TEXT:
			ct_buf_addf(out, "%s\n\n", b->text);
			break;
		case CT_BLOCK_TABLE:
			emit_table_text(out, b->table, width);
			break;
		case CT_BLOCK_SVG:
			break;
		}
	}
}

/* ---- markdown ---- */

static void md_escape(struct ct_buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' || *s == '`' || *s == '<' || *s == '[')
			ct_buf_addch(out, '\\');
		ct_buf_addch(out, *s == '\n' || *s == '\r' ? ' ' : *s);
	}
}

static void emit_markdown(struct ct_buf *out, const struct ct_doc *d)
{
	ct_buf_addstr(out, "# ");
	md_escape(out, d->title);
	ct_buf_addstr(out, "\n\n");
	for (size_t i = 0; i < d->nblocks; i++) {
		const struct ct_doc_block *b = &d->blocks[i];
		switch (b->type) {
		case CT_BLOCK_HEADING:
			ct_buf_addstr(out, b->level == 1 ? "## " : "### ");
			md_escape(out, b->text);
			ct_buf_addstr(out, "\n\n");
			break;
		case CT_BLOCK_TEXT:
			md_escape(out, b->text);
			ct_buf_addstr(out, "\n\n");
			break;
		case CT_BLOCK_TABLE: {
			const struct ct_doc_table *t = b->table;
			if (t->title && *t->title) {
				ct_buf_addstr(out, "**");
				md_escape(out, t->title);
				ct_buf_addstr(out, "**\n\n");
			}
			if (!t->nrows) {
				ct_buf_addstr(out, "(none)\n\n");
				break;
			}
			ct_buf_addch(out, '|');
			for (size_t c = 0; c < t->cols.n; c++) {
				ct_buf_addch(out, ' ');
				md_escape(out, t->cols.v[c]);
				ct_buf_addstr(out, " |");
			}
			ct_buf_addstr(out, "\n|");
			for (size_t c = 0; c < t->cols.n; c++)
				ct_buf_addstr(out, (t->numeric >> c) & 1 ? " ---: |" : " --- |");
			ct_buf_addch(out, '\n');
			for (size_t r = 0; r < t->nrows; r++) {
				ct_buf_addch(out, '|');
				for (size_t c = 0; c < t->cols.n; c++) {
					ct_buf_addch(out, ' ');
					md_escape(out, t->rows[r].v[c]);
					ct_buf_addstr(out, " |");
				}
				ct_buf_addch(out, '\n');
			}
			ct_buf_addch(out, '\n');
			break;
		}
		case CT_BLOCK_SVG:
			break;
		}
	}
}

/* ---- HTML ---- */

static const char html_css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;margin:2em auto;"
	"max-width:1100px;padding:0 1em}h1{font-size:1.6em;border-bottom:2px solid #2f5d8a;padding-bottom:.3em}"
	"h2{font-size:1.25em;margin-top:2em;color:#2f5d8a}h3{font-size:1.05em}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}th,td{border-bottom:1px solid #dde2ea;"
	"padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f1f4f8}td.n,th.n{text-align:right;"
	"font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:.3em 0}"
	"p{white-space:pre-wrap}.chart{margin:1em 0}footer{color:#6b7280;font-size:.85em;margin-top:3em}";

static void emit_html(struct ct_buf *out, const struct ct_doc *d)
{
	ct_buf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
	ct_html_escape(out, d->title);
	ct_buf_addf(out, "</title>\n<style>%s</style></head>\n<body>\n<h1>", html_css);
	ct_html_escape(out, d->title);
	ct_buf_addstr(out, "</h1>\n");
	for (size_t i = 0; i < d->nblocks; i++) {
		const struct ct_doc_block *b = &d->blocks[i];
		switch (b->type) {
		case CT_BLOCK_HEADING:
			ct_buf_addstr(out, b->level == 1 ? "<h2>" : "<h3>");
			ct_html_escape(out, b->text);
			ct_buf_addstr(out, b->level == 1 ? "</h2>\n" : "</h3>\n");
			break;
		case CT_BLOCK_TEXT:
			ct_buf_addstr(out, "<p>");
			ct_html_escape(out, b->text);
			ct_buf_addstr(out, "</p>\n");
			break;
		case CT_BLOCK_TABLE: {
			const struct ct_doc_table *t = b->table;
			ct_buf_addstr(out, "<table>");
			if (t->title && *t->title) {
				ct_buf_addstr(out, "<caption>");
				ct_html_escape(out, t->title);
				ct_buf_addstr(out, "</caption>");
			}
			ct_buf_addstr(out, "\n<tr>");
			for (size_t c = 0; c < t->cols.n; c++) {
				ct_buf_addstr(out, (t->numeric >> c) & 1 ? "<th class=\"n\">" : "<th>");
				ct_html_escape(out, t->cols.v[c]);
				ct_buf_addstr(out, "</th>");
			}
			ct_buf_addstr(out, "</tr>\n");
			for (size_t r = 0; r < t->nrows; r++) {
				ct_buf_addstr(out, "<tr>");
				for (size_t c = 0; c < t->cols.n; c++) {
					ct_buf_addstr(out, (t->numeric >> c) & 1 ? "<td class=\"n\">" : "<td>");
					ct_html_escape(out, t->rows[r].v[c]);
					ct_buf_addstr(out, "</td>");
				}
				ct_buf_addstr(out, "</tr>\n");
			}
			if (!t->nrows)
				ct_buf_addf(out, "<tr><td colspan=\"%zu\">(none)</td></tr>\n", t->cols.n);
			ct_buf_addstr(out, "</table>\n");
			break;
		}
		case CT_BLOCK_SVG:
			ct_buf_addstr(out, "<div class=\"chart\">");
			ct_buf_addstr(out, b->text);
			ct_buf_addstr(out, "</div>\n");
			break;
		}
	}
	ct_buf_addstr(out, "<footer>casetrail</footer>\n</body></html>\n");
}

/* ---- CSV ---- */

static void emit_csv(struct ct_buf *out, const struct ct_doc *d)
{
	const struct ct_doc_table *t = d->csv;
	if (!t)
		return;
	for (size_t c = 0; c < t->cols.n; c++) {
		if (c)
			ct_buf_addch(out, ',');
		ct_csv_field(out, t->cols.v[c]);
	}
	ct_buf_addstr(out, "\r\n");
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->cols.n; c++) {
			if (c)
				ct_buf_addch(out, ',');
			ct_csv_field(out, t->rows[r].v[c]);
		}
		ct_buf_addstr(out, "\r\n");
	}
}

int ct_doc_emit(const struct ct_doc *d, enum ct_format fmt, FILE *out, int width)
{
	struct ct_buf b = CT_BUF_INIT;
	switch (fmt) {
	case CT_FMT_TABLE: emit_text(&b, d, width); break;
	case CT_FMT_CSV: emit_csv(&b, d); break;
	case CT_FMT_MARKDOWN: emit_markdown(&b, d); break;
	case CT_FMT_HTML: emit_html(&b, d); break;
	case CT_FMT_JSON: ct_bug("JSON is not a document format");
	}
	size_t n = fwrite(b.buf, 1, b.len, out);
	int ok = n == b.len;
	ct_buf_release(&b);
	return ok ? 0 : ct_error("cannot write the report");
}

int ct_term_width(FILE *out)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	if (cols && atoi(cols) >= 40)
		return atoi(cols);
	if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 100;
}

void ct_format_duration(ct_time s, char out[32])
{
	if (s < 0)
		s = 0;
	long d = (long)(s / 86400), h = (long)(s % 86400 / 3600), m = (long)(s % 3600 / 60);
	if (d)
		snprintf(out, 32, "%ldd %ldh", d, h);
	else if (h)
		snprintf(out, 32, "%ldh %ldm", h, m);
	else
		snprintf(out, 32, "%ldm", m);
}
