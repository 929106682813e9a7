/*
 * store.h - the public face of store/: the SQLite store of items, cases,
 * tags, routing events, cursors, and the ingest pipeline that feeds it
 * (store/pipeline.c). All SQL lives in store/; nothing outside knows which
 * database is underneath. store/ stands on base/, config/, ingest/ (the item
 * type) and classify/ (tagging in the pipeline).
 *
 * Memory: structs filled by the store own their strings; release them with
 * the matching _release function. Errors are reported once by the store
 * (ct_error with sqlite3_errmsg) and returned as -1.
 */
#ifndef CT_STORE_H
#define CT_STORE_H

#include "../base/base.h"
#include "../config/config.h"
#include "../ingest/ingest.h"

#include <pthread.h>
#include <signal.h>

struct ct_store;

struct ct_store_options {
	int thread_window_days;        /* subject+participants join window (default 30) */
	int busy_timeout_ms;           /* wait for another writer (default 10000) */
	/* 1 when addr belongs to the organisation (staff or department address);
	   subject joins only count shared addresses outside it. May be NULL. */
	int (*is_internal)(const char *addr, void *data);
	void *is_internal_data;
	int close_after_days;          /* [cases] close_after: quiet this long = closed (default 30) */
	/* PostgreSQL: the password from [store] password_command/_env (NULL: libpq's own ways), copied */
	const char *password;
	int connect_timeout_s;         /* PostgreSQL: give up connecting after this (default 10) */
};

/*
 * Opens (creating and migrating when writable) the store at path. WAL mode,
 * foreign keys on. A second writer waits up to busy_timeout_ms, then the
 * error names the process that holds the store.
 */
int ct_store_open(const char *path, int writable, const struct ct_store_options *opt,
		  struct ct_store **out);
/* Whether target names a PostgreSQL store (postgresql:// or postgres://) rather than a file. */
int ct_store_is_url(const char *target);
/*
 * 'casetrail store copy': every row of src into dst, which must be empty
 * (just opened writable: created and migrated), keeping ids; either engine
 * on either side. One transaction on each side: a failed copy leaves dst
 * empty. progress (may be NULL) hears of each table as it goes (done = 1
 * once the table is copied). 0, or -1 (reported).
 */
int ct_store_copy(struct ct_store *src, struct ct_store *dst,
		  void (*progress)(const char *table, long rows, int done, void *data), void *data);
/*
 * Rows per table in a and b, to cb (may be NULL); 1 when any count
 * differs (or cannot be read), 0 when all are equal.
 */
int ct_store_compare_counts(struct ct_store *a, struct ct_store *b,
			    void (*cb)(const char *table, long na, long nb, void *data), void *data);
void ct_store_close(struct ct_store *st);
/*
 * -1 when SQLite found damaged pages while the store was open (reported
 * once, with the hint to run 'casetrail store check'); 0 otherwise. A
 * command that read the store calls it before it reports success: a read
 * loop may have stopped early at the damage.
 */
int ct_store_check_damage(struct ct_store *st);
/*
 * 'casetrail store check': SQLite's integrity check over every page of the
 * store at path, opened read-only and without ct_store_open()'s checks, so
 * a damaged store can be examined. Calls cb with each problem (cb returns
 * nonzero to stop); returns the number of problems, or -1 when the store
 * could not be read at all (reported).
 */
int ct_store_check(const char *path, const char *password, int (*cb)(const char *problem, void *data),
		   void *data);
/*
 * Who sees what on a PostgreSQL store ('casetrail store grant', store/access.c):
 * role reads the store (SELECT only), limited by row-level security to the
 * cases whose trail names one of departments, or everything when all is
 * set (an audit role). The role is created when missing (NOLOGIN unless
 * login; login also lets an existing role log in). What the role read
 * before is replaced. Run by the store's owner (the role that created its
 * tables, which keeps seeing everything) or a superuser; refused on a
 * SQLite store. The role's JIT is turned off (ALTER ROLE SET jit = off:
 * the policies make PostgreSQL compile every report for seconds).
 * *did gets CT_STORE_GRANT_ flags. 0 or -1 (reported).
 */
