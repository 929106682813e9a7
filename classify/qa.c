/*
 * qa.c - rule QA, the way SpamAssassin keeps its regex rules honest
 * (mass-check, hit-frequencies, the perceptron): every rule's hits over
 * labelled items, per-category precision/recall/F1 with the scores and
 * thresholds applied, samples of false hits and misses, and scores fitted
 * by L2-regularised logistic regression over rule hits with the
 * regularisation chosen by cross-validation.
 *
 * Items are added one by one (ct_qa_add); each keeps the rules that hit it
 * (ct_classify_hits), the first sentence of evidence per rule and the start
 * of its text for the miss samples.
 */
#include "classify_p.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct qa_hit {
	uint32_t rule;
	size_t pos;            /* where it starts in the body */
	int in_subject;
	char *snippet;
};

struct qa_item {
	char *id;
	uint64_t labels;       /* bit per scored category */
	int labelled;
	struct qa_hit *hits;
	size_t nhits;
	char *head;            /* start of the text, one line */
};

struct ct_qa {
	const struct ct_rules *r;
	const struct ct_rules *cur;   /* what ct_qa_add classifies with (ct_qa_use_rules), else r */
	struct qa_item *v;
	size_t n, alloc;
	/* Scored categories: names borrowed from the rules (or owned when no rule has them). */
	char **cats;
	size_t ncats;
	int labelled;          /* some item has labels */
	double *fitted;        /* per rule: new score (NaN: unchanged); set by ct_qa_fit */
	double *fitted_thr;    /* per category: new threshold */
};

struct ct_qa *ct_qa_new(const struct ct_rules *r, const char *const *categories, size_t ncategories)
{
	struct ct_qa *q = ct_calloc(1, sizeof(*q));
	q->r = r;
	if (ncategories > 64)
		ncategories = 64;
	q->cats = ct_calloc(ncategories ? ncategories : 1, sizeof(*q->cats));
	for (size_t i = 0; i < ncategories; i++)
		q->cats[q->ncats++] = ct_strdup(categories[i]);
	return q;
}

void ct_qa_free(struct ct_qa *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++) {
		for (size_t k = 0; k < q->v[i].nhits; k++)
			free(q->v[i].hits[k].snippet);
		free(q->v[i].hits);
		free(q->v[i].id);
		free(q->v[i].head);
	}
	free(q->v);
	for (size_t i = 0; i < q->ncats; i++)
		free(q->cats[i]);
	free(q->cats);
	free(q->fitted);
	free(q->fitted_thr);
	free(q);
}

static int cat_index(const struct ct_qa *q, const char *name)
{
	for (size_t i = 0; i < q->ncats; i++)
		if (!strcmp(q->cats[i], name))
			return (int)i;
	return -1;
}

/* Index of the rule whose id is rule_id (borrowed from r: compared as a pointer). */
static int rule_index(const struct ct_rules *r, const char *rule_id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].id == rule_id)
			return (int)i;
	return -1;
}

/* The first 200 characters of text on one line. */
static char *text_head(const char *t, size_t len)
{
	size_t n = len;
	const unsigned char *p = (const unsigned char *)t;
	size_t chars = 0, i = 0;
	for (; i < n && chars < 200; i++)
		if ((p[i] & 0xC0) != 0x80)
			chars++;
	while (i < n && (p[i] & 0xC0) == 0x80)
		i++;
	char *out = ct_malloc(i + 1);
	size_t o = 0;
	int space = 0;
	for (size_t k = 0; k < i; k++) {
		if (p[k] == ' ' || p[k] == '\n' || p[k] == '\r' || p[k] == '\t') {
			space = 1;
			continue;
		}
		if (space && o)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)p[k];
	}
	out[o] = '\0';
	return out;
}

