/*
 * mime.c - decodes a raw RFC 5322 message into an item with libetpan:
 * header fields from the top-level mailmime (parsed once), RFC 2047 words,
 * the MIME tree with transfer encodings, charsets to UTF-8 with cached iconv
 * descriptors, HTML to text when there is no text/plain, forwarded
 * message/rfc822 parts, attachment metadata. Bad input never fails: what
 * cannot be decoded becomes a warning on the item.
 */
#include "ingest.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- charsets ---- */

struct cs_cache {
	char name[40];
	iconv_t cd;
};
/* iconv descriptors are not thread-safe: one small cache per thread. */
static __thread struct cs_cache cs_cache[16];
static __thread unsigned cs_next;

static iconv_t cs_open(const char *charset)
{
	char name[40];
	size_t i;
	for (i = 0; charset[i] && i < sizeof(name) - 1; i++)
		name[i] = (char)tolower((unsigned char)charset[i]);
	name[i] = '\0';
	for (i = 0; i < CT_ARRAY_SIZE(cs_cache); i++)
		if (cs_cache[i].name[0] && !strcmp(cs_cache[i].name, name))
			return cs_cache[i].cd;
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return cd;
	struct cs_cache *slot = &cs_cache[cs_next++ % CT_ARRAY_SIZE(cs_cache)];
	if (slot->name[0])
		iconv_close(slot->cd);
	memcpy(slot->name, name, sizeof(name));
	slot->cd = cd;
	return cd;
}

static int is_utf8_name(const char *cs)
{
	return !strcasecmp(cs, "utf-8") || !strcasecmp(cs, "utf8") || !strcasecmp(cs, "us-ascii") ||
	       !strcasecmp(cs, "ascii") || !strcasecmp(cs, "ansi_x3.4-1968");
}

/* Appends s as UTF-8, every invalid byte becoming U+FFFD; NULs become spaces. Returns replacements. */
static int add_utf8_clean(struct ct_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	int bad = 0;
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
			ct_buf_addstr(out, "\xEF\xBF\xBD");
			bad++;
		} else {
			ct_buf_add(out, p, n);
		}
		p += n;
	}
	return bad;
}

/* windows-1252 to UTF-8 without iconv (the fallback for unknown charsets). */
static void add_cp1252(struct ct_buf *out, const char *s, size_t len)
{
	static const unsigned short hi[32] = {
		0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
		0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
		0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178 };
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i];
		if (c == 0)
			c = ' ';
		if (c < 0x80) {
			ct_buf_addch(out, (int)c);
			continue;
		}
		if (c < 0xA0)
			c = hi[c - 0x80];
		char u[3];
		if (c < 0x800) {
			u[0] = (char)(0xC0 | (c >> 6));
			u[1] = (char)(0x80 | (c & 0x3F));
			ct_buf_add(out, u, 2);
		} else {
			u[0] = (char)(0xE0 | (c >> 12));
			u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			u[2] = (char)(0x80 | (c & 0x3F));
			ct_buf_add(out, u, 3);
		}
	}
}

/*
 * Appends text in charset to out as valid UTF-8. Unknown charsets are read as
 * windows-1252 with a warning; undecodable bytes become U+FFFD.
 */
