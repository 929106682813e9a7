/*
 * rules.c - rule files: INI through inih, one [rule ID] section per rule,
 * compiled once with PCRE2 (UTF + UCP, caseless unless the rule says
 * otherwise) and JIT. Every problem is reported as "file:line: ..." and the
 * load fails only after all of them were printed.
 *
 * inih (Debian build) passes no line numbers, cuts lines at 200 bytes and
 * treats an indented line as the continuation of the key above (one more
 * callback with the same key). The reader below counts lines, refuses long
 * lines instead of letting them be cut, and notes whether a line is a
 * continuation, so that a pattern may go on over several indented lines
 * (joined without a separator) while a repeated key stays a repeated key.
 */
#include "classify_p.h"
#include "../config/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

struct loader {
	const char *file;
	const struct ct_rules_org *org;
	FILE *err;
	FILE *fp;
	const char *text;       /* ct_rules_load_string */
	size_t pos, text_len;
	int line;
	int cont;               /* the current line continues the previous key */
	int errors;
	struct ct_rules *r;
	struct rule *cur;       /* NULL outside [rule ID] */
	struct define *cur_def; /* NULL outside [define NAME] */
	struct category *cur_cat; /* NULL outside [category NAME] */
	int in_other;           /* inside a section that is not a rule (already reported) */
	char last_key[32];
};

CT_PRINTF(3, 4) static void lerr(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;
	if (line > 0)
		fprintf(ld->err, "%s:%d: ", ld->file, line);
	else
		fprintf(ld->err, "%s: ", ld->file);
	va_start(ap, fmt);
	vfprintf(ld->err, fmt, ap);
	va_end(ap);
	fputc('\n', ld->err);
	ld->errors++;
}

