/*
 * due.c - the due time of a commitment: reads the time expression in the
 * text a promise rule matched ("by Thursday", "within 48 hours", "bis
 * Freitag", "innerhalb von zwei Werktagen", "before the go-live on 3 March")
 * and resolves it against the moment and the time zone the message was
 * written in. English and German. The choices (which Friday "next Friday"
 * is, what hour "end of day" is) are listed in classify.h.
 */
#include "classify_p.h"

#include <ctype.h>
#include <string.h>

enum { T_WORD, T_NUM, T_PUNCT };

struct tok {
	int type;
	size_t s, e;        /* bytes in the text */
	char w[24];         /* lower case (ASCII, and Ä Ö Ü to ä ö ü); cut at 23 bytes */
	long num;           /* T_NUM */
	int ordinal;        /* T_NUM followed by st/nd/rd/th */
};

#define MAX_TOKS 96

/* Splits text into words, numbers and single punctuation marks. */
static size_t tokenize(const char *text, size_t len, struct tok *v, size_t max)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t n = 0, i = 0;
	while (i < len && n < max) {
		unsigned char c = t[i];
		if (isspace(c)) {
			i++;
			continue;
		}
		struct tok *k = &v[n];
		memset(k, 0, sizeof(*k));
		k->s = i;
		if (isdigit(c)) {
			long num = 0;
			while (i < len && isdigit(t[i])) {
				if (num < 100000)
					num = num * 10 + (t[i] - '0');
				i++;
			}
			k->type = T_NUM;
			k->num = num;
			k->e = i;
			if (i + 1 < len && (!strncasecmp(text + i, "st", 2) || !strncasecmp(text + i, "nd", 2) ||
					    !strncasecmp(text + i, "rd", 2) || !strncasecmp(text + i, "th", 2)) &&
			    (i + 2 == len || !isalpha(t[i + 2]))) {
				k->ordinal = 1;
				i += 2;
				k->e = i;
			}
			snprintf(k->w, sizeof(k->w), "%ld", num);
			n++;
			continue;
		}
		if (isalpha(c) || c >= 0x80) {
			size_t w = 0;
			while (i < len && (isalpha(t[i]) || t[i] >= 0x80 || t[i] == '\'')) {
				unsigned char d = t[i];
				if (d == 0xC3 && i + 1 < len && t[i + 1] >= 0x80 && t[i + 1] <= 0x9E) {
					/* Latin-1 capitals (Ä Ö Ü ...) to lower case */
					if (w + 2 < sizeof(k->w)) {
						k->w[w++] = (char)0xC3;
						k->w[w++] = (char)(t[i + 1] + 0x20);
					}
					i += 2;
					continue;
				}
				if (w + 1 < sizeof(k->w))
					k->w[w++] = (char)tolower(d);
				i++;
			}
			k->w[w] = '\0';
			k->type = T_WORD;
			k->e = i;
			n++;
			continue;
		}
		k->type = T_PUNCT;
		k->w[0] = (char)c;
		k->e = ++i;
		n++;
	}
	return n;
}

static int is(const struct tok *v, size_t n, size_t i, const char *w)
{
	return i < n && v[i].type != T_NUM && !strcmp(v[i].w, w);
}

/* Is token i one of the words of list (NULL-terminated)? */
static int is_any(const struct tok *v, size_t n, size_t i, const char *const *list)
{
	for (; *list; list++)
		if (is(v, n, i, *list))
			return 1;
	return 0;
}

/* 1 Monday .. 7 Sunday, or 0. */
static int weekday(const struct tok *v, size_t n, size_t i)
{
	static const char *const names[][4] = {
		{ "monday", "mon", "montag", NULL },
		{ "tuesday", "tue", "tues", "dienstag" },
		{ "wednesday", "wed", "mittwoch", NULL },
		{ "thursday", "thu", "thurs", "donnerstag" },
		{ "friday", "fri", "freitag", NULL },
		{ "saturday", "sat", "samstag", "sonnabend" },
		{ "sunday", "sun", "sonntag", NULL },
	};
	if (i >= n || v[i].type != T_WORD)
		return 0;
	for (int d = 0; d < 7; d++)
		for (int k = 0; k < 4 && names[d][k]; k++)
			if (!strcmp(v[i].w, names[d][k]))
				return d + 1;
	/* "fridays" and the like are habits, not days */
	return 0;
}

