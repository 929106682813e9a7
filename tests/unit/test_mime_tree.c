/*
 * test_mime_tree.c - ct_mime_tree_parse() (ingest/mime_tree.c) must build
 * the tree libetpan's mailmime_parse() builds: same part types, offsets
 * and lengths, content types and parameters, transfer encodings and
 * dispositions. Checked on hand-written messages that hit libetpan's
 * quirks and on messages generated from a small grammar with mutations.
 * Also the header fields ct_mime_parse() reads without libetpan.
 */
#include "unit.h"
#include "../../ingest/mime_p.h"
#include "gen_mail.h"

#include <libetpan/libetpan.h>
#include <stdio.h>

struct cmp {
	const char *base_a, *base_b;
	char why[200];
};

#define DIFF(c, ...) do { if (!(c)->why[0]) snprintf((c)->why, sizeof((c)->why), __VA_ARGS__); return; } while (0)

static int str_eq(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

static void cmp_content(struct cmp *c, struct mailmime_content *a, struct mailmime_content *b)
{
	if (!a || !b) {
		if (a != b)
			DIFF(c, "content type missing on one side");
		return;
	}
	struct mailmime_type *ta = a->ct_type, *tb = b->ct_type;
	if (ta->tp_type != tb->tp_type)
		DIFF(c, "type kind %d vs %d", ta->tp_type, tb->tp_type);
	if (ta->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		if (ta->tp_data.tp_discrete_type->dt_type != tb->tp_data.tp_discrete_type->dt_type ||
		    !str_eq(ta->tp_data.tp_discrete_type->dt_extension, tb->tp_data.tp_discrete_type->dt_extension))
			DIFF(c, "discrete type");
	} else if (ta->tp_data.tp_composite_type->ct_type != tb->tp_data.tp_composite_type->ct_type) {
		DIFF(c, "composite type");
	}
	if (!str_eq(a->ct_subtype, b->ct_subtype))
		DIFF(c, "subtype %s vs %s", a->ct_subtype, b->ct_subtype);
	clistiter *x = clist_begin(a->ct_parameters), *y = clist_begin(b->ct_parameters);
	for (; x && y; x = clist_next(x), y = clist_next(y)) {
		struct mailmime_parameter *p = clist_content(x), *q = clist_content(y);
		if (!str_eq(p->pa_name, q->pa_name) || !str_eq(p->pa_value, q->pa_value))
			DIFF(c, "parameter %s=%s vs %s=%s", p->pa_name, p->pa_value, q->pa_name, q->pa_value);
	}
	if (x || y)
		DIFF(c, "parameter count");
}

/* The next field of fields the decoder reads (type, encoding, disposition). */
static clistiter *next_read(clistiter *i)
{
	for (; i; i = clist_next(i)) {
		int t = ((struct mailmime_field *)clist_content(i))->fld_type;
		if (t == MAILMIME_FIELD_TYPE || t == MAILMIME_FIELD_TRANSFER_ENCODING ||
		    t == MAILMIME_FIELD_DISPOSITION)
			return i;
	}
	return NULL;
}

static void cmp_fields(struct cmp *c, struct mailmime_fields *a, struct mailmime_fields *b)
{
	clistiter *x = next_read(a ? clist_begin(a->fld_list) : NULL);
	clistiter *y = next_read(b ? clist_begin(b->fld_list) : NULL);
	for (; x && y; x = next_read(clist_next(x)), y = next_read(clist_next(y))) {
		struct mailmime_field *p = clist_content(x), *q = clist_content(y);
		if (p->fld_type != q->fld_type)
			DIFF(c, "MIME field %d vs %d", p->fld_type, q->fld_type);
		if (p->fld_type == MAILMIME_FIELD_TYPE) {
			cmp_content(c, p->fld_data.fld_content, q->fld_data.fld_content);
		} else if (p->fld_type == MAILMIME_FIELD_TRANSFER_ENCODING) {
			if (p->fld_data.fld_encoding->enc_type != q->fld_data.fld_encoding->enc_type)
				DIFF(c, "transfer encoding");
		} else {
			struct mailmime_disposition *d = p->fld_data.fld_disposition, *e = q->fld_data.fld_disposition;
			if (clist_count(d->dsp_parms) != clist_count(e->dsp_parms) ||
			    (d->dsp_type ? d->dsp_type->dsp_type : -1) != (e->dsp_type ? e->dsp_type->dsp_type : -1))
				DIFF(c, "disposition");
		}
	}
	if (x || y)
		DIFF(c, "MIME field count");
}

static void cmp_data(struct cmp *c, struct mailmime_data *a, struct mailmime_data *b)
{
	if (!a || !b) {
		if (a != b)
			DIFF(c, "body missing on one side");
		return;
	}
	if (a->dt_type != b->dt_type || a->dt_encoding != b->dt_encoding || a->dt_encoded != b->dt_encoded)
		DIFF(c, "body kind");
	long oa = (long)(a->dt_data.dt_text.dt_data - c->base_a), ob = (long)(b->dt_data.dt_text.dt_data - c->base_b);
	if (oa != ob || a->dt_data.dt_text.dt_length != b->dt_data.dt_text.dt_length)
		DIFF(c, "body at %ld+%zu vs %ld+%zu", oa, a->dt_data.dt_text.dt_length, ob,
		     b->dt_data.dt_text.dt_length);
}

static void cmp_tree(struct cmp *c, struct mailmime *a, struct mailmime *b)
{
	if (c->why[0])
		return;
	if (!a || !b) {
		if (a != b)
			DIFF(c, "part missing on one side");
		return;
	}
	if (a->mm_type != b->mm_type)
		DIFF(c, "part type %d vs %d", a->mm_type, b->mm_type);
	if (a->mm_mime_start - c->base_a != b->mm_mime_start - c->base_b || a->mm_length != b->mm_length)
		DIFF(c, "part start or length");
	cmp_content(c, a->mm_content_type, b->mm_content_type);
	cmp_fields(c, a->mm_mime_fields, b->mm_mime_fields);
	cmp_data(c, a->mm_body, b->mm_body);
	if (a->mm_type == MAILMIME_MULTIPLE) {
		clistiter *x = clist_begin(a->mm_data.mm_multipart.mm_mp_list);
		clistiter *y = clist_begin(b->mm_data.mm_multipart.mm_mp_list);
		for (; x && y; x = clist_next(x), y = clist_next(y))
			cmp_tree(c, clist_content(x), clist_content(y));
		if (x || y)
			DIFF(c, "part count");
	} else if (a->mm_type == MAILMIME_MESSAGE) {
		struct mailimf_fields *p = a->mm_data.mm_message.mm_fields, *q = b->mm_data.mm_message.mm_fields;
		if ((p ? clist_count(p->fld_list) : -1) != (q ? clist_count(q->fld_list) : -1))
			DIFF(c, "header field count");
		cmp_tree(c, a->mm_data.mm_message.mm_msg_mime, b->mm_data.mm_message.mm_msg_mime);
	}
}

/* Both trees of msg (LF line ends); fails with the message and the first difference. */
static void same_tree(const char *msg, size_t len)
{
	char *a = malloc(len + 1), *b = malloc(len + 1);
	memcpy(a, msg, len);
	memcpy(b, msg, len);
	a[len] = b[len] = '\0';
	struct mailmime *ta = NULL, *tb = NULL;
	size_t idx = 0;
	int ra = mailmime_parse(a, len, &idx, &ta), rb = ct_mime_tree_parse(b, len, NULL, &tb);
	struct cmp c = { a, b, "" };
	if (ra != rb)
		snprintf(c.why, sizeof(c.why), "result %d vs %d", ra, rb);
	else if (ra == MAILIMF_NO_ERROR)
		cmp_tree(&c, ta, tb);
	if (c.why[0])
		print_error("libetpan and ct_mime_tree_parse differ (%s) on:\n%.*s\n", c.why, (int)len, msg);
	if (ta)
		mailmime_free(ta);
	if (tb)
		mailmime_free(tb);
	free(a);
	free(b);
	assert_false(c.why[0]);
}

static void test_same_tree_on_libetpan_quirks(void **state)
{
	(void)state;
	static const char *const msgs[] = {
		/* the usual shapes */
		"From: a@b.c\nContent-Type: multipart/alternative; boundary=\"b1\"\n\npre\n--b1\n"
		"Content-Type: text/plain; charset=utf-8\n\nhello\n--b1\nContent-Type: text/html\n\n<p>hi</p>\n"
		"--b1--\nepilogue\n",
		"Content-Type: Multipart/Mixed;\n\tboundary=----=_Part_1\n\n------=_Part_1\n\nno header\n"
		"------=_Part_1\nContent-Type: application/pdf; name=\"a  b.pdf\"\nContent-Transfer-Encoding: "
		"base64\nContent-Disposition: attachment; filename=\"a b.pdf\"\n\nJVBERi0=\n------=_Part_1--\n",
		/* blank lines after the first delimiter, blanks after delimiters, a delimiter with junk */
		"Content-Type: multipart/mixed; boundary=b\n\n--b  \n\n\nContent-Type: text/plain\n\nx\n--b\t\n"
		"\ny\n--bjunk\nstill y\n--b--  \n",
		/* not closed: the last part ends at the last line starting with '-' */
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nbody\n-- \nsignature\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n",
		"Content-Type: multipart/mixed; boundary=b\n\nno delimiter at all\n",
		"Content-Type: multipart/mixed; boundary=b\n\n-x--b\n--b\n\nafter a preamble quirk\n--b--",
		/* digest parts default to message/rfc822; rfc822 in base64 stays a single part */
		"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: inner\n\nbody\n--d\n"
		"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoKeQo=\n--d--\n",
		"Content-Type: message/rfc822\n\nSubject: fwd\nContent-Type: text/plain; charset=koi8-r\n\nbody\n",
		/* Content-Type values of every shape: read here or left to libetpan */
		"Content-Type: text/plain;\n \n charset=koi8-r\n\nbody\n",
		"Content-Type: text/plain (comment); charset=utf-8\n\nbody\n",
		"Content-Type: text/plain; name==?utf-8?B?w6k=?=\n\nbody\n",
		"Content-Type: text; charset=utf-8\n\nbody\n",
		"Content-Type: textual/plain\n\nbody\n",
		"Content-Type: text/plain; a=b c; d=e\n\nbody\n",
		"Content-Type: text/plain;; charset=utf-8\n\nbody\n",
		"Content-Type: text/plain ; charset = \"utf-8\" ;\n\nbody\n",
		"Content-Type: text/plain; charset=\"a\\\"b\"\n\nbody\n",
		"Content-Type: x-foo/bar; q=1\n\nbody\n",
		"Content-Type: multipart/mixed\n\nno boundary\n",
		"Content-Type: text/plain\nContent-Type: text/html\n\nfirst wins\n",
		"Content-Type: TEXT/Plain; Charset=\"ISO-8859-1\"; format=flowed\n\nbody\n",
		"Content-Type: text/plain; charset=\xc3\xa9\n\nbody\n",
		"",
		"\n",
		"no header at all",
	};
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		same_tree(msgs[i], strlen(msgs[i]));
}

static void test_same_tree_on_generated_messages(void **state)
{
	(void)state;
	struct gen *g = malloc(sizeof(*g));
	g->seed = 20261201;
	for (int i = 0; i < 20000; i++) {
		g->len = 0;
		put(g, "From: x@y\n");
		gen_part(g, 0);
		gen_mutate(g);
		same_tree(g->buf, g->len);
	}
	free(g);
}

/* ---- header fields read without libetpan ---- */

static struct ct_item parse(const char *raw)
{
	struct ct_item it;
	ct_item_init(&it);
	ct_mime_parse(raw, strlen(raw), 1700000000, &it);
	return it;
}

static void test_top_level_mime_fields_are_read(void **state)
{
	(void)state;
	/* folded Content-Type ahead of the transfer encoding: charset and base64 both apply */
	struct ct_item it = parse("From: a@b.c\nContent-Type: text/plain;\n\tcharset=\"koi8-r\"\n"
				  "Content-Transfer-Encoding: base64\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n\n"
				  "0NLJ18XU\n");
	assert_str(it.body, "привет");
	ct_item_free(&it);
	/* the first Content-Type wins, also when a later one is odd */
	it = parse("Content-Type: text/html\nContent-Type: text/plain (x)\n\n<p>a&amp;b</p>\n");
	assert_str(it.body, "a&b\n");
	assert_int_equal(it.body_from_html, 1);
	ct_item_free(&it);
}

static void test_dates_of_the_usual_form(void **state)
{
	(void)state;
	static const struct {
		const char *date;
		ct_time want; /* 0: the file time, with a warning */
	} cases[] = {
		{ "Wed, 8 May 2024 12:45:00 +0000", 1715172300 },
		{ "8 May 2024 12:45 +0000", 1715172300 },
		{ "Wed, 08 May 2024 14:45:00 +0200 (CEST)", 1715172300 },
		{ "Wed, 8 May 2024 07:15:00 -0530", 1715172300 },
		{ "Wed, 8 May 2024 12:45:00 +0000 garbage", 1715172300 },
		{ "Wed, 8 May 2024 24:45:00 +0000", 0 },
		{ "Wed, 32 May 2024 12:45:00 +0000", 0 },
		{ "Wed, 8 May 1960 12:45:00 +0000", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char raw[200];
		snprintf(raw, sizeof(raw), "From: a@b.c\nDate: %s\n\nbody\n", cases[i].date);
		struct ct_item it = parse(raw);
		if (it.date != (cases[i].want ? cases[i].want : 1700000000))
			print_error("Date: %s -> %lld\n", cases[i].date, (long long)it.date);
		assert_int_equal(it.date, cases[i].want ? cases[i].want : 1700000000);
		assert_int_equal(it.date_from_file, cases[i].want == 0);
		ct_item_free(&it);
	}
}

static void test_odd_field_does_not_hide_the_fields_after_it(void **state)
{
	(void)state;
	/*
	 * libetpan reads a From with an unterminated quote, or a Cc with a NUL
	 * byte, on into the fields that follow (the message had no Subject and
	 * no Date); those are read on their own.
	 */
	static const char first[] = "From: @{a}*\"{(9\\))\n\t<q@s.example\n";
	static const char second[] = "Cc: a@b.example , \t\0(\")\n <c@d.example>\n";
	static const struct {
		const char *field;
		size_t len;
	} odd[] = { { first, sizeof(first) - 1 }, { second, sizeof(second) - 1 } };
	static const char rest[] = "Subject: Refund =?utf-8?Q?now?=\nDate: Wed, 8 May 2024 12:45:00 +0000\n\nbody\n";
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char raw[300];
		memcpy(raw, odd[i].field, odd[i].len);
		memcpy(raw + odd[i].len, rest, sizeof(rest));
		struct ct_item it;
		ct_item_init(&it);
		ct_mime_parse(raw, odd[i].len + sizeof(rest) - 1, 1700000000, &it);
		assert_str(it.subject, "Refund now");
		assert_int_equal(it.date, 1715172300);
		/* and they do not turn up in the body as well */
		assert_null(strstr(it.body, "Subject:"));
		assert_null(strstr(it.body, "Date:"));
		assert_non_null(strstr(it.body, "body\n"));
		ct_item_free(&it);
	}
}

static int tree_depth(const struct mailmime *m)
{
	int d = 0;
	if (m && m->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *c = clist_begin(m->mm_data.mm_multipart.mm_mp_list); c; c = clist_next(c)) {
			int s = tree_depth(clist_content(c));
			d = s > d ? s : d;
		}
		d++;
	} else if (m && m->mm_type == MAILMIME_MESSAGE) {
		d = tree_depth(m->mm_data.mm_message.mm_msg_mime) + 1;
	}
	return d;
}

