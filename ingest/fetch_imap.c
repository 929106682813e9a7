/*
 * fetch_imap.c - the IMAP fetcher (libetpan): reads every new message of the
 * configured folders, read-only, and hands it to the sink.
 *
 * Folders are opened with EXAMINE and bodies fetched with BODY.PEEK[], so no
 * flag on the server ever changes; nothing is stored, copied or expunged.
 * Per folder the sink keeps the cursors "FOLDER:uidvalidity",
 * "FOLDER:last_uid" (and "FOLDER:highestmodseq" with CONDSTORE), queued after
 * each batch of items so that they commit in the same transaction as the
 * items before them: a run killed at any point resumes after the last
 * committed batch. A run with nothing new costs one EXAMINE per folder.
 *
 * Folder names are UTF-8 everywhere in casetrail (configuration, cursors,
 * messages) and modified UTF-7 on the wire (imap_utf7.c).
 * auth = xoauth2 uses libetpan's AUTHENTICATE XOAUTH2 with the token from
 * token_command (or token_env).
 */
#include "mailnet_p.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum { OK = 0, PERMANENT = -1, TRANSIENT = -2 };

struct imap_run {
	const struct ct_config *cfg;
	const struct ct_source *src;
	struct ct_sink *sink;
	struct ct_mailnet m;
	char *secret;            /* password or OAuth2 token; never printed */
	mailimap *s;
	char *why;               /* last transient failure, for the final message */

	/* The folder being fetched. */
	const char *folder;
	const char *dept;
	uint32_t uidvalidity;
	size_t done, total;
};

/* One message as fetched and parsed, waiting for the sink. */
struct raw_msg {
	uint32_t uid;
	struct ct_item it;
	int handed;              /* the sink owns the item's contents now */
};

/* The messages of one UID FETCH, and the highest UID it asked for. */
struct batch {
	struct raw_msg *v;
	size_t n, alloc;
	uint32_t last_uid;
	struct batch *next;
};

/*
 * The network side of a folder fetch. A thread of its own sends the UID
 * FETCH commands and parses each message as it arrives (ct_mime_parse is
 * thread-safe), then queues the batch, while the caller classifies and
 * stores the batch before; at most QUEUE_MAX batches wait.
 * Only this thread touches the IMAP session until it is joined.
 */
#define QUEUE_MAX 2
struct netq {
	struct imap_run *run;
	const uint32_t *uids;
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct batch *head, *tail;
	size_t queued;
	int finished, stop;
	int result;              /* OK, PERMANENT or TRANSIENT once finished */
	struct batch *cur;       /* being filled by on_message */
};

/*
 * The text of the last tagged response, with its response code when the
 * server sent one ("[AUTHENTICATIONFAILED] Authentication failed."). The
 * string is kept in a static buffer until the next call.
 */
static const char *imap_response(mailimap *s)
{
	static char buf[512];
	const char *text = s && s->imap_response && *s->imap_response ? s->imap_response
								       : "no detail from the server";
	const char *code = s && s->imap_response_info ? s->imap_response_info->rsp_atom : NULL;
	if (code && *code)
		snprintf(buf, sizeof(buf), "[%s] %s", code, text);
	else
		snprintf(buf, sizeof(buf), "%s", text);
	return buf;
}

/* Whether error r may go away on a new connection: any error once the
   connection itself has failed, whatever libetpan made of it. */
static int is_transient(struct imap_run *run, int r)
{
	return (run->s && ct_mailnet_why(run->s->imap_stream)) || r == MAILIMAP_ERROR_STREAM ||
	       r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_PARSE;
}

/*
 * Remembers a transient failure, "WHAT (host:port): why", the why from the
 * stream when it failed, else from libetpan's code r; returns TRANSIENT.
 */
static int transient(struct imap_run *run, const char *what, int r)
{
	const char *how = r == MAILIMAP_ERROR_STREAM ? "the connection failed"
			  : r == MAILIMAP_ERROR_FATAL ? "the server ended the session"
			  : "unreadable server response";
	ct_mailnet_lost(&run->m, &run->why, run->s ? run->s->imap_stream : NULL, how, "%s", what);
	return TRANSIENT;
}

