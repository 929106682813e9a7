/*
 * test_due.c - classify/due.c: the due time of a commitment, read from the
 * text and resolved against the writing time and time zone. One table,
 * written by hand: weekdays across weekends ("this" and "next"), business
 * days, month and year ends, leap years, time zones, German, dates already
 * past, and text with no time at all. 2026-03-03 is a Tuesday.
 */
#include "unit.h"
#include "../../base/base.h"
#include "../../classify/classify.h"

static const struct {
	const char *written;  /* the message's Date, with its offset */
	const char *text;
	int rc;               /* 1 due, 2 past, 0 none */
	const char *due;      /* in the writer's zone */
	const char *expr;     /* the expression read */
} cases[] = {
	/* weekdays, from a Tuesday */
	{ "2026-03-03T10:00+01:00", "We will fix it by Thursday.", 1, "2026-03-05T23:59+01:00", "Thursday" },
	{ "2026-03-03T10:00+01:00", "You will have it this Friday.", 1, "2026-03-06T23:59+01:00", "this Friday" },
	{ "2026-03-03T10:00+01:00", "You will have it next Friday.", 1, "2026-03-13T23:59+01:00", "next Friday" },
	{ "2026-03-03T10:00+01:00", "I will send it by Tuesday.", 1, "2026-03-10T23:59+01:00", "Tuesday" },
	{ "2026-03-03T10:00+01:00", "We will ship it Thursday next week.", 1, "2026-03-12T23:59+01:00",
	  "Thursday next week" },
	{ "2026-03-03T10:00+01:00", "We will fix it by Monday.", 1, "2026-03-09T23:59+01:00", "Monday" },
	/* from a Saturday: "this" and "next" Friday are both the coming one */
	{ "2026-03-07T09:00+01:00", "You get it next Friday.", 1, "2026-03-13T23:59+01:00", "next Friday" },
	{ "2026-03-07T09:00+01:00", "You get it this Friday.", 1, "2026-03-13T23:59+01:00", "this Friday" },
	{ "2026-03-07T09:00+01:00", "We will call you on Monday.", 1, "2026-03-09T23:59+01:00", "Monday" },
	/* business days skip the weekend */
	{ "2026-03-06T16:00+01:00", "within 2 business days", 1, "2026-03-10T23:59+01:00", "within 2 business days" },
	{ "2026-03-07T09:00+01:00", "innerhalb von zwei Werktagen", 1, "2026-03-10T23:59+01:00",
	  "innerhalb von zwei Werktagen" },
	{ "2026-03-03T10:00+01:00", "in 3 working days", 1, "2026-03-06T23:59+01:00", "in 3 working days" },
	/* hours are exact; days end at 23:59 */
	{ "2026-03-03T10:00+01:00", "We will reply within 48 hours.", 1, "2026-03-05T10:00+01:00",
	  "within 48 hours" },
	{ "2026-03-03T10:00+01:00", "within the next 24 hours", 1, "2026-03-04T10:00+01:00",
	  "within the next 24 hours" },
	{ "2026-03-03T10:00+01:00", "up to date within the hour", 1, "2026-03-03T11:00+01:00", "within the hour" },
	{ "2026-03-03T10:00+01:00", "in twenty-four hours", 1, "2026-03-04T10:00+01:00", "in twenty-four hours" },
	{ "2026-03-03T10:00+01:00", "in 2 weeks", 1, "2026-03-17T23:59+01:00", "in 2 weeks" },
	{ "2026-03-03T10:00+01:00", "within 2 days", 1, "2026-03-05T23:59+01:00", "within 2 days" },
	/* parts of the day */
	{ "2026-03-03T10:00+01:00", "I will call you back tomorrow morning.", 1, "2026-03-04T12:00+01:00",
	  "tomorrow morning" },
	{ "2026-03-03T10:00+01:00", "I'll call you back this afternoon.", 1, "2026-03-03T17:00+01:00",
	  "afternoon" },
	{ "2026-03-03T18:30+01:00", "I'll call you back this afternoon.", 2, "2026-03-03T17:00+01:00",
	  "afternoon" },
	{ "2026-03-03T10:00+01:00", "by end of day", 1, "2026-03-03T17:00+01:00", "end of day" },
	{ "2026-03-03T10:00+01:00", "by EOD tomorrow", 1, "2026-03-04T17:00+01:00", "EOD tomorrow" },
	{ "2026-03-03T10:00+01:00", "by Friday at 3pm", 1, "2026-03-06T15:00+01:00", "Friday at 3pm" },
	{ "2026-03-03T10:00+01:00", "tomorrow by 15:00", 1, "2026-03-04T15:00+01:00", "tomorrow by 15:00" },
	{ "2026-03-03T10:00+01:00", "by noon", 1, "2026-03-03T12:00+01:00", "noon" },
	{ "2026-03-03T10:00+01:00", "tonight", 1, "2026-03-03T23:59+01:00", "tonight" },
	/* weeks, months, years */
	{ "2026-03-03T10:00+01:00", "by the end of next week", 1, "2026-03-13T23:59+01:00", "end of next week" },
	{ "2026-03-03T10:00+01:00", "by the end of the week", 1, "2026-03-06T23:59+01:00", "end of the week" },
	{ "2026-03-03T10:00+01:00", "early next week", 1, "2026-03-10T23:59+01:00", "early next week" },
	{ "2026-03-03T10:00+01:00", "over the weekend", 1, "2026-03-08T23:59+01:00", "weekend" },
	{ "2026-02-20T10:00+01:00", "by the end of the month", 1, "2026-02-28T23:59+01:00", "end of the month" },
	{ "2028-02-10T10:00+01:00", "by the end of the month", 1, "2028-02-29T23:59+01:00", "end of the month" },
	{ "2026-12-10T10:00+01:00", "by the end of next month", 1, "2027-01-31T23:59+01:00",
	  "end of next month" },
	{ "2026-11-10T10:00+01:00", "by the end of December", 1, "2026-12-31T23:59+01:00", "end of December" },
	{ "2026-06-10T10:00+02:00", "before the end of the year", 1, "2026-12-31T23:59+02:00",
	  "end of the year" },
	/* across the year end */
	{ "2026-12-31T10:00+00:00", "tomorrow", 1, "2027-01-01T23:59+00:00", "tomorrow" },
	{ "2026-12-31T10:00+00:00", "within 3 business days", 1, "2027-01-05T23:59+00:00",
	  "within 3 business days" },
	{ "2026-12-30T10:00+00:00", "next Friday", 1, "2027-01-08T23:59+00:00", "next Friday" },
	{ "2026-12-20T10:00+01:00", "by 10 January", 1, "2027-01-10T23:59+01:00", "10 January" },
	/* dates */
	{ "2026-02-20T10:00+01:00", "before the go-live on 3 March", 1, "2026-03-03T23:59+01:00", "3 March" },
	{ "2026-03-05T10:00+01:00", "before the go-live on 3 March", 2, "2026-03-03T23:59+01:00", "3 March" },
	{ "2026-03-03T10:00+01:00", "by March 31st", 1, "2026-03-31T23:59+01:00", "March 31st" },
	{ "2026-03-03T10:00+01:00", "by the 20th of March", 1, "2026-03-20T23:59+01:00", "20th of March" },
	{ "2026-03-03T10:00+01:00", "no later than 2026-03-20", 1, "2026-03-20T23:59+01:00", "2026-03-20" },
	{ "2026-03-03T10:00+01:00", "by Thursday, 5 March 2026", 1, "2026-03-05T23:59+01:00",
	  "Thursday, 5 March 2026" },
	{ "2026-03-03T10:00+01:00", "by 31 February", 0, NULL, NULL },
	/* German */
	{ "2026-03-03T10:00+01:00", "Wir liefern bis Freitag.", 1, "2026-03-06T23:59+01:00", "Freitag" },
	{ "2026-03-03T10:00+01:00", "bis nächsten Freitag", 1, "2026-03-13T23:59+01:00", "nächsten Freitag" },
	{ "2026-03-03T10:00+01:00", "bis kommenden Freitag", 1, "2026-03-06T23:59+01:00", "kommenden Freitag" },
	{ "2026-03-03T10:00+01:00", "Ich rufe Sie morgen früh an.", 1, "2026-03-04T12:00+01:00", "morgen früh" },
	{ "2026-03-03T10:00+01:00", "bis Ende der Woche", 1, "2026-03-06T23:59+01:00", "Ende der Woche" },
	{ "2026-03-03T10:00+01:00", "bis Ende nächster Woche", 1, "2026-03-13T23:59+01:00",
	  "Ende nächster Woche" },
	{ "2026-03-03T10:00+01:00", "bis zum 20.03.", 1, "2026-03-20T23:59+01:00", "20.03." },
	{ "2026-03-03T10:00+01:00", "bis 20.3.2026", 1, "2026-03-20T23:59+01:00", "20.3.2026" },
	{ "2026-03-03T10:00+01:00", "bis zum 3. April", 1, "2026-04-03T23:59+01:00", "3. April" },
	{ "2026-03-03T10:00+01:00", "bis 31. März", 1, "2026-03-31T23:59+01:00", "31. März" },
	{ "2026-03-03T10:00+01:00", "bis Monatsende", 1, "2026-03-31T23:59+01:00", "Monatsende" },
	{ "2026-03-03T10:00+01:00", "heute Nachmittag", 1, "2026-03-03T17:00+01:00", "heute Nachmittag" },
	{ "2026-03-03T10:00+01:00", "morgen um 15 Uhr", 1, "2026-03-04T15:00+01:00", "morgen um 15 Uhr" },
	{ "2026-03-03T10:00+01:00", "nächste Woche Donnerstag", 1, "2026-03-12T23:59+01:00",
	  "nächste Woche Donnerstag" },
	{ "2026-03-03T10:00+01:00", "Guten Morgen, wir melden uns.", 0, NULL, NULL },
	/* time zones: the writer's calendar day counts, not UTC's */
	{ "2026-03-03T23:30-08:00", "by tomorrow", 1, "2026-03-04T23:59-08:00", "tomorrow" },
	{ "2026-03-04T00:30+09:00", "today", 1, "2026-03-04T23:59+09:00", "today" },
	{ "2026-03-06T23:30-05:00", "by Monday", 1, "2026-03-09T23:59-05:00", "Monday" },
	{ "2026-03-07T01:00+05:30", "next Friday", 1, "2026-03-13T23:59+05:30", "next Friday" },
	/* nothing to resolve */
	{ "2026-03-03T10:00+01:00", "We will fix it soon.", 0, NULL, NULL },
	{ "2026-03-03T10:00+01:00", "We may look at it.", 0, NULL, NULL },
	{ "2026-03-03T10:00+01:00", "in a few days", 0, NULL, NULL },
};

