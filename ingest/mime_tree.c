/*
 * mime_tree.c - the MIME tree of a message, as libetpan's mailmime_parse()
 * builds it, for a fraction of the cost.
 *
 * The tree is libetpan's own struct mailmime, with the same parts at the
 * same offsets, so the rest of the decoder (mime.c) and mailmime_free()
 * work on it unchanged. What differs is how it is found:
 *
 * - delimiter lines are found with memchr() on line ends, not a state
 *   machine run over every byte (the results are the same: the scan below
 *   follows libetpan's rules, quirks included, for input without CR);
 * - a Content-Type value of the usual shape (type/subtype and plain or
 *   quoted parameters, ASCII, no comments or encoded words) is read here;
 *   any other value goes to libetpan's own field parser. libetpan 1.9
 *   first runs every value through its RFC 2047 phrase decoder, which
 *   joins folded lines and runs of blanks into one blank: the reader below
 *   does the same, so its result is the one libetpan would give;
 * - only the fields the decoder reads are kept in a part's MIME fields
 *   (Content-Type, Content-Transfer-Encoding, Content-Disposition); the
 *   others (MIME-Version, Content-ID, Content-Language, ...) are not parsed.
 *
 * - a body part's header of plain fields is split here (anything else in
 *   it, and the message's own header, is still parsed by libetpan).
 *
 * Preambles and epilogues are not kept. The input has LF line ends only
 * (ct_mime_parse() normalises them first): the delimiter scan relies on it.
 */
#include "mime_p.h"

#include <libetpan/libetpan.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { DEFAULT_TEXT, DEFAULT_MESSAGE };

/*
 * The parse in progress: how deep the part being read is nested, and
 * whether deeper parts were cut (read as text) to bound the recursion.
 */
struct tree {
	int depth;
	int cut;
};

static int parse_with_default(struct tree *tr, const char *m, size_t len, size_t *idx, int dflt,
			      struct mailmime_content *ctype, struct mailmime_fields *mfields,
			      struct mailimf_fields *top, struct mailmime **result);

/* ---- Content-Type ---- */

/* RFC 2045 token characters (no tspecials, no blank, no controls), as a bit set */
static const uint32_t tok_bits[4] = { 0x00000000u, 0x03ff6cfau, 0xc7fffffeu, 0x7fffffffu };
/* Characters of an unquoted parameter value: a subset of libetpan's atom */
static const uint32_t val_bits[4] = { 0x00000000u, 0xa3ffecfau, 0xefffffffu, 0x7fffffffu };

static int in_set(const uint32_t *set, unsigned char c)
{
	return c < 128 && (set[c >> 5] >> (c & 31)) & 1;
}

static int tok_char(unsigned char c)
{
	return in_set(tok_bits, c);
}

static int val_char(unsigned char c)
{
	return in_set(val_bits, c);
}

static struct mailmime_type *named_type(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int composite, type;
	} names[] = {
		{ "message", 1, MAILMIME_COMPOSITE_TYPE_MESSAGE },
		{ "multipart", 1, MAILMIME_COMPOSITE_TYPE_MULTIPART },
		{ "text", 0, MAILMIME_DISCRETE_TYPE_TEXT },
		{ "image", 0, MAILMIME_DISCRETE_TYPE_IMAGE },
		{ "audio", 0, MAILMIME_DISCRETE_TYPE_AUDIO },
		{ "video", 0, MAILMIME_DISCRETE_TYPE_VIDEO },
		{ "application", 0, MAILMIME_DISCRETE_TYPE_APPLICATION },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) != n || strncasecmp(s, names[i].name, n))
			continue;
		if (names[i].composite)
			return mailmime_type_new(MAILMIME_TYPE_COMPOSITE_TYPE, NULL,
						 mailmime_composite_type_new(names[i].type, NULL));
		return mailmime_type_new(MAILMIME_TYPE_DISCRETE_TYPE,
					 mailmime_discrete_type_new(names[i].type, NULL), NULL);
	}
	return NULL;
}

/*
 * Reads a Content-Type value of the usual shape into *out (0), or says it
 * is not one (-1: let libetpan read it). Blank runs and line folds become
 * one blank first, as libetpan's phrase decoder does.
 */
