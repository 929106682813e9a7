/* store_p.h - private to store/: the store handle and shared helpers. */
#ifndef CT_STORE_P_H
#define CT_STORE_P_H

#include "store.h"
#include <sqlite3.h>

struct ct_store {
	sqlite3 *db;
	char *path;
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
	/* prepared statements, created on first use */
	sqlite3_stmt *stmts[64];
};

/* Reports sqlite3_errmsg with what failed and the store path; returns -1. */
int ct_store_sqlerr(struct ct_store *st, const char *what);
/* Cached prepared statement number slot for sql (reset, bindings cleared). */
sqlite3_stmt *ct_store_stmt(struct ct_store *st, int slot, const char *sql);
int ct_store_migrate(struct ct_store *st);
/* Reads at, from, to, via, actor, observed from columns col.. of q into e. */
void ct_store_routing_from_row(sqlite3_stmt *q, int col, struct ct_routing_event *e);
/* Frees the strings of n routing events and the array. */
void ct_store_routing_free(struct ct_routing_event *v, size_t n);
/* Binds text or NULL. */
int ct_store_bind_text(sqlite3_stmt *q, int i, const char *s);
/*
 * The same without a copy: s must stay valid until the statement has run
 * (ct_store_stmt() clears the binding before the statement's next use).
 */
int ct_store_bind_static(sqlite3_stmt *q, int i, const char *s);
/* Column text as a new string (NULL for SQL NULL). */
char *ct_store_col_strdup(sqlite3_stmt *q, int i);
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
};
/* norm: the item's normalised subject; outside: ct_store_outside_addrs() of it. */
int ct_store_thread_plan(struct ct_store *st, const struct ct_item *it, const char *norm,
			 const struct ct_strlist *outside, struct ct_thread_plan *plan);
int ct_store_thread_apply(struct ct_store *st, int64_t item_id, const struct ct_item *it,
			  const struct ct_thread_plan *plan);
void ct_store_thread_plan_release(struct ct_thread_plan *plan);
/* Routing (store/routing.c): recomputes trail and events of one case. */
int ct_store_route_case(struct ct_store *st, int64_t case_id);
void ct_store_mark_dirty(struct ct_store *st, int64_t case_id);

#endif
