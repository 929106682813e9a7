/*
 * utf8.c - the one UTF-8 module: sequence length, validation (with an ASCII
 * fast path), decoding and encoding of code points, and display width.
 */
#include "base.h"

#include <string.h>

size_t ct_utf8_seqlen(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n;
	if (c < 0x80)
		return 1;
	else if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 1;
	if (n > avail)
		return 1;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	if (n == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F)))
		return 1;
	if (n == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F)))
		return 1;
	return n;
}

int ct_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	while (p < e) {
		/* Mail bodies are mostly ASCII: skip 8 bytes at a time while they are. */
		while (e - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ull)
				break;
			p += 8;
		}
		if (p >= e)
			break;
		if (*p < 0x80) {
			p++;
			continue;
		}
		size_t n = ct_utf8_seqlen(p, (size_t)(e - p));
		if (n == 1)
			return 0;
		p += n;
	}
	return 1;
}

size_t ct_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n = ct_utf8_seqlen(s, avail);
	if (n == 1)
		*cp = s[0];
	else if (n == 2)
		*cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
	else if (n == 3)
		*cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
	else
		*cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
	return n;
}

void ct_utf8_put(struct ct_buf *out, uint32_t cp)
{
	char u[4];
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
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
}

size_t ct_utf8_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t w = 0;
	while (p < e) {
		uint32_t cp;
		p += ct_utf8_decode(p, (size_t)(e - p), &cp);
		if (cp < 0x20 || (cp >= 0x300 && cp < 0x370) || (cp >= 0x200B && cp <= 0x200F) ||
		    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFE0F)
			continue; /* controls, combining marks, zero-width and bidi controls */
		if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
		    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
		    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
		    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
		    (cp >= 0x20000 && cp <= 0x3FFFD))
			w += 2;
		else
			w += 1;
	}
	return w;
}