static void add_converted(struct ct_buf *out, const char *s, size_t len, const char *charset,
			  struct ct_item *it)
{
	if (!charset || !*charset || is_utf8_name(charset)) {
		if (ct_utf8_valid(s, len) && !memchr(s, 0, len)) {
			ct_buf_add(out, s, len);
			return;
		}
		if (charset && *charset && strcasecmp(charset, "us-ascii") && strcasecmp(charset, "ascii")) {
			if (add_utf8_clean(out, s, len))
				ct_item_warn(it, "invalid UTF-8 bytes replaced");
			return;
		}
		/* undeclared 8-bit text: UTF-8 if valid, else the usual Windows default */
		add_cp1252(out, s, len);
		return;
	}
	if (!strcasecmp(charset, "windows-1252") || !strcasecmp(charset, "cp1252") ||
	    !strcasecmp(charset, "iso-8859-1") || !strcasecmp(charset, "latin1") ||
	    !strcasecmp(charset, "iso8859-1")) {
		add_cp1252(out, s, len);
		return;
	}
	iconv_t cd = cs_open(charset);
	if (cd == (iconv_t)-1) {
		ct_item_warn(it, "unknown charset '%s', read as windows-1252", charset);
		add_cp1252(out, s, len);
		return;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	char *in = (char *)s;
	size_t inleft = len;
	int bad = 0;
	while (inleft) {
		ct_buf_grow(out, inleft * 4 + 16);
		char *o = out->buf + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->buf);
		out->buf[out->len] = '\0';
		if (r == (size_t)-1) {
			if (errno == E2BIG)
				continue;
			/* EILSEQ or EINVAL: replace one byte and go on */
			ct_buf_addstr(out, "\xEF\xBF\xBD");
			in++;
			inleft--;
			bad++;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	if (bad)
		ct_item_warn(it, "%d byte%s not valid in charset '%s' replaced", bad, bad == 1 ? "" : "s",
			     charset);
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

static void decode_b(struct ct_buf *out, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
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

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void decode_q(struct ct_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_')
			ct_buf_addch(out, ' ');
		else if (s[i] == '=' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
			 hexval((unsigned char)s[i + 2]) >= 0) {
			ct_buf_addch(out, hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
			i += 2;
		} else
			ct_buf_addch(out, s[i]);
	}
}

/*
 * Decodes a header value: RFC 2047 words (adjacent words joined without the
 * blank between them), raw 8-bit text as UTF-8 when valid else windows-1252;
 * unfolds line breaks. Returns a new UTF-8 string.
 */
static char *decode_header(const char *v, struct ct_item *it)
{
	struct ct_buf out = CT_BUF_INIT, raw = CT_BUF_INIT, tmp = CT_BUF_INIT;
	const char *p = v;
	int last_was_word = 0;
	if (!v)
		return ct_strdup("");
	while (*p) {
		if (p[0] == '=' && p[1] == '?') {
			const char *cs = p + 2, *q1 = strchr(cs, '?');
			const char *q2 = q1 && q1[1] && q1[2] == '?' ? q1 + 2 : NULL;
			const char *end = q2 ? strstr(q2 + 1, "?=") : NULL;
			if (q1 && q2 && end) {
				char charset[40];
				size_t cl = (size_t)(q1 - cs);
				snprintf(charset, sizeof(charset), "%.*s", (int)(cl < 39 ? cl : 39), cs);
				char *star = strchr(charset, '*'); /* RFC 2231 language */
				if (star)
					*star = '\0';
				ct_buf_reset(&raw);
				if (q1[1] == 'B' || q1[1] == 'b')
					decode_b(&raw, q2 + 1, (size_t)(end - q2 - 1));
				else
					decode_q(&raw, q2 + 1, (size_t)(end - q2 - 1));
				/* drop the blank between two encoded words */
				if (last_was_word) {
					while (out.len && (out.buf[out.len - 1] == ' ' || out.buf[out.len - 1] == '\t'))
						out.len--;
					out.buf[out.len] = '\0';
				}
				add_converted(&out, raw.buf, raw.len, charset, it);
				p = end + 2;
				last_was_word = 1;
				continue;
			}
		}
		const char *q = p + 1;
		while (*q && !(q[0] == '=' && q[1] == '?'))
			q++;
		ct_buf_reset(&tmp);
		for (const char *r = p; r < q; r++) {
			if (*r == '\r' || *r == '\n') {
				if (tmp.len && tmp.buf[tmp.len - 1] != ' ')
					ct_buf_addch(&tmp, ' ');
				continue;
			}
			ct_buf_addch(&tmp, *r == '\t' ? ' ' : *r);
		}
		int blank = 1;
		for (size_t i = 0; i < tmp.len; i++)
			if (tmp.buf[i] != ' ')
				blank = 0;
		if (!blank)
			last_was_word = 0;
		add_converted(&out, tmp.buf, tmp.len, NULL, it);
		p = q;
	}
	ct_buf_release(&raw);
	ct_buf_release(&tmp);
	char *r = ct_buf_detach(&out, NULL);
	char *t = ct_trim(r);
	if (t != r)
		memmove(r, t, strlen(t) + 1);
	return r;
}

/* ---- headers ---- */

static char *strip_angles(const char *s)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '<')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '>' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		n--;
	return n ? ct_strndup(s, n) : NULL;
}

/* Message ids from a raw header value: every <...>, or the bare token. */
static void ids_from_raw(const char *v, struct ct_strlist *out)
{
	const char *p = v;
	int any = 0;
	while (p && (p = strchr(p, '<'))) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		if (e > p + 1 && memchr(p, '@', (size_t)(e - p))) {
			ct_strlist_push_owned(out, ct_strndup(p + 1, (size_t)(e - p - 1)));
			any = 1;
		}
		p = e + 1;
	}
	if (!any && v) {
		char *s = strip_angles(v);
		if (s && strchr(s, '@') && !strchr(s, ' '))
			ct_strlist_push_owned(out, s);
		else
			free(s);
	}
}

static void add_mailbox(struct ct_addrlist *l, struct mailimf_mailbox *mb, struct ct_item *it)
{
	if (!mb || !mb->mb_addr_spec)
		return;
	char *name = mb->mb_display_name ? decode_header(mb->mb_display_name, it) : NULL;
	/* display names come quoted: drop the quotes */
	if (name && name[0] == '"') {
		size_t n = strlen(name);
		memmove(name, name + 1, n);
		if (n > 1 && name[n - 2] == '"')
			name[n - 2] = '\0';
	}
	ct_addrlist_push(l, name, mb->mb_addr_spec);
	free(name);
}

static void add_address_list(struct ct_addrlist *l, struct mailimf_address_list *al, struct ct_item *it)
{
	if (!al)
		return;
	for (clistiter *c = clist_begin(al->ad_list); c; c = clist_next(c)) {
		struct mailimf_address *a = clist_content(c);
		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX)
			add_mailbox(l, a->ad_data.ad_mailbox, it);
		else if (a->ad_type == MAILIMF_ADDRESS_GROUP && a->ad_data.ad_group->grp_mb_list)
			for (clistiter *g = clist_begin(a->ad_data.ad_group->grp_mb_list->mb_list); g;
			     g = clist_next(g))
				add_mailbox(l, clist_content(g), it);
	}
}