static void disconnect(struct imap_run *run)
{
	if (!run->s)
		return;
	/* LOGOUT only on a working connection: on a dead one it would wait
	   for the timeout once more. */
	if (run->s->imap_stream && !ct_mailnet_why(run->s->imap_stream))
		mailimap_logout(run->s);
	mailimap_free(run->s);
	run->s = NULL;
}

static int login(struct imap_run *run)
{
	struct ct_mailnet *m = &run->m;
	int r;
	if (!strcmp(m->auth, "xoauth2")) {
		if (!mailimap_has_xoauth2(run->s))
			return ct_error("source '%s': the IMAP server %s:%u does not offer AUTH=XOAUTH2",
					m->source, m->host, m->port);
		r = mailimap_oauth2_authenticate(run->s, m->user, run->secret);
	} else if (!strcmp(m->auth, "plain")) {
		r = mailimap_authenticate(run->s, "PLAIN", m->host, NULL, NULL, m->user, m->user,
					  run->secret, NULL);
	} else {
		r = mailimap_login(run->s, m->user, run->secret);
	}
	if (r == MAILIMAP_NO_ERROR)
		return OK;
	if (is_transient(run, r))
		return transient(run, "connection lost during login", r);
	ct_error("source '%s': IMAP login failed for user '%s' at %s:%u: %s", m->source, m->user,
		 m->host, m->port, imap_response(run->s));
	if (!strcmp(m->auth, "xoauth2"))
		ct_hint("check token_command (the token may have expired)");
	else
		ct_hint("check user and %s", ct_source_get(run->src, "password_command") ? "password_command"
										: "password_env");
	return PERMANENT;
}

static int connect_imap(struct imap_run *run)
{
	struct ct_mailnet *m = &run->m;
	int r;
	run->s = mailimap_new(0, NULL);
	if (!run->s)
		ct_die("out of memory");
	mailimap_set_timeout(run->s, (time_t)m->timeout);  /* for the STARTTLS handshake */
	mailstream *stream = NULL;
	r = ct_mailnet_open(m, "IMAP", &stream, &run->why);
	if (r)
		return r == -1 ? PERMANENT : TRANSIENT;
	r = mailimap_connect(run->s, stream);  /* run->s owns the stream now */
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return transient(run, "no greeting", r);
	if (m->starttls) {
		r = mailimap_socket_starttls_with_callback(run->s, ct_mailnet_tls_setup, m->host);
		if (r != MAILIMAP_NO_ERROR) {
			if (is_transient(run, r))
				return transient(run, "connection lost during STARTTLS", r);
			ct_error("source '%s': STARTTLS failed at %s:%u: %s", m->source, m->host, m->port,
				 imap_response(run->s));
			ct_hint("check starttls and the server's TLS setup");
			return PERMANENT;
		}
		ct_mailnet_guard(run->s->imap_stream, m->timeout, 1);  /* a new driver under the stream */
		if (ct_mailnet_tls_check(m, run->s->imap_stream, "IMAP"))
			return PERMANENT;
	}
	if (!m->tls && !m->starttls && strcmp(m->host, "127.0.0.1") && strcmp(m->host, "localhost") &&
	    strcmp(m->host, "::1"))
		ct_warn("source '%s': the password goes to %s unencrypted (use imaps:// or starttls = yes)",
			m->source, m->host);
	struct mailimap_capability_data *cap = NULL;
	r = mailimap_capability(run->s, &cap);
	if (r != MAILIMAP_NO_ERROR)
		return is_transient(run, r) ? transient(run, "connection lost during CAPABILITY", r)
				       : ct_error("source '%s': CAPABILITY failed at %s:%u: %s", m->source,
						  m->host, m->port, imap_response(run->s));
	mailimap_capability_data_free(cap);
	return login(run);
}

