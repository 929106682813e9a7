/*
 * test_mime.c - the MIME decoder (ingest/mime.c, charset.c, html.c): tables
 * of raw messages and what must come out of them, the fixtures under
 * tests/data/mime/, and broken input that must never crash or lose text.
 */
#include "unit.h"
#include "../../ingest/mime_p.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#define FALLBACK 1700000000

static struct ct_item parse_n(const char *raw, size_t len)
{
	struct ct_item it;
	ct_item_init(&it);
	ct_mime_parse(raw, len, FALLBACK, &it);
	return it;
}

static struct ct_item parse(const char *raw)
{
	return parse_n(raw, strlen(raw));
}

static int has_warning(const struct ct_item *it, const char *part)
{
	for (size_t i = 0; i < it->warnings.n; i++)
		if (strstr(it->warnings.v[i], part))
			return 1;
	return 0;
}

static void print_warnings(const struct ct_item *it)
{
	for (size_t i = 0; i < it->warnings.n; i++)
		print_error("  warning: %s\n", it->warnings.v[i]);
}

/* What every decoded item must satisfy, whatever the input. */
static void assert_clean(const struct ct_item *it)
{
	assert_non_null(it->external_id);
	assert_non_null(it->subject);
	assert_non_null(it->body);
	assert_non_null(it->from.addr);
	assert_int_equal(strlen(it->body), it->body_len);
	assert_true(ct_utf8_valid(it->body, it->body_len));
	assert_null(memchr(it->body, '\r', it->body_len));
	assert_true(ct_utf8_valid(it->subject, strlen(it->subject)));
	for (size_t i = 0; i < it->nfwd; i++)
		assert_true(ct_utf8_valid(it->fwd[i].body, strlen(it->fwd[i].body)));
}

/*
 * Body decoding: subject and body as they must come out. want_body is the
 * whole body (exact) unless body_has is set; warn, when set, must be among
 * the warnings, and no warning at all is expected otherwise.
 */
static const struct body_case {
	const char *name, *raw, *subject, *body, *body_has, *warn;
	int from_html;
} body_cases[] = {
	{ "qp soft breaks and escapes",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: qp\n"
	  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "Caf=C3=A9 au lait, =\nsoft break=3D ok\n",
	  "qp", "Café au lait, soft break= ok\n", NULL, NULL, 0 },
	{ "qp lower-case hex",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: qp\n"
	  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "caf=c3=a9\n",
	  "qp", NULL, "café", NULL, 0 },
	{ "bad qp escapes stay literal with a warning",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: qp\n"
	  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "100=ZZ sure =C3=A9=\nnd\n",
	  "qp", "100=ZZ sure énd\n", NULL, "quoted-printable", 0 },
	{ "base64 with line breaks",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: b\n"
	  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
	  "V2lyIHd1cmRlbiB6d2Vp\nbWFsIGJlbGFzdGV0Lg==\n",
	  "b", "Wir wurden zweimal belastet.", NULL, NULL, 0 },
	{ "broken base64 keeps what decodes",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: b\n"
	  "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nSGVsbG8g!!d29y*bGQ=\n",
	  "b", NULL, "Hello", "base64", 0 },
	{ "latin1 body",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: l\n"
	  "Content-Type: text/plain; charset=ISO-8859-1\n\nGr\xFC\xDF" "e aus K\xF6ln\n",
	  "l", "Grüße aus Köln\n", NULL, NULL, 0 },
	{ "windows-1252 smart quotes and euro",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: w\n"
	  "Content-Type: text/plain; charset=\"windows-1252\"\n\n\x93" "charged twice\x94 \x96 \x80" "50\n",
	  "w", "“charged twice” – €50\n", NULL, NULL, 0 },
	{ "iso-8859-15 euro sign",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: e\n"
	  "Content-Type: text/plain; charset=iso-8859-15\n\n\xA4" "20\n",
	  "e", "€20\n", NULL, NULL, 0 },
	{ "koi8-r",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: k\n"
	  "Content-Type: text/plain; charset=KOI8-R\n\n\xF0\xD2\xC9\xD7\xC5\xD4, \xD3\xDE\xC5\xD4\n",
	  "k", "Привет, счет\n", NULL, NULL, 0 },
	{ "invalid utf-8 bytes become U+FFFD",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: u\n"
	  "Content-Type: text/plain; charset=utf-8\n\nab\xFF\xFE" "cd \xC3\n",
	  "u", "ab\xEF\xBF\xBD\xEF\xBF\xBD" "cd \xEF\xBF\xBD\n", NULL, "invalid UTF-8", 0 },
	{ "unknown charset read as windows-1252",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: x\n"
	  "Content-Type: text/plain; charset=x-made-up\n\ncaf\xE9 \x93ok\x94\n",
	  "x", "café “ok”\n", NULL, "unknown charset 'x-made-up'", 0 },
	{ "undeclared 8-bit body: utf-8 when valid",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: x\n\nÜberweisung\n",
	  "x", "Überweisung\n", NULL, NULL, 0 },
	{ "undeclared 8-bit body: else windows-1252",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: x\n\n\xDC" "berweisung\n",
	  "x", "Überweisung\n", NULL, NULL, 0 },
	{ "NUL bytes in the body become blanks",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: n\n\nab\0cd\n",
	  "n", "ab cd\n", NULL, NULL, 0 },
	{ "trailing blanks are kept as decoded",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: t\n\nline one  \nline two\t\n",
	  "t", "line one  \nline two\t\n", NULL, NULL, 0 },
	{ "crlf input",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\r\nFrom: a@b.example\r\nSubject: c\r\n"
	  "Content-Type: text/plain\r\n\r\nline one\r\nline two\r\n",
	  "c", "line one\nline two\n", NULL, NULL, 0 },
	{ "cr-only input",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\rFrom: a@b.example\rSubject: c\r"
	  "Content-Type: text/plain\r\rline one\rline two\r",
	  "c", "line one\nline two\n", NULL, NULL, 0 },
	{ "crlf multipart with qp",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\r\nFrom: a@b.example\r\nSubject: m\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n"
	  "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "Gr=C3=BC=C3=9Fe,=\r\n Anna\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b1--\r\n",
	  "m", "Grüße, Anna", NULL, NULL, 0 },
	{ "alternative prefers text/plain even after html",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: a\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
	  "--b1\nContent-Type: text/html\n\n<p>HTML version</p>\n"
	  "--b1\nContent-Type: text/plain\n\nPlain version\n--b1--\n",
	  "a", "Plain version", NULL, NULL, 0 },
	{ "nested mixed > alternative > related",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: n\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"m\"\n\n--m\n"
	  "Content-Type: multipart/alternative; boundary=\"a\"\n\n--a\n"
	  "Content-Type: text/plain; charset=utf-8\n\nInner plain text\n--a\n"
	  "Content-Type: multipart/related; boundary=\"r\"\n\n--r\nContent-Type: text/html\n\n<b>inner html</b>\n"
	  "--r\nContent-Type: image/png\nContent-ID: <logo>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r--\n"
	  "--a--\n--m\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERg==\n--m--\n",
	  "n", "Inner plain text", NULL, NULL, 0 },
	{ "html only becomes readable text",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: h\n"
	  "Content-Type: text/html; charset=utf-8\n\n<html><head><title>T</title><style>p{color:red}</style></head>"
	  "<body><p>Hello&nbsp;there</p><p>We &amp; you<br>line&#33; &#x263A; &eacute;</p>"
	  "<script>alert('x')</script><ul><li>one</li><li>two</li></ul></body></html>\n",
	  "h", "Hello there\n\nWe & you\nline! ☺ é\n\n- one\n- two\n", NULL, NULL, 1 },
	{ "html in alternative without plain",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: h\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "<div>Sch=F6ne Gr=FC=DFe</div>\n--b--\n",
	  "h", "Schöne Grüße\n", NULL, NULL, 1 },
	{ "empty text/plain gives way to html",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: e\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n\n\n"
	  "--b\nContent-Type: text/html\n\n<p>Only here</p>\n--b--\n",
	  "e", "Only here\n", NULL, NULL, 1 },
	{ "multipart without a boundary parameter",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: nb\nContent-Type: multipart/mixed\n\n"
	  "some text\n",
	  "nb", NULL, "some text", "without a boundary", 0 },
	{ "multipart whose boundary never occurs",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: nb\n"
	  "Content-Type: multipart/mixed; boundary=\"zz\"\n\nthe text is still here\n",
	  "nb", NULL, "the text is still here", "not found", 0 },
	{ "truncated multipart keeps the parts it has",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: tr\n"
	  "Content-Type: multipart/mixed; boundary=\"zz\"\n\n--zz\nContent-Type: text/plain\n\nfirst part\n"
	  "--zz\nContent-Type: text/plain\n\nsecond part, cut",
	  "tr", NULL, "second part, cut", "truncated", 0 },
	{ "text attachment stays out of the body",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: at\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nthe body\n"
	  "--b\nContent-Type: text/plain; name=\"server.log\"\nContent-Disposition: attachment; filename=\"server.log\"\n\n"
	  "ERROR secret log line\n--b--\n",
	  "at", "the body", NULL, NULL, 0 },
	{ "last header without a line end",
	  "Date: Mon, 4 Mar 2024 10:00:00 +0000\nFrom: a@b.example\nSubject: only headers",
	  "only headers", "", NULL, NULL, 0 },
	{ "mbox From_ line left on top",
	  "From a@b.example Mon Mar  4 10:00:00 2024\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n"
	  "From: a@b.example\nSubject: mbox\n\nbody\n",
	  "mbox", "body\n", NULL, NULL, 0 },
	{ "no headers at all",
	  "just some text\nwithout headers\n",
	  "", "just some text\nwithout headers\n", NULL, "no header fields", 0 },
};