static ct_time from_dt(const struct mailimf_date_time *d, int *ok)
{
	int y = d->dt_year;
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	*ok = y >= 1970 && y <= 2200 && d->dt_month >= 1 && d->dt_month <= 12 && d->dt_day >= 1 &&
	      d->dt_day <= 31 && d->dt_hour >= 0 && d->dt_hour < 24 && d->dt_min >= 0 && d->dt_min < 60 &&
	      d->dt_sec >= 0 && d->dt_sec <= 60;
	int z = d->dt_zone, sign = z < 0 ? -1 : 1;
	z = abs(z);
	long off = sign * ((z / 100) * 3600L + (z % 100) * 60L);
	return ct_timegm(y, d->dt_month, d->dt_day, d->dt_hour, d->dt_min, d->dt_sec) - off;
}

/* A lenient date reader for what libetpan refuses ("4 Mar 2024 9:12", "UT", "EST"). */
static int parse_loose_date(const char *v, ct_time *out)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
					      "jul", "aug", "sep", "oct", "nov", "dec" };
	int day = -1, mon = -1, year = -1, h = 0, m = 0, s = 0;
	long off = 0;
	const char *p = v;
	while (*p) {
		while (*p && !isalnum((unsigned char)*p) && *p != '+' && *p != '-')
			p++;
		if (!*p)
			break;
		if (isdigit((unsigned char)*p)) {
			int a = 0, n = 0;
			while (isdigit((unsigned char)*p)) {
				a = a * 10 + (*p++ - '0');
				n++;
			}
			if (*p == ':') {
				h = a;
				p++;
				m = (int)strtol(p, (char **)&p, 10);
				if (*p == ':') {
					p++;
					s = (int)strtol(p, (char **)&p, 10);
				}
			} else if (day < 0 && n <= 2) {
				day = a;
			} else if (year < 0) {
				year = n <= 2 ? (a < 50 ? 2000 + a : 1900 + a) : a;
			}
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;
			p++;
			if (isdigit((unsigned char)*p)) {
				int z = (int)strtol(p, (char **)&p, 10);
				off = sign * ((z / 100) * 3600L + (z % 100) * 60L);
			}
		} else {
			const char *w = p;
			while (isalpha((unsigned char)*p))
				p++;
			size_t wl = (size_t)(p - w);
			for (int i = 0; i < 12; i++)
				if (wl >= 3 && !strncasecmp(w, months[i], 3))
					mon = i + 1;
			if (wl == 3 && !strncasecmp(w, "EST", 3))
				off = -5 * 3600;
			else if (wl == 3 && !strncasecmp(w, "EDT", 3))
				off = -4 * 3600;
			else if (wl == 3 && !strncasecmp(w, "CST", 3))
				off = -6 * 3600;
			else if (wl == 3 && !strncasecmp(w, "CDT", 3))
				off = -5 * 3600;
			else if (wl == 3 && !strncasecmp(w, "MST", 3))
				off = -7 * 3600;
			else if (wl == 3 && !strncasecmp(w, "PST", 3))
				off = -8 * 3600;
			else if (wl == 3 && !strncasecmp(w, "PDT", 3))
				off = -7 * 3600;
			else if (wl == 3 && !strncasecmp(w, "CET", 3))
				off = 3600;
			else if (wl == 4 && !strncasecmp(w, "CEST", 4))
				off = 2 * 3600;
		}
	}
	if (day < 1 || day > 31 || mon < 1 || year < 1970 || year > 2200 || h > 23 || m > 59 || s > 60)
		return -1;
	*out = ct_timegm(year, mon, day, h, m, s) - off;
	return 0;
}

