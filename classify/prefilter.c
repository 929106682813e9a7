/*
 * prefilter.c - the literal prefilter: for each rule a set of literals
 * ("anchors") one of which every match must contain, taken from the pattern
 * (or declared with "anchors ="), and a table that finds all of them in one
 * pass over the text. PCRE2 then runs only on the sentences around a hit.
 *
 * The extraction is conservative: it reads the pattern as a sequence of
 * atoms and quantifiers and keeps only what every match must contain. A
 * branch it cannot vouch for (no required literal of 3 or more ASCII bytes)
 * leaves the rule without anchors, and such a rule simply always runs.
 */
#include "classify_p.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A set of literals; ok = 0 means "no requirement known". */
struct litset {
	struct ct_strlist v;
	int ok;
	int start;    /* every literal begins the match (only \b and the like before it) */
};

/* Every required set of a branch (for the confirm step), when collected. */
struct setlist {
	struct litset *v;
	size_t n, alloc;
};

struct px {
	const char *p, *end;
	int fail;     /* something we do not understand: give up on the whole pattern */
	struct setlist *all;  /* top-level branch: collect every required set here */
};

static void set_clear(struct litset *s)
{
	ct_strlist_clear(&s->v);
	s->ok = 0;
}

/*
 * Words so frequent in mail that an anchor on them would send most sentences
 * to PCRE2: they count as the shortest usable literal, so a rarer one wins.
 */
static const char *const very_common[] = {
	"the", "and", "for", "you", "our", "not", "are", "was", "can", "all", "any", "get", "let", "one",
	"end", "with", "have", "that", "this", "your", "from", "will", "please", "more", "did", "didn",
	"when", "than", "then", "they", "them", "been", "what", "here", "there", "about", "just", "also",
	"only", "were", "would", "could", "should", "thank", "thanks", "know", "need", "sure", "nicht",
	"und", "die", "der", "das", "sie", "wir", "ich", "mit", "ein", "eine",
};
static const char *const often_common[] = {
	"over", "send", "sent", "back", "still", "said", "best", "right", "take", "make", "call", "plan",
	"time", "team", "email", "mail", "help", "done", "live", "ready", "hand", "pass", "mov", "rout",
	"refer", "keep", "give", "account", "service", "update", "reply", "answer", "message", "request",
	"asked", "pay", "payment", "charge", "invoice", "bill", "amount", "price", "total", "agree",
	"agreed", "match", "contract", "signed", "support", "sales", "customer", "product", "manager",
	"question", "issue", "matter", "able", "other", "another", "leider", "weiter", "melden",
	"gesetzt", "sollte", "bereits", "antwort", "rechnung", "vertrag", "show", "list", "before", "after",
	"since", "though", "although", "close", "leave", "something", "area", "desk",
};

/* Both lists in one table by hash (asked for every literal of every set while a rule set loads). */
#define COMMON_SLOTS 512
static struct {
	const char *w;
	int rank;
} common_tab[COMMON_SLOTS];
static pthread_once_t common_once = PTHREAD_ONCE_INIT;

static size_t common_slot(const char *w)
{
	return (size_t)ct_hash64(w, strlen(w), 0) & (COMMON_SLOTS - 1);
}

static void common_add(const char *const *v, size_t n, int rank)
{
	for (size_t i = 0; i < n; i++) {
		size_t h = common_slot(v[i]);
		while (common_tab[h].w && strcmp(common_tab[h].w, v[i]))
			h = (h + 1) & (COMMON_SLOTS - 1);
		if (!common_tab[h].w) {
			common_tab[h].w = v[i];
			common_tab[h].rank = rank;
		}
	}
}

static void common_init(void)
{
	common_add(very_common, CT_ARRAY_SIZE(very_common), 2);
	common_add(often_common, CT_ARRAY_SIZE(often_common), 1);
}

/*
 * Words so frequent in mail that an anchor on them would send most sentences
 * to PCRE2: they count as the shortest usable literal, so a rarer one wins.
 * 2: in nearly every sentence; 1: in many; 0: neither.
 */