static int valid_name(const char *s, int allow_punct)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
			continue;
		if (allow_punct && (c == '.' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

/* Is name "KIND ARG" (blank between)? Then *arg points at ARG. */
static int section_kind(const char *name, const char *kind, const char **arg)
{
	size_t n = strlen(kind);
	if (strncmp(name, kind, n) || (name[n] != ' ' && name[n] != '\t'))
		return 0;
	const char *a = name + n;
	while (*a == ' ' || *a == '\t')
		a++;
	*arg = a;
	return 1;
}

static struct category *find_category(struct ct_rules *r, const char *name)
{
	for (size_t i = 0; i < r->ncats; i++)
		if (!strcmp(r->cats[i].name, name))
			return &r->cats[i];
	return NULL;
}

static struct category *add_category(struct ct_rules *r, const char *name, int line)
{
	CT_ALLOC_GROW(r->cats, r->ncats + 1, r->cats_alloc);
	struct category *c = &r->cats[r->ncats++];
	c->name = ct_strdup(name);
	c->threshold = 1.0;
	c->line = line;
	return c;
}

static void on_define_section(struct loader *ld, const char *name)
{
	if (!valid_name(name, 0)) {
		lerr(ld, ld->line, "bad define name '%s' (letters, digits, '_')", name);
		ld->in_other = 1;
		return;
	}
	for (size_t i = 0; i < ld->r->ndefs; i++)
		if (!strcmp(ld->r->defs[i].name, name)) {
			lerr(ld, ld->line, "duplicate define '%s' (first on line %d)", name, ld->r->defs[i].line);
			ld->in_other = 1;
			return;
		}
	CT_ALLOC_GROW(ld->r->defs, ld->r->ndefs + 1, ld->r->defs_alloc);
	struct define *d = &ld->r->defs[ld->r->ndefs++];
	d->name = ct_strdup(name);
	d->pattern = NULL;
	d->line = ld->line;
	ld->cur_def = d;
}

static void on_category_section(struct loader *ld, const char *name)
{
	if (!valid_name(name, 0)) {
		lerr(ld, ld->line, "bad category '%s' (letters, digits, '_')", name);
		ld->in_other = 1;
		return;
	}
	struct category *c = find_category(ld->r, name);
	if (c && c->line > 0) {
		lerr(ld, ld->line, "duplicate [category %s] (first on line %d)", name, c->line);
		ld->in_other = 1;
		return;
	}
	if (!c)
		c = add_category(ld->r, name, ld->line);
	c->line = ld->line;
	ld->cur_cat = c;
}

static void on_section(struct loader *ld, const char *name)
{
	const char *id;
	ld->cur = NULL;
	ld->cur_def = NULL;
	ld->cur_cat = NULL;
	ld->in_other = 0;
	ld->last_key[0] = '\0';
	if (section_kind(name, "define", &id)) {
		on_define_section(ld, id);
		return;
	}
	if (section_kind(name, "category", &id)) {
		on_category_section(ld, id);
		return;
	}
	int ledger = 0;
	if (section_kind(name, "promise", &id))
		ledger = CT_LEDGER_PROMISE;
	else if (section_kind(name, "kept", &id))
		ledger = CT_LEDGER_KEPT;
	else if (!section_kind(name, "rule", &id)) {
		lerr(ld, ld->line,
		     "unknown section [%s] (a rule file holds [rule ID], [promise ID], [kept ID], [define NAME] and [category NAME] sections)",
		     name);
		ld->in_other = 1;
		return;
	}
	if (!valid_name(id, 1)) {
		lerr(ld, ld->line, "bad rule id '%s' (letters, digits, '.', '-', '_')", id);
		ld->in_other = 1;
		return;
	}
	for (size_t i = 0; i < ld->r->n; i++)
		if (!strcmp(ld->r->v[i].id, id)) {
			lerr(ld, ld->line, "duplicate rule '%s' (first on line %d)", id, ld->r->v[i].line);
			ld->in_other = 1;
			return;
		}
	CT_ALLOC_GROW(ld->r->v, ld->r->n + 1, ld->r->alloc);
	struct rule *ru = &ld->r->v[ld->r->n++];
	memset(ru, 0, sizeof(*ru));
	ru->id = ct_strdup(id);
	ru->fields = FIELD_BODY;
	ru->sender = SENDER_ANY;
	ru->caseless = 1;
	ru->score = 1.0;
	ru->line = ld->line;
	ru->ledger = ledger;
	if (ledger) {
		/* Ledger rules tag nothing: their category only names their kind. */
		ru->category = ct_strdup(ledger == CT_LEDGER_PROMISE ? "promise" : "kept");
		ru->sender = ledger == CT_LEDGER_PROMISE ? SENDER_STAFF : SENDER_ANY;
	}
	ld->cur = ru;
}

/* A number in [lo, hi] into *out; 0, or -1 when value is not one. */
static int parse_number(const char *value, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (errno || end == value || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* A key of a [define NAME] section: only pattern, which may go on over indented lines. */
static void on_define_key(struct loader *ld, const char *key, const char *value)
{
	struct define *d = ld->cur_def;
	if (strcmp(key, "pattern")) {
		lerr(ld, ld->line, "define %s: unknown key '%s' (a define holds one 'pattern')", d->name, key);
		return;
	}
	if (ld->cont && d->pattern && !strcmp(ld->last_key, key)) {
		char *n = ct_xstrfmt("%s%s", d->pattern, value);
		free(d->pattern);
		d->pattern = n;
	} else if (d->pattern) {
		lerr(ld, ld->line, "define %s: duplicate key 'pattern'", d->name);
	} else {
		d->pattern = ct_strdup(value);
	}
	snprintf(ld->last_key, sizeof(ld->last_key), "%s", key);
}

static void on_category_key(struct loader *ld, const char *key, const char *value)
{
	struct category *c = ld->cur_cat;
	double v;
	if (!strcmp(key, "threshold")) {
		if (parse_number(value, 0.001, 1000, &v))
			lerr(ld, ld->line, "category %s: bad threshold '%s' (a number from 0.001 to 1000)", c->name,
			     value);
		else
			c->threshold = v;
	} else if (strcmp(key, "description")) {
		lerr(ld, ld->line, "category %s: unknown key '%s' (known: threshold, description)", c->name, key);
	}
	snprintf(ld->last_key, sizeof(ld->last_key), "%s", key);
}

/* Sets a single-valued key; a repeat is an error, a continuation appends. */
static void set_single(struct loader *ld, char **slot, int *line_slot, const char *key, const char *value,
		       const char *joiner)
{
	if (ld->cont && *slot && !strcmp(ld->last_key, key)) {
		char *n = ct_xstrfmt("%s%s%s", *slot, joiner, value);
		free(*slot);
		*slot = n;
		return;
	}
	if (*slot) {
		lerr(ld, ld->line, "rule %s: duplicate key '%s' (first on line %d)", ld->cur->id, key,
		     line_slot ? *line_slot : ld->cur->line);
		return;
	}
	*slot = ct_strdup(value);
	if (line_slot)
		*line_slot = ld->line;
}

static void add_example(struct loader *ld, struct example **v, size_t *n, size_t *alloc, const char *key,
			const char *value)
{
	if (ld->cont && *n && !strcmp(ld->last_key, key)) {
		char *s = ct_xstrfmt("%s %s", (*v)[*n - 1].text, value);
		free((*v)[*n - 1].text);
		(*v)[*n - 1].text = s;
		return;
	}
	CT_ALLOC_GROW(*v, *n + 1, *alloc);
	(*v)[*n].text = ct_strdup(value);
	(*v)[*n].line = ld->line;
	(*n)++;
}

static void on_key(struct loader *ld, const char *key, const char *value)
{
	struct rule *ru = ld->cur;
	if (ld->in_other)
		return;
	if (ld->cur_def) {
		on_define_key(ld, key, value);
		return;
	}
	if (ld->cur_cat) {
		on_category_key(ld, key, value);
		return;
	}
	if (!ru) {
		lerr(ld, ld->line, "key '%s' outside of a [rule ID], [define NAME] or [category NAME] section", key);
		return;
	}
	if (!strcmp(key, "pattern")) {
		set_single(ld, &ru->pattern, &ru->pattern_line, key, value, "");
	} else if (!strcmp(key, "unless")) {
		set_single(ld, &ru->unless, &ru->unless_line, key, value, "");
	} else if (!strcmp(key, "anchors")) {
		set_single(ld, &ru->anchors_decl, NULL, key, value, ", ");
	} else if (!strcmp(key, "category") && ru->ledger) {
		lerr(ld, ld->line, "rule %s: a [%s] section has no category", ru->id,
		     ru->ledger == CT_LEDGER_PROMISE ? "promise" : "kept");
	} else if (!strcmp(key, "category")) {
		if (!valid_name(value, 0))
			lerr(ld, ld->line, "rule %s: bad category '%s' (letters, digits, '_')", ru->id, value);
		else
			set_single(ld, &ru->category, &ru->category_line, key, value, "");
	} else if (!strcmp(key, "example")) {
		add_example(ld, &ru->ex, &ru->nex, &ru->ex_alloc, key, value);
	} else if (!strcmp(key, "counter_example")) {
		add_example(ld, &ru->cex, &ru->ncex, &ru->cex_alloc, key, value);
	} else if (!strcmp(key, "fields")) {
		struct ct_strlist l = CT_STRLIST_INIT;
		int f = 0;
		ct_strlist_split(&l, value, ',');
		for (size_t i = 0; i < l.n; i++) {
			if (!strcmp(l.v[i], "body"))
				f |= FIELD_BODY;
			else if (!strcmp(l.v[i], "subject"))
				f |= FIELD_SUBJECT;
			else if (!strcmp(l.v[i], "any"))
				f |= FIELD_BODY | FIELD_SUBJECT;
			else {
				lerr(ld, ld->line, "rule %s: bad fields value '%s' (subject, body, any)", ru->id, l.v[i]);
				f = -1;
				break;
			}
		}
		if (f == 0)
			lerr(ld, ld->line, "rule %s: bad fields value '' (subject, body, any)", ru->id);
		else if (f > 0)
			ru->fields = f;
		ct_strlist_clear(&l);
	} else if (!strcmp(key, "sender")) {
		if (!strcmp(value, "any"))
			ru->sender = SENDER_ANY;
		else if (!strcmp(value, "customer"))
			ru->sender = SENDER_CUSTOMER;
		else if (!strcmp(value, "staff"))
			ru->sender = SENDER_STAFF;
		else
			lerr(ld, ld->line, "rule %s: bad sender value '%s' (customer, staff, any)", ru->id, value);
	} else if (!strcmp(key, "caseless")) {
		if (!strcmp(value, "yes") || !strcmp(value, "true"))
			ru->caseless = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "false"))
			ru->caseless = 0;
		else
			lerr(ld, ld->line, "rule %s: caseless must be yes or no, not '%s'", ru->id, value);
	} else if (!strcmp(key, "score") || !strcmp(key, "weight")) {
		if (parse_number(value, -1000, 1000, &ru->score))
			lerr(ld, ld->line, "rule %s: bad score '%s' (a number from -1000 to 1000)", ru->id, value);
	} else if (!strcmp(key, "repeat")) {
		double v;
		if (parse_number(value, 1, 9, &v) || v != (int)v)
			lerr(ld, ld->line, "rule %s: bad repeat '%s' (a whole number from 1 to 9)", ru->id, value);
		else
			ru->repeat = (int)v;
	} else {
		lerr(ld, ld->line,
		     "rule %s: unknown key '%s' (known: category, pattern, fields, sender, unless, example, counter_example, score, caseless, anchors, repeat)",
		     ru->id, key);
	}
	snprintf(ld->last_key, sizeof(ld->last_key), "%s", key);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	(void)section;
	if (name)
		on_key(ld, name, value ? value : "");
	return 1;
}

/* Next line of the file or string into buf (inih's reader contract). */
static char *next_line(struct loader *ld, char *buf, int size)
{
	if (ld->fp)
		return fgets(buf, size, ld->fp);
	if (ld->pos >= ld->text_len)
		return NULL;
	size_t n = 0;
	while (ld->pos < ld->text_len && n + 1 < (size_t)size) {
		char c = ld->text[ld->pos++];
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	return buf;
}

static int at_eof(struct loader *ld)
{
	return ld->fp ? feof(ld->fp) : ld->pos >= ld->text_len;
}

static int skip_rest(struct loader *ld)
{
	int c;
	if (ld->fp) {
		while ((c = fgetc(ld->fp)) != EOF && c != '\n')
			;
		return 0;
	}
	while (ld->pos < ld->text_len && ld->text[ld->pos++] != '\n')
		;
	return 0;
}

static char *reader(char *buf, int size, void *stream)
{
	struct loader *ld = stream;
	if (!next_line(ld, buf, size))
		return NULL;
	ld->line++;
	if (ct_ini_line_cut(buf, size, at_eof(ld))) {
		lerr(ld, ld->line, "line longer than %d characters", size - 2);
		fprintf(ld->err, "hint: continue a long value on indented lines (a pattern's lines are joined without a space)\n");
		skip_rest(ld);
		buf[0] = '\0';
		ld->cont = 0;
		return buf;
	}
	char *t = buf;
	while (*t == ' ' || *t == '\t')
		t++;
	ld->cont = t > buf && *t && *t != '\n' && *t != '\r' && *t != ';' && *t != '#';
	/* An indented line after a key goes on with its value (as inih reads it), even "[^.]...". */
	if (*t == '[' && !(ld->cont && ld->last_key[0])) {
		char *name = ct_ini_section_name(t);
		if (name) {
			on_section(ld, name);
			free(name);
		}
		ld->cont = 0;
	}
	return buf;
}

static void compile_one(struct loader *ld, struct rule *ru, const char *pat, int line, pcre2_code **out)
{
	int errcode;
	PCRE2_SIZE off;
	/* PCRE2_USE_OFFSET_LIMIT: a search may be told the last offset a match can start at. */
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_USE_OFFSET_LIMIT | (ru->caseless ? PCRE2_CASELESS : 0);
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &errcode, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		lerr(ld, line, "rule %s: %s at offset %zu", ru->id, (char *)msg, (size_t)off);
		return;
	}
	*out = re;
}

/*
 * Appends pat to out with every "(?&NAME)" of a [define NAME] replaced by
 * "(?:its pattern)", itself expanded (depth counts the nesting). A name that
 * is no define is left to PCRE2 (a named group of the pattern). 0 or -1
 * (reported: a define that refers to itself).
 */
static int expand_into(struct loader *ld, struct ct_buf *out, const char *pat, const char *owner, int line,
		       int depth)
{
	const char *p = pat;
	while (*p) {
		const char *q = strstr(p, "(?&");
		if (!q) {
			ct_buf_addstr(out, p);
			break;
		}
		size_t bs = 0;
		for (const char *b = q; b > pat && b[-1] == '\\'; b--)
			bs++;
		const char *name = q + 3, *e = name;
		while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9') || *e == '_')
			e++;
		const struct define *d = NULL;
		if (!(bs & 1) && *e == ')')
			for (size_t i = 0; i < ld->r->ndefs && !d; i++)
				if (strlen(ld->r->defs[i].name) == (size_t)(e - name) &&
				    !strncmp(ld->r->defs[i].name, name, (size_t)(e - name)))
					d = &ld->r->defs[i];
		if (!d || !d->pattern) {
			ct_buf_add(out, p, (size_t)(q - p) + 3);
			p = q + 3;
			continue;
		}
		if (depth >= 16) {
			lerr(ld, line, "%s: define '%s' refers to itself (or defines nest deeper than 16)", owner,
			     d->name);
			return -1;
		}
		ct_buf_add(out, p, (size_t)(q - p));
		ct_buf_addstr(out, "(?:");
		if (expand_into(ld, out, d->pattern, owner, line, depth + 1))
			return -1;
		ct_buf_addch(out, ')');
		p = e + 1;
	}
	return 0;
}

/* Replaces *pat by its expansion; 0 or -1 (reported). */
static int expand_defines(struct loader *ld, char **pat, const char *owner, int line)
{
	if (!ld->r->ndefs || !strstr(*pat, "(?&"))
		return 0;
	struct ct_buf b = CT_BUF_INIT;
	if (expand_into(ld, &b, *pat, owner, line, 0)) {
		ct_buf_release(&b);
		return -1;
	}
	free(*pat);
	*pat = ct_buf_detach(&b, NULL);
	return 0;
}

static struct define *find_define(const struct ct_rules *r, const char *name)
{
	for (size_t i = 0; i < r->ndefs; i++)
		if (!strcmp(r->defs[i].name, name))
			return &r->defs[i];
	return NULL;
}

/*
 * A rule with declared anchors that takes the organization's names (its
 * expanded pattern holds org_dept's) runs only where one of its anchors is:
 * each name's longest word (ASCII letters and digits, 3 bytes or more) joins
 * them, and "@" for the addresses. A name without such a word ("IT") cannot
 * be anchored: such a rule does not see it.
 */
static void add_org_anchors(struct loader *ld, struct rule *ru)
{
	const struct ct_rules_org *o = ld->org;
	const struct define *dd = find_define(ld->r, "org_dept"), *da = find_define(ld->r, "org_addr");
	if (!o || !ru->pattern)
		return;
	if (o->nnames && dd && strstr(ru->pattern, dd->pattern))
		for (size_t i = 0; i < o->nnames; i++) {
			const char *n = o->names[i], *best = NULL;
			size_t best_len = 0;
			for (const char *p = n; p && *p;) {
				size_t len = 0;
				while (isalnum((unsigned char)p[len]) && (unsigned char)p[len] < 0x80)
					len++;
				if (len > best_len) {
					best = p;
					best_len = len;
				}
				p += len ? len : 1;
			}
			if (best_len < 3)
				continue;
			char *w = ct_strndup(best, best_len);
			ct_lower_ascii(w);
			if (!ct_strlist_has(&ru->anchors, w))
				ct_strlist_push(&ru->anchors, w);
			free(w);
		}
	if (o->naddrs && da && strstr(ru->pattern, da->pattern) && !ct_strlist_has(&ru->anchors, "@"))
		ct_strlist_push(&ru->anchors, "@");
}

static void validate(struct loader *ld)
{
	for (size_t i = 0; i < ld->r->ndefs; i++)
		if (!ld->r->defs[i].pattern || !*ld->r->defs[i].pattern)
			lerr(ld, ld->r->defs[i].line, "define %s: missing 'pattern'", ld->r->defs[i].name);
	struct ct_rules *r = ld->r;
	for (size_t i = 0; i < r->n; i++) {
		struct rule *ru = &r->v[i];
		if (!ru->category)
			lerr(ld, ru->line, "rule %s: missing 'category'", ru->id);
		if (!ru->pattern) {
			lerr(ld, ru->line, "rule %s: missing 'pattern'", ru->id);
			continue;
		}
		if (!*ru->pattern) {
			lerr(ld, ru->pattern_line, "rule %s: empty 'pattern'", ru->id);
			continue;
		}
		if (ru->repeat > 1 && (ru->ledger || (ru->fields & FIELD_SUBJECT)))
			lerr(ld, ru->line, "rule %s: repeat counts sentences of the body: not for a %s", ru->id,
			     ru->ledger ? "promise ledger rule" : "rule that reads the subject");
		if (ru->ledger) {
			ru->cat = ru->category;
		} else if (ru->category) {
			const struct category *c = find_category(r, ru->category);
			ru->cat = (c ? c : add_category(r, ru->category, 0))->name;
		}
		char owner[300];
		snprintf(owner, sizeof(owner), "rule %s", ru->id);
		if (expand_defines(ld, &ru->pattern, owner, ru->pattern_line) ||
		    (ru->unless && expand_defines(ld, &ru->unless, owner, ru->unless_line)))
			continue;
		compile_one(ld, ru, ru->pattern, ru->pattern_line, &ru->re);
		if (ru->unless && *ru->unless)
			compile_one(ld, ru, ru->unless, ru->unless_line, &ru->unless_re);
		if (ru->anchors_decl) {
			struct ct_strlist l = CT_STRLIST_INIT;
			ct_strlist_split(&l, ru->anchors_decl, ',');
			for (size_t k = 0; k < l.n; k++) {
				ct_lower_ascii(l.v[k]);
				/* One punctuation character (such as "@") is found by a byte table: keep it rare. */
				int punct = strlen(l.v[k]) == 1 && ct_pf_short_ok((unsigned char)l.v[k][0]);
				if (strlen(l.v[k]) < 3 && !punct)
					lerr(ld, ru->line,
					     "rule %s: anchor '%s' is shorter than 3 bytes (only one punctuation character may be)",
					     ru->id, l.v[k]);
				else
					ct_strlist_push(&ru->anchors, l.v[k]);
			}
			ct_strlist_clear(&l);
			add_org_anchors(ld, ru);
			ru->anchored = 0;
			/* Branches that each hold anchors of their own beat the declared list. */
			if (ru->re && ru->anchors.n && (ru->flat = ct_pf_flatten(ru->pattern)) &&
			    ct_pf_branches(ru->flat, &ru->br, &ru->nbr)) {
				free(ru->flat);
				ru->flat = NULL;
				ru->br = NULL;
				ru->nbr = 0;
			}
		} else if (ru->re) {
			ct_pf_extract(ru->pattern, &ru->anchors, &ru->anchored);
			/*
			 * The flattened pattern's branches first: more of them, each with
			 * rarer anchors. Also when the whole pattern gave none: its
			 * literals may be too many to keep as one set (over 64) while
			 * each branch has a few of its own.
			 */
			if ((ru->flat = ct_pf_flatten(ru->pattern)) && ct_pf_branches(ru->flat, &ru->br, &ru->nbr)) {
				free(ru->flat);
				ru->flat = NULL;
			}
			if (!ru->flat && ct_pf_branches(ru->pattern, &ru->br, &ru->nbr)) {
				ru->br = NULL;
				ru->nbr = 0;
			}
			/* Then the rule's anchors are those of its branches. */
			int from_branches = !ru->anchors.n;
			for (size_t b = 0; from_branches && ru->br && b < ru->nbr; b++)
				for (size_t k = 0; k < ru->br[b].anchors.n; k++)
					if (!ct_strlist_has(&ru->anchors, ru->br[b].anchors.v[k]))
						ct_strlist_push(&ru->anchors, ru->br[b].anchors.v[k]);
		}
		if (ru->anchors.n && !ru->br) {
			/* One branch holding all anchors, nothing to confirm. */
			ru->br = ct_calloc(1, sizeof(*ru->br));
			ru->nbr = 1;
			ru->br[0].start = ru->anchored;
			for (size_t k = 0; k < ru->anchors.n; k++)
				ct_strlist_push(&ru->br[0].anchors, ru->anchors.v[k]);
		}
		/* Searched alone, each branch is compiled when it is first searched (match.c). */
		if (ru->re && ru->nbr > 1 && ct_pf_syntax_ok(ru->pattern, PF_ALONE))
			for (size_t b = 0; b < ru->nbr; b++)
				ru->br[b].alone = 1;
		for (size_t b = 0; b < ru->nbr; b++)
			ru->br[b].slot = r->nbranches++;
		if (ru->fields & FIELD_SUBJECT)
			r->has_subject = 1;
		if (ru->repeat > 1)
			r->has_repeat = 1;
	}
	for (size_t i = 0; i < r->n; i++)
		for (size_t c = 0; c < r->ncats; c++)
			if (r->v[i].cat == r->cats[c].name)
				r->v[i].cat_ix = c;
	if (r->n == 0 && !ld->errors)
		lerr(ld, 0, "no [rule ID] sections");
}

static void compute_hash(struct ct_rules *r)
{
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addstr(&b, CT_CLASSIFY_VERSION);
	ct_buf_addch(&b, '\0');
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];
		ct_buf_addf(&b, "%s%c%s%c%s%c%s%c%d%c%d%c%d%c%.6g%c", ru->id, 0, ru->category, 0, ru->pattern, 0,
			    ru->unless ? ru->unless : "", 0, ru->fields, 0, ru->sender, 0, ru->caseless, 0,
			    ru->score, 0);
		if (ru->repeat > 1)
			ct_buf_addf(&b, "repeat%c%d%c", 0, ru->repeat, 0);
		if (ru->ledger)
			ct_buf_addf(&b, "ledger%c%d%c", 0, ru->ledger, 0);
		for (size_t k = 0; k < ru->anchors.n; k++)
			ct_buf_addf(&b, "%s%c", ru->anchors.v[k], 1);
		ct_buf_addch(&b, '\n');
	}
	for (size_t i = 0; i < r->ncats; i++)
		ct_buf_addf(&b, "category%c%s%c%.6g\n", 0, r->cats[i].name, 0, r->cats[i].threshold);
	ct_hash_hex(b.buf, b.len, r->hash);
	ct_buf_release(&b);
}

