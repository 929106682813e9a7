/*
 * imap_utf7.c - IMAP folder names (RFC 3501 5.1.3): what the server sends and
 * wants is "modified UTF-7"; what users write in the configuration, and what
 * casetrail prints and keys its cursors by, is UTF-8. glibc's iconv (2.36 and
 * later) converts both ways as the charset "UTF-7-IMAP".
 */
#include "mailnet_p.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

/* in converted by iconv from -> to into a new string; NULL when iconv refuses it. */
static char *convert(const char *to, const char *from, const char *in, size_t len)
{
	iconv_t cd = iconv_open(to, from);
	if (cd == (iconv_t)-1)
		ct_die("iconv cannot convert %s to %s (glibc 2.36 or later has UTF-7-IMAP)", from, to);
	struct ct_buf out = CT_BUF_INIT;
	char *src = (char *)in, chunk[256];
	size_t left = len;
	int ok = 1;
	/* The last round (src NULL) writes what a stateful encoder still holds: the closing '-'. */
	for (int done = 0; !done;) {
		char *dst = chunk;
		size_t room = sizeof(chunk);
		size_t r = left ? iconv(cd, &src, &left, &dst, &room) : iconv(cd, NULL, NULL, &dst, &room);
		ct_buf_add(&out, chunk, (size_t)(dst - chunk));
		if (r == (size_t)-1 && errno != E2BIG) {
			ok = 0;
			break;
		}
		done = r != (size_t)-1 && !left && src == NULL;
		if (r != (size_t)-1 && !left)
			src = NULL;
	}
	iconv_close(cd);
	if (!ok) {
		ct_buf_release(&out);
		return NULL;
	}
	return ct_buf_detach(&out, NULL);
}

char *ct_imap_utf7_encode(const char *utf8)
{
	/* Bad UTF-8 becomes U+FFFD: iconv would stop at it, and raw bytes must not reach the wire. */
	struct ct_buf clean = CT_BUF_INIT;
	const unsigned char *p = (const unsigned char *)utf8;
	size_t len = strlen(utf8);
	for (size_t i = 0; i < len;) {
		size_t n = ct_utf8_seqlen(p + i, len - i);
		if (n == 1 && p[i] >= 0x80)
			ct_buf_add(&clean, "\xEF\xBF\xBD", 3);
		else
			ct_buf_add(&clean, p + i, n);
		i += n;
	}
	char *wire = convert("UTF-7-IMAP", "UTF-8", clean.buf, clean.len);
	ct_buf_release(&clean);
	if (!wire)
		ct_bug("UTF-7-IMAP refused valid UTF-8");
	return wire;
}

char *ct_imap_utf7_decode(const char *mutf7)
{
	/*
	 * A name that is not modified UTF-7 (servers do send them) is kept as it
	 * came. iconv lets some through (an unclosed "&B" at the end), so a name
	 * counts as modified UTF-7 only when it is what its decoding encodes to.
	 */
	char *utf8 = convert("UTF-8", "UTF-7-IMAP", mutf7, strlen(mutf7));
	char *again = utf8 ? convert("UTF-7-IMAP", "UTF-8", utf8, strlen(utf8)) : NULL;
	if (!again || strcmp(again, mutf7)) {
		free(utf8);
		utf8 = ct_strdup(mutf7);
	}
	free(again);
	return utf8;
}