struct ct_store_access {
	const char *role;
	const char *const *departments;
	size_t ndepartments;
	int all;
	int login;
};
#define CT_STORE_GRANT_CREATED 1   /* the role was created */
#define CT_STORE_GRANT_LOGIN 2     /* the existing role may now log in */
#define CT_STORE_GRANT_BYPASSES 4  /* superuser, BYPASSRLS or the owner's member: reads everything */
#define CT_STORE_GRANT_JIT 8       /* the role's JIT could not be turned off (reports may be slow) */
int ct_store_grant(struct ct_store *st, const struct ct_store_access *a, int *did);
/*
 * Takes back what ct_store_grant gave role (its rows of store_access, its
 * privileges on the store's tables, its JIT setting); the role itself stays. *had: whether
 * it had access rows. A role dropped outside casetrail loses its rows of
 * store_access; any other missing role is an error. 0 or -1 (reported).
 */
int ct_store_revoke(struct ct_store *st, const char *role, int *had);
/*
 * 'casetrail store access': each role granted access, by name (bytewise),
 * to cb with its departments (sorted; all set for an --all role), login
 * (pg_roles.rolcanlogin) and exists: 0 for a role dropped outside casetrail
 * whose store_access rows remain (login is then 0). A store never granted
 * has none. Run by another role than the owner, row-level security shows
 * that role's own grant only. cb returns nonzero to stop (returned).
 * Refused on a SQLite store. 0, or -1 (reported).
 */
int ct_store_access_list(struct ct_store *st,
			 int (*cb)(const struct ct_store_access *a, int exists, void *data), void *data);
/*
 * A second, read-only connection to the same store, for another thread: it
 * sees what the writer has committed (WAL), and never waits for it.
 */
int ct_store_open_reader(struct ct_store *st, struct ct_store **out);
const char *ct_store_path(const struct ct_store *st);

/*
 * Transactions. ct_store_commit() first recomputes the routing history of
 * every case touched since ct_store_begin(), so a batch is all or nothing.
 */
int ct_store_begin(struct ct_store *st);
int ct_store_commit(struct ct_store *st);
int ct_store_rollback(struct ct_store *st);
/* Case ids touched in this process (for the run summary). */
size_t ct_store_cases_touched(const struct ct_store *st);

/* Incremental fetch state. */
int ct_store_seen(struct ct_store *st, const char *source, const char *key); /* 1, 0, -1 */
int ct_store_mark_seen(struct ct_store *st, const char *source, const char *key, int64_t item_id);
/* Loads every seen key of a source into memory for fast lookups (maildir with 100k files). */
int ct_store_seen_keys(struct ct_store *st, const char *source,
		       int (*cb)(const char *key, void *data), void *data);
char *ct_store_get_cursor(struct ct_store *st, const char *source, const char *name); /* NULL if none */
int ct_store_set_cursor(struct ct_store *st, const char *source, const char *name, const char *value);

/*
 * Adds one item (inside a transaction). A new item is filed into a case
 * (threading, ticket references, subject + participants), and its case is
 * marked for routing recomputation. An item whose external_id is already
 * stored is not stored again: the mailbox it was found in is added to it
 * (*is_new = 0). *item_id receives the item's row id either way.
 */
int ct_store_add_item(struct ct_store *st, const struct ct_item *it, int64_t *item_id, int *is_new);

/*
 * What ct_store_add_item() derives from an item before it looks at the
 * store: the address lists, the normalised subject, the participants
 * outside the organisation. ct_store_derive() reads only the store's
 * options, so another thread than the writer may run it.
 */
struct ct_item_derived {
	char *to, *cc, *norm, *warnings, *participants;
	int is_reply;
	struct ct_strlist outside;
	int ready;
};
void ct_store_derive(const struct ct_store *st, const struct ct_item *it, struct ct_item_derived *d);
void ct_store_derived_free(struct ct_item_derived *d);
int ct_store_add_item_derived(struct ct_store *st, const struct ct_item *it,
			      const struct ct_item_derived *d, int64_t *item_id, int *is_new);
/* Tags of an item: delete all, then add. Byte spans into the stored body. */
int ct_store_clear_tags(struct ct_store *st, int64_t item_id);
int ct_store_add_tag(struct ct_store *st, int64_t item_id, const char *category, const char *rule_id,
		     size_t start, size_t end, const char *snippet);
int ct_store_set_rules_hash(struct ct_store *st, int64_t item_id, const char *hash);
/* Items added from now on were tagged by this rule set (NULL: untagged). */
void ct_store_set_classifier(struct ct_store *st, const char *rules_hash);

