/*
 * test_header_diff.c - the header fields ct_mime_parse() reads without
 * libetpan (Message-ID, In-Reply-To, References, From, To, Cc, Subject,
 * Date) against libetpan's reading of the same fields: each message is
 * read with the fast paths (CT_MIME_HEADERS_FAST) and with every field
 * given to libetpan's mailimf_fields_parse() on its own
 * (CT_MIME_HEADERS_ALONE), and the items must be equal. Messages: the
 * MIME generator of test_mime_tree.c under generated headers (folding,
 * comments, quoted strings, odd spacing, encoded words, missing angle
 * brackets, several ids, NUL bytes), and every file of the test data and
 * of the shared corpus. Where libetpan reading the whole header
 * (CT_MIME_HEADERS_WHOLE) gives something else, the table in
 * test_decided_readings says which reading is kept and why.
 */
#include "unit.h"
#include "../../ingest/mime_p.h"
#include "gen_mail.h"

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

#define FILE_TIME 1700000000

static struct ct_item read_as(enum ct_mime_headers how, const char *raw, size_t len)
{
	struct ct_item it;
	ct_item_init(&it);
	ct_mime_set_headers(how);
	ct_mime_parse(raw, len, FILE_TIME, &it);
	ct_mime_set_headers(CT_MIME_HEADERS_FAST);
	return it;
}

static int str_eq(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

static int addrs_eq(const struct ct_addrlist *a, const struct ct_addrlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!str_eq(a->v[i].addr, b->v[i].addr) || !str_eq(a->v[i].name, b->v[i].name))
			return 0;
	return 1;
}

static int list_eq(const struct ct_strlist *a, const struct ct_strlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!str_eq(a->v[i], b->v[i]))
			return 0;
	return 1;
}

/* The first field in which a and b differ, or NULL. */
static const char *item_diff(const struct ct_item *a, const struct ct_item *b)
{
	if (!str_eq(a->message_id, b->message_id) || !str_eq(a->external_id, b->external_id))
		return "Message-ID";
	if (!str_eq(a->in_reply_to, b->in_reply_to))
		return "In-Reply-To";
	if (!list_eq(&a->references, &b->references))
		return "References";
	if (!str_eq(a->x_forwarded_id, b->x_forwarded_id))
		return "X-Forwarded-Message-Id";
	if (!str_eq(a->from.addr, b->from.addr) || !str_eq(a->from.name, b->from.name))
		return "From";
	if (!addrs_eq(&a->to, &b->to))
		return "To";
	if (!addrs_eq(&a->cc, &b->cc))
		return "Cc";
	if (!str_eq(a->subject, b->subject))
		return "Subject";
	if (a->date != b->date || a->date_from_file != b->date_from_file)
		return "Date";
	if (a->body_len != b->body_len || memcmp(a->body, b->body, a->body_len))
		return "body";
	if (!list_eq(&a->warnings, &b->warnings))
		return "warnings";
	return NULL;
}

static void print_item(const char *label, const struct ct_item *it)
{
	print_error("  %s: id <%s> irt <%s> refs %zu from \"%s\" <%s> to %zu cc %zu subject \"%s\" date %lld%s"
		    " warnings %zu%s%s\n", label, it->message_id ? it->message_id : "", it->in_reply_to ? it->in_reply_to : "",
		    it->references.n, it->from.name ? it->from.name : "", it->from.addr, it->to.n, it->cc.n, it->subject,
		    (long long)it->date, it->date_from_file ? " (file)" : "", it->warnings.n,
		    it->warnings.n ? ": " : "", it->warnings.n ? it->warnings.v[0] : "");
}

/* 1 when the fast reading of raw equals libetpan's field by field; else prints both. */
static int same_reading(const char *raw, size_t len, const char *name)
{
	struct ct_item a = read_as(CT_MIME_HEADERS_FAST, raw, len);
	struct ct_item b = read_as(CT_MIME_HEADERS_ALONE, raw, len);
	const char *d = item_diff(&a, &b);
	if (d) {
		print_error("%s: the fast path and libetpan differ in %s on:\n%.*s\n", name, d,
			    (int)(len > 2000 ? 2000 : len), raw);
		print_item("fast", &a);
		print_item("libetpan", &b);
	}
	ct_item_free(&a);
	ct_item_free(&b);
	return d == NULL;
}

