/*
 * strip.c - keeps only what an item's author wrote, as byte ranges of the
 * untouched body (so evidence spans point into the stored body).
 *
 * One pass over the lines drops quoted lines ("> ..."), reply attributions
 * ("On ... wrote:", "Am ... schrieb ...:", "Le ... a écrit :", "El ...
 * escribió:"), and cuts the rest of the text at an Outlook header block
 * ("-----Original Message-----", "From: / Sent:", "Von: / Gesendet:"), a
 * forwarded original ("---------- Forwarded message ---------", "Begin
 * forwarded message:", "-------- Weitergeleitete Nachricht --------"), a
 * signature ("-- "), a long separator rule ("_____", "-----") or a
 * legal/confidentiality footer; it also drops a patch's lines (diff_start,
 * diff_line). A second pass drops machine text (logs, stack frames, code:
 * machine_signs), a third a sign-off block at the end ("Best
 * regards,\nName\nTitle"), and a newsletter (an unsubscribe footer in the
 * last paragraph) keeps nothing at all. URLs are cut out of the kept lines
 * (next_url).
 */
#include "classify_p.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* A literal with its length, so that tests do not call strlen per line. */
struct lit {
	const char *s;
	size_t n;
};
#define L_(x) { x, sizeof(x) - 1 }

struct line {
	size_t s, e;       /* [s, e) without the line end */
	size_t ts, te;     /* the same without leading/trailing blanks */
	unsigned char keep;
	unsigned char machine;  /* machine_signs of the line */
};

/*
 * The lines of a body, split on demand: most bodies end in a long quoted
 * history that is cut at its first line and never needs splitting.
 */
#define LINES_STACK 128
struct lines {
	const char *b;
	size_t len, p;     /* split up to p */
	struct line *v;
	size_t n, alloc;
	struct line stack[LINES_STACK];
};

/* Trims blanks (and a trailing \r) off [*s, *e). */
static void trim(const char *b, size_t *s, size_t *e)
{
	while (*s < *e && (b[*s] == ' ' || b[*s] == '\t'))
		(*s)++;
	while (*e > *s && (b[*e - 1] == ' ' || b[*e - 1] == '\t' || b[*e - 1] == '\r'))
		(*e)--;
}

/* Case-insensitive (ASCII) prefix test on a counted string. */
static int has_prefix_ci(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);
	if (pl > n)
		return 0;
	for (size_t i = 0; i < pl; i++) {
		unsigned char a = (unsigned char)s[i], b = (unsigned char)prefix[i];
		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (a != b)
			return 0;
	}
	return 1;
}

static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* s starts with the n bytes of lower-case p, ignoring ASCII case (s holds at least n bytes). */
static inline int prefix_n(const char *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != (unsigned char)p[i])
			return 0;
	return 1;
}

/*
 * Which groups of literals start with a given pair of (lower-cased) bytes:
 * most lines are rejected with one lookup instead of a loop over a list.
 */
enum { G_FOOTER = 1, G_FROM = 2, G_SENT = 4, G_INTRO = 8, G_ATTR = 16, G_BULK = 32 };
static uint8_t pair_tab[65536];
static pthread_once_t pair_once = PTHREAD_ONCE_INIT;

/* One of the literals is a case-insensitive prefix of s. */
static int any_prefix(const char *s, size_t n, const struct lit *v, size_t nv, unsigned g)
{
	if (n < 2 || !(pair_tab[lower((unsigned char)s[0]) << 8 | lower((unsigned char)s[1])] & g))
		return 0;
	unsigned char c0 = lower((unsigned char)s[0]);
	for (size_t i = 0; i < nv; i++)
		if ((unsigned char)v[i].s[0] == c0 && v[i].n <= n && prefix_n(s, v[i].s, v[i].n))
			return 1;
	return 0;
}

static int has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);
	return sl <= n && !memcmp(s + n - sl, suffix, sl);
}