static void test_bodies_decode_to_utf8_text(void **state)
{
	int failed = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(body_cases); i++) {
		const struct body_case *c = &body_cases[i];
		size_t len = strlen(c->raw);
		if (strstr(c->name, "NUL bytes"))
			len += strlen(c->raw + len + 1) + 1;
		struct ct_item it = parse_n(c->raw, len);
		int ok = !strcmp(it.subject, c->subject) && it.body_from_html == c->from_html;
		if (c->body && strcmp(it.body, c->body))
			ok = 0;
		if (c->body_has && !strstr(it.body, c->body_has))
			ok = 0;
		if (c->warn ? !has_warning(&it, c->warn) : it.warnings.n != 0)
			ok = 0;
		if (!ok) {
			print_error("%s:\n got subject \"%s\" body \"%s\" from_html %d\n"
				    "want subject \"%s\" body \"%s\" from_html %d, warning \"%s\"\n",
				    c->name, it.subject, it.body, it.body_from_html, c->subject,
				    c->body ? c->body : c->body_has, c->from_html, c->warn ? c->warn : "(none)");
			print_warnings(&it);
			failed++;
		}
		assert_clean(&it);
		ct_item_free(&it);
	}
	assert_int_equal(failed, 0);
}

/* RFC 2047 and raw 8-bit header values, through ct_mime_decode_header. */
static const struct {
	const char *in, *want, *warn;
} header_cases[] = {
	{ "=?UTF-8?B?UmVjaG51bmcgw7xiZXJmw6RsbGln?=", "Rechnung überfällig", NULL },
	{ "=?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=", "Grüße aus Köln", NULL },
	{ "=?utf-8?q?Caf=C3=A9?= =?utf-8?q?_au_lait?= and more", "Café au lait and more", NULL },
	{ "=?UTF-8?Q?a?=\n =?UTF-8?Q?b?=", "ab", NULL },
	{ "Hello =?UTF-8?Q?W=C3=B6rld?= again", "Hello Wörld again", NULL },
	{ "=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", "éé", NULL },
	/* one character split across two words */
	{ "=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "€", NULL },
	{ "=?windows-1252?Q?=93hi=94?=", "“hi”", NULL },
	{ "=?koi8-r?B?8NLJ18XU?=", "Привет", NULL },
	{ "=?ISO-8859-1*de?Q?M=FCnchen?=", "München", NULL },
	{ "=?x-unknown?Q?caf=E9?=", "café", "unknown charset" },
	{ "=?UTF-8?X?not a word?=", "=?UTF-8?X?not a word?=", NULL },
	{ "=?UTF-8?Q?unterminated", "=?UTF-8?Q?unterminated", NULL },
	{ "Überweisung fehlt", "Überweisung fehlt", NULL },
	{ "\xDC" "berweisung fehlt", "Überweisung fehlt", NULL },
	{ "folded\n\tline", "folded line", NULL },
	{ "  padded  ", "padded", NULL },
	{ "", "", NULL },
};

static void test_rfc2047_and_8bit_header_values(void **state)
{
	int failed = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(header_cases); i++) {
		struct ct_item it;
		ct_item_init(&it);
		char *got = ct_mime_decode_header(header_cases[i].in, &it);
		int ok = !strcmp(got, header_cases[i].want) &&
			 (header_cases[i].warn ? has_warning(&it, header_cases[i].warn) : !it.warnings.n);
		if (!ok) {
			print_error("\"%s\": got \"%s\", want \"%s\" (warning %s)\n", header_cases[i].in, got,
				    header_cases[i].want, header_cases[i].warn ? header_cases[i].warn : "none");
			print_warnings(&it);
			failed++;
		}
		free(got);
		ct_item_free(&it);
	}
	assert_int_equal(failed, 0);
}