/* 1..12, or 0. "may"/"mai" and "march"/"mar" only count next to a day number (the caller checks). */
static int month(const struct tok *v, size_t n, size_t i)
{
	static const char *const names[][5] = {
		{ "january", "jan", "januar", "jänner", NULL },
		{ "february", "feb", "februar", NULL, NULL },
		{ "march", "mar", "märz", "mär", "maerz" },
		{ "april", "apr", NULL, NULL, NULL },
		{ "may", "mai", NULL, NULL, NULL },
		{ "june", "jun", "juni", NULL, NULL },
		{ "july", "jul", "juli", NULL, NULL },
		{ "august", "aug", NULL, NULL, NULL },
		{ "september", "sep", "sept", NULL, NULL },
		{ "october", "oct", "oktober", "okt", NULL },
		{ "november", "nov", NULL, NULL, NULL },
		{ "december", "dec", "dezember", "dez", NULL },
	};
	if (i >= n || v[i].type != T_WORD)
		return 0;
	for (int m = 0; m < 12; m++)
		for (int k = 0; k < 5 && names[m][k]; k++)
			if (!strcmp(v[i].w, names[m][k]))
				return m + 1;
	return 0;
}

/* A count: digits or a number word. *used gets the tokens it took. 0 when none. */
static long count(const struct tok *v, size_t n, size_t i, size_t *used)
{
	static const struct {
		const char *w;
		int n;
	} words[] = {
		{ "a", 1 }, { "an", 1 }, { "one", 1 }, { "ein", 1 }, { "eine", 1 }, { "einem", 1 }, { "einer", 1 },
		{ "einen", 1 }, { "eins", 1 }, { "two", 2 }, { "zwei", 2 }, { "couple", 2 }, { "three", 3 },
		{ "drei", 3 }, { "four", 4 }, { "vier", 4 }, { "five", 5 }, { "fünf", 5 }, { "six", 6 },
		{ "sechs", 6 }, { "seven", 7 }, { "sieben", 7 }, { "eight", 8 }, { "acht", 8 }, { "nine", 9 },
		{ "neun", 9 }, { "ten", 10 }, { "zehn", 10 }, { "eleven", 11 }, { "elf", 11 }, { "twelve", 12 },
		{ "zwölf", 12 }, { "fourteen", 14 }, { "vierzehn", 14 }, { "fifteen", 15 }, { "twenty", 20 },
		{ "thirty", 30 }, { "forty", 40 }, { "seventy", 70 }, { "vierundzwanzig", 24 },
		{ "achtundvierzig", 48 }, { "zweiundsiebzig", 72 },
	};
	*used = 0;
	if (i >= n)
		return 0;
	if (v[i].type == T_NUM && !v[i].ordinal) {
		*used = 1;
		return v[i].num;
	}
	for (size_t k = 0; k < CT_ARRAY_SIZE(words); k++)
		if (is(v, n, i, words[k].w)) {
			long c = words[k].n;
			*used = 1;
			if (c == 2 && !strcmp(words[k].w, "couple") && is(v, n, i + 1, "of"))
				*used = 2;
			/* twenty-four, forty-eight, seventy-two */
			if (c >= 20 && c % 10 == 0 && is(v, n, i + 1, "-")) {
				size_t u;
				long d = count(v, n, i + 2, &u);
				if (u && d >= 1 && d <= 9) {
					c += d;
					*used = 2 + u;
				}
			}
			return c;
		}
	return 0;
}

/*
 * A duration unit at i: 'm' minutes, 'h' hours, 'd' days, 'b' business days,
 * 'w' weeks; 0 none. *used: tokens taken.
 */
