/* tickets_p.h - private to ingest/: what the helpdesk readers share. */
#ifndef CT_TICKETS_P_H
#define CT_TICKETS_P_H

#include "ingest.h"

#include <stdio.h>

/* Hands a ticket item to the sink unless its location (default: its external id) was seen. */
int ct_tickets_deliver(struct ct_sink *sink, struct ct_item *it);
#include <jansson.h>

/* The string value of o[key], or NULL when absent or not a string. Borrowed from o. */
const char *ct_tickets_jstr(json_t *o, const char *key);

/* Zendesk users and groups by id (as text): user objects, group names. */
struct ct_zd_lookup {
	json_t *users;
	json_t *groups;
};
/* One Zendesk ticket object with its "audits" and "comments" attached, to items. */
int ct_zendesk_ticket(json_t *t, struct ct_zd_lookup *lk, const char *source, struct ct_sink *sink);

/*
 * struct ct_jstream: a JSON file read one value at a time (json_stream.c).
 * Functions return 0 (or a byte, or a string) and -1 (or NULL) on a syntax
 * error, a cut file or a read error: err then says what and err_off where
 * (bytes from the start of the file), and the stream is not to be read on.
 */
struct ct_jstream {
	FILE *f;              /* borrowed */
	char *buf;
	size_t pos, len;
	long long base;       /* file offset of buf[0] */
	int eof, read_errno;
	char err[160];
	long long err_off;
};
void ct_jstream_init(struct ct_jstream *js, FILE *f);
void ct_jstream_release(struct ct_jstream *js);
/* Bytes from the start of the file up to the next one to read. */
long long ct_jstream_offset(const struct ct_jstream *js);
int ct_jstream_seek(struct ct_jstream *js, long long off);
/* The next byte that is not whitespace, not consumed; -1 at the end of the file. */
int ct_jstream_peek(struct ct_jstream *js);
/* Notes that c (a byte, or -1: the end of the file) came where want was expected; -1. */
int ct_jstream_unexpected(struct ct_jstream *js, int c, const char *want);
/* Consumes c, the next byte that is not whitespace. */
int ct_jstream_expect(struct ct_jstream *js, int c);
/* One whole value (nesting checked, scalars not), its text appended to copy unless NULL. */
int ct_jstream_value(struct ct_jstream *js, struct ct_buf *copy);
/* An object's key and the ':' after it, decoded; the caller frees it. */
char *ct_jstream_key(struct ct_jstream *js);

/*
 * A Zendesk export file: {"tickets": [... with "comments" and "audits"],
 * "users", "groups"}, in any order. Read as a stream: users and groups
 * first, then one ticket at a time; the cursor "export" (the file's size,
 * mtime and a hash of its head and tail, and how far its tickets were read)
 * makes a rerun over the same file read nothing and an interrupted one go on
 * where it stopped. A file cut or damaged inside its tickets keeps the
 * tickets before the damage and fails the source, naming the byte offset.
 */
int ct_zendesk_export_ingest(const char *path, const char *source, struct ct_sink *sink);
/* A JSONL file of ticket events (ingest/TICKETS.md). */
int ct_jsonl_ingest(const char *path, const char *source, struct ct_sink *sink);

#endif