static int common_word(const char *w)
{
	pthread_once(&common_once, common_init);
	for (size_t h = common_slot(w); common_tab[h].w; h = (h + 1) & (COMMON_SLOTS - 1))
		if (!strcmp(common_tab[h].w, w))
			return common_tab[h].rank;
	return 0;
}

/* Shortest literal of the set (0 when there is no set). */
static size_t set_score(const struct litset *s)
{
	size_t m = SIZE_MAX;
	if (!s->ok || !s->v.n)
		return 0;
	for (size_t i = 0; i < s->v.n; i++) {
		size_t l = strlen(s->v.v[i]);
		if (l < m)
			m = l;
	}
	return m;
}

/*
 * Expected cost of scanning for a set: the sum over its literals of how often
 * each is likely to occur (frequent words and short literals cost more).
 */
static size_t set_cost(const struct litset *s)
{
	size_t c = 0;
	for (size_t i = 0; i < s->v.n; i++) {
		size_t l = strlen(s->v.v[i]);
		int cw = common_word(s->v.v[i]);
		c += cw == 2 ? 10000 : cw ? 100 : l >= 6 ? 1 : l == 5 ? 2 : l == 4 ? 5 : 20;
	}
	return c;
}

/* Better candidate: usable (3 bytes or more) and cheaper. */
static int set_better(const struct litset *a, const struct litset *b)
{
	if ((set_score(a) >= 3) != (set_score(b) >= 3))
		return set_score(a) >= 3;
	/* A set that begins the match allows one anchored attempt per hit instead of a sentence search. */
	return set_cost(a) * (a->start ? 1 : 3) < set_cost(b) * (b->start ? 1 : 3);
}

static void take_candidate(struct px *x, struct litset *best, struct litset *cand)
{
	if (x->all && set_score(cand) >= 3) {
		CT_ALLOC_GROW(x->all->v, x->all->n + 1, x->all->alloc);
		struct litset *c = &x->all->v[x->all->n++];
		memset(c, 0, sizeof(*c));
		c->ok = 1;
		c->start = cand->start;
		for (size_t i = 0; i < cand->v.n; i++)
			ct_strlist_push(&c->v, cand->v.v[i]);
	}
	if (set_score(cand) >= 3 && (!best->ok || set_better(cand, best))) {
		set_clear(best);
		*best = *cand;
		memset(cand, 0, sizeof(*cand));
		return;
	}
	set_clear(cand);
}

static void end_run(struct px *x, struct ct_buf *run, struct litset *best, int start)
{
	size_t s = 0, e = run->len;
	while (s < e && run->buf[s] == ' ')
		s++;
	while (e > s && run->buf[e - 1] == ' ')
		e--;
	if (e - s >= 3) {
		struct litset c = { CT_STRLIST_INIT, 1, start && s == 0 };
		ct_strlist_push_owned(&c.v, ct_strndup(run->buf + s, e - s));
		take_candidate(x, best, &c);
	}
	ct_buf_reset(run);
}

/* Index of the ')' closing the group whose '(' is at p (or end). */
static const char *group_end(const char *p, const char *end)
{
	int depth = 0;
	for (; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '[') {
			p++;
			if (p < end && *p == '^')
				p++;
			if (p < end && *p == ']')
				p++;
			for (; p < end && *p != ']'; p++) {
				if (*p == '\\')
					p++;
				else if (*p == '[' && p + 1 < end && p[1] == ':') {
					const char *q = strstr(p, ":]");
					if (q && q < end)
						p = q + 1;
				}
			}
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
	}
	return end;
}

/* The next '|' at the top level of p (not in a group, a class or an escape), or end. */
static const char *alt_end(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '(') {
			const char *q = group_end(p, end);
			p = q < end ? q : end - 1;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;
			if (q < end && *q == '^')
				q++;
			if (q < end && *q == ']')
				q++;
			for (; q < end && *q != ']'; q++)
				if (*q == '\\')
					q++;
			p = q < end ? q : end - 1;
			continue;
		}
		if (*p == '|')
			return p;
	}
	return end;
}

