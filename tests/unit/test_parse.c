/*
 * test_parse.c - base/parse.c: whole numbers within bounds (nothing else
 * passes: blanks, '+', fractions, overflow), the words for a range, mail
 * address shapes, and the exact messages of the command-line helpers.
 */
#include "unit.h"
#include "../../base/base.h"

#include <limits.h>
#include <unistd.h>

static const struct {
	const char *in;
	long min, max;
	int rc;
	long want;
} longs[] = {
	{ "5", 1, 1000, 0, 5 },
	{ "1", 1, 1000, 0, 1 },
	{ "1000", 1, 1000, 0, 1000 },
	{ "0", 0, 10, 0, 0 },
	{ "-1", -5, 5, 0, -1 },
	{ "007", 1, 10, 0, 7 },
	{ "0", 1, 1000, -1, 0 },
	{ "1001", 1, 1000, -1, 0 },
	{ "-1", 1, 1000, -1, 0 },
	{ "-3", 0, 1000, -1, 0 },
	{ "2147483648", 1, 1000, -1, 0 },
	{ "2147483648", 1, LONG_MAX, 0, 2147483648L },
	{ "9223372036854775807", 1, LONG_MAX, 0, LONG_MAX },
	{ "9223372036854775808", 1, LONG_MAX, -1, 0 },
	{ "-9223372036854775809", LONG_MIN, 0, -1, 0 },
	{ "abc", 1, 1000, -1, 0 },
	{ "5abc", 1, 1000, -1, 0 },
	{ "", 1, 1000, -1, 0 },
	{ " 5", 1, 1000, -1, 0 },
	{ "5 ", 1, 1000, -1, 0 },
	{ "+5", 1, 1000, -1, 0 },
	{ "-", -5, 5, -1, 0 },
	{ "--1", -5, 5, -1, 0 },
	{ "1.5", 1, 1000, -1, 0 },
	{ "1e3", 1, 1000, -1, 0 },
	{ "0x10", 1, 1000, -1, 0 },
	{ NULL, 1, 1000, -1, 0 },
};

static void test_parse_long_takes_whole_numbers_within_bounds_only(void **state)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(longs); i++) {
		long got = 0;
		int rc = ct_parse_long(longs[i].in, longs[i].min, longs[i].max, &got);
		if (rc != longs[i].rc || got != longs[i].want) {
			print_error("ct_parse_long(\"%s\", %ld, %ld): got rc %d, %ld; want rc %d, %ld\n",
				    longs[i].in ? longs[i].in : "(null)", longs[i].min, longs[i].max, rc, got,
				    longs[i].rc, longs[i].want);
			fail();
		}
	}
}

static const struct {
	long min, max;
	const char *unit, *want;
} wants[] = {
	{ 1, 1000, NULL, "a whole number from 1 to 1000" },
	{ 1, 3600, "seconds", "a whole number of seconds from 1 to 3600" },
	{ 1, LONG_MAX, NULL, "a whole number of at least 1" },
	{ 0, LONG_MAX, "days", "a whole number of days of at least 0" },
};

static void test_parse_long_want_describes_the_range(void **state)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(wants); i++) {
		char got[128];
		ct_parse_long_want(wants[i].min, wants[i].max, wants[i].unit, got);
		assert_str(got, wants[i].want);
	}
}

static const struct {
	const char *in;
	int rc;
} addresses[] = {
	{ "dana@larkspur.example", 0 },
	{ "x@y", 0 },
	{ "first.last+tag@mail.example", 0 },
	{ "marcus.reed", -1 },
	{ "@larkspur.example", -1 },
	{ "dana@", -1 },
	{ "dana@@larkspur.example", -1 },
	{ "dana@a@b", -1 },
	{ "dana @larkspur.example", -1 },
	{ "Dana <dana@larkspur.example>", -1 },
	{ "a@b.example, c@d.example", -1 },
	{ "dana@.example", -1 },
	{ "dana@example.", -1 },
	{ "", -1 },
	{ NULL, -1 },
};

