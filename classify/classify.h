/*
 * classify.h - the public face of classify/: rule files (INI, one [rule ID]
 * section per rule, see config/rules.conf), the text preparation that keeps
 * only what an item's author wrote, and PCRE2 (JIT) matching that tags an
 * item with evidence (byte span + snippet).
 *
 * Memory: struct ct_rules owns everything it points to; pointers into it
 * (category, rule_id of a tag) stay valid until ct_rules_free(). A tag owns
 * its snippet; ct_tags_clear() frees them.
 *
 * Threads: a loaded rule set is read-only. ct_classify() may run in several
 * threads at once on the same rules; each thread keeps its own PCRE2 match
 * data and scratch space.
 *
 * Matching: a rule's match must lie within one sentence (ended by . ! ? and
 * a blank, or a blank line); "unless" is tried on that sentence. Each rule's
 * pattern yields literals that every match contains (its "anchors", see
 * "rules check -v"); the body is scanned once for all of them, ASCII case
 * folded, and PCRE2 runs only on sentences that hold them. A pattern is read
 * branch by branch, the alternatives of a leading group (an expanded
 * [define]) counting as branches of their own, and an anchor hit runs only
 * its branch; the evidence is then that branch's match in the first
 * sentence that has one (another branch may match earlier in it). Caseless matches
 * that need Unicode-only case folding of an anchor letter (the Kelvin sign
 * for "k", long s for "s") are therefore not found; declare "anchors =" for
 * such a rule if it matters.
 */
#ifndef CT_CLASSIFY_H
#define CT_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ct_rules;

/*
 * Loads and JIT-compiles a rule file. Every problem is printed on stderr as
 * "file:line: rule ID: PCRE2 message at offset N" (bad pattern) or
 * "file:line: problem"; returns 0, or -1 after printing all of them.
 */
int ct_rules_load(const char *path, struct ct_rules **out);
/* The same, printing problems to err. */
int ct_rules_load_file(const char *path, FILE *err, struct ct_rules **out);
/* The same from a string; name stands for the file name in messages. */
int ct_rules_load_string(const char *name, const char *text, FILE *err, struct ct_rules **out);
/*
 * What the configuration knows of the organization: the names of its
 * departments and helpdesk groups, and the departments' mail addresses.
 * Loaded with it, the rules' [define]s org_dept and org_addr match those
 * (names as configured, each run of blanks as any blank run; addresses
 * exactly); without it, or with none given, they keep the rule file's
 * pattern, or match nothing when the file has none. So rules can name
 * "a department of this organization" for any organization.
 */
struct ct_rules_org {
	const char *const *names;
	size_t nnames;
	const char *const *addrs;
	size_t naddrs;
};
int ct_rules_load_org(const char *path, const struct ct_rules_org *org, FILE *err, struct ct_rules **out);
void ct_rules_free(struct ct_rules *r);

/*
 * Hex digest (32 characters) of what decides the tags: every rule's id,
 * category, pattern, unless, fields, sender, caseless, anchors and weight,
 * and the version of the text preparation. Examples do not count. Stable
 * across runs and machines. Borrowed.
 */
const char *ct_rules_hash(const struct ct_rules *r);
size_t ct_rules_count(const struct ct_rules *r);
/* The file the rules came from. Borrowed. */
const char *ct_rules_file(const struct ct_rules *r);

/*
 * Scores: each rule that hits adds its score (rule key "score", default 1,
 * may be negative) to its category; an item gets the category's tags when
 * the sum reaches the threshold of [category NAME] (default 1). Threshold of
 * category (1 when undeclared).
 */
double ct_rules_threshold(const struct ct_rules *r, const char *category);
/* The categories the rules name or declare, in file order. Borrowed. */
size_t ct_rules_ncategories(const struct ct_rules *r);
const char *ct_rules_category(const struct ct_rules *r, size_t i);

/* What a rule is, for rule QA (masscheck, fit). Strings borrowed from the rules. */
struct ct_rule_info {
	const char *id, *category, *sender;
	double score;
	int line;
};
/* Rule i (0 .. ct_rules_count() - 1) into out; -1 when out of range. */
int ct_rules_info(const struct ct_rules *r, size_t i, struct ct_rule_info *out);

struct ct_tag {
	const char *category;   /* borrowed from the rules: compare pointers to compare categories */
	const char *rule_id;    /* borrowed from the rules */
	double score;           /* the rule's score */
	size_t start, end;      /* byte span in the body, or in the subject when in_subject */
	int in_subject;
	size_t sentence_start;  /* where the match's sentence begins */
	char *snippet;          /* owned: the sentence of the match, one line, cut at words past ~100 characters each side */
};

struct ct_tags {
	struct ct_tag *v;
	size_t n, alloc;
};
#define CT_TAGS_INIT { NULL, 0, 0 }

/*
 * Tags one item: appends to out at most one tag per rule (its first match in
 * the text the author wrote). is_staff: the sender is staff
 * (organization.internal_domains). body need not be NUL-terminated; invalid
 * UTF-8 is matched as if each bad byte were '?', spans still index body.
 * Thread-safe for concurrent calls with the same rules. Returns 0 or -1
 * (these functions keep -1 for errors to come; matching no longer fails:
 * a rule PCRE2 cannot finish is reported by ct_classify_failure()).
 */