enum quant { Q_NONE, Q_OPT, Q_PLUS };

/* Reads a quantifier at x->p, if any. */
static enum quant read_quant(struct px *x)
{
	enum quant q = Q_NONE;
	const char *p = x->p;
	if (p >= x->end)
		return Q_NONE;
	if (*p == '?' || *p == '*') {
		q = Q_OPT;
		p++;
	} else if (*p == '+') {
		q = Q_PLUS;
		p++;
	} else if (*p == '{') {
		const char *s = p + 1;
		long n = 0;
		int digits = 0;
		while (s < x->end && *s >= '0' && *s <= '9') {
			n = n * 10 + (*s - '0');
			s++;
			digits++;
		}
		if (!digits)
			return Q_NONE; /* a literal '{' (PCRE2 reads "{,n}" as such too, in older versions) */
		if (s < x->end && *s == ',') {
			s++;
			while (s < x->end && *s >= '0' && *s <= '9')
				s++;
		}
		if (s >= x->end || *s != '}')
			return Q_NONE;
		p = s + 1;
		q = n == 0 ? Q_OPT : Q_PLUS;
	} else {
		return Q_NONE;
	}
	if (p < x->end && (*p == '?' || *p == '+'))
		p++;
	x->p = p;
	return q;
}

static void parse_alt(struct px *x, const char *end, struct litset *out);

