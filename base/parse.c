/*
 * parse.c - the one way casetrail reads a number, a date or an address from
 * the command line and the configuration: strict parsers that say nothing,
 * and the words that describe what was wanted, so every caller names a
 * mistake the same way.
 */
#include "base.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int ct_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;
	/* strtol skips blanks and takes "+"; a value written by hand may not. */
	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void ct_parse_long_want(long min, long max, const char *unit, char out[128])
{
	const char *of = unit ? " of " : "", *u = unit ? unit : "";
	if (max == LONG_MAX)
		snprintf(out, 128, "a whole number%s%s of at least %ld", of, u, min);
	else
		snprintf(out, 128, "a whole number%s%s from %ld to %ld", of, u, min, max);
}

int ct_parse_address(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || at[1] == '.' || s[strlen(s) - 1] == '.')
		return -1;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || *p == '<' || *p == '>' || *p == ',')
			return -1;
	return 0;
}

int ct_opt_long(const char *opt, const char *s, long min, long max, long *out)
{
	char want[128];
	if (!ct_parse_long(s, min, max, out))
		return 0;
	ct_parse_long_want(min, max, NULL, want);
	return ct_error("%s takes %s, not '%s'", opt, want, s);
}

int ct_opt_int(const char *opt, const char *s, int min, int max, int *out)
{
	long v;
	if (ct_opt_long(opt, s, min, max, &v))
		return -1;
	*out = (int)v;
	return 0;
}

int ct_opt_date(const char *opt, const char *s, ct_time *out)
{
	if (!ct_time_parse(s, out))
		return 0;
	return ct_error("%s takes a date (YYYY-MM-DD or ISO 8601, UTC), not '%s'", opt, s);
}

int ct_opt_period(ct_time since, ct_time until)
{
	char a[32], b[32];
	if (!since || !until || since < until)
		return 0;
	ct_time_iso(since, a);
	ct_time_iso(until, b);
	return ct_error("--since (%s) must be before --until (%s)", a, b);
}

int ct_opt_unknown(const char *what, const char *s, const char *known)
{
	return ct_error("unknown %s '%s' (known: %s)", what, s, known);
}