/* Appends text to b as a PCRE2 pattern matching it literally; a run of blanks matches any run of blanks. */
static void add_literal(struct ct_buf *b, const char *text)
{
	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ' || c == '\t') {
			while (p[1] == ' ' || p[1] == '\t')
				p++;
			ct_buf_addstr(b, "\\s+");
		} else if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
			if (c < 0x20)
				continue;
			ct_buf_addch(b, '\\');
			ct_buf_addch(b, (char)c);
		} else {
			ct_buf_addch(b, (char)c);
		}
	}
}

static int longer_first(const void *a, const void *b)
{
	size_t x = strlen(*(const char *const *)a), y = strlen(*(const char *const *)b);
	return x < y ? 1 : x > y ? -1 : strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Sets define name to the alternation of v (longest first, so that "Account
 * Management" wins over "Account"), adding the define when the file has
 * none; with v empty, the file's own pattern stays, or a pattern that
 * matches nothing is added.
 */
static void set_org_define(struct loader *ld, const char *name, const char *const *v, size_t n)
{
	struct ct_rules *r = ld->r;
	struct define *d = find_define(r, name);
	if (!d) {
		CT_ALLOC_GROW(r->defs, r->ndefs + 1, r->defs_alloc);
		d = &r->defs[r->ndefs++];
		d->name = ct_strdup(name);
		d->pattern = ct_strdup("(?!)");
		d->line = 0;
	}
	const char **sorted = ct_malloc((n ? n : 1) * sizeof(*sorted));
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] && *v[i])
			sorted[m++] = v[i];
	if (m) {
		qsort(sorted, m, sizeof(*sorted), longer_first);
		struct ct_buf b = CT_BUF_INIT;
		ct_buf_addstr(&b, "(?:");
		for (size_t i = 0; i < m; i++) {
			if (i && !strcmp(sorted[i], sorted[i - 1]))
				continue;
			if (b.len > 3)
				ct_buf_addch(&b, '|');
			add_literal(&b, sorted[i]);
		}
		ct_buf_addch(&b, ')');
		free(d->pattern);
		d->pattern = ct_buf_detach(&b, NULL);
	}
	free(sorted);
}

