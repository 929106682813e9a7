/*
 * charset.c - text in any declared charset to UTF-8, and RFC 2047 header
 * decoding. UTF-8 and US-ASCII that are already valid are copied as they are
 * and windows-1252 / latin1 are mapped by table, so iconv only runs for the
 * other charsets; its descriptors are opened once per charset and thread,
 * because opening one costs more than decoding a whole small message.
 */
#include "mime_p.h"

#include <libetpan/charconv.h>

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CS_NAME_MAX 40
#define CS_SLOTS 16

struct cs_slot {
	char name[CS_NAME_MAX]; /* "" when the slot is free */
	iconv_t cd;             /* (iconv_t)-1: iconv does not know the charset */
};

struct cs_cache {
	struct cs_slot slot[CS_SLOTS];
	unsigned next;
};

/*
 * An iconv descriptor keeps conversion state, so threads must not share one:
 * each thread has its own cache, closed by the key's destructor when the
 * thread ends.
 */
static pthread_key_t cs_key;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;
static __thread struct cs_cache *cs_tls;

static void cs_cache_free(void *p)
{
	struct cs_cache *c = p;
	for (size_t i = 0; i < CS_SLOTS; i++)
		if (c->slot[i].name[0] && c->slot[i].cd != (iconv_t)-1)
			iconv_close(c->slot[i].cd);
	free(c);
}

static void cs_key_init(void)
{
	if (pthread_key_create(&cs_key, cs_cache_free))
		ct_die("pthread_key_create failed");
}

static struct cs_cache *cs_cache_get(void)
{
	if (!cs_tls) {
		pthread_once(&cs_once, cs_key_init);
		cs_tls = ct_calloc(1, sizeof(*cs_tls));
		pthread_setspecific(cs_key, cs_tls);
	}
	return cs_tls;
}

/* The descriptor for name (already normalised), or (iconv_t)-1 when unknown. */
static iconv_t cs_open(const char *name)
{
	struct cs_cache *c = cs_cache_get();
	for (size_t i = 0; i < CS_SLOTS; i++)
		if (!strcmp(c->slot[i].name, name))
			return c->slot[i].cd;
	struct cs_slot *s = &c->slot[c->next++ % CS_SLOTS];
	if (s->name[0] && s->cd != (iconv_t)-1)
		iconv_close(s->cd);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->cd = iconv_open("UTF-8", name);
	return s->cd;
}

enum cs_kind { CS_UNDECLARED, CS_UTF8, CS_ASCII, CS_CP1252, CS_ICONV };

/* Names mail clients use that iconv spells differently, or that we map by table. */
static const struct {
	const char *name;
	enum cs_kind kind;
	const char *iconv_name;
} cs_aliases[] = {
	{ "utf-8", CS_UTF8, NULL },         { "utf8", CS_UTF8, NULL },
	{ "x-utf8", CS_UTF8, NULL },        { "unicode-1-1-utf-8", CS_UTF8, NULL },
	{ "us-ascii", CS_ASCII, NULL },     { "ascii", CS_ASCII, NULL },
	{ "ansi_x3.4-1968", CS_ASCII, NULL }, { "iso646-us", CS_ASCII, NULL },
	{ "windows-1252", CS_CP1252, NULL }, { "cp1252", CS_CP1252, NULL },
	{ "x-cp1252", CS_CP1252, NULL },    { "cp-1252", CS_CP1252, NULL },
	{ "windows1252", CS_CP1252, NULL }, { "iso-8859-1", CS_CP1252, NULL },
	{ "iso8859-1", CS_CP1252, NULL },   { "iso_8859-1", CS_CP1252, NULL },
	{ "iso-8859-1:1987", CS_CP1252, NULL }, { "latin1", CS_CP1252, NULL },
	{ "latin-1", CS_CP1252, NULL },     { "l1", CS_CP1252, NULL },
	{ "ks_c_5601-1987", CS_ICONV, "CP949" }, { "ks_c_5601", CS_ICONV, "CP949" },
	{ "gb2312", CS_ICONV, "GB18030" },  { "gbk", CS_ICONV, "GB18030" },
	{ "x-gbk", CS_ICONV, "GB18030" },   { "iso-8859-8-i", CS_ICONV, "ISO-8859-8" },
	{ "x-mac-roman", CS_ICONV, "MACINTOSH" }, { "x-sjis", CS_ICONV, "SHIFT_JIS" },
	{ "shift-jis", CS_ICONV, "SHIFT_JIS" }, { "x-euc-jp", CS_ICONV, "EUC-JP" },
};

