/*
 * test_local.c - the local fetchers: mbox splitting (LF, CRLF, mboxrd
 * escaping, resume after growth), Maildir keys (flags do not matter,
 * Maildir++ subfolders, tmp/ optional), .eml files.
 */
#include "unit.h"
#include "../../ingest/ingest.h"

#include <sys/stat.h>
#include <unistd.h>

/* A sink that keeps what it gets. */
struct capture {
	struct ct_strlist ids, bodies, keys, seen;
	char *cursor;
};

static int c_seen(struct ct_sink *s, const char *source, const char *key)
{
	struct capture *c = s->data;
	return ct_strlist_has(&c->seen, key);
}

static int c_item(struct ct_sink *s, struct ct_item *it)
{
	struct capture *c = s->data;
	ct_strlist_push(&c->ids, it->external_id);
	ct_strlist_push(&c->bodies, it->body);
	ct_strlist_push(&c->keys, it->location);
	ct_strlist_push(&c->seen, it->location);
	ct_item_free(it);
	return 0;
}

static char *c_get(struct ct_sink *s, const char *source, const char *name)
{
	struct capture *c = s->data;
	return ct_strdup(c->cursor);
}

static int c_set(struct ct_sink *s, const char *source, const char *name, const char *value)
{
	struct capture *c = s->data;
	free(c->cursor);
	c->cursor = ct_strdup(value);
	return 0;
}

static int c_flush(struct ct_sink *s) { return 0; }
static void c_fail(struct ct_sink *s, const char *what) { fail_msg("unexpected failure: %s", what); }

static void sink_init(struct ct_sink *s, struct capture *c)
{
	memset(s, 0, sizeof(*s));
	memset(c, 0, sizeof(*c));
	s->seen = c_seen;
	s->item = c_item;
	s->get_cursor = c_get;
	s->set_cursor = c_set;
	s->flush = c_flush;
	s->fail = c_fail;
	s->data = c;
}