/* Items to (re)classify: those whose rules_hash differs from hash. */
struct ct_stored_item {
	int64_t id;
	enum ct_item_kind kind;
	char *external_id;
	char *subject;
	char *body;
	size_t body_len;
	char *from_addr;
	enum ct_sender_role role;
	ct_time date;
	int date_tz;              /* minutes east of UTC; 0 when not known */
};
int ct_store_items_to_classify(struct ct_store *st, const char *rules_hash,
			       int (*cb)(const struct ct_stored_item *it, void *data), void *data);

/* Run bookkeeping (summary lines kept in the store). */
int ct_store_run_start(struct ct_store *st, int64_t *run_id);
int ct_store_run_finish(struct ct_store *st, int64_t run_id, long new_items, long seen_items,
			long warnings, long failed, long cases_touched);

/* ---- reading cases (cases, case show) ---- */

struct ct_case_filter {
	const char *tag;          /* only cases with an item tagged so */
	const char *department;   /* only cases whose trail holds it */
	ct_time since, until;     /* last activity in [since, until); 0 = open-ended */
	int open_only;
	int min_handoffs;
	int ping_pong_only;
};

struct ct_promise_list;

struct ct_tag_count {
	char *category;
	int n;
};

struct ct_case_tag {
	char *category, *rule_id, *snippet;
	size_t start, end;
};

struct ct_case_item {
	int64_t id;
	enum ct_item_kind kind;
	char *external_id;
	ct_time date;
	char *from;
	char *from_name;
	char *department;
	char *subject;
	char *body;               /* only in ct_store_get_case */
	char *link_reason;        /* why it is in the case */
	char *link_detail;
	char *warnings;           /* NULL when clean */
	struct ct_strlist mailboxes;
	struct ct_case_tag *tags;
	size_t ntags, tags_alloc;
};

struct ct_routing_event {
	ct_time at;
	char *from_department, *to_department, *via, *actor;
	int observed;
};

struct ct_case_merge {
	int64_t from_case;
	char *reason, *detail;
	ct_time at;
};

/*
 * A manual decision (store/decisions.c). Items are named by external id, so
 * a decision holds however cases are renumbered or merged. action is one of
 * tag-dismiss, tag-confirm (item, category), case-close, case-reopen (item:
 * an item of the case), case-merge (item: an item of the case that stays;
 * items: one item of each case merged into it), case-split (item: an item
 * of the case split; items: the items moved to a new case together; value:
 * that case, once made),
 * item-department (item, value: the department).
 */
struct ct_decision {
	int64_t id;
	char *action, *item, *category, *value, *by, *reason;
	struct ct_strlist items;
	ct_time at;
	int superseded;     /* a later merge/split of the same items decides instead */
};
void ct_decision_release(struct ct_decision *d);
/* A deep copy of src into dst (dst's old contents are not freed). */
void ct_decision_copy(struct ct_decision *dst, const struct ct_decision *src);

/*
 * The one case state model. A case is open (waiting on staff: the customer
 * wrote last; waiting on customer: staff wrote last) or closed, with the
 * reason: ticket-closed (its ticket was solved/closed last), manual
 * ('casetrail case close'), inactive (nobody wrote for close_after days).
 * These names are the same in every output.
 */
#define CT_STATE_OPEN "open"
#define CT_STATE_CLOSED "closed"
#define CT_WAITING_STAFF "staff"
#define CT_WAITING_CUSTOMER "customer"
#define CT_CLOSED_TICKET "ticket-closed"
#define CT_CLOSED_MANUAL "manual"
#define CT_CLOSED_INACTIVE "inactive"

struct ct_case_state {
	int open;
	const char *waiting_on;   /* open: "staff" or "customer" */
	const char *close_reason; /* closed: "ticket-closed", "manual" or "inactive" */
	ct_time closed_at;        /* closed: when */
};
/*
 * The state of a case at time t from what the store keeps of it: closed_at
 * and close_reason (ticket-closed or manual, set by routing), reopened_at (a
 * manual reopen: the inactivity clock starts again there), the last activity
 * and the role of the last writer. A case not yet opened at t is closed.
 */
void ct_case_state_at(ct_time t, ct_time opened_at, ct_time last_activity_at, int last_role,
		      ct_time closed_at, const char *close_reason, ct_time reopened_at,
		      int close_after_days, struct ct_case_state *out);
