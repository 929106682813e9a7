/*
 * classify_p.h - what the files of classify/ share: the compiled rule, the
 * literal prefilter and the per-thread scratch space.
 */
#ifndef CT_CLASSIFY_P_H
#define CT_CLASSIFY_P_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdint.h>

#include "classify.h"
#include "../base/base.h"

/* Bumped whenever text preparation or matching changes what gets tagged. */
#define CT_CLASSIFY_VERSION "casetrail-classify-2"

enum { FIELD_BODY = 1, FIELD_SUBJECT = 2 };
enum { SENDER_ANY = 0, SENDER_CUSTOMER = 1, SENDER_STAFF = 2 };

struct example {
	char *text;
	int line;
};

/*
 * A pattern compiled on its first use (ready: tried; re NULL when it could
 * not be), and JIT-compiled, as a copy (jit), once it has been used often
 * enough to repay that (lazy_re_get in match.c).
 */
struct ct_lazy_re {
	pcre2_code *re, *jit;
	int ready;
	unsigned uses;
};
void ct_lazy_re_free(struct ct_lazy_re *l);

/*
 * One top-level branch of a pattern for the prefilter: every match of the
 * branch holds one of anchors (start: and begins with it) and one literal of
 * each confirm set.
 */
struct pf_branch {
	struct ct_strlist anchors;
	int start;
	size_t off, len;        /* the branch's text in the pattern */
	/*
	 * alone: the branch's pattern stands alone, and it is searched by
	 * itself: from a sentence start (search) or anchored at its hit (at,
	 * for a start branch). Else the whole pattern does both.
	 */
	int alone;
	struct ct_lazy_re search, at;
	size_t slot;            /* its index among all branches of the rule set */
	struct ct_strlist *confirm;
	size_t nconfirm, confirm_alloc;
};

struct rule {
	char *id, *category, *pattern, *unless, *anchors_decl;
	int fields, sender, caseless;
	int ledger;     /* 0 a tag rule; CT_LEDGER_PROMISE ([promise ID]) or CT_LEDGER_KEPT ([kept ID]) */
	const char *cat;  /* the category's name in struct ct_rules (one pointer per category) */
	size_t cat_ix;    /* its index in ct_rules.cats */
	double score;   /* added to its category's sum when it hits (default 1) */
	int repeat;     /* it hits once it has matched in this many sentences of the body (0: the first) */
	int line, pattern_line, unless_line, category_line;
	struct example *ex, *cex;
	size_t nex, ex_alloc, ncex, cex_alloc;
	pcre2_code *re, *unless_re;
	/* The pattern compiled with PCRE2_ANCHORED for the anchored attempts (JIT does not honour
	   PCRE2_ANCHORED given at match time); NULL when no branch begins at its anchor. */
	struct ct_lazy_re whole_at;  /* the whole pattern, PCRE2_ANCHORED (JIT ignores that option at match time) */
	struct ct_lazy_re whole;     /* re's JIT-compiled copy, for ct_rule_find when the branches search alone */
	/* re, unless_re are JIT-compiled on their first search (ct_jit_ready). */
	int jit_re, jit_unless;
	/* Literals (lower case ASCII, >= 3 bytes) one of which every match holds; none: always run. */
	struct ct_strlist anchors;
	int anchored;   /* every match begins at an anchor: one anchored attempt per hit */
	struct pf_branch *br;  /* per branch (from the pattern, or flat); NULL with declared anchors */
	char *flat;            /* the pattern flattened (ct_pf_flatten) when br are its branches, else NULL */
	size_t nbr;
};

/* One anchor literal of the prefilter and the rules that need it. */
struct anchor {
	char *lit;
	size_t len;
	uint32_t *rules;       /* rule index << 16 | branch index */
	size_t nrules, rules_alloc;
};

#define PF_BITS 16
#define PF_BUCKET_BITS 12
/* An anchor in its bucket: its first (up to) four bytes folded, for one compare. */
struct pf_entry {
	uint32_t key, mask;
	uint32_t anchor;
};
struct prefilter {
	uint64_t bitmap[(1u << PF_BITS) / 64];   /* 8 KiB: which 3-byte hashes start an anchor */
	uint32_t bucket[(1u << PF_BUCKET_BITS) + 1]; /* 16 KiB: offsets into entries by hash >> 4 */
	struct pf_entry *entries;
	struct anchor *v;
	size_t n, alloc;
	/* One-byte anchors (declared punctuation such as "@"): short_of[byte] = index in v + 1, or 0. */
	uint32_t short_of[256];
	size_t nshort;
	uint32_t *always;      /* rules without anchors */
	size_t nalways, always_alloc;
};

/* [define NAME]: a named sub-pattern; "(?&NAME)" in a pattern stands for "(?:PATTERN)". */
struct define {
	char *name, *pattern;
	int line;
};

/* [category NAME]: an item gets the tag when the scores of its rules that hit reach threshold. */
struct category {
	char *name;
	double threshold;   /* default 1 */
	int line;
};

struct ct_rules {
	size_t nbranches;        /* branches of all rules (pf_branch.slot) */
	char *file;
	struct rule *v;
	size_t n, alloc;
	struct define *defs;
	size_t ndefs, defs_alloc;
	struct category *cats;   /* every category a rule names, declared or not */
	size_t ncats, cats_alloc;
	char hash[33];
	struct prefilter pf;
	int has_subject;
	int has_repeat;          /* a rule has repeat > 1 */
};

