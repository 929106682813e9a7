/*
 * fuzz_classify.c - the classifier with the shipped rules (config/rules.conf;
 * CT_FUZZ_RULES names another file). Input: the first line is the subject,
 * the rest the body; each input runs as a customer's and as staff's.
 *
 * Checks: every tag's span lies inside its text and on UTF-8 character
 * boundaries of it, its snippet is valid UTF-8, ct_classify's tags are a
 * subset of ct_classify_hits', and the prefilter changes nothing: the body
 * rules that hit equal those found by running each rule's compiled pattern
 * (ct_rule_find) on every sentence of the stripped text, without the
 * prefilter (the promise ledger's rules as well as the tag rules; the
 * ledger's promises lie inside the body, one per sentence, due after the
 * writing time). That comparison is made only where sentences are bounded (no
 * window reaches SENTENCE_MAX, where windows depend on where they are taken)
 * and without the Kelvin sign or long s, which classify.h documents the
 * prefilter to miss.
 */
#include "fuzz.h"
#include "../../classify/classify_p.h"

static struct ct_rules *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("CT_FUZZ_RULES");
	char *own = NULL;
	if (!path) {
		/* The binary lives in BUILD/fuzz/: the rules are two folders up. */
		const char *a0 = (*argv)[0], *slash = strrchr(a0, '/');
		own = ct_xstrfmt("%.*s../../config/rules.conf", slash ? (int)(slash + 1 - a0) : 0, a0);
		path = own;
	}
	if (ct_rules_load_file(path, stderr, &rules) != 0) {
		fprintf(stderr, "fuzz_classify: cannot load rules '%s' (set CT_FUZZ_RULES)\n", path);
		exit(2);
	}
	free(own);
	return 0;
}

/* The text the classifier matches: each byte that is not valid UTF-8 made '?' (match.c). */
static char *sanitized(const char *s, size_t len)
{
	char *t = ct_malloc(len + 1);
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = p[i] < 0x80 ? 1 : ct_utf8_seqlen(p + i, len - i);
		if (n == 1 && p[i] >= 0x80) {
			t[i++] = '?';
			continue;
		}
		memcpy(t + i, s + i, n);
		i += n;
	}
	t[len] = '\0';
	return t;
}

static int sender_ok(const struct rule *ru, int is_staff)
{
	return ru->sender == SENDER_ANY || (ru->sender == SENDER_STAFF) == !!is_staff;
}

static int prefilter_skipped(const struct ct_rules *r, size_t i)
{
	for (size_t k = 0; k < r->pf.nalways; k++)
		if (r->pf.always[k] == i)
			return 1;
	return 0;
}

/*
 * hit[i] = 1 for each body rule that matches within a sentence of the
 * stripped text, found without the prefilter. Returns 0, or -1 when some
 * sentence window reached the length limit (no comparison then).
 */
static int reference_hits(const struct ct_rules *r, const char *t, size_t len, int is_staff, char *hit,
			  struct ct_span *at)
{
	struct ct_spans segs = { 0 };
	int ret = 0;
	ct_strip_authored(t, len, &segs);
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];
		int always = prefilter_skipped(r, i);
		hit[i] = 0;
		if (!(ru->fields & FIELD_BODY) || !sender_ok(ru, is_staff))
			continue;
		for (size_t g = 0; !hit[i] && g < segs.n; g++) {
			size_t lo = segs.v[g].start, hi = segs.v[g].end, ms, me, ws, we;
			if (always) {
				/* Rules without anchors run over the whole part, as in match.c. */
				hit[i] = ct_rule_find(ru, t, lo, hi, lo, hi, &ms, &me) > 0;
				if (hit[i])
					at[i] = (struct ct_span){ ms, me };
				continue;
			}
			for (size_t p = lo; p < hi && !hit[i]; p = we > p ? we : p + 1) {
				/* Sentences are taken around a word, as around a prefilter hit: a point
				   on the blanks between two sentences would give a window over both. */
				while (p < hi && strchr(" \t\r\n\f\v", t[p]) && t[p])
					p++;
				if (p == hi)
					break;
				ct_sentence_bounds(t, lo, hi, p, p, &ws, &we);
				if (we - ws >= 500) {
					ret = -1;
					goto out;
				}
				hit[i] = ct_rule_find(ru, t, lo, hi, ws, we, &ms, &me) > 0;
				if (hit[i])
					at[i] = (struct ct_span){ ms, me };
			}
		}
	}
out:
	free(segs.v);
	return ret;
}