struct hdr_state {
	char *date_raw;      /* owned copy: the parse tree is freed before it is read */
	int have_date;
};

static void read_fields(struct mailimf_fields *f, struct ct_item *it, struct hdr_state *hs)
{
	if (!f)
		return;
	for (clistiter *c = clist_begin(f->fld_list); c; c = clist_next(c)) {
		struct mailimf_field *fl = clist_content(c);
		switch (fl->fld_type) {
		case MAILIMF_FIELD_MESSAGE_ID:
			if (!it->message_id && fl->fld_data.fld_message_id->mid_value)
				it->message_id = strip_angles(fl->fld_data.fld_message_id->mid_value);
			break;
		case MAILIMF_FIELD_IN_REPLY_TO: {
			clist *l = fl->fld_data.fld_in_reply_to->mid_list;
			if (!it->in_reply_to && l && clist_begin(l))
				it->in_reply_to = strip_angles(clist_content(clist_begin(l)));
			break;
		}
		case MAILIMF_FIELD_REFERENCES: {
			clist *l = fl->fld_data.fld_references->mid_list;
			if (!it->references.n)
				for (clistiter *r = l ? clist_begin(l) : NULL; r; r = clist_next(r)) {
					char *id = strip_angles(clist_content(r));
					if (id)
						ct_strlist_push_owned(&it->references, id);
				}
			break;
		}
		case MAILIMF_FIELD_SUBJECT:
			if (!it->subject)
				it->subject = decode_header(fl->fld_data.fld_subject->sbj_value, it);
			break;
		case MAILIMF_FIELD_FROM:
			if (!it->from.addr && fl->fld_data.fld_from->frm_mb_list) {
				clist *l = fl->fld_data.fld_from->frm_mb_list->mb_list;
				struct ct_addrlist tmp = { 0 };
				if (l && clist_begin(l))
					add_mailbox(&tmp, clist_content(clist_begin(l)), it);
				if (tmp.n) {
					it->from.addr = tmp.v[0].addr;
					it->from.name = tmp.v[0].name;
					free(tmp.v);
				}
			}
			break;
		case MAILIMF_FIELD_TO:
			add_address_list(&it->to, fl->fld_data.fld_to->to_addr_list, it);
			break;
		case MAILIMF_FIELD_CC:
			add_address_list(&it->cc, fl->fld_data.fld_cc->cc_addr_list, it);
			break;
		case MAILIMF_FIELD_ORIG_DATE:
			if (!hs->have_date && fl->fld_data.fld_orig_date->dt_date_time) {
				int ok;
				ct_time t = from_dt(fl->fld_data.fld_orig_date->dt_date_time, &ok);
				if (ok) {
					it->date = t;
					hs->have_date = 1;
				}
			}
			break;
		case MAILIMF_FIELD_OPTIONAL_FIELD: {
			const char *name = fl->fld_data.fld_optional_field->fld_name;
			const char *value = fl->fld_data.fld_optional_field->fld_value;
			if (!name || !value)
				break;
			if (!strcasecmp(name, "X-Forwarded-Message-Id") && !it->x_forwarded_id)
				it->x_forwarded_id = strip_angles(value);
			else if (!strcasecmp(name, "Date") && !hs->date_raw)
				hs->date_raw = ct_strdup(value);
			else if (!strcasecmp(name, "Message-ID") && !it->message_id) {
				struct ct_strlist l = CT_STRLIST_INIT;
				ids_from_raw(value, &l);
				if (l.n)
					it->message_id = ct_strdup(l.v[0]);
				ct_strlist_clear(&l);
			} else if (!strcasecmp(name, "References") && !it->references.n)
				ids_from_raw(value, &it->references);
			else if (!strcasecmp(name, "In-Reply-To") && !it->in_reply_to) {
				struct ct_strlist l = CT_STRLIST_INIT;
				ids_from_raw(value, &l);
				if (l.n)
					it->in_reply_to = ct_strdup(l.v[0]);
				ct_strlist_clear(&l);
			} else if (!strcasecmp(name, "Subject") && !it->subject)
				it->subject = decode_header(value, it);
			break;
		}
		default:
			break;
		}
	}
}

/* ---- HTML to text ---- */