/* Reads a numeric cursor of the current folder; 0 when absent. */
static uint64_t cursor_get(struct imap_run *run, const char *what, int *present)
{
	char *name = ct_xstrfmt("%s:%s", run->folder, what);
	char *v = run->sink->get_cursor(run->sink, run->m.source, name);
	uint64_t n = v ? strtoull(v, NULL, 10) : 0;
	if (present)
		*present = v != NULL;
	free(v);
	free(name);
	return n;
}

static int cursor_set(struct imap_run *run, const char *what, uint64_t value)
{
	char *name = ct_xstrfmt("%s:%s", run->folder, what);
	char *v = ct_xstrfmt("%" PRIu64, value);
	int r = run->sink->set_cursor(run->sink, run->m.source, name, v);
	free(name);
	free(v);
	return r;
}

static void no_progress(size_t current, size_t maximum, void *context)
{
}

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		if (!b->v[i].handed)
			ct_item_free(&b->v[i].it);
	free(b->v);
	free(b);
}

/*
 * Called by libetpan for each FETCH response as it is parsed (the response
 * is freed right after), so a batch never sits in memory twice.
 */
static void on_message(struct mailimap_msg_att *att, void *data)
{
	struct netq *q = data;
	struct batch *b = q->cur;
	uint32_t uid = 0;
	const char *body = NULL;
	size_t len = 0;
	for (clistiter *c = clist_begin(att->att_list); c; c = clist_next(c)) {
		struct mailimap_msg_att_item *item = clist_content(c);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		struct mailimap_msg_att_static *st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID) {
			uid = st->att_data.att_uid;
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION && st->att_data.att_body_section) {
			body = st->att_data.att_body_section->sec_body_part;
			len = st->att_data.att_body_section->sec_length;
		}
	}
	if (!uid || !body || !b)
		return;  /* an unsolicited FETCH (flags of another client) */
	if (b->n == b->alloc) {
		b->alloc = b->alloc ? 2 * b->alloc : 64;
		b->v = ct_realloc(b->v, b->alloc * sizeof(*b->v));
	}
	struct raw_msg *m = &b->v[b->n++];
	m->uid = uid;
	m->handed = 0;
	/* Parsed here, in the network thread, while the body is still in
	 * libetpan's buffer: no copy, and the caller's thread only classifies. */
	ct_item_init(&m->it);
	ct_mime_parse(body, len, (ct_time)time(NULL), &m->it);
}

/* The UIDs above last in the open folder, ascending. */
static int search_new(struct imap_run *run, uint32_t last, uint32_t **uids, size_t *n)
{
	*uids = NULL;
	*n = 0;
	struct mailimap_set *set = mailimap_set_new_interval(last + 1, 0);
	struct mailimap_search_key *key = mailimap_search_key_new_uid(set);
	clist *res = NULL;
	int r = mailimap_uid_search(run->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		if (is_transient(run, r))
			return transient(run, "connection lost during UID SEARCH", r);
		return ct_error("source '%s': UID SEARCH in folder '%s' failed at %s:%u: %s", run->m.source,
				run->folder, run->m.host, run->m.port, imap_response(run->s));
	}
	size_t alloc = 0;
	for (clistiter *c = clist_begin(res); c; c = clist_next(c)) {
		uint32_t u = *(uint32_t *)clist_content(c);
		if (u <= last)
			continue;  /* "N:*" always matches the highest UID */
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			*uids = ct_realloc(*uids, alloc * sizeof(**uids));
		}
		(*uids)[(*n)++] = u;
	}
	mailimap_search_result_free(res);
	/* Servers answer in ascending order in practice; make sure. */
	for (size_t i = 1; i < *n; i++)
		if ((*uids)[i] < (*uids)[i - 1]) {
			uint32_t t = (*uids)[i];
			size_t j = i;
			for (; j && (*uids)[j - 1] > t; j--)
				(*uids)[j] = (*uids)[j - 1];
			(*uids)[j] = t;
		}
	return OK;
}

/*
 * Fetches uids[0..n) (ascending) as one UID FETCH into q->cur; the set is
 * sent as ranges. Runs in the network thread.
 */