int ct_qa_add(struct ct_qa *q, const char *external_id, const char *const *labels, size_t nlabels, int labelled,
	      const char *subject, const char *body, size_t body_len, int is_staff)
{
	struct ct_tags t = CT_TAGS_INIT;
	if (ct_classify_hits(q->cur ? q->cur : q->r, subject, body, body_len, is_staff, &t))
		return -1;
	if (ct_classify_failure())
		ct_warn("%s: %s; that rule did not count", external_id, ct_classify_failure());
	CT_ALLOC_GROW(q->v, q->n + 1, q->alloc);
	struct qa_item *it = &q->v[q->n++];
	memset(it, 0, sizeof(*it));
	it->id = ct_strdup(external_id);
	it->labelled = labelled;
	q->labelled |= labelled;
	for (size_t i = 0; i < nlabels; i++) {
		int c = cat_index(q, labels[i]);
		if (c >= 0)
			it->labels |= 1ull << c;
	}
	it->hits = ct_calloc(t.n ? t.n : 1, sizeof(*it->hits));
	for (size_t i = 0; i < t.n; i++) {
		int ri = rule_index(q->cur ? q->cur : q->r, t.v[i].rule_id), dup = 0;
		for (size_t k = 0; k < it->nhits && !dup; k++)
			dup = it->hits[k].rule == (uint32_t)ri;
		if (ri < 0 || dup)
			continue;
		it->hits[it->nhits].rule = (uint32_t)ri;
		it->hits[it->nhits].pos = t.v[i].start;
		it->hits[it->nhits].in_subject = t.v[i].in_subject;
		it->hits[it->nhits].snippet = t.v[i].snippet;
		t.v[i].snippet = NULL;
		it->nhits++;
	}
	it->head = text_head(body ? body : "", body ? body_len : 0);
	ct_tags_clear(&t);
	return 0;
}

void ct_qa_use_rules(struct ct_qa *q, const struct ct_rules *r)
{
	q->cur = r;
}

size_t ct_qa_count(const struct ct_qa *q)
{
	return q->n;
}

/* Score of rule ri: the fitted one when there is one. */
static double rule_score(const struct ct_qa *q, size_t ri)
{
	if (q->fitted && !isnan(q->fitted[ri]))
		return q->fitted[ri];
	return q->r->v[ri].score;
}

static double cat_threshold(const struct ct_qa *q, size_t c)
{
	if (q->fitted_thr && !isnan(q->fitted_thr[c]))
		return q->fitted_thr[c];
	return ct_rules_threshold(q->r, q->cats[c]);
}

/* Does the item get category c: do its rules of c reach the threshold? */
static int tagged(const struct ct_qa *q, const struct qa_item *it, size_t c)
{
	struct ct_cue stack[32], *v = it->nhits > 32 ? ct_malloc(it->nhits * sizeof(*v)) : stack;
	size_t n = 0;
	for (size_t k = 0; k < it->nhits; k++) {
		const struct rule *ru = &q->r->v[it->hits[k].rule];
		if (strcmp(ru->cat, q->cats[c]))
			continue;
		v[n].pos = it->hits[k].pos;
		v[n].anywhere = it->hits[k].in_subject;
		v[n].score = rule_score(q, it->hits[k].rule);
		n++;
	}
	double sum = n ? ct_cue_score(v, n) : 0;
	if (v != stack)
		free(v);
	return n && sum + 1e-9 >= cat_threshold(q, c);
}

struct prf {
	long tp, fp, fn, support;
	double p, r, f1;
};

static void prf_finish(struct prf *s)
{
	s->p = s->tp + s->fp ? (double)s->tp / (double)(s->tp + s->fp) : 0;
	s->r = s->tp + s->fn ? (double)s->tp / (double)(s->tp + s->fn) : 0;
	s->f1 = s->p + s->r > 0 ? 2 * s->p * s->r / (s->p + s->r) : 0;
	s->support = s->tp + s->fn;
}

static struct prf category_prf(const struct ct_qa *q, size_t c)
{
	struct prf s = { 0 };
	for (size_t i = 0; i < q->n; i++) {
		const struct qa_item *it = &q->v[i];
		if (!it->labelled)
			continue;
		int want = (it->labels >> c) & 1, got = tagged(q, it, c);
		s.tp += want && got;
		s.fp += !want && got;
		s.fn += want && !got;
	}
	prf_finish(&s);
	return s;
}

struct rule_stat {
	long hits, on, off, only;
};

static void rule_stats(const struct ct_qa *q, struct rule_stat *st)
{
	memset(st, 0, q->r->n * sizeof(*st));
	for (size_t i = 0; i < q->n; i++) {
		const struct qa_item *it = &q->v[i];
		for (size_t k = 0; k < it->nhits; k++) {
			uint32_t ri = it->hits[k].rule;
			int c = cat_index(q, q->r->v[ri].cat);
			st[ri].hits++;
			if (!it->labelled || c < 0)
				continue;
			if ((it->labels >> c) & 1) {
				st[ri].on++;
				int others = 0;
				for (size_t m = 0; m < it->nhits; m++)
					others += m != k && q->r->v[it->hits[m].rule].cat == q->r->v[ri].cat;
				st[ri].only += !others;
			} else {
				st[ri].off++;
			}
		}
	}
}

