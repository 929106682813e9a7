/*
 * base.h - the public face of base/, the ground every casetrail folder stands
 * on: error reporting, allocation that never returns NULL, the growable
 * string, string lists, UTC time, hashes, UTF-8 and reading numbers, dates
 * and addresses from the command line and the configuration. base/ includes nothing
 * from another folder.
 *
 * Memory: functions returning char * hand ownership to the caller unless the
 * comment says "borrowed".
 */
#ifndef CT_BASE_H
#define CT_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CT_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Prints "casetrail: error: ..." on stderr and returns -1. */
int ct_error(const char *fmt, ...) CT_PRINTF(1, 2);
/* Prints "casetrail: warning: ..." on stderr. */
void ct_warn(const char *fmt, ...) CT_PRINTF(1, 2);
/* Prints "casetrail: hint: ..." on stderr. */
void ct_hint(const char *fmt, ...) CT_PRINTF(1, 2);
/* Broken invariant: prints and aborts. */
_Noreturn void ct_bug_at(const char *file, int line, const char *fmt, ...) CT_PRINTF(3, 4);
#define ct_bug(...) ct_bug_at(__FILE__, __LINE__, __VA_ARGS__)
/* Fatal error (out of memory): prints and exits with status 1. */
_Noreturn void ct_die(const char *fmt, ...) CT_PRINTF(1, 2);

/* Silences ct_warn (tests and --quiet). */
extern int ct_quiet;

/*
 * The first error reported since the last ct_error_mark(), for the run log and
 * the JSON summary of ingest: copies it into buf (size n, NUL-terminated) and
 * returns 1, or returns 0 (buf empty) when none was. ct_error_mark() forgets it.
 * Safe from any thread.
 */
void ct_error_mark(void);
int ct_error_first(char *buf, size_t n);

void *ct_malloc(size_t n);
void *ct_calloc(size_t nmemb, size_t size);
void *ct_realloc(void *p, size_t n);
char *ct_strdup(const char *s);          /* NULL in, NULL out */
char *ct_strndup(const char *s, size_t n);
char *ct_xstrfmt(const char *fmt, ...) CT_PRINTF(1, 2);

/* Grows an array of elements so that it holds at least n of them. */
#define CT_ALLOC_GROW(arr, n, alloc)                                          \
	do {                                                                  \
		if ((size_t)(n) > (size_t)(alloc)) {                          \
			size_t ct_ng_ = (alloc) ? (size_t)(alloc) * 2 : 8;    \
			if (ct_ng_ < (size_t)(n))                             \
				ct_ng_ = (n);                                 \
			(arr) = ct_realloc((arr), ct_ng_ * sizeof(*(arr)));   \
			(alloc) = ct_ng_;                                     \
		}                                                             \
	} while (0)

/*
 * struct ct_buf: a growable byte string. buf is never NULL and always
 * NUL-terminated (it may also hold NUL bytes inside). max, when non-zero, is a
 * hard limit: appends past it are cut and set truncated.
 */
struct ct_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;
	int truncated;
};

extern char ct_buf_slopbuf[];
#define CT_BUF_INIT { ct_buf_slopbuf, 0, 0, 0, 0 }

void ct_buf_init(struct ct_buf *b, size_t max);
void ct_buf_release(struct ct_buf *b);          /* frees, back to INIT */
void ct_buf_reset(struct ct_buf *b);            /* len = 0, keeps memory */
void ct_buf_grow(struct ct_buf *b, size_t extra);
void ct_buf_add(struct ct_buf *b, const void *data, size_t len);
void ct_buf_addstr(struct ct_buf *b, const char *s);
void ct_buf_addch(struct ct_buf *b, int c);
void ct_buf_addf(struct ct_buf *b, const char *fmt, ...) CT_PRINTF(2, 3);
void ct_buf_vaddf(struct ct_buf *b, const char *fmt, va_list ap);
void ct_buf_setlen(struct ct_buf *b, size_t len);
/* Hands the string over to the caller (never NULL) and resets b. */
char *ct_buf_detach(struct ct_buf *b, size_t *len);
/* Reads a whole file; 0 or -1 (reported). */
int ct_buf_read_file(struct ct_buf *b, const char *path);

/* A list of owned strings. */
struct ct_strlist {
	char **v;
	size_t n, alloc;
};
#define CT_STRLIST_INIT { NULL, 0, 0 }
void ct_strlist_push(struct ct_strlist *l, const char *s);       /* copies */
void ct_strlist_push_owned(struct ct_strlist *l, char *s);       /* takes */
int ct_strlist_has(const struct ct_strlist *l, const char *s);   /* exact */
int ct_strlist_has_ci(const struct ct_strlist *l, const char *s);/* ASCII case-insensitive */
void ct_strlist_clear(struct ct_strlist *l);
/* Splits "a, b,c" on commas, trims blanks, skips empties. */
void ct_strlist_split(struct ct_strlist *l, const char *s, char sep);