/*
 * The tree parser recurses once per level: nesting up to CT_MIME_MAX_DEPTH
 * is read as libetpan reads it, deeper nesting (30,000 levels would
 * overflow the stack) is cut, the innermost kept part holding the rest.
 */
static void test_nesting_is_cut_at_the_depth_limit(void **state)
{
	(void)state;
	static const struct {
		int levels, want_rc, want_depth;
	} cases[] = {
		{ 30, MAILIMF_NO_ERROR, 31 },
		{ CT_MIME_MAX_DEPTH - 1, MAILIMF_NO_ERROR, CT_MIME_MAX_DEPTH },
		{ CT_MIME_MAX_DEPTH, CT_MIME_TREE_CUT, CT_MIME_MAX_DEPTH },
		{ 30000, CT_MIME_TREE_CUT, CT_MIME_MAX_DEPTH },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ct_buf b = CT_BUF_INIT;
		ct_buf_addstr(&b, "Subject: nest\n");
		for (int k = 0; k < cases[i].levels; k++)
			ct_buf_addf(&b, "Content-Type :multipart/x;boundary=b%05d\n\n--b%05d\n", k, k);
		ct_buf_addstr(&b, "\ncharged twice\n");
		for (int k = cases[i].levels - 1; k >= 0; k--)
			ct_buf_addf(&b, "--b%05d--\n", k);
		if (cases[i].want_rc == MAILIMF_NO_ERROR)
			same_tree(b.buf, b.len);
		struct mailmime *t = NULL;
		int rc = ct_mime_tree_parse(b.buf, b.len, NULL, &t);
		int depth = rc == MAILIMF_NO_ERROR || rc == CT_MIME_TREE_CUT ? tree_depth(t) : -1;
		if (rc != cases[i].want_rc || depth != cases[i].want_depth)
			print_error("%d levels: got rc %d, depth %d; want rc %d, depth %d\n", cases[i].levels, rc,
				    depth, cases[i].want_rc, cases[i].want_depth);
		assert_int_equal(rc, cases[i].want_rc);
		assert_int_equal(depth, cases[i].want_depth);
		if (t)
			mailmime_free(t);
		ct_buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_tree_on_libetpan_quirks),
		cmocka_unit_test(test_same_tree_on_generated_messages),
		cmocka_unit_test(test_top_level_mime_fields_are_read),
		cmocka_unit_test(test_dates_of_the_usual_form),
		cmocka_unit_test(test_odd_field_does_not_hide_the_fields_after_it),
		cmocka_unit_test(test_nesting_is_cut_at_the_depth_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
