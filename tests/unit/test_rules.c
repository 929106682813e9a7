/* test_rules.c - rule files: exact error messages, continuation lines, checks, hash. */
#include "unit.h"
#include "../../classify/classify.h"
#include "../../base/base.h"

/* Loads text as "t.conf"; returns the messages printed (owned), *rc the result. */
static char *load_msgs(const char *text, struct ct_rules **out, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);
	*rc = ct_rules_load_string("t.conf", text, err, out);
	fclose(err);
	return buf;
}

struct err_case {
	const char *name, *text, *want;
};

static const struct err_case err_cases[] = {
	{ "bad regex", "[rule bad]\ncategory = x\npattern = (abc\n",
	  "t.conf:3: rule bad: missing closing parenthesis at offset 4\n" },
	{ "bad unless", "[rule u]\ncategory = x\npattern = abc\nunless = a[b\n",
	  "t.conf:4: rule u: missing terminating ] for character class at offset 3\n" },
	{ "unknown key", "[rule k]\ncategory = x\npattern = abc\ncolour = red\n",
	  "t.conf:4: rule k: unknown key 'colour' (known: category, pattern, fields, sender, unless, example, "
	  "counter_example, weight, caseless, anchors)\n" },
	{ "missing pattern", "[rule p]\ncategory = x\n", "t.conf:1: rule p: missing 'pattern'\n" },
	{ "missing category", "\n[rule c]\npattern = abc\n", "t.conf:2: rule c: missing 'category'\n" },
	{ "bad fields", "[rule f]\ncategory = x\npattern = abc\nfields = body, header\n",
	  "t.conf:4: rule f: bad fields value 'header' (subject, body, any)\n" },
	{ "bad sender", "[rule s]\ncategory = x\npattern = abc\nsender = robot\n",
	  "t.conf:4: rule s: bad sender value 'robot' (customer, staff, any)\n" },
	{ "bad category", "[rule g]\ncategory = two words\npattern = abc\n",
	  "t.conf:2: rule g: bad category 'two words' (letters, digits, '_')\nt.conf:1: rule g: missing 'category'\n" },
	{ "duplicate rule", "[rule d]\ncategory = x\npattern = a\n[rule d]\ncategory = y\n",
	  "t.conf:4: duplicate rule 'd' (first on line 1)\n" },
	{ "duplicate pattern", "[rule d]\ncategory = x\npattern = a\npattern = b\n",
	  "t.conf:4: rule d: duplicate key 'pattern' (first on line 3)\n" },
	{ "key outside", "category = x\n[rule o]\ncategory = x\npattern = a\n",
	  "t.conf:1: key 'category' outside of a [rule ID] section\n" },
	{ "other section", "[organization]\nrules = x\n",
	  "t.conf:1: unknown section [organization] (a rule file holds [rule ID] sections)\n" },
	{ "no rules", "; nothing\n", "t.conf: no [rule ID] sections\n" },
	{ "bad weight", "[rule w]\ncategory = x\npattern = a\nweight = heavy\n",
	  "t.conf:4: rule w: bad weight 'heavy' (a number from 0 to 1000)\n" },
};

