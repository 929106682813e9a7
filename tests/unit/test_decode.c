/*
 * test_decode.c - ct_mime_parse on hand-made messages: transfer encodings,
 * RFC 2047, charsets, multipart choices, forwards, attachments, line
 * endings, dates, ids, and broken input that must not be lost.
 */
#include "unit.h"
#include "../../ingest/ingest.h"

static struct ct_item parse(const char *raw)
{
	struct ct_item it;
	ct_item_init(&it);
	ct_mime_parse(raw, strlen(raw), 1700000000, &it);
	return it;
}

static int has_warning(const struct ct_item *it, const char *part)
{
	for (size_t i = 0; i < it->warnings.n; i++)
		if (strstr(it->warnings.v[i], part))
			return 1;
	return 0;
}

static const struct {
	const char *name, *raw, *subject, *body_has;
} bodies[] = {
	{ "quoted-printable latin1",
	  "Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\nContent-Type: text/plain; charset=iso-8859-1\n"
	  "Content-Transfer-Encoding: quoted-printable\n\nSch=F6ne Gr=FC=DFe, die Rechnung =\nist falsch.\n",
	  "Grüße aus Köln", "Schöne Grüße, die Rechnung ist falsch." },
	{ "base64 utf-8",
	  "Subject: =?UTF-8?B?UmVjaG51bmcgw7xiZXJmw6RsbGln?=\nContent-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: base64\n\nV2lyIHd1cmRlbiB6d2VpbWFsIGJlbGFzdGV0Lg==\n",
	  "Rechnung überfällig", "Wir wurden zweimal belastet." },
	{ "adjacent encoded words join",
	  "Subject: =?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_au_lait?= and more\n\nx\n",
	  "Café au lait and more", "x" },
	{ "windows-1252 smart quotes",
	  "Subject: q\nContent-Type: text/plain; charset=windows-1252\n\n\x93quoted\x94 \x80" "5\n",
	  "q", "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC" "5" },
	{ "koi8-r",
	  "Subject: r\nContent-Type: text/plain; charset=koi8-r\n\n\xF0\xD2\xC9\xD7\xC5\xD4\n",
	  "r", "Привет" },
	{ "alternative prefers text/plain",
	  "Subject: a\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n"
	  "--b1\nContent-Type: text/html\n\n<p>HTML version</p>\n--b1\nContent-Type: text/plain\n\nPlain version\n--b1--\n",
	  "a", "Plain version" },
	{ "html only becomes text",
	  "Subject: h\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{}</style></head><body>"
	  "<p>Hello&nbsp;there</p><p>We &amp; you<br>line&#33;</p><script>alert(1)</script></body></html>\n",
	  "h", "Hello there\n\nWe & you\nline!" },
	{ "crlf input",
	  "Subject: c\r\nContent-Type: text/plain\r\n\r\nline one\r\nline two\r\n",
	  "c", "line one\nline two" },
	{ "cr-only input",
	  "Subject: c\rContent-Type: text/plain\r\rline one\rline two\r",
	  "c", "line one\nline two" },
	{ "raw 8-bit utf-8 subject",
	  "Subject: Überweisung fehlt\n\nx\n", "Überweisung fehlt", "x" },
	{ "raw 8-bit latin1 subject",
	  "Subject: \xDC" "berweisung\n\nx\n", "Überweisung", "x" },
};

static void test_bodies_and_subjects_decode_to_utf8(void **state)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(bodies); i++) {
		struct ct_item it = parse(bodies[i].raw);
		if (strcmp(it.subject, bodies[i].subject) || !strstr(it.body, bodies[i].body_has)) {
			print_error("%s:\n got subject \"%s\" body \"%s\"\nwant subject \"%s\" body with \"%s\"\n",
				    bodies[i].name, it.subject, it.body, bodies[i].subject, bodies[i].body_has);
			ct_item_free(&it);
			fail();
		}
		if (!ct_utf8_valid(it.body, it.body_len) || memchr(it.body, '\r', it.body_len)) {
			print_error("%s: body not clean UTF-8 with LF\n", bodies[i].name);
			fail();
		}
		ct_item_free(&it);
	}
}

