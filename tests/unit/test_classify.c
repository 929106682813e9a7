/* test_classify.c - tagging: unless, sender side, spans and snippets, quotes, fields, prefilter, threads. */
#include "unit.h"
#include "../../classify/classify.h"
#include "../../classify/classify_p.h"
#include "../../base/base.h"

#include <pthread.h>

static const char rules_text[] =
	"[rule billing.charged-twice]\n"
	"category = billing_dispute\n"
	"sender = customer\n"
	"pattern = \\b(?:charged|billed)\\s+(?:us\\s+|me\\s+)?twice\\b\n"
	"unless = \\b(?:not|never|didn['’]t)\\b\n"
	"[rule promise.guarantee]\n"
	"category = overpromise\n"
	"sender = staff\n"
	"pattern = \\bi\\s+guarantee\\b\n"
	"[rule handoff.transfer]\n"
	"category = handoff\n"
	"pattern = \\btransferring\\s+you\\b\n"
	"unless = \\bno\\s+need\\b\n"
	"[rule subject.urgent]\n"
	"category = urgent\n"
	"fields = subject\n"
	"pattern = \\burgent\\b\n"
	"[rule exact.case]\n"
	"category = shout\n"
	"caseless = no\n"
	"pattern = \\bREFUND NOW\\b\n"
	"[rule two.words]\n"
	"category = pair\n"
	"pattern = \\bsupposed\\s+(?:\\w+\\s+){0,3}?delivered\\b|\\bnever\\s+arrived\\b\n"
	"[rule de.doppelt]\n"
	"category = billing_dispute\n"
	"pattern = doppelt\\s+abgebucht\n";

static struct ct_rules *rules;

static int setup(void **state)
{
	return ct_rules_load_string("t.conf", rules_text, stderr, &rules);
}

static int teardown(void **state)
{
	ct_rules_free(rules);
	return 0;
}

/* The tags of body as "category/rule" joined with ' '. */
static char *tag_list(const char *subject, const char *body, int staff)
{
	struct ct_tags t = CT_TAGS_INIT;
	struct ct_buf b = CT_BUF_INIT;
	if (ct_classify(rules, subject, body, strlen(body), staff, &t))
		ct_buf_addstr(&b, "ERROR");
	for (size_t i = 0; i < t.n; i++)
		ct_buf_addf(&b, "%s%s/%s", i ? " " : "", t.v[i].category, t.v[i].rule_id);
	ct_tags_clear(&t);
	return ct_buf_detach(&b, NULL);
}

struct tag_case {
	const char *name, *subject, *body;
	int staff;
	const char *want;
};

static const struct tag_case cases[] = {
	{ "customer complaint", "", "Hello,\nyou charged us twice for March.\n", 0,
	  "billing_dispute/billing.charged-twice" },
	{ "unless cancels the sentence", "", "We did not charge you twice, and we never billed you twice.\n", 0, "" },
	{ "unless is per sentence", "", "We were not happy. You billed me twice!\n", 0,
	  "billing_dispute/billing.charged-twice" },
	{ "unless cancels handoff", "", "There is no need for transferring you, I can fix it.\n", 1, "" },
	{ "handoff any sender", "", "I am transferring you to Billing.\n", 1, "handoff/handoff.transfer" },
	{ "anchored attempt needs the word boundary", "", "We are retransferring you.\n", 1, "" },
	{ "second hit of an anchored rule", "", "Retransferring you? No: transferring you now.\n", 1,
	  "handoff/handoff.transfer" },
	{ "quoted text does not count", "",
	  "Thanks.\n\nOn Mon, 4 Mar 2024 at 09:00, Ana <a@example.com> wrote:\n> You charged us twice.\n", 0, "" },
	{ "signature does not count", "", "All fine now.\n\n-- \nSofia\nI guarantee it works!\n", 1, "" },
	{ "subject field only with fields = subject", "URGENT: invoice", "charged twice\n", 0,
	  "urgent/subject.urgent billing_dispute/billing.charged-twice" },
	{ "body rules ignore the subject", "charged us twice", "Hello\n", 0, "" },
	{ "caseless = no", "", "Please REFUND NOW. And refund now.\n", 0, "shout/exact.case" },
	{ "caseless = no rejects other case", "", "please refund now\n", 0, "" },
	{ "case folded prefilter", "", "YOU CHARGED US TWICE\n", 0, "billing_dispute/billing.charged-twice" },
	{ "match across a wrapped line", "", "you charged us\ntwice last month\n", 0,
	  "billing_dispute/billing.charged-twice" },
	{ "german", "", "Sie haben doppelt abgebucht.\n", 0, "billing_dispute/de.doppelt" },
	{ "branch needs both words in one sentence", "", "It was supposed to be. Then delivered late.\n", 0, "" },
	{ "branch with both words", "", "It was supposed to be delivered in May.\n", 0, "pair/two.words" },
	{ "second branch", "", "The parcel never arrived.\n", 0, "pair/two.words" },
};

