/*
 * pipeline.c - the sink every fetcher writes to: prepares each item from the
 * configuration, tags it, stores it, and commits in batches. Items and the
 * fetch state that produced them (seen keys, cursors) go in one transaction,
 * so a run killed at any point loses nothing and duplicates nothing. It uses
 * the store through its public functions only, like any caller.
 */
#include "store_p.h"
#include "../classify/classify.h"

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ct_email_department(const struct ct_config *cfg, const struct ct_item *it)
{
	const struct ct_department *sender = ct_config_dept_by_address(cfg, it->from.addr);
	if (!sender && it->from.addr)
		for (size_t i = 0; i < cfg->ndepts && !sender; i++)
			if (cfg->depts[i].leader && !strcasecmp(cfg->depts[i].leader, it->from.addr))
				sender = &cfg->depts[i];
	for (size_t i = 0; i < it->to.n; i++) {
		const struct ct_department *d = ct_config_dept_by_address(cfg, it->to.v[i].addr);
		if (d && d != sender)
			return d->name;
	}
	if (sender)
		return sender->name;
	for (size_t i = 0; i < it->cc.n; i++) {
		const struct ct_department *d = ct_config_dept_by_address(cfg, it->cc.v[i].addr);
		if (d)
			return d->name;
	}
	return it->mailbox_dept;
}

static void find_refs(const struct ct_pipeline *p, pcre2_code *re, const char *text, size_t len,
		      struct ct_strlist *out)
{
	if (!re || !text)
		return;
	pcre2_match_data *md = p->match_data;
	PCRE2_SIZE start = 0;
	for (int guard = 0; guard < 32 && start <= len; guard++) {
		int rc = pcre2_match(re, (PCRE2_SPTR)text, len, start, 0, md, NULL);
		if (rc < 2)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[2] != PCRE2_UNSET) {
			char *num = ct_strndup(text + ov[2], ov[3] - ov[2]);
			if (!ct_strlist_has(out, num))
				ct_strlist_push_owned(out, num);
			else
				free(num);
		}
		start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
}

void ct_pipeline_prepare(const struct ct_pipeline *p, struct ct_item *it)
{
	const struct ct_config *cfg = p->cfg;
	const char *dept = NULL;
	if (it->kind == CT_ITEM_EMAIL) {
		dept = ct_email_department(cfg, it);
	} else {
		const struct ct_department *d = ct_config_dept_by_group(cfg, it->ticket_group);
		dept = d ? d->name : it->mailbox_dept;
	}
	free(it->department);
	it->department = ct_strdup(dept);
	if (it->role == CT_ROLE_UNKNOWN)
		it->role = ct_config_is_internal(cfg, it->from.addr) ? CT_ROLE_STAFF : CT_ROLE_CUSTOMER;
	if (it->kind == CT_ITEM_EMAIL) {
		find_refs(p, p->ticket_ref_re, it->subject, strlen(it->subject ? it->subject : ""),
			  &it->ticket_refs);
		find_refs(p, p->rt_ref_re, it->subject, strlen(it->subject ? it->subject : ""),
			  &it->ticket_refs);
		/* The body too, but only what the author wrote near the top. */
		find_refs(p, p->ticket_ref_re, it->body, it->body_len < 4096 ? it->body_len : 4096,
			  &it->ticket_refs);
	}
}

static void progress_line(struct ct_pipeline *p, const char *source, size_t done, size_t total)
{
	double now = ct_now_mono();
	if (!p->show_progress || now - p->started < 1.0 || now - p->last_progress < 0.25)
		return;
	p->last_progress = now;
	p->progress_shown = 1;
	long n_new = __atomic_load_n(&p->n_new, __ATOMIC_RELAXED);
	if (total)
		fprintf(stderr, "\r%s: %zu/%zu (%ld new)\033[K", source, done, total, n_new);
	else
		fprintf(stderr, "\r%s: %zu (%ld new)\033[K", source, done, n_new);
}

enum job_type { JOB_ITEM, JOB_CURSOR, JOB_FLUSH, JOB_STOP };

