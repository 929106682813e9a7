/*
 * html.c - readable text from HTML mail bodies, for mails that carry no
 * text/plain part. Not a full HTML parser: a tag scanner that knows which
 * elements break lines, which hide their content, and how entities read.
 */
#include "mime_p.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	unsigned short cp;
} entities[] = {
	{ "amp", '&' },      { "lt", '<' },       { "gt", '>' },       { "quot", '"' },
	{ "apos", '\'' },    { "nbsp", ' ' },     { "ensp", ' ' },     { "emsp", ' ' },
	{ "thinsp", ' ' },   { "shy", 0 },        { "zwnj", 0 },       { "zwj", 0 },
	{ "iexcl", 0xA1 },   { "cent", 0xA2 },    { "pound", 0xA3 },   { "curren", 0xA4 },
	{ "yen", 0xA5 },     { "brvbar", 0xA6 },  { "sect", 0xA7 },    { "uml", 0xA8 },
	{ "copy", 0xA9 },    { "ordf", 0xAA },    { "laquo", 0xAB },   { "not", 0xAC },
	{ "reg", 0xAE },     { "macr", 0xAF },    { "deg", 0xB0 },     { "plusmn", 0xB1 },
	{ "sup2", 0xB2 },    { "sup3", 0xB3 },    { "acute", 0xB4 },   { "micro", 0xB5 },
	{ "para", 0xB6 },    { "middot", 0xB7 },  { "cedil", 0xB8 },   { "sup1", 0xB9 },
	{ "ordm", 0xBA },    { "raquo", 0xBB },   { "frac14", 0xBC },  { "frac12", 0xBD },
	{ "frac34", 0xBE },  { "iquest", 0xBF },  { "Agrave", 0xC0 },  { "Aacute", 0xC1 },
	{ "Acirc", 0xC2 },   { "Atilde", 0xC3 },  { "Auml", 0xC4 },    { "Aring", 0xC5 },
	{ "AElig", 0xC6 },   { "Ccedil", 0xC7 },  { "Egrave", 0xC8 },  { "Eacute", 0xC9 },
	{ "Ecirc", 0xCA },   { "Euml", 0xCB },    { "Igrave", 0xCC },  { "Iacute", 0xCD },
	{ "Icirc", 0xCE },   { "Iuml", 0xCF },    { "ETH", 0xD0 },     { "Ntilde", 0xD1 },
	{ "Ograve", 0xD2 },  { "Oacute", 0xD3 },  { "Ocirc", 0xD4 },   { "Otilde", 0xD5 },
	{ "Ouml", 0xD6 },    { "times", 0xD7 },   { "Oslash", 0xD8 },  { "Ugrave", 0xD9 },
	{ "Uacute", 0xDA },  { "Ucirc", 0xDB },   { "Uuml", 0xDC },    { "Yacute", 0xDD },
	{ "THORN", 0xDE },   { "szlig", 0xDF },   { "agrave", 0xE0 },  { "aacute", 0xE1 },
	{ "acirc", 0xE2 },   { "atilde", 0xE3 },  { "auml", 0xE4 },    { "aring", 0xE5 },
	{ "aelig", 0xE6 },   { "ccedil", 0xE7 },  { "egrave", 0xE8 },  { "eacute", 0xE9 },
	{ "ecirc", 0xEA },   { "euml", 0xEB },    { "igrave", 0xEC },  { "iacute", 0xED },
	{ "icirc", 0xEE },   { "iuml", 0xEF },    { "eth", 0xF0 },     { "ntilde", 0xF1 },
	{ "ograve", 0xF2 },  { "oacute", 0xF3 },  { "ocirc", 0xF4 },   { "otilde", 0xF5 },
	{ "ouml", 0xF6 },    { "divide", 0xF7 },  { "oslash", 0xF8 },  { "ugrave", 0xF9 },
	{ "uacute", 0xFA },  { "ucirc", 0xFB },   { "uuml", 0xFC },    { "yacute", 0xFD },
	{ "thorn", 0xFE },   { "yuml", 0xFF },    { "OElig", 0x152 },  { "oelig", 0x153 },
	{ "Scaron", 0x160 }, { "scaron", 0x161 }, { "Yuml", 0x178 },   { "fnof", 0x192 },
	{ "circ", 0x2C6 },   { "tilde", 0x2DC },  { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201A }, { "ldquo", 0x201C },
	{ "rdquo", 0x201D }, { "bdquo", 0x201E }, { "dagger", 0x2020 }, { "Dagger", 0x2021 },
	{ "bull", 0x2022 },  { "hellip", 0x2026 }, { "permil", 0x2030 }, { "lsaquo", 0x2039 },
	{ "rsaquo", 0x203A }, { "euro", 0x20AC }, { "trade", 0x2122 }, { "larr", 0x2190 },
	{ "rarr", 0x2192 },  { "minus", 0x2212 },
};

static const unsigned short cp1252_c1[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178 };