static void test_classify_table(void **state)
{
	int bad = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		char *got = tag_list(cases[i].subject, cases[i].body, cases[i].staff);
		if (strcmp(got, cases[i].want)) {
			print_error("%s: got \"%s\", want \"%s\"\n", cases[i].name, got, cases[i].want);
			bad++;
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

static void test_customer_rule_ignores_staff_sender(void **state)
{
	char *got = tag_list("", "You charged us twice.", 1);
	assert_str(got, "");
	free(got);
}

static void test_staff_rule_ignores_customer_sender(void **state)
{
	char *got = tag_list("", "I guarantee it will be fixed by Friday.", 0);
	assert_str(got, "");
	free(got);
	got = tag_list("", "I guarantee it will be fixed by Friday.", 1);
	assert_str(got, "overpromise/promise.guarantee");
	free(got);
}

static void test_span_and_snippet_on_multibyte_text(void **state)
{
	/* 70 two-byte characters before the match, 70 three-byte ones after. */
	struct ct_buf b = CT_BUF_INIT;
	for (int i = 0; i < 70; i++)
		ct_buf_addstr(&b, "é");
	ct_buf_addstr(&b, "\nyou charged us twice\n");
	for (int i = 0; i < 70; i++)
		ct_buf_addstr(&b, "€");
	struct ct_tags t = CT_TAGS_INIT;
	assert_int_equal(ct_classify(rules, "", b.buf, b.len, 0, &t), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].start, 140 + 1 + 4);
	assert_int_equal(t.v[0].end, 140 + 1 + strlen("you charged us twice"));
	assert_memory_equal(b.buf + t.v[0].start, "charged us twice", 16);
	assert_int_equal(t.v[0].in_subject, 0);
	/* The whole sentence (no end mark, no blank line), newlines folded: under 100 characters each side. */
	struct ct_buf want = CT_BUF_INIT;
	for (int i = 0; i < 70; i++)
		ct_buf_addstr(&want, "é");
	ct_buf_addstr(&want, " you charged us twice ");
	for (int i = 0; i < 70; i++)
		ct_buf_addstr(&want, "€");
	assert_str(t.v[0].snippet, want.buf);
	assert_true(ct_utf8_valid(t.v[0].snippet, strlen(t.v[0].snippet)));
	ct_tags_clear(&t);
	ct_buf_release(&b);
	ct_buf_release(&want);
}

static void test_snippet_is_the_sentence_cut_at_words(void **state)
{
	/* 40 words of 5 letters before the match, 40 after: about 240 characters each side. */
	struct ct_buf b = CT_BUF_INIT, want = CT_BUF_INIT;
	ct_buf_addstr(&b, "First sentence stays out. ");
	for (int i = 0; i < 40; i++)
		ct_buf_addstr(&b, "wordé ");
	ct_buf_addstr(&b, "you charged us twice");
	for (int i = 0; i < 40; i++)
		ct_buf_addstr(&b, " alpha");
	ct_buf_addstr(&b, ". Next one stays out too.");
	struct ct_tags t = CT_TAGS_INIT;
	assert_int_equal(ct_classify(rules, "", b.buf, b.len, 0, &t), 0);
	assert_int_equal(t.n, 1);
	/* 100 characters back from "charged" end inside a word: that word is dropped. */
	ct_buf_addstr(&want, "\xe2\x80\xa6");
	for (int i = 0; i < 16; i++)
		ct_buf_addstr(&want, " wordé");
	ct_buf_addstr(&want, " you charged us twice");
	for (int i = 0; i < 16; i++)
		ct_buf_addstr(&want, " alpha");
	ct_buf_addstr(&want, " \xe2\x80\xa6");
	assert_str(t.v[0].snippet, want.buf);
	ct_tags_clear(&t);
	ct_buf_release(&b);
	ct_buf_release(&want);
}

static void test_span_points_into_the_stored_body(void **state)
{
	const char *body = "> You charged us twice.\n\nReally: you charged me twice!\n";
	struct ct_tags t = CT_TAGS_INIT;
	assert_int_equal(ct_classify(rules, "", body, strlen(body), 0, &t), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].start, (size_t)(strstr(body, "charged me") - body));
	assert_memory_equal(body + t.v[0].start, "charged me twice", t.v[0].end - t.v[0].start);
	assert_str(t.v[0].snippet, "Really: you charged me twice!");
	ct_tags_clear(&t);
}

