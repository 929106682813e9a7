/*
 * mime_p.h - helpers shared by the MIME decoder's files (mime.c, charset.c,
 * html.c, subject.c); not part of ingest.h. Everything returns owned strings
 * unless said otherwise; nothing here fails on bad input.
 */
#ifndef CT_MIME_P_H
#define CT_MIME_P_H

#include "ingest.h"

/*
 * Appends len bytes of text in charset to out as valid UTF-8 without NUL
 * bytes (NUL becomes a blank). charset NULL or "" means undeclared: UTF-8
 * when valid, else windows-1252. Bytes not valid in the charset become
 * U+FFFD with a warning on it; an unknown charset is read as windows-1252
 * with a warning. iconv descriptors are cached per thread, so this may run
 * in several threads at once.
 */
void ct_mime_add_text(struct ct_buf *out, const char *s, size_t len, const char *charset,
		      struct ct_item *it);

/*
 * Appends len bytes of UTF-8 text to out, each byte that is not part of a
 * valid sequence replaced by U+FFFD and each NUL by a blank. Returns the
 * number of bytes replaced (NULs not counted).
 */
size_t ct_mime_add_utf8(struct ct_buf *out, const char *s, size_t len);

struct mailmime;
struct mailimf_fields;

/*
 * How deep MIME parts may nest: the tree parser and the decoder recurse
 * once per level, so deeper structure is read as text.
 */
#define CT_MIME_MAX_DEPTH 64

/* ct_mime_tree_parse(): a tree was built, but with parts nested too deep cut. */
#define CT_MIME_TREE_CUT 1000

/*
 * The MIME tree of a message with LF line ends only, as libetpan's
 * mailmime_parse() builds it (same parts, same offsets, the fields the
 * decoder reads), found faster. top: MIME fields of the message's header
 * taken out of msg (read before those left in it), or NULL. A MAILIMF_*
 * code; free with mailmime_free(). Unlike libetpan, a multipart or
 * message part nested deeper than CT_MIME_MAX_DEPTH is read as one
 * text/plain part holding the rest: the result is then CT_MIME_TREE_CUT,
 * with *result set as for MAILIMF_NO_ERROR.
 */
int ct_mime_tree_parse(const char *msg, size_t len, struct mailimf_fields *top,
		       struct mailmime **result);

/*
 * The header field starting at p (before e): *colon at the ':' after its
 * name, and its end, past the line end of its last line (continuation
 * lines start with a blank), or e. NULL when p does not start a field.
 */
const char *ct_mime_field_end(const char *p, const char *e, const char **colon);

/*
 * The value of the header field whose colon is at c and which ends at end
 * (past its last line end), as libetpan's unstructured-value parser gives
 * it: from the first character after the colon that is not a blank, to
 * the last line end. NULL when libetpan would read it otherwise: a NUL
 * byte in it (libetpan cuts there) or a continuation line of blanks only
 * (libetpan may end the field there).
 */
const char *ct_mime_field_value(const char *c, const char *end, size_t *n);

/*
 * How ct_mime_parse() reads the top-level From, To, Cc, Subject, Date and
 * message-id fields. Only tests change it, to compare the readings; it is
 * one setting for the process, not to be changed while messages are read.
 */
enum ct_mime_headers {
	CT_MIME_HEADERS_FAST,   /* the default: simple values directly, others as ALONE */
	CT_MIME_HEADERS_ALONE,  /* each field by libetpan on its own: what FAST must equal */
	CT_MIME_HEADERS_WHOLE,  /* libetpan on the whole header, as mailmime_parse() reads it */
};
void ct_mime_set_headers(enum ct_mime_headers how);

/* Routes libetpan's charset conversions through ct_mime_add_text (once per process). */
void ct_mime_charconv_init(void);

/*
 * ct_item_warn() for the decoder: a warning already on the item is not
 * repeated, and after 32 of them one line says the rest was left out.
 */
void ct_mime_warn(struct ct_item *it, const char *fmt, ...) CT_PRINTF(2, 3);

/* The value of hex digit c, or -1. */
int ct_mime_hexval(int c);


/*
 * Decodes a raw header value: RFC 2047 encoded words (B and Q; adjacent
 * words joined, also when one character is split across two of them), raw
 * 8-bit text as UTF-8 when valid else windows-1252, line folds unfolded,
 * surrounding blanks trimmed. NULL gives "".
 */
char *ct_mime_decode_header(const char *v, struct ct_item *it);

/*
 * Readable text from HTML (UTF-8 in, UTF-8 out): script, style and head
 * dropped, block elements and <br> become line breaks, list items get
 * "- " (or "1. " in ordered lists), entities decoded (named, decimal, hex;
 * &nbsp; becomes a blank), <pre> keeps its spacing, at most one empty line
 * in a row.
 */
char *ct_html_to_text(const char *s, size_t len);

#endif