static int fetch_batch(struct imap_run *run, struct netq *q, const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
		ft, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	clist *res = NULL;
	mailimap_set_msg_att_handler(run->s, on_message, q);
	mailimap_set_progress_callback(run->s, NULL, no_progress, NULL);
	int r = mailimap_uid_fetch(run->s, set, ft, &res);
	mailimap_set_msg_att_handler(run->s, NULL, NULL);
	mailimap_set_progress_callback(run->s, NULL, NULL, NULL);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (res)
		mailimap_fetch_list_free(res);
	if (r != MAILIMAP_NO_ERROR) {
		if (is_transient(run, r)) {
			/* The first UID asked for and not received is the one that was
			   on its way (servers answer in ascending order). */
			uint32_t got = 0, at = 0;
			for (size_t k = 0; q->cur && k < q->cur->n; k++)
				if (q->cur->v[k].uid > got)
					got = q->cur->v[k].uid;
			for (size_t k = 0; k < n && !at; k++)
				if (uids[k] > got)
					at = uids[k];
			char *what = at ? ct_xstrfmt("connection lost while fetching UID %" PRIu32 " of folder '%s'",
						     at, run->folder)
					: ct_xstrfmt("connection lost after fetching UID %" PRIu32 " of folder '%s'",
						     got, run->folder);
			transient(run, what, r);
			free(what);
			return TRANSIENT;
		}
		return ct_error("source '%s': UID FETCH in folder '%s' failed at %s:%u: %s", run->m.source,
				run->folder, run->m.host, run->m.port, imap_response(run->s));
	}
	return OK;
}