static void html_entity(struct ct_buf *out, const char **pp, const char *e)
{
	static const struct { const char *name; const char *utf8; } ents[] = {
		{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
		{ "nbsp", " " }, { "euro", "€" }, { "pound", "£" }, { "copy", "©" }, { "reg", "®" },
		{ "auml", "ä" }, { "ouml", "ö" }, { "uuml", "ü" }, { "Auml", "Ä" }, { "Ouml", "Ö" },
		{ "Uuml", "Ü" }, { "szlig", "ß" }, { "eacute", "é" }, { "egrave", "è" }, { "rsquo", "’" },
		{ "lsquo", "‘" }, { "rdquo", "”" }, { "ldquo", "“" }, { "ndash", "–" }, { "mdash", "—" },
		{ "hellip", "…" },
	};
	const char *p = *pp + 1;
	const char *semi = memchr(p, ';', (size_t)(e - p) < 12 ? (size_t)(e - p) : 12);
	if (!semi) {
		ct_buf_addch(out, '&');
		*pp = p;
		return;
	}
	if (*p == '#') {
		unsigned long cp = p[1] == 'x' || p[1] == 'X' ? strtoul(p + 2, NULL, 16) : strtoul(p + 1, NULL, 10);
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			cp = 0xFFFD;
		char u[4];
		if (cp < 0x80) {
			ct_buf_addch(out, (int)cp);
		} else if (cp < 0x800) {
			u[0] = (char)(0xC0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3F));
			ct_buf_add(out, u, 2);
		} else if (cp < 0x10000) {
			u[0] = (char)(0xE0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (char)(0x80 | (cp & 0x3F));
			ct_buf_add(out, u, 3);
		} else {
			u[0] = (char)(0xF0 | (cp >> 18));
			u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[3] = (char)(0x80 | (cp & 0x3F));
			ct_buf_add(out, u, 4);
		}
		*pp = semi + 1;
		return;
	}
	for (size_t i = 0; i < CT_ARRAY_SIZE(ents); i++)
		if ((size_t)(semi - p) == strlen(ents[i].name) && !strncmp(p, ents[i].name, (size_t)(semi - p))) {
			ct_buf_addstr(out, ents[i].utf8);
			*pp = semi + 1;
			return;
		}
	ct_buf_addch(out, '&');
	*pp = p;
}

/* Readable text from HTML: blocks become lines, script/style dropped, entities decoded. */
static char *html_to_text(const char *s, size_t len)
{
	struct ct_buf out = CT_BUF_INIT;
	const char *p = s, *e = s + len;
	int space = 0;
	while (p < e) {
		if (*p == '<') {
			const char *gt = memchr(p, '>', (size_t)(e - p));
			if (!gt)
				break;
			char tag[16];
			size_t k = 0;
			const char *t = p + 1;
			int closing = *t == '/';
			if (closing)
				t++;
			while (t < gt && k < sizeof(tag) - 1 && isalnum((unsigned char)*t))
				tag[k++] = (char)tolower((unsigned char)*t++);
			tag[k] = '\0';
			if (!closing && (!strcmp(tag, "script") || !strcmp(tag, "style") || !strcmp(tag, "head"))) {
				char endtag[24];
				snprintf(endtag, sizeof(endtag), "</%s", tag);
				const char *q = gt;
				while (q < e && strncasecmp(q, endtag, strlen(endtag)))
					q++;
				const char *q2 = q < e ? memchr(q, '>', (size_t)(e - q)) : NULL;
				p = q2 ? q2 + 1 : e;
				continue;
			}
			if (!strcmp(tag, "br") || !strcmp(tag, "p") || !strcmp(tag, "div") || !strcmp(tag, "tr") ||
			    !strcmp(tag, "li") || !strcmp(tag, "blockquote") || !strcmp(tag, "table") ||
			    (tag[0] == 'h' && isdigit((unsigned char)tag[1])) || !strcmp(tag, "hr")) {
				if (!strcmp(tag, "p") && !closing && out.len)
					ct_buf_addch(&out, '\n');
				ct_buf_addch(&out, '\n');
				if (!strcmp(tag, "li") && !closing)
					ct_buf_addstr(&out, "- ");
				space = 1;
			} else if (!strcmp(tag, "td") && closing) {
				ct_buf_addch(&out, '\t');
			}
			p = gt + 1;
			continue;
		}
		if (*p == '&') {
			html_entity(&out, &p, e);
			space = 0;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			if (!space)
				ct_buf_addch(&out, ' ');
			space = 1;
			p++;
			continue;
		}
		ct_buf_addch(&out, *p++);
		space = 0;
	}
	/* tidy: no blank at line starts/ends, at most one empty line in a row */
	struct ct_buf tidy = CT_BUF_INIT;
	int nl = 0;
	const char *q = out.buf, *qe = out.buf + out.len;
	while (q < qe) {
		const char *le = memchr(q, '\n', (size_t)(qe - q));
		if (!le)
			le = qe;
		const char *a = q, *b = le;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a == b) {
			nl++;
		} else {
			if (tidy.len)
				ct_buf_addstr(&tidy, nl > 1 ? "\n\n" : "\n");
			ct_buf_add(&tidy, a, (size_t)(b - a));
			nl = 1;
		}
		q = le + 1;
	}
	ct_buf_release(&out);
	return ct_buf_detach(&tidy, NULL);
}