static int load(struct loader *ld, struct ct_rules **out)
{
	struct ct_rules *r = ct_calloc(1, sizeof(*r));
	r->file = ct_strdup(ld->file);
	ld->r = r;
	int rc = ini_parse_stream(reader, ld, handler, ld);
	if (rc > 0)
		lerr(ld, rc, "not a 'key = value' line or a [section] header");
	else if (rc < 0)
		lerr(ld, 0, "cannot parse the file");
	if (!ld->errors) {
		const struct ct_rules_org *o = ld->org;
		set_org_define(ld, "org_dept", o ? o->names : NULL, o ? o->nnames : 0);
		set_org_define(ld, "org_addr", o ? o->addrs : NULL, o ? o->naddrs : 0);
	}
	validate(ld);
	if (ld->errors) {
		ct_rules_free(r);
		*out = NULL;
		return -1;
	}
	compute_hash(r);
	ct_pf_build(r);
	*out = r;
	return 0;
}

int ct_rules_load_file(const char *path, FILE *err, struct ct_rules **out)
{
	return ct_rules_load_org(path, NULL, err, out);
}

int ct_rules_load_org(const char *path, const struct ct_rules_org *org, FILE *err, struct ct_rules **out)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	ld.file = path;
	ld.org = org;
	ld.err = err ? err : stderr;
	ld.fp = fopen(path, "r");
	*out = NULL;
	if (!ld.fp) {
		fprintf(ld.err, "%s: cannot read rule file: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = load(&ld, out);
	fclose(ld.fp);
	return rc;
}

int ct_rules_load(const char *path, struct ct_rules **out)
{
	return ct_rules_load_file(path, stderr, out);
}

int ct_rules_load_string(const char *name, const char *text, FILE *err, struct ct_rules **out)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	ld.file = name;
	ld.err = err ? err : stderr;
	ld.text = text;
	ld.text_len = strlen(text);
	return load(&ld, out);
}