/* "open (waiting on staff)", "closed (inactive)": the label every table and CSV shows. */
void ct_case_state_label(const struct ct_case_state *s, char out[48]);

struct ct_case {
	int64_t id;
	char *subject, *customer;
	ct_time opened_at, last_activity_at, closed_at;
	int open;
	struct ct_case_state state;    /* at now; open == state.open */
	int64_t follow_up_of;          /* 0, or the quiet case this one follows up */
	struct ct_strlist departments; /* trail */
	int handoffs, ping_pong;
	struct ct_tag_count *tagc;
	size_t ntagc, tagc_alloc;
	struct ct_case_item *items;
	size_t nitems, items_alloc;
	/* only in ct_store_get_case: */
	struct ct_routing_event *routing;
	size_t nrouting, routing_alloc;
	struct ct_case_merge *merges;
	size_t nmerges, merges_alloc;
	int64_t *follow_ups;           /* cases that follow this one up */
	size_t nfollow_ups, follow_ups_alloc;
	struct ct_decision *decisions; /* about the case or its items, oldest first */
	size_t ndecisions, decisions_alloc;
	struct ct_promise_list *promises; /* the case's promises, verdicts as of now (never NULL there) */
};

/* Calls cb for each case matching f, newest activity first; cb returns 0 to go on. */
int ct_store_list_cases(struct ct_store *st, const struct ct_case_filter *f,
			int (*cb)(const struct ct_case *c, void *data), void *data);
/* Loads one case with everything; returns 0, 1 when there is no such case, -1 error. */
int ct_store_get_case(struct ct_store *st, int64_t id, struct ct_case *c);
void ct_case_release(struct ct_case *c);
/* A case merged away resolves to the case it was merged into. */
int64_t ct_store_resolve_case(struct ct_store *st, int64_t id);

/* The case holding the item with this external id; 0 when there is none. */
int64_t ct_store_case_of(struct ct_store *st, const char *external_id);
/* Appends every department a case's trail names (sorted, once each) to out. 0 or -1 (reported). */
int ct_store_departments(struct ct_store *st, struct ct_strlist *out);

/* Counters for tests and summaries. */
long ct_store_count(struct ct_store *st, const char *what); /* "items", "cases", "tags", "routing_events" */

/* Reports (report/) read through these; the SQL is in store/report_queries.c. */

/* A case counts as open at time T by ct_case_state_at(T, ...). */

struct ct_count {
	char *key;
	long n;
};

struct ct_count_list {
	struct ct_count *v;
	size_t n, alloc;
};
void ct_count_list_add(struct ct_count_list *l, const char *key, long n); /* adds n to key */
void ct_count_list_sort(struct ct_count_list *l);                          /* by n desc, key */
void ct_count_list_release(struct ct_count_list *l);

struct ct_complaint_tag {
	char *category;
	long opened;      /* cases opened in [since, until) with this tag */
	long open;        /* tagged cases open at until */
	long previous;    /* cases opened in the previous period of the same length */
};

struct ct_complaint_case {
	int64_t case_id;
	char *subject, *customer, *category, *rule_id, *snippet;
	ct_time opened_at;
};

struct ct_complaint_dept {
	char *department;
	long opened, open, previous;  /* tagged cases, any tag */
	struct ct_complaint_tag *tags;
	size_t ntags, tags_alloc;
	struct ct_complaint_case *oldest;   /* oldest open tagged cases */
	size_t noldest, oldest_alloc;
	struct ct_count_list rules;         /* rule -> tags in the period */
	struct ct_count_list repeat;        /* customer -> tagged cases (>= 2) */
	struct ct_count_list staff;         /* staff address -> overpromise-tagged cases */
};

struct ct_week_count {
	ct_time week;       /* Monday 00:00 UTC (months: the 1st, 00:00 UTC) */
	char *category;
	long n;             /* distinct cases tagged that week */
};

struct ct_complaints {
	ct_time since, until, prev_since;
	int close_after_days;               /* [cases] close_after the states were judged with */
	struct ct_complaint_dept *depts;
	size_t ndepts, depts_alloc;
	struct ct_week_count *weeks;        /* the weeks of the period (from since's Monday) */
	size_t nweeks, weeks_alloc;
	struct ct_week_count *months;       /* the calendar months of the period */
	size_t nmonths, months_alloc;
	struct ct_promise_list *promises;   /* the promise ledger up to until (never NULL after success) */
};