/* ---- the MIME tree ---- */

static const char *param(clist *params, const char *name)
{
	for (clistiter *c = params ? clist_begin(params) : NULL; c; c = clist_next(c)) {
		struct mailmime_parameter *p = clist_content(c);
		if (p->pa_name && !strcasecmp(p->pa_name, name))
			return p->pa_value;
	}
	return NULL;
}

static void content_type(struct mailmime_content *ct, char *buf, size_t n)
{
	const char *major = "text";
	if (ct && ct->ct_type) {
		if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
			static const char *const names[] = { "application", "text", "image", "audio",
							     "video", "application", "x" };
			int t = ct->ct_type->tp_data.tp_discrete_type->dt_type;
			major = t >= 0 && t < 7 ? names[t] : "application";
			if (t == MAILMIME_DISCRETE_TYPE_EXTENSION &&
			    ct->ct_type->tp_data.tp_discrete_type->dt_extension)
				major = ct->ct_type->tp_data.tp_discrete_type->dt_extension;
		} else {
			int t = ct->ct_type->tp_data.tp_composite_type->ct_type;
			major = t == MAILMIME_COMPOSITE_TYPE_MESSAGE ? "message" :
				t == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart" : "x";
		}
	}
	snprintf(buf, n, "%s/%s", major, ct && ct->ct_subtype ? ct->ct_subtype : "plain");
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

struct walk {
	struct ct_item *it;
	struct ct_buf plain, html;
	const char *html_charset;
	int depth;
};

/* Filename and disposition of a part. */
static const char *part_filename(struct mailmime *m, int *attachment)
{
	const char *name = NULL;
	*attachment = 0;
	if (m->mm_mime_fields)
		for (clistiter *c = clist_begin(m->mm_mime_fields->fld_list); c; c = clist_next(c)) {
			struct mailmime_field *f = clist_content(c);
			if (f->fld_type != MAILMIME_FIELD_DISPOSITION || !f->fld_data.fld_disposition)
				continue;
			struct mailmime_disposition *d = f->fld_data.fld_disposition;
			if (d->dsp_type && d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
				*attachment = 1;
			for (clistiter *pc = d->dsp_parms ? clist_begin(d->dsp_parms) : NULL; pc; pc = clist_next(pc)) {
				struct mailmime_disposition_parm *pp = clist_content(pc);
				if (pp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
					name = pp->pa_data.pa_filename;
			}
		}
	if (!name && m->mm_content_type)
		name = param(m->mm_content_type->ct_parameters, "name");
	return name;
}

/* Transfer-decodes a single part into out (raw bytes, charset not applied). */
static void decode_part(struct mailmime *m, struct ct_buf *out, struct ct_item *it)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	ct_buf_reset(out);
	if (!d || d->dt_type != MAILMIME_DATA_TEXT)
		return;
	const char *src = d->dt_data.dt_text.dt_data;
	size_t len = d->dt_data.dt_text.dt_length;
	int enc = d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT;
	if (enc == MAILMIME_MECHANISM_BASE64) {
		size_t junk = 0;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)src[i];
			if (!isalnum(c) && c != '+' && c != '/' && c != '=' && !isspace(c))
				junk++;
		}
		if (junk)
			ct_item_warn(it, "base64 part with %zu invalid character%s (skipped)", junk,
				     junk == 1 ? "" : "s");
	}
	if (enc == MAILMIME_MECHANISM_BASE64 || enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		size_t idx = 0, rlen = 0;
		char *res = NULL;
		if (mailmime_part_parse(src, len, &idx, enc, &res, &rlen) == MAILIMF_NO_ERROR && res) {
			ct_buf_add(out, res, rlen);
			mailmime_decoded_part_free(res);
			return;
		}
		ct_item_warn(it, "a part could not be transfer-decoded; kept as is");
	}
	ct_buf_add(out, src, len);
}

static void walk_mime(struct mailmime *m, struct walk *w, int in_alternative);