static void free_examples(struct example *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

void ct_rules_free(struct ct_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct rule *ru = &r->v[i];
		free(ru->id);
		free(ru->category);
		free(ru->pattern);
		free(ru->unless);
		free(ru->anchors_decl);
		free_examples(ru->ex, ru->nex);
		free_examples(ru->cex, ru->ncex);
		pcre2_code_free(ru->re);
		pcre2_code_free(ru->unless_re);
		ct_lazy_re_free(&ru->whole_at);
		ct_lazy_re_free(&ru->whole);
		ct_strlist_clear(&ru->anchors);
		ct_pf_branches_free(ru->br, ru->nbr);
		free(ru->flat);
	}
	free(r->v);
	for (size_t i = 0; i < r->ndefs; i++) {
		free(r->defs[i].name);
		free(r->defs[i].pattern);
	}
	free(r->defs);
	for (size_t i = 0; i < r->ncats; i++)
		free(r->cats[i].name);
	free(r->cats);
	ct_pf_release(&r->pf);
	free(r->file);
	free(r);
}

const char *ct_rules_hash(const struct ct_rules *r)
{
	return r->hash;
}

size_t ct_rules_count(const struct ct_rules *r)
{
	return r->n;
}

const char *ct_rules_file(const struct ct_rules *r)
{
	return r->file;
}