/* Case-insensitive (ASCII) substring test; needle is lower case. */
static int contains_ci(const char *s, size_t n, const char *needle)
{
	size_t nl = strlen(needle);
	unsigned char c0 = (unsigned char)needle[0], u0 = c0 >= 'a' && c0 <= 'z' ? c0 - 32 : c0;
	if (nl > n)
		return 0;
	for (size_t i = 0; i + nl <= n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c == c0 || c == u0) && has_prefix_ci(s + i + 1, n - i - 1, needle + 1))
			return 1;
	}
	return 0;
}

/* "On ... wrote:" and its translations, on one line. */
static int attribution_end(const char *s, size_t n)
{
	static const char *const ends[] = {
		"wrote:", "writes:", "schrieb:", "geschrieben:", "a écrit :", "a écrit:", "escribió:", "scritto:",
		"schreef:", "skrev:",
	};
	if (!n || s[n - 1] != ':')
		return 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(ends); i++)
		if (has_suffix(s, n, ends[i]))
			return 1;
	/* "Am 04.03.2024 um 09:12 schrieb Max Muster <max@example.org>:" */
	if (has_prefix_ci(s, n, "am ") && contains_ci(s, n, " schrieb "))
		return 1;
	return 0;
}

static const struct lit attr_starts[] = { L_("on "), L_("am "), L_("le "), L_("el "), L_("il "), L_("op "), L_("den ") };

static int attribution_start(const char *s, size_t n)
{
		return any_prefix(s, n, attr_starts, CT_ARRAY_SIZE(attr_starts), G_ATTR);
}

/* Lines that open a quoted or forwarded original: everything below goes. */
static int separator_line(const char *s, size_t n)
{
	static const char *const marks[] = {
		"original message", "forwarded message", "weitergeleitete nachricht", "ursprüngliche nachricht",
		"original-nachricht", "message d'origine", "message transféré", "mensaje original",
		"mensaje reenviado", "reply above this line", "antworten sie oberhalb",
	};
	size_t run = 0;
	char c = s[0];
	if (c != '-' && c != '_' && c != '=' && c != '*' && c != '~')
		return 0;
	while (run < n && s[run] == c)
		run++;
	if (run == n)
		return c == '-' ? run >= 8 : run >= 5;  /* a bare rule: "________", "--------" */
	if (run < 2)
		return 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(marks); i++)
		if (contains_ci(s, n, marks[i]))
			return 1;
	return 0;
}

static int header_key(const char *s, size_t n, const struct lit *keys, size_t nkeys, unsigned g)
{
	if (n && *s == '*') {  /* "*From:* ..." from an HTML-to-text conversion */
		s++;
		n--;
	}
	return any_prefix(s, n, keys, nkeys, g);
}

static const struct lit from_keys[] = {
	L_("from:"), L_("von:"), L_("de:"), L_("de :"), L_("da:"), L_("van:"), L_("fra:"), L_("från:"),
};
static const struct lit sent_keys[] = {
	L_("sent:"), L_("date:"), L_("gesendet:"), L_("datum:"), L_("envoyé :"), L_("envoyé:"), L_("enviado el:"),
	L_("enviado:"), L_("inviato:"), L_("verzonden:"), L_("sendt:"), L_("skickat:"), L_("to:"), L_("an:"),
	L_("à :"), L_("para:"), L_("subject:"), L_("betreff:"), L_("objet :"), L_("asunto:"),
};

static const struct lit fwd_intros[] = {
	L_("begin forwarded message"), L_("anfang der weitergeleiteten"), L_("début du message réexpédié"),
	L_("inicio del mensaje reenviado"), L_("forwarded message:"),
};

static int fwd_intro(const char *s, size_t n)
{
		return any_prefix(s, n, fwd_intros, CT_ARRAY_SIZE(fwd_intros), G_INTRO);
}

