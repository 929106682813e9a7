/*
 * fetch_mbox.c - reads an mbox file: messages separated by "From " lines
 * (LF, CRLF or CR line endings), ">From " unescaped the mboxrd way (one '>'
 * removed from ">+From " lines; for mboxo files this is the same for the one
 * level they escape). A message's key is a hash of its content, so a
 * rewritten mbox is not read twice. An mbox that only grew since the last run
 * is read from where that run ended (cursor "end": offset and a fingerprint
 * of the bytes before it).
 */
#include "local_p.h"
#include "../config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int line_start(const char *base, const char *p)
{
	return p == base || p[-1] == '\n' || p[-1] == '\r';
}

/* 1 when f (a line start) starts the file or follows an empty line (LF, CRLF or CR). */
static int after_blank_line(const char *base, const char *f)
{
	const char *q = f;
	if (q == base)
		return 1;
	q--;  /* the line end before f */
	if (*q == '\n' && q > base && q[-1] == '\r')
		q--;
	return q == base || q[-1] == '\n' || q[-1] == '\r';
}

static int word_in(const char *w, size_t n, const char *list)
{
	for (const char *l = list; n == 3 && *l; l += 3)
		if (!strncasecmp(w, l, 3))
			return 1;
	return 0;
}

static int digits(const char *w, size_t n, size_t min, size_t max)
{
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (w[i] < '0' || w[i] > '9')
			return 0;
	return 1;
}

/* "hh:mm" or "hh:mm:ss" */
static int clock_time(const char *w, size_t n)
{
	return (n == 5 || n == 8) && digits(w, 2, 2, 2) && w[2] == ':' && digits(w + 3, 2, 2, 2) &&
	       (n == 5 || (w[5] == ':' && digits(w + 6, 2, 2, 2)));
}

/*
 * Whether the line at p ("From ...") is an mbox separator, as mutt's
 * is_from() reads one: "From", a sender, then an asctime date (weekday,
 * month, day, hh:mm[:ss], the year, perhaps after a time zone):
 * "From a@b.example Mon Mar  4 09:10:01 2024".
 */
static int separator_line(const char *p, const char *end)
{
	enum { MAXW = 24 };
	const char *w[MAXW];
	size_t wn[MAXW], n = 0;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	for (const char *q = p + 5, *e = eol ? eol : end; q < e && n < MAXW;) {
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == e)
			break;
		w[n] = q;
		while (q < e && *q != ' ' && *q != '\t' && *q != '\r')
			q++;
		wn[n] = (size_t)(q - w[n]);
		n++;
	}
	/* w[0] is the sender; the date may follow a sender of several words */
	for (size_t i = 1; i + 4 < n; i++) {
		if (!word_in(w[i], wn[i], "MonTueWedThuFriSatSun") ||
		    !word_in(w[i + 1], wn[i + 1], "JanFebMarAprMayJunJulAugSepOctNovDec") ||
		    !digits(w[i + 2], wn[i + 2], 1, 2) || !clock_time(w[i + 3], wn[i + 3]))
			continue;
		for (size_t j = i + 4; j < n && j <= i + 6; j++)
			if (digits(w[j], wn[j], 4, 4))
				return 1;
	}
	return 0;
}

/*
 * Next separator at or after p, or end: a "From " line that starts the
 * file or follows an empty line, and reads as a separator. Other "From "
 * lines are body text an mboxo writer did not escape.
 */
static const char *next_from(const char *base, const char *p, const char *end)
{
	while (p + 5 <= end) {
		const char *f = memmem(p, (size_t)(end - p), "From ", 5);
		if (!f)
			break;
		if (line_start(base, f) && after_blank_line(base, f) && separator_line(f, end))
			return f;
		p = f + 1;
	}
	return end;
}

static uint64_t fingerprint(const char *base, size_t off)
{
	size_t n = off < 4096 ? off : 4096;
	return ct_hash64(base + off - n, n, off);
}

/* Copies the message unescaping >From lines. */
static void unescape(struct ct_buf *out, const char *p, const char *end)
{
	ct_buf_reset(out);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;
		const char *q = p;
		while (q < le && *q == '>')
			q++;
		if (q > p && le - q >= 5 && !memcmp(q, "From ", 5))
			p++;
		ct_buf_add(out, p, (size_t)(le - p));
		p = le;
	}
}

int ct_mbox_ingest(const char *path, const char *source, const char *dept, struct ct_sink *sink)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct ct_buf msg = CT_BUF_INIT;
	int ret = 0;
	if (fd < 0)
		return ct_error("source '%s': cannot open mbox '%s': %s", source, path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ct_error("source '%s': '%s' is not a regular file", source, path);
	}
	size_t size = (size_t)st.st_size;
	if (!size) {
		close(fd);
		return 0;
	}
	char *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return ct_error("source '%s': cannot map '%s': %s", source, path, strerror(errno));
	const char *end = base + size;
	const char *p = base;

	/* Resume where the last run ended when the file only grew. */
	char *cur = sink->get_cursor ? sink->get_cursor(sink, source, "end") : NULL;
	if (cur) {
		unsigned long long off = 0, fp = 0;
		if (sscanf(cur, "%llu %llx", &off, &fp) == 2 && off <= size &&
		    fingerprint(base, (size_t)off) == fp)
			p = base + off;
		free(cur);
	}
	if (p == base && (size < 5 || memcmp(base, "From ", 5))) {
		/* Not starting with "From ": tolerate leading blank lines, else refuse. */
		const char *f = next_from(base, base, end);
		const char *q = base;
		while (q < f && (*q == '\n' || *q == '\r' || *q == ' ' || *q == '\t'))
			q++;
		if (q != f) {
			munmap(base, size);
			return ct_error("source '%s': '%s' is not an mbox (it does not start with a \"From \" line)",
					source, path);
		}
		p = f;
	}
	size_t done = 0;
	while (p < end) {
		const char *hdr_end = memchr(p, '\n', (size_t)(end - p));
		const char *body = hdr_end ? hdr_end + 1 : end;
		const char *next = next_from(base, body, end);
		/* the line ending before the next "From " belongs to the separator */
		const char *mend = next;
		if (mend > body && mend[-1] == '\n')
			mend--;
		if (mend > body && mend[-1] == '\r')
			mend--;
		unescape(&msg, body, mend);
		char *key;
		int seen = ct_local_seen_content(sink, source, msg.buf, msg.len, &key);
		if (seen < 0) {
			free(key);
			ret = -1;
			break;
		}
		if (!seen && ct_local_deliver(sink, msg.buf, msg.len, (ct_time)st.st_mtime, source, dept,
					      key)) {
			free(key);
			ret = -1;
			break;
		}
		free(key);
		done++;
		if (sink->progress)
			sink->progress(sink, source, (size_t)(next - base), size);
		p = next;
	}
	if (!ret && sink->set_cursor) {
		char v[64];
		snprintf(v, sizeof(v), "%zu %llx", size, (unsigned long long)fingerprint(base, size));
		ret = sink->set_cursor(sink, source, "end", v);
	}
	munmap(base, size);
	ct_buf_release(&msg);
	return ret;
}

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	return ct_mbox_ingest(src->path, src->name, src->department, sink);
}

const struct ct_fetcher ct_fetch_mbox = { "mbox", run };