static void add_forward(struct mailmime *m, struct walk *w)
{
	struct ct_item sub;
	struct hdr_state hs = { 0 };
	struct walk sw;
	ct_item_init(&sub);
	read_fields(m->mm_data.mm_message.mm_fields, &sub, &hs);
	memset(&sw, 0, sizeof(sw));
	sw.it = &sub;
	sw.depth = w->depth + 1;
	if (m->mm_data.mm_message.mm_msg_mime && sw.depth < 8)
		walk_mime(m->mm_data.mm_message.mm_msg_mime, &sw, 0);
	CT_ALLOC_GROW(w->it->fwd, w->it->nfwd + 1, w->it->fwd_alloc);
	struct ct_forward *f = &w->it->fwd[w->it->nfwd++];
	f->message_id = sub.message_id;
	sub.message_id = NULL;
	f->subject = sub.subject ? sub.subject : ct_strdup("");
	sub.subject = NULL;
	f->from = sub.from.addr ? ct_strdup(sub.from.addr) : NULL;
	f->date = hs.have_date ? sub.date : 0;
	f->body = sw.plain.len ? ct_buf_detach(&sw.plain, NULL) :
		  sw.html.len ? html_to_text(sw.html.buf, sw.html.len) : ct_strdup("");
	ct_buf_release(&sw.plain);
	ct_buf_release(&sw.html);
	free(hs.date_raw);
	for (size_t i = 0; i < sub.warnings.n; i++)
		ct_item_warn(w->it, "forwarded message: %s", sub.warnings.v[i]);
	ct_item_free(&sub);
}

static void walk_mime(struct mailmime *m, struct walk *w, int in_alternative)
{
	char type[96];
	if (!m || w->depth > 16)
		return;
	content_type(m->mm_content_type, type, sizeof(type));
	switch (m->mm_type) {
	case MAILMIME_MULTIPLE: {
		if (!m->mm_content_type || !param(m->mm_content_type->ct_parameters, "boundary"))
			ct_item_warn(w->it, "%s without a boundary", type);
		int alt = !strcmp(type, "multipart/alternative");
		w->depth++;
		for (clistiter *c = clist_begin(m->mm_data.mm_multipart.mm_mp_list); c; c = clist_next(c))
			walk_mime(clist_content(c), w, alt);
		w->depth--;
		break;
	}
	case MAILMIME_MESSAGE:
		if (m->mm_parent) {
			/* an attached message: the forwarded original */
			add_forward(m, w);
		} else {
			walk_mime(m->mm_data.mm_message.mm_msg_mime, w, 0);
		}
		break;
	case MAILMIME_SINGLE: {
		int attachment;
		const char *fname = part_filename(m, &attachment);
		int is_text = !strncmp(type, "text/", 5);
		struct ct_buf raw = CT_BUF_INIT;
		if (!strncmp(type, "multipart/", 10)) {
			/* no boundary to split on: keep the whole thing as text */
			ct_item_warn(w->it, "%s without a boundary; kept as plain text", type);
			snprintf(type, sizeof(type), "text/plain");
			is_text = 1;
		}
		if (!attachment && is_text && (!strcmp(type, "text/plain") || !strcmp(type, "text/html"))) {
			const char *cs = m->mm_content_type ? param(m->mm_content_type->ct_parameters, "charset") : NULL;
			decode_part(m, &raw, w->it);
			struct ct_buf *dst = !strcmp(type, "text/html") ? &w->html : &w->plain;
			if (dst == &w->plain || !in_alternative || 1) {
				if (dst->len && dst->buf[dst->len - 1] != '\n')
					ct_buf_addch(dst, '\n');
				add_converted(dst, raw.buf, raw.len, cs, w->it);
			}
		} else {
			CT_ALLOC_GROW(w->it->att, w->it->natt + 1, w->it->att_alloc);
			struct ct_attachment *a = &w->it->att[w->it->natt++];
			a->name = fname ? decode_header(fname, w->it) : NULL;
			a->type = ct_strdup(type);
			struct mailmime_data *d = m->mm_data.mm_single;
			size_t sz = d && d->dt_type == MAILMIME_DATA_TEXT ? d->dt_data.dt_text.dt_length : 0;
			if (d && d->dt_encoded && d->dt_encoding == MAILMIME_MECHANISM_BASE64)
				sz = sz * 3 / 4;
			a->size = sz;
		}
		ct_buf_release(&raw);
		break;
	}
	default:
		break;
	}
}

/* Normalises line endings to LF (CRLF and lone CR). */
static char *to_lf(const char *raw, size_t len, size_t *out_len)
{
	char *o = ct_malloc(len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\r') {
			o[n++] = '\n';
			if (i + 1 < len && raw[i + 1] == '\n')
				i++;
		} else {
			o[n++] = raw[i];
		}
	}
	o[n] = '\0';
	*out_len = n;
	return o;
}

/* Folds trailing blanks of the text into a clean UTF-8 body with LF line ends. */
static void set_body(struct ct_item *it, struct ct_buf *b)
{
	size_t n;
	char *body = ct_buf_detach(b, &n);
	/* the decoded text may carry CRLF of its own */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (body[i] == '\r') {
			body[m++] = '\n';
			if (i + 1 < n && body[i + 1] == '\n')
				i++;
		} else {
			body[m++] = body[i];
		}
	}
	body[m] = '\0';
	it->body = body;
	it->body_len = m;
}

