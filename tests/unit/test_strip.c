/* test_strip.c - text preparation: what the author wrote, for each client style. */
#include "unit.h"
#include "../../classify/classify.h"
#include "../../base/base.h"

/* The kept text of body, ranges joined with '|'. */
static char *kept(const char *body)
{
	struct ct_spans sp = { NULL, 0, 0 };
	struct ct_buf b = CT_BUF_INIT;
	ct_strip_authored(body, strlen(body), &sp);
	for (size_t i = 0; i < sp.n; i++) {
		if (i)
			ct_buf_addch(&b, '|');
		ct_buf_add(&b, body + sp.v[i].start, sp.v[i].end - sp.v[i].start);
	}
	free(sp.v);
	return ct_buf_detach(&b, NULL);
}

struct strip_case {
	const char *name, *body, *want;
};

static const struct strip_case cases[] = {
	{ "gmail",
	  "Hi Dana,\n\nThe export still fails.\n\nOn Mon, Mar 4, 2024 at 9:12 AM Dana Okafor <dana@example.com> wrote:\n"
	  "> We promise a fix by Friday.\n> Dana\n",
	  "Hi Dana,\n\nThe export still fails." },
	{ "gmail wrapped attribution",
	  "Thanks, that worked.\n\nOn Mon, Mar 4, 2024 at 9:12 AM Dana Okafor <\ndana@example.com> wrote:\n"
	  "> We promise a fix by Friday.\n",
	  "Thanks, that worked." },
	{ "outlook original message",
	  "Please check again.\n\n-----Original Message-----\nFrom: Billing <billing@example.com>\nSent: Monday\n\n"
	  "We charged you twice.\n",
	  "Please check again." },
	{ "outlook header block",
	  "Please check again.\n\n________________________________\nFrom: Billing <billing@example.com>\n"
	  "Sent: Tuesday, March 5, 2024 6:56 AM\nTo: Ana\nSubject: Re: Invoice\n\nWe charged you twice.\n",
	  "Please check again." },
	{ "outlook header block without rule",
	  "Please check again.\n\nFrom: Billing <billing@example.com>\nSent: Tuesday, March 5, 2024 6:56 AM\n"
	  "Subject: Re: Invoice\n\nWe charged you twice.\n",
	  "Please check again." },
	{ "german outlook",
	  "Bitte prüfen Sie das.\n\nVon: Support <support@example.com>\nGesendet: Donnerstag, 7. März 2024 10:00\n"
	  "An: Kunde\nBetreff: AW: Rechnung\n\nWir garantieren eine Lösung.\n",
	  "Bitte prüfen Sie das." },
	{ "german outlook original",
	  "Danke.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\nWir garantieren es.\n", "Danke." },
	{ "apple mail",
	  "Still broken here.\n\n> On 4 Apr 2024, at 10:12, Siobhan <s@example.com> wrote:\n>\n> I guarantee it works.\n",
	  "Still broken here." },
	{ "apple mail unquoted attribution",
	  "Still broken here.\n\nOn 4 Apr 2024, at 10:12, Siobhan <s@example.com> wrote:\n\n> I guarantee it works.\n",
	  "Still broken here." },
	{ "thunderbird",
	  "Any news?\n\nOn 04/03/2024 09:12, Anna Müller wrote:\n> The refund is on its way.\n", "Any news?" },
	{ "german attribution",
	  "Keine Antwort bisher.\n\nAm 04.03.2024 um 09:12 schrieb Max Muster <max@example.org>:\n> Wir melden uns.\n",
	  "Keine Antwort bisher." },
	{ "french attribution",
	  "Merci.\n\nLe lun. 4 mars 2024 à 09:12, Marie <marie@example.fr> a écrit :\n> Nous garantissons.\n", "Merci." },
	{ "spanish attribution",
	  "Gracias.\n\nEl lun, 4 mar 2024 a las 9:12, Ana <ana@example.es> escribió:\n> Garantizamos.\n", "Gracias." },
	{ "inline reply keeps text below the quote",
	  "On Mon, Mar 4, 2024 at 9:12 AM Dana <d@example.com> wrote:\n> Is the invoice right?\n\nNo, it is wrong.\n",
	  "No, it is wrong." },
	{ "gmail forward",
	  "Over to you.\n\n---------- Forwarded message ---------\nFrom: Ana <ana@example.com>\n\nYou charged us twice.\n",
	  "Over to you." },
	{ "apple forward",
	  "FYI\n\nBegin forwarded message:\n\nFrom: Ana <ana@example.com>\nYou charged us twice.\n", "FYI" },
	{ "thunderbird german forward",
	  "Zur Info.\n\n-------- Weitergeleitete Nachricht --------\nBetreff: Rechnung\nDoppelt abgebucht.\n", "Zur Info." },
	{ "signature delimiter",
	  "The invoice is fine.\n\n-- \nSofia\nBilling | We guarantee it works\n", "The invoice is fine." },
	{ "sign-off block",
	  "Dear Ana,\n\nThe credit is applied.\n\nKind regards,\nSofia Marchetti\nBilling Specialist\n",
	  "Dear Ana,\n\nThe credit is applied." },
	{ "german sign-off",
	  "Hallo,\n\nwir prüfen das.\n\nMit freundlichen Grüßen\nMax Muster\n", "Hallo,\n\nwir prüfen das." },
	{ "legal footer",
	  "Please see the attached quote.\n\nThis e-mail and any attachments are confidential. If you are not the "
	  "intended recipient we guarantee nothing.\n",
	  "Please see the attached quote." },
	{ "confidentiality notice",
	  "See below.\n\nCONFIDENTIALITY NOTICE: this message was charged twice.\n", "See below." },
	{ "german footer",
	  "Siehe unten.\n\nDiese E-Mail enthält vertrauliche Informationen. Doppelt abgebucht.\n", "Siehe unten." },
	{ "newsletter",
	  "Hi there,\n\nWe guarantee you will find one idea.\n\nWeekly Digest\n\nUnsubscribe at any time.\n", "" },
	{ "patch: the diff goes, the text after it stays",
	  "Something like this fixes it:\n\ndiff --git a/md.c b/md.c\nindex 1234..5678 100644\n--- a/md.c\n+++ b/md.c\n"
	  "@@ -1,3 +1,3 @@\n context line\n-/* we guarantee the refund */\n+/* charged twice */\n\nDoes that help?\n",
	  "Something like this fixes it:|Does that help?" },
	{ "hunk without a diff header",
	  "See:\n@@ -10,2 +10,2 @@ static int f(void)\n-\tfee = 1;\n+\tfee = 2;\nDoes it work?\n", "See:|Does it work?" },
	{ "unified diff of two files",
	  "Try:\n--- old.conf\n+++ new.conf\n-refund = no\n+refund = yes\nOK?\n", "Try:|OK?" },
	{ "a log paragraph goes, prose with a time stays",
	  "It broke at 03:25:30 last night.\n\nrun test at Fri Apr 28 03:25:30 UTC 2023\n"
	  "md: could not open device unknown-block(1,0).\nCall Trace:\n dump_stack_lvl+0xe7/0x180\n"
	  " sysfs_warn_dup+0xa2/0xd0\n\nAny idea?\n",
	  "It broke at 03:25:30 last night.|Any idea?" },
	{ "code lines go",
	  "The charge is computed here:\n  if (fee_total != 0 && refund) {\n    total = fee_total->amount;\n  }\nIs that the right formula?\n",
	  "The charge is computed here:|Is that the right formula?" },
	{ "redacted dates and amounts are prose",
	  "On XX/XX/2019 they charged {$25.00} again (a late fee) and on XX/XX/XXXX another one.\n",
	  "On XX/XX/2019 they charged {$25.00} again (a late fee) and on XX/XX/XXXX another one." },
	{ "disclaimer: access by anyone else",
	  "Regards to all.\nAccess to this email by anyone else is unauthorised.\n", "Regards to all." },
	{ "a URL is cut out of its sentence",
	  "See https://forum.example.org/t/you-charged-me-twice/1234 for details.\n",
	  "See | for details." },
	{ "a URL at the start of a line and one ending a sentence",
	  "www.example.com/refund-never-received\nRead it at http://example.org/late-fee.\nThanks a lot for that\n",
	  "Read it at |.\nThanks a lot for that" },
	{ "not a URL: a word before www, a lone scheme",
	  "Try awww.example and see a://b here.\n", "Try awww.example and see a://b here." },
	{ "first line thanks is not a sign-off block",
	  "Thanks!\n\nBut you charged us twice.\n", "Thanks!\n\nBut you charged us twice." },
};