static const struct lit footer_starts[] = {
	L_("this e-mail and any"), L_("this email and any"), L_("this message and any"), L_("this e-mail message and any"),
	L_("this email message and any"), L_("this e-mail is confidential"), L_("this e-mail is intended"),
	L_("this email is intended"), L_("this message is intended"), L_("access to this e-mail by anyone"),
	L_("access to this email by anyone"), L_("access to this message by anyone"), L_("the information transmitted"), L_("this email is confidential"),
	L_("this message is confidential"), L_("this e-mail may contain"), L_("this email may contain"),
	L_("this message may contain"), L_("this communication is confidential"), L_("this e-mail (including"),
	L_("this email (including"), L_("the information contained in this"), L_("the information in this e-mail"),
	L_("the information in this email"), L_("the content of this email"), L_("the contents of this e-mail"),
	L_("the contents of this email"), L_("confidentiality notice"), L_("confidentiality note"), L_("confidential:"),
	L_("privileged and confidential"), L_("disclaimer:"), L_("legal notice:"), L_("if you are not the intended recipient"),
	L_("if you have received this e-mail in error"), L_("if you have received this email in error"),
	L_("if you received this e-mail in error"), L_("if you received this email in error"),
	L_("diese e-mail enthält vertrauliche"), L_("diese email enthält vertrauliche"),
	L_("diese nachricht enthält vertrauliche"), L_("diese e-mail ist vertraulich"), L_("diese e-mail kann vertrauliche"),
	L_("diese e-mail könnte vertrauliche"), L_("wenn sie nicht der richtige adressat"),
	L_("sollten sie nicht der richtige adressat"), L_("falls sie nicht der richtige adressat"),
	L_("vertraulichkeitshinweis"), L_("haftungsausschluss"), L_("ce message et toutes"), L_("ce courriel et "),
	L_("ce message est confidentiel"), L_("este mensaje y sus anexos"), L_("este correo electrónico y"),
	L_("este mensaje es confidencial"),
};

/* The first line of a legal/confidentiality footer. */
static int footer_start(const char *s, size_t n)
{
		return any_prefix(s, n, footer_starts, CT_ARRAY_SIZE(footer_starts), G_FOOTER);
}

static const struct lit bulk_marks[] = {
	L_("unsubscribe"), L_("you receive this because"), L_("you are receiving this"),
	L_("you're receiving this"), L_("you received this email because"),
	L_("you received this e-mail because"), L_("manage your preferences"),
	L_("manage your email preferences"), L_("update your preferences"), L_("newsletter abbestellen"),
	L_("vom newsletter abmelden"), L_("sie erhalten diese"), L_("abmelden können sie sich"),
	L_("se désabonner"), L_("se désinscrire"), L_("darse de baja"), L_("cancelar la suscripción"),
};

