/* test_rules.c - rule files: exact error messages, continuation lines, checks, hash. */
#include "unit.h"
#include "../../classify/classify.h"
#include "../../base/base.h"

#include <unistd.h>

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
	  "counter_example, score, caseless, anchors, repeat)\n" },
	{ "bad repeat", "[rule r]\ncategory = x\nrepeat = 10\npattern = abc\n",
	  "t.conf:3: rule r: bad repeat '10' (a whole number from 1 to 9)\n" },
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
	  "t.conf:1: key 'category' outside of a [rule ID], [define NAME] or [category NAME] section\n" },
	{ "other section", "[organization]\nrules = x\n",
	  "t.conf:1: unknown section [organization] (a rule file holds [rule ID], [promise ID], [kept ID], [define NAME] "
	  "and [category NAME] sections)\n" },
	{ "promise with category", "[promise p]\ncategory = x\npattern = \\bby\\s+friday\n",
	  "t.conf:2: rule p: a [promise] section has no category\n" },
	{ "no rules", "; nothing\n", "t.conf: no [rule ID] sections\n" },
	{ "bad score", "[rule w]\ncategory = x\npattern = a\nscore = heavy\n",
	  "t.conf:4: rule w: bad score 'heavy' (a number from -1000 to 1000)\n" },
	{ "bad threshold", "[category x]\nthreshold = 0\n[rule w]\ncategory = x\npattern = a\n",
	  "t.conf:2: category x: bad threshold '0' (a number from 0.001 to 1000)\n" },
	{ "unknown category key", "[category x]\nscore = 1\n[rule w]\ncategory = x\npattern = a\n",
	  "t.conf:2: category x: unknown key 'score' (known: threshold, description)\n" },
	{ "duplicate category", "[category x]\n[category x]\n[rule w]\ncategory = x\npattern = a\n",
	  "t.conf:2: duplicate [category x] (first on line 1)\n" },
	{ "define without pattern", "[define verb]\n[rule w]\ncategory = x\npattern = a\n",
	  "t.conf:1: define verb: missing 'pattern'\n" },
	{ "define key", "[define verb]\nexample = x\n[rule w]\ncategory = x\npattern = a\n",
	  "t.conf:2: define verb: unknown key 'example' (a define holds one 'pattern')\n"
	  "t.conf:1: define verb: missing 'pattern'\n" },
	{ "define loop", "[define a]\npattern = x(?&b)\n[define b]\npattern = y(?&a)\n[rule w]\ncategory = x\npattern = (?&a)\n",
	  "t.conf:7: rule w: define 'a' refers to itself (or defines nest deeper than 16)\n" },
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

static char *tag_list(const struct ct_rules *r, const char *text, int raw);