/* ---- generated headers ---- */

static const char *const address_values[] = {
	"a@b.example", "<a@b.example>", "Ann Lee <ann@b.example>", "\"Lee, Ann\" <ann@b.example>",
	"=?utf-8?Q?J=C3=B6rg?= <j@b.example>", "=?utf-8?B?SsO2cmc=?= <j@b.example>",
	"=?utf-8?Q?J=C3=B6rg?= =?utf-8?Q?_M?= <j@b.example>", "Ann (comment) <a@b.example>",
	"a@b.example (Ann)", "Ann\n <a@b.example>", "Ann  <a@b.example>", "Ann<a@b.example>",
	"a@b.example, c@d.example", "a@b.example,,c@d.example", "a@b.example ,\n\tc@d.example",
	"Group: a@b.example, c@d.example;", "undisclosed-recipients:;", "\"a\\\"b\" <a@b.example>",
	"ann.lee+x@sub.b.example", "a..b@c.example", "a@b", "<a@b.example", "Ann Lee",
	"\"Ann\" <a@b.example> , \"Bob\" <b@c.example>", "Jos\xc3\xa9 <j@b.example>",
	"=?utf-8?Q?unterminated <a@b.example>", "Ann O'Brien <a@b.example>", "a@[1.2.3.4]",
	"\"quoted local\"@b.example", "a@b.example\n\t(folded comment)", "Ann\t<a@b.example>",
	" a@b.example ", "Ann <a@b.example> trailing", "Mail Delivery Subsystem (localhost)\n\tby host",
	"\"\" <a@b.example>", "Ann <a@b.example>,", ", a@b.example", "Ann \"Lee\" <a@b.example>",
	"a@b.example\n", "Ann <A@B.Example>", "Ann Lee <ann@b.example>\n \n", "x@y",
	"\"Ann\"<a@b.example>", "\"Lee,  Ann\" <a@b.example>", "\"Lee, Ann \" <a@b.example>", "a.@b.example", "-a@b-.example", "a_b@c_d.example", "Ann |x| <a@b.example>",
};

static const char *const id_values[] = {
	"<a@b.example>", "a@b.example", "<a@b.example> <c@d.example>", "<a@b.example>\n <c@d.example>",
	"<a@b.example>(comment)", "(comment) <a@b.example>", "<a b@c.example>", "<ab>", "<>",
	"<a@b.example", "<a@b.example>,<c@d.example>", "<\"q\"@b.example>", "<a@[1.2.3.4]>",
	"  <a@b.example>  ", "<a@b.example> trailing text", "garbage", "<a@b.example><c@d.example>",
	"<a@b@c.example>", "<a\tb@c>", "<a@b.example>\n\t<c@d.example>\n\t<e@f.example>", "<a.b@c>",
	"<=?utf-8?Q?x?=@b.example>", "<a@b.example> \n <c@d.example>", "<<a@b.example>>", "<a@>", "<@b>",
	"<a@b.example>\n \n <c@d.example>", "<A@B.EXAMPLE>", "<a@b.example> c@d.example",
};

static const char *const subject_values[] = {
	"hello", "=?utf-8?Q?caf=C3=A9?=", "a\n b", "  spaced  ", "", "=?utf-8?B?", "Re: [x] y",
	"caf\xc3\xa9", "a\n \n b", "=?utf-8?Q?a?= =?utf-8?Q?b?=", "caf\xe9", "a\tb", "(not a comment)",
	"=?iso-8859-1?Q?caf=E9?= ok", "\"quoted\"", "a\n\tb\n\tc",
};

static const char *const date_values[] = {
	"Wed, 8 May 2024 12:45:00 +0000", "8 May 2024 12:45 +0000", "Wed,  8 May 2024 12:45:00 +0000",
	"Wed, 8 May 24 12:45:00 +0000", "Wed, 8 May 2024 12:45:00 GMT", "Wed, 8 May 2024 12:45:00 +0000 (UTC)",
	"Wed, 08 May 2024 12:45:60 +0000", "2024-05-08T12:45:00Z", "Wed, 8 May 2024 12:45:00",
	"Wed, 8 May 2024 12:45:00 +0000 (Coordinated Universal Time)", "Wed, 8 May 2024\n 12:45:00 +0000",
	"Wed, 8 mAY 2024 12:45:00 +0000", "Thu, 8 May 2024 12:45:00 +0000", "Wed, 8 May 2024 12:45:00 -0000",
	"Wed, 8 May 2024 12:45:00 +2400", "Wed, 8 May 2024 25:45:00 +0000", "Wed, 8 May 1960 12:45:00 +0000",
	"Wed, 8 May 2024 12:45:00 +0000 garbage", "Wed, 8 May 2024 12:45:00 EDT", "Wed, 8 May 2024 12:45:00 +0530",
	"Wed, 8 May 2024 12:45:00 +0000 (a(b)c)", "", "Wed 8 May 2024 12:45:00 +0000",
};

