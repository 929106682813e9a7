/*
 * pipeline.h - private to cli/: what happens to an item between its fetcher
 * and the store: its department, staff/customer side and ticket references
 * (from the configuration), its tags (classifier), then the store.
 */
#ifndef CT_PIPELINE_H
#define CT_PIPELINE_H

#include "config.h"
#include "../ingest/ingest.h"

#include <pthread.h>

struct ct_rules;
struct ct_store;
struct ct_job;

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
	/* counters: n_seen, n_failed, n_dry by the fetcher's thread, the rest by the writer */
	long n_new, n_seen, n_dup, n_warn, n_failed, n_tags, n_pending;
	long n_dry;                  /* dry run: items that would be stored */
	/*
	 * The writer thread owns the store's transactions: the fetcher's thread
	 * decodes and tags, the writer files items into cases, so the two run on
	 * two cores. Jobs keep their order (items, cursors, flushes).
	 */
	pthread_t writer;
	int writer_started;
	pthread_mutex_t qlock;       /* the queue, flush and failure state */
	pthread_cond_t nonempty, space, flushed;
	int writer_waiting, producer_waiting;
	struct ct_job *head, *tail;
	struct ct_job *done;         /* worked off by the writer, freed by the producer */
	size_t queued, max_queued;
	int failed;                  /* a store write failed: stop the fetcher */
	long flushes_done, flushes_asked;
	int flush_rc;
	struct ct_store *reader;     /* the fetcher's own read connection (seen keys, cursors) */
	/* progress */
	int show_progress;
	double started, last_progress;
	int progress_shown;
	struct ct_sink sink;
};

/* Sets up p (compiles ticket_ref). 0 or -1. */
int ct_pipeline_init(struct ct_pipeline *p, const struct ct_config *cfg, struct ct_store *st,
		     struct ct_rules *rules);
/* Starts the writer thread (not for dry runs). 0 or -1. */
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

#endif