static void test_continuation_line_may_start_with_a_class(void **state)
{
	struct ct_rules *r;
	int rc;
	char *msgs = load_msgs("[rule c]\ncategory = x\npattern = \\bcharged\\s+\n"
			       "\t[^.!?]{0,20}twice\\b\nexample = charged me twice\n[rule d]\ncategory = x\npattern = zzz\n",
			       &r, &rc);
	assert_str(msgs, "");
	assert_int_equal(rc, 0);
	assert_int_equal(ct_rules_count(r), 2);
	char *got = tag_list(r, "You charged me for it twice!", 0);
	assert_str(got, "x/c");
	free(got);
	free(msgs);
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

static void test_promise_examples_state_the_due_time(void **state)
{
	struct ct_rules *r;
	int rc;
	char *got = load_msgs("[rule t]\ncategory = x\npattern = \\bzebra\\b\n"
			      "[promise p]\npattern = \\bwe\\s+will\\s+\\w+\\s+it\\s+by\\s+\\w+\n"
			      "example = 2026-03-03T10:00+01:00 | We will fix it by Thursday. | due 2026-03-05T23:59+01:00\n"
			      "example = 2026-03-03T10:00+01:00 | We will fix it by Friday. | due 2026-03-05T23:59+01:00\n"
			      "example = 2026-03-06T10:00+01:00 | We will fix it by Thursday. | past\n"
			      "example = We will fix it by Friday.\n"
			      "example = 2026-03-03T10:00+01:00 | We will send it soon. | due 2026-03-05T23:59+01:00\n",
			      &r, &rc);
	assert_int_equal(rc, 0);
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	assert_int_equal(ct_rules_check(r, fp), 4);
	fclose(fp);
	assert_str(out,
		   "t.conf:7: rule p: example wants due 2026-03-05T23:59+01:00, the match \"We will fix it by Friday\" "
		   "gives due 2026-03-06T23:59+01:00: \"We will fix it by Friday.\"\n"
		   "t.conf:8: rule p: example should be past, but the match \"We will fix it by Thursday\" gives due "
		   "2026-03-12T23:59+01:00: \"We will fix it by Thursday.\"\n"
		   "t.conf:9: rule p: a promise example reads 'WRITTEN | TEXT | due DUE' or 'WRITTEN | TEXT | past' "
		   "(times as 2026-03-05T10:00+01:00): \"We will fix it by Friday.\"\n"
		   "t.conf:10: rule p: example does not match: \"We will send it soon.\"\n");
	free(out);
	free(got);
	ct_rules_free(r);
}

static void test_ledger_rules_tag_nothing_and_find_promises(void **state)
{
	struct ct_rules *r;
	int rc;
	char *got = load_msgs("[rule t]\ncategory = x\npattern = \\bzebra\\b\n"
			      "[promise p]\npattern = \\bwe\\s+will\\s+\\w+\\s+it\\s+by\\s+\\w+\n"
			      "[kept k]\nsender = customer\npattern = \\bit\\s+works\\s+now\\b\n",
			      &r, &rc);
	assert_int_equal(rc, 0);
	const char *body = "Hello. We will fix it by Friday. A zebra. We will fix it by Monday, promised.";
	char *tags = tag_list(r, body, 1);
	assert_str(tags, "x/t");
	free(tags);
	struct ct_ledger l = CT_LEDGER_INIT;
	/* Tuesday 2026-03-03 10:00 +01:00 */
	assert_int_equal(ct_ledger_find(r, body, strlen(body), 1, ct_timegm(2026, 3, 3, 9, 0, 0), 60, &l), 0);
	/* one hit per rule: the first promise; from a customer, no promise at all */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, CT_LEDGER_PROMISE);
	assert_int_equal(l.v[0].due, ct_timegm(2026, 3, 6, 22, 59, 0));
	assert_int_equal(l.v[0].sentence_start, 7);
	assert_str(l.v[0].snippet, "We will fix it by Friday.");
	ct_ledger_clear(&l);
	assert_int_equal(ct_ledger_find(r, body, strlen(body), 0, ct_timegm(2026, 3, 3, 9, 0, 0), 60, &l), 0);
	assert_int_equal(l.n, 0);
	const char *thanks = "Thanks, it works now.";
	assert_int_equal(ct_ledger_find(r, thanks, strlen(thanks), 0, 0, 0, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, CT_LEDGER_KEPT);
	ct_ledger_clear(&l);
	/* a due time already past when written is no promise */
	assert_int_equal(ct_ledger_find(r, body, strlen(body), 1, ct_timegm(2026, 3, 7, 9, 0, 0), 60, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].due, ct_timegm(2026, 3, 13, 22, 59, 0));
	ct_ledger_clear(&l);
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

/* Categories of the tags ct_classify() gives text, "cat/rule cat/rule". Owned. */
static char *tag_list(const struct ct_rules *r, const char *text, int raw)
{
	struct ct_tags t = CT_TAGS_INIT;
	struct ct_buf b = CT_BUF_INIT;
	int rc = raw ? ct_classify_hits(r, "", text, strlen(text), 0, &t) : ct_classify(r, "", text, strlen(text), 0, &t);
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < t.n; i++)
		ct_buf_addf(&b, "%s%s/%s", i ? " " : "", t.v[i].category, t.v[i].rule_id);
	ct_tags_clear(&t);
	return ct_buf_detach(&b, NULL);
}

static void test_weak_rules_tag_only_together(void **state)
{
	static const char text[] =
		"[category billing_dispute]\nthreshold = 1.5\n"
		"[rule fee]\ncategory = billing_dispute\nscore = 0.8\npattern = \\bfees?\\b\n"
		"[rule refund]\ncategory = billing_dispute\nscore = 0.8\npattern = \\brefund\\b\n"
		"[rule tech]\ncategory = billing_dispute\nscore = -2\npattern = \\bfirmware\\b\n"
		"[rule promise]\ncategory = overpromise\npattern = \\bpromised\\b\n";
	struct ct_rules *r;
	int rc;
	char *msgs = load_msgs(text, &r, &rc);
	assert_int_equal(rc, 0);
	free(msgs);
	struct { const char *body, *want, *want_raw; } cases[] = {
		{ "The fee is due.", "", "billing_dispute/fee" },
		{ "Where is my refund for the fee?", "billing_dispute/refund billing_dispute/fee",
		  "billing_dispute/refund billing_dispute/fee" },
		{ "A refund of the firmware fee.", "", "billing_dispute/refund billing_dispute/tech billing_dispute/fee" },
		{ "You promised. Refund it.", "overpromise/promise", "overpromise/promise billing_dispute/refund" },
	};
	int bad = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		char *got = tag_list(r, cases[i].body, 0), *raw = tag_list(r, cases[i].body, 1);
		if (strcmp(got, cases[i].want) || strcmp(raw, cases[i].want_raw)) {
			print_error("\"%s\": got \"%s\" (raw \"%s\"), want \"%s\" (raw \"%s\")\n", cases[i].body, got,
				    raw, cases[i].want, cases[i].want_raw);
			bad++;
		}
		free(got);
		free(raw);
	}
	assert_int_equal(bad, 0);
	assert_true(ct_rules_threshold(r, "billing_dispute") == 1.5);
	assert_true(ct_rules_threshold(r, "overpromise") == 1.0);
	ct_rules_free(r);
}

