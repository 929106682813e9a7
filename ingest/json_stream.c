/*
 * json_stream.c - a JSON text read from a file one value at a time: the
 * structure (objects, arrays, keys) is scanned here without building
 * anything, and only the values a reader wants are copied out whole and
 * decoded with jansson. This keeps memory flat for a helpdesk export of any
 * size, and tells where a cut or damaged file stops being readable.
 */
#include "tickets_p.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define JS_CHUNK 65536

void ct_jstream_init(struct ct_jstream *js, FILE *f)
{
	memset(js, 0, sizeof(*js));
	js->f = f;
	js->buf = ct_malloc(JS_CHUNK);
}

void ct_jstream_release(struct ct_jstream *js)
{
	free(js->buf);
	js->buf = NULL;
}

long long ct_jstream_offset(const struct ct_jstream *js)
{
	return js->base + (long long)js->pos;
}

int ct_jstream_seek(struct ct_jstream *js, long long off)
{
	js->base = off;
	js->pos = js->len = 0;
	js->eof = 0;
	if (fseeko(js->f, (off_t)off, SEEK_SET) != 0) {
		snprintf(js->err, sizeof(js->err), "cannot seek: %s", strerror(errno));
		js->err_off = off;
		return -1;
	}
	return 0;
}

/* Records the first problem and where it is; returns -1. */
static int fail(struct ct_jstream *js, const char *fmt, ...) CT_PRINTF(2, 3);
static int fail(struct ct_jstream *js, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(js->err, sizeof(js->err), fmt, ap);
	va_end(ap);
	js->err_off = ct_jstream_offset(js);
	return -1;
}

/* Makes at least one byte available; 0 at the end of the file (or a read error, noted). */
static int fill(struct ct_jstream *js)
{
	if (js->pos < js->len)
		return 1;
	if (js->eof)
		return 0;
	js->base += (long long)js->len;
	js->pos = 0;
	js->len = fread(js->buf, 1, JS_CHUNK, js->f);
	if (js->len == 0) {
		js->eof = 1;
		if (ferror(js->f))
			js->read_errno = errno ? errno : EIO;
		return 0;
	}
	return 1;
}

static int eof_error(struct ct_jstream *js)
{
	if (js->read_errno)
		return fail(js, "read error: %s", strerror(js->read_errno));
	return fail(js, "unexpected end of file");
}

int ct_jstream_unexpected(struct ct_jstream *js, int c, const char *want)
{
	if (c < 0)
		return eof_error(js);
	return fail(js, "expected %s, found '%c'", want, c);
}

int ct_jstream_peek(struct ct_jstream *js)
{
	while (fill(js)) {
		unsigned char c = (unsigned char)js->buf[js->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return c;
		js->pos++;
	}
	return -1;
}

int ct_jstream_expect(struct ct_jstream *js, int c)
{
	int got = ct_jstream_peek(js);
	if (got == c) {
		js->pos++;
		return 0;
	}
	char want[4] = { '\'', (char)c, '\'', 0 };
	return ct_jstream_unexpected(js, got, want);
}

static void put(struct ct_buf *copy, int c)
{
	if (copy)
		ct_buf_addch(copy, c);
}

/* A string, at its opening quote: up to and with the closing quote. */
static int scan_string(struct ct_jstream *js, struct ct_buf *copy)
{
	js->pos++;
	put(copy, '"');
	int escaped = 0;
	for (;;) {
		if (!fill(js))
			return eof_error(js);
		const char *p = js->buf + js->pos, *end = js->buf + js->len;
		if (escaped) {
			escaped = 0;
			put(copy, *p);
			js->pos++;
			continue;
		}
		/* the long run of plain bytes goes in one piece */
		const char *q = p;
		while (q < end && *q != '"' && *q != '\\')
			q++;
		if (copy)
			ct_buf_add(copy, p, (size_t)(q - p));
		js->pos += (size_t)(q - p);
		if (q == end)
			continue;
		put(copy, *q);
		js->pos++;
		if (*q == '"')
			return 0;
		escaped = 1;
	}
}

static int is_scalar_char(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
	       c == '+' || c == '.';
}

/* Whitespace between tokens of a copied value becomes one space, so "1 2" stays two tokens. */
static int peek_copy(struct ct_jstream *js, struct ct_buf *copy)
{
	long long before = ct_jstream_offset(js);
	int c = ct_jstream_peek(js);
	if (copy && copy->len && ct_jstream_offset(js) != before)
		ct_buf_addch(copy, ' ');
	return c;
}

int ct_jstream_value(struct ct_jstream *js, struct ct_buf *copy)
{
	struct ct_buf stack = CT_BUF_INIT;
	int c, ret = -1;
	for (;;) {
		/* a value */
		c = peek_copy(js, copy);
		if (c < 0) {
			eof_error(js);
			goto out;
		}
		if (c == '{' || c == '[') {
			js->pos++;
			put(copy, c);
			ct_buf_addch(&stack, c);
			int close = c == '{' ? '}' : ']';
			c = peek_copy(js, copy);
			if (c == close) {
				js->pos++;
				put(copy, c);
				ct_buf_setlen(&stack, stack.len - 1);
			} else {
				if (stack.buf[stack.len - 1] == '{')
					goto key;
				continue;
			}
		} else if (c == '"') {
			if (scan_string(js, copy))
				goto out;
		} else if (is_scalar_char(c)) {
			while (fill(js) && is_scalar_char((unsigned char)js->buf[js->pos])) {
				put(copy, js->buf[js->pos]);
				js->pos++;
			}
		} else {
			fail(js, "unexpected character '%c'", c);
			goto out;
		}
		/* after a value: the end, a comma, or the close of its container */
		for (;;) {
			if (!stack.len) {
				ret = 0;
				goto out;
			}
			int open = stack.buf[stack.len - 1], close = open == '{' ? '}' : ']';
			c = peek_copy(js, copy);
			if (c == close) {
				js->pos++;
				put(copy, c);
				ct_buf_setlen(&stack, stack.len - 1);
				continue;
			}
			if (c != ',') {
				ct_jstream_unexpected(js, c, close == '}' ? "',' or '}'" : "',' or ']'");
				goto out;
			}
			js->pos++;
			put(copy, ',');
			if (open == '{')
				goto key;
			break;
		}
		continue;
key:
		c = peek_copy(js, copy);
		if (c != '"') {
			ct_jstream_unexpected(js, c, "a key");
			goto out;
		}
		if (scan_string(js, copy))
			goto out;
		c = peek_copy(js, copy);
		if (c != ':') {
			ct_jstream_unexpected(js, c, "':' after a key");
			goto out;
		}
		js->pos++;
		put(copy, ':');
	}
out:
	ct_buf_release(&stack);
	return ret;
}

char *ct_jstream_key(struct ct_jstream *js)
{
	struct ct_buf raw = CT_BUF_INIT;
	char *key = NULL;
	int c = ct_jstream_peek(js);
	if (c != '"') {
		ct_jstream_unexpected(js, c, "a key");
		goto out;
	}
	long long at = ct_jstream_offset(js);
	if (scan_string(js, &raw) || ct_jstream_expect(js, ':'))
		goto out;
	json_t *s = json_loadb(raw.buf, raw.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (json_is_string(s))
		key = ct_strdup(json_string_value(s));
	else {
		snprintf(js->err, sizeof(js->err), "a key that is not a valid string");
		js->err_off = at;
	}
	json_decref(s);
out:
	ct_buf_release(&raw);
	return key;
}