static void test_invalid_utf8_is_matched_safely(void **state)
{
	const char body[] = "bad \xff\xfe bytes: you charged us twice \xc3";
	struct ct_tags t = CT_TAGS_INIT;
	assert_int_equal(ct_classify(rules, "", body, sizeof(body) - 1, 0, &t), 0);
	assert_int_equal(t.n, 1);
	assert_memory_equal(body + t.v[0].start, "charged us twice", 16);
	assert_true(ct_utf8_valid(t.v[0].snippet, strlen(t.v[0].snippet)));
	ct_tags_clear(&t);
}

/*
 * A rule PCRE2 cannot finish matching (its match limit: a pattern that
 * backtracks without end) does not count for that text; the other rules
 * tag as always, the call succeeds, and ct_classify_failure() names the
 * rule until the next call.
 */
static void test_unfinished_match_skips_only_that_rule(void **state)
{
	struct ct_rules *r = NULL;
	assert_int_equal(ct_rules_load_string("slow.conf",
		"[rule billing.twice]\ncategory = billing_dispute\npattern = \\bcharged\\s+twice\\b\n"
		"[rule slow.backtrack]\ncategory = billing_dispute\npattern = (?:x+x+)+[yz]\n"
		"[rule slow.unless]\ncategory = handoff\npattern = \\bxx\nunless = (?:x+x+)+[yz]\n",
		stderr, &r), 0);
	const char body[] = "You charged twice. xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	struct ct_tags t = CT_TAGS_INIT;
	assert_int_equal(ct_classify_hits(r, "", body, sizeof(body) - 1, 0, &t), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.v[0].rule_id, "billing.twice");
	const char *f = ct_classify_failure();
	assert_non_null(f);
	assert_non_null(strstr(f, "match limit"));
	assert_true(strstr(f, "rule 'slow.backtrack'") || strstr(f, "rule 'slow.unless'"));
	ct_tags_clear(&t);
	/* a text that matches in time: no failure left over from the call before */
	const char ok[] = "You charged twice. xxy";
	assert_int_equal(ct_classify_hits(r, "", ok, sizeof(ok) - 1, 0, &t), 0);
	assert_null(ct_classify_failure());
	assert_int_equal(t.n, 2);   /* billing.twice, slow.backtrack; slow.unless is cancelled by its unless */
	ct_tags_clear(&t);
	ct_rules_free(r);
}

/* first, then filler sentences past CT_CUE_WINDOW, then last. */
static void far_apart(struct ct_buf *b, const char *first, const char *last)
{
	ct_buf_addstr(b, first);
	while (b->len < CT_CUE_WINDOW + 100)
		ct_buf_addstr(b, " Nothing else to say here.");
	ct_buf_addstr(b, last);
}

