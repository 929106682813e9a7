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
 * legal/confidentiality footer. A second pass over the kept lines drops a
 * sign-off block at the end ("Best regards,\nName\nTitle"), and a newsletter
 * (an unsubscribe footer in the last paragraph) keeps nothing at all.
 */
#include "classify_p.h"

#include <string.h>

/* A literal with its length, so that tests do not call strlen per line. */
struct lit {
	const char *s;
	size_t n;
};
#define L_(x) { x, sizeof(x) - 1 }

struct line {
	size_t s, e;       /* [s, e) without the line end */
};

/* Per-call line list; strip runs inside ct_classify's per-thread scratch. */
struct lines {
	struct line *v;
	size_t n, alloc;
};

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f')
			return 0;
	return 1;
}

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

/* One of the literals is a case-insensitive prefix of s (first byte checked first). */
static int any_prefix(const char *s, size_t n, const struct lit *v, size_t nv)
{
	if (!n)
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

static int attribution_start(const char *s, size_t n)
{
	static const struct lit starts[] = { L_("on "), L_("am "), L_("le "), L_("el "), L_("il "), L_("op "), L_("den ") };
	return any_prefix(s, n, starts, CT_ARRAY_SIZE(starts));
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

static int header_key(const char *s, size_t n, const struct lit *keys, size_t nkeys)
{
	if (n && *s == '*') {  /* "*From:* ..." from an HTML-to-text conversion */
		s++;
		n--;
	}
	return any_prefix(s, n, keys, nkeys);
}

static const struct lit from_keys[] = {
	L_("from:"), L_("von:"), L_("de:"), L_("de :"), L_("da:"), L_("van:"), L_("fra:"), L_("från:"),
};
static const struct lit sent_keys[] = {
	L_("sent:"), L_("date:"), L_("gesendet:"), L_("datum:"), L_("envoyé :"), L_("envoyé:"), L_("enviado el:"),
	L_("enviado:"), L_("inviato:"), L_("verzonden:"), L_("sendt:"), L_("skickat:"), L_("to:"), L_("an:"),
	L_("à :"), L_("para:"), L_("subject:"), L_("betreff:"), L_("objet :"), L_("asunto:"),
};

static int fwd_intro(const char *s, size_t n)
{
	static const struct lit intros[] = {
		L_("begin forwarded message"), L_("anfang der weitergeleiteten"), L_("début du message réexpédié"),
		L_("inicio del mensaje reenviado"), L_("forwarded message:"),
	};
	return any_prefix(s, n, intros, CT_ARRAY_SIZE(intros));
}

/* The first line of a legal/confidentiality footer. */
static int footer_start(const char *s, size_t n)
{
	static const struct lit starts[] = {
		L_("this e-mail and any"), L_("this email and any"), L_("this message and any"), L_("this e-mail message and any"),
		L_("this email message and any"), L_("this e-mail is confidential"), L_("this email is confidential"),
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
	return any_prefix(s, n, starts, CT_ARRAY_SIZE(starts));
}

/* Newsletter / bulk mail footers (checked in the last paragraph only). */
static int bulk_footer(const char *s, size_t n)
{
	static const char *const marks[] = {
		"unsubscribe", "you receive this because", "you are receiving this", "you're receiving this",
		"you received this email because", "you received this e-mail because", "manage your preferences",
		"manage your email preferences", "update your preferences", "newsletter abbestellen",
		"vom newsletter abmelden", "sie erhalten diese", "abmelden können sie sich", "se désabonner",
		"se désinscrire", "darse de baja", "cancelar la suscripción",
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(marks); i++)
		if (contains_ci(s, n, marks[i]))
			return 1;
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

static void split_lines(const char *b, size_t len, struct lines *L)
{
	size_t p = 0;
	L->n = 0;
	while (p < len) {
		const char *nl = memchr(b + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - b) : len;
		CT_ALLOC_GROW(L->v, L->n + 1, L->alloc);
		L->v[L->n].s = p;
		L->v[L->n].e = e;
		L->n++;
		p = nl ? e + 1 : len;
	}
}

/* Index of the next non-blank line at or after i, or n. */
static size_t next_nonblank(const char *b, const struct lines *L, size_t i)
{
	while (i < L->n && is_blank(b + L->v[i].s, L->v[i].e - L->v[i].s))
		i++;
	return i;
}

static int quoted(const char *b, const struct line *l)
{
	size_t s = l->s;
	while (s < l->e && (b[s] == ' ' || b[s] == '\t'))
		s++;
	return s < l->e && b[s] == '>';
}

void ct_strip_authored(const char *b, size_t len, struct ct_spans *out)
{
	struct lines L = { NULL, 0, 0 };
	unsigned char *keep;
	size_t i, cut;
	out->n = 0;
	split_lines(b, len, &L);
	if (!L.n)
		goto done;
	keep = ct_malloc(L.n);
	memset(keep, 1, L.n);
	cut = L.n;
	for (i = 0; i < L.n && i < cut; i++) {
		size_t s = L.v[i].s, e = L.v[i].e;
		trim(b, &s, &e);
		const char *t = b + s;
		size_t n = e - s;
		if (!n)
			continue;
		if (*t == '>') {
			keep[i] = 0;
			continue;
		}
		/* Signature delimiter "-- " (also "--" after a careless editor). */
		if (n == 2 && t[0] == '-' && t[1] == '-') {
			cut = i;
			break;
		}
		if (separator_line(t, n) || fwd_intro(t, n) || footer_start(t, n)) {
			cut = i;
			break;
		}
		if (header_key(t, n, from_keys, CT_ARRAY_SIZE(from_keys))) {
			/* An Outlook header block: From: then Sent:/Date:/To: within the next lines. */
			int block = 0;
			for (size_t k = i + 1; k < L.n && k <= i + 3; k++) {
				size_t ks = L.v[k].s, ke = L.v[k].e;
				trim(b, &ks, &ke);
				if (header_key(b + ks, ke - ks, sent_keys, CT_ARRAY_SIZE(sent_keys))) {
					block = 1;
					break;
				}
			}
			if (block) {
				cut = i;
				break;
			}
		}
		size_t last = i;
		int attr = attribution_end(t, n) && (attribution_start(t, n) || n < 200);
		if (!attr && attribution_start(t, n) && i + 1 < L.n) {
			/* Wrapped: "On Mon, 4 Mar 2024 at 09:12, Name <" / "name@example.org> wrote:" */
			size_t ks = L.v[i + 1].s, ke = L.v[i + 1].e;
			trim(b, &ks, &ke);
			if (ke > ks && b[ks] != '>' && attribution_end(b + ks, ke - ks) && n + (ke - ks) < 300) {
				attr = 1;
				last = i + 1;
			}
		}
		if (attr) {
			size_t k = next_nonblank(b, &L, last + 1);
			if (k < L.n && quoted(b, &L.v[k])) {
				/* Inline quoting: the '>' lines go, the author may write below them. */
				for (size_t j = i; j <= last; j++)
					keep[j] = 0;
				i = last;
				continue;
			}
			/* The original follows unquoted (top posting): all of it goes. */
			cut = i;
			break;
		}
	}
	for (i = cut; i < L.n; i++)
		keep[i] = 0;

	/* A sign-off block at the end: "Best regards,\nSofia\nBilling". */
	{
		size_t first = L.n, after = 0;
		for (i = 0; i < L.n; i++)
			if (keep[i] && !is_blank(b + L.v[i].s, L.v[i].e - L.v[i].s)) {
				first = i;
				break;
			}
		for (i = L.n; i-- > 0;) {
			if (!keep[i])
				continue;
			size_t s = L.v[i].s, e = L.v[i].e;
			trim(b, &s, &e);
			if (s == e)
				continue;
			if (signoff(b + s, e - s) && i != first) {
				for (size_t j = i; j < L.n; j++)
					keep[j] = 0;
				break;
			}
			if (++after > 8 || e - s > 90)
				break;
		}
	}

	/* A newsletter: an unsubscribe footer in the last kept paragraph. */
	{
		int seen = 0;
		for (i = L.n; i-- > 0;) {
			if (!keep[i])
				continue;
			if (is_blank(b + L.v[i].s, L.v[i].e - L.v[i].s)) {
				if (seen)
					break;  /* the paragraph above the last one */
				continue;
			}
			if (++seen > 4)
				break;  /* a footer is short */
			if (L.v[i].e - L.v[i].s <= 400 && bulk_footer(b + L.v[i].s, L.v[i].e - L.v[i].s)) {
				memset(keep, 0, L.n);
				break;
			}
		}
	}

	/* Kept lines into ranges; blank lines join, a dropped line separates. */
	{
		int chain = 0;
		for (i = 0; i < L.n; i++) {
			if (!keep[i]) {
				chain = 0;
				continue;
			}
			if (is_blank(b + L.v[i].s, L.v[i].e - L.v[i].s))
				continue;
			if (chain) {
				out->v[out->n - 1].end = L.v[i].e;
				continue;
			}
			CT_ALLOC_GROW(out->v, out->n + 1, out->alloc);
			out->v[out->n].start = L.v[i].s;
			out->v[out->n].end = L.v[i].e;
			out->n++;
			chain = 1;
		}
	}
	free(keep);
done:
	free(L.v);
}