/* String helpers. */
char *ct_trim(char *s);                  /* in place; returns s moved past blanks */
void ct_lower_ascii(char *s);
int ct_starts_with_ci(const char *s, const char *prefix);
int ct_ends_with(const char *s, const char *suffix);

/* Time: seconds since the epoch, UTC. */
typedef int64_t ct_time;
/* Formats t as 2024-03-04T09:12:01Z into out (at least 21 bytes). */
void ct_time_iso(ct_time t, char out[32]);
/*
 * Parses ISO 8601 / RFC 3339 ("2024-03-04", "2024-03-04T09:12:01Z",
 * "...+02:00", "2024-03-04 09:12:01"). Returns 0 or -1 (not reported).
 */
int ct_time_parse(const char *s, ct_time *out);
/*
 * The same, and *tz_min gets the offset the string carried, in minutes east
 * of UTC (0 for "Z" or none).
 */
int ct_time_parse_tz(const char *s, ct_time *out, int *tz_min);
/* timegm() without the environment dance. */
ct_time ct_timegm(int year, int mon, int mday, int hour, int min, int sec);
/* A day on the calendar (proleptic Gregorian), and the time of day. */
struct ct_civil {
	int year, mon, mday;   /* mon 1..12, mday 1..31 */
	int wday;              /* 0 Sunday .. 6 Saturday */
	int hour, min, sec;
};
/* t (seconds since the epoch) shifted by tz_min minutes, broken down. */
void ct_time_civil(ct_time t, int tz_min, struct ct_civil *out);
/* Days in month mon (1..12) of year. */
int ct_days_in_month(int year, int mon);
/* Formats t as local time at tz_min: 2026-03-05T23:59+01:00 (at least 23 bytes). */
void ct_time_iso_tz(ct_time t, int tz_min, char out[32]);
/* Monotonic clock in seconds. */
double ct_now_mono(void);

/*
 * Reading values (base/parse.c): one way for the command line and the
 * configuration. ct_parse_* return 0 or -1 and print nothing.
 *
 * ct_parse_long: s is a whole decimal number (an optional '-', digits, nothing
 * else: no blanks, no '+') in [min, max]; *out is set only on success.
 * ct_parse_long_want: what such a number is, for messages: "a whole number
 * from 1 to 1000", with unit "a whole number of seconds from 1 to 3600".
 * ct_parse_address: s looks like a mail address (local@domain, no blanks).
 */
int ct_parse_long(const char *s, long min, long max, long *out);
void ct_parse_long_want(long min, long max, const char *unit, char out[128]);
int ct_parse_address(const char *s);
/*
 * Command-line values: each reports its mistake once with ct_error() and
 * returns -1 (the command exits 2), e.g. "--oldest takes a whole number from
 * 1 to 1000, not '-1'". opt is the option as written ("--oldest").
 */
int ct_opt_long(const char *opt, const char *s, long min, long max, long *out);
int ct_opt_int(const char *opt, const char *s, int min, int max, int *out);
/* A date for --since/--until (ct_time_parse). */
int ct_opt_date(const char *opt, const char *s, ct_time *out);
/* --since must come before --until; either 0 means "not given" and passes. */
int ct_opt_period(ct_time since, ct_time until);
/* "unknown WHAT 'S' (known: KNOWN)": a sub-command, a department, ... */
int ct_opt_unknown(const char *what, const char *s, const char *known);

/* FNV-1a 64 over bytes, for hash tables and stamps: anyone can make a collision. */
uint64_t ct_hash64(const void *data, size_t len, uint64_t seed);
/*
 * Two FNV variants as 32 hex digits: the rule set's stamp, and the content
 * ids of stores written before SHA-256 (kept so those still dedupe).
 */
void ct_hash_hex(const void *data, size_t len, char out[33]);
/* SHA-256 (GnuTLS) as 64 hex digits: content ids, which must not collide on purpose. */
void ct_sha256_hex(const void *data, size_t len, char out[65]);

/* UTF-8 (base/utf8.c). Valid UTF-8? (no overlongs, surrogates or > U+10FFFF) */
int ct_utf8_valid(const char *s, size_t len);
/* Length of the UTF-8 sequence starting at s (1 for an invalid byte). */
size_t ct_utf8_seqlen(const unsigned char *s, size_t avail);
/*
 * Decodes the sequence starting at s (avail >= 1 bytes) into *cp and returns
 * its length; an invalid byte decodes as itself with length 1.
 */
size_t ct_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);
/* Appends cp as UTF-8; surrogates and values past U+10FFFF become U+FFFD. */
void ct_utf8_put(struct ct_buf *out, uint32_t cp);
/* Number of terminal columns a UTF-8 string takes (approximation: 1 per code point, 2 for CJK/wide). */
size_t ct_utf8_width(const char *s, size_t len);

#include "banned.h"
#endif