int ct_classify(const struct ct_rules *r, const char *subject, const char *body, size_t body_len,
		int is_staff, struct ct_tags *out);
/*
 * A rule whose pattern PCRE2 cannot finish matching on a text (its match
 * limit, on a pattern that backtracks without end) does not count for that
 * text, and the other rules go on. The first such failure of the calling
 * thread's last ct_classify*() call ("rule 'ID': matching failed: match
 * limit exceeded"), or NULL: the caller says so (a warning on the item).
 */
const char *ct_classify_failure(void);
/*
 * The same without scores: every rule that hits, whether or not its
 * category's sum reaches the threshold (for rule QA).
 */
int ct_classify_hits(const struct ct_rules *r, const char *subject, const char *body, size_t body_len,
		     int is_staff, struct ct_tags *out);
void ct_tags_clear(struct ct_tags *t);
/*
 * The score of category (a tag's category pointer) over t[first..]: the
 * scores of its rules that hit, each rule once (ct_classify_hits output).
 */
double ct_tags_category_score(const struct ct_tags *t, size_t first, const char *category);

/*
 * Weak cues count together only when they are close: a category's score is
 * the sum of its negative scores and subject hits, plus the largest sum of
 * positive scores whose hits (each rule's first) start within CT_CUE_WINDOW
 * bytes of each other in the body (on a long mail, cues pages apart are
 * chance, not one complaint). ct_cue_score reorders v.
 */
#define CT_CUE_WINDOW 2000
struct ct_cue {
	size_t pos;     /* where the hit starts in the body */
	int anywhere;   /* a subject hit, or one that counts wherever it is */
	double score;
};
double ct_cue_score(struct ct_cue *v, size_t n);

/*
 * rules check: runs every example (must match its rule) and counter_example
 * (must not), prints each failure to out as "file:line: rule ID: ...".
 * Returns the number of failures, or -1.
 */
int ct_rules_check(const struct ct_rules *r, FILE *out);
/* Lists each rule: id, category, sender, fields and its prefilter anchors. */
void ct_rules_describe(const struct ct_rules *r, FILE *out);
/* Number of example + counter_example lines in the rule set. */
size_t ct_rules_examples(const struct ct_rules *r);

/*
 * Rule QA (qa.c): every rule's hits over labelled items, per-category
 * precision/recall/F1 with scores and thresholds applied, and scores fitted
 * by logistic regression. categories: the categories scored (labels of
 * other categories are ignored); at most 64.
 */
struct ct_qa;
struct ct_qa *ct_qa_new(const struct ct_rules *r, const char *const *categories, size_t ncategories);
void ct_qa_free(struct ct_qa *q);
/*
 * Classifies one item and keeps its rule hits. labels: its true categories;
 * labelled = 0 for an item nobody labelled (its tags are listed for review).
 * 0 or -1.
 */
int ct_qa_add(struct ct_qa *q, const char *external_id, const char *const *labels, size_t nlabels, int labelled,
	      const char *subject, const char *body, size_t body_len, int is_staff);
/*
 * The rules ct_qa_add classifies with from now on: the same rule file loaded
 * for another organization (ct_rules_load_org; same rules in the same order),
 * for a labelled source with a configuration of its own. NULL: those of
 * ct_qa_new again. Borrowed until the next call.
 */
void ct_qa_use_rules(struct ct_qa *q, const struct ct_rules *r);
size_t ct_qa_count(const struct ct_qa *q);
/* Prints the report (json: one JSON document), with up to samples false hits and misses per category. */
int ct_qa_report(const struct ct_qa *q, int json, size_t samples, FILE *out);
/* How far a fit may move the written scores. */
struct ct_qa_fit_opts {
	unsigned folds;          /* cross-validation folds, >= 2 */
	unsigned min_hits;       /* a rule with fewer hits keeps its written score */
	int keep_roles;          /* a rule keeps the role its written score gives it (see ct_qa_fit) */
};
/*
 * Fits each category's rule scores by L2-regularised logistic regression
 * over rule hits (the regularisation picked by folds-fold cross-validation,
 * the threshold by the best F1), scaled to threshold 1. Later reports use
 * the fitted scores. With keep_roles a rule written to tag alone (score at
 * or above the threshold) still does while at least 60% of its hits are on
 * its category, and never falls below half the threshold; a weak cue
 * (below the threshold) stays between 0 and the lesser of twice its written
 * score and 0.9, so it never tags alone; a counter-cue stays at or below 0.
 * Prints its progress to out. 0 or -1.
 */
int ct_qa_fit(struct ct_qa *q, const struct ct_qa_fit_opts *fo, FILE *out);
/* Old and new score of every fitted rule. */
void ct_qa_print_scores(const struct ct_qa *q, FILE *out);
/* Rewrites the rule file at path with the fitted scores and thresholds. 0 or -1. */
int ct_qa_write_scores(const struct ct_qa *q, const char *path);