/* The evidence the item has for category c (its first rule of c), or NULL. */
static const struct qa_hit *first_hit(const struct ct_qa *q, const struct qa_item *it, size_t c)
{
	for (size_t k = 0; k < it->nhits; k++)
		if (!strcmp(q->r->v[it->hits[k].rule].cat, q->cats[c]))
			return &it->hits[k];
	return NULL;
}

static json_t *rules_of(const struct ct_qa *q, const struct qa_item *it, size_t c)
{
	json_t *a = json_array();
	for (size_t k = 0; k < it->nhits; k++)
		if (!strcmp(q->r->v[it->hits[k].rule].cat, q->cats[c]))
			json_array_append_new(a, json_string(q->r->v[it->hits[k].rule].id));
	return a;
}

/*
 * The whole report as JSON: categories (P/R/F1 with scores applied),
 * rules (hits, on/off category, precision, share of the category found,
 * found by it alone), samples of false hits and misses per category, and,
 * for unlabelled items, every tag for review.
 */
static json_t *report_json(const struct ct_qa *q, size_t samples)
{
	json_t *root = json_object(), *cats = json_object(), *rules = json_array();
	struct rule_stat *st = ct_calloc(q->r->n ? q->r->n : 1, sizeof(*st));
	long labelled = 0;
	for (size_t i = 0; i < q->n; i++)
		labelled += q->v[i].labelled;
	json_object_set_new(root, "items", json_integer((json_int_t)q->n));
	json_object_set_new(root, "labelled", json_integer(labelled));
	rule_stats(q, st);
	for (size_t c = 0; c < q->ncats && labelled; c++) {
		struct prf s = category_prf(q, c);
		json_t *o = json_object(), *fps = json_array(), *fns = json_array();
		json_object_set_new(o, "threshold", json_real(cat_threshold(q, c)));
		json_object_set_new(o, "support", json_integer(s.support));
		json_object_set_new(o, "tagged", json_integer(s.tp + s.fp));
		json_object_set_new(o, "tp", json_integer(s.tp));
		json_object_set_new(o, "fp", json_integer(s.fp));
		json_object_set_new(o, "fn", json_integer(s.fn));
		json_object_set_new(o, "precision", json_real(s.p));
		json_object_set_new(o, "recall", json_real(s.r));
		json_object_set_new(o, "f1", json_real(s.f1));
		for (size_t i = 0; i < q->n; i++) {
			const struct qa_item *it = &q->v[i];
			if (!it->labelled)
				continue;
			int want = (it->labels >> c) & 1, got = tagged(q, it, c);
			if (got && !want && json_array_size(fps) < samples) {
				const struct qa_hit *h = first_hit(q, it, c);
				json_array_append_new(fps, json_pack("{s:s, s:o, s:s}", "id", it->id, "rules",
								     rules_of(q, it, c), "sentence",
								     h && h->snippet ? h->snippet : ""));
			} else if (want && !got && json_array_size(fns) < samples) {
				json_array_append_new(fns, json_pack("{s:s, s:o, s:s}", "id", it->id, "rules_below_threshold",
								     rules_of(q, it, c), "text", it->head));
			}
		}
		json_object_set_new(o, "false_hits", fps);
		json_object_set_new(o, "misses", fns);
		json_object_set_new(cats, q->cats[c], o);
	}
	for (size_t ri = 0; ri < q->r->n; ri++) {
		const struct rule *ru = &q->r->v[ri];
		int c = cat_index(q, ru->cat);
		long support = 0;
		if (c >= 0)
			support = category_prf(q, (size_t)c).support;
		json_t *o = json_pack("{s:s, s:s, s:f, s:I}", "id", ru->id, "category", ru->cat, "score",
				      rule_score(q, ri), "hits", (json_int_t)st[ri].hits);
		if (labelled && c >= 0) {
			json_object_set_new(o, "on_category", json_integer(st[ri].on));
			json_object_set_new(o, "elsewhere", json_integer(st[ri].off));
			json_object_set_new(o, "precision",
					    st[ri].on + st[ri].off ? json_real((double)st[ri].on / (double)(st[ri].on + st[ri].off))
								   : json_null());
			json_object_set_new(o, "share", support ? json_real((double)st[ri].on / (double)support) : json_null());
			json_object_set_new(o, "only_it", json_integer(st[ri].only));
		}
		json_array_append_new(rules, o);
	}
	json_object_set_new(root, "categories", cats);
	json_object_set_new(root, "rules", rules);
	/* Unlabelled items: every tag (scores applied), for a person to read. */
	json_t *review = json_array();
	for (size_t i = 0; i < q->n; i++) {
		const struct qa_item *it = &q->v[i];
		if (it->labelled)
			continue;
		for (size_t c = 0; c < q->ncats; c++) {
			if (!tagged(q, it, c))
				continue;
			const struct qa_hit *h = first_hit(q, it, c);
			json_array_append_new(review, json_pack("{s:s, s:s, s:o, s:s}", "id", it->id, "category",
								q->cats[c], "rules", rules_of(q, it, c), "sentence",
								h && h->snippet ? h->snippet : ""));
		}
	}
	json_object_set_new(root, "unlabelled_tags", review);
	free(st);
	return root;
}

