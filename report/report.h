/*
 * report.h - the public face of report/: the complaint report, the handoff
 * audit and the case timeline, rendered in every --format, and mailed.
 *
 * Reports are built as a small document (headings, text, tables, charts)
 * that one emitter per format prints: table (terminal), csv (the report's
 * main table, RFC 4180), markdown, html (one self-contained file with inline
 * CSS and SVG charts, no JavaScript, all text escaped). JSON is written from
 * the report data directly, in the versioned schema of report/SCHEMA.md.
 *
 * Memory: functions here borrow their inputs; ct_doc owns its contents.
 */
#ifndef CT_REPORT_H
#define CT_REPORT_H

#include "../base/base.h"
#include "../config/config.h"

/* Output formats of --format, one emitter each. */
enum ct_format { CT_FMT_TABLE, CT_FMT_CSV, CT_FMT_JSON, CT_FMT_MARKDOWN, CT_FMT_HTML };
/* Parses a --format value ("md" too); -1 (reported) when unknown. */
int ct_parse_format(const char *s, enum ct_format *out);
/* Without --format: table on a terminal, else json. */
enum ct_format ct_default_format(void);

struct ct_complaints;
struct ct_audit;
struct ct_case;

#define CT_JSON_SCHEMA "casetrail-json/1"

/* ---- documents ---- */

struct ct_doc_table {
	char *title;
	struct ct_strlist cols;
	struct ct_strlist *rows;      /* each row: one string per column */
	size_t nrows, rows_alloc;
	unsigned numeric;             /* bit i: column i is numeric (right-aligned) */
	unsigned shrink_first;        /* bit i: narrow column i first when the table is too wide */
	unsigned keep;                /* bit i: never narrow column i (dates, numbers, a state, an id) */
	unsigned case_link;           /* bit i: column i is a case id, a link in HTML */
	unsigned wide;                /* bit i: column i is free text kept readable in HTML */
	unsigned page_link;           /* bit i: cells of column i are "href<TAB>text", a link in HTML */
	int anchors;                  /* HTML: each row is the anchor case-ID of its case id column */
	struct ct_strlist csv_cols;   /* column names for CSV when they differ (empty: cols) */
};

enum ct_block_type { CT_BLOCK_HEADING, CT_BLOCK_TEXT, CT_BLOCK_TABLE, CT_BLOCK_SVG };

struct ct_doc_block {
	enum ct_block_type type;
	int level;                    /* headings: 1 or 2 */
	char *text;                   /* heading/text; SVG markup (already escaped) */
	char *alt;                    /* SVG: what the chart shows, for readers without images */
	struct ct_doc_table *table;
};

struct ct_doc {
	char *title;
	struct ct_doc_block *blocks;
	size_t nblocks, blocks_alloc;
	struct ct_doc_table *csv;     /* the table --format csv prints (borrowed from blocks) */
	char *nav;                    /* HTML: links above the title (markup, owned), or NULL */
};

void ct_doc_init(struct ct_doc *d, const char *title);
void ct_doc_release(struct ct_doc *d);
void ct_doc_heading(struct ct_doc *d, int level, const char *fmt, ...) CT_PRINTF(3, 4);
void ct_doc_text(struct ct_doc *d, const char *fmt, ...) CT_PRINTF(2, 3);
/* A chart: takes svg; alt says what it shows to readers (and mail clients) without images. */
void ct_doc_svg(struct ct_doc *d, char *svg, const char *alt);
/*
 * A new table with columns "a|b|c"; a leading '#' marks a numeric column, a
 * leading '~' a column to narrow first on a small terminal, a leading '!' such
 * a column that also keeps a readable width in HTML (evidence), a leading '@'
 * a column of case ids (numeric; links to the case in HTML), a leading '>' a
 * column of links "href<TAB>text" (HTML; other formats print the text).
 */
struct ct_doc_table *ct_doc_table(struct ct_doc *d, const char *title, const char *cols);
/* Other column names "a|b|c" for the CSV format (machine-readable field names). */
void ct_doc_table_csv_names(struct ct_doc_table *t, const char *cols);
void ct_doc_row(struct ct_doc_table *t, ...);   /* one const char * per column */
/* A new empty row; the caller pushes one string per column. */
void ct_doc_row_list(struct ct_doc_table *t, struct ct_strlist **row);

/*
 * Where a case id links to in HTML: prefix + ID + ".html" (a static site,
 * relative "" or the [site] url), or NULL: the row of that case in the same
 * page (#case-ID) when the page has one. The string is copied.
 */
void ct_report_set_case_links(const char *prefix);
/* Markup put above the title of every HTML page (site navigation), copied; NULL: none. */
void ct_report_set_nav(const char *html);