/* One branch (no top-level '|') from x->p to end. */
static void parse_seq(struct px *x, const char *end, struct litset *best)
{
	struct ct_buf run = CT_BUF_INIT;
	int at_first = 1;     /* nothing that consumes text seen yet */
	int run_first = 0;    /* the current run began at the first consuming item */
	best->ok = 0;
	best->start = 0;
	memset(&best->v, 0, sizeof(best->v));
	while (x->p < end && !x->fail) {
		unsigned char c = (unsigned char)*x->p;
		if (c == '\\') {
			x->p++;
			if (x->p >= end) {
				x->fail = 1;
				break;
			}
			unsigned char e = (unsigned char)*x->p++;
			if (e == 'b' || e == 'B' || e == 'A' || e == 'G') {
				/* Zero-width: the match may still begin right here. */
				end_run(x, &run, best, run_first);
				continue;
			}
			if (e == 'Q') {
				const char *q = strstr(x->p, "\\E");
				x->p = q && q < end ? q + 2 : end;
				end_run(x, &run, best, run_first);
				read_quant(x);
				at_first = 0;
				continue;
			}
			if ((e == 'p' || e == 'P' || e == 'x' || e == 'o' || e == 'g' || e == 'k' || e == 'N') &&
			    x->p < end && (*x->p == '{' || *x->p == '<' || *x->p == '\'')) {
				char close = *x->p == '{' ? '}' : *x->p == '<' ? '>' : '\'';
				const char *q = memchr(x->p, close, (size_t)(end - x->p));
				x->p = q ? q + 1 : end;
			} else if (e == 'x') {
				for (int k = 0; k < 2 && x->p < end && strchr("0123456789abcdefABCDEF", *x->p); k++)
					x->p++;
			} else if (e == 'c' && x->p < end) {
				x->p++;
			} else if ((e == 'p' || e == 'P') && x->p < end) {
				x->p++;  /* \pL: a one-letter property */
			} else if (e == 'g') {
				/* \g1, \g-1: a back reference by number */
				if (x->p < end && (*x->p == '-' || *x->p == '+'))
					x->p++;
				while (x->p < end && *x->p >= '0' && *x->p <= '9')
					x->p++;
			} else if (e == '0') {
				/* \012: up to two more octal digits */
				for (int k = 0; k < 2 && x->p < end && *x->p >= '0' && *x->p <= '7'; k++)
					x->p++;
			} else if (e >= '1' && e <= '9') {
				/* \1, \12 (back references) or \101 (octal): all its digits, never literal text */
				while (x->p < end && *x->p >= '0' && *x->p <= '9')
					x->p++;
			}
			if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9') || e >= 0x80) {
				end_run(x, &run, best, run_first);
				read_quant(x);
				at_first = 0;
				continue;
			}
			/* An escaped punctuation character is itself. */
			size_t before = run.len;
			if (!run.len)
				run_first = at_first;
			at_first = 0;
			ct_buf_addch(&run, e);
			enum quant q = read_quant(x);
			if (q == Q_OPT) {
				ct_buf_setlen(&run, before);
				end_run(x, &run, best, run_first);
			} else if (q == Q_PLUS) {
				end_run(x, &run, best, run_first);
			}
			continue;
		}
		if (c == '[') {
			const char *p = x->p + 1;
			if (p < end && *p == '^')
				p++;
			if (p < end && *p == ']')
				p++;
			for (; p < end && *p != ']'; p++) {
				if (*p == '\\')
					p++;
				else if (*p == '[' && p + 1 < end && p[1] == ':') {
					const char *q = strstr(p, ":]");
					if (q && q < end)
						p = q + 1;
				}
			}
			x->p = p < end ? p + 1 : end;
			end_run(x, &run, best, run_first);
			read_quant(x);
			at_first = 0;
			continue;
		}
		if (c == '(') {
			const char *ge = group_end(x->p, end);
			const char *in = x->p + 1;
			int usable = 1, zero_width = 0;
			if (ge >= end) {
				x->fail = 1;
				break;
			}
			if (*in == '*') {
				usable = 0;     /* (*MARK:...), (*UCP) and other verbs */
				zero_width = 1;
			} else if (*in == '?') {
				in++;
				if (*in == ':' || *in == '>' || *in == '|') {
					in++;
				} else if (*in == 'P' && in[1] == '<') {
					in = memchr(in, '>', (size_t)(ge - in));
					in = in ? in + 1 : ge;
				} else if ((*in == '<' && in[1] != '=' && in[1] != '!') || *in == '\'') {
					char close = *in == '<' ? '>' : '\'';
					in = memchr(in + 1, close, (size_t)(ge - in - 1));
					in = in ? in + 1 : ge;
				} else if (*in == '=' || *in == '!' || *in == '<' || *in == '#' || *in == '(' ||
					   *in == 'R' || *in == '&' || (*in >= '0' && *in <= '9') || *in == '+' ||
					   *in == 'C') {
					usable = 0; /* lookaround, comment, condition, recursion, callout */
					zero_width = *in == '=' || *in == '!' || *in == '<' || *in == '#' || *in == 'C';
				} else {
					/* Option setting: (?i) (?-i) (?i:...). Extended mode changes what a literal is. */
					const char *f = in;
					while (f < ge && *f != ':' && *f != ')') {
						if (*f == 'x') {
							x->fail = 1;
							break;
						}
						f++;
					}
					if (f < ge && *f == ':')
						in = f + 1;
					else {
						usable = 0; /* (?i) alone: nothing to read inside */
						zero_width = 1;
					}
				}
			}
			struct litset g = { CT_STRLIST_INIT, 0, 0 };
			if (usable && !x->fail) {
				struct px sub = { in, ge, 0, NULL };
				parse_alt(&sub, ge, &g);
				if (sub.fail)
					x->fail = 1;
			}
			x->p = ge + 1;
			end_run(x, &run, best, run_first);
			enum quant q = read_quant(x);
			if (q == Q_OPT)
				set_clear(&g);
			g.start = g.start && at_first;
			if (!zero_width)
				at_first = 0;
			take_candidate(x, best, &g);
			continue;
		}
		if (c == '|' || c == ')') {
			x->fail = 1;  /* parse_alt splits branches; a stray ')' is not ours to read */
			break;
		}
		if (c == '.' || c == '^' || c == '$' || c >= 0x80 || c < 0x20) {
			x->p++;
			while (c >= 0x80 && x->p < end && ((unsigned char)*x->p & 0xC0) == 0x80)
				x->p++;
			end_run(x, &run, best, run_first);
			read_quant(x);
			if (c != '^')
				at_first = 0;
			continue;
		}
		if (c == '*' || c == '+' || c == '?') {
			x->fail = 1;
			break;
		}
		x->p++;
		size_t before = run.len;
		if (!run.len)
			run_first = at_first;
		at_first = 0;
		ct_buf_addch(&run, (c >= 'A' && c <= 'Z') ? c + 32 : c);
		enum quant q = read_quant(x);
		if (q == Q_OPT) {
			ct_buf_setlen(&run, before);
			end_run(x, &run, best, run_first);
		} else if (q == Q_PLUS) {
			end_run(x, &run, best, run_first);
		}
	}
	end_run(x, &run, best, run_first);
	ct_buf_release(&run);
	if (x->fail)
		set_clear(best);
}

