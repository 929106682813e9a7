/*
 * match.c - tags one item. The body is validated as UTF-8 once, cut down to
 * what its author wrote (strip.c), scanned once for every rule's anchor
 * literals (prefilter.c), and only the sentences around an anchor hit go
 * through the rule's JIT-compiled pattern (PCRE2_NO_UTF_CHECK). A match
 * whose sentence also matches the rule's "unless" pattern does not count.
 *
 * Each thread keeps its own match data and scratch arrays (a pthread key
 * frees them when the thread ends), so calls on one rule set may run in
 * parallel.
 */
#include "classify_p.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct hit {
	uint32_t rule, seg, branch;
	size_t pos, len;
};

struct scratch {
	pcre2_match_data *md;
	pcre2_match_context *mctx;  /* carries the offset limit of a search */
	struct ct_spans segs;
	struct hit *hits;
	size_t nhits, hits_alloc;
	unsigned char *done;
	/* Rules with repeat: the sentences matched so far (reps, cleared per call) and the first match. */
	unsigned char *reps;
	struct rep_first {
		size_t ms, me;
		uint32_t seg;
	} *rep_first;
	/*
	 * Per rule and per branch (pf_branch.slot, for branches searched
	 * alone): the end of a sentence already searched in vain. Zero but
	 * for the entries listed in touched and btouched (cleared per call).
	 */
	size_t *covered;
	size_t *bcovered;
	uint32_t *touched, *btouched;
	size_t ntouched, nbtouched;
	unsigned char *cat_pass;   /* per category: its score reaches its threshold */
	size_t cat_pass_alloc;
	double *cat_reach;         /* per category: the most its score can still become */
	size_t cat_reach_alloc;
	struct hit *sorted;        /* the hits by rule, each rule's in text order */
	size_t sorted_alloc;
	uint32_t *first_hit;       /* per rule + 1: where its hits start in sorted */
	size_t first_hit_alloc;
	size_t nbranches_alloc;
	size_t nrules_alloc;
	char *fixed;
	size_t fixed_alloc;
	char failure[320];   /* the first match PCRE2 could not finish in this call (ct_classify_failure) */
	struct ct_sentence_index *sidx;  /* per segment, built at its first hit (sidx_built) */
	unsigned char *sidx_built;
	size_t sidx_alloc;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
	struct scratch *sc = p;
	if (!sc)
		return;
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	free(sc->segs.v);
	free(sc->hits);
	free(sc->done);
	free(sc->reps);
	free(sc->rep_first);
	free(sc->covered);
	free(sc->bcovered);
	free(sc->touched);
	free(sc->btouched);
	free(sc->cat_pass);
	free(sc->cat_reach);
	free(sc->sorted);
	free(sc->first_hit);
	free(sc->fixed);
	for (size_t i = 0; i < sc->sidx_alloc; i++)
		ct_sentence_index_free(&sc->sidx[i]);
	free(sc->sidx);
	free(sc->sidx_built);
	free(sc);
}

static void scratch_key_init(void)
{
	if (pthread_key_create(&scratch_key, scratch_free))
		ct_die("cannot create a thread key for the classifier");
}