static void test_headers_ids_addresses_and_dates(void **state)
{
	struct ct_item it = parse(
		"Message-ID: <abc@mail.example>\nIn-Reply-To: <p1@x> <p2@x>\nReferences: <r1@x>\n <r2@x>\n"
		"From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Acme.Example>\n"
		"To: \"Billing\" <billing@corp.example>, support@corp.example\nCc: a@b.example\n"
		"Date: Mon, 4 Mar 2024 10:12:01 +0100\nSubject: s\nX-Forwarded-Message-Id: <fw@x>\n\nbody\n");
	assert_str(it.external_id, "abc@mail.example");
	assert_str(it.in_reply_to, "p1@x");
	assert_int_equal(it.references.n, 2);
	assert_str(it.references.v[1], "r2@x");
	assert_str(it.from.addr, "juergen@acme.example");
	assert_str(it.from.name, "Jürgen Müller");
	assert_int_equal(it.to.n, 2);
	assert_str(it.to.v[0].addr, "billing@corp.example");
	assert_str(it.cc.v[0].addr, "a@b.example");
	assert_str(it.x_forwarded_id, "fw@x");
	char iso[32];
	ct_time_iso(it.date, iso);
	assert_str(iso, "2024-03-04T09:12:01Z");
	assert_int_equal(it.date_from_file, 0);
	assert_int_equal(it.warnings.n, 0);
	ct_item_free(&it);
}

static void test_missing_or_bogus_date_falls_back_with_a_warning(void **state)
{
	struct ct_item a = parse("Subject: no date\n\nx\n");
	assert_int_equal(a.date, 1700000000);
	assert_int_equal(a.date_from_file, 1);
	assert_true(has_warning(&a, "no Date header"));
	ct_item_free(&a);
	struct ct_item b = parse("Subject: bad\nDate: sometime soon\n\nx\n");
	assert_int_equal(b.date_from_file, 1);
	assert_true(has_warning(&b, "bogus Date header"));
	ct_item_free(&b);
	/* lenient forms are read, not replaced */
	struct ct_item c = parse("Subject: two-digit\nDate: 4 Mar 24 09:12 EST\n\nx\n");
	char iso[32];
	ct_time_iso(c.date, iso);
	assert_str(iso, "2024-03-04T14:12:00Z");
	assert_int_equal(c.date_from_file, 0);
	ct_item_free(&c);
}

static void test_missing_message_id_gets_a_stable_hash(void **state)
{
	struct ct_item a = parse("Subject: x\nFrom: a@b.example\n\nsame text\n");
	struct ct_item b = parse("Subject: x\r\nFrom: a@b.example\r\n\r\nsame text\r\n");
	struct ct_item c = parse("Subject: y\nFrom: a@b.example\n\nsame text\n");
	assert_true(!strncmp(a.external_id, "sha256:", 7));
	assert_true(!strncmp(a.legacy_external_id, "hash:", 5));
	assert_str(a.external_id, b.external_id);
	assert_true(strcmp(a.external_id, c.external_id) != 0);
	assert_null(a.message_id);
	ct_item_free(&a);
	ct_item_free(&b);
	ct_item_free(&c);
}