static void parse_alt(struct px *x, const char *end, struct litset *out)
{
	out->ok = 1;
	out->start = 1;
	memset(&out->v, 0, sizeof(out->v));
	while (!x->fail) {
		/* Find the end of this branch: the next top-level '|'. */
		const char *be = alt_end(x->p, end);
		struct litset b;
		parse_seq(x, be, &b);
		if (!b.ok || !b.v.n) {
			set_clear(&b);
			set_clear(out);
			/* Skip the rest: one branch without a requirement spoils the group. */
			x->p = end;
			return;
		}
		out->start = out->start && b.start;
		for (size_t i = 0; i < b.v.n; i++)
			if (!ct_strlist_has(&out->v, b.v.v[i]))
				ct_strlist_push(&out->v, b.v.v[i]);
		set_clear(&b);
		if (be >= end)
			break;
		x->p = be + 1;
	}
	if (x->fail || out->v.n > 64)
		set_clear(out);
	x->p = end;
}

static int strlist_equal(const struct ct_strlist *a, const struct ct_strlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}



int ct_pf_syntax_ok(const char *p, int what)
{
	for (; *p; p++) {
		if (*p == '\\') {
			char c = p[1];
			if ((what & PF_MOVE) && (c == 'Q' || c == 'E'))
				return 0;
			if ((what & PF_ALONE) && ((c >= '1' && c <= '9') || c == 'g' || c == 'k'))
				return 0;
			if (c)
				p++;
			continue;
		}
		if (p[0] == '(' && p[1] == '*')
			return 0;
		if (p[0] != '(' || p[1] != '?')
			continue;
		char c = p[2];
		/* Lookaround, atomic and named groups (a name is harmless unless referred to: \k, (?&, (?P=). */
		if (c == ':' || c == '=' || c == '!' || c == '>' || c == '<' || c == '\'' || (c == 'P' && p[3] == '<'))
			continue;
		/* A branch reset or a comment may hold a '|' that is not a branch's end. */
		if ((c == '|' || c == '#') && !(what & PF_MOVE))
			continue;
		/* An option group, (?i:...) or (?-i:...), keeps its options inside; (?i) alone does not. */
		const char *f = p + 2;
		while (*f == '-' || *f == 'i' || *f == 'm' || *f == 's' || *f == 'n' || *f == 'U')
			f++;
		if (f > p + 2 && *f == ':')
			continue;
		return 0;
	}
	return 1;
}

/* Is p (after a group) a quantifier? */
static int quantifier_at(const char *p, const char *end)
{
	return p < end && (*p == '?' || *p == '*' || *p == '+' || (*p == '{' && p + 1 < end && isdigit((unsigned char)p[1])));
}

/* How many alternatives p..end has at its top level (1 for none; an empty range at end: 0 more). */
static size_t count_alts(const char *p, const char *end)
{
	size_t n = 1;
	while ((p = alt_end(p, end)) < end) {
		n++;
		p++;
	}
	return n;
}

/* Does the group text p..end hold a group of its own (a [define], a nested choice)? */
static int has_group(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '(')
			return 1;
	}
	return 0;
}

