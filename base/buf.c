/* buf.c - struct ct_buf, the one growable string. */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char ct_buf_slopbuf[1];

void ct_buf_init(struct ct_buf *b, size_t max)
{
	b->buf = ct_buf_slopbuf;
	b->len = b->alloc = 0;
	b->max = max;
	b->truncated = 0;
}

void ct_buf_release(struct ct_buf *b)
{
	size_t max = b->max;
	if (b->alloc)
		free(b->buf);
	ct_buf_init(b, max);
}

void ct_buf_reset(struct ct_buf *b)
{
	ct_buf_setlen(b, 0);
	b->truncated = 0;
}

void ct_buf_setlen(struct ct_buf *b, size_t len)
{
	if (len > b->len && len >= b->alloc)
		ct_bug("ct_buf_setlen beyond allocation");
	b->len = len;
	if (b->alloc)
		b->buf[len] = '\0';
}

void ct_buf_grow(struct ct_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need < b->len)
		ct_die("string too long");
	if (need <= b->alloc)
		return;
	size_t na = b->alloc ? b->alloc : 64;
	while (na < need)
		na *= 2;
	if (!b->alloc) {
		b->buf = ct_malloc(na);
		b->buf[0] = '\0';
	} else {
		b->buf = ct_realloc(b->buf, na);
	}
	b->alloc = na;
}

void ct_buf_add(struct ct_buf *b, const void *data, size_t len)
{
	if (b->max && b->len + len > b->max) {
		len = b->max > b->len ? b->max - b->len : 0;
		b->truncated = 1;
	}
	if (!len)
		return;
	ct_buf_grow(b, len);
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void ct_buf_addstr(struct ct_buf *b, const char *s)
{
	ct_buf_add(b, s, strlen(s));
}

void ct_buf_addch(struct ct_buf *b, int c)
{
	char ch = (char)c;
	ct_buf_add(b, &ch, 1);
}

void ct_buf_vaddf(struct ct_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		ct_bug("bad format '%s'", fmt);
	if (b->max && b->len + (size_t)n > b->max) {
		char *tmp = ct_malloc((size_t)n + 1);
		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		ct_buf_add(b, tmp, (size_t)n);
		free(tmp);
		return;
	}
	ct_buf_grow(b, (size_t)n);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ct_buf_addf(struct ct_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ct_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *ct_buf_detach(struct ct_buf *b, size_t *len)
{
	char *r;
	if (len)
		*len = b->len;
	if (!b->alloc)
		r = ct_strdup("");
	else
		r = b->buf;
	ct_buf_init(b, b->max);
	return r;
}

int ct_buf_read_file(struct ct_buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ct_error("cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		ct_buf_grow(b, (size_t)st.st_size);
	for (;;) {
		ct_buf_grow(b, 65536);
		ssize_t n = read(fd, b->buf + b->len, b->alloc - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return ct_error("cannot read '%s': %s", path, strerror(e));
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->buf[b->len] = '\0';
	}
	close(fd);
	return 0;
}