static void test_forwarded_rfc822_part_and_attachments(void **state)
{
	struct ct_item it = parse(
		"Message-ID: <outer@x>\nSubject: Fwd: refund\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"o\"\n\n"
		"--o\nContent-Type: text/plain\n\nSee below.\n"
		"--o\nContent-Type: message/rfc822\n\n"
		"Message-ID: <inner@x>\nSubject: refund\nFrom: Cust <cust@acme.example>\nDate: Tue, 5 Mar 2024 08:00:00 +0000\n\n"
		"Where is my refund?\n"
		"--o\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\n"
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcfsj6IK\n--o--\n");
	assert_true(strstr(it.body, "See below.") != NULL);
	assert_null(strstr(it.body, "Where is my refund"));
	assert_int_equal(it.nfwd, 1);
	assert_str(it.fwd[0].message_id, "inner@x");
	assert_str(it.fwd[0].from, "cust@acme.example");
	assert_true(strstr(it.fwd[0].body, "Where is my refund?") != NULL);
	assert_int_equal(it.natt, 1);
	assert_str(it.att[0].name, "invoice.pdf");
	assert_str(it.att[0].type, "application/pdf");
	assert_true(it.att[0].size > 0);
	ct_item_free(&it);
}

static void test_broken_input_is_kept_with_warnings(void **state)
{
	/* multipart without a boundary */
	struct ct_item a = parse("Subject: nb\nContent-Type: multipart/mixed\n\nsome text\n");
	assert_true(has_warning(&a, "without a boundary"));
	ct_item_free(&a);
	/* base64 with junk characters: what can be decoded is kept */
	struct ct_item b = parse("Subject: b64\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
				 "SGVsbG8g!!d29ybGQ=\n");
	assert_true(has_warning(&b, "base64"));
	assert_true(strstr(b.body, "Hello") != NULL);
	ct_item_free(&b);
	/* an unknown charset is read as windows-1252 */
	struct ct_item c = parse("Subject: cs\nContent-Type: text/plain; charset=x-unknown-42\n\ncaf\xE9\n");
	assert_true(has_warning(&c, "unknown charset"));
	assert_true(strstr(c.body, "café") != NULL);
	ct_item_free(&c);
	/* invalid UTF-8 bytes are replaced, not dropped */
	struct ct_item d = parse("Subject: u\nContent-Type: text/plain; charset=utf-8\n\nab\xFF\xFE" "cd\n");
	assert_true(strstr(d.body, "ab\xEF\xBF\xBD\xEF\xBF\xBD" "cd") != NULL);
	ct_item_free(&d);
}

static void test_random_bytes_never_crash(void **state)
{
	unsigned seed = 12345;
	char buf[4096];
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(seed % sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
			if (round % 3 == 0 && (seed & 0x70) == 0)
				buf[i] = '\n';
		}
		struct ct_item it;
		ct_item_init(&it);
		ct_mime_parse(buf, n, 1, &it);
		assert_non_null(it.external_id);
		assert_non_null(it.body);
		assert_true(ct_utf8_valid(it.body, it.body_len));
		ct_item_free(&it);
	}
}

static const struct {
	const char *in, *want;
} subjects[] = {
	{ "Re: Invoice", "invoice" },
	{ "RE: Re: AW: Invoice  wrong", "invoice wrong" },
	{ "Fwd: FW: WG: SV: Antw: Invoice", "invoice" },
	{ "[billing-list] Re: Invoice", "invoice" },
	{ "Re[2]: Invoice", "invoice" },
	{ "[#4521] Usage report request", "usage report request" },
	{ "Usage report request [#4521]", "usage report request" },
	{ "Re: [casetrail.test #12] Broken login", "broken login" },
	{ "Resolution needed", "resolution needed" },
	{ "", "" },
};

static void test_subject_normalisation(void **state)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(subjects); i++) {
		char *got = ct_subject_normalize(subjects[i].in);
		if (strcmp(got, subjects[i].want)) {
			print_error("\"%s\": got \"%s\", want \"%s\"\n", subjects[i].in, got, subjects[i].want);
			free(got);
			fail();
		}
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies_and_subjects_decode_to_utf8),
		cmocka_unit_test(test_headers_ids_addresses_and_dates),
		cmocka_unit_test(test_missing_or_bogus_date_falls_back_with_a_warning),
		cmocka_unit_test(test_missing_message_id_gets_a_stable_hash),
		cmocka_unit_test(test_forwarded_rfc822_part_and_attachments),
		cmocka_unit_test(test_broken_input_is_kept_with_warnings),
		cmocka_unit_test(test_random_bytes_never_crash),
		cmocka_unit_test(test_subject_normalisation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