/* Fills c for the period; dept limits it to one department (NULL: all). */
int ct_store_complaints(struct ct_store *st, ct_time since, ct_time until, const char *dept,
			int oldest_limit, struct ct_complaints *c);
void ct_complaints_release(struct ct_complaints *c);

struct ct_audit_stop {
	char *department;
	ct_time from, to;   /* how long the department held the case */
};

struct ct_audit_case {
	int64_t id;
	char *subject, *customer;
	ct_time opened_at, last_activity_at, closed_at;
	int open, handoffs, ping_pong;
	struct ct_case_state state;  /* at until */
	struct ct_decision *decisions;
	size_t ndecisions, decisions_alloc;
	int unanswered;     /* nobody of the receiving department wrote after the last handoff */
	struct ct_audit_stop *stops;
	size_t nstops, stops_alloc;
	struct ct_routing_event *routing;
	size_t nrouting, routing_alloc;
};

struct ct_audit_bucket {
	int handoffs;       /* 0, 1, 2, 3 (= 3 or more) */
	long resolved;      /* cases not open at until */
	double median_days; /* median time to resolution; -1 when none */
};

struct ct_audit {
	ct_time until;
	struct ct_audit_case *cases;
	size_t ncases, cases_alloc;
	struct ct_count_list matrix;        /* "FROM\tTO" -> transfers */
	struct ct_audit_bucket buckets[4];
	long unanswered;
};

/* Cases matching f (since/until on activity, min_handoffs, ping_pong_only), with trails and holds. */
int ct_store_audit(struct ct_store *st, const struct ct_case_filter *f, ct_time until, struct ct_audit *a);
void ct_audit_release(struct ct_audit *a);

/* @@REPORT-QUERIES@@ */

/* ---- corrections: manual decisions and recomputation (store/decisions.c) ---- */

/*
 * Records decision d (id and superseded are ignored; at 0 = now) and
 * applies it, in one transaction. Checks first that its items exist (an
 * error names the unknown one), that a tag to dismiss is there, that the
 * cases to merge differ and that the items to split are in the case.
 * *id receives the decision's id. 0 or -1 (reported).
 */
int ct_store_decide(struct ct_store *st, const struct ct_decision *d, int64_t *id);
/*
 * Applies every decision again, oldest first (inside an open transaction):
 * tags dismissed are removed and tags confirmed added (rule "manual"),
 * departments set, merges and splits redone where threading undid them,
 * and the cases touched re-routed at commit. Run after ingest, classify
 * and recompute, so decisions survive all three. 0 or -1.
 */
int ct_store_apply_decisions(struct ct_store *st);
/* Decisions about items of case_id (0: all), oldest first; cb returns nonzero to stop. */
int ct_store_list_decisions(struct ct_store *st, int64_t case_id,
			    int (*cb)(const struct ct_decision *d, void *data), void *data);
/* Appends the categories the item with this external id is tagged with (once each). 0 or -1. */
int ct_store_item_tags(struct ct_store *st, const char *external_id, struct ct_strlist *out);
/* The external id of the first item of a case, to name it in a decision (new string), or NULL. */
char *ct_store_case_anchor(struct ct_store *st, int64_t case_id);

/*
 * The hash of what in the configuration decides an item's department and
 * role: departments (addresses, helpdesk groups, leaders), each source's
 * department and folder_departments, internal_domains. A new string.
 */
char *ct_store_config_hash(const struct ct_config *cfg);
/* meta values (NULL when unset; a new string), and setting one (in or out of a transaction). */
char *ct_store_meta_get(struct ct_store *st, const char *key);
int ct_store_meta_set(struct ct_store *st, const char *key, const char *value);
/*
 * Recomputes every item's department and role from cfg, without the mail:
 * from the mailbox an item was found in (item_mailboxes: the first of cfg's
 * sources that holds it, else as stored), its addresses, ticket group and
 * sender. A mail's role follows internal_domains; a ticket's stays as its
 * helpdesk said. An item whose department was set by hand keeps it. Then
 * the routing of every case whose items changed, and the decisions again.
 * The grouping into cases is kept. Records cfg's routing hash. *changed:
 * items whose department or role changed; *cases: cases re-routed. 0 or -1.
 */