static int unit(const struct tok *v, size_t n, size_t i, size_t *used)
{
	static const char *const mins[] = { "minute", "minutes", "min", "mins", "minuten", NULL };
	static const char *const hours[] = { "hour", "hours", "hr", "hrs", "h", "stunde", "stunden", "std", NULL };
	static const char *const days[] = { "day", "days", "tag", "tage", "tagen", NULL };
	static const char *const bdays[] = { "werktag", "werktage", "werktagen", "arbeitstag", "arbeitstage",
					     "arbeitstagen", "geschäftstag", "geschäftstage", "geschäftstagen", NULL };
	static const char *const weeks[] = { "week", "weeks", "woche", "wochen", NULL };
	*used = 1;
	if (is_any(v, n, i, mins))
		return 'm';
	if (is_any(v, n, i, hours))
		return 'h';
	if (is_any(v, n, i, days))
		return 'd';
	if (is_any(v, n, i, bdays))
		return 'b';
	if (is_any(v, n, i, weeks))
		return 'w';
	if ((is(v, n, i, "business") || is(v, n, i, "working") || is(v, n, i, "work")) &&
	    (is(v, n, i + 1, "day") || is(v, n, i + 1, "days"))) {
		*used = 2;
		return 'b';
	}
	*used = 0;
	return 0;
}

/* What the scan found. */
struct found {
	int have_day;           /* a local calendar day */
	int year, mon, mday;
	int have_tod;           /* a time of day */
	int hour, min;
	int have_abs;           /* an exact moment (durations) */
	ct_time abs;
	int vague_year;         /* the date named no year */
	size_t ts, te;          /* token range used */
};

/* Local day (days since the epoch) of a calendar date. */
static int64_t day_no(int y, int m, int d)
{
	return ct_timegm(y, m, d, 0, 0, 0) / 86400;
}

static void set_day(struct found *f, int64_t day)
{
	struct ct_civil c;
	ct_time_civil(day * 86400, 0, &c);
	f->have_day = 1;
	f->year = c.year;
	f->mon = c.mon;
	f->mday = c.mday;
}

static void span(struct found *f, size_t a, size_t b)
{
	if (a < f->ts)
		f->ts = a;
	if (b > f->te)
		f->te = b;
}

/* ISO weekday 1..7 of a day number. */
static int iso_wday(int64_t day)
{
	int w = (int)(((day % 7) + 11) % 7); /* 0 Sunday */
	return w == 0 ? 7 : w;
}

/* Adds k business days to day (Monday..Friday count; from a weekend, Monday is the first). */
static int64_t add_business(int64_t day, long k)
{
	while (k > 0) {
		day++;
		if (iso_wday(day) <= 5)
			k--;
	}
	return day;
}

/* A time of day at token i: "3pm", "15:00", "15 Uhr", "noon". 1 found. */
static int time_of_day(const struct tok *v, size_t n, size_t i, int *h, int *m, size_t *used)
{
	if (is(v, n, i, "noon") || is(v, n, i, "midday") || is(v, n, i, "mittag") || is(v, n, i, "mittags")) {
		*h = 12, *m = 0, *used = 1;
		return 1;
	}
	if (i >= n || v[i].type != T_NUM || v[i].ordinal || v[i].num > 24)
		return 0;
	int hh = (int)v[i].num, mm = 0;
	size_t k = i + 1;
	int colon = 0;
	if (is(v, n, k, ":") && k + 1 < n && v[k + 1].type == T_NUM && v[k + 1].num < 60 &&
	    v[k + 1].e - v[k + 1].s == 2 && v[k].s == v[i].e) {
		mm = (int)v[k + 1].num;
		k += 2;
		colon = 1;
	}
	if (is(v, n, k, "am") || is(v, n, k, "a") || is(v, n, k, "pm") || is(v, n, k, "p")) {
		int pm = v[k].w[0] == 'p';
		if (hh < 1 || hh > 12)
			return 0;
		hh = hh % 12 + (pm ? 12 : 0);
		k++;
		/* "p.m." */
		if (is(v, n, k, ".") && is(v, n, k + 1, "m") && is(v, n, k + 2, "."))
			k += 3;
	} else if (is(v, n, k, "uhr") || is(v, n, k, "h")) {
		k++;
	} else if (!colon) {
		return 0;
	}
	if (hh == 24 && mm == 0)
		hh = 23, mm = 59;
	if (hh > 23)
		return 0;
	*h = hh, *m = mm, *used = k - i;
	return 1;
}

/* Words that may stand between a preposition and its count: "within the next 24 hours". */
static size_t skip_fill(const struct tok *v, size_t n, size_t i)
{
	static const char *const fill[] = { "the", "next", "von", "der", "den", "nächsten", "naechsten",
					    "kommenden", "following", NULL };
	while (is_any(v, n, i, fill))
		i++;
	return i;
}