/* Hash of three bytes folded to lower case (ASCII; other bytes collide harmlessly). */
static inline uint32_t pf_hash3(const unsigned char *p)
{
	uint32_t w = ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16) | 0x202020u;
	return (w * 0x9E3779B1u) >> (32 - PF_BITS);
}

/* prefilter.c */
/*
 * Literals one of which every match of pattern holds (appended to out);
 * *at_start = 1 when every match begins with one of them. Returns how many.
 */
int ct_pf_extract(const char *pattern, struct ct_strlist *out, int *at_start);
/*
 * Whether pattern's branches may be moved to the top level (PF_MOVE: no
 * \Q...\E, no branch reset or comment) and compiled alone (PF_ALONE: no
 * reference to a group by number or name). Neither allows verbs (*...) or
 * a bare option setting such as (?i), which carries on into the following
 * branches; an option group (?i:...) keeps its options inside.
 */
#define PF_MOVE 1
#define PF_ALONE 2
int ct_pf_syntax_ok(const char *pattern, int what);
/*
 * The same pattern with the alternatives of a group that makes up a whole
 * top-level alternative (after word boundaries only) moved to the top
 * level: "\\b(?:A|(?:B|C))" -> "\\bA|\\bB|\\bC". It matches the same text, and
 * each branch gets its own anchors (the expanded [define]s of a rule are
 * such groups). Allocated; NULL when nothing is to be flattened.
 */
char *ct_pf_flatten(const char *pattern);
/* Per-branch anchors and confirm sets of pattern; -1 when some branch has none. */
int ct_pf_branches(const char *pattern, struct pf_branch **out, size_t *n);
void ct_pf_branches_free(struct pf_branch *v, size_t n);
void ct_pf_build(struct ct_rules *r);
/* May byte c be a declared anchor on its own (ASCII punctuation)? */
int ct_pf_short_ok(unsigned char c);
void ct_pf_release(struct prefilter *pf);
/*
 * Switches the prefilter of r off (every body rule runs on all the text)
 * or on again. Not while r is in use by ct_classify().
 */
void ct_pf_set_enabled(struct ct_rules *r, int on);

/* match.c */
/*
 * JIT-compiles re unless *done says it is (then sets it). Patterns are
 * compiled on their first search rather than at load: a run that meets few
 * of them (a no-op run, a nightly run of a few messages) compiles few. Safe
 * from several threads: none searches with re before it is compiled.
 */
void ct_jit_ready(const pcre2_code *re, const int *done);
/*
 * Where the time expression of a promise matched at [ms, me) of text may
 * end: the rest of its clause (up to the sentence end, a ';' or a line end,
 * at most 48 bytes on), so "on Friday" reads on to "Friday June 3".
 */
size_t ct_due_text_end(const char *text, size_t len, size_t ms, size_t me);
/*
 * Every rule of the kind asked (ledger 0: tag rules; 1: [promise] and [kept]
 * rules; 2: both) that hits, as ct_classify_hits.
 */
int ct_find_hits(const struct ct_rules *r, const char *subject, const char *body, size_t body_len, int is_staff,
		 int ledger, struct ct_tags *out);
/* Sentence around [s, e) inside [lo, hi). */
void ct_sentence_bounds(const char *t, size_t lo, size_t hi, size_t s, size_t e, size_t *ws, size_t *we);
/*
 * Where the sentences of t[lo, hi) start and end, found in one pass, for
 * many ct_sentence_bounds questions about the same text (each answered by
 * binary search, with the same result): a rule's anchor hits each ask for
 * their sentence, and without punctuation (logs, code, tables) each scan
 * ran SENTENCE_MAX bytes both ways.
 */
struct ct_sentence_index {
	size_t lo, hi;
	size_t *starts, nstarts, astarts;  /* positions a sentence may start at, ascending */
	struct { size_t at, end; } *ends;  /* the byte that ends a sentence, and where it ends */
	size_t nends, aends;
};
void ct_sentence_index(struct ct_sentence_index *x, const char *t, size_t lo, size_t hi);
void ct_sentence_index_free(struct ct_sentence_index *x);
/* ct_sentence_bounds(t, x->lo, x->hi, s, e, ws, we) from the index. */
void ct_sentence_bounds_indexed(const struct ct_sentence_index *x, const char *t, size_t s, size_t e, size_t *ws,
				size_t *we);
/*
 * Runs rule ru over text[from, to) (text valid UTF-8); first match whose
 * sentence (within [lo, hi)) does not match unless. 1 found (*ms, *me), 0 none
 * (also when PCRE2 could not finish a match: kept for ct_classify_failure).
 */
int ct_rule_find(const struct rule *ru, const char *text, size_t lo, size_t hi, size_t from, size_t to,
		 size_t *ms, size_t *me);
/*
 * The same with re, the rule's pattern or one branch of it, and no match
 * starting after limit (SIZE_MAX: none; re compiled with PCRE2_USE_OFFSET_LIMIT).
 */
int ct_rule_find_re(const struct rule *ru, const pcre2_code *re, const char *text, size_t lo, size_t hi, size_t from,
		    size_t to, size_t limit, size_t *ms, size_t *me);
/*
 * One anchored attempt at offset at (bounded by to): of br alone if it
 * stands alone, else of the whole pattern; with the unless check. Same returns.
 */
int ct_rule_find_at(const struct rule *ru, const struct pf_branch *br, const char *text, size_t lo, size_t hi,
		    size_t at, size_t to, size_t *ms, size_t *me);

#endif
