/*
 * fuzz.h - what the fuzz targets of tests/fuzz/ share: the libFuzzer entry
 * points, invariant checks that abort with a message naming what broke, an
 * item check for everything a decoder hands over, a sink that checks and
 * frees items, and a temporary file for the loaders that read a path.
 *
 * Each target is one fuzz_<name>.c defining LLVMFuzzerTestOneInput. It is
 * linked either with libFuzzer (make fuzz) or with driver.c, which runs it
 * over seed files and deterministic mutations of them (make fuzz-smoke).
 * A broken invariant prints "INVARIANT: ..." on stderr and aborts, so both
 * engines report it like a crash, with the input saved.
 *
 * Memory: the helpers borrow what they are given; fuzz_tmpfile() returns a
 * path that stays valid for the life of the process.
 */
#ifndef CT_FUZZ_H
#define CT_FUZZ_H

#include "../../base/base.h"
#include "../../ingest/ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_UNUSED __attribute__((unused))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Warnings about bad input are expected by the thousand: not printed. */
__attribute__((constructor)) static void fuzz_quiet(void)
{
	ct_quiet = 1;
}

/* A broken invariant: prints "INVARIANT: " and the message, then aborts. */
static FUZZ_UNUSED CT_PRINTF(1, 2) _Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("INVARIANT: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* s[0, len) must be valid UTF-8; what names it in the message. */
static FUZZ_UNUSED void fuzz_check_utf8(const char *what, const char *s, size_t len)
{
	if (!ct_utf8_valid(s, len)) {
		size_t i = 0;
		while (i < len) {
			size_t n = ct_utf8_seqlen((const unsigned char *)s + i, len - i);
			if (n == 1 && (unsigned char)s[i] >= 0x80)
				break;
			i += n ? n : 1;
		}
		fuzz_fail("%s not valid UTF-8 (bad byte 0x%02x at %zu of %zu)", what,
			  i < len ? (unsigned char)s[i] : 0, i, len);
	}
}

/* A NUL-terminated string that must be valid UTF-8; NULL passes unless required. */
static FUZZ_UNUSED void fuzz_check_str(const char *what, const char *s, int required)
{
	if (!s) {
		if (required)
			fuzz_fail("%s is NULL", what);
		return;
	}
	fuzz_check_utf8(what, s, strlen(s));
}

/* Text that must be valid UTF-8 with no NUL byte in it. */
static FUZZ_UNUSED void fuzz_check_text(const char *what, const char *s, size_t len)
{
	fuzz_check_utf8(what, s, len);
	if (memchr(s, '\0', len))
		fuzz_fail("%s holds a NUL byte at %zu", what, (size_t)((const char *)memchr(s, '\0', len) - s));
}

/* [start, end) must lie inside [0, len) and not be reversed. */
static FUZZ_UNUSED void fuzz_check_span(const char *what, size_t start, size_t end, size_t len)
{
	if (start > end || end > len)
		fuzz_fail("%s [%zu, %zu) outside the text (%zu bytes)", what, start, end, len);
}

/*
 * Everything ingest.h promises about a decoded item's text: subject and
 * body never NULL, valid UTF-8; the body is body_len bytes, NUL-terminated,
 * without NUL inside; display names and forwarded originals valid UTF-8.
 */
static FUZZ_UNUSED void fuzz_check_item(const struct ct_item *it)
{
	fuzz_check_str("subject", it->subject, 1);
	if (!it->body)
		fuzz_fail("body is NULL");
	if (it->body[it->body_len] != '\0')
		fuzz_fail("body not NUL-terminated at body_len %zu", it->body_len);
	fuzz_check_text("body", it->body, it->body_len);
	if (!it->external_id || !*it->external_id)
		fuzz_fail("no external id");
	fuzz_check_str("from name", it->from.name, 0);
	for (size_t i = 0; i < it->to.n; i++)
		fuzz_check_str("to name", it->to.v[i].name, 0);
	for (size_t i = 0; i < it->cc.n; i++)
		fuzz_check_str("cc name", it->cc.v[i].name, 0);
	for (size_t i = 0; i < it->nfwd; i++) {
		fuzz_check_str("forwarded subject", it->fwd[i].subject, 0);
		fuzz_check_str("forwarded body", it->fwd[i].body, 0);
	}
	for (size_t i = 0; i < it->warnings.n; i++)
		if (!it->warnings.v[i])
			fuzz_fail("warning %zu is NULL", i);
}

/* A sink that checks each item it is given (fuzz_check_item) and frees it. */
struct fuzz_sink {
	struct ct_sink sink;
	size_t items;
};

static int fuzz_sink_seen(struct ct_sink *s, const char *source, const char *key)
{
	if (!key)
		fuzz_fail("seen() asked with a NULL key");
	return 0;
}

static int fuzz_sink_item(struct ct_sink *s, struct ct_item *it)
{
	struct fuzz_sink *fs = s->data;
	fuzz_check_item(it);
	fs->items++;
	ct_item_free(it);
	return 0;
}

static char *fuzz_sink_get(struct ct_sink *s, const char *source, const char *name) { return NULL; }
static int fuzz_sink_set(struct ct_sink *s, const char *source, const char *name, const char *value) { return 0; }
static int fuzz_sink_flush(struct ct_sink *s) { return 0; }
static void fuzz_sink_failed(struct ct_sink *s, const char *what) {}

static FUZZ_UNUSED void fuzz_sink_init(struct fuzz_sink *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->sink.seen = fuzz_sink_seen;
	fs->sink.item = fuzz_sink_item;
	fs->sink.get_cursor = fuzz_sink_get;
	fs->sink.set_cursor = fuzz_sink_set;
	fs->sink.flush = fuzz_sink_flush;
	fs->sink.fail = fuzz_sink_failed;
	fs->sink.data = fs;
}

/*
 * Writes data to this process's temporary file (suffix names its kind, as
 * the loaders see it: ".conf", ".jsonl") and returns its path. The file is
 * removed at exit.
 */
static char fuzz_tmp_path[64];

static void fuzz_tmp_remove(void)
{
	if (*fuzz_tmp_path)
		unlink(fuzz_tmp_path);
}

static FUZZ_UNUSED const char *fuzz_tmpfile(const uint8_t *data, size_t size, const char *suffix)
{
	if (!*fuzz_tmp_path) {
		const char *dir = getenv("TMPDIR");
		snprintf(fuzz_tmp_path, sizeof(fuzz_tmp_path), "%.24s/ct-fuzz-%ld%.8s", dir && *dir ? dir : "/tmp",
			 (long)getpid(), suffix);
		atexit(fuzz_tmp_remove);
	}
	FILE *f = fopen(fuzz_tmp_path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(fuzz_tmp_path);
		abort();
	}
	return fuzz_tmp_path;
}

/*
 * Splits data at its first newline (looked for in the first max bytes):
 * *head gets a NUL-terminated copy of the line (freed by the caller), and
 * *rest / *rest_len what follows. Without a newline, head is "" and rest is
 * all of data.
 */
static FUZZ_UNUSED void fuzz_split_line(const uint8_t *data, size_t size, size_t max, char **head,
					const uint8_t **rest, size_t *rest_len)
{
	const uint8_t *nl = memchr(data, '\n', size < max ? size : max);
	if (!nl) {
		*head = ct_strdup("");
		*rest = data;
		*rest_len = size;
		return;
	}
	*head = ct_strndup((const char *)data, (size_t)(nl - data));
	*rest = nl + 1;
	*rest_len = size - (size_t)(nl + 1 - data);
}

#endif