static const char *num(json_t *o, const char *k, char buf[16])
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v))
		return "-";
	snprintf(buf, 16, "%.2f", json_number_value(v));
	return buf;
}

int ct_qa_report(const struct ct_qa *q, int json, size_t samples, FILE *out)
{
	json_t *root = report_json(q, samples);
	if (json) {
		int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
		fputc('\n', out);
		json_decref(root);
		return rc ? -1 : 0;
	}
	char b1[16], b2[16], b3[16];
	json_t *cats = json_object_get(root, "categories"), *rules = json_object_get(root, "rules");
	fprintf(out, "%lld items, %lld labelled\n", (long long)json_integer_value(json_object_get(root, "items")),
		(long long)json_integer_value(json_object_get(root, "labelled")));
	if (json_object_size(cats)) {
		fprintf(out, "\n%-20s %9s %7s %6s %6s %6s %6s %6s %6s\n", "category", "threshold", "support",
			"tagged", "TP", "FP", "P", "R", "F1");
		const char *k;
		json_t *o;
		json_object_foreach(cats, k, o) {
			fprintf(out, "%-20s %9.2f %7lld %6lld %6lld %6lld %6s %6s %6s\n", k,
				json_number_value(json_object_get(o, "threshold")),
				(long long)json_integer_value(json_object_get(o, "support")),
				(long long)json_integer_value(json_object_get(o, "tagged")),
				(long long)json_integer_value(json_object_get(o, "tp")),
				(long long)json_integer_value(json_object_get(o, "fp")), num(o, "precision", b1),
				num(o, "recall", b2), num(o, "f1", b3));
		}
	}
	fprintf(out, "\n%-40s %-16s %6s %5s", "rule", "category", "score", "hits");
	if (q->labelled)
		fprintf(out, " %5s %5s %6s %6s %5s", "on", "else", "prec", "share", "only");
	fputc('\n', out);
	size_t i;
	json_t *o;
	json_array_foreach(rules, i, o) {
		fprintf(out, "%-40s %-16s %6.2f %5lld", json_string_value(json_object_get(o, "id")),
			json_string_value(json_object_get(o, "category")), json_number_value(json_object_get(o, "score")),
			(long long)json_integer_value(json_object_get(o, "hits")));
		if (json_object_get(o, "on_category"))
			fprintf(out, " %5lld %5lld %6s %6s %5lld",
				(long long)json_integer_value(json_object_get(o, "on_category")),
				(long long)json_integer_value(json_object_get(o, "elsewhere")), num(o, "precision", b1),
				num(o, "share", b2), (long long)json_integer_value(json_object_get(o, "only_it")));
		fputc('\n', out);
	}
	const char *k;
	json_object_foreach(cats, k, o) {
		size_t j;
		json_t *s;
		json_t *fps = json_object_get(o, "false_hits"), *fns = json_object_get(o, "misses");
		if (json_array_size(fps))
			fprintf(out, "\n--- %s: false hits (%zu shown of %lld)\n", k, json_array_size(fps),
				(long long)json_integer_value(json_object_get(o, "fp")));
		json_array_foreach(fps, j, s) {
			fprintf(out, "  %s [", json_string_value(json_object_get(s, "id")));
			size_t m;
			json_t *rid;
			json_array_foreach(json_object_get(s, "rules"), m, rid)
				fprintf(out, "%s%s", m ? " " : "", json_string_value(rid));
			fprintf(out, "]\n      \"%s\"\n", json_string_value(json_object_get(s, "sentence")));
		}
		if (json_array_size(fns))
			fprintf(out, "\n--- %s: misses (%zu shown of %lld)\n", k, json_array_size(fns),
				(long long)json_integer_value(json_object_get(o, "fn")));
		json_array_foreach(fns, j, s) {
			fprintf(out, "  %s", json_string_value(json_object_get(s, "id")));
			json_t *below = json_object_get(s, "rules_below_threshold");
			size_t m;
			json_t *rid;
			if (json_array_size(below)) {
				fputs(" [below threshold:", out);
				json_array_foreach(below, m, rid)
					fprintf(out, " %s", json_string_value(rid));
				fputc(']', out);
			}
			fprintf(out, "\n      \"%s\"\n", json_string_value(json_object_get(s, "text")));
		}
	}
	json_t *review = json_object_get(root, "unlabelled_tags");
	if (json_array_size(review)) {
		fprintf(out, "\n--- tags on unlabelled items (%zu), for review\n", json_array_size(review));
		size_t j;
		json_t *s;
		json_array_foreach(review, j, s) {
			fprintf(out, "  %s %s [", json_string_value(json_object_get(s, "id")),
				json_string_value(json_object_get(s, "category")));
			size_t m;
			json_t *rid;
			json_array_foreach(json_object_get(s, "rules"), m, rid)
				fprintf(out, "%s%s", m ? " " : "", json_string_value(rid));
			fprintf(out, "]\n      \"%s\"\n", json_string_value(json_object_get(s, "sentence")));
		}
	}
	json_decref(root);
	return ferror(out) ? -1 : 0;
}