static const struct {
	const char *in, *want;
} html_cases[] = {
	{ "<p>a</p><p>b</p>", "a\n\nb\n" },
	{ "a<br>b<br/>c", "a\nb\nc\n" },
	{ "<div>one</div><div>two</div>", "one\ntwo\n" },
	{ "<ol><li>first<li>second</ol>", "1. first\n2. second\n" },
	{ "<ul><li>x</li></ul>after", "- x\n\nafter\n" },
	{ "a &lt;b&gt; &amp; &quot;c&quot; &#8364; &#x20AC; &euro;", "a <b> & \"c\" € € €\n" },
	{ "x&nbsp;&nbsp;y &unknown; & z", "x y &unknown; & z\n" },
	{ "<style>.a{}</style><script>if (a<b) x()</script>text", "text\n" },
	{ "<!-- <p>hidden</p> -->shown<!--[if mso]>no<![endif]-->", "shown\n" },
	{ "<a href=\"x>y\">link</a> text", "link text\n" },
	{ "<pre>a  b\n  c</pre>", "a  b\n  c\n" },
	{ "a < b and c > d", "a < b and c > d\n" },
	{ "spaces   \n\n  fold", "spaces fold\n" },
	{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc\n" },
	{ "&#150; &#0; &#xD800;", "– \xEF\xBF\xBD \xEF\xBF\xBD\n" },
	{ "cut <b", "cut\n" },
	{ "<html><head><meta charset=utf-8><body>head never closed", "head never closed\n" },
	/* a quote never closed ends at the tag's first '>' (fuzz finding html-2.eml) */
	{ "<p>Hello,</p><p>see <img alt=\"logo src=x.png> We were charged twice.</p><p>Regards</p>",
	  "Hello,\n\nsee We were charged twice.\n\nRegards\n" },
	/* ... and so does one open at a '>' that ends a line */
	{ "<img alt=\"logo>\nnext <b>bold</b> \"q\"", "next bold \"q\"\n" },
	{ "<img alt='a>b' title=\"x\">kept", "kept\n" },
	{ "<style>a<style>b</style>c", "c\n" },
	{ "<style>a<script>b<style>c", "abc\n" },
	{ "", "" },
};

static void test_html_to_text(void **state)
{
	int failed = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(html_cases); i++) {
		char *got = ct_html_to_text(html_cases[i].in, strlen(html_cases[i].in));
		if (strcmp(got, html_cases[i].want)) {
			print_error("\"%s\":\n got \"%s\"\nwant \"%s\"\n", html_cases[i].in, got, html_cases[i].want);
			failed++;
		}
		assert_true(ct_utf8_valid(got, strlen(got)));
		free(got);
	}
	assert_int_equal(failed, 0);
}

