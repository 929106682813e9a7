/*
 * bench_classify.c - classifier throughput over decoded text, one core.
 *
 *   bench_classify [--rules FILE] [--min-seconds S] INPUT
 *   bench_classify --patterns FILE      one pattern per line (for rg -f)
 *   bench_classify --per-rule [--rules FILE] INPUT
 *
 * INPUT is a directory (each regular file is one body) or one file of bodies
 * separated by lines holding only the byte 0x1e. Two figures:
 *  - one pass: every body tagged once, senders alternating customer/staff,
 *    as ingest does it;
 *  - every rule on every byte: each body tagged as a customer's and as
 *    staff's, so every rule runs over all the text as with rg; the figure is
 *    body bytes per second of both passes (the one compared with rg).
 * Each figure is the best of three timed runs after a warm-up round. Also
 * prints the text preparation alone.
 *
 * --per-rule: where the time goes. Each [rule] of FILE is loaded alone (with
 * every [define] and [category]) and timed over one pass of INPUT, senders
 * alternating (best of three after a warm-up pass); the rules are listed
 * costliest first, each with its time less that of the cheapest rule (which
 * is mostly text preparation and the literal scan every rule set pays once).
 */
#include "../../classify/classify.h"
#include "../../classify/classify_p.h"
#include "../../base/base.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct body {
	char *s;
	size_t len;
};

static struct body *bodies;
static size_t nbodies, bodies_alloc, total;

static void add_body(const char *s, size_t len)
{
	CT_ALLOC_GROW(bodies, nbodies + 1, bodies_alloc);
	bodies[nbodies].s = ct_strndup(s, len);
	bodies[nbodies].len = len;
	nbodies++;
	total += len;
}

static int load_input(const char *path)
{
	struct stat st;
	struct ct_buf b = CT_BUF_INIT;
	if (stat(path, &st))
		return ct_error("cannot read '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		if (!d)
			return ct_error("cannot open '%s'", path);
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char *p = ct_xstrfmt("%s/%s", path, e->d_name);
			ct_buf_reset(&b);
			if (!stat(p, &st) && S_ISREG(st.st_mode) && !ct_buf_read_file(&b, p))
				add_body(b.buf, b.len);
			free(p);
		}
		closedir(d);
		ct_buf_release(&b);
		return 0;
	}
	if (ct_buf_read_file(&b, path))
		return -1;
	size_t p = 0;
	while (p < b.len) {
		const char *sep = memmem(b.buf + p, b.len - p, "\n\x1e\n", 3);
		size_t e = sep ? (size_t)(sep - b.buf) : b.len;
		if (e > p)
			add_body(b.buf + p, e - p);
		p = sep ? e + 3 : b.len;
	}
	ct_buf_release(&b);
	return 0;
}

struct rule_cost {
	char *id;
	double secs;
	long hits;
};

static int cost_cmp(const void *a, const void *b)
{
	const struct rule_cost *x = a, *y = b;
	return x->secs < y->secs ? 1 : x->secs > y->secs ? -1 : 0;
}

/* One pass over the bodies, senders alternating: seconds (best of three after a warm-up), tags to *hits. */
static double time_pass(const struct ct_rules *r, long *hits)
{
	struct ct_tags tags = CT_TAGS_INIT;
	double best = 0;
	for (int rep = 0; rep < 4; rep++) {
		double t0 = ct_now_mono();
		*hits = 0;
		for (size_t i = 0; i < nbodies; i++) {
			if (ct_classify_hits(r, "", bodies[i].s, bodies[i].len, (int)(i & 1), &tags))
				return -1;
			*hits += (long)tags.n;
			ct_tags_clear(&tags);
		}
		double el = ct_now_mono() - t0;
		if (rep && (best == 0 || el < best))
			best = el;
	}
	return best;
}

static int per_rule(const char *rules_path)
{
	struct ct_buf f = CT_BUF_INIT, common = CT_BUF_INIT, one = CT_BUF_INIT;
	struct rule_cost *v = NULL;
	size_t n = 0, alloc = 0;
	if (ct_buf_read_file(&f, rules_path))
		return 2;
	/* Sections: every [define] and [category] goes with each rule; [promise] and [kept] are left out. */
	const char *p = f.buf, *end = f.buf + f.len;
	while (p < end) {
		const char *e = p;
		do {
			const char *nl = memchr(e, '\n', (size_t)(end - e));
			e = nl ? nl + 1 : end;
		} while (e < end && *e != '[');
		if (!strncmp(p, "[define ", 8) || !strncmp(p, "[category ", 10))
			ct_buf_add(&common, p, (size_t)(e - p));
		p = e;
	}
	for (p = f.buf; p < end;) {
		const char *e = p;
		do {
			const char *nl = memchr(e, '\n', (size_t)(end - e));
			e = nl ? nl + 1 : end;
		} while (e < end && *e != '[');
		if (!strncmp(p, "[rule ", 6)) {
			const char *close = memchr(p, ']', (size_t)(e - p));
			ct_buf_reset(&one);
			ct_buf_add(&one, common.buf, common.len);
			ct_buf_add(&one, p, (size_t)(e - p));
			struct ct_rules *r;
			if (!close || ct_rules_load_string(rules_path, one.buf, stderr, &r))
				return 2;
			CT_ALLOC_GROW(v, n + 1, alloc);
			v[n].id = ct_strndup(p + 6, (size_t)(close - p - 6));
			v[n].secs = time_pass(r, &v[n].hits);
			ct_rules_free(r);
			if (v[n].secs < 0)
				return 1;
			n++;
		}
		p = e;
	}
	if (!n)
		return ct_error("no [rule] sections in '%s'", rules_path) ? 2 : 2;
	qsort(v, n, sizeof(*v), cost_cmp);
	double base = v[n - 1].secs, sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i].secs - base;
	printf("per rule: one pass over %zu bodies (%.1f MiB), each rule alone; the cheapest takes %.1f ms\n", nbodies,
	       (double)total / (1024.0 * 1024.0), base * 1000);
	for (size_t i = 0; i < n; i++) {
		printf("%8.1f ms %5.1f %%  %6ld hits  %s\n", (v[i].secs - base) * 1000,
		       sum > 0 ? 100 * (v[i].secs - base) / sum : 0.0, v[i].hits, v[i].id);
		free(v[i].id);
	}
	free(v);
	ct_buf_release(&f);
	ct_buf_release(&common);
	ct_buf_release(&one);
	return 0;
}