static int simple_content(const char *v, struct mailmime_content **out)
{
	char buf[512], *c = buf;
	size_t n = 0, vlen = strlen(v);
	int ret = -1;
	struct mailmime_type *type = NULL;
	clist *params = NULL;

	if (vlen >= sizeof(buf))
		c = ct_malloc(vlen + 1);
	int nl = 0;  /* line ends in this run of blanks */
	for (const char *p = v; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n' ? p[1] != ' ' && p[1] != '\t' : ch != '\t' && (ch < 0x20 || ch > 0x7e))
			goto out;
		if (ch == '(' || ch == '\\' || (ch == '=' && p[1] == '?'))
			goto out;
		if (ch == ' ' || ch == '\t' || ch == '\n') {
			/* one fold per run, or libetpan's phrase decoder stops there */
			if (ch == '\n' && nl++)
				goto out;
			if (n && c[n - 1] != ' ')
				c[n++] = ' ';
		} else {
			nl = 0;
			c[n++] = (char)ch;
		}
	}
	c[n] = '\0';

	const char *p = c, *s;
#define SKIP_BLANK() while (*p == ' ') p++
	for (s = p; tok_char((unsigned char)*p); p++)
		;
	if (!(type = named_type(s, (size_t)(p - s))))
		goto out;
	SKIP_BLANK();
	if (*p++ != '/')
		goto out;
	SKIP_BLANK();
	for (s = p; tok_char((unsigned char)*p); p++)
		;
	if (p == s)
		goto out;
	const char *sub = s;
	size_t sublen = (size_t)(p - s);
	params = clist_new();
	for (;;) {
		SKIP_BLANK();
		if (!*p)
			break;
		if (*p++ != ';')
			goto out;
		SKIP_BLANK();
		if (!*p)
			break;
		const char *a = p, *val, *vend;
		while (tok_char((unsigned char)*p))
			p++;
		size_t alen = (size_t)(p - a);
		if (!alen)
			goto out;
		SKIP_BLANK();
		if (*p++ != '=')
			goto out;
		SKIP_BLANK();
		if (*p == '"') {
			val = ++p;
			while (*p && *p != '"')
				p++;
			if (*p != '"')
				goto out;
			vend = p++;
		} else {
			for (val = p; val_char((unsigned char)*p); p++)
				;
			vend = p;
			if (vend == val || (*p && *p != ' ' && *p != ';'))
				goto out;
		}
		clist_append(params, mailmime_parameter_new(ct_strndup(a, alen),
							    ct_strndup(val, (size_t)(vend - val))));
	}
#undef SKIP_BLANK
	*out = mailmime_content_new(type, ct_strndup(sub, sublen), params);
	type = NULL;
	params = NULL;
	ret = 0;
out:
	if (params) {
		for (clistiter *i = clist_begin(params); i; i = clist_next(i))
			mailmime_parameter_free(clist_content(i));
		clist_free(params);
	}
	if (type)
		mailmime_type_free(type);
	if (c != buf)
		free(c);
	return ret;
}

/* Appends the MIME fields of f the decoder reads to *list (made when needed). */
static void add_mime_fields(struct mailimf_fields *f, clist **list)
{
	for (clistiter *c = f ? clist_begin(f->fld_list) : NULL; c; c = clist_next(c)) {
		struct mailimf_field *fl = clist_content(c);
		if (fl->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD)
			continue;
		struct mailimf_optional_field *of = fl->fld_data.fld_optional_field;
		if (strncasecmp(of->fld_name, "Content-", 8))
			continue;
		const char *rest = of->fld_name + 8;
		struct mailmime_field *mf = NULL;
		struct mailmime_content *ct;
		if (!strcasecmp(rest, "Type") && simple_content(of->fld_value, &ct) == 0)
			mf = mailmime_field_new(MAILMIME_FIELD_TYPE, ct, NULL, NULL, NULL, 0, NULL, NULL,
						NULL);
		else if ((!strcasecmp(rest, "Type") || !strcasecmp(rest, "Transfer-Encoding") ||
			  !strcasecmp(rest, "Disposition")) &&
			 mailmime_field_parse(of, &mf) != MAILIMF_NO_ERROR)
			mf = NULL;
		if (!mf)
			continue;
		if (!*list)
			*list = clist_new();
		clist_append(*list, mf);
	}
}