/*
 * Decodes the entity at *pp ('&'); on success moves *pp past it. Unknown
 * or malformed entities stay as the literal '&'.
 */
static void add_entity(struct ct_buf *out, const char **pp, const char *e)
{
	const char *p = *pp + 1;
	size_t avail = (size_t)(e - p) < 12 ? (size_t)(e - p) : 12;
	const char *semi = memchr(p, ';', avail);

	*pp += 1;
	if (!semi) {
		ct_buf_addch(out, '&');
		return;
	}
	if (*p == '#') {
		unsigned long cp = 0;
		const char *d = p + 1;
		int hex = *d == 'x' || *d == 'X';
		if (hex)
			d++;
		if (d == semi) {
			ct_buf_addch(out, '&');
			return;
		}
		for (; d < semi; d++) {
			int v = isdigit((unsigned char)*d) ? *d - '0' :
				hex && isxdigit((unsigned char)*d) ? tolower((unsigned char)*d) - 'a' + 10 : -1;
			if (v < 0) {
				ct_buf_addch(out, '&');
				return;
			}
			if (cp < 0x110000)
				cp = cp * (hex ? 16 : 10) + (unsigned long)v;
		}
		if (cp == 0)
			cp = 0xFFFD;
		else if (cp >= 0x80 && cp < 0xA0) /* pages written in cp1252 mean &#150; as a dash */
			cp = cp1252_c1[cp - 0x80];
		if (cp == 0xA0)
			cp = ' ';
		if (cp < 0x20 && cp != '\n' && cp != '\t')
			cp = ' ';
		ct_utf8_put(out, (uint32_t)cp);
		*pp = semi + 1;
		return;
	}
	for (size_t i = 0; i < CT_ARRAY_SIZE(entities); i++)
		if ((size_t)(semi - p) == strlen(entities[i].name) &&
		    !strncmp(p, entities[i].name, (size_t)(semi - p))) {
			if (entities[i].cp)
				ct_utf8_put(out, entities[i].cp);
			*pp = semi + 1;
			return;
		}
	ct_buf_addch(out, '&');
}

static int tag_is(const char *tag, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tag, names[i]))
			return 1;
	return 0;
}

/*
 * End of the tag starting at p ('<'): the '>' outside quoted attribute
 * values, or NULL. A quote not closed before a '>' that ends a line or
 * the input, or never closed at all, ends at the first '>' after it: one
 * stray quote must not eat the rest of the mail.
 */
static const char *tag_end(const char *p, const char *e)
{
	char quote = 0, last = 0;
	const char *quoted_gt = NULL;  /* the first '>' inside the open quote */
	for (p++; p < e; p++) {
		if (quote) {
			if (*p == quote) {
				quote = 0;
				quoted_gt = NULL;
			} else if (*p == '>') {
				if (!quoted_gt)
					quoted_gt = p;
				if (p + 1 == e || p[1] == '\n' || p[1] == '\r')
					return quoted_gt;
			}
		} else if ((*p == '"' || *p == '\'') && last == '=') {
			/* only a value opens a quote: a stray apostrophe must not eat the page */
			quote = *p;
		} else if (*p == '>') {
			return p;
		}
		if (*p != ' ' && *p != '\t' && *p != '\n')
			last = *p;
	}
	return quoted_gt;
}

/*
 * Skips to just past the closing tag </name...>. Without one nothing is
 * skipped: a <head> never closed must not swallow the whole mail.
 * *unclosed_from: where a scan for this name last found none (NULL at
 * first); from there on none is looked for again, so many unclosed
 * elements cost one scan, not one each.
 */
static const char *skip_element(const char *p, const char *e, const char *name, const char **unclosed_from)
{
	size_t n = strlen(name);
	if (*unclosed_from && p >= *unclosed_from)
		return p;
	for (const char *q = p; q + n + 2 <= e; q++)
		if (q[0] == '<' && q[1] == '/' && !strncasecmp(q + 2, name, n)) {
			const char *gt = memchr(q, '>', (size_t)(e - q));
			return gt ? gt + 1 : e;
		}
	*unclosed_from = p;
	return p;
}

static void add_newlines(struct ct_buf *out, int want)
{
	int have = 0;
	for (size_t i = out->len; i > 0 && have < want; i--) {
		char c = out->buf[i - 1];
		if (c == '\n')
			have++;
		else if (c != ' ')
			break;
	}
	if (!out->len)
		return;
	for (; have < want; have++)
		ct_buf_addch(out, '\n');
}