static const char *const this_words[] = { "this", "coming", "diesen", "dieser", "diesem", "dieses",
					  "kommenden", "kommender", "kommende", NULL };
static const char *const next_words[] = { "next", "nächsten", "nächster", "nächste", "naechsten",
					  "naechste", NULL };

/* "next week" / "nächste Woche" at i: tokens used, or 0. */
static size_t next_week_at(const struct tok *v, size_t n, size_t i)
{
	if (is_any(v, n, i, next_words) && (is(v, n, i + 1, "week") || is(v, n, i + 1, "woche")))
		return 2;
	if ((is(v, n, i, "der") || is(v, n, i, "in")) && is_any(v, n, i + 1, next_words) &&
	    is(v, n, i + 2, "woche"))
		return 3;
	return 0;
}

/*
 * Reads one expression at token i into f. Returns the tokens it took (0:
 * nothing here). today: the local day number of writing; now: writing time.
 */
static size_t expr_at(const struct tok *v, size_t n, size_t i, int64_t today, ct_time now, int tz_min,
		      struct found *f)
{
	size_t u, u2;
	static const char *const within[] = { "within", "in", "innerhalb", "binnen", "over", NULL };

	/* durations: "within 48 hours", "in 2 business days", "innerhalb von zwei Werktagen" */
	if (is_any(v, n, i, within)) {
		size_t k = skip_fill(v, n, i + 1);
		if (is(v, n, i, "within") && is(v, n, i + 1, "the") && is(v, n, i + 2, "hour")) {
			f->have_abs = 1;
			f->abs = now + 3600;
			return 3;
		}
		long c = count(v, n, k, &u);
		if (u && c > 0 && c <= 1000) {
			int un = unit(v, n, k + u, &u2);
			if (un) {
				f->have_abs = 1;
				switch (un) {
				case 'm': f->abs = now + c * 60; break;
				case 'h': f->abs = now + c * 3600; break;
				default: {
					int64_t d = un == 'b' ? add_business(today, c) : today + (un == 'w' ? 7 * c : c);
					f->abs = d * 86400 + 23 * 3600 + 59 * 60 - (ct_time)tz_min * 60;
				}
				}
				return k + u + u2 - i;
			}
		}
		return 0;
	}
	/* "end of (the) day / week / month / year / March", "Ende der Woche", "Monatsende" */
	if (is(v, n, i, "end") || is(v, n, i, "ende") || is(v, n, i, "close")) {
		static const char *const fill[] = { "of", "the", "this", "der", "des", "dieser", "diesem", "dieses",
						    "today's", "todays", NULL };
		size_t k = i + 1;
		while (is_any(v, n, k, fill))
			k++;
		int next = 0;
		if (is_any(v, n, k, next_words)) {
			next = 1;
			k++;
		}
		if (!next && (is(v, n, k, "day") || is(v, n, k, "business") || is(v, n, k, "play") ||
			      is(v, n, k, "tages") || is(v, n, k, "tag"))) {
			f->have_tod = 1;
			f->hour = 17, f->min = 0;
			return k + 1 - i;
		}
		if (is(v, n, k, "week") || is(v, n, k, "woche")) {
			int64_t fri = today + (5 - iso_wday(today)) + (next ? 7 : 0);
			set_day(f, fri);
			return k + 1 - i;
		}
		if (is(v, n, k, "month") || is(v, n, k, "monats") || is(v, n, k, "monat")) {
			struct ct_civil c;
			ct_time_civil(today * 86400, 0, &c);
			if (next && ++c.mon > 12)
				c.mon = 1, c.year++;
			set_day(f, day_no(c.year, c.mon, ct_days_in_month(c.year, c.mon)));
			return k + 1 - i;
		}
		if (is(v, n, k, "year") || is(v, n, k, "jahres") || is(v, n, k, "jahr")) {
			struct ct_civil c;
			ct_time_civil(today * 86400, 0, &c);
			set_day(f, day_no(c.year + next, 12, 31));
			return k + 1 - i;
		}
		int mo = month(v, n, k);
		if (mo && !next && strcmp(v[k].w, "may") != 0) {
			struct ct_civil c;
			ct_time_civil(today * 86400, 0, &c);
			int y = c.year;
			if (mo < c.mon - 6)
				y++;
			set_day(f, day_no(y, mo, ct_days_in_month(y, mo)));
			f->vague_year = 1;
			return k + 1 - i;
		}
		return 0;
	}
	if (is(v, n, i, "monatsende")) {
		struct ct_civil c;
		ct_time_civil(today * 86400, 0, &c);
		set_day(f, day_no(c.year, c.mon, ct_days_in_month(c.year, c.mon)));
		return 1;
	}
	if (is(v, n, i, "jahresende")) {
		struct ct_civil c;
		ct_time_civil(today * 86400, 0, &c);
		set_day(f, day_no(c.year, 12, 31));
		return 1;
	}
	if (is(v, n, i, "eod") || is(v, n, i, "cob") || is(v, n, i, "eob") || is(v, n, i, "feierabend") ||
	    is(v, n, i, "tagesende") || is(v, n, i, "dienstschluss") || is(v, n, i, "geschäftsschluss")) {
		f->have_tod = 1;
		f->hour = 17, f->min = 0;
		return 1;
	}
	/* today, tonight, tomorrow, heute, morgen, übermorgen */
	if (is(v, n, i, "today") || is(v, n, i, "heute")) {
		set_day(f, today);
		if (is(v, n, i, "heute") && is(v, n, i + 1, "morgen")) {
			f->have_tod = 1, f->hour = 12, f->min = 0;
			return 2;
		}
		return 1;
	}
	if (is(v, n, i, "tonight")) {
		set_day(f, today);
		return 1;
	}
	if (is(v, n, i, "tomorrow")) {
		set_day(f, today + 1);
		return 1;
	}
	if (is(v, n, i, "day") && is(v, n, i + 1, "after") && is(v, n, i + 2, "tomorrow")) {
		set_day(f, today + 2);
		return 3;
	}
	if (is(v, n, i, "übermorgen")) {
		set_day(f, today + 2);
		return 1;
	}
	if (is(v, n, i, "morgen") && !(i > 0 && (is(v, n, i - 1, "guten") || is(v, n, i - 1, "am") ||
						 is(v, n, i - 1, "heute")))) {
		set_day(f, today + 1);
		return 1;
	}
	/* parts of the day */
	if (is(v, n, i, "morning") || is(v, n, i, "vormittag") || is(v, n, i, "früh") ||
	    (is(v, n, i, "morgen") && i > 0 && is(v, n, i - 1, "am"))) {
		f->have_tod = 1, f->hour = 12, f->min = 0;
		return 1;
	}
	if (is(v, n, i, "afternoon") || is(v, n, i, "nachmittag")) {
		f->have_tod = 1, f->hour = 17, f->min = 0;
		return 1;
	}
	if (is(v, n, i, "evening") || is(v, n, i, "abend") || is(v, n, i, "night")) {
		f->have_tod = 1, f->hour = 23, f->min = 59;
		return 1;
	}
	/* weeks: this week, next week, early next week, (over) the weekend */
	if ((is(v, n, i, "this") || is(v, n, i, "diese") || is(v, n, i, "dieser")) &&
	    (is(v, n, i + 1, "week") || is(v, n, i + 1, "woche"))) {
		set_day(f, today + (5 - iso_wday(today)));
		return 2;
	}
	if ((is(v, n, i, "early") || is(v, n, i, "anfang")) && (u = next_week_at(v, n, i + 1)) != 0) {
		set_day(f, today + (8 - iso_wday(today)) + 1);
		return 1 + u;
	}
	if ((u = next_week_at(v, n, i)) != 0) {
		/* "next week Thursday" */
		int wd = weekday(v, n, i + u);
		int64_t monday = today + (8 - iso_wday(today));
		set_day(f, monday + (wd ? wd - 1 : 4));
		return u + (wd ? 1 : 0);
	}
	if (is(v, n, i, "weekend") || is(v, n, i, "wochenende")) {
		set_day(f, today + (7 - iso_wday(today)));
		return 1;
	}
	if ((is(v, n, i, "this") || is(v, n, i, "next") || is(v, n, i, "diesen") || is(v, n, i, "nächsten")) &&
	    (is(v, n, i + 1, "month") || is(v, n, i + 1, "monat"))) {
		struct ct_civil c;
		ct_time_civil(today * 86400, 0, &c);
		if (v[i].w[0] == 'n' && ++c.mon > 12)
			c.mon = 1, c.year++;
		set_day(f, day_no(c.year, c.mon, ct_days_in_month(c.year, c.mon)));
		return 2;
	}
	/* weekdays: Friday, this Friday, next Friday, Friday next week, nächsten Freitag */
	{
		int mode = 0; /* 0 bare, 1 this, 2 next */
		size_t k = i;
		if (is_any(v, n, k, this_words)) {
			mode = 1;
			k++;
		} else if (is_any(v, n, k, next_words)) {
			mode = 2;
			k++;
		}
		int wd = weekday(v, n, k);
		if (wd) {
			int cur = iso_wday(today);
			int64_t d;
			k++;
			if ((u = next_week_at(v, n, k)) != 0) {
				mode = 2;
				k += u;
			}
			if (mode == 2)
				d = today + (8 - cur) + (wd - 1);
			else if (mode == 1)
				d = today + ((wd - cur + 7) % 7);
			else
				d = today + ((wd - cur + 6) % 7 + 1);
			set_day(f, d);
			/* "Thursday 5 March" / "Donnerstag, den 5. März": the date decides */
			return k - i;
		}
	}
	/* dates: 2026-03-03, 3.3.2026, 03.03., 3 March, 3rd of March, March 3rd, 3. März */
	if (i < n && v[i].type == T_NUM) {
		long a = v[i].num;
		/* ISO */
		if (a >= 1970 && a <= 2200 && is(v, n, i + 1, "-") && i + 4 < n && v[i + 2].type == T_NUM &&
		    is(v, n, i + 3, "-") && v[i + 4].type == T_NUM) {
			int mo = (int)v[i + 2].num, d = (int)v[i + 4].num;
			if (mo >= 1 && mo <= 12 && d >= 1 && d <= ct_days_in_month((int)a, mo)) {
				set_day(f, day_no((int)a, mo, d));
				return 5;
			}
			return 0;
		}
		/* German numeric: 3.3. / 03.03.2026 / 3.3.26 */
		if (a >= 1 && a <= 31 && is(v, n, i + 1, ".") && i + 2 < n && v[i + 2].type == T_NUM &&
		    v[i + 2].num >= 1 && v[i + 2].num <= 12 && is(v, n, i + 3, ".") && v[i + 1].s == v[i].e &&
		    v[i + 2].s == v[i + 1].e) {
			int mo = (int)v[i + 2].num;
			int y = 0;
			size_t used = 4;
			if (i + 4 < n && v[i + 4].type == T_NUM && v[i + 4].s == v[i + 3].e) {
				y = (int)v[i + 4].num;
				if (y < 100)
					y += 2000;
				used = 5;
			}
			if (y < 1970 || y > 2200)
				y = 0;
			f->year = y, f->mon = mo, f->mday = (int)a;
			f->have_day = 2; /* checked and placed below */
			return used;
		}
		/* 3 March, 3rd of March, 3. März */
		size_t k = i + 1;
		if (is(v, n, k, ".") || is(v, n, k, "of"))
			k++;
		int mo = month(v, n, k);
		if (a >= 1 && a <= 31 && mo) {
			k++;
			int y = 0;
			if (is(v, n, k, ",") && k + 1 < n && v[k + 1].type == T_NUM && v[k + 1].num >= 1970)
				k++;
			if (k < n && v[k].type == T_NUM && v[k].num >= 1970 && v[k].num <= 2200) {
				y = (int)v[k].num;
				k++;
			}
			f->year = y, f->mon = mo, f->mday = (int)a;
			f->have_day = 2;
			return k - i;
		}
		return 0;
	}
	/* March 3, March 3rd 2026 */
	{
		int mo = month(v, n, i);
		if (mo && i + 1 < n && v[i + 1].type == T_NUM && v[i + 1].num >= 1 && v[i + 1].num <= 31 &&
		    !(i + 2 < n && (is(v, n, i + 2, ":") || is(v, n, i + 2, "am") || is(v, n, i + 2, "pm")))) {
			size_t k = i + 2;
			int y = 0;
			if (is(v, n, k, ",") && k + 1 < n && v[k + 1].type == T_NUM && v[k + 1].num >= 1970)
				k++;
			if (k < n && v[k].type == T_NUM && v[k].num >= 1970 && v[k].num <= 2200) {
				y = (int)v[k].num;
				k++;
			}
			f->year = y, f->mon = mo, f->mday = (int)v[i + 1].num;
			f->have_day = 2;
			return k - i;
		}
	}
	return 0;
}