/* Weak cues add up only within CT_CUE_WINDOW bytes of each other (or from the subject). */
static void test_weak_cues_count_when_close(void **state)
{
	struct ct_rules *r = NULL;
	assert_int_equal(ct_rules_load_string("cues.conf",
		"[rule cue.refund]\ncategory = billing_dispute\nscore = 0.6\nfields = subject, body\npattern = \\brefund\\b\n"
		"[rule cue.fee]\ncategory = billing_dispute\nscore = 0.6\npattern = \\bfee\\b\n"
		"[rule cue.thanks]\ncategory = billing_dispute\nscore = -0.3\npattern = \\bthanks\\b\n",
		stderr, &r), 0);
	struct ct_buf far = CT_BUF_INIT;
	far_apart(&far, "The refund is late.", " The fee is odd.");
	struct ct_tags t = CT_TAGS_INIT;
	const char near[] = "The refund is late. The fee is odd.";
	assert_int_equal(ct_classify(r, "", near, sizeof(near) - 1, 0, &t), 0);
	assert_int_equal(t.n, 2);
	ct_tags_clear(&t);
	/* the same two cues pages apart: chance, not one complaint */
	assert_int_equal(ct_classify(r, "", far.buf, far.len, 0, &t), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(ct_classify_hits(r, "", far.buf, far.len, 0, &t), 0);
	assert_int_equal(t.n, 2);
	assert_true(ct_tags_category_score(&t, 0, t.v[0].category) < 0.7);
	ct_tags_clear(&t);
	/* a subject cue counts with a body cue anywhere */
	const char *body = strstr(far.buf, "Nothing");
	assert_int_equal(ct_classify(r, "Refund", body, strlen(body), 0, &t), 0);
	assert_int_equal(t.n, 2);
	ct_tags_clear(&t);
	/* a negative cue counts wherever it is */
	struct ct_buf neg = CT_BUF_INIT;
	far_apart(&neg, "Thanks.", " The refund and the fee are odd.");
	assert_int_equal(ct_classify(r, "", neg.buf, neg.len, 0, &t), 0);
	assert_int_equal(t.n, 0);
	ct_tags_clear(&t);
	ct_buf_release(&neg);
	ct_buf_release(&far);
	ct_rules_free(r);
}

/*
 * repeat = N: a rule hits once its pattern has matched in N different
 * sentences of the body; two matches in one sentence are one. The tag
 * shows the first match. The same with declared anchors (the hit loop)
 * and without any (the rule that always runs).
 */
static void test_repeat_counts_sentences(void **state)
{
	static const char *const variants[] = {
		"[rule hand.referred]\ncategory = handoff\nrepeat = 2\nscore = 1\n"
		"pattern = \\btold me to (?:call|contact) (?:the )?\\w+\n",
		"[rule hand.referred]\ncategory = handoff\nrepeat = 2\nscore = 1\nanchors = told\n"
		"pattern = \\btold me to (?:call|contact) (?:the )?\\w+\n",
		"[rule hand.referred]\ncategory = handoff\nrepeat = 2\nscore = 1\n"
		/* extended mode: the prefilter finds no anchor, the rule always runs */
		"pattern = (?x) \\b \\w+ \\s me \\s to \\s (?:call|contact) \\s (?:the\\s)? \\w+\n",
	};
	for (size_t v = 0; v < sizeof(variants) / sizeof(*variants); v++) {
		struct ct_rules *r = NULL;
		assert_int_equal(ct_rules_load_string("rep.conf", variants[v], stderr, &r), 0);
		assert_int_equal(r->v[0].anchors.n == 0, v == 2);
		struct ct_tags t = CT_TAGS_INIT;
		const char once[] = "Billing told me to call the helpdesk, and I did.";
		assert_int_equal(ct_classify(r, "", once, sizeof(once) - 1, 0, &t), 0);
		assert_int_equal(t.n, 0);
		const char same[] = "Billing told me to call Sales and Sales told me to contact Billing.";
		assert_int_equal(ct_classify(r, "", same, sizeof(same) - 1, 0, &t), 0);
		assert_int_equal(t.n, 0);
		const char twice[] = "Billing told me to call Sales. Then Sales told me to contact the helpdesk.";
		assert_int_equal(ct_classify(r, "", twice, sizeof(twice) - 1, 0, &t), 0);
		assert_int_equal(t.n, 1);
		assert_int_equal(t.v[0].start, strstr(twice, "told") - twice);
		assert_int_equal(t.v[0].end, strstr(twice, " Sales.") + 6 - twice);
		ct_tags_clear(&t);
		ct_rules_free(r);
	}
	/* repeat is for the body's sentences: not for a rule that reads the subject */
	struct ct_rules *r = NULL;
	FILE *err = tmpfile();
	assert_int_equal(ct_rules_load_string("bad.conf",
		"[rule x]\ncategory = handoff\nrepeat = 2\nfields = any\npattern = \\btold\\b\n"
		"[rule y]\ncategory = handoff\nrepeat = 1.5\npattern = \\btold\\b\n", err, &r), -1);
	char buf[512] = "";
	rewind(err);
	size_t n = fread(buf, 1, sizeof(buf) - 1, err);
	buf[n] = '\0';
	fclose(err);
	assert_non_null(strstr(buf, "rule x: repeat counts sentences of the body"));
	assert_non_null(strstr(buf, "rule y: bad repeat '1.5'"));
}

struct pf_case {
	const char *pattern, *want;
	int at_start;
};

/* Required literals, frequency-aware; sets that begin the match are preferred. */
static const struct pf_case pf_cases[] = {
	{ "\\bcharged\\s+twice\\b", "charged", 1 },
	{ "\\b(?:charged|billed)\\s+(?:us\\s+)?twice", "charged,billed", 1 },
	{ "(?:refund|credit note)s? missing", "refund,credit note", 1 },
	{ "the (?:refund|credit note)s? (?:is|are) missing", "missing", 0 },
	{ "colou?r scheme", "r scheme", 0 },
	{ "abc|xy", "", 0 },                       /* a branch without a 3-byte literal */
	{ "(?=foo)bar", "bar", 1 },                /* lookahead skipped, "bar" still begins the match */
	{ "(?x) charged twice", "", 0 },           /* extended mode: give up */
	{ "(?:a|b)+cd", "", 0 },
	{ "over\\s+to\\s+(?:billing|finance)", "billing,finance", 0 },
	{ "(?i:Transfer)ring", "transfer", 1 },
	{ "\\b(?:i|we)\\s+guarantee\\b", "guarantee", 0 },
};

static void test_prefilter_extracts_required_literals(void **state)
{
	int bad = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(pf_cases); i++) {
		struct ct_strlist l = CT_STRLIST_INIT;
		struct ct_buf b = CT_BUF_INIT;
		int at_start;
		ct_pf_extract(pf_cases[i].pattern, &l, &at_start);
		for (size_t k = 0; k < l.n; k++)
			ct_buf_addf(&b, "%s%s", k ? "," : "", l.v[k]);
		if (strcmp(b.buf, pf_cases[i].want) || (l.n && at_start != pf_cases[i].at_start)) {
			print_error("%s: got \"%s\" (start %d), want \"%s\" (start %d)\n", pf_cases[i].pattern, b.buf,
				    at_start, pf_cases[i].want, pf_cases[i].at_start);
			bad++;
		}
		ct_strlist_clear(&l);
		ct_buf_release(&b);
	}
	assert_int_equal(bad, 0);
}

