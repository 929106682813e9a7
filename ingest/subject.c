/*
 * subject.c - the normalised subject that threads replies whose References
 * are missing or broken: reply/forward prefixes in the languages mail
 * clients use, list and ticket tags, spacing and case folded away. The one
 * list of reply prefixes: the store asks ct_subject_is_reply() too.
 */
#include "mime_p.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reply and forward prefixes (before ':'), longest first where one starts another. */
static const char *const prefixes[] = {
	"antw", "doorst", "fwd", "fw", "re", "aw", "wg", "sv", "tr", "rif", "vs", "ref", "enc", "r",
};

static int is_blank(const char *p)
{
	return *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
}

/* Length of a reply prefix at s ("Re:", "RE[2]:", "Fwd (3) :", full-width colon), or 0. */
static size_t prefix_len(const char *s)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncasecmp(s, prefixes[i], n))
			continue;
		const char *p = s + n;
		while ((*p == ' ' || *p == '\t') && (p[1] == '[' || p[1] == '('))
			p++;
		if (*p == '[' || *p == '(') {
			char close = *p == '[' ? ']' : ')';
			const char *d = p + 1;
			while (isdigit((unsigned char)*d))
				d++;
			if (d == p + 1 || *d != close)
				continue;
			p = d + 1;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ':')
			return (size_t)(p + 1 - s);
		if (!strncmp(p, "\xEF\xBC\x9A", 3)) /* U+FF1A, used by CJK mail clients */
			return (size_t)(p + 3 - s);
	}
	return 0;
}

/* Simple lower-case mapping for the scripts mail subjects mostly use. */
static uint32_t lower_cp(uint32_t c)
{
	if (c < 0x80)
		return (uint32_t)tolower((int)c);
	if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177) || (c >= 0x460 && c <= 0x4BF))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c & 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xFF;
	return c;
}

/* Appends s folded: runs of blanks become one, lower case. */
static void add_folded(struct ct_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	int sp = 0;
	while (p < e) {
		if (is_blank((const char *)p)) {
			sp = 1;
			p++;
			continue;
		}
		if (sp && b->len)
			ct_buf_addch(b, ' ');
		sp = 0;
		if (*p < 0x80) {
			ct_buf_addch(b, tolower(*p++));
			continue;
		}
		uint32_t c;
		size_t n = ct_utf8_decode(p, (size_t)(e - p), &c);
		if (n == 1) { /* not UTF-8: keep the byte, the subject came decoded */
			ct_buf_addch(b, *p++);
			continue;
		}
		uint32_t l = n <= 3 ? lower_cp(c) : c; /* no case mapping above the BMP here */
		if (l == c)
			ct_buf_add(b, p, n);
		else
			ct_utf8_put(b, l);
		p += n;
	}
}

int ct_subject_is_reply(const char *s)
{
	if (!s)
		return 0;
	for (;;) {
		while (is_blank(s))
			s++;
		if (prefix_len(s) || (*s == '[' && prefix_len(s + 1)))
			return 1;
		const char *close = *s == '[' ? strchr(s, ']') : NULL;
		if (!close || close - s >= 80)
			return 0;
		s = close + 1;
	}
}

char *ct_subject_normalize(const char *subject)
{
	struct ct_buf b = CT_BUF_INIT;
	const char *s = subject ? subject : "";
	const char *e;
	int wrapped = 0;

	/* leading prefixes and tags, in any order and number: "Re: [list] AW: Fwd[2]: ..." */
	for (;;) {
		while (is_blank(s))
			s++;
		size_t n = prefix_len(s);
		if (n) {
			s += n;
			continue;
		}
		if (*s == '[' && prefix_len(s + 1)) {
			/* old clients forward as "[Fwd: subject]" */
			s += 1 + prefix_len(s + 1);
			wrapped++;
			continue;
		}
		if (*s == '[') {
			const char *close = strchr(s, ']');
			if (close && close - s < 80) {
				s = close + 1;
				continue;
			}
		}
		break;
	}
	/* trailing tags: "... [#4521]", "... [casetrail.test #12]", "... (fwd)" */
	e = s + strlen(s);
	for (;;) {
		while (e > s && is_blank(e - 1))
			e--;
		if (wrapped && e > s && e[-1] == ']' && !memchr(s, '[', (size_t)(e - s))) {
			e--;
			wrapped--;
			continue;
		}
		if (e > s && e[-1] == ']') {
			const char *o = e - 1;
			while (o > s && *o != '[')
				o--;
			if (*o == '[' && e - o < 80) {
				e = o;
				continue;
			}
		}
		if (e - s >= 5 && !strncasecmp(e - 5, "(fwd)", 5)) {
			e -= 5;
			continue;
		}
		break;
	}
	add_folded(&b, s, (size_t)(e - s));
	return ct_buf_detach(&b, NULL);
}