double ct_rules_threshold(const struct ct_rules *r, const char *category)
{
	for (size_t i = 0; i < r->ncats; i++)
		if (r->cats[i].name == category || !strcmp(r->cats[i].name, category))
			return r->cats[i].threshold;
	return 1.0;
}

size_t ct_rules_ncategories(const struct ct_rules *r)
{
	return r->ncats;
}

const char *ct_rules_category(const struct ct_rules *r, size_t i)
{
	return i < r->ncats ? r->cats[i].name : NULL;
}

int ct_rules_info(const struct ct_rules *r, size_t i, struct ct_rule_info *out)
{
	if (i >= r->n)
		return -1;
	out->id = r->v[i].id;
	out->category = r->v[i].cat;
	out->score = r->v[i].score;
	out->line = r->v[i].line;
	out->sender = r->v[i].sender == SENDER_STAFF ? "staff" : r->v[i].sender == SENDER_CUSTOMER ? "customer" : "any";
	return 0;
}

size_t ct_rules_examples(const struct ct_rules *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].nex + r->v[i].ncex;
	return n;
}

void ct_rules_describe(const struct ct_rules *r, FILE *out)
{
	static const char *const senders[] = { "any", "customer", "staff" };
	static const char *const fields[] = { "", "body", "subject", "any" };
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];
		fprintf(out, "%s:%d: rule %s: category %s, sender %s, fields %s, anchors ", r->file, ru->line, ru->id,
			ru->category, senders[ru->sender], fields[ru->fields & 3]);
		if (!ru->anchors.n)
			fputs("none (always runs)", out);
		else if (ru->anchored)
			fputs("(match starts at one) ", out);
		for (size_t k = 0; k < ru->anchors.n; k++)
			fprintf(out, "%s\"%s\"", k ? ", " : "", ru->anchors.v[k]);
		fputc('\n', out);
		for (size_t b = 0; ru->nbr > 1 && b < ru->nbr; b++) {
			const struct pf_branch *br = &ru->br[b];
			fprintf(out, "    branch %zu:%s", b + 1, br->start ? " starts with" : "");
			for (size_t k = 0; k < br->anchors.n; k++)
				fprintf(out, "%s\"%s\"", k ? ", " : " ", br->anchors.v[k]);
			for (size_t c = 0; c < br->nconfirm; c++) {
				fputs(c ? "; and" : "; also needs", out);
				for (size_t k = 0; k < br->confirm[c].n; k++)
					fprintf(out, "%s\"%s\"", k ? "|" : " ", br->confirm[c].v[k]);
			}
			fputc('\n', out);
		}
	}
}