static const char *const names[][3] = {
	{ "From", "FROM", "from" }, { "To", "TO", "to" }, { "Cc", "CC", "cc" },
	{ "Message-ID", "Message-Id", "message-id" }, { "In-Reply-To", "IN-REPLY-TO", "in-reply-to" },
	{ "References", "REFERENCES", "references" }, { "Subject", "SUBJECT", "subject" },
	{ "Date", "DATE", "date" }, { "X-Forwarded-Message-Id", "X-Forwarded-Message-ID", "x-forwarded-message-id" },
	{ "Received", "X-Mailer", "List-Id" },
};

static void gen_field(struct gen *g)
{
	static const char *const seps[] = { ": ", ":", ":\t", ":  ", ":\n " };
	unsigned k = rnd(g, CT_ARRAY_SIZE(names));
	put(g, names[k][rnd(g, 8) ? 0 : rnd(g, 3)]);
	put(g, rnd(g, 4) ? ": " : PICK(g, seps));
	if (k <= 2)
		put(g, PICK(g, address_values));
	else if (k <= 5 || k == 8)
		put(g, PICK(g, id_values));
	else if (k == 6)
		put(g, PICK(g, subject_values));
	else if (k == 7)
		put(g, PICK(g, date_values));
	else
		put(g, rnd(g, 2) ? "from x\n\tby y" : "z (\"");
	if (rnd(g, 3) == 0 && k <= 5) {
		/* a second value, or a comment after the first */
		put(g, rnd(g, 2) ? ", " : " (c) ");
		put(g, k <= 2 ? PICK(g, address_values) : PICK(g, id_values));
	}
	put(g, "\n");
}

/* A NUL byte put in at a random place of the header (before the first empty line). */
static void gen_nul(struct gen *g)
{
	const char *end = memmem(g->buf, g->len, "\n\n", 2);
	size_t hlen = end ? (size_t)(end - g->buf) : g->len;
	if (!hlen || g->len + 1 >= sizeof(g->buf))
		return;
	size_t pos = rnd(g, (unsigned)hlen);
	memmove(g->buf + pos + 1, g->buf + pos, g->len - pos);
	g->buf[pos] = '\0';
	g->len++;
}

static void test_fast_path_equals_libetpan_on_generated_headers(void **state)
{
	(void)state;
	struct gen *g = malloc(sizeof(*g));
	int bad = 0;
	g->seed = 20261206;
	for (int i = 0; i < 30000 && bad < 5; i++) {
		g->len = 0;
		for (unsigned j = 0, n = 1 + rnd(g, 9); j < n; j++)
			gen_field(g);
		gen_part(g, 0);
		if (rnd(g, 4) == 0)
			gen_mutate(g);
		if (rnd(g, 10) == 0)
			gen_nul(g);
		char name[32];
		snprintf(name, sizeof(name), "generated #%d", i);
		bad += !same_reading(g->buf, g->len, name);
	}
	free(g);
	assert_int_equal(bad, 0);
}

/* ---- real mail ---- */

static int files_read, files_bad;

static int check_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || st->st_size > 4 << 20 || strstr(path, "/golden/") || strstr(path, ".json") ||
	    strstr(path, ".conf") || strstr(path, "README"))
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char *raw = malloc((size_t)st->st_size + 1);
	size_t n = fread(raw, 1, (size_t)st->st_size, f);
	fclose(f);
	files_read++;
	if (files_bad < 5 && !same_reading(raw, n, path))
		files_bad++;
	free(raw);
	return 0;
}

/*
 * Every file of the test data, of the shared corpus next to the checkout
 * (CT_TEST_CORPUS, default ../shared/corpus; skipped when missing) and of
 * CT_TEST_MAIL_DIRS (directories separated by ':', for a run by hand over
 * a mailing-list archive).
 */