int ct_store_recompute(struct ct_store *st, const struct ct_config *cfg, long *changed, long *cases);
/*
 * When the routing hash recorded in the store differs from cfg's (or a store
 * with items has none yet), recomputes as above and says so on stderr
 * (unless -q). A new empty store just records it. *ran = 1 when it
 * recomputed. 0 or -1.
 */
int ct_store_recompute_if_changed(struct ct_store *st, const struct ct_config *cfg, int *ran);

/* ---- the ingest pipeline (store/pipeline.c) ----
 * What happens to an item between its fetcher and the store: its department,
 * staff/customer side and ticket references (from the configuration), its
 * tags (the classifier, when rules are given), then the store. Fetchers write
 * to p->sink; a writer thread commits in batches.
 */
struct ct_rules;
struct ct_job;

/* A queue of jobs from one thread of the pipeline to the next (under ct_pipeline.qlock). */
struct ct_job_queue {
	struct ct_job *head, *tail;
	size_t n;
	int taker_waiting, giver_waiting;
	pthread_cond_t nonempty, space;
};

struct ct_pipeline {
	const struct ct_config *cfg;
	struct ct_store *store;
	struct ct_rules *rules;      /* may be NULL: no tagging */
	void *ticket_ref_re;         /* pcre2_code *, may be NULL */
	void *rt_ref_re;             /* [rtname #N] */
	void *match_data;
	int dry_run;
	int batch_size;              /* items per transaction */
	int batch_grow;              /* double batch_size after each commit, up to 8,000 */
	int in_tx;                   /* a transaction is open */
	/*
	 * counters: n_seen, n_failed, n_dry by the fetcher's thread, the rest by
	 * the writer. n_new, n_dup, n_warn and n_tags count committed items only:
	 * the open batch counts in b_* until its commit (a rollback drops them).
	 */
	long n_new, n_seen, n_dup, n_warn, n_failed, n_tags, n_pending;
	long b_new, b_dup, b_warn, b_tags;
	long n_dry;                  /* dry run: items that would be stored, plus what network
	                                sources count (sink.dry_count) */
	int dry_lines;               /* dry run: print a network source's "where: n unit" lines */
	/*
	 * The writer thread owns the store's transactions: the fetcher's thread
	 * decodes, the tagger (below) classifies, the writer files items into
	 * cases, so they run on several cores. Jobs keep their order (items,
	 * cursors, flushes).
	 */
	pthread_t writer;
	int writer_started;
	pthread_mutex_t qlock;       /* the queues, flush and failure state */
	pthread_cond_t flushed;
	struct ct_job_queue wq;      /* to the writer */
	struct ct_job *done;         /* worked off by the writer, freed by the producer */
	/*
	 * A store shared with other writers (PostgreSQL): the writer gathers a
	 * whole batch before it opens the transaction, so the store's write lock
	 * is held for the writes alone, not while the fetcher decodes.
	 */
	int gather;
	struct ct_job *held, *held_tail;
	long nheld;
	size_t max_queued;           /* jobs each queue may hold */
	/*
	 * The tagger thread (with rules, not on dry runs) classifies items
	 * between the fetcher and the writer, so decoding, classifying and
	 * filing run at once: its own queue, jobs in order.
	 */
	pthread_t tagger;
	int tagger_started;
	struct ct_job_queue tq;      /* to the tagger */
	int failed;                  /* a store write failed: stop the fetcher */
	long flushes_done, flushes_asked;
	int flush_rc;
	struct ct_store *reader;     /* the fetcher's own read connection (seen keys, cursors) */
	/*
	 * When not NULL and set (by a signal handler): the run was interrupted.
	 * item() and set_cursor() then refuse (-1), so the fetcher stops, and
	 * what is committed is what was read before, as after any batch.
	 */
	const volatile sig_atomic_t *stop;
	/* progress */
	int show_progress;
	double started, last_progress;
	int progress_shown;
	struct ct_sink sink;
};

/* Sets up p (compiles ticket_ref). 0 or -1. */
int ct_pipeline_init(struct ct_pipeline *p, const struct ct_config *cfg, struct ct_store *st,
		     struct ct_rules *rules);