/* Newsletter / bulk mail footers (checked in the last lines only). */
static int bulk_footer(const char *s, size_t n)
{
		/* One pass: only positions whose letter starts some mark are compared. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = lower((unsigned char)s[i]);
		if (i + 1 >= n || !(pair_tab[c << 8 | lower((unsigned char)s[i + 1])] & G_BULK))
			continue;
		for (size_t k = 0; k < CT_ARRAY_SIZE(bulk_marks); k++)
			if ((unsigned char)bulk_marks[k].s[0] == c && bulk_marks[k].n <= n - i &&
			    prefix_n(s + i, bulk_marks[k].s, bulk_marks[k].n))
				return 1;
	}
	return 0;
}

/* A sign-off on a line of its own: "Best regards," "Thanks!" "Mit freundlichen Grüßen". */
static int signoff(const char *s, size_t n)
{
	static const struct lit offs[] = {
		L_("best regards"), L_("kind regards"), L_("warm regards"), L_("warmest regards"), L_("regards"), L_("best wishes"),
		L_("with best regards"), L_("with kind regards"), L_("many thanks"), L_("thanks"), L_("thank you"), L_("thanks again"),
		L_("thanks in advance"), L_("thank you in advance"), L_("thx"), L_("cheers"), L_("best"), L_("all the best"), L_("sincerely"),
		L_("yours sincerely"), L_("sincerely yours"), L_("yours truly"), L_("yours faithfully"), L_("respectfully"), L_("warmly"),
		L_("take care"), L_("talk soon"), L_("mit freundlichen grüßen"), L_("mit freundlichen grüssen"),
		L_("mit freundlichem gruß"), L_("mit freundlichem gruss"), L_("freundliche grüße"), L_("freundliche grüsse"),
		L_("viele grüße"), L_("viele grüsse"), L_("beste grüße"), L_("beste grüsse"), L_("liebe grüße"), L_("liebe grüsse"),
		L_("herzliche grüße"), L_("herzliche grüsse"), L_("schöne grüße"), L_("schöne grüsse"), L_("besten dank"),
		L_("vielen dank"), L_("danke"), L_("gruß"), L_("gruss"), L_("grüße"), L_("grüsse"), L_("mfg"), L_("lg"), L_("vg"), L_("cordialement"),
		L_("bien cordialement"), L_("bien à vous"), L_("salutations"), L_("merci"), L_("saludos"), L_("un saludo"), L_("atentamente"),
		L_("saludos cordiales"), L_("cordiali saluti"), L_("met vriendelijke groet"), L_("groeten"), L_("hälsningar"),
		L_("med venlig hilsen"), L_("mvh"),
	};
	while (n && (s[n - 1] == ',' || s[n - 1] == '!' || s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	if (!n || n > 32)
		return 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(offs); i++)
		if (offs[i].n == n && has_prefix_ci(s, n, offs[i].s))
			return 1;
	return 0;
}

static void pair_add(const struct lit *v, size_t n, unsigned g)
{
	for (size_t i = 0; i < n; i++)
		pair_tab[(unsigned char)v[i].s[0] << 8 | (unsigned char)v[i].s[1]] |= (uint8_t)g;
}

static void pair_init(void)
{
	pair_add(footer_starts, CT_ARRAY_SIZE(footer_starts), G_FOOTER);
	pair_add(from_keys, CT_ARRAY_SIZE(from_keys), G_FROM);
	pair_add(sent_keys, CT_ARRAY_SIZE(sent_keys), G_SENT);
	pair_add(fwd_intros, CT_ARRAY_SIZE(fwd_intros), G_INTRO);
	pair_add(attr_starts, CT_ARRAY_SIZE(attr_starts), G_ATTR);
	pair_add(bulk_marks, CT_ARRAY_SIZE(bulk_marks), G_BULK);
}

/*
 * Patches: a diff starts at "diff --git", "diff -u ...", a hunk header "@@ -"
 * or a "--- " line over a "+++ " line; its lines are dropped while they
 * look like diff lines (raw, without trimming: context lines start with a
 * blank).
 */
static int diff_start(const char *s, size_t n, const char *next, size_t nn)
{
	if (n >= 6 && (!memcmp(s, "diff -", 6) || (n >= 7 && !memcmp(s, "@@ -", 4) && memchr(s + 4, '@', n - 4))))
		return 1;
	return n >= 4 && !memcmp(s, "--- ", 4) && next && nn >= 4 && !memcmp(next, "+++ ", 4);
}

static int diff_line(const char *s, size_t n)
{
	static const struct lit heads[] = {
		L_("diff "), L_("index "), L_("new file mode"), L_("deleted file mode"), L_("similarity index"),
		L_("dissimilarity index"), L_("rename from"), L_("rename to"), L_("copy from"), L_("copy to"),
		L_("old mode"), L_("new mode"), L_("Binary files"),
	};
	if (!n)
		return 1;
	if (s[0] == '+' || s[0] == '-' || s[0] == ' ' || s[0] == '\\' || s[0] == '@' || s[0] == '\t')
		return 1;
	for (size_t i = 0; i < CT_ARRAY_SIZE(heads); i++)
		if (heads[i].n <= n && !memcmp(s, heads[i].s, heads[i].n))
			return 1;
	return 0;
}

static inline int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline int is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static inline int is_alpha(unsigned char c)
{
	return is_lower(lower(c)) || c >= 0x80;
}

/*
 * Machine text: a log line, a stack frame, code, command output. Signs
 * (each counted once): a time hh:mm:ss or a log stamp "[  12.345]", a hex
 * number "0x..", a call "name(" , a path "/usr/lib", "key=value", code
 * operators ("->", "::", "==", "!=", "&&", "||"), a snake_case word, a line
 * ending in ';', '{' or '}'. Returns how many (2 for a long line with few
 * letters): prose may have one (a time, a URL), machine text has two.
 */
enum { MC_OTHER, MC_ALPHA, MC_BLANK, MC_SIGN };
/* What machine_signs looks at in a byte: one lookup, the signs' bytes only are examined. */
static const unsigned char mcls[256] = {
	['a' ... 'z'] = MC_ALPHA, ['A' ... 'Z'] = MC_ALPHA, [0x80 ... 0xff] = MC_ALPHA,
	[' '] = MC_BLANK, ['\t'] = MC_BLANK,
	[':'] = MC_SIGN, ['0'] = MC_SIGN, ['['] = MC_SIGN, ['('] = MC_SIGN, ['/'] = MC_SIGN, ['='] = MC_SIGN,
	['>'] = MC_SIGN, ['&'] = MC_SIGN, ['|'] = MC_SIGN, ['_'] = MC_SIGN,
};

static int machine_signs(const char *s, size_t n)
{
	enum { S_TIME = 1, S_HEX = 2, S_CALL = 4, S_PATH = 8, S_KV = 16, S_OP = 32, S_SNAKE = 64, S_END = 128 };
	unsigned sig = 0;
	size_t letters = 0, nonblank = 0;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		unsigned cl = mcls[u[i]];
		letters += cl == MC_ALPHA;
		nonblank += cl != MC_BLANK;
		if (cl != MC_SIGN)
			continue;
		unsigned char c = u[i], p = i ? u[i - 1] : ' ', x = i + 1 < n ? u[i + 1] : ' ';
		switch (c) {
		case ':':
			if (i >= 2 && i + 5 < n && is_digit(u[i - 1]) && is_digit(u[i - 2]) && is_digit(u[i + 1]) &&
			    is_digit(u[i + 2]) && u[i + 3] == ':' && is_digit(u[i + 4]) && is_digit(u[i + 5]))
				sig |= S_TIME;
			else if (x == ':' && is_lower(lower(p)))
				sig |= S_OP;
			break;
		case '0':
			if ((x == 'x' || x == 'X') && i + 2 < n && (is_digit(u[i + 2]) || (lower(u[i + 2]) >= 'a' && lower(u[i + 2]) <= 'f')) &&
			    !is_alpha(p) && !is_digit(p))
				sig |= S_HEX;
			break;
		case '[':
			if (x == ' ' || is_digit(x)) {
				size_t k = i + 1;
				while (k < n && u[k] == ' ')
					k++;
				size_t d = k;
				while (k < n && is_digit(u[k]))
					k++;
				if (k > d && k + 1 < n && u[k] == '.' && is_digit(u[k + 1]))
					sig |= S_TIME;
			}
			break;
		case '(':
			if (p == '_' || is_lower(p) || is_digit(p))
				sig |= S_CALL;
			break;
		case '/':
			/* "/usr/lib": another "/letter" earlier in the same word */
			if (is_lower(x) && !(sig & S_PATH))
				for (size_t k = i; k-- > 0 && u[k] != ' ' && u[k] != '\t';)
					if (u[k] == '/' && is_lower(u[k + 1])) {
						sig |= S_PATH;
						break;
					}
			break;
		case '=':
			if (p == '=' || p == '!')
				sig |= S_OP;
			else if (p != ' ' && x != ' ' && x != '=' && i > 0 && i + 1 < n)
				sig |= S_KV;
			break;
		case '>':
			if (p == '-')
				sig |= S_OP;
			break;
		case '&':
		case '|':
			if (x == c)
				sig |= S_OP;
			break;
		case '_':
			if (is_alpha(p) && is_alpha(x))
				sig |= S_SNAKE;
			break;
		}
	}
	unsigned char last = n ? u[n - 1] : ' ';
	if (last == ';' || last == '{' || last == '}')
		sig |= S_END;
	if (nonblank >= 24 && letters * 10 < nonblank * 3)
		return 2;
	return __builtin_popcount(sig);
}

/* A sentence of four words or more ("The fee is computed here:"), not "Call Trace:". */
static int prose_line(const char *s, size_t n)
{
	if (!n || !memchr(".?!:", s[n - 1], 4))
		return 0;
	int words = 0;
	for (size_t i = 0; i < n && words < 4; i++)
		words += is_alpha((unsigned char)s[i]) && (!i || s[i - 1] == ' ');
	return words >= 4;
}

/* [s, e) goes on the range before it (*chain) or starts one. */
static void add_range(struct ct_spans *out, size_t s, size_t e, int *chain)
{
	if (*chain) {
		out->v[out->n - 1].end = e;
		return;
	}
	CT_ALLOC_GROW(out->v, out->n + 1, out->alloc);
	out->v[out->n].start = s;
	out->v[out->n].end = e;
	out->n++;
	*chain = 1;
}

static inline int url_char_end(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == '>' || c == '"';
}

/*
 * The first URL in [p, e) ("scheme://..." or "www...."), up to a blank, '<',
 * '>' or '"', without trailing punctuation: its start, its end in *ue; e
 * when there is none. A URL's words ("/you-charged-me-twice") are no one's
 * sentence.
 */
static size_t next_url(const char *b, size_t p, size_t e, size_t *ue)
{
	const char *t = b + p;
	size_t n = e - p, best = e;
	const char *c = memmem(t, n, "://", 3);
	while (c) {
		size_t k = (size_t)(c - b);
		size_t st = k;
		while (st > p && is_alpha((unsigned char)b[st - 1]) && (unsigned char)b[st - 1] < 0x80)
			st--;
		if (k - st >= 2 && (st == p || !is_alpha((unsigned char)b[st - 1]))) {
			best = st;
			break;
		}
		c = memmem(c + 3, (size_t)(b + e - (c + 3)), "://", 3);
	}
	const char *w = memmem(t, (best < e ? best : e) - p, "www.", 4);
	while (w) {
		size_t k = (size_t)(w - b);
		if (k == p || (!is_alpha((unsigned char)b[k - 1]) && !is_digit((unsigned char)b[k - 1]) && b[k - 1] != '.')) {
			best = k;
			break;
		}
		w = memmem(w + 4, (size_t)(b + best - (w + 4)), "www.", 4);
	}
	if (best >= e)
		return e;
	size_t end = best;
	while (end < e && !url_char_end((unsigned char)b[end]))
		end++;
	while (end > best + 4 && memchr(".,;:!?)]'", b[end - 1], 9))
		end--;
	*ue = end;
	return best;
}

/* Makes line k available; 0 when the body has fewer lines. */
static int have_line(struct lines *L, size_t k)
{
	while (L->n <= k) {
		if (L->p >= L->len)
			return 0;
		const char *nl = memchr(L->b + L->p, '\n', L->len - L->p);
		size_t e = nl ? (size_t)(nl - L->b) : L->len;
		if (L->n == L->alloc) {
			size_t na = L->alloc * 2;
			if (L->v == L->stack) {
				L->v = ct_malloc(na * sizeof(*L->v));
				memcpy(L->v, L->stack, L->n * sizeof(*L->v));
			} else {
				L->v = ct_realloc(L->v, na * sizeof(*L->v));
			}
			L->alloc = na;
		}
		struct line *l = &L->v[L->n++];
		l->s = l->ts = L->p;
		l->e = l->te = e;
		trim(L->b, &l->ts, &l->te);
		l->keep = 1;
		L->p = nl ? e + 1 : L->len;
	}
	return 1;
}

/* Index of the next non-blank line at or after i, or L->n. */
static size_t next_nonblank(struct lines *L, size_t i)
{
	while (have_line(L, i) && L->v[i].ts == L->v[i].te)
		i++;
	return i;
}

void ct_strip_authored(const char *b, size_t len, struct ct_spans *out)
{
	struct lines L;
	size_t i, cut = SIZE_MAX;
	int in_diff = 0;      /* inside a patch's lines */
	out->n = 0;
	pthread_once(&pair_once, pair_init);
	L.b = b;
	L.len = len;
	L.p = 0;
	L.v = L.stack;
	L.n = 0;
	L.alloc = LINES_STACK;
	for (i = 0; have_line(&L, i); i++) {
		const char *t = b + L.v[i].ts;
		size_t n = L.v[i].te - L.v[i].ts;
		if (!n)
			continue;
		if (*t == '>') {
			L.v[i].keep = 0;
			continue;
		}
		if (in_diff) {
			if (diff_line(b + L.v[i].s, L.v[i].e - L.v[i].s)) {
				L.v[i].keep = 0;
				continue;
			}
			in_diff = 0;
		}
		if ((*t == 'd' || *t == '@' || *t == '-') &&
		    diff_start(t, n, have_line(&L, i + 1) ? b + L.v[i + 1].ts : NULL, have_line(&L, i + 1) ? L.v[i + 1].te - L.v[i + 1].ts : 0)) {
			in_diff = 1;
			L.v[i].keep = 0;
			continue;
		}
		/* Signature delimiter "-- " (also "--" after a careless editor). */
		if (n == 2 && t[0] == '-' && t[1] == '-') {
			cut = i;
			break;
		}
		/* One table lookup tells which of the prefix tests can succeed on this line. */
		unsigned g = n >= 2 ? pair_tab[lower((unsigned char)t[0]) << 8 | lower((unsigned char)t[1])] : 0;
		if (*t == '*' && n >= 3)
			g |= pair_tab[lower((unsigned char)t[1]) << 8 | lower((unsigned char)t[2])] & G_FROM;
		if (separator_line(t, n) || ((g & G_INTRO) && fwd_intro(t, n)) || ((g & G_FOOTER) && footer_start(t, n))) {
			cut = i;
			break;
		}
		if ((g & G_FROM) && header_key(t, n, from_keys, CT_ARRAY_SIZE(from_keys), G_FROM)) {
			/* An Outlook header block: From: then Sent:/Date:/To: within the next lines. */
			int block = 0;
			for (size_t k = i + 1; k <= i + 3 && have_line(&L, k); k++)
				if (header_key(b + L.v[k].ts, L.v[k].te - L.v[k].ts, sent_keys, CT_ARRAY_SIZE(sent_keys),
					       G_SENT)) {
					block = 1;
					break;
				}
			if (block) {
				cut = i;
				break;
			}
		}
		size_t last = i;
		int astart = (g & G_ATTR) && attribution_start(t, n);
		int attr = attribution_end(t, n) && (astart || n < 200);
		if (!attr && astart && have_line(&L, i + 1)) {
			/* Wrapped: "On Mon, 4 Mar 2024 at 09:12, Name <" / "name@example.org> wrote:" */
			size_t ks = L.v[i + 1].ts, ke = L.v[i + 1].te;
			if (ke > ks && b[ks] != '>' && attribution_end(b + ks, ke - ks) && n + (ke - ks) < 300) {
				attr = 1;
				last = i + 1;
			}
		}
		if (attr) {
			size_t k = next_nonblank(&L, last + 1);
			if (k < L.n && b[L.v[k].ts] == '>') {
				/* Inline quoting: the '>' lines go, the author may write below them. */
				for (size_t j = i; j <= last; j++)
					L.v[j].keep = 0;
				i = last;
				continue;
			}
			/* The original follows unquoted (top posting): all of it goes. */
			cut = i;
			break;
		}
	}
	if (cut > L.n)
		cut = L.n;

	/*
	 * Machine text (see machine_signs): a line with two signs goes, and so
	 * does a whole paragraph when 40 % of its lines have two or 60 % have
	 * one and some two (a log: the stamp line and the message lines around
	 * the frames), except its sentences ("The fee is computed here:").
	 */
	for (i = 0; i < cut;) {
		if (L.v[i].ts == L.v[i].te) {
			i++;
			continue;
		}
		size_t j = i, lines = 0, two = 0, one = 0;
		for (; j < cut && L.v[j].ts < L.v[j].te; j++) {
			if (!L.v[j].keep)
				continue;
			int m = machine_signs(b + L.v[j].ts, L.v[j].te - L.v[j].ts);
			L.v[j].machine = (unsigned char)m;
			lines++;
			two += m >= 2;
			one += m >= 1;
		}
		int all = lines >= 2 && two && (two * 10 >= lines * 4 || one * 10 >= lines * 6);
		for (size_t k = i; k < j; k++)
			if (L.v[k].keep && (L.v[k].machine >= 2 ||
					    (all && (L.v[k].machine || !prose_line(b + L.v[k].ts, L.v[k].te - L.v[k].ts)))))
				L.v[k].keep = 0;
		i = j;
	}

	/* A sign-off block at the end: "Best regards,\nSofia\nBilling". */
	{
		size_t first = cut, after = 0;
		for (i = 0; i < cut; i++)
			if (L.v[i].keep && L.v[i].ts < L.v[i].te) {
				first = i;
				break;
			}
		for (i = cut; i-- > 0;) {
			if (!L.v[i].keep || L.v[i].ts == L.v[i].te)
				continue;
			size_t n = L.v[i].te - L.v[i].ts;
			if (signoff(b + L.v[i].ts, n) && i != first) {
				cut = i;
				break;
			}
			if (++after > 8 || n > 90)
				break;
		}
	}

	/* A newsletter: an unsubscribe footer in the last lines of the last paragraph. */
	{
		int seen = 0;
		for (i = cut; i-- > 0;) {
			if (!L.v[i].keep)
				continue;
			if (L.v[i].ts == L.v[i].te) {
				if (seen)
					break;  /* the paragraph above the last one */
				continue;
			}
			if (++seen > 4)
				break;  /* a footer is short */
			if (L.v[i].te - L.v[i].ts <= 400 && bulk_footer(b + L.v[i].ts, L.v[i].te - L.v[i].ts)) {
				cut = 0;
				break;
			}
		}
	}

	/*
	 * Kept lines into ranges; blank lines join, a dropped line or a URL
	 * separates. The URLs are found in one search over the kept text (a
	 * URL ends at a line end), not line by line.
	 */
	{
		int chain = 0;
		size_t text_end = cut ? L.v[cut - 1].e : 0, ue = 0;
		size_t us = next_url(b, 0, text_end, &ue);
		for (i = 0; i < cut; i++) {
			if (!L.v[i].keep) {
				chain = 0;
				continue;
			}
			if (L.v[i].ts == L.v[i].te)
				continue;
			size_t p = L.v[i].s, e = L.v[i].e;
			while (us < p && us < text_end)
				us = next_url(b, ue > p ? ue : p, text_end, &ue);
			while (p < e) {
				if (us >= e) {
					add_range(out, p, e, &chain);
					break;
				}
				if (us > p)
					add_range(out, p, us, &chain);
				chain = 0;
				p = ue;
				us = next_url(b, ue, text_end, &ue);
			}
		}
	}
	if (L.v != L.stack)
		free(L.v);
}