int ct_mime_parse(const char *raw, size_t len, ct_time fallback_date, struct ct_item *it)
{
	size_t lf_len, idx = 0;
	char *lf = to_lf(raw, len, &lf_len);
	struct mailmime *mime = NULL;
	struct hdr_state hs = { 0 };
	struct walk w;
	int ret = 0;

	memset(&w, 0, sizeof(w));
	w.it = it;
	it->kind = CT_ITEM_EMAIL;
	it->raw_size = len;
	int rc = lf_len ? mailmime_parse(lf, lf_len, &idx, &mime) : MAILIMF_ERROR_PARSE;
	if (rc != MAILIMF_NO_ERROR || !mime) {
		ct_item_warn(it, "not a MIME message (libetpan error %d); stored as plain text", rc);
		struct ct_buf b = CT_BUF_INIT;
		add_converted(&b, lf, lf_len, NULL, it);
		set_body(it, &b);
		ret = -1;
	} else {
		if (mime->mm_type == MAILMIME_MESSAGE)
			read_fields(mime->mm_data.mm_message.mm_fields, it, &hs);
		walk_mime(mime, &w, 0);
		if (w.plain.len) {
			set_body(it, &w.plain);
		} else if (w.html.len) {
			char *t = html_to_text(w.html.buf, w.html.len);
			it->body = t;
			it->body_len = strlen(t);
			it->body_from_html = 1;
		} else {
			it->body = ct_strdup("");
			it->body_len = 0;
		}
		if (idx < lf_len / 2 && lf_len > 1024)
			ct_item_warn(it, "only %zu of %zu bytes could be parsed", idx, lf_len);
		mailmime_free(mime);
	}
	ct_buf_release(&w.plain);
	ct_buf_release(&w.html);
	if (!it->subject)
		it->subject = ct_strdup("");
	if (!hs.have_date) {
		ct_time t;
		if (hs.date_raw && parse_loose_date(hs.date_raw, &t) == 0) {
			it->date = t;
		} else {
			it->date = fallback_date;
			it->date_from_file = 1;
			ct_item_warn(it, hs.date_raw ? "bogus Date header '%.60s', using the file time"
						     : "no Date header, using the file time",
				     hs.date_raw ? hs.date_raw : "");
		}
	}
	if (!it->from.addr) {
		it->from.addr = ct_strdup("");
		ct_item_warn(it, "no From address");
	}
	if (it->message_id && *it->message_id) {
		it->external_id = ct_strdup(it->message_id);
	} else {
		char hex[33];
		free(it->message_id);
		it->message_id = NULL;
		ct_hash_hex(lf, lf_len, hex);
		it->external_id = ct_xstrfmt("hash:%s", hex);
	}
	free(hs.date_raw);
	free(lf);
	return ret;
}

/* ---- subjects ---- */

char *ct_subject_normalize(const char *subject)
{
	static const char *const prefixes[] = { "re", "fwd", "fw", "aw", "wg", "sv", "antw", "tr",
						"vs", "rif", "ref", "r", "enc", "doorst" };
	struct ct_buf b = CT_BUF_INIT;
	const char *s = subject ? subject : "";
	for (int changed = 1; changed;) {
		changed = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[') {
			const char *e = strchr(s, ']');
			if (e) {
				s = e + 1;
				changed = 1;
				continue;
			}
		}
		for (size_t i = 0; i < CT_ARRAY_SIZE(prefixes); i++) {
			size_t n = strlen(prefixes[i]);
			if (strncasecmp(s, prefixes[i], n))
				continue;
			const char *p = s + n;
			if (*p == '[' || *p == '(') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
				if (*p == ']' || *p == ')')
					p++;
			}
			while (*p == ' ')
				p++;
			if (*p == ':' || (*p == '\xEF' && !strncmp(p, "\xEF\xBC\x9A", 3))) {
				s = p + (*p == ':' ? 1 : 3);
				changed = 1;
				break;
			}
		}
	}
	/* fold blanks, lower-case ASCII */
	int sp = 0;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			sp = 1;
			continue;
		}
		if (sp && b.len)
			ct_buf_addch(&b, ' ');
		sp = 0;
		ct_buf_addch(&b, tolower((unsigned char)*s));
	}
	/* trailing [#1234] ticket tags */
	while (b.len && b.buf[b.len - 1] == ']') {
		char *o = strrchr(b.buf, '[');
		if (!o)
			break;
		size_t keep = (size_t)(o - b.buf);
		while (keep && b.buf[keep - 1] == ' ')
			keep--;
		ct_buf_setlen(&b, keep);
	}
	return ct_buf_detach(&b, NULL);
}