struct ct_job {
	enum job_type type;
	struct ct_item it;
	struct ct_item_derived derived;  /* worked out before the writer takes the item */
	struct ct_tags tags;
	struct ct_ledger ledger;     /* promises and kept-marks */
	int tagged;
	char *source, *name, *value;
	struct ct_job *next;
};

static void job_free(struct ct_job *j)
{
	ct_item_free(&j->it);
	ct_store_derived_free(&j->derived);
	ct_tags_clear(&j->tags);
	ct_ledger_clear(&j->ledger);
	free(j->source);
	free(j->name);
	free(j->value);
	free(j);
}

/* Items per batch of a gathering writer (PostgreSQL), and what the queue may hold meanwhile. */
#define GATHER_BATCH 2000

/* ---- the queues between the threads ---- */

/* Waits (qlock held) while q is full and no write failed. */
static void wait_for_room(struct ct_pipeline *p, struct ct_job_queue *q)
{
	while (q->n >= p->max_queued && !p->failed) {
		q->giver_waiting = 1;
		pthread_cond_wait(&q->space, &p->qlock);
		q->giver_waiting = 0;
	}
}

/* Appends j to q (qlock held): wakes its taker for a batch, not for every item (any other job wakes it). */
static void push(struct ct_job_queue *q, struct ct_job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
	if (q->taker_waiting && (q->n >= 32 || j->type != JOB_ITEM))
		pthread_cond_signal(&q->nonempty);
}

/* Takes every job of q (qlock held), waiting for one. */
static struct ct_job *take_all(struct ct_pipeline *p, struct ct_job_queue *q)
{
	while (!q->head) {
		q->taker_waiting = 1;
		pthread_cond_wait(&q->nonempty, &p->qlock);
		q->taker_waiting = 0;
	}
	struct ct_job *all = q->head;
	q->head = q->tail = NULL;
	q->n = 0;
	if (q->giver_waiting)
		pthread_cond_signal(&q->space);
	return all;
}

static void queue_init(struct ct_job_queue *q)
{
	memset(q, 0, sizeof(*q));
	pthread_cond_init(&q->nonempty, NULL);
	pthread_cond_init(&q->space, NULL);
}

static void queue_destroy(struct ct_job_queue *q)
{
	pthread_cond_destroy(&q->nonempty);
	pthread_cond_destroy(&q->space);
}

/* ---- writer thread (the only user of the write connection while it runs) ---- */

static int w_begin(struct ct_pipeline *p)
{
	if (p->in_tx)
		return 0;
	if (ct_store_begin(p->store))
		return -1;
	p->in_tx = 1;
	return 0;
}

/* The open batch is gone (rolled back): what it counted was not stored. */
static void w_forget(struct ct_pipeline *p)
{
	p->n_pending = 0;
	p->b_new = p->b_dup = p->b_warn = p->b_tags = 0;
}

static int w_commit(struct ct_pipeline *p)
{
	if (!p->in_tx)
		return 0;
	p->in_tx = 0;
	/*
	 * Without a fixed size, batches grow from 1,000 items to 8,000 on a
	 * long run: a commit refreshes the routing of every case the batch
	 * touched, so fewer commits mean fewer refreshes.
	 */
	if (p->batch_grow && p->batch_size < (p->gather ? GATHER_BATCH : 8000))
		p->batch_size *= 2;
	if (ct_store_commit(p->store)) {
		w_forget(p);
		return -1;
	}
	__atomic_add_fetch(&p->n_new, p->b_new, __ATOMIC_RELAXED);
	p->n_dup += p->b_dup;
	p->n_warn += p->b_warn;
	p->n_tags += p->b_tags;
	w_forget(p);
	return 0;
}

