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

static int has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);
	return sl <= n && !memcmp(s + n - sl, suffix, sl);
}

static int contains_ci(const char *s, size_t n, const char *needle)
{
	size_t nl = strlen(needle);
	for (size_t i = 0; i + nl <= n; i++)
		if (has_prefix_ci(s + i, n - i, needle))
			return 1;
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
	return has_prefix_ci(s, n, "on ") || has_prefix_ci(s, n, "am ") || has_prefix_ci(s, n, "le ") ||
	       has_prefix_ci(s, n, "el ") || has_prefix_ci(s, n, "il ") || has_prefix_ci(s, n, "op ") ||
	       has_prefix_ci(s, n, "den ");
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

static int header_key(const char *s, size_t n, const char *const *keys, size_t nkeys)
{
	if (n && *s == '*') {  /* "*From:* ..." from an HTML-to-text conversion */
		s++;
		n--;
	}
	for (size_t i = 0; i < nkeys; i++)
		if (has_prefix_ci(s, n, keys[i]))
			return 1;
	return 0;
}

static const char *const from_keys[] = { "from:", "von:", "de:", "de :", "da:", "van:", "fra:", "från:" };
static const char *const sent_keys[] = {
	"sent:", "date:", "gesendet:", "datum:", "envoyé :", "envoyé:", "enviado el:", "enviado:", "inviato:",
	"verzonden:", "sendt:", "skickat:", "to:", "an:", "à :", "para:", "subject:", "betreff:", "objet :",
	"asunto:",
};

static int fwd_intro(const char *s, size_t n)
{
	return has_prefix_ci(s, n, "begin forwarded message") ||
	       has_prefix_ci(s, n, "anfang der weitergeleiteten") ||
	       has_prefix_ci(s, n, "début du message réexpédié") ||
	       has_prefix_ci(s, n, "inicio del mensaje reenviado") ||
	       has_prefix_ci(s, n, "forwarded message:");
}

/* The first line of a legal/confidentiality footer. */
static int footer_start(const char *s, size_t n)
{
	static const char *const starts[] = {
		"this e-mail and any", "this email and any", "this message and any", "this e-mail message and any",
		"this email message and any", "this e-mail is confidential", "this email is confidential",
		"this message is confidential", "this e-mail may contain", "this email may contain",
		"this message may contain", "this communication is confidential", "this e-mail (including",
		"this email (including", "the information contained in this", "the information in this e-mail",
		"the information in this email", "the content of this email", "the contents of this e-mail",
		"the contents of this email", "confidentiality notice", "confidentiality note", "confidential:",
		"privileged and confidential", "disclaimer:", "legal notice:", "if you are not the intended recipient",
		"if you have received this e-mail in error", "if you have received this email in error",
		"if you received this e-mail in error", "if you received this email in error",
		"diese e-mail enthält vertrauliche", "diese email enthält vertrauliche",
		"diese nachricht enthält vertrauliche", "diese e-mail ist vertraulich", "diese e-mail kann vertrauliche",
		"diese e-mail könnte vertrauliche", "wenn sie nicht der richtige adressat",
		"sollten sie nicht der richtige adressat", "falls sie nicht der richtige adressat",
		"vertraulichkeitshinweis", "haftungsausschluss", "ce message et toutes", "ce courriel et ",
		"ce message est confidentiel", "este mensaje y sus anexos", "este correo electrónico y",
		"este mensaje es confidencial",
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(starts); i++)
		if (has_prefix_ci(s, n, starts[i]))
			return 1;
	return 0;
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
	static const char *const offs[] = {
		"best regards", "kind regards", "warm regards", "warmest regards", "regards", "best wishes",
		"with best regards", "with kind regards", "many thanks", "thanks", "thank you", "thanks again",
		"thanks in advance", "thank you in advance", "thx", "cheers", "best", "all the best", "sincerely",
		"yours sincerely", "sincerely yours", "yours truly", "yours faithfully", "respectfully", "warmly",
		"take care", "talk soon", "mit freundlichen grüßen", "mit freundlichen grüssen",
		"mit freundlichem gruß", "mit freundlichem gruss", "freundliche grüße", "freundliche grüsse",
		"viele grüße", "viele grüsse", "beste grüße", "beste grüsse", "liebe grüße", "liebe grüsse",
		"herzliche grüße", "herzliche grüsse", "schöne grüße", "schöne grüsse", "besten dank",
		"vielen dank", "danke", "gruß", "gruss", "grüße", "grüsse", "mfg", "lg", "vg", "cordialement",
		"bien cordialement", "bien à vous", "salutations", "merci", "saludos", "un saludo", "atentamente",
		"saludos cordiales", "cordiali saluti", "met vriendelijke groet", "groeten", "hälsningar",
		"med venlig hilsen", "mvh",
	};
	while (n && (s[n - 1] == ',' || s[n - 1] == '!' || s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	if (!n || n > 32)
		return 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(offs); i++) {
		size_t l = strlen(offs[i]);
		if (l == n && has_prefix_ci(s, n, offs[i]))
			return 1;
	}
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
		for (i = L.n; i-- > 0;) {
			if (!keep[i])
				continue;
			if (is_blank(b + L.v[i].s, L.v[i].e - L.v[i].s)) {
				/* Blank line: end of the last paragraph if something was seen after it. */
				size_t k = i + 1;
				while (k < L.n && (!keep[k] || is_blank(b + L.v[k].s, L.v[k].e - L.v[k].s)))
					k++;
				if (k < L.n)
					break;
				continue;
			}
			if (bulk_footer(b + L.v[i].s, L.v[i].e - L.v[i].s)) {
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