/* A dropped tag with a negative score still counts for the tags of its category after it. */
static void test_negative_score_counts_for_later_tags(void **state)
{
	struct ct_rules *r;
	int rc;
	free(load_msgs("[rule y.tech]\ncategory = y\nscore = -1\npattern = \\bfirmware\\b\n"
		       "[rule x.promise]\ncategory = x\npattern = \\bpromised\\b\n"
		       "[rule y.refund]\ncategory = y\nscore = 1.5\npattern = \\brefund\\b\n",
		       &r, &rc));
	assert_int_equal(rc, 0);
	/* y: -1 + 1.5 = 0.5, under its threshold 1, however the tags are ordered. */
	char *got = tag_list(r, "The firmware broke. You promised it. I want a refund.", 0);
	assert_str(got, "x/x.promise");
	free(got);
	ct_rules_free(r);
}

static void test_defines_expand_in_patterns_and_the_hash(void **state)
{
	struct ct_rules *a, *b;
	int rc;
	free(load_msgs("[define verb]\npattern = promised|guaranteed\n[define who]\npattern = you\\s+(?&verb)\n"
		       "[rule p]\ncategory = overpromise\npattern = \\b(?&who)\\b\nexample = You guaranteed it.\n",
		       &a, &rc));
	assert_int_equal(rc, 0);
	free(load_msgs("[define verb]\npattern = promised\n[define who]\npattern = you\\s+(?&verb)\n"
		       "[rule p]\ncategory = overpromise\npattern = \\b(?&who)\\b\n",
		       &b, &rc));
	assert_int_equal(rc, 0);
	char *got = tag_list(a, "Well, you guaranteed delivery.", 0);
	assert_str(got, "overpromise/p");
	free(got);
	got = tag_list(b, "Well, you guaranteed delivery.", 0);
	assert_str(got, "");
	free(got);
	/* A define is part of what decides the tags. */
	assert_true(strcmp(ct_rules_hash(a), ct_rules_hash(b)) != 0);
	/* The expansion is what the prefilter sees: "guaranteed" is an anchor of its own branch. */
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ct_rules_describe(a, out);
	fclose(out);
	assert_non_null(strstr(buf, "guaranteed"));
	free(buf);
	ct_rules_free(a);
	ct_rules_free(b);
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

/* The rules' org_dept and org_addr: the configured departments' names and addresses, or nothing. */
static char *org_tags(const struct ct_rules *r, const char *body)
{
	struct ct_tags t = CT_TAGS_INIT;
	struct ct_buf b = CT_BUF_INIT;
	assert_int_equal(ct_classify(r, "", body, strlen(body), 1, &t), 0);
	for (size_t i = 0; i < t.n; i++)
		ct_buf_addf(&b, "%s%s@%zu-%zu", b.len ? " " : "", t.v[i].rule_id, t.v[i].start, t.v[i].end);
	ct_tags_clear(&t);
	return b.buf ? ct_buf_detach(&b, NULL) : ct_strdup("");
}

static void test_org_defines_name_the_configured_departments(void **state)
{
	(void)state;
	char path[] = "/tmp/casetrail-test-org-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	/* org_dept defined by the file (its own default), org_addr not: the loader adds it. */
	static const char text[] =
		"[define org_dept]\npattern = Nothing\\s+Here\n"
		"[rule dept]\ncategory = handoff\npattern = \\bpassed\\s+to\\s+(?-i:(?&org_dept))(?=[.,]|$)\n"
		"[rule addr]\ncategory = handoff\npattern = \\bwrite\\s+to\\s+(?&org_addr)\n"
		"[rule dept2]\ncategory = other\npattern = \\bhanded\\s+to\\s+(?-i:(?&org_dept))\n"
		/* declared anchors that name no department of this organization: its names' words join them */
		"[rule decl]\ncategory = third\nanchors = billing\npattern = \\bcopying\\s+in\\s+(?:billing|(?-i:(?&org_dept)))\\b\n";
	assert_true(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(fd);
	static const char *const names[] = { "Account", "Revenue Assurance", "R&D (EU)", "Account Management", "" };
	static const char *const addrs[] = { "ra@corp.example" };
	struct ct_rules_org org = { names, CT_ARRAY_SIZE(names), addrs, CT_ARRAY_SIZE(addrs) };
	struct ct_rules *with, *without, *none;
	assert_int_equal(ct_rules_load_org(path, &org, stderr, &with), 0);
	assert_int_equal(ct_rules_load_org(path, NULL, stderr, &without), 0);
	struct ct_rules_org empty = { NULL, 0, NULL, 0 };
	assert_int_equal(ct_rules_load_org(path, &empty, stderr, &none), 0);
	static const struct {
		const char *body, *with, *without;
	} cases[] = {
		{ "I have passed to Revenue  Assurance.", "dept@7-35", "" },
		{ "I have passed to revenue assurance.", "", "" },          /* names as configured */
		{ "I have passed to R&D (EU).", "dept@7-25", "" },          /* punctuation taken literally */
		{ "I have passed to R&D EU.", "", "" },
		{ "I have passed to Account Management.", "dept@7-35", "" },
		{ "I have handed to Account Management today.", "dept2@7-35", "" }, /* the longer name first */
		{ "I have passed to Nothing Here.", "", "dept@7-29" },       /* the file's own, without names */
		{ "Please write to RA@corp.example today.", "addr@7-31", "" },
		{ "We are copying in Revenue Assurance now.", "decl@7-35", "" },
		{ "We are copying in billing now.", "decl@7-25", "decl@7-25" },
		{ "Please write to ra@corpXexample today.", "", "" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		char *a = org_tags(with, cases[i].body), *b = org_tags(without, cases[i].body), *c = org_tags(none, cases[i].body);
		assert_string_equal(a, cases[i].with);
		assert_string_equal(b, cases[i].without);
		assert_string_equal(c, cases[i].without);
		free(a);
		free(b);
		free(c);
	}
	/* The names are part of what the rules are: another organization, another hash. */
	assert_string_not_equal(ct_rules_hash(with), ct_rules_hash(without));
	assert_string_equal(ct_rules_hash(none), ct_rules_hash(without));
	ct_rules_free(with);
	ct_rules_free(without);
	ct_rules_free(none);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_file_errors_exact),
		cmocka_unit_test(test_rules_reports_every_error),
		cmocka_unit_test(test_rules_long_line_refused),
		cmocka_unit_test(test_rules_continuation_and_repeated_examples),
		cmocka_unit_test(test_continuation_line_may_start_with_a_class),
		cmocka_unit_test(test_rules_check_catches_failing_example),
		cmocka_unit_test(test_rules_check_catches_wrong_anchors),
		cmocka_unit_test(test_rules_hash_follows_content_not_examples),
		cmocka_unit_test(test_weak_rules_tag_only_together),
		cmocka_unit_test(test_negative_score_counts_for_later_tags),
		cmocka_unit_test(test_defines_expand_in_patterns_and_the_hash),
		cmocka_unit_test(test_default_rules_pass_their_examples),
		cmocka_unit_test(test_promise_examples_state_the_due_time),
		cmocka_unit_test(test_ledger_rules_tag_nothing_and_find_promises),
		cmocka_unit_test(test_org_defines_name_the_configured_departments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