static int w_item(struct ct_pipeline *p, struct ct_job *j)
{
	struct ct_item *it = &j->it;
	int64_t id = 0;
	int is_new = 0;
	if (!j->derived.ready)
		ct_store_derive(p->store, it, &j->derived);
	if (w_begin(p) || ct_store_add_item_derived(p->store, it, &j->derived, &id, &is_new))
		return -1;
	if (is_new) {
		p->b_new++;
		if (it->warnings.n) {
			p->b_warn++;
			for (size_t i = 0; i < it->warnings.n; i++)
				ct_warn("%s: %s: %s", it->source ? it->source : "?",
					it->location ? it->location : it->external_id, it->warnings.v[i]);
		}
		for (size_t i = 0; i < j->tags.n; i++)
			if (ct_store_add_tag(p->store, id, j->tags.v[i].category, j->tags.v[i].rule_id,
					     j->tags.v[i].start, j->tags.v[i].end, j->tags.v[i].snippet))
				return -1;
		p->b_tags += (long)j->tags.n;
		if (j->ledger.n && ct_store_set_ledger(p->store, id, &j->ledger))
			return -1;
	} else {
		p->b_dup++;
	}
	if (it->location && it->source && !it->location_in_cursor &&
	    ct_store_mark_seen(p->store, it->source, it->location, id))
		return -1;
	if (++p->n_pending >= p->batch_size && w_commit(p))
		return -1;
	return 0;
}

static int w_job(struct ct_pipeline *p, struct ct_job *j)
{
	switch (j->type) {
	case JOB_ITEM:
		return w_item(p, j);
	case JOB_CURSOR:
		return w_begin(p) ? -1 : ct_store_set_cursor(p->store, j->source, j->name, j->value);
	case JOB_FLUSH:
	case JOB_STOP:
		return w_commit(p);
	}
	return 0;
}

/* Frees a list of jobs. */
static void free_jobs(struct ct_job *j)
{
	while (j) {
		struct ct_job *next = j->next;
		job_free(j);
		j = next;
	}
}

/*
 * Passes the jobs the writer worked off to the producer (under qlock),
 * which frees them when it next queues one: the writer is the busiest
 * thread, and the items were mostly allocated by the fetcher anyway.
 */
static void hand_back(struct ct_pipeline *p, struct ct_job **done, struct ct_job **done_tail)
{
	if (!*done)
		return;
	(*done_tail)->next = p->done;
	p->done = *done;
	*done = *done_tail = NULL;
}

/*
 * Takes the whole queue at once and works through it without the queue
 * lock, so the fetcher is only woken when it waits for room.
 */
static void *writer_main(void *arg)
{
	struct ct_pipeline *p = arg;
	int stop = 0;
	struct ct_job *done = NULL, *done_tail = NULL;
	while (!stop) {
		pthread_mutex_lock(&p->qlock);
		hand_back(p, &done, &done_tail);
		struct ct_job *batch = take_all(p, &p->wq);
		int failed = p->failed;
		pthread_mutex_unlock(&p->qlock);

		if (p->gather) {
			int ends = 0;
			if (p->held)
				p->held_tail->next = batch;
			else
				p->held = batch;
			for (struct ct_job *j = batch; j; j = j->next) {
				p->nheld += j->type == JOB_ITEM;
				ends |= j->type == JOB_FLUSH || j->type == JOB_STOP;
				p->held_tail = j;
			}
			if (!ends && p->nheld < p->batch_size && !failed)
				continue;
			batch = p->held;
			p->held = p->held_tail = NULL;
			p->nheld = 0;
			/* the store answers the batch's threading lookups at once */
			for (struct ct_job *j = batch; j && !failed; j = j->next)
				if (j->type == JOB_ITEM) {
					if (!j->derived.ready)
						ct_store_derive(p->store, &j->it, &j->derived);
					ct_store_expect(p->store, &j->it, &j->derived);
				}
		}

		long flushes = 0;
		while (batch) {
			struct ct_job *j = batch;
			batch = j->next;
			if (!failed && w_job(p, j)) {
				failed = 1;
				if (p->in_tx) {
					ct_store_rollback(p->store);
					p->in_tx = 0;
				}
				w_forget(p);
			}
			if (j->type == JOB_FLUSH || j->type == JOB_STOP) {
				flushes++;
				/* report this flush now: later jobs may belong to the next source */
				pthread_mutex_lock(&p->qlock);
				if (failed)
					p->failed = 1;
				p->flush_rc = p->failed ? -1 : 0;
				p->flushes_done++;
				pthread_cond_broadcast(&p->flushed);
				failed = p->failed;
				pthread_mutex_unlock(&p->qlock);
			}
			if (j->type == JOB_STOP)
				stop = 1;
			j->next = NULL;
			if (done_tail)
				done_tail->next = j;
			else
				done = j;
			done_tail = j;
		}
		if (p->gather)
			ct_store_expect_done(p->store);
		if (failed && !flushes) {
			pthread_mutex_lock(&p->qlock);
			p->failed = 1;
			if (p->wq.giver_waiting)
				pthread_cond_signal(&p->wq.space);
			pthread_mutex_unlock(&p->qlock);
		}
	}
	pthread_mutex_lock(&p->qlock);
	hand_back(p, &done, &done_tail);
	pthread_mutex_unlock(&p->qlock);
	return NULL;
}