/* Lower-cases charset into name, dropping quotes, blanks and an RFC 2231 "*language". */
static enum cs_kind cs_classify(const char *charset, char name[CS_NAME_MAX], const char **iconv_name)
{
	size_t n = 0;
	*iconv_name = name;
	name[0] = '\0';
	if (!charset)
		return CS_UNDECLARED;
	/* the two names nearly every part and header word has */
	if (!strcasecmp(charset, "utf-8") || !strcasecmp(charset, "us-ascii")) {
		for (n = 0; charset[n]; n++)
			name[n] = (char)tolower((unsigned char)charset[n]);
		name[n] = '\0';
		return name[0] == 'u' && name[1] == 't' ? CS_UTF8 : CS_ASCII;
	}
	for (const char *p = charset; *p && *p != '*' && n < CS_NAME_MAX - 1; p++) {
		if (*p == '"' || *p == '\'' || isspace((unsigned char)*p))
			continue;
		name[n++] = (char)tolower((unsigned char)*p);
	}
	name[n] = '\0';
	if (!n)
		return CS_UNDECLARED;
	for (size_t i = 0; i < CT_ARRAY_SIZE(cs_aliases); i++)
		if (!strcmp(name, cs_aliases[i].name)) {
			if (cs_aliases[i].iconv_name)
				*iconv_name = cs_aliases[i].iconv_name;
			return cs_aliases[i].kind;
		}
	return CS_ICONV;
}