static void test_strip_client_styles(void **state)
{
	int bad = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		char *got = kept(cases[i].body);
		if (strcmp(got, cases[i].want)) {
			print_error("%s: got \"%s\", want \"%s\"\n", cases[i].name, got, cases[i].want);
			bad++;
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

static void test_strip_keeps_byte_offsets(void **state)
{
	const char *body = "> quoted line\nAuthor wrote ünïcode here.\n> more\nSecond part.\n";
	struct ct_spans sp = { NULL, 0, 0 };
	ct_strip_authored(body, strlen(body), &sp);
	assert_int_equal(sp.n, 2);
	assert_int_equal(sp.v[0].start, strlen("> quoted line\n"));
	assert_memory_equal(body + sp.v[0].start, "Author wrote", 12);
	assert_int_equal(sp.v[1].end, strlen(body) - 1);
	assert_memory_equal(body + sp.v[1].start, "Second part.", 12);
	free(sp.v);
}

static void test_strip_crlf_and_empty(void **state)
{
	char *got = kept("Hello\r\n\r\n-- \r\nSig\r\n");
	assert_str(got, "Hello\r");
	free(got);
	got = kept("");
	assert_str(got, "");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_client_styles),
		cmocka_unit_test(test_strip_keeps_byte_offsets),
		cmocka_unit_test(test_strip_crlf_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