/* Queues a job for the writer (the fetcher's or the tagger's thread); waits while the queue is full. */
static int enqueue(struct ct_pipeline *p, struct ct_job *j)
{
	pthread_mutex_lock(&p->qlock);
	wait_for_room(p, &p->wq);
	if (p->failed && j->type == JOB_ITEM) {
		pthread_mutex_unlock(&p->qlock);
		job_free(j);
		return -1;
	}
	push(&p->wq, j);
	struct ct_job *done = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->qlock);
	free_jobs(done);
	return 0;
}

/* ---- tagger thread: classifies the items on their way to the writer ---- */

/*
 * Tags an item job with the rule set (ticket moves carry no text). A rule
 * PCRE2 could not finish matching did not count: the item says so in a
 * warning (stored with it, and printed when it is stored), and is stored
 * all the same, as one that could not be classified at all would be.
 */
static void tag_job(const struct ct_pipeline *p, struct ct_job *j)
{
	if (!p->rules || j->it.kind == CT_ITEM_TICKET_MOVE)
		return;
	if (ct_classify_ledger(p->rules, j->it.subject, j->it.body, j->it.body_len, j->it.role == CT_ROLE_STAFF,
			       j->it.date, j->it.date_has_tz ? j->it.date_tz : 0, &j->tags, &j->ledger)) {
		ct_tags_clear(&j->tags);
		ct_ledger_clear(&j->ledger);
		ct_item_warn(&j->it, "classifying failed: stored without tags");
	} else {
		j->tagged = 1;
		if (!ct_classify_failure())
			return;
		ct_item_warn(&j->it, "classifying: %s; that rule did not count for this item", ct_classify_failure());
	}
	if (j->derived.ready) {   /* worked out before: again, with the warning */
		ct_store_derived_free(&j->derived);
		ct_store_derive(p->store, &j->it, &j->derived);
	}
}

/* Takes the tagger's queue at once, classifies its items and passes every job on to the writer in the order it came. */
static void *tagger_main(void *arg)
{
	struct ct_pipeline *p = arg;
	for (int stop = 0; !stop;) {
		pthread_mutex_lock(&p->qlock);
		struct ct_job *batch = take_all(p, &p->tq);
		pthread_mutex_unlock(&p->qlock);
		while (batch) {
			struct ct_job *j = batch;
			batch = j->next;
			j->next = NULL;
			if (j->type == JOB_ITEM)
				tag_job(p, j);
			stop |= j->type == JOB_STOP;
			enqueue(p, j);
		}
	}
	return NULL;
}

/*
 * Hands a job over from the fetcher's thread: to the tagger when it runs,
 * else to the writer. Waits while the tagger's queue is full.
 */
static int submit(struct ct_pipeline *p, struct ct_job *j)
{
	if (!p->tagger_started)
		return enqueue(p, j);
	pthread_mutex_lock(&p->qlock);
	wait_for_room(p, &p->tq);
	/* as enqueue() refuses items after a failed write */
	if (j->type == JOB_ITEM && p->failed) {
		pthread_mutex_unlock(&p->qlock);
		job_free(j);
		return -1;
	}
	push(&p->tq, j);
	pthread_mutex_unlock(&p->qlock);
	return 0;
}