/*
 * Places a date read without checks (have_day == 2): a real day of its
 * year; without a year, the occurrence nearest to the writing day (a date
 * more than half a year back is next year's).
 */
static int place_date(struct found *f, int64_t today)
{
	struct ct_civil c;
	ct_time_civil(today * 86400, 0, &c);
	if (!f->year) {
		int y = c.year;
		int64_t d = day_no(y, f->mon, 1) + f->mday - 1;
		if (d < today - 183)
			y++;
		else if (d > today + 183)
			y--;
		f->year = y;
		f->vague_year = 1;
	}
	if (f->mday > ct_days_in_month(f->year, f->mon))
		return -1;
	f->have_day = 1;
	return 0;
}

int ct_due_resolve(const char *text, size_t len, int64_t written, int tz_min, struct ct_due *out)
{
	struct tok v[MAX_TOKS];
	size_t n = tokenize(text, len, v, MAX_TOKS);
	struct ct_civil now;
	ct_time_civil(written, tz_min, &now);
	int64_t today = day_no(now.year, now.mon, now.mday);
	struct found f;
	memset(&f, 0, sizeof(f));
	int have_any = 0;
	for (size_t i = 0; i < n;) {
		struct found g;
		memset(&g, 0, sizeof(g));
		size_t used = expr_at(v, n, i, today, written, tz_min, &g);
		if (!used) {
			int h, m;
			if (time_of_day(v, n, i, &h, &m, &used)) {
				if ((i > 0 && (is(v, n, i - 1, "at") || is(v, n, i - 1, "by") || is(v, n, i - 1, "before") ||
					       is(v, n, i - 1, "um") || is(v, n, i - 1, "bis") || is(v, n, i - 1, "gegen") ||
					       is(v, n, i - 1, ","))) ||
				    v[i].type != T_NUM || (have_any && f.have_day)) {
					g.have_tod = 1, g.hour = h, g.min = m;
				} else {
					used = 0;
				}
			}
		}
		if (!used) {
			i++;
			continue;
		}
		/* A second expression joins the first only when it is near and adds what it lacks. */
		if (have_any && i > f.te + 3)
			break;
		if (have_any) {
			int adds = (g.have_tod && !f.have_tod && !f.have_abs) ||
				   (g.have_day && !f.have_abs && (!f.have_day || (f.have_day == 1 && g.have_day == 2)));
			if (!adds)
				break;
		}
		if (g.have_day) {
			f.have_day = g.have_day;
			f.year = g.year, f.mon = g.mon, f.mday = g.mday;
			f.vague_year = g.vague_year;
		}
		if (g.have_tod) {
			f.have_tod = 1;
			f.hour = g.hour, f.min = g.min;
		}
		if (g.have_abs) {
			f.have_abs = 1;
			f.abs = g.abs;
		}
		if (!have_any)
			f.ts = i, f.te = i + used - 1;
		else
			span(&f, i, i + used - 1);
		have_any = 1;
		i += used;
	}
	if (!have_any)
		return 0;
	ct_time due;
	if (f.have_abs) {
		due = f.abs;
	} else {
		if (f.have_day == 2 && place_date(&f, today))
			return 0;
		if (!f.have_day)
			f.year = now.year, f.mon = now.mon, f.mday = now.mday;
		int h = f.have_tod ? f.hour : 23, m = f.have_tod ? f.min : 59;
		due = ct_timegm(f.year, f.mon, f.mday, h, m, 0) - (ct_time)tz_min * 60;
	}
	out->at = due;
	out->start = v[f.ts].s;
	out->end = v[f.te].e;
	return due > written ? 1 : 2;
}
