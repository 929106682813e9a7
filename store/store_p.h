/* store_p.h - private to store/: the store handle and shared helpers. */
#ifndef CT_STORE_P_H
#define CT_STORE_P_H

#include "store.h"
#include "db.h"
#include <sqlite3.h>

/*
 * Every prepared statement of the store, one id each: the id indexes the
 * cache in struct ct_store, so two call sites can never share a slot by
 * accident. Grouped by the file that runs them.
 */
enum ct_stmt_id {
	/* store.c */
	ST_SEEN, ST_SEEN_KEYS, ST_MARK_SEEN, ST_GET_CURSOR, ST_SET_CURSOR, ST_FIND_EXT, ST_INS_ITEM,
	ST_INS_ITEM_ID, ST_INS_REF, ST_INS_MAILBOX, ST_INS_FWD, ST_INS_ATT, ST_CLEAR_TAGS, ST_ADD_TAG, ST_SET_HASH,
	/* thread.c */
	ST_THREAD_TICKET, ST_THREAD_BY_MSGID, ST_THREAD_CHILDREN, ST_THREAD_TICKET_REF,
	ST_THREAD_TICKET_REF_REV, ST_THREAD_SUBJECT, ST_THREAD_ORPHANS, ST_THREAD_NEW_CASE, ST_THREAD_NEW_CASE_ID,
	ST_MERGE_ITEMS, ST_MERGE_ROUTING, ST_MERGE_CASES, ST_MERGE_LOG,
	/* routing.c */
	ST_ROUTE_CLEAR, ST_ROUTE_ITEMS, ST_ROUTE_INSERT, ST_ROUTE_CASE, ST_ROUTE_BATCH_DEC, ST_ROUTE_BATCH_ITEMS,
	/* prefetch.c */
	ST_PF_EXT, ST_PF_MSGID, ST_PF_KIDS, ST_PF_SUBJ, ST_PF_TICKET, ST_PF_TREF, ST_PF_SROWS,
	/* cases.c */
	ST_CASE_ITEMS, ST_CASE_TAGS, ST_CASE_MAILBOXES,
	/* report_queries.c */
	ST_REPORT_TAG,
	/* decisions.c */
	ST_DEC_ITEM, ST_DEC_MAILBOXES, ST_ROUTE_DECISION, ST_THREAD_QUIET, ST_THREAD_OLD_SUBJECT, ST_THREAD_LATER_REPLIES,
	/* promises.c */
	ST_PROM_STALE, ST_PROM_UPSERT, ST_PROM_DEL_STALE, ST_KEPT_CLEAR, ST_KEPT_ADD, ST_SET_TZ,
	ST__COUNT
};

/* enum ct_sender_role and enum ct_item_kind are stored as these integers. */
#define SQL_ROLE_STAFF "2"
_Static_assert(CT_ROLE_STAFF == 2 && CT_ROLE_CUSTOMER == 1 && CT_ROLE_UNKNOWN == 0, "roles in the store");
_Static_assert(CT_ITEM_EMAIL == 0 && CT_ITEM_TICKET == 1 && CT_ITEM_TICKET_MOVE == 2, "kinds in the store");

struct ct_store {
	struct ct_db *db;
	char *path;          /* for messages: a file path, or the URL without its password */
	char *target;        /* what was opened: the path or the whole URL */
	char *password;      /* [store] password_command/_env, for ct_store_open_reader */
	/*
	 * PostgreSQL: ids of new items and cases handed out in the open
	 * transaction without a round trip each (ct_store_new_id): from first,
	 * used so far; the sequence is moved past them at commit.
	 */
	struct { int64_t first, used; int active; } ids[2];
	/* PostgreSQL: items added in the open transaction, since the last ANALYZE, and known to it then */
	int64_t tx_new_items, added_items, analyzed_rows;
	/* PostgreSQL: the threading answers of a gathered batch (prefetch.c) */
	struct ct_prefetch *pf;
	/* PostgreSQL: the seen keys of one source, sorted (ct_store_seen) */
	char *seen_source;
	struct ct_strlist seen_cache;
	int writable;
	int in_tx;
	int lock_fd;         /* writers hold an flock on PATH.lock for the whole run */
	char *rules_hash;    /* rule set that tagged the items added (ct_store_set_classifier) */
	struct ct_store_options opt;
	/* cases touched in the open transaction (routing to recompute) */
	int64_t *dirty;
	size_t ndirty, dirty_alloc;
	/* all cases touched in this process */
	int64_t *touched;
	size_t ntouched, touched_alloc;
	size_t touched_mark;  /* ntouched at ct_store_begin(): a rollback forgets the rest */
	int version;          /* schema version at open (after migrating, for a writer) */
	long corrupt_mark;    /* SQLite's corruption reports at open (store.c) */
	int write_failed;     /* a write failed for the file system (full, read-only): reported */
	/* prepared statements, created on first use, and the SQL they were made from */
	struct ct_db_stmt *stmts[ST__COUNT];
	const char *stmt_sql[ST__COUNT];
};

