/*
 * test_subject.c - ct_subject_normalize: reply and forward prefixes in many
 * languages, counters, list and ticket tags at either end, blanks and case.
 */
#include "unit.h"
#include "../../ingest/ingest.h"

static const struct {
	const char *in, *want;
} cases[] = {
	/* prefixes, repeated and mixed */
	{ "Re: Invoice", "invoice" },
	{ "RE: Re: re: Invoice", "invoice" },
	{ "Fwd: FW: Fw: WG: SV: Antw: AW: TR: RIF: VS: Invoice", "invoice" },
	{ "Re[2]: Invoice", "invoice" },
	{ "Re(3): Invoice", "invoice" },
	{ "RE [2]: Invoice", "invoice" },
	{ "Re [x]: Invoice", "re [x]: invoice" },
	{ "Re : Invoice", "invoice" },
	{ "Re:Invoice", "invoice" },
	{ "AW:WG:Invoice", "invoice" },
	{ "Re\xEF\xBC\x9A Invoice", "invoice" },
	/* words that only start like a prefix stay */
	{ "Refund missing", "refund missing" },
	{ "Reply needed: invoice", "reply needed: invoice" },
	{ "Fwdx: invoice", "fwdx: invoice" },
	{ "Resolution needed", "resolution needed" },
	{ "Svar: invoice", "svar: invoice" },
	/* a prefix later in the subject is text */
	{ "Invoice Re: March", "invoice re: march" },
	/* list and ticket tags at the start or end */
	{ "[billing-list] Re: Invoice", "invoice" },
	{ "Re: [billing-list] Re: Invoice", "invoice" },
	{ "[#4521] Usage report request", "usage report request" },
	{ "Usage report request [#4521]", "usage report request" },
	{ "Re: [casetrail.test #12] Broken login", "broken login" },
	{ "Broken login [casetrail.test #12]  ", "broken login" },
	{ "[list] [#7] Re: Fwd: Broken login [#7]", "broken login" },
	{ "Invoice (fwd)", "invoice" },
	{ "[Fwd: Invoice wrong]", "invoice wrong" },
	{ "Re: [Fwd: Invoice [#12]]", "invoice" },
	/* a tag in the middle is text */
	{ "Invoice [#4521] wrong", "invoice [#4521] wrong" },
	/* unclosed bracket */
	{ "[oops Invoice", "[oops invoice" },
	/* blanks and case */
	{ "  Invoice\t  wrong \n again ", "invoice wrong again" },
	{ "ÜBERWEISUNG Fehlt", "überweisung fehlt" },
	{ "AW: ÄÖÜ ÀÉÎ", "äöü àéî" },
	{ "Re: СЧЕТ ЗА МАРТ", "счет за март" },
	{ "Ελληνικά ΘΕΜΑ", "ελληνικά θεμα" },
	{ "ŁÓDŹ Œuvre", "łódź œuvre" },
	{ "日本語の件名", "日本語の件名" },
	/* degenerate */
	{ "Re:", "" },
	{ "Re: [#1]", "" },
	{ "[]", "" },
	{ "", "" },
};

static void test_subject_normalisation_table(void **state)
{
	int failed = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		char *got = ct_subject_normalize(cases[i].in);
		if (strcmp(got, cases[i].want)) {
			print_error("\"%s\": got \"%s\", want \"%s\"\n", cases[i].in, got, cases[i].want);
			failed++;
		}
		free(got);
	}
	assert_int_equal(failed, 0);
}

static void test_replies_share_the_original_subject(void **state)
{
	const char *thread[] = {
		"Invoice 4471 is wrong",
		"Re: Invoice 4471 is wrong",
		"AW: RE: Invoice 4471 is  wrong",
		"[billing] Fwd: Re: invoice 4471 IS WRONG [#4471]",
	};
	char *first = ct_subject_normalize(thread[0]);
	for (size_t i = 1; i < CT_ARRAY_SIZE(thread); i++) {
		char *got = ct_subject_normalize(thread[i]);
		assert_str(got, first);
		free(got);
	}
	free(first);
}

static void test_null_and_invalid_utf8_are_safe(void **state)
{
	char *a = ct_subject_normalize(NULL);
	assert_str(a, "");
	free(a);
	char *b = ct_subject_normalize("Re: caf\xE9 \xFF");
	assert_str(b, "caf\xE9 \xFF");
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_normalisation_table),
		cmocka_unit_test(test_replies_share_the_original_subject),
		cmocka_unit_test(test_null_and_invalid_utf8_are_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