static void test_parse_address_wants_local_part_and_domain(void **state)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(addresses); i++) {
		int rc = ct_parse_address(addresses[i].in);
		if (rc != addresses[i].rc) {
			print_error("ct_parse_address(\"%s\"): got %d, want %d\n",
				    addresses[i].in ? addresses[i].in : "(null)", rc, addresses[i].rc);
			fail();
		}
	}
}

/* Runs f with stderr captured; returns what it printed. */
static char *capture(int (*f)(const void *), const void *arg, int *rc)
{
	char path[] = "/tmp/ct-parse-err-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	*rc = f(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	struct ct_buf b = CT_BUF_INIT;
	assert_int_equal(ct_buf_read_file(&b, path), 0);
	unlink(path);
	return ct_buf_detach(&b, NULL);
}

struct opt_case {
	const char *opt, *in;
	long min, max;
	const char *want;   /* stderr; "" when accepted */
};

static int run_opt_long(const void *arg)
{
	const struct opt_case *c = arg;
	long v;
	return ct_opt_long(c->opt, c->in, c->min, c->max, &v);
}

static const struct opt_case opts[] = {
	{ "--oldest", "5", 1, 1000, "" },
	{ "--oldest", "-1", 1, 1000, "casetrail: error: --oldest takes a whole number from 1 to 1000, not '-1'\n" },
	{ "--oldest", "2147483648", 1, 1000,
	  "casetrail: error: --oldest takes a whole number from 1 to 1000, not '2147483648'\n" },
	{ "--min-handoffs", "abc", 0, 1000,
	  "casetrail: error: --min-handoffs takes a whole number from 0 to 1000, not 'abc'\n" },
	{ "case show ID", "x1", 1, LONG_MAX, "casetrail: error: case show ID takes a whole number of at least 1, not 'x1'\n" },
};

static void test_opt_long_names_the_option_and_the_value(void **state)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(opts); i++) {
		int rc;
		char *got = capture(run_opt_long, &opts[i], &rc);
		int want_rc = *opts[i].want ? -1 : 0;
		if (rc != want_rc || strcmp(got, opts[i].want)) {
			print_error("%s '%s': got rc %d, \"%s\"; want rc %d, \"%s\"\n", opts[i].opt, opts[i].in, rc,
				    got, want_rc, opts[i].want);
			fail();
		}
		free(got);
	}
}

static int run_date(const void *arg)
{
	ct_time t;
	return ct_opt_date("--since", arg, &t);
}

static int run_period(const void *arg)
{
	const ct_time *p = arg;
	return ct_opt_period(p[0], p[1]);
}

static void test_opt_date_and_period_messages(void **state)
{
	int rc;
	char *got = capture(run_date, "yesterday", &rc);
	assert_int_equal(rc, -1);
	assert_str(got, "casetrail: error: --since takes a date (YYYY-MM-DD or ISO 8601, UTC), not 'yesterday'\n");
	free(got);
	got = capture(run_date, "2024-05-01", &rc);
	assert_int_equal(rc, 0);
	assert_str(got, "");
	free(got);

	const ct_time after[2] = { 1714521600, 1711929600 }, same[2] = { 1714521600, 1714521600 },
		      ok[2] = { 1711929600, 1714521600 }, open_end[2] = { 1714521600, 0 };
	got = capture(run_period, after, &rc);
	assert_int_equal(rc, -1);
	assert_str(got, "casetrail: error: --since (2024-05-01T00:00:00Z) must be before --until (2024-04-01T00:00:00Z)\n");
	free(got);
	got = capture(run_period, same, &rc);
	assert_int_equal(rc, -1);
	free(got);
	got = capture(run_period, ok, &rc);
	assert_int_equal(rc, 0);
	free(got);
	got = capture(run_period, open_end, &rc);
	assert_int_equal(rc, 0);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long_takes_whole_numbers_within_bounds_only),
		cmocka_unit_test(test_parse_long_want_describes_the_range),
		cmocka_unit_test(test_parse_address_wants_local_part_and_domain),
		cmocka_unit_test(test_opt_long_names_the_option_and_the_value),
		cmocka_unit_test(test_opt_date_and_period_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