/*
 * mailmime_fields_parse() for what the decoder reads: Content-Type,
 * Content-Transfer-Encoding and Content-Disposition, in order, those of
 * top (if any) first. NULL when there are none, as libetpan gives when it
 * finds none it can read.
 */
static struct mailmime_fields *mime_fields(struct mailimf_fields *top, struct mailimf_fields *f)
{
	clist *list = NULL;
	add_mime_fields(top, &list);
	add_mime_fields(f, &list);
	return list ? mailmime_fields_new(list) : NULL;
}

/* The MIME fields libetpan leaves out of a message's RFC 5322 fields. */
static void drop_mime_fields(struct mailimf_fields *f)
{
	static const char *const names[] = { "Type", "Transfer-Encoding", "ID", "Description",
					     "Disposition", "Language" };
	clistiter *c = f ? clist_begin(f->fld_list) : NULL;
	while (c) {
		struct mailimf_field *fl = clist_content(c);
		int drop = 0;
		if (fl->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD) {
			const char *name = fl->fld_data.fld_optional_field->fld_name;
			if (!strncasecmp(name, "Content-", 8)) {
				for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
					drop |= !strcasecmp(name + 8, names[i]);
			} else {
				drop = !strcasecmp(name, "MIME-Version");
			}
		}
		if (drop) {
			c = clist_delete(f->fld_list, c);
			mailimf_field_free(fl);
		} else {
			c = clist_next(c);
		}
	}
}

/*
 * The header field starting at p (before e): *colon at the ':' after its
 * name (printable characters), and its end, past the line end of its last
 * line (continuation lines start with a blank), or e. NULL when p does
 * not start a field.
 */
const char *ct_mime_field_end(const char *p, const char *e, const char **colon)
{
	const char *c = p, *end = p;
	while (c < e && *c > ' ' && *c < 127 && *c != ':')
		c++;
	if (c == p || c >= e || *c != ':')
		return NULL;
	do {
		const char *nl = memchr(end, '\n', (size_t)(e - end));
		end = nl ? nl + 1 : e;
	} while (end < e && (*end == ' ' || *end == '\t'));
	*colon = c;
	return end;
}

/*
 * The value of the field whose colon is at c and which ends at end (past
 * its last line end), as libetpan gives it: from the first character
 * after the colon that is not a blank, to the last line end. NULL when
 * libetpan would read it otherwise: a NUL byte in it (libetpan cuts
 * there) or a continuation line of blanks only (libetpan may end the field
 * there).
 */
const char *ct_mime_field_value(const char *c, const char *end, size_t *n)
{
	const char *v = c + 1, *e = end;
	if (e > v && e[-1] == '\n')
		e--;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	if (memchr(v, '\0', (size_t)(e - v)))
		return NULL;
	for (const char *nl = memchr(v, '\n', (size_t)(e - v)); nl; nl = memchr(nl + 1, '\n', (size_t)(e - nl - 1))) {
		const char *q = nl + 1;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q == e || *q == '\n')
			return NULL;
	}
	*n = (size_t)(e - v);
	return v;
}

/*
 * The fields of a body part's header as mailimf_optional_fields_parse()
 * reads them, for a header of well-formed fields (each "Name:" and its
 * continuation lines, ended by an empty line): only those the decoder
 * reads are kept. *body: where the body starts. -1 for any other header,
 * which is left to libetpan.
 */
