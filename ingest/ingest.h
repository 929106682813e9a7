/*
 * ingest.h - the public face of ingest/: the item (the one record type that
 * flows through the pipeline), MIME decoding of a raw message into an item,
 * and the fetchers that produce items from each kind of source.
 *
 * Memory: an item owns every string it points to; ct_item_free() frees them.
 * Fetchers hand each item to the sink, which takes ownership.
 */
#ifndef CT_INGEST_H
#define CT_INGEST_H

#include "../base/base.h"

struct ct_config;
struct ct_source;

enum ct_item_kind {
	CT_ITEM_EMAIL = 0,
	CT_ITEM_TICKET = 1,      /* a ticket comment / correspondence */
	CT_ITEM_TICKET_MOVE = 2, /* a ticket changed group/queue: routing only, no text */
};

enum ct_sender_role {
	CT_ROLE_UNKNOWN = 0, /* decided from organization.internal_domains */
	CT_ROLE_CUSTOMER = 1,
	CT_ROLE_STAFF = 2,
};

struct ct_address {
	char *name;   /* decoded display name, UTF-8, may be NULL */
	char *addr;   /* lower-cased addr-spec, never NULL */
};

struct ct_addrlist {
	struct ct_address *v;
	size_t n, alloc;
};

struct ct_attachment {
	char *name;   /* may be NULL */
	char *type;   /* "application/pdf" */
	size_t size;  /* decoded size in bytes (estimate from encoded size) */
};

/* A message/rfc822 part, or an inline "Forwarded message" block. */
struct ct_forward {
	char *message_id; /* without <>; may be NULL */
	char *subject;
	char *from;       /* address */
	ct_time date;
	char *body;       /* decoded UTF-8 text */
};

struct ct_item {
	enum ct_item_kind kind;

	/*
	 * The stable identity: the Message-ID without <> for mail (or
	 * "hash:<32 hex>" of the content when it has none), or
	 * "<system>:<ticket>#<comment>" for ticket items.
	 */
	char *external_id;
	char *legacy_external_id; /* the id stores before SHA-256 gave a content-id item, or NULL */
	char *message_id;     /* mail: without <>; NULL when missing. tickets: the mail it came from, if known */
	char *in_reply_to;    /* without <>; first id only */
	struct ct_strlist references; /* without <>, oldest first */
	char *x_forwarded_id; /* X-Forwarded-Message-Id, without <> */

	char *subject;        /* decoded UTF-8, never NULL ("" if none) */
	struct ct_address from;
	struct ct_addrlist to, cc;
	ct_time date;         /* UTC */
	int date_from_file;   /* 1: Date missing/bogus, date is the file/fetch time */
	int date_tz;          /* the Date header's offset, minutes east of UTC */
	int date_has_tz;      /* 1: date_tz was read from the message */

	char *body;           /* decoded UTF-8 text, never NULL */
	size_t body_len;
	int body_from_html;   /* 1: text made from text/html */
	struct ct_forward *fwd;  /* forwarded originals */
	size_t nfwd, fwd_alloc;
	struct ct_attachment *att;
	size_t natt, att_alloc;
	size_t raw_size;

	struct ct_strlist warnings; /* what could not be decoded, one line each */

	/* Where it was found (set by the fetcher). */
	char *source;         /* source name from the config, or "cli" */
	char *mailbox_dept;   /* department of the mailbox/folder/queue, may be NULL */
	char *location;       /* fetcher key: maildir unique name, mbox offset, imap folder/uidvalidity/uid ... */
	int location_in_cursor; /* 1: the fetcher's cursor records progress (IMAP UIDs); location is
				   only named in messages, not remembered as seen */

	/* Tickets. */
	char *ticket_system;  /* "zendesk", "rt", "freshdesk", "jsonl" */
	char *ticket_id;      /* "4108" */
	char *ticket_group;   /* group/queue name at that time */
	char *ticket_group_from; /* CT_ITEM_TICKET_MOVE: previous group (NULL for the first) */
	char *ticket_status;  /* helpdesk status at that time ("open", "solved", "resolved", ...) */
	char *ticket_subject; /* the ticket's subject (for joining a ticket to a mail thread) */
	char *requester;      /* the ticket requester's address (lower case), may be NULL */
	int ticket_public;    /* 1 public comment, 0 internal note */
	int ticket_observed;  /* 1: move observed at poll time (no history API) */
	enum ct_sender_role role;

	/* Filled by the pipeline before the store sees it. */
	char *department;     /* computed department (see DESIGN "An email's department") */
	struct ct_strlist ticket_refs; /* "zendesk:4108" style keys, or bare numbers "4108", found in subject/body */
};

void ct_item_init(struct ct_item *it);
void ct_item_free(struct ct_item *it);      /* frees members, not it */
void ct_item_warn(struct ct_item *it, const char *fmt, ...) CT_PRINTF(2, 3);
/*
 * The id of an item that has no Message-ID: "sha256:" and the SHA-256 of
 * data; legacy_external_id gets the id a store written before SHA-256 gave
 * the same content ("hash:" and two FNV hashes), so that store still finds it.
 */
void ct_item_set_content_id(struct ct_item *it, const char *data, size_t len);
/*
 * Makes the item's header strings (ids, subject, addresses and names,
 * references, forwards' and attachments' fields) valid UTF-8: each byte
 * not part of a valid sequence becomes U+FFFD, with one warning giving
 * the count. Returns the number of bytes replaced.
 */