static void *worker(void *arg)
{
	long *fails = arg;
	for (int i = 0; i < 500; i++) {
		struct ct_tags t = CT_TAGS_INIT;
		const char *body = (i & 1) ? "you charged us twice" : "I am transferring you now";
		if (ct_classify(rules, "", body, strlen(body), 0, &t) || t.n != 1)
			(*fails)++;
		ct_tags_clear(&t);
	}
	return NULL;
}

static void test_classify_is_thread_safe(void **state)
{
	pthread_t th[4];
	long fails[4] = { 0, 0, 0, 0 };
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, &fails[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(fails[i], 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_customer_rule_ignores_staff_sender),
		cmocka_unit_test(test_staff_rule_ignores_customer_sender),
		cmocka_unit_test(test_span_and_snippet_on_multibyte_text),
		cmocka_unit_test(test_snippet_is_the_sentence_cut_at_words),
		cmocka_unit_test(test_span_points_into_the_stored_body),
		cmocka_unit_test(test_invalid_utf8_is_matched_safely),
		cmocka_unit_test(test_prefilter_extracts_required_literals),
		cmocka_unit_test(test_classify_is_thread_safe),
		cmocka_unit_test(test_unfinished_match_skips_only_that_rule),
		cmocka_unit_test(test_weak_cues_count_when_close),
		cmocka_unit_test(test_repeat_counts_sentences),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