static int split_part_header(const char *t, size_t tl, size_t *body, struct mailimf_fields **out)
{
	const char *p = t, *e = t + tl;
	struct mailimf_fields *f = NULL;
	while (p < e && *p != '\n') {
		const char *c, *end = ct_mime_field_end(p, e, &c);
		if (!end || end[-1] != '\n')
			goto fail;  /* not a field, or no line end after it (libetpan wants one) */
		size_t n = (size_t)(c - p), vn;
		const char *v = ct_mime_field_value(c, end, &vn);
		if (!v)
			goto fail;
		if (n > 8 && !strncasecmp(p, "Content-", 8) &&
		    ((n == 12 && !strncasecmp(p + 8, "Type", 4)) ||
		     (n == 25 && !strncasecmp(p + 8, "Transfer-Encoding", 17)) ||
		     (n == 19 && !strncasecmp(p + 8, "Disposition", 11)))) {
			if (!f)
				f = mailimf_fields_new_empty();
			mailimf_fields_add(f, mailimf_field_new_custom(ct_strndup(p, n), ct_strndup(v, vn)));
		}
		p = end;
	}
	if (p == e)
		goto fail;  /* no empty line ends it */
	*body = (size_t)(p + 1 - t);
	*out = f;
	return 0;
fail:
	if (f)
		mailimf_fields_free(f);
	return -1;
}

/* ---- multipart bodies ---- */

/*
 * Where the preamble ends: just past the first "--" libetpan's preamble
 * scan accepts from *idx, beol saying *idx starts a line (-1 at the end).
 * Its state machine is followed as it is, quirks included: a line start is
 * also assumed one character after a line's first character.
 */
static int preamble(const char *m, size_t len, size_t *idx, int beol)
{
	enum { A0, A, A1, C, D } st = beol ? A0 : A;
	for (size_t i = *idx; i < len; i++) {
		char ch = m[i];
		switch (st) {
		case A0:
		case A1:
			if (ch == '-' && st == A1) {
				*idx = i + 1;
				return 0;
			}
			st = ch == '-' ? A1 : ch == '\n' ? C : A;
			break;
		case A:
			st = ch == '\n' ? C : A;
			break;
		case C:
			st = ch == '-' ? D : ch == '\n' ? C : A0;
			break;
		case D:
			if (ch == '-') {
				*idx = i + 1;
				return 0;
			}
			st = A;
			break;
		}
	}
	return -1;
}

static int boundary_at(const char *m, size_t len, size_t i, const char *bnd, size_t blen)
{
	return i + blen < len && !memcmp(m + i, bnd, blen);
}

/*
 * From *idx to the next delimiter line ("--boundary" at the start of a line
 * after *idx): the text before it, without the line end before it, and *idx
 * just past the boundary. Without one, the text runs to the end, or to the
 * last line start with a '-' (libetpan's scan keeps that mark). -1 when the
 * text is empty.
 */
static int dash2(const char *m, size_t len, size_t *idx, const char *bnd, size_t blen,
		 const char **text, size_t *tlen)
{
	size_t begin = *idx, end = len, cur = begin;
	/*
	 * Only a line that starts with '-' matters: the scan goes from dash
	 * to dash (base64, most of a mailbox's bytes, has none), not from line
	 * to line. A line end at q >= cur followed by '-' is what counts.
	 */
	for (;;) {
		const char *dash = cur + 1 < len ? memchr(m + cur + 1, '-', len - cur - 1) : NULL;
		if (!dash) {
			cur = len;
			break;
		}
		size_t q = (size_t)(dash - m) - 1;
		if (m[q] != '\n') {
			cur = q + 1;
			continue;
		}
		end = q + 1;
		if (q + 2 < len && m[q + 2] == '-') {
			if (boundary_at(m, len, q + 3, bnd, blen)) {
				cur = q + 3 + blen;
				break;
			}
			cur = q + 3;
		} else {
			cur = q + 2;
		}
	}
	if (end > begin && m[end - 1] == '\n')
		end--;
	if (end <= begin)
		return -1;
	*text = m + begin;
	*tlen = end - begin;
	*idx = cur;
	return 0;
}

static size_t skip_wsp(const char *m, size_t len, size_t i)
{
	while (i < len && (m[i] == ' ' || m[i] == '\t'))
		i++;
	return i;
}

/*
 * A body part from *idx, up to a delimiter line with only blanks after the
 * boundary (last 0) or, for the last part, up to the close delimiter
 * ("--boundary--") or the end (last 1): its text and *idx past its end.
 */