/* Queues a flush and waits until the writer committed everything before it. */
static int flush_wait(struct ct_pipeline *p, enum job_type type)
{
	if (!p->writer_started)
		return 0;
	struct ct_job *j = ct_calloc(1, sizeof(*j));
	j->type = type;
	pthread_mutex_lock(&p->qlock);
	long want = ++p->flushes_asked;
	pthread_mutex_unlock(&p->qlock);
	submit(p, j);
	pthread_mutex_lock(&p->qlock);
	while (p->flushes_done < want)
		pthread_cond_wait(&p->flushed, &p->qlock);
	int rc = p->flush_rc;
	pthread_mutex_unlock(&p->qlock);
	return rc;
}

/* ---- the sink, called in the fetcher's thread ---- */

static int sink_seen(struct ct_sink *s, const char *source, const char *key)
{
	struct ct_pipeline *p = s->data;
	int r = ct_store_seen(p->reader ? p->reader : p->store, source, key);
	if (r == 1)
		p->n_seen++;
	return r;
}

static int sink_item(struct ct_sink *s, struct ct_item *it)
{
	struct ct_pipeline *p = s->data;

	if (p->stop && *p->stop) {
		ct_item_free(it);
		return -1;
	}
	if (!it->external_id || !*it->external_id) {
		char *what = ct_xstrfmt("%s: item without an id at '%s'", it->source ? it->source : "?",
					it->location ? it->location : "?");
		s->fail(s, what);
		free(what);
		ct_item_free(it);
		return 0;
	}
	if (!it->body)
		it->body = ct_strdup("");
	if (!it->subject)
		it->subject = ct_strdup("");
	if (p->dry_run) {
		p->n_dry++;
		ct_item_free(it);
		return 0;
	}
	struct ct_job *j = ct_calloc(1, sizeof(*j));
	j->type = JOB_ITEM;
	j->it = *it;           /* the job takes the item's contents */
	memset(it, 0, sizeof(*it));
	ct_pipeline_prepare(p, &j->it);
	if (!p->tagger_started)
		tag_job(p, j);
	ct_store_derive(p->store, &j->it, &j->derived);
	return submit(p, j);
}

static char *sink_get_cursor(struct ct_sink *s, const char *source, const char *name)
{
	struct ct_pipeline *p = s->data;
	/* Cursors queued before must be visible: let the writer catch up. */
	if (p->writer_started)
		flush_wait(p, JOB_FLUSH);
	return ct_store_get_cursor(p->reader ? p->reader : p->store, source, name);
}

static int sink_set_cursor(struct ct_sink *s, const char *source, const char *name, const char *value)
{
	struct ct_pipeline *p = s->data;
	if (p->stop && *p->stop)
		return -1;
	if (p->dry_run)
		return 0;
	struct ct_job *j = ct_calloc(1, sizeof(*j));
	j->type = JOB_CURSOR;
	j->source = ct_strdup(source);
	j->name = ct_strdup(name);
	j->value = ct_strdup(value ? value : "");
	return submit(p, j);
}

static int sink_flush(struct ct_sink *s)
{
	return flush_wait(s->data, JOB_FLUSH);
}

static void sink_fail(struct ct_sink *s, const char *what)
{
	struct ct_pipeline *p = s->data;
	p->n_failed++;
	ct_error("%s", what);
}

static void sink_progress(struct ct_sink *s, const char *source, size_t done, size_t total)
{
	progress_line(s->data, source, done, total);
}

static void sink_dry_count(struct ct_sink *s, const char *where, long n, const char *unit)
{
	struct ct_pipeline *p = s->data;
	p->n_dry += n;
	if (p->dry_lines)
		printf("%s: %ld %s\n", where, n, unit);
}

