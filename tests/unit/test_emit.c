/*
 * test_emit.c - the report emitters: one fixed document printed in every
 * format and compared with tests/data/golden/doc.*; CSV parsed back field by
 * field; UTF-8 columns aligned by display width; HTML escaping of hostile text.
 * CT_UPDATE_GOLDEN=1 rewrites the golden files (check the diff before committing).
 */
#include "unit.h"
#include "../../report/report.h"

#include <stdio.h>

static char *golden_path(const char *name)
{
	/* this file is tests/unit/test_emit.c: the data is beside unit/ */
	const char *f = __FILE__;
	const char *slash = strstr(f, "unit/test_emit.c");
	return ct_xstrfmt("%.*sdata/golden/%s", slash ? (int)(slash - f) : 0, f, name);
}

/* The fixed document: non-ASCII names, a field with a comma, quotes and a newline. */
static void fixture(struct ct_doc *d)
{
	ct_doc_init(d, "Complaint report <test>");
	ct_doc_heading(d, 1, "Billing (leader: dana@example.com)");
	ct_doc_text(d, "3 tagged cases & 1 open.");
	struct ct_doc_table *t = ct_doc_table(d, "Oldest open", "#case|customer|evidence");
	ct_doc_row(t, "12", "Zoë Müller", "charged us \"twice\", again");
	ct_doc_row(t, "7", "山田太郎", "line one\nline two");
	ct_doc_row(t, "103", "bob", "<b>bold</b> & co");
	d->csv = t;
}

static char *emit(const struct ct_doc *d, enum ct_format fmt, int width)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	assert_int_equal(ct_doc_emit(d, fmt, f, width), 0);
	fclose(f);
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct ct_buf b = CT_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ct_buf_add(&b, chunk, n);
	fclose(f);
	return ct_buf_detach(&b, NULL);
}