/* Prints d in fmt (not JSON). width: terminal columns for the table format. Returns 0 or -1. */
int ct_doc_emit(const struct ct_doc *d, enum ct_format fmt, FILE *out, int width);

/* Escapes text for HTML (also quotes) and neutralises bidirectional controls. */
void ct_html_escape(struct ct_buf *out, const char *s);
/* RFC 4180 field. */
void ct_csv_field(struct ct_buf *out, const char *s);

/* ---- charts (SVG strings, owned by the caller) ---- */

/*
 * Stacked bars over time: series (categories) s over labels (weeks or months)
 * j, values[s * nlabels + j]. years[j] is the year to print under label j
 * (at the first label and where the year changes), else NULL.
 */
struct ct_chart {
	const char *title, *x_label, *y_label;
	const char *const *labels, *const *years;
	size_t nlabels;
	const char *const *series;
	size_t nseries;
	const long *values;
};
char *ct_svg_bars(const struct ct_chart *ch);
/* The colour of a category, the same in every chart and report. */
const char *ct_category_colour(const char *category);
/* A heat map of n x n counts: values[row * n + col]. */
char *ct_svg_heatmap(const char *title, const char *const *names, size_t n, const long *values);

/* ---- the reports ---- */

/* Duration as "3d 4h", "2h 10m", "45m". */
void ct_format_duration(ct_time secs, char out[32]);

int ct_report_complaints(FILE *out, enum ct_format fmt, int width, const struct ct_config *cfg,
			 const struct ct_complaints *c);
int ct_report_audit(FILE *out, enum ct_format fmt, int width, const struct ct_audit *a);
/* The timeline of one case (case show), for every format but JSON. */
int ct_report_case(FILE *out, enum ct_format fmt, int width, const struct ct_case *c);

/* ---- the promise ledger (report/promises.c) ---- */

struct ct_promise;
struct ct_promise_list;
struct ct_customer_list;
/* report promises: per department and staff member, the overdue list first. */
int ct_report_promises(FILE *out, enum ct_format fmt, int width, const struct ct_promise_list *l, ct_time since,
		       ct_time until);
/* report customers: customers who dealt with more than min people, departments or channels on one case. */
int ct_report_customers(FILE *out, enum ct_format fmt, int width, const struct ct_customer_list *cl,
			const struct ct_promise_list *pl, ct_time since, ct_time until, int min);
/* A "Promises" section (figures and the overdue list) of one department (NULL: all) into d. */
void ct_doc_promise_section(struct ct_doc *d, const struct ct_promise_list *l, const char *dept, ct_time since,
			    ct_time until);
/* A case's promises with their verdicts, into d (case show). */
void ct_doc_case_promises(struct ct_doc *d, const struct ct_promise_list *l);

/* ---- JSON pieces (jansson values, owned by the caller) ---- */

struct json_t;
struct ct_routing_event;
/* An ISO 8601 time, or null for 0. */
struct json_t *ct_json_time(ct_time t);
/* A string, or null. */
struct json_t *ct_json_str(const char *s);
/* One promise with its verdict. */
struct json_t *ct_json_promise(const struct ct_promise *p);
/* {made, kept, broken, open, overdue_now, median_lateness_seconds, overdue: [promise]} of dept (NULL: all). */
struct json_t *ct_json_promise_section(const struct ct_promise_list *l, const char *dept, ct_time since,
				       ct_time until);
/* [{at, from_department, to_department, via, actor, observed}] */
struct json_t *ct_json_routing(const struct ct_routing_event *v, size_t n);
struct ct_decision;
/* [{id, action, item, category, items, department, by, at, reason, superseded, summary}] */
struct json_t *ct_json_decisions(const struct ct_decision *v, size_t n);
/* "tag billing_dispute of item X dismissed": a decision in words (a new string). */
char *ct_decision_describe(const struct ct_decision *d);

/* ---- mail ---- */

/*
 * Sends (or, with dry_dir, writes DIR/NAME.eml) a multipart/alternative mail
 * with a text and an HTML part through [smtp] of cfg. Returns 0 or -1.
 */
int ct_report_mail(const struct ct_config *cfg, const char *to, const char *subject,
		   const char *text, const char *html, const char *dry_dir, const char *name);

/* ---- the static site ---- */

struct ct_store;
/*
 * Writes the site's pages into dir (created when missing) as of until: the
 * index, complaint reports per department and period, the audit, the list of
 * cases and a page per case (report/site.c says which). Returns 0 or -1.
 */
int ct_site_write(struct ct_store *st, const struct ct_config *cfg, const char *dir, ct_time until);

/* Terminal width for the table format (COLUMNS, the terminal, else 100). */
int ct_term_width(FILE *out);

#endif
