/* test_imap_utf7.c - IMAP folder names: UTF-8 <-> modified UTF-7 (RFC 3501 5.1.3). */
#include "unit.h"
#include "../../ingest/mailnet_p.h"

static void check_pair(const char *utf8, const char *wire)
{
	char *e = ct_imap_utf7_encode(utf8);
	char *d = ct_imap_utf7_decode(wire);
	assert_str(e, wire);
	assert_str(d, utf8);
	free(e);
	free(d);
}

static void test_rfc_examples_and_ascii(void **state)
{
	check_pair("INBOX", "INBOX");
	check_pair("", "");
	/* RFC 3501's example */
	check_pair("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		   "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	check_pair("R\xc3\xbc" "ckfragen", "R&APw-ckfragen");
	check_pair("Billing & Accounts", "Billing &- Accounts");
	check_pair("Entw\xc3\xbc" "rfe.\xc3\x84nderungen", "Entw&APw-rfe.&AMQ-nderungen");
}

static void test_astral_characters_use_surrogate_pairs(void **state)
{
	/* U+1F4E7 (an envelope emoji) is D83D DCE7 in UTF-16 */
	check_pair("Mail \xf0\x9f\x93\xa7", "Mail &2D3c5w-");
}

static void test_names_that_are_not_modified_utf7_come_back_as_they_are(void **state)
{
	const char *bad[] = { "A&B", "x&\xc3\xbc-", "&2D3-", "&AM-" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *d = ct_imap_utf7_decode(bad[i]);
		assert_str(d, bad[i]);
		free(d);
	}
}

static void test_bad_utf8_is_replaced_not_sent_raw(void **state)
{
	char *e = ct_imap_utf7_encode("a\xff" "b");
	assert_str(e, "a&,,0-b");  /* U+FFFD, with "," for "/" */
	for (const char *p = e; *p; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_examples_and_ascii),
		cmocka_unit_test(test_astral_characters_use_surrogate_pairs),
		cmocka_unit_test(test_names_that_are_not_modified_utf7_come_back_as_they_are),
		cmocka_unit_test(test_bad_utf8_is_replaced_not_sent_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