static void html_too_slow(int sig)
{
	static const char msg[] = "ct_html_to_text: unclosed <style> elements took over 60 s\n";
	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/*
 * Elements that hide their content but are never closed: each used to scan
 * the rest of the text for its end tag (4 MB of them: hours). 60 s is a
 * bound no run of the linear scan comes near, even under ASan.
 */
static void test_html_many_unclosed_hidden_elements_are_linear(void **state)
{
	struct ct_buf b = CT_BUF_INIT;
	for (int i = 0; i < 500000; i++)
		ct_buf_addstr(&b, i % 2 ? "<style>" : "<script>");
	ct_buf_addstr(&b, "We were charged twice.");
	signal(SIGALRM, html_too_slow);
	alarm(60);
	char *got = ct_html_to_text(b.buf, b.len);
	alarm(0);
	assert_str(got, "We were charged twice.\n");
	free(got);
	ct_buf_release(&b);
}

static void test_headers_ids_and_addresses(void **state)
{
	struct ct_item it = parse(
		"Message-ID: <abc@mail.example>\nIn-Reply-To: <p1@x> <p2@x>\n"
		"References: <r1@x>\n <r2@x> <r3@x>\n"
		"From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Acme.Example>\n"
		"To: \"Doe, John\" <John.Doe@Corp.Example>, support@corp.example\n"
		"Cc: =?ISO-8859-1?Q?Andr=E9?= <andre@x.example>, Team: x@y.example, z@y.example;\n"
		"Date: Mon, 4 Mar 2024 10:12:01 +0100\nSubject: s\nX-Forwarded-Message-Id: <fw@x>\n\nbody\n");
	assert_str(it.external_id, "abc@mail.example");
	assert_str(it.message_id, "abc@mail.example");
	assert_str(it.in_reply_to, "p1@x");
	assert_int_equal(it.references.n, 3);
	assert_str(it.references.v[0], "r1@x");
	assert_str(it.references.v[2], "r3@x");
	assert_str(it.x_forwarded_id, "fw@x");
	assert_str(it.from.addr, "juergen@acme.example");
	assert_str(it.from.name, "Jürgen Müller");
	assert_int_equal(it.to.n, 2);
	assert_str(it.to.v[0].name, "Doe, John");
	assert_str(it.to.v[0].addr, "john.doe@corp.example");
	assert_null(it.to.v[1].name);
	assert_int_equal(it.cc.n, 3);
	assert_str(it.cc.v[0].name, "André");
	assert_str(it.cc.v[2].addr, "z@y.example");
	assert_int_equal(it.date_from_file, 0);
	if (it.warnings.n)
		print_warnings(&it);
	assert_int_equal(it.warnings.n, 0);
	ct_item_free(&it);
}

/*
 * Message-ID, In-Reply-To and References: simple values are read without
 * libetpan, others by it; the results must be what libetpan (or the raw
 * reading it falls back on) gives, and the first field of a name wins.
 */
static void test_message_id_fields_simple_and_odd(void **state)
{
	static const struct {
		const char *fields, *mid, *irt, *refs;
	} cases[] = {
		{ "Message-ID: <a@b>\nReferences: <x@y>\n  <z@w>\n\t<k@l>\n", "a@b", NULL, "x@y z@w k@l" },
		{ "Message-ID: <ab>\nReferences: <xy> <z@w>\n", "ab", NULL, "xy z@w" },
		{ "Message-ID: <a@b> (comment)\nIn-Reply-To: <p@q> (Bob's message)\n", "a@b", "p@q", "" },
		{ "Message-ID: <a@b>\nMessage-ID: <c@d>\n", "a@b", NULL, "" },
		{ "Message-ID: garbage\nMessage-ID: <c@d>\n", "garbage", NULL, "" },
		{ "Message-ID: <<a@b>>\nReferences: <<x@y>> <z@w>>\n", "a@b", NULL, "x@y z@w" },
		{ "Message-ID:<a@b>\nIn-Reply-To:<p@q><r@s>\n", "a@b", "p@q", "" },
		{ "Message-ID: <a@b> <c@d>\n", "a@b", NULL, "" },
		{ "References: <x@y>\nReferences: <z@w>\n", NULL, NULL, "x@y" },
		{ "In-Reply-To: message from Bob <bob@x> of Monday\n", NULL, "bob@x", "" },
		{ "Message-ID: <a@b>\nReferences: <a@b>,<c@d>\n", "a@b", NULL, "a@b c@d" },
		{ "Message-ID: <>\nReferences: <> <a@b>\n", NULL, NULL, "a@b" },
		{ "message-id: <lower@case>\nREFERENCES: <UP@CASE>\n", "lower@case", NULL, "UP@CASE" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char raw[512];
		snprintf(raw, sizeof(raw), "From: a@example.com\nSubject: s\n%s\nbody\n", cases[i].fields);
		struct ct_item it = parse(raw);
		char refs[256] = "";
		for (size_t k = 0; k < it.references.n; k++)
			snprintf(refs + strlen(refs), sizeof(refs) - strlen(refs), "%s%s", k ? " " : "",
				 it.references.v[k]);
		if (cases[i].mid)
			assert_str(it.message_id, cases[i].mid);
		else
			assert_null(it.message_id);
		if (cases[i].irt)
			assert_str(it.in_reply_to, cases[i].irt);
		else
			assert_null(it.in_reply_to);
		assert_str(refs, cases[i].refs);
		ct_item_free(&it);
	}
}

/*
 * From, To and Cc: simple lists are read without libetpan, others by it;
 * names, addresses and their order must come out as libetpan gives them.
 */
static void test_address_fields_simple_and_odd(void **state)
{
	static const struct {
		const char *fields, *from, *to;  /* to: "name|addr" entries, "-" for no name */
	} cases[] = {
		{ "From: Bob <BOB@X.example>\nTo: a@b.example,\n c@d.example\n", "bob@x.example",
		  "-|a@b.example -|c@d.example" },
		{ "From: \"Doe, John\" <j@x.example>\nTo: Customer 3 <c3@acme.example>, \"Q, R\" <q@x.example>\n",
		  "j@x.example", "Customer 3|c3@acme.example Q, R|q@x.example" },
		{ "From: J. Smith <j@x.example>\nTo: Jane  Doe <jd@x.example>\n", "j@x.example", "Jane Doe|jd@x.example" },
		{ "From: =?UTF-8?Q?J=C3=BCrgen?= <j@x.example>\nTo: Team: x@y.example, z@y.example;\n", "j@x.example",
		  "-|x@y.example -|z@y.example" },
		{ "From: a@x.example\nFrom: b@x.example\nTo: undisclosed-recipients:;\nTo: t@x.example\n", "a@x.example",
		  "-|t@x.example" },
		{ "From: bob@x.example Bob\nTo: a..b@x.example, ok@x.example\nTo: second@x.example\n", "bob@x.examplebob",
		  "-|a..b@x.example -|ok@x.example -|second@x.example" },
		/* "Last, First <addr>" unquoted (Outlook's habit): one person, not a bare word and an address */
		{ "From: Y\xC4\xB1lmaz, J\xC3\xBCrgen <jy@k.example>\nTo: Doe, John <jd@x.example>, ok@x.example\n",
		  "jy@k.example", "Doe, John|jd@x.example -|ok@x.example" },
		{ "From: Yilmaz, Juergen <jy@k.example>\nTo: Doe, John <jd@x.example>\n", "jy@k.example",
		  "Doe, John|jd@x.example" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char raw[512], to[256] = "";
		snprintf(raw, sizeof(raw), "Message-ID: <a%zu@x>\nSubject: s\n%s\nbody\n", i, cases[i].fields);
		struct ct_item it = parse(raw);
		for (size_t k = 0; k < it.to.n; k++)
			snprintf(to + strlen(to), sizeof(to) - strlen(to), "%s%s|%s", k ? " " : "",
				 it.to.v[k].name ? it.to.v[k].name : "-", it.to.v[k].addr);
		assert_str(it.from.addr, cases[i].from);
		assert_str(to, cases[i].to);
		ct_item_free(&it);
	}
}

static void test_quoted_printable_soft_breaks_and_hex(void **state)
{
	struct ct_item it = parse(
		"Message-ID: <qp@x>\nFrom: a@x.example\nSubject: q\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n"
		"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
		"soft=\nbreak, with a blank= \nafter it; =3d=e2=80=99=E2=80=99 tab=09x   \r\nend=\r\n.\n");
	assert_str(it.body, "softbreak, with a blankafter it; =\xe2\x80\x99\xe2\x80\x99 tab\tx   \nend.\n");
	assert_int_equal(it.warnings.n, 0);
	ct_item_free(&it);
}

static void test_broken_headers_are_read_leniently(void **state)
{
	/* 8-bit display names and bare ids make libetpan refuse the fields */
	struct ct_item it = parse("Message-ID: bare-id@host.example\nReferences: <a@x> junk <b@x>\n"
				  "From: J\xC3\xBCrgen M\xC3\xBCller <J@X.Example>\n"
				  "To: M\xFCller <m@x.example>, broken<<\n"
				  "Date: Mon, 4 Mar 2024 10:12:01 +0000\nSubject: \xDC" "berweisung\n\nx\n");
	assert_str(it.message_id, "bare-id@host.example");
	assert_int_equal(it.references.n, 2);
	assert_str(it.references.v[1], "b@x");
	assert_str(it.from.addr, "j@x.example");
	assert_str(it.from.name, "Jürgen Müller");
	assert_true(it.to.n >= 1);
	assert_str(it.to.v[0].name, "Müller");
	assert_str(it.to.v[0].addr, "m@x.example");
	assert_str(it.subject, "Überweisung");
	assert_int_equal(it.raw_size, strlen("Message-ID: bare-id@host.example\nReferences: <a@x> junk <b@x>\n"
						 "From: J\xC3\xBCrgen M\xC3\xBCller <J@X.Example>\n"
						 "To: M\xFCller <m@x.example>, broken<<\n"
						 "Date: Mon, 4 Mar 2024 10:12:01 +0000\nSubject: \xDC" "berweisung\n\nx\n"));
	ct_item_free(&it);
}

static const struct {
	const char *date, *want; /* want NULL: the fallback with a warning */
} date_cases[] = {
	{ "Mon, 4 Mar 2024 10:12:01 +0100", "2024-03-04T09:12:01Z" },
	{ "Mon, 4 Mar 2024 10:12:01 -0530", "2024-03-04T15:42:01Z" },
	{ "4 Mar 2024 10:12:01 GMT", "2024-03-04T10:12:01Z" },
	{ "Mon, 04 Mar 2024 10:12 +0000", "2024-03-04T10:12:00Z" },
	{ "Mon, 4 Mar 24 09:12:00 EST", "2024-03-04T14:12:00Z" },
	{ "4 Mar 24 09:12 EST", "2024-03-04T14:12:00Z" },
	{ "Mon, 4 Mar 2024 10:12:01 UT", "2024-03-04T10:12:01Z" },
	{ "Monday, 4 March 2024 10:12:01 +0100 (CET)", "2024-03-04T09:12:01Z" },
	{ "Mon, Mon, 4 Mar 2024 10:12:01 +0000", "2024-03-04T10:12:01Z" },
	{ "Mon Mar  4 10:12:01 2024", "2024-03-04T10:12:01Z" },
	{ "2024-03-04T10:12:01+02:00", "2024-03-04T08:12:01Z" },
	{ "Thu, 31 Dec 98 23:00:00 PST", "1999-01-01T07:00:00Z" },
	{ "sometime soon", NULL },
	{ "Mon, 45 Foo 2024 99:99:99", NULL },
	{ "Mon, 4 Mar 2024 25:12:01 +0000", NULL },
	{ "", NULL },
};

static void test_dates_to_utc_with_lenient_forms(void **state)
{
	int failed = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(date_cases); i++) {
		char *raw = ct_xstrfmt("From: a@b.example\nSubject: d\nDate: %s\n\nx\n", date_cases[i].date);
		struct ct_item it = parse(raw);
		char got[32];
		ct_time_iso(it.date, got);
		int ok = date_cases[i].want ? !strcmp(got, date_cases[i].want) && !it.date_from_file :
					      it.date == FALLBACK && it.date_from_file &&
						      has_warning(&it, "Date header");
		if (!ok) {
			print_error("Date: %s\n got %s (from file %d)\nwant %s\n", date_cases[i].date, got,
				    it.date_from_file, date_cases[i].want ? date_cases[i].want : "the fallback");
			print_warnings(&it);
			failed++;
		}
		ct_item_free(&it);
		free(raw);
	}
	assert_int_equal(failed, 0);
}

static void test_missing_date_uses_fallback_with_warning(void **state)
{
	struct ct_item it = parse("From: a@b.example\nSubject: no date\n\nx\n");
	assert_int_equal(it.date, FALLBACK);
	assert_int_equal(it.date_from_file, 1);
	assert_true(has_warning(&it, "no Date header, using the file time"));
	ct_item_free(&it);
}

static void test_missing_message_id_hash_is_stable_across_line_endings(void **state)
{
	const char *lf = "From: a@b.example\nSubject: x\nDate: Mon, 4 Mar 2024 10:12:01 +0000\n\nsame text\n";
	const char *crlf = "From: a@b.example\r\nSubject: x\r\nDate: Mon, 4 Mar 2024 10:12:01 +0000\r\n\r\nsame text\r\n";
	const char *cr = "From: a@b.example\rSubject: x\rDate: Mon, 4 Mar 2024 10:12:01 +0000\r\rsame text\r";
	const char *other = "From: a@b.example\nSubject: x\nDate: Mon, 4 Mar 2024 10:12:01 +0000\n\nother text\n";
	const char *empty_id = "Message-ID: <>\nFrom: a@b.example\nSubject: x\n\nsame text\n";
	struct ct_item a = parse(lf), b = parse(crlf), c = parse(cr), d = parse(other), e = parse(empty_id);
	assert_true(!strncmp(a.external_id, "sha256:", 7));
	assert_int_equal(strlen(a.external_id), 7 + 64);
	assert_int_equal(strlen(a.legacy_external_id), 5 + 32);
	assert_str(b.external_id, a.external_id);
	assert_str(c.external_id, a.external_id);
	assert_true(strcmp(d.external_id, a.external_id) != 0);
	assert_null(a.message_id);
	assert_null(e.message_id);
	assert_true(!strncmp(e.external_id, "sha256:", 7));
	assert_int_equal(b.raw_size, strlen(crlf));
	ct_item_free(&a);
	ct_item_free(&b);
	ct_item_free(&c);
	ct_item_free(&d);
	ct_item_free(&e);
}

static void test_forwarded_rfc822_part_goes_to_fwd(void **state)
{
	struct ct_item it = parse(
		"Message-ID: <outer@x>\nFrom: agent@corp.example\nDate: Tue, 5 Mar 2024 09:00:00 +0000\n"
		"Subject: Fwd: refund\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"o\"\n\n"
		"--o\nContent-Type: text/plain\n\nBilling, please see below.\n"
		"--o\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
		"Message-ID: <inner@x>\nSubject: =?UTF-8?Q?R=C3=BCckerstattung?=\nFrom: Cust <Cust@Acme.Example>\n"
		"Date: Tue, 5 Mar 2024 08:00:00 +0100\nMIME-Version: 1.0\n"
		"Content-Type: multipart/alternative; boundary=\"i\"\n\n"
		"--i\nContent-Type: text/html\n\n<p>Where is my <b>refund</b>?</p>\n--i--\n"
		"--o--\n");
	assert_true(strstr(it.body, "Billing, please see below.") != NULL);
	assert_null(strstr(it.body, "refund"));
	assert_int_equal(it.nfwd, 1);
	assert_str(it.fwd[0].message_id, "inner@x");
	assert_str(it.fwd[0].subject, "Rückerstattung");
	assert_str(it.fwd[0].from, "cust@acme.example");
	assert_str(it.fwd[0].body, "Where is my refund?\n");
	char iso[32];
	ct_time_iso(it.fwd[0].date, iso);
	assert_str(iso, "2024-03-05T07:00:00Z");
	assert_int_equal(it.natt, 0);
	assert_str(it.external_id, "outer@x");
	if (it.warnings.n)
		print_warnings(&it);
	assert_int_equal(it.warnings.n, 0);
	ct_item_free(&it);
}

static void test_attachments_metadata_only(void **state)
{
	struct ct_item it = parse(
		"From: a@b.example\nDate: Tue, 5 Mar 2024 09:00:00 +0000\nSubject: files\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n"
		"--b\nContent-Type: text/plain\n\nSee attached.\n"
		"--b\nContent-Type: application/pdf; name=\"invoice.pdf\"\n"
		"Content-Disposition: attachment; filename=\"invoice.pdf\"\nContent-Transfer-Encoding: base64\n\n"
		"JVBERi0xLjQKJcfsj6IK\nJVBERi0xLjQKJcfsj6IK\n"
		"--b\nContent-Type: application/octet-stream\n"
		"Content-Disposition: attachment; filename*=UTF-8''na%C3%AFve%20plan.bin\n\nRAWDATA\n"
		"--b\nContent-Type: image/jpeg; name=\"=?UTF-8?Q?Fr=C3=BChling.jpg?=\"\nContent-Transfer-Encoding: base64\n\n/9j/\n"
		"--b\nContent-Type: application/msword\n"
		"Content-Disposition: attachment; filename*0*=iso-8859-1''r%E9; filename*1=\"sum.doc\"\n\nxx\n"
		"--b--\n");
	assert_str(it.body, "See attached."); /* the line end before a boundary belongs to it */
	assert_int_equal(it.natt, 4);
	assert_str(it.att[0].name, "invoice.pdf");
	assert_str(it.att[0].type, "application/pdf");
	assert_int_equal(it.att[0].size, 30);
	assert_str(it.att[1].name, "naïve plan.bin");
	assert_str(it.att[1].type, "application/octet-stream");
	assert_int_equal(it.att[1].size, 7); /* "RAWDATA" */
	assert_str(it.att[2].name, "Frühling.jpg");
	assert_str(it.att[2].type, "image/jpeg");
	assert_int_equal(it.att[2].size, 3);
	assert_str(it.att[3].name, "résum.doc");
	assert_null(strstr(it.body, "JVBER"));
	ct_item_free(&it);
}

/* ---- fixtures under tests/data/mime ---- */

static char *fixture_path(const char *name)
{
	/* this file is tests/unit/test_mime.c: the data is beside unit/ */
	const char *f = __FILE__;
	const char *slash = strstr(f, "unit/test_mime.c");
	return ct_xstrfmt("%.*sdata/mime/%s", slash ? (int)(slash - f) : 0, f, name);
}

static const struct {
	const char *file, *subject, *from, *body_has, *body_lacks, *warn;
	size_t natt, nfwd;
	int from_html;
} fixtures[] = {
	{ "outlook-forward.eml", "FW: Double charge on invoice 4471", "tom.reyes@northwind.example",
	  "Please look at this one", "charged twice", NULL, 1, 1, 0 },
	{ "html-only-latin1.eml", "Ihre Bestellung – Rückfrage", "kundenservice@shop.example",
	  "Sehr geehrte Frau Müller", "font-family", NULL, 0, 0, 1 },
	{ "crlf-qp.eml", "Re: Refund still missing", "anna@acme.example",
	  "you promised me a refund", NULL, NULL, 0, 0, 0 },
	{ "cr-only.eml", "Old Mac client", "old@mac.example", "line one\nline two", NULL, NULL, 0, 0, 0 },
	{ "broken-base64.eml", "Broken base64", "sender@example.net", "This part decodes", NULL, "base64", 0, 0, 0 },
	{ "no-boundary.eml", "Lost boundary", "x@example.org", "The boundary was never written", NULL,
	  "not found", 0, 0, 0 },
	{ "koi8r.eml", "Счет за март", "ivan@example.ru", "Мы оплатили счет дважды", NULL, NULL, 0, 0, 0 },
	{ "inline-forward.eml", "Fwd: contract", "sales@northwind.example", "---------- Forwarded message ---------",
	  NULL, NULL, 0, 0, 0 },
	{ "charset-utf8-alias.eml", "charset", "cust@customer.example", "We were charged twice \xEF\xBF\xBD",
	  NULL, "8 bytes not valid in charset 'utf-8;' replaced", 0, 0, 0 },
	{ "charset-ucs4.eml", "ucs4", "cust@customer.example", "A\xEF\xBF\xBD", NULL,
	  "11 bytes not valid in charset 'ucs-4' replaced", 0, 0, 0 },
};

static void test_fixture_messages(void **state)
{
	int failed = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(fixtures); i++) {
		struct ct_buf b = CT_BUF_INIT;
		char *path = fixture_path(fixtures[i].file);
		if (ct_buf_read_file(&b, path) < 0) {
			print_error("cannot read %s\n", path);
			free(path);
			fail();
		}
		struct ct_item it = parse_n(b.buf, b.len);
		int ok = !strcmp(it.subject, fixtures[i].subject) && !strcmp(it.from.addr, fixtures[i].from) &&
			 strstr(it.body, fixtures[i].body_has) &&
			 (!fixtures[i].body_lacks || !strstr(it.body, fixtures[i].body_lacks)) &&
			 (fixtures[i].warn ? has_warning(&it, fixtures[i].warn) : !it.warnings.n) &&
			 it.natt == fixtures[i].natt && it.nfwd == fixtures[i].nfwd &&
			 it.body_from_html == fixtures[i].from_html && it.raw_size == b.len && !it.date_from_file;
		if (!ok) {
			print_error("%s:\n got subject \"%s\" from \"%s\" natt %zu nfwd %zu html %d date_from_file %d\n"
				    " body \"%s\"\nwant subject \"%s\" from \"%s\" natt %zu nfwd %zu html %d, body with \"%s\"\n",
				    fixtures[i].file, it.subject, it.from.addr, it.natt, it.nfwd, it.body_from_html,
				    it.date_from_file, it.body, fixtures[i].subject, fixtures[i].from,
				    fixtures[i].natt, fixtures[i].nfwd, fixtures[i].from_html, fixtures[i].body_has);
			print_warnings(&it);
			failed++;
		}
		assert_clean(&it);
		ct_item_free(&it);
		ct_buf_release(&b);
		free(path);
	}
	assert_int_equal(failed, 0);
}

static void assert_utf8(const char *what, const char *s)
{
	if (s && !ct_utf8_valid(s, strlen(s))) {
		print_error("%s: got \"%s\", want valid UTF-8\n", what, s);
		fail();
	}
}

/* Header values with invalid UTF-8 (not decoded, or read raw) are repaired where they are stored. */
static void test_invalid_utf8_in_header_fields_is_replaced(void **state)
{
	struct ct_buf b = CT_BUF_INIT;
	char *path = fixture_path("bad-utf8-headers.eml");
	assert_int_equal(ct_buf_read_file(&b, path), 0);
	struct ct_item it = parse_n(b.buf, b.len);
	assert_clean(&it);
	assert_utf8("external_id", it.external_id);
	assert_utf8("message_id", it.message_id);
	assert_utf8("in_reply_to", it.in_reply_to);
	assert_utf8("from.name", it.from.name);
	assert_utf8("from.addr", it.from.addr);
	for (size_t i = 0; i < it.to.n; i++) {
		assert_utf8("to.name", it.to.v[i].name);
		assert_utf8("to.addr", it.to.v[i].addr);
	}
	for (size_t i = 0; i < it.cc.n; i++) {
		assert_utf8("cc.name", it.cc.v[i].name);
		assert_utf8("cc.addr", it.cc.v[i].addr);
	}
	for (size_t i = 0; i < it.references.n; i++)
		assert_utf8("references", it.references.v[i]);
	assert_str(it.from.addr, "cust\xEF\xBF\xBD@customer.example");
	if (!has_warning(&it, "invalid UTF-8 bytes in header fields replaced")) {
		print_warnings(&it);
		fail();
	}
	ct_item_free(&it);
	ct_buf_release(&b);
	free(path);
}

/* ---- torture ---- */

static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static void test_random_bytes_never_crash(void **state)
{
	unsigned seed = 4242;
	static char buf[8192];
	for (int round = 0; round < 400; round++) {
		size_t n = next_rand(&seed) % sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			buf[i] = (char)next_rand(&seed);
			if (round % 2 == 0 && next_rand(&seed) % 8 == 0)
				buf[i] = "\n\r:=?<>-\"; "[next_rand(&seed) % 11];
		}
		struct ct_item it = parse_n(buf, n);
		assert_clean(&it);
		assert_int_equal(it.raw_size, n);
		ct_item_free(&it);
	}
}