/*
 * The promise ledger. Besides [rule ID], a rule file holds [promise ID]
 * sections (staff commitments with a time: "we will fix it by Thursday";
 * sender staff unless it says otherwise) and [kept ID] sections (what
 * keeps a promise: staff saying it is done, a customer confirming that it
 * works). They tag nothing; ct_ledger_find() reports them. A promise
 * rule's match must hold the time expression, which ct_due_resolve()
 * reads; a match without a time after the writing time is no promise. A
 * promise rule's examples state the writing time and the due time:
 *   example = 2026-03-03T10:00+01:00 | We will fix it by Thursday. | due 2026-03-05T23:59+01:00
 *   example = 2026-03-05T10:00+01:00 | ... before the go-live on 3 March. | past
 */
enum { CT_LEDGER_PROMISE = 1, CT_LEDGER_KEPT = 2 };

struct ct_ledger_hit {
	int kind;                 /* CT_LEDGER_PROMISE or CT_LEDGER_KEPT */
	const char *rule_id;      /* borrowed from the rules */
	size_t start, end;        /* the match in the body */
	size_t sentence_start;    /* its sentence: one promise per sentence */
	char *snippet;            /* owned */
	int64_t due;              /* promises: UTC */
};
struct ct_ledger {
	struct ct_ledger_hit *v;
	size_t n, alloc;
};
#define CT_LEDGER_INIT { NULL, 0, 0 }
/*
 * Appends the promises (with their due time, against written and tz_min)
 * and kept-marks of one item's body to out, in text order, at most one
 * promise per sentence. 0 or -1.
 */
int ct_ledger_find(const struct ct_rules *r, const char *body, size_t body_len, int is_staff, int64_t written,
		   int tz_min, struct ct_ledger *out);
/*
 * ct_classify() and ct_ledger_find() in one pass over the text: tags to
 * out, the promise ledger's hits to ledger. 0 or -1.
 */
int ct_classify_ledger(const struct ct_rules *r, const char *subject, const char *body, size_t body_len,
		       int is_staff, int64_t written, int tz_min, struct ct_tags *out, struct ct_ledger *ledger);
void ct_ledger_clear(struct ct_ledger *l);

/*
 * Due times (due.c). The time expression in text (English or German) is
 * resolved against the moment written, in the writer's time zone tz_min
 * (minutes east of UTC):
 *   - a day alone ("by Thursday", "3 March", "tomorrow", "bis Freitag") ends
 *     at 23:59 local time; "end of day", "close of business", "EOD",
 *     "Feierabend" and "this afternoon" are 17:00, "morning"/"früh" 12:00,
 *     "evening"/"tonight"/"abend" 23:59; "at 3pm", "15:00", "um 15 Uhr",
 *     "noon" set the hour of the day named (today when none is);
 *   - a bare weekday is its next occurrence after today (on a Thursday,
 *     "by Thursday" is a week later); "this Friday"/"coming Friday"/"diesen
 *     Freitag" is the next one from today on (today counts); "next Friday",
 *     "Friday next week", "nächsten Freitag" is the Friday of next week
 *     (weeks begin on Monday): on a Tuesday "this Friday" is in 3 days,
 *     "next Friday" in 10;
 *   - "end of the week"/"this week"/"Ende der Woche" is Friday 23:59,
 *     "(end of) next week" the Friday after, "early next week" its Tuesday,
 *     "the weekend" Sunday; "end of the month"/"Monatsende", "end of next
 *     month", "end of March", "end of the year"/"Jahresende" the last day;
 *   - "within N minutes/hours" is exact; "within N days/weeks" ends at 23:59
 *     of the N-th day; "N business/working days"/"Werktagen"/"Arbeitstagen"
 *     count Monday to Friday only (from a weekend, Monday is the first);
 *   - a date without a year is the occurrence nearest to the writing day
 *     (a date more than half a year back is next year's).
 * Returns 1 with out filled, 2 when the time is not after the writing time
 * (not a due date; out still filled), 0 when text holds no time expression.
 */
struct ct_due {
	int64_t at;                /* UTC */
	size_t start, end;        /* the expression's bytes in text */
};
int ct_due_resolve(const char *text, size_t len, int64_t written, int tz_min, struct ct_due *out);

/* A byte range [start, end) of a body. */
struct ct_span {
	size_t start, end;
};
struct ct_spans {
	struct ct_span *v;
	size_t n, alloc;
};
/*
 * The parts of body its author wrote: quoted replies, reply headers
 * ("On ... wrote:", Outlook header blocks), forwarded originals, signatures,
 * sign-off blocks, legal footers and newsletters removed. Resets out and
 * fills it with the kept ranges of body, in order (free out->v when done).
 */
void ct_strip_authored(const char *body, size_t len, struct ct_spans *out);

/*
 * A snippet of text around [start, end): up to width characters each side,
 * cut on UTF-8 boundaries within [lo, hi), whitespace runs holding a newline
 * folded to one space. Returns a new string.
 */
char *ct_snippet(const char *text, size_t lo, size_t hi, size_t start, size_t end, size_t width);

#endif