size_t ct_item_repair_utf8(struct ct_item *it);
void ct_addrlist_push(struct ct_addrlist *l, const char *name, const char *addr);
void ct_addrlist_clear(struct ct_addrlist *l);

/*
 * Decodes a raw RFC 5322 message (any line endings) into it: headers,
 * RFC 2047 words, MIME tree, transfer encodings, charsets to UTF-8 (invalid
 * bytes become U+FFFD), text/plain preferred over HTML-to-text, forwarded
 * message/rfc822 parts into it->fwd, attachments by name/type/size.
 * Never fails on bad input: what cannot be decoded becomes a warning in
 * it->warnings. fallback_date is used (with a warning) when Date is missing
 * or bogus. Sets external_id (Message-ID or a content hash).
 * Returns 0; -1 only when raw is not a message at all (nothing decoded; the
 * item then still holds the raw text as body and a warning).
 */
int ct_mime_parse(const char *raw, size_t len, ct_time fallback_date, struct ct_item *it);

/* Normalised subject: without Re/Fwd/AW/WG/SV/Antw prefixes, [list] tags, ticket tags, folded blanks, lower case. */
char *ct_subject_normalize(const char *subject);
/*
 * 1 when subject starts, after [tags], with a reply or forward prefix (the
 * same list ct_subject_normalize() strips: "Re:", "AW:", "Doorst:", "Fwd[2]:", "[Fwd: ...]").
 */
int ct_subject_is_reply(const char *subject);

/*
 * The sink receives what fetchers produce. The pipeline implements it
 * (classify + store, batched transactions). All callbacks return 0 or -1.
 *
 * seen():   1 if this source already stored location key, 0 if not, -1 error.
 * item():   consumes the contents of *it: the sink calls ct_item_free(it)
 *           (also on error), so the caller only owns the struct itself, which
 *           may live on the stack. it->location is remembered as seen for
 *           it->source in the same transaction as the item (unless
 *           it->location_in_cursor: the fetcher's cursor says it instead).
 * get_cursor()/set_cursor(): per-source named cursor (IMAP folder state,
 *           helpdesk export cursor); set_cursor is committed in the same
 *           transaction as the items handed over before it.
 * warn_count()/fail(): counted in the run summary.
 */
struct ct_sink {
	int (*seen)(struct ct_sink *s, const char *source, const char *key);
	int (*item)(struct ct_sink *s, struct ct_item *it);
	char *(*get_cursor)(struct ct_sink *s, const char *source, const char *name);
	int (*set_cursor)(struct ct_sink *s, const char *source, const char *name, const char *value);
	/* Commits what is pending now (fetchers call it at folder/page ends). */
	int (*flush)(struct ct_sink *s);
	/* A message that could not even be stored: counted as failed. */
	void (*fail)(struct ct_sink *s, const char *what);
	/* Progress: done so far out of total (0 if unknown). */
	void (*progress)(struct ct_sink *s, const char *source, size_t done, size_t total);
	/*
	 * Dry run of a network source: n things (unit: "new" messages, "changed
	 * tickets", "new transactions") would be read from where ("source
	 * folder"). Counted in the run's total. May be NULL: ct_sink_dry_count()
	 * then prints "where: n unit" on stdout.
	 */
	void (*dry_count)(struct ct_sink *s, const char *where, long n, const char *unit);
	int dry_run;          /* count only: item() frees and counts */
	void *data;
};

/* Calls sink->dry_count, or prints the line itself when the sink has none. */
void ct_sink_dry_count(struct ct_sink *sink, const char *where, long n, const char *unit);

/*
 * One fetcher per source kind. run() reads everything new from src into
 * sink. Returns 0, or -1 when the source failed (reported, naming the source);
 * the run goes on with other sources.
 */
struct ct_fetcher {
	const char *type;     /* "maildir", "mbox", "eml", "imap", "pop3", "zendesk", "rt", "freshdesk", "jsonl" */
	int (*run)(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink);
};

/*
 * Local sources without a configured [source] (ingest --maildir/--mbox/--eml).
 * source names the origin in the store; dept may be NULL. Return 0 or -1.
 */
int ct_maildir_ingest(const char *path, const char *source, const char *dept, struct ct_sink *sink);
int ct_mbox_ingest(const char *path, const char *source, const char *dept, struct ct_sink *sink);
int ct_eml_ingest(const char *const *paths, size_t n, const char *source, const char *dept,
		  struct ct_sink *sink);

/*
 * ingest --tickets FILE: a Zendesk export (JSON) or a JSONL event file
 * (ingest/TICKETS.md), detected from the content. 0 or -1.
 */
int ct_tickets_ingest_file(const char *path, const char *source_name, struct ct_sink *sink);

/* NULL when type is unknown. */
const struct ct_fetcher *ct_fetcher_find(const char *type);

extern const struct ct_fetcher ct_fetch_maildir;
extern const struct ct_fetcher ct_fetch_mbox;
extern const struct ct_fetcher ct_fetch_eml;
extern const struct ct_fetcher ct_fetch_imap;
extern const struct ct_fetcher ct_fetch_pop3;
extern const struct ct_fetcher ct_fetch_zendesk;
extern const struct ct_fetcher ct_fetch_rt;
extern const struct ct_fetcher ct_fetch_freshdesk;
extern const struct ct_fetcher ct_fetch_jsonl;

#endif