static int part_until(const char *m, size_t len, size_t *idx, const char *bnd, size_t blen, int last,
		      const char **text, size_t *tlen)
{
	size_t cur = *idx;
	const char *t;
	size_t tl;
	for (;;) {
		if (dash2(m, len, &cur, bnd, blen, &t, &tl))
			return -1;
		if (!last) {
			cur = skip_wsp(m, len, cur);
			if (cur < len && m[cur] == '\n') {
				cur++;
				break;
			}
		} else if (cur >= len) {
			break;
		} else if (cur + 1 < len && m[cur] == '-' && m[cur + 1] == '-') {
			/* "--", blanks, then one more character (or the end) */
			cur = skip_wsp(m, len, cur + 2);
			if (cur < len)
				cur++;
			break;
		}
	}
	*text = m + *idx;
	*tlen = (size_t)(t + tl - (m + *idx));
	*idx = cur;
	return 0;
}

/* One body part: its header, its MIME fields, its tree. */
static int body_part(struct tree *tr, const char *t, size_t tl, int dflt, struct mailmime **out)
{
	struct mailimf_fields *f = NULL;
	size_t bp = 0;
	if (split_part_header(t, tl, &bp, &f)) {
		int r = mailimf_optional_fields_parse(t, tl, &bp, &f);
		if (r != MAILIMF_NO_ERROR && r != MAILIMF_ERROR_PARSE)
			return r;
		if (bp < tl && t[bp] == '\n')
			bp++;
	}
	struct mailmime_fields *mf = mime_fields(NULL, f);
	if (f)
		mailimf_fields_free(f);
	int r = parse_with_default(tr, t, tl, &bp, dflt, NULL, mf, NULL, out);
	if (r != MAILIMF_NO_ERROR && mf)
		mailmime_fields_free(mf);
	return r;
}

/* The parts of a multipart body from *idx (-1: none could be read). */
static int multipart_parts(struct tree *tr, const char *m, size_t len, size_t idx, const char *bnd,
			   int dflt, clist **result)
{
	size_t cur = idx, blen = strlen(bnd);
	if (preamble(m, len, &cur, 1) == 0)
		for (;;) {
			if (boundary_at(m, len, cur, bnd, blen)) {
				cur += blen;
				break;
			}
			if (preamble(m, len, &cur, 0))
				break;
		}
	/* blank lines after the first delimiter are skipped */
	for (size_t i = cur;;) {
		i = skip_wsp(m, len, i);
		if (i >= len || m[i] != '\n')
			break;
		cur = ++i;
	}
	clist *list = clist_new();
	for (int last = 0; !last;) {
		const char *t;
		size_t tl;
		struct mailmime *part;
		if (part_until(m, len, &cur, bnd, blen, 0, &t, &tl)) {
			if (part_until(m, len, &cur, bnd, blen, 1, &t, &tl)) {
				for (clistiter *i = clist_begin(list); i; i = clist_next(i))
					mailmime_free(clist_content(i));
				clist_free(list);
				return -1;
			}
			last = 1;
		}
		int r = body_part(tr, t, tl, dflt, &part);
		if (r != MAILIMF_NO_ERROR)
			break;
		clist_append(list, part);
		size_t i = skip_wsp(m, len, cur);
		if (i < len && m[i] == '\n')
			cur = i + 1;
	}
	*result = list;
	return 0;
}

/* ---- the tree ---- */

static struct mailmime_content *take_content_type(struct mailmime_fields *mf)
{
	for (clistiter *c = mf ? clist_begin(mf->fld_list) : NULL; c; c = clist_next(c)) {
		struct mailmime_field *f = clist_content(c);
		if (f->fld_type != MAILMIME_FIELD_TYPE)
			continue;
		struct mailmime_content *ct = f->fld_data.fld_content;
		f->fld_data.fld_content = NULL;
		clist_delete(mf->fld_list, c);
		mailmime_field_free(f);
		return ct;
	}
	return NULL;
}

/*
 * libetpan's mailmime_parse_with_default(), with the pieces above. It
 * recurses once per nesting level: a multipart or message part nested
 * deeper than CT_MIME_MAX_DEPTH is read as one text/plain part instead
 * (tr->cut set), so hostile nesting cannot overflow the stack.
 */