static struct scratch *scratch_get(void)
{
	pthread_once(&scratch_once, scratch_key_init);
	struct scratch *sc = pthread_getspecific(scratch_key);
	if (sc)
		return sc;
	sc = ct_calloc(1, sizeof(*sc));
	/* 64 pairs: more captures than that only shorten the ovector, ovector[0..1] stay right. */
	sc->md = pcre2_match_data_create(64, NULL);
	sc->mctx = pcre2_match_context_create(NULL);
	if (!sc->md || !sc->mctx)
		ct_die("out of memory (PCRE2 match data)");
	pthread_setspecific(scratch_key, sc);
	return sc;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Is there a blank line between the '\n' at nl and the previous one (looking back)? */
static int blank_line_before(const char *t, size_t lo, size_t nl)
{
	size_t i = nl;
	while (i > lo && (t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\r'))
		i--;
	return i == lo || t[i - 1] == '\n';
}

static int blank_line_after(const char *t, size_t hi, size_t nl)
{
	size_t i = nl + 1;
	while (i < hi && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
		i++;
	return i >= hi || t[i] == '\n';
}

#define SENTENCE_MAX 600
/* Characters of evidence kept each side of a match, within its sentence. */
#define SNIPPET_WIDTH 100

/* Would the backward scan of a sentence stop at i (lo < i): does a sentence start there? */
static int starts_sentence(const char *t, size_t lo, size_t i)
{
	unsigned char c = (unsigned char)t[i - 1];
	if (c == '\n' && blank_line_before(t, lo, i - 1))
		return 1;
	return is_space(c) && i - 1 > lo && (t[i - 2] == '.' || t[i - 2] == '!' || t[i - 2] == '?');
}

/* Does a sentence end at i (i < hi)? Its end (past the . ! ? or at the blank line) in *end. */
static int ends_sentence(const char *t, size_t hi, size_t i, size_t *end)
{
	unsigned char c = (unsigned char)t[i];
	if ((c == '.' || c == '!' || c == '?') && (i + 1 >= hi || is_space((unsigned char)t[i + 1]))) {
		*end = i + 1;
		return 1;
	}
	if (c == '\n' && blank_line_after(t, hi, i)) {
		*end = i;
		return 1;
	}
	return 0;
}

/*
 * Where the end of the sentence of the match [s, e) is looked for: at its
 * last byte when that is a '.', '!' or '?' (which may end the sentence),
 * else after it.
 */
static size_t end_search_from(const char *t, size_t s, size_t e)
{
	return e > s && (t[e - 1] == '.' || t[e - 1] == '!' || t[e - 1] == '?') ? e - 1 : e;
}

/* The sentence from the raw bounds: no leading blanks, never inside a UTF-8 sequence (the limit may cut there). */
static void finish_bounds(const char *t, size_t lo, size_t hi, size_t s, size_t e, size_t i, size_t j, size_t *ws,
			  size_t *we)
{
	while (i < s && is_space((unsigned char)t[i]))
		i++;
	while (i > lo && i < s && ((unsigned char)t[i] & 0xC0) == 0x80)
		i--;
	*ws = i;
	while (j < hi && j > e && ((unsigned char)t[j] & 0xC0) == 0x80)
		j++;
	*we = j;
}

/*
 * ct_sentence_bounds; returns 1 when the sentence is as long as the length
 * limit (a long paragraph), so that its bounds depend on where they were taken.
 */
static int sentence_bounds(const char *t, size_t lo, size_t hi, size_t s, size_t e, size_t *ws, size_t *we)
{
	size_t i = s, j = end_search_from(t, s, e), end;
	while (i > lo && s - i < SENTENCE_MAX && !starts_sentence(t, lo, i))
		i--;
	while (j < hi && j < e + SENTENCE_MAX) {
		if (ends_sentence(t, hi, j, &end)) {
			j = end;
			break;
		}
		j++;
	}
	finish_bounds(t, lo, hi, s, e, i, j, ws, we);
	/* A window this long depends on where it was taken from: a later match's may differ. */
	return j - i >= SENTENCE_MAX;
}

void ct_sentence_bounds(const char *t, size_t lo, size_t hi, size_t s, size_t e, size_t *ws, size_t *we)
{
	sentence_bounds(t, lo, hi, s, e, ws, we);
}

void ct_sentence_index(struct ct_sentence_index *x, const char *t, size_t lo, size_t hi)
{
	x->lo = lo;
	x->hi = hi;
	x->nstarts = x->nends = 0;
	for (size_t i = lo; i < hi; i++) {
		size_t end;
		/* Only a blank before i + 1 can start a sentence there. */
		if (is_space((unsigned char)t[i]) && starts_sentence(t, lo, i + 1)) {
			CT_ALLOC_GROW(x->starts, x->nstarts + 1, x->astarts);
			x->starts[x->nstarts++] = i + 1;
		}
		if (ends_sentence(t, hi, i, &end)) {
			CT_ALLOC_GROW(x->ends, x->nends + 1, x->aends);
			x->ends[x->nends].at = i;
			x->ends[x->nends++].end = end;
		}
	}
}

void ct_sentence_index_free(struct ct_sentence_index *x)
{
	free(x->starts);
	free(x->ends);
	memset(x, 0, sizeof(*x));
}

void ct_sentence_bounds_indexed(const struct ct_sentence_index *x, const char *t, size_t s, size_t e, size_t *ws,
				size_t *we)
{
	size_t lo = x->lo, hi = x->hi, i, j;
	/* The last start in (s - SENTENCE_MAX, s], as the backward scan finds it. */
	size_t floor = s - lo > SENTENCE_MAX ? s - SENTENCE_MAX : lo;
	size_t a = 0, b = x->nstarts;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (x->starts[m] <= s)
			a = m + 1;
		else
			b = m;
	}
	i = a && x->starts[a - 1] > floor ? x->starts[a - 1] : floor;
	/*
	 * The first end tested in [e', e + SENTENCE_MAX) before hi, as the
	 * forward scan finds it (e' = e - 1 after a match ending in a stop).
	 */
	if (e >= hi) {
		j = e;
	} else {
		size_t limit = hi - e > SENTENCE_MAX ? e + SENTENCE_MAX : hi, from = end_search_from(t, s, e);
		a = 0;
		b = x->nends;
		while (a < b) {
			size_t m = a + (b - a) / 2;
			if (x->ends[m].at < from)
				a = m + 1;
			else
				b = m;
		}
		j = a < x->nends && x->ends[a].at < limit ? x->ends[a].end : limit;
	}
	finish_bounds(t, lo, hi, s, e, i, j, ws, we);
}

static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

void ct_jit_ready(const pcre2_code *re, const int *done)
{
	int *d = (int *)done;
	if (!re || __atomic_load_n(d, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&jit_lock);
	if (!*d) {
		/* No JIT on this platform is fine: the interpreter gives the same answers. */
		(void)pcre2_jit_compile((pcre2_code *)re, PCRE2_JIT_COMPLETE);
		__atomic_store_n(d, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&jit_lock);
}

/*
 * Uses of a lazily compiled pattern before it is JIT-compiled: a JIT compile
 * costs about as much as this many interpreted sentence searches (callgrind,
 * the bench corpus), and most of a large rule set's branches are searched a
 * few times in a run, if at all.
 */
#define LAZY_JIT_AFTER 32

/*
 * re itself, or once it has been used LAZY_JIT_AFTER times a JIT-compiled
 * copy of it (kept in l). Exactly one use reaches the count and compiles the
 * copy: other threads may be matching with re meanwhile, which a JIT compile
 * of re itself would change under them.
 */
static const pcre2_code *jit_when_used(const struct ct_lazy_re *lr, const pcre2_code *re)
{
	struct ct_lazy_re *l = (struct ct_lazy_re *)lr;
	const pcre2_code *jit = __atomic_load_n(&l->jit, __ATOMIC_ACQUIRE);
	if (jit)
		return jit;
	if (__atomic_add_fetch(&l->uses, 1, __ATOMIC_RELAXED) == LAZY_JIT_AFTER) {
		pcre2_code *copy = pcre2_code_copy(re);
		if (copy && pcre2_jit_compile(copy, PCRE2_JIT_COMPLETE) == 0)
			__atomic_store_n(&l->jit, copy, __ATOMIC_RELEASE);
		else
			pcre2_code_free(copy);
	}
	return re;
}

/* The pattern pat (len bytes) compiled on its first use (kept in l), as jit_when_used gives it; NULL if it cannot be. */
static const pcre2_code *lazy_re_get(const struct ct_lazy_re *lr, const char *pat, size_t len, uint32_t opts)
{
	struct ct_lazy_re *l = (struct ct_lazy_re *)lr;
	if (!__atomic_load_n(&l->ready, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&jit_lock);
		if (!l->ready) {
			int errcode;
			PCRE2_SIZE off;
			l->re = pcre2_compile((PCRE2_SPTR)pat, len, opts, &errcode, &off, NULL);
			__atomic_store_n(&l->ready, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&jit_lock);
	}
	return l->re ? jit_when_used(l, l->re) : NULL;
}

void ct_lazy_re_free(struct ct_lazy_re *l)
{
	pcre2_code_free(l->re);
	pcre2_code_free(l->jit);
	memset(l, 0, sizeof(*l));
}

static uint32_t rule_opts(const struct rule *ru)
{
	return PCRE2_UTF | PCRE2_UCP | (ru->caseless ? PCRE2_CASELESS : 0);
}

/* Branch br of ru by itself, searched from a sentence start. */
static const pcre2_code *branch_search_re(const struct rule *ru, const struct pf_branch *br)
{
	return lazy_re_get(&br->search, (ru->flat ? ru->flat : ru->pattern) + br->off, br->len,
			   rule_opts(ru) | PCRE2_USE_OFFSET_LIMIT);
}

/* Branch br by itself anchored at a hit, or the whole pattern anchored when the branch does not stand alone. */
static const pcre2_code *anchored_re(const struct rule *ru, const struct pf_branch *br)
{
	if (br && br->alone)
		return lazy_re_get(&br->at, (ru->flat ? ru->flat : ru->pattern) + br->off, br->len,
				   rule_opts(ru) | PCRE2_ANCHORED);
	return lazy_re_get(&ru->whole_at, ru->pattern, PCRE2_ZERO_TERMINATED, rule_opts(ru) | PCRE2_ANCHORED);
}

/*
 * The whole pattern is JIT-compiled at its first search when its branches
 * have no patterns of their own (then it searches sentences); otherwise it
 * serves subjects, examples and the classifier without its prefilter, and
 * a JIT-compiled copy is made only once it has been used often enough
 * (whole): a JIT compile of every big pattern would double what loading a
 * rule set costs.
 */
int ct_rule_find(const struct rule *ru, const char *text, size_t lo, size_t hi, size_t from, size_t to,
		 size_t *ms, size_t *me)
{
	const pcre2_code *re = ru->re;
	if (ru->nbr > 1 && ru->br[0].alone)
		re = jit_when_used(&ru->whole, ru->re);
	else
		ct_jit_ready(ru->re, &ru->jit_re);
	return ct_rule_find_re(ru, re, text, lo, hi, from, to, SIZE_MAX, ms, me);
}

/*
 * PCRE2 could not finish a match (its match limit, on a pattern that
 * backtracks without end): the rule does not count here, and classifying
 * goes on with the others. The first such failure is kept for the caller
 * (ct_classify_failure): one crafted mail must not stop a mailbox's ingest.
 */
static int match_failed(const struct rule *ru, int rc, const char *what)
{
	struct scratch *sc = scratch_get();
	if (!sc->failure[0]) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(sc->failure, sizeof(sc->failure), "rule '%s': %s failed: %s", ru->id, what, (char *)msg);
	}
	return 0;
}

const char *ct_classify_failure(void)
{
	struct scratch *sc = scratch_get();
	return sc->failure[0] ? sc->failure : NULL;
}

int ct_rule_find_re(const struct rule *ru, const pcre2_code *re, const char *text, size_t lo, size_t hi, size_t from,
		    size_t to, size_t limit, size_t *ms, size_t *me)
{
	struct scratch *sc = scratch_get();
	/* No match can start past limit (the last anchor it must hold): PCRE2 stops trying there. */
	pcre2_match_context *mc = NULL;
	if (limit != SIZE_MAX) {
		pcre2_set_offset_limit(sc->mctx, limit);
		mc = sc->mctx;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
	while (from <= to) {
		int rc = pcre2_match(re, (PCRE2_SPTR)text, to, from, PCRE2_NO_UTF_CHECK, sc->md, mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			return match_failed(ru, rc, "matching");
		size_t s = ov[0], e = ov[1];
		if (e <= s) {
			/* An empty match is no evidence: try one character further. */
			if (s >= to)
				return 0;
			from = s + ct_utf8_seqlen((const unsigned char *)text + s, to - s);
			continue;
		}
		/* A match lies within one sentence: one that runs past it is tried again inside it. */
		size_t ss, se;
		ct_sentence_bounds(text, lo, hi, s, s, &ss, &se);
		if (e > se) {
			rc = pcre2_match(re, (PCRE2_SPTR)text, se, s, PCRE2_NO_UTF_CHECK, sc->md, mc);
			if (rc == PCRE2_ERROR_NOMATCH || (rc >= 0 && ov[1] <= ov[0])) {
				from = se > s ? se : s + 1;
				continue;
			}
			if (rc < 0)
				return match_failed(ru, rc, "matching");
			s = ov[0];
			e = ov[1];
		}
		if (ru->unless_re) {
			size_t ws, we;
			int cut = sentence_bounds(text, lo, hi, s, e, &ws, &we);
			ct_jit_ready(ru->unless_re, &ru->jit_unless);
			rc = pcre2_match(ru->unless_re, (PCRE2_SPTR)text, we, ws, PCRE2_NO_UTF_CHECK, sc->md, NULL);
			if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL) {
				/*
				 * Negated: the rest of this sentence is cancelled too. Not
				 * in a paragraph as long as the length limit: a later
				 * match there has a window of its own, which may not hold
				 * what negated this one (as when the prefilter tries each
				 * anchor).
				 */
				from = cut ? s + ct_utf8_seqlen((const unsigned char *)text + s, to - s) : we > e ? we : e;
				continue;
			}
			if (rc != PCRE2_ERROR_NOMATCH)
				return match_failed(ru, rc, "matching 'unless'");
		}
		*ms = s;
		*me = e;
		return 1;
	}
	return 0;
}

int ct_rule_find_at(const struct rule *ru, const struct pf_branch *br, const char *text, size_t lo, size_t hi,
		    size_t at, size_t to, size_t *ms, size_t *me)
{
	struct scratch *sc = scratch_get();
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
	const pcre2_code *anchored = anchored_re(ru, br);
	int rc = anchored ? pcre2_match(anchored, (PCRE2_SPTR)text, to, at, PCRE2_NO_UTF_CHECK, sc->md, NULL)
			 : pcre2_match(ru->re, (PCRE2_SPTR)text, to, at, PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, sc->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return match_failed(ru, rc, "matching");
	size_t s = ov[0], e = ov[1];
	if (e <= s)
		return 0;
	if (ru->unless_re) {
		size_t ws, we;
		ct_sentence_bounds(text, lo, hi, s, e, &ws, &we);
		ct_jit_ready(ru->unless_re, &ru->jit_unless);
		rc = pcre2_match(ru->unless_re, (PCRE2_SPTR)text, we, ws, PCRE2_NO_UTF_CHECK, sc->md, NULL);
		if (rc >= 0)
			return 0;
		if (rc != PCRE2_ERROR_NOMATCH)
			return match_failed(ru, rc, "matching 'unless'");
	}
	*ms = s;
	*me = e;
	return 1;
}

char *ct_snippet(const char *text, size_t lo, size_t hi, size_t start, size_t end, size_t width)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t a = start, z = end, n;
	int cut_a = 0, cut_z = 0;
	for (n = 0; a > lo && n < width;) {
		a--;
		if ((t[a] & 0xC0) != 0x80)
			n++;
	}
	if (a > lo) {
		/* Cut at a word boundary: drop the word the limit fell into. */
		size_t w = a;
		while (w < start && !is_space(t[w]) && !is_space(t[w - 1]))
			w++;
		a = w;
		cut_a = 1;
	}
	for (n = 0; z < hi && n < width; n++) {
		z++;
		while (z < hi && (t[z] & 0xC0) == 0x80)
			z++;
	}
	if (z < hi) {
		size_t w = z;
		while (w > end && !is_space(t[w - 1]) && !is_space(t[w]))
			w--;
		z = w;
		cut_z = 1;
	}
	char *out = ct_malloc(z - a + 9);
	size_t n_out = 0;
	int space = 0;
	if (cut_a) {
		memcpy(out, "\xe2\x80\xa6", 3);   /* … */
		n_out = 3;
		space = 1;
	}
	for (size_t i = a; i < z; i++) {
		unsigned char c = t[i];
		if (is_space(c)) {
			space = 1;
			continue;
		}
		/* One line: every run of blanks and line ends becomes one space. */
		if (space && n_out)
			out[n_out++] = ' ';
		space = 0;
		out[n_out++] = (char)c;
	}
	if (cut_z) {
		out[n_out++] = ' ';
		memcpy(out + n_out, "\xe2\x80\xa6", 3);
		n_out += 3;
	}
	out[n_out] = '\0';
	return out;
}

/* A copy of s with every byte that is not valid UTF-8 replaced by '?' (same length). */
static const char *sanitize(struct scratch *sc, const char *s, size_t len)
{
	CT_ALLOC_GROW(sc->fixed, len + 1, sc->fixed_alloc);
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = p[i] < 0x80 ? 1 : ct_utf8_seqlen(p + i, len - i);
		if (n == 1 && p[i] >= 0x80) {
			sc->fixed[i++] = '?';
			continue;
		}
		memcpy(sc->fixed + i, s + i, n);
		i += n;
	}
	sc->fixed[len] = '\0';
	return sc->fixed;
}

static int sender_ok(const struct rule *ru, int is_staff)
{
	return ru->sender == SENDER_ANY || (ru->sender == SENDER_STAFF) == !!is_staff;
}

static void add_tag(struct ct_tags *out, const struct rule *ru, const char *t, size_t lo, size_t hi, size_t s,
		    size_t e, int in_subject)
{
	CT_ALLOC_GROW(out->v, out->n + 1, out->alloc);
	struct ct_tag *tg = &out->v[out->n++];
	tg->category = ru->cat;
	tg->rule_id = ru->id;
	tg->start = s;
	tg->end = e;
	tg->in_subject = in_subject;
	tg->score = ru->score;
	/* The evidence is the sentence that holds the match, cut at words when it is long. */
	size_t ws, we;
	ct_sentence_bounds(t, lo, hi, s, e, &ws, &we);
	tg->sentence_start = ws;
	tg->snippet = ct_snippet(t, ws, we, s, e, SNIPPET_WIDTH);
}

static int fold_eq(const unsigned char *t, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((t[i] | 0x20) != ((unsigned char)lit[i] | 0x20))
			return 0;
	return 1;
}

/* Anchor an found at i: a hit for each of its rules this sender may trigger. */
static void add_hits(const struct ct_rules *r, struct scratch *sc, const struct anchor *an, size_t i, uint32_t seg,
		     int is_staff)
{
	for (size_t j = 0; j < an->nrules; j++) {
		uint32_t ri = an->rules[j] >> 16;
		if (sc->done[ri] || !sender_ok(&r->v[ri], is_staff))
			continue;
		CT_ALLOC_GROW(sc->hits, sc->nhits + 1, sc->hits_alloc);
		sc->hits[sc->nhits].rule = ri;
		sc->hits[sc->nhits].branch = an->rules[j] & 0xffff;
		sc->hits[sc->nhits].seg = seg;
		sc->hits[sc->nhits].pos = i;
		sc->hits[sc->nhits].len = an->len;
		sc->nhits++;
	}
}

/* One pass over text[s, e) for every anchor; hits for rules this sender may trigger. */
static void scan(const struct ct_rules *r, struct scratch *sc, const unsigned char *t, size_t s, size_t e,
		 uint32_t seg, int is_staff)
{
	const struct prefilter *pf = &r->pf;
	const uint32_t *short_of = pf->nshort ? pf->short_of : NULL;
	if (e - s < 3 && !short_of)
		return;
	for (size_t i = s; i < e; i++) {
		if (short_of && short_of[t[i]])
			add_hits(r, sc, &pf->v[short_of[t[i]] - 1], i, seg, is_staff);
		if (i + 3 > e)
			continue;
		uint32_t h = pf_hash3(t + i);
		if (!((pf->bitmap[h >> 6] >> (h & 63)) & 1))
			continue;
		/* The next four bytes folded, compared with each candidate's first four at once. */
		uint32_t w = (uint32_t)t[i] | (uint32_t)t[i + 1] << 8 | (uint32_t)t[i + 2] << 16;
		if (i + 3 < e)
			w |= (uint32_t)t[i + 3] << 24;
		w |= 0x20202020u;
		uint32_t b = h >> (PF_BITS - PF_BUCKET_BITS);
		for (uint32_t k = pf->bucket[b]; k < pf->bucket[b + 1]; k++) {
			const struct pf_entry *en = &pf->entries[k];
			if ((w & en->mask) != en->key)
				continue;
			const struct anchor *an = &pf->v[en->anchor];
			if (i + an->len > e || (an->len > 4 && !fold_eq(t + i + 4, an->lit + 4, an->len - 4)))
				continue;
			add_hits(r, sc, an, i, seg, is_staff);
		}
	}
}

/* Does t[s, e) hold lit (lower case, NUL-terminated; ASCII case folded)? memchr finds the first byte. */
static int find_ci(const unsigned char *t, size_t s, size_t e, const char *lit)
{
	unsigned char lc = (unsigned char)lit[0], uc = lc >= 'a' && lc <= 'z' ? lc - 32 : lc;
	for (int pass = 0; pass < (uc != lc ? 2 : 1); pass++) {
		size_t i = s;
		while (i < e) {
			const unsigned char *p = memchr(t + i, pass ? uc : lc, e - i);
			if (!p)
				break;
			size_t j = (size_t)(p - t), k = 1;
			while (lit[k] && j + k < e && (t[j + k] | 0x20) == ((unsigned char)lit[k] | 0x20))
				k++;
			if (!lit[k])
				return 1;
			i = j + 1;
		}
	}
	return 0;
}

/* Does text[s, e) hold one of the literals? */
static int has_any(const char *text, size_t s, size_t e, const struct ct_strlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		if (find_ci((const unsigned char *)text, s, e, l->v[k]))
			return 1;
	return 0;
}

static int tag_cmp(const void *a, const void *b)
{
	const struct ct_tag *x = a, *y = b;
	if (x->in_subject != y->in_subject)
		return y->in_subject - x->in_subject;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->rule_id, y->rule_id);
}

/*
 * The position of the last anchor hit of rule (and branch, unless -1) from
 * hit h up to before end (hits are grouped by rule): every match holds one
 * of its anchors, so none starts after it.
 */
static size_t last_hit(const struct scratch *sc, size_t h, size_t end, uint32_t rule, int branch)
{
	size_t pos = sc->hits[h].pos;
	for (size_t k = h + 1; k < sc->nhits && sc->hits[k].rule == rule && sc->hits[k].pos < end; k++)
		if (branch < 0 || sc->hits[k].branch == (uint32_t)branch)
			pos = sc->hits[k].pos;
	return pos;
}

/* Groups sc->hits by rule (a stable counting sort: each rule's hits stay in text order). */
static void group_hits(const struct ct_rules *r, struct scratch *sc)
{
	if (sc->nhits < 2)
		return;
	CT_ALLOC_GROW(sc->first_hit, r->n + 1, sc->first_hit_alloc);
	CT_ALLOC_GROW(sc->sorted, sc->nhits, sc->sorted_alloc);
	memset(sc->first_hit, 0, (r->n + 1) * sizeof(*sc->first_hit));
	for (size_t h = 0; h < sc->nhits; h++)
		sc->first_hit[sc->hits[h].rule + 1]++;
	for (size_t i = 0; i < r->n; i++)
		sc->first_hit[i + 1] += sc->first_hit[i];
	for (size_t h = 0; h < sc->nhits; h++)
		sc->sorted[sc->first_hit[sc->hits[h].rule]++] = sc->hits[h];
	struct hit *t = sc->hits;
	size_t ta = sc->hits_alloc;
	sc->hits = sc->sorted;
	sc->hits_alloc = sc->sorted_alloc;
	sc->sorted = t;
	sc->sorted_alloc = ta;
}

/*
 * With prune, a category whose score can no longer reach its threshold
 * (the positive scores of its rules still able to hit sum below it) is not
 * searched further: ct_classify would drop its tags anyway. Without it
 * (ct_classify_hits), every rule is tried.
 */
static void find_hits(const struct ct_rules *r, const char *subject, const char *body, size_t body_len,
		     int is_staff, int ledger, int prune, struct ct_tags *out)
{
	struct scratch *sc = scratch_get();
	size_t first = out->n;
	const char *t = body ? body : "";
	if (!body)
		body_len = 0;
	/* Only the entries the last call set are cleared: clearing every branch's took 5 % of the time. */
	if (sc->nrules_alloc < r->n) {
		sc->done = ct_realloc(sc->done, r->n);
		sc->reps = ct_realloc(sc->reps, r->n);
		sc->rep_first = ct_realloc(sc->rep_first, r->n * sizeof(*sc->rep_first));
		free(sc->covered);
		free(sc->touched);
		sc->covered = ct_calloc(r->n, sizeof(*sc->covered));
		sc->touched = ct_malloc(r->n * sizeof(*sc->touched));
		sc->ntouched = 0;
		sc->nrules_alloc = r->n;
	}
	if (sc->nbranches_alloc < r->nbranches) {
		free(sc->bcovered);
		free(sc->btouched);
		sc->bcovered = ct_calloc(r->nbranches, sizeof(*sc->bcovered));
		sc->btouched = ct_malloc(r->nbranches * sizeof(*sc->btouched));
		sc->nbtouched = 0;
		sc->nbranches_alloc = r->nbranches;
	}
	memset(sc->done, 0, r->n);
	if (r->has_repeat)
		memset(sc->reps, 0, r->n);
	for (size_t k = 0; k < sc->ntouched; k++)
		sc->covered[sc->touched[k]] = 0;
	for (size_t k = 0; k < sc->nbtouched; k++)
		sc->bcovered[sc->btouched[k]] = 0;
	sc->ntouched = sc->nbtouched = 0;

	if (!ct_utf8_valid(t, body_len))
		t = sanitize(sc, t, body_len);
	ct_strip_authored(t, body_len, &sc->segs);
	sc->nhits = 0;
	sc->failure[0] = '\0';
	for (size_t g = 0; g < sc->segs.n; g++)
		scan(r, sc, (const unsigned char *)t, sc->segs.v[g].start, sc->segs.v[g].end, (uint32_t)g,
		     is_staff);
	group_hits(r, sc);
	if (sc->sidx_alloc < sc->segs.n) {
		sc->sidx = ct_realloc(sc->sidx, sc->segs.n * sizeof(*sc->sidx));
		memset(sc->sidx + sc->sidx_alloc, 0, (sc->segs.n - sc->sidx_alloc) * sizeof(*sc->sidx));
		sc->sidx_built = ct_realloc(sc->sidx_built, sc->segs.n);
		sc->sidx_alloc = sc->segs.n;
	}
	if (sc->segs.n)
		memset(sc->sidx_built, 0, sc->segs.n);
	int with_subject = r->has_subject && subject && *subject;

	/*
	 * What each category can still reach: the positive scores of the rules
	 * with an anchor hit, without anchors, or that may hit the subject. A
	 * rule that cannot hit any more takes its score off (not one that may
	 * still hit the subject).
	 */
	double *reach = NULL;
	if (prune) {
		CT_ALLOC_GROW(sc->cat_reach, r->ncats + 1, sc->cat_reach_alloc);
		reach = sc->cat_reach;
		memset(reach, 0, r->ncats * sizeof(*reach));
		for (size_t h = 0; h < sc->nhits; h++)
			if (h == 0 || sc->hits[h].rule != sc->hits[h - 1].rule) {
				const struct rule *ru = &r->v[sc->hits[h].rule];
				if (ru->score > 0 && !ru->ledger && !(with_subject && (ru->fields & FIELD_SUBJECT)))
					reach[ru->cat_ix] += ru->score;
			}
		for (size_t k = 0; k < r->pf.nalways; k++) {
			const struct rule *ru = &r->v[r->pf.always[k]];
			if (ru->score > 0 && !ru->ledger && sender_ok(ru, is_staff) && !(with_subject && (ru->fields & FIELD_SUBJECT)))
				reach[ru->cat_ix] += ru->score;
		}
		if (with_subject)
			for (size_t i = 0; i < r->n; i++) {
				const struct rule *ru = &r->v[i];
				if (ru->score > 0 && !ru->ledger && (ru->fields & FIELD_SUBJECT) && sender_ok(ru, is_staff))
					reach[ru->cat_ix] += ru->score;
			}
	}
#define CAT_DEAD(ru) (prune && !(ru)->ledger && reach[(ru)->cat_ix] + 1e-9 < r->cats[(ru)->cat_ix].threshold)

	/*
	 * The last sentence computed. Reused for a later hit inside it (later
	 * in the text: hits come by rule, so the next may lie before it) only
	 * when its end was a real sentence end, not the length limit counted
	 * from the earlier hit (that would cut off a match the later hit's own
	 * sentence holds).
	 */
	size_t cws = 0, cwe = 0, cpos = 0, cseg = SIZE_MAX;
	for (size_t h = 0; h < sc->nhits; h++) {
		const struct hit *hi = &sc->hits[h];
		const struct rule *ru = &r->v[hi->rule];
		const struct ct_span *sg = &sc->segs.v[hi->seg];
		size_t ws, we, ms, me;
		int last_of_rule = h + 1 == sc->nhits || sc->hits[h + 1].rule != hi->rule;
		if (sc->done[hi->rule] || CAT_DEAD(ru) || (ledger != 2 && !ru->ledger != !ledger))
			continue;
		if (hi->pos < sc->covered[hi->rule])
			goto next;
		const struct pf_branch *br = &ru->br[hi->branch];
		int alone = br->alone && !br->start;
		const pcre2_code *bre;
		if (alone && hi->pos < sc->bcovered[br->slot])
			goto next;
		int rc, ok = 1;
		if (cseg == hi->seg && hi->pos >= cpos && hi->pos + hi->len <= cwe) {
			ws = cws;
			we = cwe;
		} else {
			if (!sc->sidx_built[hi->seg]) {
				ct_sentence_index(&sc->sidx[hi->seg], t, sg->start, sg->end);
				sc->sidx_built[hi->seg] = 1;
			}
			ct_sentence_bounds_indexed(&sc->sidx[hi->seg], t, hi->pos, hi->pos + hi->len, &ws, &we);
			cws = ws;
			cwe = we;
			cpos = hi->pos;
			cseg = hi->seg;
			if (we - (hi->pos + hi->len) >= SENTENCE_MAX)
				cseg = SIZE_MAX;  /* cut by the limit: neither reused nor marked covered */
		}
		/* Every other literal this branch needs must be in the sentence too. */
		for (size_t c = 0; ok && c < br->nconfirm; c++)
			ok = has_any(t, ws, we, &br->confirm[c]);
		if (!ok)
			goto next;
		if (br->start) {
			/* The match can only begin at this hit: one anchored attempt, up to the sentence end. */
			rc = ct_rule_find_at(ru, br, t, sg->start, sg->end, hi->pos, we, &ms, &me);
		} else if (alone && (bre = branch_search_re(ru, br))) {
			/* Only this branch can match around this hit: search the sentence with it alone. */
			rc = ct_rule_find_re(ru, bre, t, sg->start, sg->end, ws, we,
					     last_hit(sc, h, we, hi->rule, (int)hi->branch), &ms, &me);
			if (!rc && cseg == hi->seg) {
				if (!sc->bcovered[br->slot])
					sc->btouched[sc->nbtouched++] = (uint32_t)br->slot;
				sc->bcovered[br->slot] = we;
			}
		} else {
			ct_jit_ready(ru->re, &ru->jit_re);
			rc = ct_rule_find_re(ru, ru->re, t, sg->start, sg->end, ws, we, last_hit(sc, h, we, hi->rule, -1),
					     &ms, &me);
			if (!rc && cseg == hi->seg) {
				if (!sc->covered[hi->rule])
					sc->touched[sc->ntouched++] = hi->rule;
				sc->covered[hi->rule] = we;
			}
		}
		if (rc && ru->repeat > 1) {
			/* One more sentence matched: the rule hits at its repeat-th, shown at its first. */
			struct rep_first *f = &sc->rep_first[hi->rule];
			if (!sc->reps[hi->rule]) {
				f->ms = ms;
				f->me = me;
				f->seg = hi->seg;
			}
			if (++sc->reps[hi->rule] >= ru->repeat) {
				const struct ct_span *fs = &sc->segs.v[f->seg];
				add_tag(out, ru, t, fs->start, fs->end, f->ms, f->me, 0);
				sc->done[hi->rule] = 1;
				continue;
			}
			/* the next must lie in another sentence */
			size_t past = we > me ? we : me;
			if (!sc->covered[hi->rule])
				sc->touched[sc->ntouched++] = hi->rule;
			if (past > sc->covered[hi->rule])
				sc->covered[hi->rule] = past;
			goto next;
		}
		if (rc) {
			add_tag(out, ru, t, sg->start, sg->end, ms, me, 0);
			sc->done[hi->rule] = 1;
			continue;
		}
	next:
		/* The rule's last hit missed: it cannot add to its category any more. */
		if (last_of_rule && prune && ru->score > 0 && !ru->ledger && !(with_subject && (ru->fields & FIELD_SUBJECT)))
			reach[ru->cat_ix] -= ru->score;
	}
	for (size_t k = 0; k < r->pf.nalways; k++) {
		const struct rule *ru = &r->v[r->pf.always[k]];
		if (!sender_ok(ru, is_staff) || CAT_DEAD(ru) || (ledger != 2 && !ru->ledger != !ledger))
			continue;
		int hit = 0, need = ru->repeat > 1 ? ru->repeat : 1, got = 0;
		size_t fms = 0, fme = 0;
		const struct ct_span *fsg = NULL;
		for (size_t g = 0; g < sc->segs.n && got < need; g++) {
			const struct ct_span *sg = &sc->segs.v[g];
			size_t ms, me, from = sg->start;
			while (got < need && from < sg->end &&
			       ct_rule_find(ru, t, sg->start, sg->end, from, sg->end, &ms, &me)) {
				if (!got++) {
					fms = ms;
					fme = me;
					fsg = sg;
				}
				/* with repeat, the next match must lie in another sentence */
				size_t ws, we;
				ct_sentence_bounds(t, sg->start, sg->end, ms, me, &ws, &we);
				from = we > me ? we : me;
				if (from <= ms)
					from = ms + 1;
			}
		}
		if (got >= need) {
			add_tag(out, ru, t, fsg->start, fsg->end, fms, fme, 0);
			hit = 1;
		}
		if (!hit && prune && ru->score > 0 && !ru->ledger && !(with_subject && (ru->fields & FIELD_SUBJECT)))
			reach[ru->cat_ix] -= ru->score;
	}
	if (with_subject) {
		size_t slen = strlen(subject);
		const char *st = subject;
		if (!ct_utf8_valid(st, slen))
			st = sanitize(sc, st, slen);
		for (size_t i = 0; i < r->n; i++) {
			const struct rule *ru = &r->v[i];
			size_t ms, me;
			if (!(ru->fields & FIELD_SUBJECT) || !sender_ok(ru, is_staff) || CAT_DEAD(ru) || (ledger != 2 && !ru->ledger != !ledger))
				continue;
			int rc = ct_rule_find(ru, st, 0, slen, 0, slen, &ms, &me);
			if (rc)
				add_tag(out, ru, st, 0, slen, ms, me, 1);
		}
	}
#undef CAT_DEAD
	if (out->n - first > 1)
		qsort(out->v + first, out->n - first, sizeof(*out->v), tag_cmp);
}

int ct_classify_hits(const struct ct_rules *r, const char *subject, const char *body, size_t body_len,
		     int is_staff, struct ct_tags *out)
{
	find_hits(r, subject, body, body_len, is_staff, 0, 0, out);
	return 0;
}

int ct_find_hits(const struct ct_rules *r, const char *subject, const char *body, size_t body_len, int is_staff,
		 int ledger, struct ct_tags *out)
{
	find_hits(r, subject, body, body_len, is_staff, ledger, 0, out);
	return 0;
}

static void apply_thresholds(const struct ct_rules *r, struct ct_tags *out, size_t first);

static const struct rule *rule_of(const struct ct_rules *r, const char *rule_id)
{
	for (size_t k = 0; k < r->n; k++)
		if (r->v[k].id == rule_id)
			return &r->v[k];
	return NULL;
}

size_t ct_due_text_end(const char *text, size_t len, size_t ms, size_t me)
{
	size_t ws, we;
	ct_sentence_bounds(text, 0, len, ms, me, &ws, &we);
	if (we > me + 48)
		we = me + 48;
	for (size_t i = me; i < we; i++)
		if (text[i] == ';' || text[i] == '\n')
			return i;
	/* not into the middle of a word */
	while (we > me && we < len && ((unsigned char)text[we] & 0xC0) == 0x80)
		we--;
	return we;
}

/* Moves the ledger rules' hits of t to out (due times resolved), the other tags to tags (NULL: dropped). */
static void split_ledger(const struct ct_rules *r, const char *body, size_t body_len, struct ct_tags *t,
			 int64_t written, int tz_min, struct ct_tags *tags, struct ct_ledger *out)
{
	for (size_t i = 0; i < t->n; i++) {
		struct ct_tag *tg = &t->v[i];
		const struct rule *ru = rule_of(r, tg->rule_id);
		if (!ru || !ru->ledger) {
			if (tags) {
				CT_ALLOC_GROW(tags->v, tags->n + 1, tags->alloc);
				tags->v[tags->n++] = *tg;
			} else {
				free(tg->snippet);
			}
			continue;
		}
		struct ct_due d = { 0, 0, 0 };
		int keep = !tg->in_subject;
		if (keep && ru->ledger == CT_LEDGER_PROMISE) {
			/* the match and the rest of its clause: "on Friday" may go on "June 3" */
			size_t e = ct_due_text_end(body, body_len, tg->start, tg->end);
			keep = ct_due_resolve(body + tg->start, e - tg->start, written, tz_min, &d) == 1;
			for (size_t k = 0; keep && k < out->n; k++)
				keep = !(out->v[k].kind == CT_LEDGER_PROMISE && out->v[k].sentence_start == tg->sentence_start);
		}
		if (!keep) {
			free(tg->snippet);
			continue;
		}
		CT_ALLOC_GROW(out->v, out->n + 1, out->alloc);
		struct ct_ledger_hit *h = &out->v[out->n++];
		h->kind = ru->ledger;
		h->rule_id = ru->id;
		h->start = tg->start;
		h->end = tg->end;
		h->sentence_start = tg->sentence_start;
		h->snippet = tg->snippet;   /* taken */
		h->due = d.at;
	}
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

int ct_ledger_find(const struct ct_rules *r, const char *body, size_t body_len, int is_staff, int64_t written,
		   int tz_min, struct ct_ledger *out)
{
	struct ct_tags t = CT_TAGS_INIT;
	find_hits(r, NULL, body, body_len, is_staff, 1, 0, &t);
	split_ledger(r, body, body_len, &t, written, tz_min, NULL, out);
	return 0;
}

int ct_classify_ledger(const struct ct_rules *r, const char *subject, const char *body, size_t body_len,
		       int is_staff, int64_t written, int tz_min, struct ct_tags *out, struct ct_ledger *ledger)
{
	struct ct_tags t = CT_TAGS_INIT;
	size_t first = out->n;
	find_hits(r, subject, body, body_len, is_staff, 2, 1, &t);
	split_ledger(r, body ? body : "", body ? body_len : 0, &t, written, tz_min, out, ledger);
	apply_thresholds(r, out, first);
	return 0;
}

void ct_ledger_clear(struct ct_ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].snippet);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

static int cue_cmp(const void *a, const void *b)
{
	const struct ct_cue *x = a, *y = b;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

double ct_cue_score(struct ct_cue *v, size_t n)
{
	double base = 0, best = 0, run = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].anywhere || v[i].score <= 0)
			base += v[i].score;
		else
			v[m++] = v[i];
	}
	if (m > 1)
		qsort(v, m, sizeof(*v), cue_cmp);
	for (size_t lo = 0, hi = 0; hi < m; hi++) {
		run += v[hi].score;
		while (v[hi].pos - v[lo].pos > CT_CUE_WINDOW)
			run -= v[lo++].score;
		if (run > best)
			best = run;
	}
	return base + best;
}

double ct_tags_category_score(const struct ct_tags *t, size_t first, const char *category)
{
	struct ct_cue stack[32], *v = t->n - first > 32 ? ct_malloc((t->n - first) * sizeof(*v)) : stack;
	size_t n = 0;
	for (size_t i = first; i < t->n; i++) {
		if (t->v[i].category != category)
			continue;
		int dup = 0;
		for (size_t k = first; k < i && !dup; k++)
			dup = t->v[k].rule_id == t->v[i].rule_id;
		if (dup)
			continue;
		v[n].pos = t->v[i].start;
		v[n].anywhere = t->v[i].in_subject;
		v[n].score = t->v[i].score;
		n++;
	}
	double sum = ct_cue_score(v, n);
	if (v != stack)
		free(v);
	return sum;
}

/*
 * Keeps the tags of out[first..] whose category's score reaches its
 * threshold. Every category is decided before any tag is dropped, so a
 * dropped tag (a negative score) still counts for the tags after it.
 */
static void apply_thresholds(const struct ct_rules *r, struct ct_tags *out, size_t first)
{
	struct scratch *sc = scratch_get();
	CT_ALLOC_GROW(sc->cat_pass, r->ncats + 1, sc->cat_pass_alloc);
	for (size_t c = 0; c < r->ncats; c++)
		sc->cat_pass[c] = ct_tags_category_score(out, first, r->cats[c].name) + 1e-9 >= r->cats[c].threshold;
	size_t keep = first;
	for (size_t i = first; i < out->n; i++) {
		int pass = 0;
		for (size_t c = 0; c < r->ncats; c++)
			if (r->cats[c].name == out->v[i].category)
				pass = sc->cat_pass[c];
		if (pass)
			out->v[keep++] = out->v[i];
		else
			free(out->v[i].snippet);
	}
	out->n = keep;
}

int ct_classify(const struct ct_rules *r, const char *subject, const char *body, size_t body_len,
		int is_staff, struct ct_tags *out)
{
	size_t first = out->n;
	find_hits(r, subject, body, body_len, is_staff, 0, 1, out);
	apply_thresholds(r, out, first);
	return 0;
}

void ct_tags_clear(struct ct_tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].snippet);
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}