/*
 * PostgreSQL: the id for a new row of items (CT_IDS_ITEMS) or cases
 * (CT_IDS_CASES) in the open transaction, so the INSERT needs no answer
 * and can be queued. The writers' lock (ct_store_begin) makes the ids
 * handed out here the ones the table's sequence would have given; commit
 * moves the sequence past them. 0 with *id set, or -1 (reported).
 */
enum { CT_IDS_ITEMS, CT_IDS_CASES };
int ct_store_new_id(struct ct_store *st, int table, int64_t *id);
/* qsort() order of int64_t values. */
int ct_store_cmp_i64(const void *a, const void *b);
/* Rows of table (matching where, SQL; may be NULL), -1 when it cannot be read. */
long ct_store_count_rows(struct ct_store *st, const char *table, const char *where);
/* Reports the engine's message with what failed and the store path; returns -1. */
int ct_store_sqlerr(struct ct_store *st, const char *what);
/*
 * The cached prepared statement id for sql (reset, bindings cleared),
 * prepared on first use. Asking for id with other SQL than it was prepared
 * from is a bug (ct_bug), not a silently wrong query.
 */
struct ct_db_stmt *ct_store_stmt(struct ct_store *st, enum ct_stmt_id id, const char *sql);
int ct_store_migrate(struct ct_store *st);
/* The newest schema version this build knows (the number of migrations). */
int ct_store_schema_latest(void);
/* Reports a store whose schema version is newer than this build knows; 0 or -1. */
int ct_store_check_version(struct ct_store *st, int version);
/* Reads at, from, to, via, actor, observed from columns col.. of q into e. */
void ct_store_routing_from_row(struct ct_db_stmt *q, int col, struct ct_routing_event *e);
/* Frees the strings of n routing events and the array. */
void ct_store_routing_free(struct ct_routing_event *v, size_t n);
/* Binds text or NULL. */
int ct_store_bind_text(struct ct_db_stmt *q, int i, const char *s);
/*
 * The same without a copy: s must stay valid until the statement has run
 * (ct_store_stmt() clears the binding before the statement's next use).
 */
int ct_store_bind_static(struct ct_db_stmt *q, int i, const char *s);
/* Column text as a new string (NULL for SQL NULL). */
char *ct_store_col_strdup(struct ct_db_stmt *q, int i);
/* The item's addresses outside the organisation (from, to, cc, requester), without repeats. */
void ct_store_outside_addrs(const struct ct_store *st, const struct ct_item *it, struct ct_strlist *out);
/*
 * Whether the i-th of n References ids links the item (looked up for
 * threading and stored as a link): the first, the thread's root, and the
 * last CT_STORE_REFS_MAX, the nearest ancestors, as mail clients use them.
 * Any more cost time and rows and add nothing for a real thread.
 */
#define CT_STORE_REFS_MAX 100
int ct_store_ref_used(size_t n, size_t i);
/*
 * Threading (store/thread.c): the case a new item goes to, chosen before
 * the item is written (a new case is created then), and the other cases
 * it links, merged into that one once the item is stored.
 */
struct cand;
struct ct_thread_plan {
	int64_t case_id;
	const char *reason;      /* static string */
	char *detail;
	struct cand *merges;
	size_t nmerges;
	const char *norm;                    /* borrowed from the plan's caller */
	const struct ct_strlist *outside;    /* borrowed */
};
/* norm: the item's normalised subject; outside: ct_store_outside_addrs() of it. */
int ct_store_thread_plan(struct ct_store *st, const struct ct_item *it, const char *norm,
			 const struct ct_strlist *outside, struct ct_thread_plan *plan);