static void test_fast_path_equals_libetpan_on_real_mail(void **state)
{
	(void)state;
	const char *corpus = getenv("CT_TEST_CORPUS") ? getenv("CT_TEST_CORPUS") : "../shared/corpus";
	const char *extra = getenv("CT_TEST_MAIL_DIRS");
	files_read = files_bad = 0;
	nftw("tests/data", check_file, 16, FTW_PHYS);
	nftw(corpus, check_file, 16, FTW_PHYS);
	if (extra) {
		char *dirs = ct_strdup(extra), *save = NULL;
		for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
			nftw(d, check_file, 16, FTW_PHYS);
		free(dirs);
	}
	print_message("%d files compared\n", files_read);
	assert_true(files_read > 0);
	assert_int_equal(files_bad, 0);
}

/* ---- where libetpan on the whole header reads otherwise ---- */

/*
 * Messages on which libetpan, reading the whole header, gives something
 * else than the fast path did: got is libetpan's reading
 * (CT_MIME_HEADERS_WHOLE), want the one casetrail keeps. The field is
 * named by what: "id" (the external id), "from", "name" (the From's
 * display name), "to", "subject", "date" (as seconds), "body" or
 * "warning" (a substring of one warning). Reproducers reduced from the
 * fuzzer's findings (hdrdiff-*.eml, mime-4/5) and from a mailing-list
 * archive.
 */
/* A string literal holding NUL bytes and its length. */
#define WITH_NUL(s) s, sizeof(s) - 1

static const struct decided {
	const char *why;
	const char *raw;
	size_t len;  /* 0: strlen(raw) */
	const char *what, *got, *want;
} decided[] = {
	/*
	 * hdrdiff-1: a From with a comment only, folded. libetpan's header
	 * parser ends the header there (the fields after it are read as the
	 * body). RFC 5322 delimits a field by its line structure, so the
	 * fields after it are read; the From itself gives no address.
	 */
	{ "a malformed From does not end the header",
	  "Received: from x\nFrom: Mail Delivery Subsystem (localhost)\n\tby host\nSubject: charged twice\n"
	  "Message-ID: <m1@example.org>\nTo: support@example.com\nDate: Mon, 4 Mar 2024 09:12:01 +0100\n\nbody text\n",
	  0, "subject", "", "charged twice" },
	{ "the same: its Message-ID is read", NULL, 0, "id", "sha256:", "m1@example.org" },
	{ "the same: its Date is read", NULL, 0, "date", "1700000000", "1709539921" },
	{ "the same: the body is the body", NULL, 0, "body", "\tby host\n", "body text\n" },
	/*
	 * hdrdiff-2: an unterminated encoded word in a From. libetpan reads
	 * on through the Content-Type field and takes the address it finds
	 * in that field's text; the From on its own holds none.
	 */
	{ "an unterminated encoded word does not run on into the next field",
	  "From: =?UTF-8?B?TWParset=.amazonses.com>\nContent-Type: text/plain;\n\tboundary=\"x From: "
	  "=?UTF-8?B?TWPyaWE=?= <m@kvack.example>\n\nbody\n",
	  0, "from", "m@kvack.example", "" },
	/*
	 * mime-4: a NUL in a Message-ID. libetpan stops at the NUL and the
	 * cut "42" became the external id, so another mail with <42...> was
	 * dropped as already seen. A NUL is no part of a valid id: the field
	 * is ignored with a warning, and the content hash names the mail.
	 */
	{ "a NUL in a Message-ID does not cut it",
	  WITH_NUL("From: a@b.example\nMessage-ID: <42\0.2@other.example>\nSubject: second\n\nbody\n"),
	  "id", "42", "sha256:" },
	{ "the same, with a warning", NULL, 0, "warning", "", "NUL byte in the Message-ID header field" },
	/* mime-5: the same for addresses; a Subject reads the NUL as a blank, as the body does */
	{ "a NUL in a To address does not cut it",
	  WITH_NUL("From: a@b.example\nTo: support@exa\0mple.com\nSubject: charged \0twice\n\nbody\n"),
	  "to", "support@exa", "" },
	{ "a NUL in a Subject reads as a blank", NULL, 0, "subject", "charged", "charged  twice" },
	/*
	 * From a mailing-list archive: a quoted display name with a run of
	 * blanks. RFC 5322 keeps the blanks of a quoted string, but libetpan
	 * reads a display name as a phrase, one blank between words, and
	 * stored names have always been read that way: the fast path leaves
	 * such names to libetpan (it kept the three blanks before).
	 */
	{ "a run of blanks in a quoted display name reads as one",
	  "From: \"Austin, LauraLee   (US) via USRP-users\" <usrp-users@lists.ettus.com>\n\nx\n", 0,
	  "name", "Austin, LauraLee (US) via USRP-users", "Austin, LauraLee (US) via USRP-users" },
};