static void *net_main(void *arg)
{
	struct netq *q = arg;
	size_t full = (size_t)q->run->m.batch;
	/* Small batches first, so classifying and storing start at once
	   instead of after a whole batch has arrived. */
	size_t step = full < 50 ? full : 50;
	int r = OK;
	for (size_t i = 0; i < q->n && r == OK; i += step, step = step * 2 < full ? step * 2 : full) {
		size_t k = q->n - i < step ? q->n - i : step;
		pthread_mutex_lock(&q->lock);
		while (q->queued >= QUEUE_MAX && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		int stop = q->stop;
		pthread_mutex_unlock(&q->lock);
		if (stop)
			break;
		q->cur = ct_calloc(1, sizeof(*q->cur));
		r = fetch_batch(q->run, q, q->uids + i, k);
		struct batch *b = q->cur;
		q->cur = NULL;
		if (r != OK) {
			batch_free(b);
			break;
		}
		b->last_uid = q->uids[i + k - 1];
		pthread_mutex_lock(&q->lock);
		if (q->tail)
			q->tail->next = b;
		else
			q->head = b;
		q->tail = b;
		q->queued++;
		pthread_cond_broadcast(&q->cond);
		pthread_mutex_unlock(&q->lock);
	}
	pthread_mutex_lock(&q->lock);
	q->result = r;
	q->finished = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Hands the items of a batch to the sink, then queues its cursor. */
static int deliver(struct imap_run *run, struct batch *b)
{
	struct ct_sink *sink = run->sink;
	for (size_t i = 0; i < b->n; i++) {
		struct ct_item *it = &b->v[i].it;
		it->source = ct_strdup(run->m.source);
		it->mailbox_dept = ct_strdup(run->dept);
		it->location = ct_xstrfmt("%s/%" PRIu32 "/%" PRIu32, run->folder, run->uidvalidity, b->v[i].uid);
		it->location_in_cursor = 1;  /* last_uid says what was read */
		b->v[i].handed = 1;  /* item() frees it, also on error */
		if (sink->item(sink, it))
			return PERMANENT;
		run->done++;
	}
	/* Queued after the batch's items: committed with them. */
	if (cursor_set(run, "last_uid", b->last_uid))
		return PERMANENT;
	if (sink->progress)
		sink->progress(sink, run->m.source, run->done, run->total);
	return OK;
}

/*
 * Fetches uids[0..n) in batches, the network in a thread of its own, the
 * parsing and the sink in this one. Returns OK, PERMANENT or TRANSIENT; the
 * batches handed over before a failure keep their cursors.
 */
static int fetch_uids(struct imap_run *run, const uint32_t *uids, size_t n, int *progressed)
{
	struct netq q;
	pthread_t th;
	int rc = OK;
	memset(&q, 0, sizeof(q));
	q.run = run;
	q.uids = uids;
	q.n = n;
	pthread_mutex_init(&q.lock, NULL);
	pthread_cond_init(&q.cond, NULL);
	if (pthread_create(&th, NULL, net_main, &q)) {
		pthread_mutex_destroy(&q.lock);
		pthread_cond_destroy(&q.cond);
		return ct_error("source '%s': cannot start a thread", run->m.source);
	}
	for (;;) {
		pthread_mutex_lock(&q.lock);
		while (!q.head && !q.finished)
			pthread_cond_wait(&q.cond, &q.lock);
		struct batch *b = q.head;
		if (b) {
			q.head = b->next;
			if (!q.head)
				q.tail = NULL;
			q.queued--;
			pthread_cond_broadcast(&q.cond);
		}
		pthread_mutex_unlock(&q.lock);
		if (!b)
			break;
		rc = deliver(run, b);
		batch_free(b);
		if (rc != OK) {
			pthread_mutex_lock(&q.lock);
			q.stop = 1;
			pthread_cond_broadcast(&q.cond);
			pthread_mutex_unlock(&q.lock);
			break;
		}
		*progressed = 1;
	}
	pthread_join(th, NULL);
	while (q.head) {
		struct batch *b = q.head;
		q.head = b->next;
		batch_free(b);
	}
	pthread_mutex_destroy(&q.lock);
	pthread_cond_destroy(&q.cond);
	return rc != OK ? rc : q.result;
}

/*
 * Fetches what is new in one folder. Returns OK, PERMANENT (reported) or
 * TRANSIENT (the caller reconnects; cursors say where to go on).
 */
static int fetch_folder(struct imap_run *run, const char *folder, int *progressed)
{
	struct ct_sink *sink = run->sink;
	uint64_t modseq = 0;
	int condstore = mailimap_has_condstore(run->s);
	int r;
	run->folder = folder;
	run->dept = ct_mailnet_folder_dept(&run->m, folder);
	char *wire = ct_imap_utf7_encode(folder);  /* the name as the server spells it */
	r = condstore ? mailimap_examine_condstore(run->s, wire, &modseq) : mailimap_examine(run->s, wire);
	free(wire);
	if (r != MAILIMAP_NO_ERROR) {
		if (is_transient(run, r))
			return transient(run, "connection lost while opening the folder", r);
		ct_error("source '%s': IMAP folder '%s' cannot be opened at %s:%u: %s", run->m.source, folder,
			 run->m.host, run->m.port, imap_response(run->s));
		ct_hint("check folders (or the url's folder) in [source %s]; folders = * takes every subscribed folder",
			run->m.source);
		return PERMANENT;
	}
	struct mailimap_selection_info *sel = run->s->imap_selection_info;
	uint32_t uidvalidity = sel ? sel->sel_uidvalidity : 0;
	uint32_t uidnext = sel ? sel->sel_uidnext : 0;
	uint32_t exists = sel && sel->sel_has_exists ? sel->sel_exists : 1;
	int had_uv = 0;
	uint64_t old_uv = cursor_get(run, "uidvalidity", &had_uv);
	uint64_t last = cursor_get(run, "last_uid", NULL);
	run->uidvalidity = uidvalidity;
	int uv_changed = !had_uv || old_uv != uidvalidity;
	if (had_uv && old_uv != uidvalidity)
		ct_warn("source '%s': folder '%s' has a new UIDVALIDITY (%" PRIu64 " -> %" PRIu32
			"): reading it again; messages already stored are recognised by Message-ID",
			run->m.source, folder, old_uv, uidvalidity);
	if (uv_changed)
		last = 0;
	if (last > UINT32_MAX)
		last = UINT32_MAX;

	/* One round trip: the EXAMINE answer says whether anything is new. */
	int nothing = exists == 0 || (uidnext && (uint64_t)uidnext - 1 <= last);
	uint32_t *uids = NULL;
	size_t n = 0;
	if (!nothing && (r = search_new(run, (uint32_t)last, &uids, &n)) != OK)
		return r;
	if (sink->dry_run) {
		char *where = ct_xstrfmt("%s %s", run->m.source, folder);
		ct_sink_dry_count(sink, where, (long)n, "new");
		free(where);
		free(uids);
		return OK;
	}
	if (uv_changed) {
		if (cursor_set(run, "uidvalidity", uidvalidity) || cursor_set(run, "last_uid", 0))
			goto sink_fail;
	}
	run->done = 0;
	run->total = n;
	if (n && (r = fetch_uids(run, uids, n, progressed)) != OK) {
		free(uids);
		return r;
	}
	free(uids);
	uids = NULL;
	if (condstore && modseq && cursor_set(run, "highestmodseq", modseq))
		goto sink_fail;
	if (sink->flush(sink))
		return PERMANENT;
	return OK;
sink_fail:
	free(uids);
	return PERMANENT;
}

/* folders = *: every subscribed folder that can be selected. */
static int list_subscribed(struct imap_run *run, struct ct_strlist *out)
{
	clist *list = NULL;
	int r = mailimap_lsub(run->s, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR) {
		if (is_transient(run, r))
			return transient(run, "connection lost during LSUB", r);
		return ct_error("source '%s': LSUB failed at %s:%u: %s", run->m.source, run->m.host,
				run->m.port, imap_response(run->s));
	}
	for (clistiter *c = clist_begin(list); c; c = clist_next(c)) {
		struct mailimap_mailbox_list *mb = clist_content(c);
		int noselect = 0;
		if (mb->mb_flag && mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
		    mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
			noselect = 1;
		if (noselect || !mb->mb_name)
			continue;
		char *name = ct_imap_utf7_decode(mb->mb_name);
		if (!ct_strlist_has(out, name))
			ct_strlist_push_owned(out, name);
		else
			free(name);
	}
	mailimap_list_result_free(list);
	return OK;
}

static int run_imap(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	struct imap_run run;
	struct ct_strlist folders = CT_STRLIST_INIT;
	int rc = -1, r = OK, attempt = 0;
	size_t next = 0;     /* folders before it are done */
	int listed = 0;

	/* A server that hangs up makes the next write fail with EPIPE, which the
	 * retry logic handles; SIGPIPE would kill the whole run instead. */
	signal(SIGPIPE, SIG_IGN);
	memset(&run, 0, sizeof(run));
	run.cfg = cfg;
	run.src = src;
	run.sink = sink;
	if (ct_mailnet_load(cfg, src, "imap", 143, 993, &run.m))
		goto out;
	if (!strcmp(run.m.auth, "xoauth2"))
		run.secret = ct_source_secret(src, "token_command", "token_env");
	else
		run.secret = ct_source_secret(src, "password_command", "password_env");
	if (!run.secret)
		goto out;

	for (;;) {
		int progressed = 0;
		r = connect_imap(&run);
		if (r == OK && !listed) {
			if (run.m.folders.n == 1 && !strcmp(run.m.folders.v[0], "*"))
				r = list_subscribed(&run, &folders);
			else
				for (size_t i = 0; i < run.m.folders.n; i++)
					ct_strlist_push(&folders, run.m.folders.v[i]);
			listed = r == OK;
		}
		while (r == OK && next < folders.n) {
			r = fetch_folder(&run, folders.v[next], &progressed);
			if (r == OK)
				next++;
		}
		disconnect(&run);
		if (r == OK) {
			rc = 0;
			break;
		}
		if (r == PERMANENT)
			break;
		/* Transient: reconnect and go on from the committed cursors. */
		if (progressed)
			attempt = 0;
		if (ct_mailnet_retry(&run.m, ++attempt, run.why))
			break;
	}
out:
	disconnect(&run);
	if (run.secret) {
		memset(run.secret, 0, strlen(run.secret));
		free(run.secret);
	}
	free(run.why);
	ct_strlist_clear(&folders);
	ct_mailnet_release(&run.m);
	return rc;
}

const struct ct_fetcher ct_fetch_imap = { "imap", run_imap };