/* ---- fitting ---- */

/* One category's training data: items as sets of feature (rule) indices, and labels. */
struct fit_data {
	size_t nfeat;            /* rules of the category with hits */
	uint32_t *feat_rule;     /* feature -> rule index */
	size_t n;                /* items */
	uint32_t **x;            /* per item: its features */
	size_t *nx;
	unsigned char *y;
};

/* Solves A x = b (n x n, symmetric positive definite) in place by Cholesky; 0 or -1. */
static int solve_spd(double *a, double *b, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		double d = a[j * n + j];
		for (size_t k = 0; k < j; k++)
			d -= a[j * n + k] * a[j * n + k];
		if (d <= 1e-12)
			return -1;
		a[j * n + j] = sqrt(d);
		for (size_t i = j + 1; i < n; i++) {
			double s = a[i * n + j];
			for (size_t k = 0; k < j; k++)
				s -= a[i * n + k] * a[j * n + k];
			a[i * n + j] = s / a[j * n + j];
		}
	}
	for (size_t i = 0; i < n; i++) {
		double s = b[i];
		for (size_t k = 0; k < i; k++)
			s -= a[i * n + k] * b[k];
		b[i] = s / a[i * n + i];
	}
	for (size_t i = n; i-- > 0;) {
		double s = b[i];
		for (size_t k = i + 1; k < n; k++)
			s -= a[k * n + i] * b[k];
		b[i] = s / a[i * n + i];
	}
	return 0;
}

/*
 * L2-regularised logistic regression by Newton's method over the items
 * with in_train[i]; w has nfeat weights and the bias last (not
 * regularised). 0 or -1.
 */
static int logreg(const struct fit_data *d, const unsigned char *in_train, double lambda, double *w)
{
	size_t m = d->nfeat + 1;
	double *h = ct_malloc(m * m * sizeof(double)), *g = ct_malloc(m * sizeof(double));
	memset(w, 0, m * sizeof(double));
	int rc = 0;
	for (int iter = 0; iter < 30; iter++) {
		memset(h, 0, m * m * sizeof(double));
		memset(g, 0, m * sizeof(double));
		for (size_t i = 0; i < d->n; i++) {
			if (!in_train[i])
				continue;
			double z = w[m - 1];
			for (size_t k = 0; k < d->nx[i]; k++)
				z += w[d->x[i][k]];
			double p = 1 / (1 + exp(-z)), r = p - d->y[i], v = p * (1 - p);
			if (v < 1e-9)
				v = 1e-9;
			g[m - 1] += r;
			h[(m - 1) * m + m - 1] += v;
			for (size_t k = 0; k < d->nx[i]; k++) {
				uint32_t a = d->x[i][k];
				g[a] += r;
				h[a * m + m - 1] += v;
				h[(m - 1) * m + a] += v;
				for (size_t l = 0; l < d->nx[i]; l++)
					h[a * m + d->x[i][l]] += v;
			}
		}
		for (size_t k = 0; k + 1 < m; k++) {
			g[k] += lambda * w[k];
			h[k * m + k] += lambda;
		}
		h[(m - 1) * m + m - 1] += 1e-6;
		if (solve_spd(h, g, m)) {
			rc = -1;
			break;
		}
		double step = 0;
		for (size_t k = 0; k < m; k++) {
			w[k] -= g[k];
			step += fabs(g[k]);
		}
		if (step < 1e-7)
			break;
	}
	free(h);
	free(g);
	return rc;
}