int ct_pipeline_init(struct ct_pipeline *p, const struct ct_config *cfg, struct ct_store *st,
		     struct ct_rules *rules)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->store = st;
	p->rules = rules;
	p->batch_size = 1000;
	p->batch_grow = 1;
	p->gather = ct_db_kind(st->db) == CT_DB_POSTGRES;
	p->started = ct_now_mono();
	p->show_progress = isatty(2);
	p->match_data = pcre2_match_data_create(4, NULL);
	if (cfg->ticket_ref) {
		int ec;
		PCRE2_SIZE off;
		p->ticket_ref_re = pcre2_compile((PCRE2_SPTR)cfg->ticket_ref, PCRE2_ZERO_TERMINATED,
						 PCRE2_UTF, &ec, &off, NULL);
		if (!p->ticket_ref_re)
			return ct_error("ticket_ref: bad regex");
		pcre2_jit_compile(p->ticket_ref_re, PCRE2_JIT_COMPLETE);
	}
	{
		int ec;
		PCRE2_SIZE off;
		/* Request Tracker's subject tag: [rtname #123] */
		p->rt_ref_re = pcre2_compile((PCRE2_SPTR) "\\[[^\\[\\]#]+?\\s#(\\d+)\\]",
					     PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &off, NULL);
	}
	p->sink.seen = sink_seen;
	p->sink.item = sink_item;
	p->sink.get_cursor = sink_get_cursor;
	p->sink.set_cursor = sink_set_cursor;
	p->sink.flush = sink_flush;
	p->sink.fail = sink_fail;
	p->sink.progress = sink_progress;
	p->sink.dry_count = sink_dry_count;
	p->dry_lines = 1;
	p->sink.data = p;
	/*
	 * A gathering writer takes a batch at a time: the fetcher may decode
	 * the next batch meanwhile, rather than wait for the writer.
	 */
	p->max_queued = p->gather ? GATHER_BATCH : 256;
	/* new items are stored as tagged by this rule set (none: untagged) */
	ct_store_set_classifier(st, rules ? ct_rules_hash(rules) : NULL);
	pthread_mutex_init(&p->qlock, NULL);
	pthread_cond_init(&p->flushed, NULL);
	queue_init(&p->wq);
	queue_init(&p->tq);
	return 0;
}

int ct_pipeline_start(struct ct_pipeline *p)
{
	if (p->dry_run || p->writer_started)
		return 0;
	if (ct_store_open_reader(p->store, &p->reader))
		return -1;
	/* SIGTERM and SIGINT go to the fetcher's thread, where they end a blocking read. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = pthread_create(&p->writer, NULL, writer_main, p);
	if (!rc)
		p->writer_started = 1;
	/* without the tagger, the fetcher's thread classifies (slower, same result) */
	if (!rc && p->rules && !pthread_create(&p->tagger, NULL, tagger_main, p))
		p->tagger_started = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return ct_error("cannot start the store writer thread");
	return 0;
}

int ct_pipeline_finish(struct ct_pipeline *p)
{
	if (p->progress_shown) {
		fputs("\r\033[K", stderr);
		p->progress_shown = 0;
	}
	return flush_wait(p, JOB_FLUSH);
}

int ct_pipeline_failed(struct ct_pipeline *p)
{
	pthread_mutex_lock(&p->qlock);
	int f = p->failed;
	p->failed = 0;           /* the next source starts clean */
	pthread_mutex_unlock(&p->qlock);
	return f;
}

void ct_pipeline_release(struct ct_pipeline *p)
{
	if (p->writer_started) {
		flush_wait(p, JOB_STOP);
		if (p->tagger_started)
			pthread_join(p->tagger, NULL);
		pthread_join(p->writer, NULL);
		p->writer_started = p->tagger_started = 0;
	}
	free_jobs(p->done);
	p->done = NULL;
	ct_store_close(p->reader);
	p->reader = NULL;
	if (p->in_tx) {
		ct_store_rollback(p->store);
		p->in_tx = 0;
		w_forget(p);
	}
	pthread_mutex_destroy(&p->qlock);
	pthread_cond_destroy(&p->flushed);
	queue_destroy(&p->wq);
	queue_destroy(&p->tq);
	pcre2_code_free(p->ticket_ref_re);
	pcre2_code_free(p->rt_ref_re);
	pcre2_match_data_free(p->match_data);
}