/* A valid multipart message, cut and bit-flipped at random places. */
static void test_mutated_messages_never_crash(void **state)
{
	const char *base =
		"Message-ID: <m@x>\nFrom: =?UTF-8?Q?A=C3=A9?= <a@b.example>\nTo: c@d.example\n"
		"Subject: =?koi8-r?B?8NLJ18XU?= and more\nDate: Mon, 4 Mar 2024 10:12:01 +0100\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"o\"\n\n--o\n"
		"Content-Type: multipart/alternative; boundary=\"a\"\n\n--a\n"
		"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
		"Gr=FC=DFe =\nhier\n--a\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
		"PHA+SGVsbG8mbmJzcDt0aGVyZTwvcD4=\n--a--\n--o\nContent-Type: message/rfc822\n\n"
		"Subject: inner\nFrom: x@y.example\n\ninner body\n--o\n"
		"Content-Type: application/pdf; name*=UTF-8''a%C3%A9.pdf\nContent-Transfer-Encoding: base64\n\nJVBERg==\n--o--\n";
	size_t blen = strlen(base);
	char *buf = ct_malloc(blen + 1);
	unsigned seed = 99;
	for (int round = 0; round < 1500; round++) {
		memcpy(buf, base, blen);
		size_t n = blen;
		int flips = (int)(next_rand(&seed) % 6);
		for (int f = 0; f < flips; f++)
			buf[next_rand(&seed) % blen] = (char)next_rand(&seed);
		if (round % 3 == 0)
			n = next_rand(&seed) % blen;
		struct ct_item it = parse_n(buf, n);
		assert_clean(&it);
		ct_item_free(&it);
	}
	free(buf);
}