static void test_rules_file_errors_exact(void **state)
{
	int bad = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(err_cases); i++) {
		struct ct_rules *r = (struct ct_rules *)1;
		int rc;
		char *got = load_msgs(err_cases[i].text, &r, &rc);
		if (rc != -1 || r != NULL || strcmp(got, err_cases[i].want)) {
			print_error("%s: rc %d, got \"%s\", want \"%s\"\n", err_cases[i].name, rc, got, err_cases[i].want);
			bad++;
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

static void test_rules_reports_every_error(void **state)
{
	struct ct_rules *r;
	int rc;
	char *got = load_msgs("[rule a]\ncategory = x\npattern = (\n[rule b]\ncategory = x\npattern = [\n", &r, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(got, "t.conf:3: rule a: "));
	assert_non_null(strstr(got, "t.conf:6: rule b: "));
	free(got);
}

static void test_rules_long_line_refused(void **state)
{
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addstr(&b, "[rule l]\ncategory = x\npattern = ");
	for (int i = 0; i < 250; i++)
		ct_buf_addch(&b, 'a');
	ct_buf_addch(&b, '\n');
	struct ct_rules *r;
	int rc;
	char *got = load_msgs(b.buf, &r, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(got, "t.conf:3: line longer than 198 characters\n"));
	free(got);
	ct_buf_release(&b);
}

static void test_rules_continuation_and_repeated_examples(void **state)
{
	struct ct_rules *r;
	int rc;
	char *got = load_msgs("[rule m]\ncategory = billing_dispute\npattern = \\bcharged\\s+\n"
			      "\t(?:twice|double)\\b\nexample = You charged twice for it.\nexample = We were charged\n"
			      "  double for March.\ncounter_example = Charged once.\n",
			      &r, &rc);
	assert_str(got, "");
	assert_int_equal(rc, 0);
	assert_int_equal(ct_rules_count(r), 1);
	assert_int_equal(ct_rules_examples(r), 3);
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	assert_int_equal(ct_rules_check(r, fp), 0);
	fclose(fp);
	assert_str(out, "");
	free(out);
	free(got);
	ct_rules_free(r);
}

static void test_rules_check_catches_failing_example(void **state)
{
	struct ct_rules *r;
	int rc;
	char *got = load_msgs("[rule t]\ncategory = x\npattern = \\btwice\\b\nunless = \\bnot\\b\n"
			      "example = Charged two times.\nexample = Charged twice.\n"
			      "counter_example = Charged twice again.\ncounter_example = We did not charge twice.\n",
			      &r, &rc);
	assert_int_equal(rc, 0);
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	assert_int_equal(ct_rules_check(r, fp), 2);
	fclose(fp);
	assert_str(out, "t.conf:5: rule t: example does not match: \"Charged two times.\"\n"
			"t.conf:7: rule t: counter_example matches at \"twice\": \"Charged twice again.\"\n");
	free(out);
	free(got);
	ct_rules_free(r);
}

static void test_rules_check_catches_wrong_anchors(void **state)
{
	struct ct_rules *r;
	int rc;
	char *got = load_msgs("[rule a]\ncategory = x\npattern = \\bcharged\\s+twice\\b\nanchors = double\n"
			      "example = We were charged twice.\n",
			      &r, &rc);
	assert_int_equal(rc, 0);
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	assert_int_equal(ct_rules_check(r, fp), 1);
	fclose(fp);
	assert_str(out, "t.conf:5: rule a: example matches the pattern but holds none of its anchors: "
			"\"We were charged twice.\"\n");
	free(out);
	free(got);
	ct_rules_free(r);
}

static void test_rules_hash_follows_content_not_examples(void **state)
{
	struct ct_rules *a, *b, *c;
	int rc;
	free(load_msgs("[rule h]\ncategory = x\npattern = abc\nexample = abc\n", &a, &rc));
	free(load_msgs("; a comment\n[rule h]\ncategory = x\npattern = abc\nexample = xx abc\n", &b, &rc));
	free(load_msgs("[rule h]\ncategory = x\npattern = abd\n", &c, &rc));
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal(strlen(ct_rules_hash(a)), 32);
	assert_str(ct_rules_hash(a), ct_rules_hash(b));
	assert_true(strcmp(ct_rules_hash(a), ct_rules_hash(c)) != 0);
	ct_rules_free(a);
	ct_rules_free(b);
	ct_rules_free(c);
}

static void test_default_rules_pass_their_examples(void **state)
{
	const char *top = getenv("TOP");
	char *path = ct_xstrfmt("%s/config/rules.conf", top ? top : ".");
	FILE *probe = fopen(path, "r");
	if (!probe) {
		free(path);
		skip();
	}
	fclose(probe);
	struct ct_rules *r;
	assert_int_equal(ct_rules_load(path, &r), 0);
	assert_true(ct_rules_count(r) >= 20);
	assert_int_equal(ct_rules_check(r, stderr), 0);
	ct_rules_free(r);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_file_errors_exact),
		cmocka_unit_test(test_rules_reports_every_error),
		cmocka_unit_test(test_rules_long_line_refused),
		cmocka_unit_test(test_rules_continuation_and_repeated_examples),
		cmocka_unit_test(test_rules_check_catches_failing_example),
		cmocka_unit_test(test_rules_check_catches_wrong_anchors),
		cmocka_unit_test(test_rules_hash_follows_content_not_examples),
		cmocka_unit_test(test_default_rules_pass_their_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