static double margin(const struct fit_data *d, size_t i, const double *w)
{
	double z = 0;
	for (size_t k = 0; k < d->nx[i]; k++)
		z += w[d->x[i][k]];
	return z;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * The threshold t > 0 on the margin (sum of weights of the rules that hit)
 * that gives the best F1 over the items with sel[i]; items without hits
 * have margin 0 and are never tagged.
 */
static double best_threshold(const struct fit_data *d, const unsigned char *sel, const double *w, double *f1_out)
{
	double *ms = ct_malloc((d->n + 1) * sizeof(double));
	size_t nm = 0;
	for (size_t i = 0; i < d->n; i++)
		if (sel[i] && d->nx[i]) {
			double z = margin(d, i, w);
			if (z > 1e-6)
				ms[nm++] = z;
		}
	qsort(ms, nm, sizeof(double), cmp_double);
	double best_t = 1, best_f = -1;
	for (size_t c = 0; c < nm; c++) {
		if (c && ms[c] - ms[c - 1] < 1e-9)
			continue;
		/* Between this margin and the one below. */
		double t = c ? (ms[c] + ms[c - 1]) / 2 : ms[c] / 2;
		long tp = 0, fp = 0, fn = 0;
		for (size_t i = 0; i < d->n; i++) {
			if (!sel[i])
				continue;
			int got = d->nx[i] && margin(d, i, w) >= t;
			tp += got && d->y[i];
			fp += got && !d->y[i];
			fn += !got && d->y[i];
		}
		double f = tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0;
		if (f > best_f + 1e-12) {
			best_f = f;
			best_t = t;
		}
	}
	free(ms);
	if (f1_out)
		*f1_out = best_f < 0 ? 0 : best_f;
	return best_t;
}

static void fit_data_release(struct fit_data *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->x[i]);
	free(d->x);
	free(d->nx);
	free(d->y);
	free(d->feat_rule);
}

static void fit_data_build(const struct ct_qa *q, size_t c, struct fit_data *d)
{
	memset(d, 0, sizeof(*d));
	int32_t *feat_of = ct_malloc(q->r->n * sizeof(int32_t));
	for (size_t ri = 0; ri < q->r->n; ri++)
		feat_of[ri] = -1;
	d->feat_rule = ct_malloc((q->r->n ? q->r->n : 1) * sizeof(uint32_t));
	d->x = ct_calloc(q->n ? q->n : 1, sizeof(*d->x));
	d->nx = ct_calloc(q->n ? q->n : 1, sizeof(*d->nx));
	d->y = ct_calloc(q->n ? q->n : 1, 1);
	for (size_t i = 0; i < q->n; i++) {
		const struct qa_item *it = &q->v[i];
		if (!it->labelled)
			continue;
		size_t k = d->n++;
		d->y[k] = (it->labels >> c) & 1;
		d->x[k] = ct_malloc((it->nhits ? it->nhits : 1) * sizeof(uint32_t));
		for (size_t h = 0; h < it->nhits; h++) {
			uint32_t ri = it->hits[h].rule;
			if (strcmp(q->r->v[ri].cat, q->cats[c]))
				continue;
			if (feat_of[ri] < 0) {
				feat_of[ri] = (int32_t)d->nfeat;
				d->feat_rule[d->nfeat++] = ri;
			}
			d->x[k][d->nx[k]++] = (uint32_t)feat_of[ri];
		}
	}
	free(feat_of);
}

/* The fitted score w of rule ri (scaled to threshold 1) held to the rule's written role. */
static double keep_role(double w, double written, long hits, long on)
{
	if (written >= 1) {
		double floor = (double)on >= 0.6 * (double)hits ? 1 : 0.5;
		return w < floor ? floor : w;
	}
	if (written > 0) {
		double cap = 2 * written < 0.9 ? 2 * written : 0.9;
		return w < 0 ? 0 : w > cap ? cap : w;
	}
	return w > 0 ? 0 : w;
}