static void check_golden(enum ct_format fmt, const char *name)
{
	struct ct_doc d;
	fixture(&d);
	char *got = emit(&d, fmt, 80), *path = golden_path(name);
	if (getenv("CT_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	char *want = slurp(path);
	if (!want)
		print_error("missing golden file %s\n", path);
	assert_non_null(want);
	assert_str(got, want);
	free(want);
	free(got);
	free(path);
	ct_doc_release(&d);
}

static void test_table_matches_golden(void **state) { check_golden(CT_FMT_TABLE, "doc.table"); }
static void test_csv_matches_golden(void **state) { check_golden(CT_FMT_CSV, "doc.csv"); }
static void test_markdown_matches_golden(void **state) { check_golden(CT_FMT_MARKDOWN, "doc.md"); }
static void test_html_matches_golden(void **state) { check_golden(CT_FMT_HTML, "doc.html"); }

/* A strict RFC 4180 reader: returns the fields of all records, "\x1e" ends a record. */
static int parse_csv(const char *s, struct ct_strlist *out)
{
	struct ct_buf f = CT_BUF_INIT;
	while (*s) {
		ct_buf_reset(&f);
		if (*s == '"') {
			s++;
			for (;;) {
				if (!*s)
					return -1;
				if (*s == '"' && s[1] == '"') {
					ct_buf_addch(&f, '"');
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					ct_buf_addch(&f, *s++);
				}
			}
		} else {
			while (*s && *s != ',' && *s != '\r' && *s != '\n') {
				if (*s == '"')
					return -1;
				ct_buf_addch(&f, *s++);
			}
		}
		ct_strlist_push(out, f.buf);
		if (*s == ',') {
			s++;
		} else if (s[0] == '\r' && s[1] == '\n') {
			ct_strlist_push(out, "\x1e");
			s += 2;
		} else {
			return -1; /* a bare LF or junk after a quoted field */
		}
	}
	ct_buf_release(&f);
	return 0;
}

static void test_csv_parses_back_to_the_cells(void **state)
{
	struct ct_doc d;
	fixture(&d);
	char *csv = emit(&d, CT_FMT_CSV, 80);
	struct ct_strlist v = CT_STRLIST_INIT;
	assert_int_equal(parse_csv(csv, &v), 0);
	static const char *const want[] = {
		"case", "customer", "evidence", "\x1e",
		"12", "Zoë Müller", "charged us \"twice\", again", "\x1e",
		"7", "山田太郎", "line one\nline two", "\x1e",
		"103", "bob", "<b>bold</b> & co", "\x1e",
	};
	assert_int_equal(v.n, CT_ARRAY_SIZE(want));
	for (size_t i = 0; i < v.n; i++)
		assert_str(v.v[i], want[i]);
	ct_strlist_clear(&v);
	free(csv);
	ct_doc_release(&d);
}

static void test_csv_field_quotes_only_when_needed(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain", "plain" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "", "" },
		{ "Zoë", "Zoë" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		struct ct_buf b = CT_BUF_INIT;
		ct_csv_field(&b, cases[i].in);
		assert_str(b.buf, cases[i].want);
		ct_buf_release(&b);
	}
}

/* Display column where needle starts in line (UTF-8 aware). */
static size_t column_of(const char *line, const char *needle)
{
	const char *p = strstr(line, needle);
	assert_non_null(p);
	return ct_utf8_width(line, (size_t)(p - line));
}

static void test_table_aligns_wide_and_accented_text(void **state)
{
	struct ct_doc d;
	fixture(&d);
	char *out = emit(&d, CT_FMT_TABLE, 100);
	/* the evidence column starts at the same display column on every row */
	char *l1 = strstr(out, "Zoë Müller"), *l2 = strstr(out, "山田太郎"), *l3 = strstr(out, "bob ");
	assert_non_null(l1);
	assert_non_null(l2);
	assert_non_null(l3);
	while (l1 > out && l1[-1] != '\n')
		l1--;
	while (l2 > out && l2[-1] != '\n')
		l2--;
	while (l3 > out && l3[-1] != '\n')
		l3--;
	size_t c1 = column_of(l1, "charged"), c2 = column_of(l2, "line one"), c3 = column_of(l3, "<b>");
	if (c1 != c2 || c1 != c3)
		print_error("evidence columns %zu, %zu, %zu:\n%s", c1, c2, c3, out);
	assert_int_equal(c1, c2);
	assert_int_equal(c1, c3);
	free(out);
	ct_doc_release(&d);
}

static void test_table_fits_a_narrow_terminal(void **state)
{
	struct ct_doc d;
	fixture(&d);
	ct_doc_row(d.csv, "1", "someone", "a very long piece of evidence that cannot possibly fit into forty columns");
	char *out = emit(&d, CT_FMT_TABLE, 40);
	for (char *line = out, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		size_t w = ct_utf8_width(line, (size_t)(nl - line));
		if (w > 40)
			print_error("line of width %zu: %.*s\n", w, (int)(nl - line), line);
		assert_true(w <= 40);
	}
	free(out);
	ct_doc_release(&d);
}

static void test_html_escape_neutralises_markup_quotes_and_bidi(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a & b", "a &amp; b" },
		{ "\"double\" 'single'", "&quot;double&quot; &#39;single&#39;" },
		{ "exe.\xe2\x80\xae" "fdp", "exe.[U+202E]fdp" },      /* RIGHT-TO-LEFT OVERRIDE */
		{ "\xe2\x81\xa6x\xe2\x81\xa9", "[U+2066]x[U+2069]" }, /* isolates */
		{ "Zoë 山田", "Zoë 山田" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		struct ct_buf b = CT_BUF_INIT;
		ct_html_escape(&b, cases[i].in);
		assert_str(b.buf, cases[i].want);
		ct_buf_release(&b);
	}
}

static void test_html_is_self_contained_and_escaped(void **state)
{
	struct ct_doc d;
	fixture(&d);
	ct_doc_svg(&d, ct_svg_heatmap("Transfers", (const char *const[]){ "Sales", "<Billing>" }, 2,
				      (const long[]){ 0, 3, 1, 0 }), "Heat map <of> transfers");
	char *html = emit(&d, CT_FMT_HTML, 80);
	assert_non_null(strstr(html, "<svg aria-label=\"Heat map &lt;of&gt; transfers\" "));
	assert_non_null(strstr(html, "<style"));
	assert_non_null(strstr(html, "<svg"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<b>bold"));
	assert_null(strstr(html, "<Billing>"));
	assert_non_null(strstr(html, "&lt;b&gt;bold&lt;/b&gt; &amp; co"));
	assert_non_null(strstr(html, "Complaint report &lt;test&gt;"));
	free(html);
	ct_doc_release(&d);
}

static void test_bar_chart_labels_axes_and_colours(void **state)
{
	const char *labels[] = { "Dec", "Jan", "Feb" }, *years[] = { "2024", "2025", NULL };
	const char *series[] = { "billing_dispute", "overpromise" };
	const long values[] = { 1, 0, 7, 2, 3, 0 };
	struct ct_chart ch = { "Per month", "month (UTC)", "tagged cases", labels, years, 3, series, 2, values };
	char *svg = ct_svg_bars(&ch);
	/* both years on the axis, the y axis labelled, a round top of the scale (7 + 0 -> 8) */
	assert_non_null(strstr(svg, ">2024</text>"));
	assert_non_null(strstr(svg, ">2025</text>"));
	assert_non_null(strstr(svg, ">tagged cases</text>"));
	assert_non_null(strstr(svg, ">month (UTC)</text>"));
	assert_non_null(strstr(svg, ">8</text>"));
	assert_non_null(strstr(svg, "<title>Feb, billing_dispute: 7</title>"));
	/* an empty bar draws nothing */
	assert_null(strstr(svg, "Jan 2025, billing_dispute: 0<"));
	/* a category's colour does not depend on the report */
	char *fill = ct_xstrfmt("fill=\"%s\"", ct_category_colour("billing_dispute"));
	assert_non_null(strstr(svg, fill));
	free(fill);
	assert_str(ct_category_colour("billing_dispute"), ct_category_colour("billing_dispute"));
	assert_true(strcmp(ct_category_colour("billing_dispute"), ct_category_colour("overpromise")) != 0);
	assert_true(strcmp(ct_category_colour("handoff"), ct_category_colour("overpromise")) != 0);
	assert_str(ct_category_colour("custom_x"), ct_category_colour("custom_x"));
	free(svg);
}

static void test_case_ids_link_to_their_case(void **state)
{
	struct ct_doc d;
	ct_doc_init(&d, "Cases");
	struct ct_doc_table *t = ct_doc_table(&d, "", "@case|subject");
	t->anchors = 1;
	ct_doc_row(t, "12", "Invoice");
	struct ct_doc_table *u = ct_doc_table(&d, "", "@case|note");
	ct_doc_row(u, "12", "same page");
	ct_doc_row(u, "99", "not on this page");
	ct_doc_table_csv_names(t, "id|subject");
	d.csv = t;
	/* without a site: to the row of the case in the same page, when there is one */
	char *html = emit(&d, CT_FMT_HTML, 80);
	assert_non_null(strstr(html, "<tr id=\"case-12\">"));
	assert_non_null(strstr(html, "<a href=\"#case-12\">12</a>"));
	assert_null(strstr(html, "#case-99"));
	free(html);
	/* with a site: to the case's page */
	ct_report_set_case_links("https://r.example/ct/");
	html = emit(&d, CT_FMT_HTML, 80);
	assert_non_null(strstr(html, "<a href=\"https://r.example/ct/case-99.html\">99</a>"));
	free(html);
	ct_report_set_case_links(NULL);
	/* CSV keeps its field names */
	char *csv = emit(&d, CT_FMT_CSV, 80);
	assert_true(!strncmp(csv, "id,subject\r\n", 12));
	free(csv);
	ct_doc_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_golden),
		cmocka_unit_test(test_csv_matches_golden),
		cmocka_unit_test(test_markdown_matches_golden),
		cmocka_unit_test(test_html_matches_golden),
		cmocka_unit_test(test_csv_parses_back_to_the_cells),
		cmocka_unit_test(test_csv_field_quotes_only_when_needed),
		cmocka_unit_test(test_table_aligns_wide_and_accented_text),
		cmocka_unit_test(test_table_fits_a_narrow_terminal),
		cmocka_unit_test(test_html_escape_neutralises_markup_quotes_and_bidi),
		cmocka_unit_test(test_html_is_self_contained_and_escaped),
		cmocka_unit_test(test_bar_chart_labels_axes_and_colours),
		cmocka_unit_test(test_case_ids_link_to_their_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