/* Does the matched text hold one of the rule's anchors (ASCII case folded)? No anchors: yes. */
static int has_anchor(const struct rule *ru, const char *s, size_t n)
{
	if (!ru->anchors.n)
		return 1;
	char *m = ct_strndup(s, n);
	int found = 0;
	for (size_t k = 0; k < ru->anchors.n && !found; k++)
		found = strcasestr(m, ru->anchors.v[k]) != NULL;
	free(m);
	return found;
}

/*
 * Does the classifier, prefilter and all, tag an example of body rule ru
 * with ru? An anchor that misses the example, or a literal read wrongly
 * from the pattern, keeps the rule from running on it.
 */
static int example_tags(const struct ct_rules *r, const struct rule *ru, const char *text)
{
	struct ct_tags t = CT_TAGS_INIT;
	int found = 0;
	if (!(ru->fields & FIELD_BODY))
		return 1;
	if (ct_find_hits(r, NULL, text, strlen(text), ru->sender == SENDER_STAFF, ru->ledger != 0, &t) == 0)
		for (size_t i = 0; i < t.n && !found; i++)
			found = t.v[i].rule_id == ru->id;
	ct_tags_clear(&t);
	return found;
}

/* Runs one rule over a whole example sentence: 1 match, 0 none, -1 error. */
static int example_hits(const struct rule *ru, const char *text, size_t *ms, size_t *me)
{
	size_t len = strlen(text);
	if (!ct_utf8_valid(text, len))
		return -1;
	return ct_rule_find(ru, text, 0, len, 0, len, ms, me);
}

/*
 * A promise example: "WRITTEN | TEXT | due DUE" or "WRITTEN | TEXT | past".
 * Splits it in place into its parts; -1 when it has not that shape.
 */
static int split_promise_example(char *s, char **written, char **text, char **want)
{
	char *a = strstr(s, " | ");
	char *b = a ? strstr(a + 3, " | ") : NULL;
	if (!a || !b)
		return -1;
	/* the last " | " ends the text: the text may hold one itself */
	for (char *c; (c = strstr(b + 3, " | ")) != NULL;)
		b = c;
	*a = '\0';
	*b = '\0';
	*written = ct_trim(s);
	*text = a + 3;
	*want = ct_trim(b + 3);
	return 0;
}