static void capture_clear(struct capture *c)
{
	ct_strlist_clear(&c->ids);
	ct_strlist_clear(&c->bodies);
	ct_strlist_clear(&c->keys);
	ct_strlist_clear(&c->seen);
	free(c->cursor);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_mbox_crlf_and_mboxrd_escaping(void **state)
{
	char path[] = "/tmp/ct-mbox-XXXXXX";
	close(mkstemp(path));
	write_file(path,
		   "From a@x Mon Mar  4 09:00:00 2024\r\n"
		   "Message-ID: <one@x>\r\nSubject: one\r\nFrom: a@x.example\r\n\r\n"
		   "first line\r\n>From the start\r\n>>From deeper\r\n\r\n"
		   "From b@x Mon Mar  4 10:00:00 2024\r\n"
		   "Message-ID: <two@x>\r\nSubject: two\r\nFrom: b@x.example\r\n\r\nsecond\r\n");
	struct ct_sink s;
	struct capture c;
	sink_init(&s, &c);
	assert_int_equal(ct_mbox_ingest(path, "t", NULL, &s), 0);
	assert_int_equal(c.ids.n, 2);
	assert_str(c.ids.v[0], "one@x");
	assert_str(c.ids.v[1], "two@x");
	assert_non_null(strstr(c.bodies.v[0], "\nFrom the start"));
	assert_non_null(strstr(c.bodies.v[0], "\n>From deeper"));
	assert_null(strstr(c.bodies.v[0], "two@x"));
	capture_clear(&c);
	unlink(path);
}

/*
 * Only a "From " line that starts the file or follows an empty line, and
 * reads "From SENDER asctime-date", separates messages; other "From "
 * lines (mboxo writers leave them unescaped) stay in the body.
 */
static void test_mbox_splits_only_at_separator_lines(void **state)
{
	static const struct {
		const char *mbox;
		size_t want_n;
		const char *body_has;  /* in the first message's body */
	} cases[] = {
		{ "From a@x Mon Mar  4 09:00:00 2024\nSubject: a\n\nhi\nFrom what I see\n\nbye\n", 1,
		  "\nFrom what I see\n" },
		{ "From a@x Mon Mar  4 09:00:00 2024\nSubject: a\n\nhi\n\nFrom the start of the year\n", 1,
		  "\nFrom the start of the year\n" },
		{ "From a@x Mon Mar  4 09:00:00 2024\nSubject: a\n\nhi\nFrom b@x Mon Mar  4 10:00:00 2024\n", 1,
		  "\nFrom b@x Mon Mar  4 10:00:00 2024\n" },
		{ "From a@x Mon Mar  4 09:00:00 2024\nSubject: a\n\nhi\n\n"
		  "From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nSubject: b\n\nb\n", 2, "hi\n" },
		{ "From a@x Mon Mar  4 09:00:00 2024\nSubject: a\n\nhi\n\n"
		  "From b@x Tue Mar 5 10:00 PST 2024\nSubject: b\n\nb\n", 2, "hi\n" },
		{ "From a@x Mon Mar  4 09:00:00 2024\r\nSubject: a\r\n\r\nhi\r\nFrom here on\r\n\r\n"
		  "From \"a b\"@x Tue Mar  5 10:00:00 2024\r\nSubject: b\r\n\r\nb\r\n", 2, "\nFrom here on\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[] = "/tmp/ct-mbox-XXXXXX";
		close(mkstemp(path));
		write_file(path, cases[i].mbox);
		struct ct_sink s;
		struct capture c;
		sink_init(&s, &c);
		assert_int_equal(ct_mbox_ingest(path, "t", NULL, &s), 0);
		if (c.ids.n != cases[i].want_n || !strstr(c.bodies.v[0], cases[i].body_has))
			print_error("case %zu: got %zu messages, first body \"%s\"; want %zu, with \"%s\"\n", i,
				    c.ids.n, c.bodies.n ? c.bodies.v[0] : "", cases[i].want_n, cases[i].body_has);
		assert_int_equal(c.ids.n, cases[i].want_n);
		assert_non_null(strstr(c.bodies.v[0], cases[i].body_has));
		capture_clear(&c);
		unlink(path);
	}
}

/* The fuzzing reproducer: three messages, none losing a line. */
static void test_mbox_with_unescaped_from_lines_keeps_them(void **state)
{
	const char *f = __FILE__, *slash = strstr(f, "unit/test_local.c");
	char *path = ct_xstrfmt("%.*sdata/mbox/unescaped-from.mbox", slash ? (int)(slash - f) : 0, f);
	struct ct_sink s;
	struct capture c;
	sink_init(&s, &c);
	assert_int_equal(ct_mbox_ingest(path, "t", NULL, &s), 0);
	assert_int_equal(c.ids.n, 3);
	for (size_t i = 0; i < c.ids.n; i++) {
		char want[64];
		snprintf(want, sizeof(want), "mbox%zu@customer.example", i);
		assert_str(c.ids.v[i], want);
		assert_non_null(strstr(c.bodies.v[i], "\nFrom what I can see the second charge is wrong.\n"));
		assert_non_null(strstr(c.bodies.v[i], "\nFrom the escaped line\n"));
		assert_non_null(strstr(c.bodies.v[i], "\n>From the double escaped line\n"));
		assert_non_null(strstr(c.bodies.v[i], "\nRegards"));
	}
	capture_clear(&c);
	free(path);
}

static void test_mbox_resumes_after_growth_and_rereads_nothing(void **state)
{
	char path[] = "/tmp/ct-mbox-XXXXXX";
	close(mkstemp(path));
	const char *m1 = "From a Mon Mar  4 09:00:00 2024\nMessage-ID: <1@x>\nSubject: a\n\nbody one\n\n";
	const char *m2 = "From b Mon Mar  4 10:00:00 2024\nMessage-ID: <2@x>\nSubject: b\n\nbody two\n";
	write_file(path, m1);
	struct ct_sink s;
	struct capture c;
	sink_init(&s, &c);
	assert_int_equal(ct_mbox_ingest(path, "t", NULL, &s), 0);
	assert_int_equal(c.ids.n, 1);
	FILE *f = fopen(path, "ab");
	fputs(m2, f);
	fclose(f);
	assert_int_equal(ct_mbox_ingest(path, "t", NULL, &s), 0);
	assert_int_equal(c.ids.n, 2);
	assert_str(c.ids.v[1], "2@x");
	/* unchanged file: nothing new */
	assert_int_equal(ct_mbox_ingest(path, "t", NULL, &s), 0);
	assert_int_equal(c.ids.n, 2);
	capture_clear(&c);
	unlink(path);
}

static void test_not_an_mbox_is_refused(void **state)
{
	char path[] = "/tmp/ct-mbox-XXXXXX";
	close(mkstemp(path));
	write_file(path, "Subject: hello\n\nnot an mbox\n");
	struct ct_sink s;
	struct capture c;
	sink_init(&s, &c);
	ct_quiet = 1;
	assert_int_equal(ct_mbox_ingest(path, "t", NULL, &s), -1);
	assert_int_equal(c.ids.n, 0);
	capture_clear(&c);
	unlink(path);
}

static void test_maildir_key_ignores_flags_and_reads_subfolders(void **state)
{
	char dir[] = "/tmp/ct-maildir-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[256];
	snprintf(p, sizeof(p), "%s/cur", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.Archive", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.Archive/new", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/cur/1700000000.M1P1.host:2,S", dir);
	write_file(p, "Message-ID: <m1@x>\nSubject: a\n\nx\n");
	snprintf(p, sizeof(p), "%s/.Archive/new/1700000001.M2P1.host", dir);
	write_file(p, "Message-ID: <m2@x>\nSubject: b\n\ny\n");
	struct ct_sink s;
	struct capture c;
	sink_init(&s, &c);
	assert_int_equal(ct_maildir_ingest(dir, "t", "Billing", &s), 0);
	assert_int_equal(c.ids.n, 2);
	assert_true(ct_strlist_has(&c.keys, "./1700000000.M1P1.host"));
	assert_true(ct_strlist_has(&c.keys, ".Archive/1700000001.M2P1.host"));
	/* a flag change renames the file: same key, not read again */
	char q[256];
	snprintf(p, sizeof(p), "%s/cur/1700000000.M1P1.host:2,S", dir);
	snprintf(q, sizeof(q), "%s/cur/1700000000.M1P1.host:2,RS", dir);
	rename(p, q);
	assert_int_equal(ct_maildir_ingest(dir, "t", "Billing", &s), 0);
	assert_int_equal(c.ids.n, 2);
	capture_clear(&c);
	unlink(q);
	snprintf(p, sizeof(p), "%s/.Archive/new/1700000001.M2P1.host", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/.Archive/new", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/.Archive", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/cur", dir);
	rmdir(p);
	rmdir(dir);
}

static void test_a_directory_without_cur_or_new_is_not_a_maildir(void **state)
{
	char dir[] = "/tmp/ct-maildir-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct ct_sink s;
	struct capture c;
	sink_init(&s, &c);
	ct_quiet = 1;
	assert_int_equal(ct_maildir_ingest(dir, "t", NULL, &s), -1);
	capture_clear(&c);
	rmdir(dir);
}

static void test_content_keys_of_an_older_store_still_count_as_seen(void **state)
{
	/* Stores written before SHA-256 keyed .eml and mbox messages "sha:" + two FNV hashes. */
	char dir[] = "/tmp/ct-eml-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = ct_xstrfmt("%s/a.eml", dir);
	const char *text = "Subject: old\nFrom: a@b.example\n\nalready stored\n";
	write_file(path, text);
	const char *paths[] = { path };
	char fnv[33];
	ct_hash_hex(text, strlen(text), fnv);
	struct ct_sink s;
	struct capture c;

	sink_init(&s, &c);
	ct_strlist_push_owned(&c.seen, ct_xstrfmt("sha:%s", fnv));
	assert_int_equal(ct_eml_ingest(paths, 1, "t", "Support", &s), 0);
	assert_int_equal(c.ids.n, 0);
	capture_clear(&c);

	sink_init(&s, &c);
	assert_int_equal(ct_eml_ingest(paths, 1, "t", "Support", &s), 0);
	assert_int_equal(c.ids.n, 1);
	assert_true(!strncmp(c.keys.v[0], "sha256:", 7));
	assert_int_equal(strlen(c.keys.v[0]), 7 + 64);
	capture_clear(&c);
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbox_crlf_and_mboxrd_escaping),
		cmocka_unit_test(test_mbox_resumes_after_growth_and_rereads_nothing),
		cmocka_unit_test(test_mbox_splits_only_at_separator_lines),
		cmocka_unit_test(test_mbox_with_unescaped_from_lines_keeps_them),
		cmocka_unit_test(test_not_an_mbox_is_refused),
		cmocka_unit_test(test_maildir_key_ignores_flags_and_reads_subfolders),
		cmocka_unit_test(test_a_directory_without_cur_or_new_is_not_a_maildir),
		cmocka_unit_test(test_content_keys_of_an_older_store_still_count_as_seen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