int ct_qa_fit(struct ct_qa *q, const struct ct_qa_fit_opts *fo, FILE *out)
{
	unsigned folds = fo->folds;
	static const double lambdas[] = { 0.03, 0.1, 0.3, 1, 3, 10 };
	if (!q->labelled)
		return ct_error("rules fit needs labelled items (--labels or a labelled --corpus)");
	if (folds < 2)
		folds = 2;
	free(q->fitted);
	free(q->fitted_thr);
	q->fitted = ct_malloc((q->r->n ? q->r->n : 1) * sizeof(double));
	q->fitted_thr = ct_malloc(q->ncats * sizeof(double) + 1);
	for (size_t ri = 0; ri < q->r->n; ri++)
		q->fitted[ri] = NAN;
	for (size_t c = 0; c < q->ncats; c++)
		q->fitted_thr[c] = NAN;
	for (size_t c = 0; c < q->ncats; c++) {
		struct fit_data d;
		fit_data_build(q, c, &d);
		long pos = 0;
		for (size_t i = 0; i < d.n; i++)
			pos += d.y[i];
		if (!d.nfeat || !pos) {
			fprintf(out, "%s: %s, scores unchanged\n", q->cats[c],
				!pos ? "no labelled items of this category" : "no rule of it hits");
			fit_data_release(&d);
			continue;
		}
		double *w = ct_malloc((d.nfeat + 1) * sizeof(double));
		unsigned char *train = ct_malloc(d.n), *test = ct_malloc(d.n);
		double best_l = lambdas[0], best_cv = -1;
		for (size_t li = 0; li < CT_ARRAY_SIZE(lambdas); li++) {
			long tp = 0, fp = 0, fn = 0;
			for (unsigned f = 0; f < folds; f++) {
				for (size_t i = 0; i < d.n; i++) {
					test[i] = i % folds == f;
					train[i] = !test[i];
				}
				if (logreg(&d, train, lambdas[li], w))
					continue;
				double t = best_threshold(&d, train, w, NULL);
				for (size_t i = 0; i < d.n; i++) {
					if (!test[i])
						continue;
					int got = d.nx[i] && margin(&d, i, w) >= t;
					tp += got && d.y[i];
					fp += got && !d.y[i];
					fn += !got && d.y[i];
				}
			}
			double f = tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0;
			fprintf(out, "%s: lambda %-5g cross-validated F1 %.3f\n", q->cats[c], lambdas[li], f);
			if (f > best_cv + 1e-9) {
				best_cv = f;
				best_l = lambdas[li];
			}
		}
		memset(train, 1, d.n);
		if (logreg(&d, train, best_l, w)) {
			fprintf(out, "%s: the fit did not converge, scores unchanged\n", q->cats[c]);
		} else {
			double f1, t = best_threshold(&d, train, w, &f1);
			double old_t = ct_rules_threshold(q->r, q->cats[c]);
			long *hits = ct_calloc(d.nfeat ? d.nfeat : 1, sizeof(long));
			long *on = ct_calloc(d.nfeat ? d.nfeat : 1, sizeof(long));
			for (size_t i = 0; i < d.n; i++)
				for (size_t h = 0; h < d.nx[i]; h++) {
					hits[d.x[i][h]]++;
					on[d.x[i][h]] += d.y[i];
				}
			/* Scaled so that the threshold is 1: a rule with score >= 1 tags on its own. */
			size_t kept = 0;
			for (size_t k = 0; k < d.nfeat; k++) {
				size_t ri = d.feat_rule[k];
				double written = q->r->v[ri].score / old_t, f = w[k] / t;
				if ((unsigned long)hits[k] < fo->min_hits) {
					f = written;
					kept++;
				} else if (fo->keep_roles) {
					f = keep_role(f, written, hits[k], on[k]);
				}
				q->fitted[ri] = round(f * 100) / 100;
			}
			free(hits);
			free(on);
			if (kept)
				fprintf(out, "%s: %zu rules with fewer than %u hits keep their written scores\n", q->cats[c],
					kept, fo->min_hits);
			/* Rules without hits here keep their weight relative to the threshold. */
			for (size_t ri = 0; ri < q->r->n; ri++)
				if (isnan(q->fitted[ri]) && !strcmp(q->r->v[ri].cat, q->cats[c]))
					q->fitted[ri] = round(q->r->v[ri].score / old_t * 100) / 100;
			q->fitted_thr[c] = 1;
			fprintf(out, "%s: lambda %g (%u-fold F1 %.3f), F1 on all %.3f, %zu rules fitted, threshold 1\n",
				q->cats[c], best_l, folds, best_cv, f1, d.nfeat);
		}
		free(w);
		free(train);
		free(test);
		fit_data_release(&d);
	}
	return 0;
}