char *ct_html_to_text(const char *s, size_t len)
{
	static const char *const hidden[] = { "script", "style", "head", "title", "template", "noscript" };
	static const char *const blocks[] = { "p", "div", "table", "tr", "ul", "ol", "blockquote",
					      "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre",
					      "section", "article", "header", "footer", "address",
					      "dl", "dt", "dd", "center", "form", "fieldset", "body" };
	static const char *const paragraphs[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "table",
						  "blockquote", "ul", "ol", "pre" };
	struct ct_buf out = CT_BUF_INIT;
	const char *p = s, *e = s + len;
	int space = 1, pre = 0;
	int olcount[8], depth = 0; /* list nesting: -1 for <ul>, else the next <ol> number */
	const char *unclosed_from[CT_ARRAY_SIZE(hidden)] = { NULL };

	ct_buf_grow(&out, len / 2 + 16);
	while (p < e) {
		if (*p == '<' && p + 1 < e && p[1] == '!') {
			/* comments (also Outlook's conditional ones) and doctype */
			if (e - p >= 4 && !strncmp(p, "<!--", 4)) {
				const char *end = memmem(p + 4, (size_t)(e - p - 4), "-->", 3);
				p = end ? end + 3 : e;
			} else {
				const char *gt = memchr(p, '>', (size_t)(e - p));
				p = gt ? gt + 1 : e;
			}
			continue;
		}
		if (*p == '<' && p + 1 < e && (isalpha((unsigned char)p[1]) || p[1] == '/')) {
			const char *gt = tag_end(p, e);
			if (!gt) {
				p = e; /* a tag cut off at the end */
				continue;
			}
			char tag[16];
			size_t k = 0;
			const char *t = p + 1;
			int closing = *t == '/';
			if (closing)
				t++;
			while (t < gt && k < sizeof(tag) - 1 && isalnum((unsigned char)*t))
				tag[k++] = (char)tolower((unsigned char)*t++);
			tag[k] = '\0';
			p = gt + 1;
			if (!closing && tag_is(tag, hidden, CT_ARRAY_SIZE(hidden))) {
				size_t h = 0;
				while (strcmp(tag, hidden[h]))
					h++;
				if (gt[-1] != '/')
					p = skip_element(p, e, tag, &unclosed_from[h]);
				continue;
			}
			if (!strcmp(tag, "br")) {
				ct_buf_addch(&out, '\n');
				space = 1;
			} else if (!strcmp(tag, "li")) {
				add_newlines(&out, 1);
				if (!closing) {
					if (depth > 0 && depth <= 8 && olcount[depth - 1] > 0)
						ct_buf_addf(&out, "%d. ", olcount[depth - 1]++);
					else
						ct_buf_addstr(&out, "- ");
				}
				space = 1;
			} else if (tag_is(tag, blocks, CT_ARRAY_SIZE(blocks))) {
				int para = tag_is(tag, paragraphs, CT_ARRAY_SIZE(paragraphs));
				add_newlines(&out, para ? 2 : 1);
				space = 1;
				if (!strcmp(tag, "pre"))
					pre = !closing;
				if (!strcmp(tag, "ul") || !strcmp(tag, "ol")) {
					if (!closing) {
						if (depth < 8)
							olcount[depth] = tag[0] == 'o' ? 1 : -1;
						depth++;
					} else if (depth > 0) {
						depth--;
					}
				}
			} else if (!strcmp(tag, "td") || !strcmp(tag, "th")) {
				if (closing) {
					ct_buf_addch(&out, ' ');
					space = 1;
				}
			}
			continue;
		}
		if (*p == '\r' && pre) {
			p++;
			continue;
		}
		if (*p == '&') {
			size_t before = out.len;
			add_entity(&out, &p, e);
			if (out.len == before + 1 && out.buf[before] == ' ' && space && !pre)
				ct_buf_setlen(&out, before); /* &nbsp; folds like a blank */
			space = out.len && (out.buf[out.len - 1] == ' ' || out.buf[out.len - 1] == '\n');
			continue;
		}
		if (!pre && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')) {
			if (!space && out.len && out.buf[out.len - 1] != '\n')
				ct_buf_addch(&out, ' ');
			space = 1;
			p++;
			continue;
		}
		const char *q = p + 1;
		while (q < e && *q != '<' && *q != '&' && *q != '\r' &&
		       (pre || (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\f')))
			q++;
		ct_buf_add(&out, p, (size_t)(q - p));
		p = q;
		space = 0;
	}

	/* tidy: no blanks at line ends, at most one empty line in a row */
	struct ct_buf tidy = CT_BUF_INIT;
	int nl = 0;
	const char *q = out.buf, *qe = out.buf + out.len;
	ct_buf_grow(&tidy, out.len);
	while (q < qe) {
		const char *le = memchr(q, '\n', (size_t)(qe - q));
		if (!le)
			le = qe;
		const char *a = q, *b = le;
		while (a < b && *a == ' ')
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
			b--;
		if (a == b) {
			nl++;
		} else {
			if (tidy.len)
				ct_buf_addstr(&tidy, nl > 1 ? "\n\n" : "\n");
			ct_buf_add(&tidy, q, (size_t)(b - q));
			nl = 1;
		}
		q = le + 1;
	}
	ct_buf_release(&out);
	if (tidy.len)
		ct_buf_addch(&tidy, '\n');
	return ct_buf_detach(&tidy, NULL);
}