/* Starts the writer thread and, with rules, the tagger thread (not for dry runs). 0 or -1. */
int ct_pipeline_start(struct ct_pipeline *p);
/* Waits until everything handed over is committed; 0 or -1. */
int ct_pipeline_finish(struct ct_pipeline *p);
/* 1 when a store write failed since the last call (and clears it). */
int ct_pipeline_failed(struct ct_pipeline *p);
void ct_pipeline_release(struct ct_pipeline *p);

/* Fills it->department, it->role and it->ticket_refs from the configuration. */
void ct_pipeline_prepare(const struct ct_pipeline *p, struct ct_item *it);
/* The department of an email by the rules of DESIGN.md; borrowed or NULL. */
const char *ct_email_department(const struct ct_config *cfg, const struct ct_item *it);

/* ---- the promise ledger (store/promises.c) ----
 * Promises staff made (found by the [promise] rules at classification),
 * what kept them ([kept] rules, closed tickets), and the verdicts worked out
 * from the case's later items as of a given time; manual decisions stick
 * across re-classification and re-ingest.
 */
struct ct_ledger;

/* Replaces the promises and kept-marks of one item (inside a transaction). A
   promise found again in the same sentence keeps its id. */
int ct_store_set_ledger(struct ct_store *st, int64_t item_id, const struct ct_ledger *l);
/* Sets an item's Date offset when it is not known yet. */
int ct_store_set_date_tz(struct ct_store *st, int64_t item_id, int tz_min);

enum ct_verdict { CT_VERDICT_OPEN, CT_VERDICT_KEPT, CT_VERDICT_BROKEN, CT_VERDICT_DROPPED };
/* "open", "kept", "broken", "dropped" */
const char *ct_verdict_name(enum ct_verdict v);

struct ct_promise {
	int64_t id, case_id, item_id;
	char *external_id, *staff, *staff_name, *department, *sentence, *rule_id, *case_subject, *customer;
	ct_time made_at, due_at;
	int tz;                   /* the promise's writer's offset (minutes) */
	enum ct_verdict verdict;
	/* why: "done" (staff said so), "ticket closed", "customer confirmed", "customer complaint",
	   "due passed", "manual"; static strings */
	const char *how;
	int64_t decided_item;     /* the item that decided it, 0 for none */
	char *decided_external_id;
	ct_time decided_at;       /* when (the deciding item's date, the due time, or the decision) */
	int manual;               /* a person decided (casetrail promise) */
	char *reason, *decided_by;
	ct_time fulfilled_at;     /* the first item that did what was promised (even late); 0 none */
	int overdue;              /* due has passed and nothing did it yet */
	ct_time late;             /* broken: seconds past due until it was done (or until now); -1 none */
};

struct ct_promise_list {
	struct ct_promise *v;
	size_t n, alloc;
};

struct ct_promise_filter {
	int64_t case_id;          /* 0: all cases */
	const char *department;   /* NULL: all */
	ct_time until;            /* verdicts as of this time; promises made before it */
};

/* Every promise matching f, ordered by case and time, with its verdict as of f->until. */
int ct_store_promises(struct ct_store *st, const struct ct_promise_filter *f, struct ct_promise_list *out);
void ct_promise_list_release(struct ct_promise_list *l);
/*
 * Records a manual verdict (CT_VERDICT_KEPT, BROKEN or DROPPED; OPEN
 * clears a decision) on promise id. Returns 0, 1 when there is no such
 * promise, -1 error.
 */
int ct_store_decide_promise(struct ct_store *st, int64_t id, enum ct_verdict v, const char *reason,
			    const char *by, ct_time at);

/* Customers who dealt with many people, departments or channels on one case (report customers). */
struct ct_customer_case {
	int64_t case_id;
	char *subject;
	ct_time opened_at, last_activity_at;
	struct ct_strlist staff, departments, channels;
	int handoffs;
};
struct ct_customer_row {
	char *customer;
	struct ct_customer_case *cases;
	size_t ncases, cases_alloc;
};
struct ct_customer_list {
	struct ct_customer_row *v;
	size_t n, alloc;
};
/*
 * Cases whose customer, within [since, until), dealt with more than min
 * staff members, departments or channels (email, or the helpdesk system),
 * counting the case's items of that period only; grouped by customer.
 */
int ct_store_customers(struct ct_store *st, ct_time since, ct_time until, int min, struct ct_customer_list *out);
void ct_customer_list_release(struct ct_customer_list *l);

#endif
