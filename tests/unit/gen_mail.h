/*
 * gen_mail.h - a small generator of MIME messages for the unit tests that
 * compare a reader with libetpan's (test_mime_tree.c, test_header_diff.c):
 * a grammar with libetpan's trouble spots over-represented, and random
 * mutations. Deterministic for a given seed.
 */
#ifndef CT_GEN_MAIL_H
#define CT_GEN_MAIL_H

#include <stdio.h>
#include <string.h>

struct gen {
	char buf[16384];
	size_t len;
	unsigned seed;
};

static unsigned rnd(struct gen *g, unsigned n)
{
	g->seed = g->seed * 1103515245u + 12345u;
	return (g->seed >> 16) % n;
}

static void put(struct gen *g, const char *s)
{
	size_t n = strlen(s);
	if (g->len + n < sizeof(g->buf)) {
		memcpy(g->buf + g->len, s, n);
		g->len += n;
	}
}

#define PICK(g, a) ((a)[rnd((g), sizeof(a) / sizeof((a)[0]))])

static void gen_part(struct gen *g, int depth)
{
	static const char *const types[] = {
		"text/plain", "text/html", "TEXT/Plain", "application/pdf", "message/rfc822",
		"multipart/mixed", "multipart/alternative", "multipart/digest", "x-foo/bar", "text",
		"text /plain", "textual/x",
	};
	static const char *const params[] = {
		"; charset=utf-8", "; charset=\"iso-8859-1\"", ";\n\tformat=flowed", "; name=\"a  b\"", ";",
		"; x", "; a=b c", " (c)", "; a=\"b\n c\"", ";\n \n x=y", "; A*=utf-8''%41", "; a=<b>",
	};
	static const char *const boundaries[] = { "b1", "=_b2", "----=_P", "b", "-" };
	static const char *const delims[] = { "--%s\n", "--%s  \n", "\n--%s\n", "--%sX\n", "--%s--\n",
					       "--%s\n\n", "--%s", "-- %s\n" };
	static const char *const texts[] = { "hello\n", "line\n-- \nsig\n", "--\n", "x--b1\n", "\n", "a\tb\n" };
	const char *bnd = PICK(g, boundaries);
	int multi = 0, rfc822 = 0;
	char line[128];
	for (unsigned i = 0, n = rnd(g, 5); i < n; i++) {
		unsigned k = rnd(g, 8);
		if (k < 4) {
			const char *t = PICK(g, types);
			multi = !strncmp(t, "multipart/", 10);
			rfc822 = !strcmp(t, "message/rfc822");
			put(g, rnd(g, 4) ? "Content-Type: " : "content-type:");
			put(g, t);
			if (multi && rnd(g, 8)) {
				snprintf(line, sizeof(line), rnd(g, 2) ? "; boundary=\"%s\"" : ";\n boundary=%s", bnd);
				put(g, line);
			}
			for (unsigned j = 0, np = rnd(g, 3); j < np; j++)
				put(g, PICK(g, params));
			put(g, "\n");
		} else if (k == 4) {
			put(g, rnd(g, 2) ? "Content-Transfer-Encoding: base64\n" : "Content-Transfer-Encoding: 7bit\n");
		} else if (k == 5) {
			put(g, rnd(g, 2) ? "Content-Disposition: attachment; filename=a.txt\n" : "Content-Disposition: inline\n");
		} else {
			put(g, rnd(g, 2) ? "MIME-Version: 1.0\n" : "X-Other: y\n");
		}
	}
	if (rnd(g, 10))
		put(g, "\n");
	if (depth > 3)
		multi = rfc822 = 0;
	if (rfc822 && rnd(g, 4)) {
		put(g, "Subject: fwd\n");
		gen_part(g, depth + 1);
		return;
	}
	if (!multi) {
		for (unsigned i = 0, n = rnd(g, 4); i < n; i++)
			put(g, PICK(g, texts));
		return;
	}
	if (rnd(g, 3))
		put(g, rnd(g, 2) ? "preamble\n" : "-\n--\n-x--");
	for (unsigned i = 0, n = rnd(g, 4); i < n; i++) {
		snprintf(line, sizeof(line), rnd(g, 5) ? delims[0] : PICK(g, delims), bnd);
		put(g, line);
		gen_part(g, depth + 1);
	}
	if (rnd(g, 4)) {
		snprintf(line, sizeof(line), rnd(g, 4) ? "--%s--\n" : "--%s--", bnd);
		put(g, line);
	}
}

/* A few mutations of the message so far: bytes cut out or tokens put in. */
static void gen_mutate(struct gen *g)
{
	static const char *const cuts[] = { "\n", "-", "--", "\n--", "; ", "\"", " ", "\n ", ":", ";", "=",
					    "\n--b1\n", "\n--b1--\n", "\n\n" };
	for (unsigned k = 0, n = rnd(g, 3); k < n && g->len; k++) {
		size_t pos = rnd(g, (unsigned)g->len);
		if (rnd(g, 2)) {
			size_t cut = 1 + rnd(g, 4);
			if (pos + cut > g->len)
				cut = g->len - pos;
			memmove(g->buf + pos, g->buf + pos + cut, g->len - pos - cut);
			g->len -= cut;
		} else {
			const char *t = PICK(g, cuts);
			size_t tl = strlen(t);
			if (g->len + tl < sizeof(g->buf)) {
				memmove(g->buf + pos + tl, g->buf + pos, g->len - pos);
				memcpy(g->buf + pos, t, tl);
				g->len += tl;
			}
		}
	}
}

#endif
