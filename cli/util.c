/* util.c - errors, allocation, ct_buf, string lists, UTC time, hashes, UTF-8. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

int ct_quiet;
char ct_buf_slopbuf[1];

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "casetrail: %s%s\n", prefix, msg);
}

int ct_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void ct_warn(const char *fmt, ...)
{
	va_list ap;
	if (ct_quiet)
		return;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void ct_hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("hint: ", fmt, ap);
	va_end(ap);
}

void ct_bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "casetrail: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void ct_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void *ct_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		ct_die("out of memory (allocating %zu bytes)", n);
	return p;
}

void *ct_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		ct_die("out of memory (allocating %zu x %zu bytes)", nmemb, size);
	return p;
}

void *ct_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		ct_die("out of memory (allocating %zu bytes)", n);
	return q;
}

char *ct_strdup(const char *s)
{
	return s ? ct_strndup(s, strlen(s)) : NULL;
}

char *ct_strndup(const char *s, size_t n)
{
	char *p = ct_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ct_xstrfmt(const char *fmt, ...)
{
	struct ct_buf b = CT_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ct_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return ct_buf_detach(&b, NULL);
}

/* ---- ct_buf ---- */

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

/* ---- string lists ---- */

void ct_strlist_push_owned(struct ct_strlist *l, char *s)
{
	CT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = s;
}

void ct_strlist_push(struct ct_strlist *l, const char *s)
{
	ct_strlist_push_owned(l, ct_strdup(s));
}

int ct_strlist_has(const struct ct_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

int ct_strlist_has_ci(const struct ct_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i], s))
			return 1;
	return 0;
}

void ct_strlist_clear(struct ct_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

void ct_strlist_split(struct ct_strlist *l, const char *s, char sep)
{
	while (s && *s) {
		const char *e = strchr(s, sep);
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char *piece = ct_strndup(s, n);
		char *t = ct_trim(piece);
		if (*t)
			ct_strlist_push(l, t);
		free(piece);
		s = e ? e + 1 : NULL;
	}
}

char *ct_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void ct_lower_ascii(char *s)
{
	for (; s && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int ct_starts_with_ci(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

int ct_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !memcmp(s + a - b, suffix, b);
}

/* ---- time ---- */

ct_time ct_timegm(int year, int mon, int mday, int hour, int min, int sec)
{
	/* Days from civil, Howard Hinnant's algorithm; mon is 1..12. */
	int y = year - (mon <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (unsigned)((153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + mday - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
	return days * 86400 + hour * 3600 + min * 60 + sec;
}

void ct_time_iso(ct_time t, char out[32])
{
	int64_t days = t / 86400, rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* civil from days */
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += (m <= 2);
	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;
	snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m % 100, d % 100,
		 (int)(rem / 3600) % 100, (int)(rem % 3600 / 60), (int)(rem % 60));
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int ct_time_parse(const char *s, ct_time *out)
{
	int Y, M, D, h = 0, m = 0, sec = 0;
	const char *p = s;
	while (*p == ' ')
		p++;
	if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
	    digits(&p, 2, &D))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31)
		return -1;
	long off = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (h > 23 || m > 59 || sec > 60)
			return -1;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;
			p++;
			if (digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
				return -1;
			off = sign * (oh * 3600L + om * 60L);
		}
	}
	while (*p == ' ')
		p++;
	if (*p)
		return -1;
	*out = ct_timegm(Y, M, D, h, m, sec) - off;
	return 0;
}

double ct_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- hashes ---- */

uint64_t ct_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	/* final avalanche (splitmix64) so short inputs spread */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void ct_hash_hex(const void *data, size_t len, char out[33])
{
	uint64_t a = ct_hash64(data, len, 0), b = ct_hash64(data, len, 0x9e3779b97f4a7c15ULL);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

/* ---- UTF-8 ---- */

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

static uint32_t decode_cp(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0];
	if (n == 2)
		return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
	if (n == 3)
		return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
	return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
}

size_t ct_utf8_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t w = 0;
	while (p < e) {
		size_t n = ct_utf8_seqlen(p, (size_t)(e - p));
		uint32_t cp = decode_cp(p, n);
		p += n;
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