/*
 * Checks a promise rule's example: the rule matches the text, and the due
 * time read from the match is the one stated. 0 ok; 1 failed (printed).
 */
static int check_promise_example(const struct ct_rules *r, const struct rule *ru, const struct example *ex,
				 FILE *out)
{
	char *copy = ct_strdup(ex->text), *written, *text, *want;
	ct_time w, due;
	int tz, dtz = 0, failed = 1;
	size_t ms, me;
	if (split_promise_example(copy, &written, &text, &want) || ct_time_parse_tz(written, &w, &tz) ||
	    (strcmp(want, "past") && (strncmp(want, "due ", 4) || ct_time_parse_tz(want + 4, &due, &dtz)))) {
		fprintf(out, "%s:%d: rule %s: a promise example reads 'WRITTEN | TEXT | due DUE' or 'WRITTEN | TEXT | past' (times as 2026-03-05T10:00+01:00): \"%s\"\n",
			r->file, ex->line, ru->id, ex->text);
		goto out;
	}
	int rc = example_hits(ru, text, &ms, &me);
	if (rc != 1) {
		fprintf(out, "%s:%d: rule %s: example %s: \"%s\"\n", r->file, ex->line, ru->id,
			rc < 0 ? "is not valid UTF-8 or failed to match" : "does not match", text);
		goto out;
	}
	if (!example_tags(r, ru, text)) {
		fprintf(out, "%s:%d: rule %s: example matches the pattern but the prefilter never runs the rule on it: \"%s\"\n",
			r->file, ex->line, ru->id, text);
		goto out;
	}
	struct ct_due d = { 0, 0, 0 };
	int drc = ct_due_resolve(text + ms, ct_due_text_end(text, strlen(text), ms, me) - ms, w, tz, &d);
	if (!strcmp(want, "past"))
		dtz = tz;
	char got[32] = "none";
	if (drc)
		ct_time_iso_tz(d.at, dtz, got);
	if (!strcmp(want, "past")) {
		if (drc == 2) {
			failed = 0;
			goto out;
		}
		fprintf(out, "%s:%d: rule %s: example should be past, but the match \"%.*s\" gives %s%s: \"%s\"\n",
			r->file, ex->line, ru->id, (int)(me - ms), text + ms, drc ? "due " : "", got, text);
		goto out;
	}
	if (drc == 1 && d.at == due) {
		failed = 0;
		goto out;
	}
	fprintf(out, "%s:%d: rule %s: example wants %s, the match \"%.*s\" gives %s%s%s: \"%s\"\n", r->file,
		ex->line, ru->id, want, (int)(me - ms), text + ms, drc ? "due " : "", got,
		drc == 2 ? " (past)" : "", text);
out:
	free(copy);
	return failed;
}

int ct_rules_check(const struct ct_rules *r, FILE *out)
{
	int failures = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];
		size_t ms, me;
		for (size_t k = 0; k < ru->nex; k++) {
			if (ru->ledger == CT_LEDGER_PROMISE) {
				failures += check_promise_example(r, ru, &ru->ex[k], out);
				continue;
			}
			int rc = example_hits(ru, ru->ex[k].text, &ms, &me);
			if (rc == 1 && !has_anchor(ru, ru->ex[k].text + ms, me - ms)) {
				/* The pattern matches, but the prefilter would never let it run on this text. */
				failures++;
				fprintf(out, "%s:%d: rule %s: example matches the pattern but holds none of its anchors: \"%s\"\n",
					r->file, ru->ex[k].line, ru->id, ru->ex[k].text);
				continue;
			}
			if (rc == 1 && !example_tags(r, ru, ru->ex[k].text)) {
				failures++;
				if (ru->repeat > 1)
					fprintf(out, "%s:%d: rule %s: example does not match in %d sentences (repeat), or the prefilter never runs the rule on it: \"%s\"\n",
						r->file, ru->ex[k].line, ru->id, ru->repeat, ru->ex[k].text);
				else
					fprintf(out, "%s:%d: rule %s: example matches the pattern but the prefilter never runs the rule on it: \"%s\"\n",
						r->file, ru->ex[k].line, ru->id, ru->ex[k].text);
				continue;
			}
			if (rc == 1)
				continue;
			failures++;
			fprintf(out, "%s:%d: rule %s: example %s: \"%s\"\n", r->file, ru->ex[k].line, ru->id,
				rc < 0 ? "is not valid UTF-8 or failed to match" : "does not match", ru->ex[k].text);
		}
		for (size_t k = 0; k < ru->ncex; k++) {
			int rc = example_hits(ru, ru->cex[k].text, &ms, &me);
			if (rc == 0)
				continue;
			/* with repeat, one matching sentence is not yet a hit */
			if (rc == 1 && ru->repeat > 1 && !example_tags(r, ru, ru->cex[k].text))
				continue;
			failures++;
			if (rc < 0)
				fprintf(out, "%s:%d: rule %s: counter_example is not valid UTF-8 or failed to match: \"%s\"\n",
					r->file, ru->cex[k].line, ru->id, ru->cex[k].text);
			else
				fprintf(out, "%s:%d: rule %s: counter_example matches at \"%.*s\": \"%s\"\n", r->file,
					ru->cex[k].line, ru->id, (int)(me - ms), ru->cex[k].text + ms, ru->cex[k].text);
		}
	}
	return failures;
}
