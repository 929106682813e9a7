/* alloc.c - error reporting and allocation that never returns NULL. */
#include "base.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int ct_quiet;

/* The first error since ct_error_mark(); fetchers report from two threads. */
static pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_error[512];

void ct_error_mark(void)
{
	pthread_mutex_lock(&first_lock);
	first_error[0] = '\0';
	pthread_mutex_unlock(&first_lock);
}

int ct_error_first(char *buf, size_t n)
{
	pthread_mutex_lock(&first_lock);
	snprintf(buf, n, "%s", first_error);
	pthread_mutex_unlock(&first_lock);
	return buf[0] != '\0';
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "casetrail: %s%s\n", prefix, msg);
}

int ct_error(const char *fmt, ...)
{
	va_list ap;
	char msg[4096];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "casetrail: error: %s\n", msg);
	pthread_mutex_lock(&first_lock);
	if (!first_error[0]) {
		size_t l = strnlen(msg, sizeof(first_error) - 1);
		memcpy(first_error, msg, l);
		first_error[l] = '\0';
	}
	pthread_mutex_unlock(&first_lock);
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