void ct_qa_print_scores(const struct ct_qa *q, FILE *out)
{
	fprintf(out, "%-40s %-16s %8s %8s\n", "rule", "category", "old", "new");
	for (size_t ri = 0; ri < q->r->n; ri++) {
		const struct rule *ru = &q->r->v[ri];
		if (!q->fitted || isnan(q->fitted[ri]))
			continue;
		fprintf(out, "%-40s %-16s %8.2f %8.2f\n", ru->id, ru->cat, ru->score, q->fitted[ri]);
	}
}

/* ---- writing the fitted scores back into the rule file ---- */

/* Is line a section header "[KIND NAME]"? Copies NAME (trimmed) into name. */
static int header_of(const char *line, const char *kind, char *name, size_t size)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[')
		return 0;
	p++;
	size_t kl = strlen(kind);
	if (strncmp(p, kind, kl) || (p[kl] != ' ' && p[kl] != '\t'))
		return 0;
	p += kl;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *e = strchr(p, ']');
	if (!e)
		return 0;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	snprintf(name, size, "%.*s", (int)(e - p), p);
	return 1;
}

/* Is line "key = ..." (not indented) for key? */
static int is_key(const char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n))
		return 0;
	const char *p = line + n;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=';
}

int ct_qa_write_scores(const struct ct_qa *q, const char *path)
{
	struct ct_buf in = CT_BUF_INIT, outb = CT_BUF_INIT;
	if (!q->fitted)
		return ct_error("no fitted scores to write");
	if (ct_buf_read_file(&in, path))
		return -1;
	char name[256];
	int cur_rule = -1, cur_cat = -1, wrote_key = 0;
	unsigned char *cat_done = ct_calloc(q->ncats + 1, 1);
	/* Categories without a [category] section get one before their first rule. */
	const char *p = in.buf, *end = in.buf + in.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		char *line = ct_strndup(p, len);
		p += len;
		int is_rule = header_of(line, "rule", name, sizeof(name)), is_cat = 0;
		if (!is_rule)
			is_cat = header_of(line, "category", name, sizeof(name));
		if (is_rule || is_cat || line[0] == '[') {
			cur_rule = cur_cat = -1;
			wrote_key = 0;
		}
		if (is_cat) {
			cur_cat = cat_index(q, name);
			if (cur_cat >= 0)
				cat_done[cur_cat] = 1;
		}
		if (is_rule) {
			for (size_t ri = 0; ri < q->r->n; ri++)
				if (!strcmp(q->r->v[ri].id, name) && !isnan(q->fitted[ri]))
					cur_rule = (int)ri;
			if (cur_rule >= 0) {
				int c = cat_index(q, q->r->v[cur_rule].cat);
				if (c >= 0 && !cat_done[c] && !isnan(q->fitted_thr[c])) {
					ct_buf_addf(&outb, "[category %s]\nthreshold = %g\n\n", q->cats[c], q->fitted_thr[c]);
					cat_done[c] = 1;
				}
			}
		}
		if (cur_rule >= 0 && (is_key(line, "score") || is_key(line, "weight"))) {
			if (!wrote_key)
				ct_buf_addf(&outb, "score = %g\n", q->fitted[cur_rule]);
			wrote_key = 1;
		} else if (cur_cat >= 0 && is_key(line, "threshold") && !isnan(q->fitted_thr[cur_cat])) {
			ct_buf_addf(&outb, "threshold = %g\n", q->fitted_thr[cur_cat]);
		} else {
			ct_buf_addstr(&outb, line);
			if (!nl && len && line[len - 1] != '\n')
				ct_buf_addch(&outb, '\n');
			if (cur_rule >= 0 && !wrote_key && is_key(line, "category")) {
				ct_buf_addf(&outb, "score = %g\n", q->fitted[cur_rule]);
				wrote_key = 1;
			}
		}
		free(line);
	}
	free(cat_done);
	/* Written beside and renamed: a crash leaves the old file whole. */
	char *tmp = ct_xstrfmt("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int ret = 0;
	if (!f || fwrite(outb.buf, 1, outb.len, f) != outb.len || fclose(f)) {
		ret = ct_error("cannot write '%s': %s", tmp, strerror(errno));
		if (f)
			unlink(tmp);
	} else if (rename(tmp, path)) {
		ret = ct_error("cannot replace '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	ct_buf_release(&in);
	ct_buf_release(&outb);
	return ret;
}