/* Most branches a flattened rule keeps: more would swell the prefilter's table. */
#define PF_MAX_BRANCHES 64

/*
 * Appends the alternatives of p..end to out, each between pfx and sfx,
 * opening a non-capturing group that starts an alternative (after word
 * boundaries only): (?:A|B)R is AR|BR, tried in the same order. A group
 * with more after it is opened only when it holds groups itself (a
 * [define], not a word list such as (?:the|our)), and never when
 * quantified. Stops at PF_MAX_BRANCHES branches (*n counts them).
 */
static void flatten_into(struct ct_buf *out, const struct ct_buf *pfx, const char *p, const char *end,
			 const char *sfx, size_t sfxlen, size_t reserve, int depth, size_t *n)
{
	size_t left = count_alts(p, end);   /* alternatives at this level from p on */
	for (;;) {
		const char *ae = alt_end(p, end), *q = p, *ge = NULL;
		left--;
		/* Word boundaries only before the group: they hold the same wherever the group's branches go. */
		while (ae - q >= 2 && q[0] == '\\' && q[1] == 'b')
			q += 2;
		if (depth < 8 && ae - q >= 4 && !strncmp(q, "(?:", 3))
			ge = group_end(q, ae);
		/* Opened only while the branches, those still to come here and above (reserve) counted, stay within PF_MAX_BRANCHES. */
		size_t later = left;
		if (ge && ge < ae && (ge == ae - 1 || (!quantifier_at(ge + 1, ae) && has_group(q + 3, ge))) &&
		    *n + count_alts(q + 3, ge) + later + reserve <= PF_MAX_BRANCHES) {
			struct ct_buf pfx2 = CT_BUF_INIT, sfx2 = CT_BUF_INIT;
			ct_buf_add(&pfx2, pfx->buf, pfx->len);
			ct_buf_add(&pfx2, p, (size_t)(q - p));
			ct_buf_add(&sfx2, ge + 1, (size_t)(ae - ge - 1));
			ct_buf_add(&sfx2, sfx, sfxlen);
			flatten_into(out, &pfx2, q + 3, ge, sfx2.buf ? sfx2.buf : "", sfx2.len, reserve + later, depth + 1, n);
			ct_buf_release(&pfx2);
			ct_buf_release(&sfx2);
		} else {
			if ((*n)++)
				ct_buf_addch(out, '|');
			ct_buf_add(out, pfx->buf, pfx->len);
			ct_buf_add(out, p, (size_t)(ae - p));
			ct_buf_add(out, sfx, sfxlen);
		}
		if (ae >= end)
			break;
		p = ae + 1;
	}
}

char *ct_pf_flatten(const char *pattern)
{
	if (!ct_pf_syntax_ok(pattern, PF_MOVE))
		return NULL;
	const char *end = pattern + strlen(pattern);
	size_t before = 0, after = 0;
	for (const char *p = pattern;; p++) {
		p = alt_end(p, end);
		before++;
		if (p >= end)
			break;
	}
	struct ct_buf out = CT_BUF_INIT, pfx = CT_BUF_INIT;
	flatten_into(&out, &pfx, pattern, end, "", 0, 0, 0, &after);
	ct_buf_release(&pfx);
	/* Nothing gained, or so many branches that the prefilter table would swell: keep the pattern. */
	if (after == before || after > PF_MAX_BRANCHES) {
		ct_buf_release(&out);
		return NULL;
	}
	return ct_buf_detach(&out, NULL);
}

void ct_pf_branches_free(struct pf_branch *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ct_lazy_re_free(&v[i].search);
		ct_lazy_re_free(&v[i].at);
	}
	for (size_t i = 0; i < n; i++) {
		ct_strlist_clear(&v[i].anchors);
		for (size_t k = 0; k < v[i].nconfirm; k++)
			ct_strlist_clear(&v[i].confirm[k]);
		free(v[i].confirm);
	}
	free(v);
}