/* Appends UTF-8 text, each invalid byte as U+FFFD and NUL as a blank. Returns the replacements. */
static size_t add_utf8_clean(struct ct_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t bad = 0;
	while (p < e) {
		const unsigned char *q = p;
		while (q < e && *q >= 0x01 && *q < 0x80)
			q++;
		if (q > p) {
			ct_buf_add(out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (*p == 0) {
			ct_buf_addch(out, ' ');
			p++;
			continue;
		}
		size_t n = ct_utf8_seqlen(p, (size_t)(e - p));
		if (n == 1) {
			ct_buf_add(out, "\xEF\xBF\xBD", 3);
			bad++;
		} else {
			ct_buf_add(out, p, n);
		}
		p += n;
	}
	return bad;
}

/*
 * windows-1252 by table. Latin1 is read the same way, as browsers do: its
 * 0x80-0x9F are control codes nobody means, while cp1252 text mislabelled as
 * latin1 (smart quotes, the euro sign) is everywhere.
 */
static void add_cp1252(struct ct_buf *out, const char *s, size_t len)
{
	static const unsigned short hi[32] = {
		0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
		0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
		0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178 };
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	ct_buf_grow(out, len + len / 2);
	while (p < e) {
		const unsigned char *q = p;
		while (q < e && *q >= 0x01 && *q < 0x80)
			q++;
		if (q > p) {
			ct_buf_add(out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		unsigned c = *p++;
		if (c == 0)
			ct_buf_addch(out, ' ');
		else
			ct_utf8_put(out, c < 0xA0 ? hi[c - 0x80] : c);
	}
}

/* Converts with iconv; every byte iconv refuses becomes U+FFFD. Returns the replacements. */
static size_t add_iconv(struct ct_buf *out, iconv_t cd, const char *s, size_t len)
{
	char *in = (char *)s;
	size_t inleft = len, bad = 0, start = out->len;
	iconv(cd, NULL, NULL, NULL, NULL);
	while (inleft) {
		ct_buf_grow(out, inleft * 3 + 16);
		char *o = out->buf + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->buf);
		out->buf[out->len] = '\0';
		if (r == (size_t)-1 && errno != E2BIG) {
			/* EILSEQ, or EINVAL for a sequence cut at the end */
			ct_buf_add(out, "\xEF\xBF\xBD", 3);
			in++;
			inleft--;
			bad++;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	/* flush the shift state of stateful charsets (ISO-2022-JP) */
	ct_buf_grow(out, 16);
	char *o = out->buf + out->len;
	size_t oleft = out->alloc - out->len - 1;
	iconv(cd, NULL, NULL, &o, &oleft);
	out->len = (size_t)(o - out->buf);
	out->buf[out->len] = '\0';
	/*
	 * UTF-16 and friends can carry NULs too, and glibc writes code points
	 * past U+10FFFF (UCS-4 input; UTF-8 under a name the table above does
	 * not know, such as "utf-8;", goes through unchecked): repair both.
	 */
	size_t n = out->len - start;
	if (memchr(out->buf + start, 0, n) || !ct_utf8_valid(out->buf + start, n)) {
		char *conv = ct_malloc(n + 1);
		memcpy(conv, out->buf + start, n);
		out->len = start;
		out->buf[start] = '\0';
		bad += add_utf8_clean(out, conv, n);
		free(conv);
	}
	return bad;
}

size_t ct_mime_add_utf8(struct ct_buf *out, const char *s, size_t len)
{
	return add_utf8_clean(out, s, len);
}

void ct_mime_add_text(struct ct_buf *out, const char *s, size_t len, const char *charset,
		      struct ct_item *it)
{
	char name[CS_NAME_MAX];
	const char *iname;
	enum cs_kind kind = cs_classify(charset, name, &iname);
	size_t bad;

	if (!len)
		return;
	switch (kind) {
	case CS_UNDECLARED:
	case CS_ASCII:
	case CS_UTF8:
		/* the common case: nothing to convert */
		if (ct_utf8_valid(s, len) && !memchr(s, 0, len)) {
			ct_buf_add(out, s, len);
			return;
		}
		if (kind == CS_UTF8) {
			bad = add_utf8_clean(out, s, len);
			if (bad)
				ct_mime_warn(it, "%zu invalid UTF-8 byte%s replaced", bad, bad == 1 ? "" : "s");
			return;
		}
		/* 8-bit text declared as ASCII or not at all: UTF-8 when valid, else windows-1252 */
		if (ct_utf8_valid(s, len))
			add_utf8_clean(out, s, len);
		else
			add_cp1252(out, s, len);
		return;
	case CS_CP1252:
		add_cp1252(out, s, len);
		return;
	case CS_ICONV:
		break;
	}
	iconv_t cd = cs_open(iname);
	if (cd == (iconv_t)-1) {
		ct_mime_warn(it, "unknown charset '%s', read as windows-1252", name);
		add_cp1252(out, s, len);
		return;
	}
	bad = add_iconv(out, cd, s, len);
	if (bad)
		ct_mime_warn(it, "%zu byte%s not valid in charset '%s' replaced", bad, bad == 1 ? "" : "s",
			     name);
}

/*
 * libetpan's own conversions (it decodes encoded words in every Content-Type
 * value to UTF-8) go through the converters above instead of an iconv_open
 * and iconv_close per call, which cost more than the rest of the part.
 */
static int etpan_charconv(const char *tocode, const char *fromcode, const char *str, size_t length,
			  char *result, size_t *result_len)
{
	if (strcasecmp(tocode, "utf-8") && strcasecmp(tocode, "utf8"))
		return MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET;
	char name[CS_NAME_MAX];
	const char *iname;
	enum cs_kind kind = cs_classify(fromcode, name, &iname);
	if ((kind == CS_ASCII || kind == CS_UTF8 || kind == CS_UNDECLARED) && length <= *result_len &&
	    ct_utf8_valid(str, length) && !memchr(str, 0, length)) {
		memcpy(result, str, length);  /* nothing to convert */
		*result_len = length;
		return MAIL_CHARCONV_NO_ERROR;
	}
	struct ct_buf b = CT_BUF_INIT;
	ct_mime_add_text(&b, str, length, fromcode, NULL);
	int rc = MAIL_CHARCONV_ERROR_CONV;
	if (b.len <= *result_len) {
		memcpy(result, b.buf ? b.buf : "", b.len);
		*result_len = b.len;
		rc = MAIL_CHARCONV_NO_ERROR;
	}
	ct_buf_release(&b);
	return rc;
}

static void etpan_charconv_install(void)
{
	extended_charconv = etpan_charconv;
}

void ct_mime_charconv_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, etpan_charconv_install);
}

#define MAX_WARNINGS 32

void ct_mime_warn(struct ct_item *it, const char *fmt, ...)
{
	struct ct_buf b = CT_BUF_INIT;
	va_list ap;
	if (!it || it->warnings.n > MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	ct_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (it->warnings.n == MAX_WARNINGS)
		ct_strlist_push(&it->warnings, "further warnings left out");
	else if (!ct_strlist_has(&it->warnings, b.buf))
		ct_strlist_push(&it->warnings, b.buf);
	ct_buf_release(&b);
}

/* ---- RFC 2047 ---- */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int ct_mime_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Lenient B: skips what is not base64, stops at padding. */
static void decode_b(struct ct_buf *out, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ct_buf_addch(out, (int)((acc >> bits) & 0xFF));
		}
	}
}

static void decode_q(struct ct_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int h1, h2;
		if (s[i] == '_')
			ct_buf_addch(out, ' ');
		else if (s[i] == '=' && i + 2 < n &&
			 (h1 = ct_mime_hexval((unsigned char)s[i + 1])) >= 0 &&
			 (h2 = ct_mime_hexval((unsigned char)s[i + 2])) >= 0) {
			ct_buf_addch(out, h1 * 16 + h2);
			i += 2;
		} else
			ct_buf_addch(out, s[i]);
	}
}

struct eword {
	char charset[CS_NAME_MAX];
	int enc;              /* 'b' or 'q' */
	const char *text;
	size_t len;
	const char *next;     /* just past "?=" */
};

/* Reads "=?charset?X?text?=" at p. Returns 1 and fills w, or 0. */
static int read_eword(const char *p, struct eword *w)
{
	if (p[0] != '=' || p[1] != '?')
		return 0;
	const char *cs = p + 2, *q = cs;
	while (*q && *q != '?' && !isspace((unsigned char)*q))
		q++;
	if (*q != '?' || q == cs || (size_t)(q - cs) >= CS_NAME_MAX)
		return 0;
	int enc = tolower((unsigned char)q[1]);
	if ((enc != 'b' && enc != 'q') || q[2] != '?')
		return 0;
	const char *t = q + 3, *e = t;
	while (*e && *e != '?' && *e != '\n' && *e != '\r')
		e++;
	if (e[0] != '?' || e[1] != '=')
		return 0;
	memcpy(w->charset, cs, (size_t)(q - cs));
	w->charset[q - cs] = '\0';
	w->enc = enc;
	w->text = t;
	w->len = (size_t)(e - t);
	w->next = e + 2;
	return 1;
}

char *ct_mime_decode_header(const char *v, struct ct_item *it)
{
	struct ct_buf out = CT_BUF_INIT, pend = CT_BUF_INIT, plain = CT_BUF_INIT;
	char pend_cs[CS_NAME_MAX] = "";
	const char *p = v ? v : "";
	struct eword w;

	/* printable ASCII without an encoded word (most values): itself, trimmed */
	const char *s = p;
	while (*s >= 0x20 && *s < 0x7f && !(s[0] == '=' && s[1] == '?'))
		s++;
	if (!*s) {
		while (*p == ' ')
			p++;
		while (s > p && s[-1] == ' ')
			s--;
		return ct_strndup(p, (size_t)(s - p));
	}
	while (*p) {
		if (read_eword(p, &w)) {
			/*
			 * Bytes of adjacent words in one charset are converted together:
			 * mailers split long subjects in the middle of a UTF-8 character.
			 */
			if (pend.len && strcasecmp(pend_cs, w.charset)) {
				ct_mime_add_text(&out, pend.buf, pend.len, pend_cs, it);
				ct_buf_reset(&pend);
			}
			memcpy(pend_cs, w.charset, sizeof(pend_cs));
			if (w.enc == 'b')
				decode_b(&pend, w.text, w.len);
			else
				decode_q(&pend, w.text, w.len);
			p = w.next;
			/* blanks between two encoded words are not part of the text */
			const char *q = p;
			while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
				q++;
			if (q != p && read_eword(q, &w))
				p = q;
			continue;
		}
		if (pend.len) {
			ct_mime_add_text(&out, pend.buf, pend.len, pend_cs, it);
			ct_buf_reset(&pend);
		}
		/* plain text up to the next encoded word, unfolded */
		ct_buf_reset(&plain);
		const char *q = p;
		do {
			if (*q == '\r' || *q == '\n') {
				if (q[1] != ' ' && q[1] != '\t' && q[1] != '\r' && q[1] != '\n')
					ct_buf_addch(&plain, ' ');
			} else {
				ct_buf_addch(&plain, *q == '\t' ? ' ' : *q);
			}
			q++;
		} while (*q && !(q[0] == '=' && q[1] == '?' && read_eword(q, &w)));
		ct_mime_add_text(&out, plain.buf, plain.len, NULL, it);
		p = q;
	}
	if (pend.len)
		ct_mime_add_text(&out, pend.buf, pend.len, pend_cs, it);
	ct_buf_release(&pend);
	ct_buf_release(&plain);

	/* encoded words may carry control characters: blanks instead */
	for (size_t i = 0; i < out.len; i++)
		if ((unsigned char)out.buf[i] < 0x20 || out.buf[i] == 0x7F)
			out.buf[i] = ' ';
	size_t a = 0, b = out.len;
	while (a < b && out.buf[a] == ' ')
		a++;
	while (b > a && out.buf[b - 1] == ' ')
		b--;
	char *r = ct_strndup(out.buf + a, b - a);
	ct_buf_release(&out);
	return r;
}