static void test_due_table(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ct_time w;
		int tz;
		assert_int_equal(ct_time_parse_tz(cases[i].written, &w, &tz), 0);
		struct ct_due d;
		memset(&d, 0, sizeof(d));
		int rc = ct_due_resolve(cases[i].text, strlen(cases[i].text), w, tz, &d);
		char got[32] = "";
		if (rc)
			ct_time_iso_tz(d.at, tz, got);
		char gexpr[128] = "";
		if (rc)
			snprintf(gexpr, sizeof(gexpr), "%.*s", (int)(d.end - d.start), cases[i].text + d.start);
		/* the due time is stated in the writer's offset: no daylight-saving rules are applied */
		int due_ok = 1;
		if (cases[i].due && rc) {
			ct_time want;
			int wtz;
			assert_int_equal(ct_time_parse_tz(cases[i].due, &want, &wtz), 0);
			/* compare local wall time in the writer's zone (no DST rules are applied) */
			char wl[32];
			ct_time_iso_tz(want + (ct_time)(wtz - tz) * 60, tz, wl);
			due_ok = !strcmp(got, wl);
		}
		if (rc != cases[i].rc || !due_ok || (cases[i].expr && strcmp(gexpr, cases[i].expr))) {
			print_error("%s | %s: got rc %d due %s expr \"%s\", want rc %d due %s expr \"%s\"\n",
				    cases[i].written, cases[i].text, rc, got, gexpr, cases[i].rc,
				    cases[i].due ? cases[i].due : "-", cases[i].expr ? cases[i].expr : "-");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_civil_weekday_and_month_length(void **state)
{
	(void)state;
	struct ct_civil c;
	ct_time_civil(ct_timegm(2026, 3, 3, 23, 30, 0), 60, &c);
	assert_int_equal(c.year, 2026);
	assert_int_equal(c.mon, 3);
	assert_int_equal(c.mday, 4);
	assert_int_equal(c.wday, 3); /* Wednesday */
	assert_int_equal(c.hour, 0);
	ct_time_civil(ct_timegm(1969, 12, 31, 12, 0, 0), 0, &c);
	assert_int_equal(c.wday, 3);
	assert_int_equal(ct_days_in_month(2028, 2), 29);
	assert_int_equal(ct_days_in_month(2100, 2), 28);
	assert_int_equal(ct_days_in_month(2000, 2), 29);
	char s[32];
	ct_time_iso_tz(ct_timegm(2026, 3, 3, 9, 0, 0), -330, s);
	assert_str(s, "2026-03-03T03:30-05:30");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_table),
		cmocka_unit_test(test_civil_weekday_and_month_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