static void field_of(const struct ct_item *it, const char *what, char *out, size_t n, const char *want)
{
	if (!strcmp(what, "id"))
		snprintf(out, n, "%s", strncmp(it->external_id, "sha256:", 7) ? it->external_id : "sha256:");
	else if (!strcmp(what, "name"))
		snprintf(out, n, "%s", it->from.name ? it->from.name : "");
	else if (!strcmp(what, "from"))
		snprintf(out, n, "%s", it->from.addr);
	else if (!strcmp(what, "to"))
		snprintf(out, n, "%s", it->to.n ? it->to.v[0].addr : "");
	else if (!strcmp(what, "subject"))
		snprintf(out, n, "%s", it->subject);
	else if (!strcmp(what, "date"))
		snprintf(out, n, "%lld", (long long)it->date);
	else if (!strcmp(what, "body"))
		snprintf(out, n, "%.*s", (int)strcspn(it->body, "\n") + 1, it->body);
	else {
		out[0] = '\0';
		for (size_t i = 0; i < it->warnings.n; i++)
			if (*want && strstr(it->warnings.v[i], want))
				snprintf(out, n, "%s", want);
	}
}

static void test_decided_readings(void **state)
{
	(void)state;
	const char *raw = NULL;
	size_t len = 0;
	int bad = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(decided); i++) {
		const struct decided *d = &decided[i];
		if (d->raw) {
			raw = d->raw;
			len = d->len ? d->len : strlen(raw);
		}
		struct ct_item whole = read_as(CT_MIME_HEADERS_WHOLE, raw, len);
		struct ct_item fast = read_as(CT_MIME_HEADERS_FAST, raw, len);
		char got[200], want[200];
		field_of(&whole, d->what, got, sizeof(got), d->got);
		field_of(&fast, d->what, want, sizeof(want), d->want);
		if (strcmp(got, d->got)) {
			print_error("%s: libetpan's %s: got \"%s\", the table says \"%s\"\n", d->why, d->what, got, d->got);
			bad++;
		}
		if (strcmp(want, d->want)) {
			print_error("%s: %s: got \"%s\", want \"%s\"\n", d->why, d->what, want, d->want);
			bad++;
		}
		bad += !same_reading(raw, len, d->why);
		ct_item_free(&whole);
		ct_item_free(&fast);
	}
	assert_int_equal(bad, 0);
}

/* mime-4: the second mail was dropped as already seen (same cut id "42"). */
static void test_nul_in_message_id_keeps_mails_apart(void **state)
{
	(void)state;
	static const char first[] = "From: a@b.example\nMessage-ID: <42@customer.example>\nSubject: first\n\nx\n";
	static const char second[] = "From: c@d.example\nMessage-ID: <42\0.2@other.example>\nSubject: second\n\ny\n";
	struct ct_item a = read_as(CT_MIME_HEADERS_FAST, first, sizeof(first) - 1);
	struct ct_item b = read_as(CT_MIME_HEADERS_FAST, second, sizeof(second) - 1);
	assert_str(a.external_id, "42@customer.example");
	assert_null(b.message_id);
	assert_int_equal(strncmp(b.external_id, "sha256:", 7), 0);
	assert_true(b.warnings.n >= 1);
	assert_str(b.warnings.v[0], "NUL byte in the Message-ID header field; field ignored");
	assert_str(b.subject, "second");
	ct_item_free(&a);
	ct_item_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_path_equals_libetpan_on_generated_headers),
		cmocka_unit_test(test_fast_path_equals_libetpan_on_real_mail),
		cmocka_unit_test(test_decided_readings),
		cmocka_unit_test(test_nul_in_message_id_keeps_mails_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