int ct_store_thread_apply(struct ct_store *st, int64_t item_id, const struct ct_item *it,
			  const struct ct_thread_plan *plan);
void ct_store_thread_plan_release(struct ct_thread_plan *plan);
/*
 * Merges case from into case into (items, routing, the cases merged into
 * from) and records it with reason and detail; into is re-routed at commit.
 */
int ct_store_merge_case(struct ct_store *st, int64_t from, int64_t into, int64_t item_id,
			const char *reason, const char *detail, ct_time at);
/* Whether a helpdesk status closes its ticket (solved, closed, resolved, rejected, deleted). */
int ct_store_status_closed(const char *status);
/* Routing (store/routing.c): recomputes trail and events of one case. */
int ct_store_route_case(struct ct_store *st, int64_t case_id);
/* The same for n cases (sorted; repeats are skipped): on PostgreSQL in two queries. */
int ct_store_route_cases(struct ct_store *st, const int64_t *ids, size_t n);
void ct_store_mark_dirty(struct ct_store *st, int64_t case_id);
/* Routing to recompute at commit, without counting the case as touched (a case merged away). */
void ct_store_mark_reroute(struct ct_store *st, int64_t case_id);

/*
 * Prefetch (store/prefetch.c), PostgreSQL's gathering writer: the keys of
 * a batch's items are given before the batch is written; its first lookup
 * in a transaction fetches the answers for all of them, and the writes of
 * the batch keep them true. Each ct_pf_ lookup returns 1 with the answer,
 * 0 when the key is not covered (ask the database), -1 on an error.
 */
void ct_store_expect(struct ct_store *st, const struct ct_item *it, const struct ct_item_derived *d);
void ct_store_expect_done(struct ct_store *st);
/* *id: the item stored under ext, 0 for none; *has_tz: its Date offset is stored. */
int ct_pf_find_ext(struct ct_store *st, const char *ext, int64_t *id, int *has_tz);
/* The item of ext now has its Date offset stored. */
void ct_pf_note_tz(struct ct_store *st, const char *ext);
/* The first item with a case that has Message-ID msgid: its case (0 for none) and external id. */
int ct_pf_by_msgid(struct ct_store *st, const char *msgid, int64_t *case_id, const char **ext);
/* Items with a case that refer to msgid: *n of them, read with ct_pf_child(), by item id and kind. */
int ct_pf_children(struct ct_store *st, const char *msgid, size_t *n);
void ct_pf_child(struct ct_store *st, const char *msgid, size_t i, int64_t *case_id, const char **ext,
		 const char **kind);
/* 1 when no reply with subject norm that started a case is dated after after. */
int ct_pf_no_later_new(struct ct_store *st, const char *norm, ct_time after);
/* The case of the first item of a ticket (of helpdesk system, or of any when NULL): 0 for none. */
int ct_pf_ticket(struct ct_store *st, const char *system, const char *ticket_id, int64_t *case_id,
		 const char **found_system);
/* The cases of items with ticket reference ref ("T:id"), ascending, without repeats (*cases: free it). */
int ct_pf_ticket_ref_cases(struct ct_store *st, const char *ref, int64_t **cases, size_t *n);
/*
 * The items with subject norm dated from..to (with a case), *n of them read
 * with ct_pf_subject_row() in (date, id) order, some perhaps outside
 * from..to: the caller checks the date.
 */
struct ct_pf_srow {
	int64_t item_id, case_id;
	const char *ext, *participants;   /* borrowed */
	ct_time date;
	int orphan;   /* a reply that started or follows up a case */
};
int ct_pf_subject(struct ct_store *st, const char *norm, ct_time from, ct_time to, size_t *n);
void ct_pf_subject_row(struct ct_store *st, const char *norm, size_t i, struct ct_pf_srow *out);
/* What the batch wrote: an item filed into case_id, one of its references, a merge. */
void ct_pf_note_item(struct ct_store *st, int64_t id, const struct ct_item *it, const struct ct_item_derived *d,
		     int64_t case_id, const char *reason);
void ct_pf_note_ref(struct ct_store *st, int64_t id, int64_t case_id, const char *ext, const char *ref,
		    const char *kind);
void ct_pf_merge(struct ct_store *st, int64_t from, int64_t into);
/* A transaction ended: the answers are stale (another writer may come in between). */
void ct_pf_end_tx(struct ct_store *st);

#endif