int ct_pf_branches(const char *pattern, struct pf_branch **out, size_t *nout)
{
	const char *end = pattern + strlen(pattern);
	struct px x = { pattern, end, 0, NULL };
	struct pf_branch *v = NULL;
	size_t n = 0, alloc = 0;
	*out = NULL;
	*nout = 0;
	while (!x.fail) {
		/* The next top-level '|' ends this branch (as in parse_alt). */
		const char *be = alt_end(x.p, end);
		struct setlist all = { NULL, 0, 0 };
		struct litset best;
		const char *bstart = x.p;
		x.all = &all;
		parse_seq(&x, be, &best);
		x.all = NULL;
		int usable = !x.fail && best.ok && set_score(&best) >= 3;
		if (usable) {
			CT_ALLOC_GROW(v, n + 1, alloc);
			struct pf_branch *br = &v[n++];
			memset(br, 0, sizeof(*br));
			br->start = best.start;
			br->off = (size_t)(bstart - pattern);
			br->len = (size_t)(be - bstart);
			for (size_t i = 0; i < best.v.n; i++)
				ct_strlist_push(&br->anchors, best.v.v[i]);
			/* Every other required set must also be in the sentence: checked before PCRE2 runs. */
			for (size_t k = 0; k < all.n; k++) {
				if (strlist_equal(&all.v[k].v, &best.v) || all.v[k].v.n > 16)
					continue;
				CT_ALLOC_GROW(br->confirm, br->nconfirm + 1, br->confirm_alloc);
				memset(&br->confirm[br->nconfirm], 0, sizeof(br->confirm[0]));
				for (size_t i = 0; i < all.v[k].v.n; i++)
					ct_strlist_push(&br->confirm[br->nconfirm], all.v[k].v.v[i]);
				br->nconfirm++;
			}
		}
		for (size_t k = 0; k < all.n; k++)
			set_clear(&all.v[k]);
		free(all.v);
		set_clear(&best);
		if (!usable) {
			ct_pf_branches_free(v, n);
			return -1;
		}
		if (be >= end)
			break;
		x.p = be + 1;
	}
	if (x.fail) {
		ct_pf_branches_free(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

int ct_pf_extract(const char *pattern, struct ct_strlist *out, int *at_start)
{
	struct px x = { pattern, pattern + strlen(pattern), 0, NULL };
	struct litset s;
	*at_start = 0;
	parse_alt(&x, x.end, &s);
	if (x.fail || !s.ok || set_score(&s) < 3) {
		set_clear(&s);
		return 0;
	}
	*at_start = s.start;
	for (size_t i = 0; i < s.v.n; i++)
		ct_strlist_push(out, s.v.v[i]);
	set_clear(&s);
	return (int)out->n;
}

void ct_pf_build(struct ct_rules *r)
{
	struct prefilter *pf = &r->pf;
	uint32_t *slots = NULL;   /* open addressing: anchor index + 1 by hash of its literal */
	size_t nslots = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];
		if (!(ru->fields & FIELD_BODY))
			continue;
		if (!ru->nbr) {
			CT_ALLOC_GROW(pf->always, pf->nalways + 1, pf->always_alloc);
			pf->always[pf->nalways++] = (uint32_t)i;
			continue;
		}
		for (size_t b = 0; b < ru->nbr && b < 0xffff; b++)
			for (size_t k = 0; k < ru->br[b].anchors.n; k++) {
				const char *lit = ru->br[b].anchors.v[k];
				uint32_t ref = (uint32_t)i << 16 | (uint32_t)b;
				/* The literal's entry, by hash (thousands of branches share a few hundred literals). */
				if (2 * (pf->n + 1) > nslots) {
					size_t ns = nslots ? 2 * nslots : 1024;
					uint32_t *t = ct_calloc(ns, sizeof(*t));
					for (size_t a = 0; a < pf->n; a++) {
						size_t h = (size_t)ct_hash64(pf->v[a].lit, pf->v[a].len, 0) & (ns - 1);
						while (t[h])
							h = (h + 1) & (ns - 1);
						t[h] = (uint32_t)a + 1;
					}
					free(slots);
					slots = t;
					nslots = ns;
				}
				size_t h = (size_t)ct_hash64(lit, strlen(lit), 0) & (nslots - 1), a = pf->n;
				for (; slots[h]; h = (h + 1) & (nslots - 1))
					if (!strcmp(pf->v[slots[h] - 1].lit, lit)) {
						a = slots[h] - 1;
						break;
					}
				if (a == pf->n) {
					slots[h] = (uint32_t)a + 1;
					CT_ALLOC_GROW(pf->v, pf->n + 1, pf->alloc);
					memset(&pf->v[a], 0, sizeof(pf->v[a]));
					pf->v[a].lit = ct_strdup(lit);
					pf->v[a].len = strlen(lit);
					pf->n++;
				}
				struct anchor *an = &pf->v[a];
				if (an->nrules && an->rules[an->nrules - 1] == ref)
					continue;
				CT_ALLOC_GROW(an->rules, an->nrules + 1, an->rules_alloc);
				an->rules[an->nrules++] = ref;
			}
	}
	free(slots);
	size_t nb = (size_t)1 << PF_BUCKET_BITS;
	pf->entries = ct_calloc(pf->n ? pf->n : 1, sizeof(*pf->entries));
	memset(pf->bucket, 0, sizeof(pf->bucket));
	memset(pf->short_of, 0, sizeof(pf->short_of));
	pf->nshort = 0;
	for (size_t a = 0; a < pf->n; a++) {
		if (pf->v[a].len < 3) {
			/* Not in the 3-byte table: the scan looks each byte up in short_of. */
			pf->short_of[(unsigned char)pf->v[a].lit[0]] = (uint32_t)a + 1;
			pf->nshort++;
			continue;
		}
		uint32_t h = pf_hash3((const unsigned char *)pf->v[a].lit);
		pf->bitmap[h >> 6] |= (uint64_t)1 << (h & 63);
		pf->bucket[(h >> (PF_BITS - PF_BUCKET_BITS)) + 1]++;
	}
	for (size_t b = 0; b < nb; b++)
		pf->bucket[b + 1] += pf->bucket[b];
	uint32_t *fill = ct_calloc(nb, sizeof(*fill));
	for (size_t a = 0; a < pf->n; a++) {
		if (pf->v[a].len < 3)
			continue;
		const unsigned char *l = (const unsigned char *)pf->v[a].lit;
		uint32_t h = pf_hash3(l) >> (PF_BITS - PF_BUCKET_BITS);
		struct pf_entry *en = &pf->entries[pf->bucket[h] + fill[h]++];
		size_t n = pf->v[a].len < 4 ? pf->v[a].len : 4;
		en->key = 0;
		en->mask = 0;
		for (size_t k = 0; k < n; k++) {
			en->key |= (uint32_t)(l[k] | 0x20) << (8 * k);
			en->mask |= 0xffu << (8 * k);
		}
		en->anchor = (uint32_t)a;
	}
	free(fill);
}

int ct_pf_short_ok(unsigned char c)
{
	return c > ' ' && c < 0x7f && !(c >= '0' && c <= '9') && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

void ct_pf_release(struct prefilter *pf)
{
	for (size_t a = 0; a < pf->n; a++) {
		free(pf->v[a].lit);
		free(pf->v[a].rules);
	}
	free(pf->v);
	free(pf->entries);
	free(pf->always);
	memset(pf, 0, sizeof(*pf));
}

/*
 * Without the prefilter every body rule runs on every authored segment, as
 * a rule without anchors does: the reading the prefilter must not change
 * (the differential test and "rules check" compare the two).
 */
void ct_pf_set_enabled(struct ct_rules *r, int on)
{
	struct prefilter *pf = &r->pf;
	ct_pf_release(pf);
	if (on) {
		ct_pf_build(r);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (!(r->v[i].fields & FIELD_BODY))
			continue;
		CT_ALLOC_GROW(pf->always, pf->nalways + 1, pf->always_alloc);
		pf->always[pf->nalways++] = (uint32_t)i;
	}
}