int main(int argc, char **argv)
{
	const char *rules_path = "config/rules.conf", *input = NULL;
	double min_secs = 1.0;
	int patterns = 0, per = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			rules_path = argv[++i];
		else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc)
			min_secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--patterns") && i + 1 < argc) {
			rules_path = argv[++i];
			patterns = 1;
		} else if (!strcmp(argv[i], "--per-rule"))
			per = 1;
		else
			input = argv[i];
	}
	if (per) {
		if (!input || load_input(input) || !nbodies) {
			fputs("usage: bench_classify --per-rule [--rules FILE] INPUT\n", stderr);
			return 2;
		}
		return per_rule(rules_path);
	}
	struct ct_rules *r;
	if (ct_rules_load(rules_path, &r))
		return 2;
	if (patterns) {
		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].fields & FIELD_BODY)
				printf("%s\n", r->v[i].pattern);
		ct_rules_free(r);
		return 0;
	}
	if (!input) {
		fputs("usage: bench_classify [--rules FILE] [--min-seconds S] INPUT | --patterns FILE | "
		      "--per-rule [--rules FILE] INPUT\n", stderr);
		return 2;
	}
	if (load_input(input) || !nbodies)
		return ct_error("no bodies in '%s'", input) ? 2 : 2;

	struct ct_tags tags = CT_TAGS_INIT;
	struct ct_spans sp = { NULL, 0, 0 };
	long ntags1 = 0, ntags2 = 0, rounds = 0;
	double best1 = 0, best2 = 0, t0, el;
	/* A warm-up round, then the best of three timed runs of each kind (the machine may be shared). */
	for (size_t i = 0; i < nbodies; i++) {
		if (ct_classify(r, "", bodies[i].s, bodies[i].len, (int)(i & 1), &tags))
			return 1;
		ct_tags_clear(&tags);
	}
	for (int rep = 0; rep < 3; rep++) {
		rounds = 0;
		t0 = ct_now_mono();
		do {
			ntags1 = 0;
			for (size_t i = 0; i < nbodies; i++) {
				if (ct_classify(r, "", bodies[i].s, bodies[i].len, (int)(i & 1), &tags))
					return 1;
				ntags1 += (long)tags.n;
				ct_tags_clear(&tags);
			}
			rounds++;
			el = ct_now_mono() - t0;
		} while (el < min_secs / 3);
		double rate = (double)total * (double)rounds / (1024.0 * 1024.0) / el;
		if (rate > best1)
			best1 = rate;
		rounds = 0;
		t0 = ct_now_mono();
		do {
			ntags2 = 0;
			for (size_t i = 0; i < nbodies; i++)
				for (int staff = 0; staff < 2; staff++) {
					if (ct_classify(r, "", bodies[i].s, bodies[i].len, staff, &tags))
						return 1;
					ntags2 += (long)tags.n;
					ct_tags_clear(&tags);
				}
			rounds++;
			el = ct_now_mono() - t0;
		} while (el < min_secs / 3);
		rate = (double)total * (double)rounds / (1024.0 * 1024.0) / el;
		if (rate > best2)
			best2 = rate;
	}
	printf("classify: one pass, senders alternating: %.0f MiB/s (%zu bodies, %.1f MiB, %zu rules, %ld tags)\n",
	       best1, nbodies, (double)total / (1024.0 * 1024.0), ct_rules_count(r), ntags1);
	printf("classify: every rule on every byte: %.0f MiB/s (each body as customer and as staff, %ld tags; "
	       "best of 3)\n", best2, ntags2);

	rounds = 0;
	t0 = ct_now_mono();
	do {
		for (size_t i = 0; i < nbodies; i++)
			ct_strip_authored(bodies[i].s, bodies[i].len, &sp);
		rounds++;
		el = ct_now_mono() - t0;
	} while (el < min_secs / 2);
	printf("classify: text preparation alone (quotes, signatures, footers): %.0f MiB/s\n",
	       (double)total * (double)rounds / (1024.0 * 1024.0) / el);
	free(sp.v);
	for (size_t i = 0; i < nbodies; i++)
		free(bodies[i].s);
	free(bodies);
	ct_rules_free(r);
	return 0;
}