/* libetpan recurses per nesting level: a bomb of nested parts must not overflow the stack. */
static void test_deeply_nested_parts_are_read_flat(void **state)
{
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addstr(&b, "Subject: nested\nFrom: a@b.example\nDate: Mon, 4 Mar 2024 10:12:01 +0000\n");
	for (int i = 0; i < 40000; i++)
		ct_buf_addstr(&b, "Content-Type: message/rfc822\n\n");
	ct_buf_addstr(&b, "Subject: inner\n\ninnermost text\n");
	struct ct_item it = parse_n(b.buf, b.len);
	assert_clean(&it);
	assert_str(it.subject, "nested");
	assert_str(it.from.addr, "a@b.example");
	assert_true(has_warning(&it, "MIME structure ignored"));
	assert_true(strstr(it.body, "innermost text") != NULL);
	ct_item_free(&it);

	/* nested below the limit: walked, the depth cut with one warning */
	ct_buf_reset(&b);
	ct_buf_addstr(&b, "Subject: deep\nFrom: a@b.example\nDate: Mon, 4 Mar 2024 10:12:01 +0000\n"
			  "Content-Type: multipart/mixed; boundary=b0\n\n");
	for (int i = 0; i < 200; i++)
		ct_buf_addf(&b, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i + 1);
	ct_buf_addstr(&b, "--b200\nContent-Type: text/plain\n\ndeep text\n");
	it = parse_n(b.buf, b.len);
	assert_clean(&it);
	assert_true(has_warning(&it, "nested deeper than"));
	assert_true(it.warnings.n <= 33);
	ct_item_free(&it);
	ct_buf_release(&b);
}