static int parse_with_default(struct tree *tr, const char *m, size_t len, size_t *idx, int dflt,
			      struct mailmime_content *ctype, struct mailmime_fields *mfields,
			      struct mailimf_fields *top, struct mailmime **result)
{
	int kind = MAILMIME_SINGLE;
	char *bnd = NULL;
	clist *parts = NULL;
	struct mailimf_fields *fields = NULL;
	struct mailmime *msg = NULL;
	size_t cur = *idx;

	if (!ctype)
		ctype = take_content_type(mfields);
	if (!ctype)
		ctype = dflt == DEFAULT_TEXT ? mailmime_get_content_text() : mailmime_get_content_message();
	if (ctype->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		int ct = ctype->ct_type->tp_data.tp_composite_type->ct_type;
		if (ct == MAILMIME_COMPOSITE_TYPE_MULTIPART) {
			bnd = mailmime_extract_boundary(ctype);
			kind = bnd ? MAILMIME_MULTIPLE : MAILMIME_SINGLE;
		} else if (ct == MAILMIME_COMPOSITE_TYPE_MESSAGE) {
			kind = !strcasecmp(ctype->ct_subtype, "rfc822") ? MAILMIME_MESSAGE : MAILMIME_SINGLE;
		} else {
			mailmime_content_free(ctype);
			return MAILIMF_ERROR_INVAL;
		}
	}
	if (kind != MAILMIME_SINGLE && tr->depth >= CT_MIME_MAX_DEPTH) {
		mailmime_content_free(ctype);
		ctype = mailmime_get_content_text();
		free(bnd);
		bnd = NULL;
		kind = MAILMIME_SINGLE;
		tr->cut = 1;
	}
	int enc = mfields ? mailmime_transfer_encoding_get(mfields) : MAILMIME_MECHANISM_8BIT;
	if (kind == MAILMIME_MESSAGE &&
	    (enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE || enc == MAILMIME_MECHANISM_BASE64))
		kind = MAILMIME_SINGLE;
	struct mailmime_data *body = mailmime_data_new(MAILMIME_DATA_TEXT, enc, 1, m + cur, len - cur, NULL);

	if (kind == MAILMIME_MESSAGE) {
		int r = mailimf_envelope_and_optional_fields_parse(m, len, &cur, &fields);
		if (r != MAILIMF_NO_ERROR && r != MAILIMF_ERROR_PARSE) {
			mailmime_data_free(body);
			mailmime_content_free(ctype);
			return r;
		}
		if (cur < len && m[cur] == '\n')
			cur++;
		struct mailmime_fields *sub = mime_fields(top, fields);
		if (fields)
			drop_mime_fields(fields);
		tr->depth++;
		int r2 = parse_with_default(tr, m, len, &cur, DEFAULT_TEXT, NULL, sub, NULL, &msg);
		tr->depth--;
		if (r2 != MAILIMF_NO_ERROR) {
			if (sub)
				mailmime_fields_free(sub);
			msg = NULL;
		}
	} else if (kind == MAILMIME_MULTIPLE) {
		int dsub = !strcasecmp(ctype->ct_subtype, "digest") ? DEFAULT_MESSAGE : DEFAULT_TEXT;
		tr->depth++;
		if (multipart_parts(tr, m, len, *idx, bnd, dsub, &parts))
			parts = clist_new();
		tr->depth--;
		free(bnd);
	}
	*result = mailmime_new(kind, m, len, mfields, ctype, body, NULL, NULL, parts, fields, msg);
	*idx = len;
	return MAILIMF_NO_ERROR;
}

int ct_mime_tree_parse(const char *m, size_t len, struct mailimf_fields *top, struct mailmime **result)
{
	size_t idx = 0;
	struct tree tr = { 0, 0 };
	struct mailmime_fields *mf = mailmime_fields_new_empty();
	int r = parse_with_default(&tr, m, len, &idx, DEFAULT_TEXT, mailmime_get_content_message(), mf,
				   top, result);
	if (r != MAILIMF_NO_ERROR)
		mailmime_fields_free(mf);
	else if (tr.cut)
		r = CT_MIME_TREE_CUT;
	return r;
}
