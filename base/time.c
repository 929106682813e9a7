/* time.c - UTC time: ISO 8601 formatting and parsing, timegm, a monotonic clock. */
#include "base.h"

#include <ctype.h>
#include <string.h>

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
	int tz;
	return ct_time_parse_tz(s, out, &tz);
}

int ct_time_parse_tz(const char *s, ct_time *out, int *tz_min)
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
	*tz_min = (int)(off / 60);
	return 0;
}

double ct_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ct_days_in_month(int year, int mon)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mon < 1 || mon > 12)
		return 30;
	if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[mon - 1];
}

void ct_time_civil(ct_time t, int tz_min, struct ct_civil *out)
{
	t += (ct_time)tz_min * 60;
	int64_t days = t / 86400, rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* 1970-01-01 was a Thursday. */
	out->wday = (int)(((days % 7) + 11) % 7);
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	out->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	out->year = (int)(y + (out->mon <= 2));
	out->hour = (int)(rem / 3600);
	out->min = (int)(rem % 3600 / 60);
	out->sec = (int)(rem % 60);
}

void ct_time_iso_tz(ct_time t, int tz_min, char out[32])
{
	struct ct_civil c;
	ct_time_civil(t, tz_min, &c);
	int a = tz_min < 0 ? -tz_min : tz_min;
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d%c%02d:%02d", c.year % 10000, c.mon, c.mday, c.hour, c.min,
		 tz_min < 0 ? '-' : '+', a / 60 % 100, a % 60);
}