/*
 * Nesting in the header forms libetpan also reads (a blank before the
 * colon, an encoded word) must neither overflow the stack nor stop the
 * message: above the container count it is read flat, below it the tree
 * parser cuts it, each with a warning.
 */
static void test_nesting_in_odd_header_forms_is_bounded(void **state)
{
	static const struct {
		const char *field;
		int levels;
		const char *warn;
	} cases[] = {
		{ "Content-Type :multipart/x;boundary=", 30000, "MIME structure ignored" },
		{ "Content-Type: =?us-ascii?Q?multipart/x?=; boundary=", 30000, "MIME structure ignored" },
		{ "Content-Type :multipart/x;boundary=", 500, "nested deeper than 64 levels" },
		{ "Content-Type: =?us-ascii?Q?multipart/x?=; boundary=", 500, "nested deeper than 64 levels" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		struct ct_buf b = CT_BUF_INIT;
		ct_buf_addstr(&b, "From: a@customer.example\nSubject: nest\n"
				  "Date: Mon, 4 Mar 2024 09:12:01 +0100\n");
		for (int k = 0; k < cases[i].levels; k++)
			ct_buf_addf(&b, "%sb%05d\n\n--b%05d\n", cases[i].field, k, k);
		ct_buf_addstr(&b, "Content-Type: text/plain\n\nWe were charged twice.\n");
		struct ct_item it = parse_n(b.buf, b.len);
		assert_clean(&it);
		assert_str(it.subject, "nest");
		if (!has_warning(&it, cases[i].warn)) {
			print_error("case %zu: got warnings:\n", i);
			print_warnings(&it);
			print_error("want one with \"%s\"\n", cases[i].warn);
			fail();
		}
		ct_item_free(&it);
		ct_buf_release(&b);
	}
}

/* ---- threads: the iconv cache is per thread ---- */

static const char *thread_msgs[] = {
	"From: a@b.example\nSubject: k\nContent-Type: text/plain; charset=koi8-r\n\n\xF0\xD2\xC9\xD7\xC5\xD4\n",
	"From: a@b.example\nSubject: e\nContent-Type: text/plain; charset=iso-8859-15\n\n\xA4" "20\n",
	"From: a@b.example\nSubject: =?iso-8859-2?Q?=B1?=\nContent-Type: text/plain; charset=iso-8859-2\n\n\xB1\n",
};
static const char *thread_want[] = { "Привет\n", "€20\n", "ą\n" };

static void *parse_many(void *arg)
{
	long bad = 0;
	for (int i = 0; i < 2000; i++) {
		size_t k = (size_t)i % CT_ARRAY_SIZE(thread_msgs);
		struct ct_item it = parse(thread_msgs[k]);
		if (strcmp(it.body, thread_want[k]))
			bad++;
		ct_item_free(&it);
	}
	return (void *)bad;
}

static void test_parsing_in_several_threads_at_once(void **state)
{
	pthread_t t[4];
	long bad = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, parse_many, NULL), 0);
	for (size_t i = 0; i < CT_ARRAY_SIZE(t); i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies_decode_to_utf8_text),
		cmocka_unit_test(test_rfc2047_and_8bit_header_values),
		cmocka_unit_test(test_html_to_text),
		cmocka_unit_test(test_html_many_unclosed_hidden_elements_are_linear),
		cmocka_unit_test(test_headers_ids_and_addresses),
		cmocka_unit_test(test_message_id_fields_simple_and_odd),
		cmocka_unit_test(test_address_fields_simple_and_odd),
		cmocka_unit_test(test_quoted_printable_soft_breaks_and_hex),
		cmocka_unit_test(test_broken_headers_are_read_leniently),
		cmocka_unit_test(test_dates_to_utc_with_lenient_forms),
		cmocka_unit_test(test_missing_date_uses_fallback_with_warning),
		cmocka_unit_test(test_missing_message_id_hash_is_stable_across_line_endings),
		cmocka_unit_test(test_forwarded_rfc822_part_goes_to_fwd),
		cmocka_unit_test(test_attachments_metadata_only),
		cmocka_unit_test(test_fixture_messages),
		cmocka_unit_test(test_invalid_utf8_in_header_fields_is_replaced),
		cmocka_unit_test(test_random_bytes_never_crash),
		cmocka_unit_test(test_mutated_messages_never_crash),
		cmocka_unit_test(test_deeply_nested_parts_are_read_flat),
		cmocka_unit_test(test_nesting_in_odd_header_forms_is_bounded),
		cmocka_unit_test(test_parsing_in_several_threads_at_once),
	};
	ct_quiet = 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
