/*
 * imap_utf7.c - IMAP folder names (RFC 3501 5.1.3): what the server sends and
 * wants is "modified UTF-7"; what users write in the configuration, and what
 * casetrail prints and keys its cursors by, is UTF-8.
 *
 * Printable ASCII stands for itself except '&', written "&-"; anything else
 * is UTF-16 in base64 (',' for '/', no padding) between '&' and '-'.
 */
#include "mailnet_p.h"
#include "mime_p.h"

#include <stdint.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* The next code point of UTF-8 s (U+FFFD for a bad sequence); advances *s. */
static uint32_t next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t cp;
	int n;
	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		cp = p[0] & 0x1f;
		n = 1;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		cp = p[0] & 0x0f;
		n = 2;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		cp = p[0] & 0x07;
		n = 3;
	} else {
		*s = p + 1;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s = p + i;
			return 0xfffd;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*s = p + n + 1;
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	return cp;
}

/* Appends the base64 of the UTF-16 units u[0..n), then '-'. */
static void put_b64(struct ct_buf *out, const uint16_t *u, size_t n)
{
	uint32_t bits = 0;
	int nbits = 0;
	ct_buf_addch(out, '&');
	for (size_t i = 0; i < n; i++) {
		bits = (bits << 16) | u[i];
		nbits += 16;
		while (nbits >= 6) {
			nbits -= 6;
			ct_buf_addch(out, b64[(bits >> nbits) & 0x3f]);
		}
	}
	if (nbits)
		ct_buf_addch(out, b64[(bits << (6 - nbits)) & 0x3f]);
	ct_buf_addch(out, '-');
}

char *ct_imap_utf7_encode(const char *utf8)
{
	struct ct_buf out = CT_BUF_INIT;
	const unsigned char *p = (const unsigned char *)(utf8 ? utf8 : "");
	uint16_t *u = NULL;
	size_t nu = 0, ualloc = 0;
	ct_buf_addstr(&out, "");
	while (*p) {
		if (*p >= 0x20 && *p <= 0x7e) {
			if (nu) {
				put_b64(&out, u, nu);
				nu = 0;
			}
			if (*p == '&')
				ct_buf_addstr(&out, "&-");
			else
				ct_buf_addch(&out, (char)*p);
			p++;
			continue;
		}
		uint32_t cp = next_cp(&p);
		CT_ALLOC_GROW(u, nu + 2, ualloc);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[nu++] = (uint16_t)(0xd800 | (cp >> 10));
			u[nu++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
		} else {
			u[nu++] = (uint16_t)cp;
		}
	}
	if (nu)
		put_b64(&out, u, nu);
	free(u);
	return ct_buf_detach(&out, NULL);
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* Decodes the base64 run s[0..n) into out as UTF-8; -1 when it is not valid. */
static int get_b64(struct ct_buf *out, const char *s, size_t n)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val(s[i]);
		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			if (high)
				return -1;
			high = unit;
			continue;
		}
		if (unit >= 0xdc00 && unit <= 0xdfff) {
			if (!high)
				return -1;
			unit = 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00);
			high = 0;
		} else if (high) {
			return -1;
		}
		ct_utf8_put(out, unit);
	}
	/* leftover bits must be zero padding of less than one unit */
	if (high || nbits >= 6 || (bits & ((1u << nbits) - 1)))
		return -1;
	return 0;
}

char *ct_imap_utf7_decode(const char *mutf7)
{
	struct ct_buf out = CT_BUF_INIT;
	const char *p = mutf7 ? mutf7 : "";
	ct_buf_addstr(&out, "");
	while (*p) {
		if (*p != '&') {
			ct_buf_addch(&out, *p++);
			continue;
		}
		const char *end = strchr(p + 1, '-');
		if (!end)
			goto as_is;
		if (end == p + 1) {
			ct_buf_addch(&out, '&');
		} else if (get_b64(&out, p + 1, (size_t)(end - p - 1))) {
			goto as_is;
		}
		p = end + 1;
	}
	return ct_buf_detach(&out, NULL);
as_is:
	/* not modified UTF-7 after all: the name as the server sent it */
	ct_buf_release(&out);
	return ct_strdup(mutf7);
}