static void check_tags(const struct ct_tags *tags, const char *subject, const char *body, size_t len)
{
	for (size_t i = 0; i < tags->n; i++) {
		const struct ct_tag *tg = &tags->v[i];
		const char *t = tg->in_subject ? subject : body;
		size_t n = tg->in_subject ? strlen(subject) : len;
		fuzz_check_span(tg->rule_id, tg->start, tg->end, n);
		if (tg->start == tg->end)
			fuzz_fail("tag %s: empty span at %zu", tg->rule_id, tg->start);
		if (ct_utf8_valid(t, n))
			fuzz_check_utf8("tagged text", t + tg->start, tg->end - tg->start);
		fuzz_check_str("snippet", tg->snippet, 1);
	}
}

/* The promise ledger: spans inside the body, one promise per sentence, due after writing. */
static void check_ledger(const char *body, size_t len, int is_staff)
{
	struct ct_ledger l = CT_LEDGER_INIT;
	const int64_t written = 1772528400; /* 2026-03-03T09:00:00Z, a Tuesday */
	if (ct_ledger_find(rules, body, len, is_staff, written, 60, &l) != 0)
		fuzz_fail("the promise ledger failed");
	for (size_t i = 0; i < l.n; i++) {
		fuzz_check_span(l.v[i].rule_id, l.v[i].start, l.v[i].end, len);
		if (l.v[i].sentence_start > l.v[i].start)
			fuzz_fail("ledger %s: sentence starts after the match", l.v[i].rule_id);
		fuzz_check_str("ledger snippet", l.v[i].snippet, 1);
		if (l.v[i].kind == CT_LEDGER_PROMISE && l.v[i].due <= written)
			fuzz_fail("promise %s: due %lld is not after the writing time", l.v[i].rule_id,
				  (long long)l.v[i].due);
		for (size_t k = 0; k < i; k++)
			if (l.v[k].kind == CT_LEDGER_PROMISE && l.v[i].kind == CT_LEDGER_PROMISE &&
			    l.v[k].sentence_start == l.v[i].sentence_start)
				fuzz_fail("two promises in one sentence");
	}
	ct_ledger_clear(&l);
}

static void classify_as(const char *subject, const char *body, size_t len, int is_staff)
{
	struct ct_tags hits = CT_TAGS_INIT, tags = CT_TAGS_INIT;
	if (ct_classify_hits(rules, subject, body, len, is_staff, &hits) != 0 ||
	    ct_find_hits(rules, subject, body, len, is_staff, 1, &hits) != 0 ||
	    ct_classify(rules, subject, body, len, is_staff, &tags) != 0)
		fuzz_fail("classification failed");
	check_tags(&hits, subject, body, len);
	check_tags(&tags, subject, body, len);
	check_ledger(body, len, is_staff);
	for (size_t i = 0; i < tags.n; i++) {
		size_t k = 0;
		while (k < hits.n && (hits.v[k].rule_id != tags.v[i].rule_id ||
				      hits.v[k].in_subject != tags.v[i].in_subject || hits.v[k].start != tags.v[i].start))
			k++;
		if (k == hits.n)
			fuzz_fail("tag %s is not among the rule hits", tags.v[i].rule_id);
	}

	char *t = sanitized(body, len);
	char *ref = ct_calloc(rules->n ? rules->n : 1, 1);
	struct ct_span *at = ct_calloc(rules->n ? rules->n : 1, sizeof(*at));
	if (!memmem(t, len, "\xE2\x84\xAA", 3) && !memmem(t, len, "\xC5\xBF", 2) &&
	    reference_hits(rules, t, len, is_staff, ref, at) == 0) {
		for (size_t i = 0; i < rules->n; i++) {
			int got = 0;
			for (size_t k = 0; k < hits.n && !got; k++)
				got = !hits.v[k].in_subject && hits.v[k].rule_id == rules->v[i].id;
			if (got && !ref[i])
				fuzz_fail("rule %s (%s): prefilter hits, every sentence without it misses",
					  rules->v[i].id, is_staff ? "staff" : "customer");
			if (!got && ref[i])
				fuzz_fail("rule %s (%s): prefilter misses, every sentence without it hits body[%zu-%zu] "
					  "\"%.*s\"", rules->v[i].id, is_staff ? "staff" : "customer", at[i].start,
					  at[i].end, (int)(at[i].end - at[i].start), t + at[i].start);
		}
	}
	free(at);
	free(ref);
	free(t);
	ct_tags_clear(&hits);
	ct_tags_clear(&tags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *subject;
	const uint8_t *body;
	size_t len;
	fuzz_split_line(data, size, 1024, &subject, &body, &len);
	classify_as(subject, (const char *)body, len, 0);
	classify_as(subject, (const char *)body, len, 1);
	free(subject);
	return 0;
}
