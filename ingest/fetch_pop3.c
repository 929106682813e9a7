/*
 * fetch_pop3.c - the POP3 fetcher (libetpan): reads every message whose UIDL
 * the store has not seen and hands it to the sink.
 *
 * Messages stay on the server: this file never sends DELE. The UIDL is the
 * item's location, which the sink remembers in the same transaction as the
 * item, so a run killed at any point and run again neither loses nor doubles
 * a message. POP3 has one mailbox; it is reported as "INBOX".
 */
#include "mailnet_p.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum { OK = 0, PERMANENT = -1, TRANSIENT = -2 };

struct pop3_run {
	const struct ct_source *src;
	struct ct_sink *sink;
	struct ct_mailnet m;
	char *secret;            /* never printed */
	mailpop3 *p;
	char *why;               /* last transient failure */
};

static const char *pop3_response(mailpop3 *p)
{
	return p && p->pop3_response && *p->pop3_response ? p->pop3_response : "no detail from the server";
}

/* Whether error r may go away on a new connection: any error once the
   connection itself has failed, whatever libetpan made of it. */
static int is_transient(struct pop3_run *run, int r)
{
	return (run->p && ct_mailnet_why(run->p->pop3_stream)) || r == MAILPOP3_ERROR_STREAM;
}

/* Remembers a transient failure, "WHAT (host:port): why"; returns TRANSIENT. */
static int transient(struct pop3_run *run, const char *what, int r)
{
	const char *how = r == MAILPOP3_ERROR_STREAM ? "the connection failed" : "unreadable server response";
	ct_mailnet_lost(&run->m, &run->why, run->p ? run->p->pop3_stream : NULL, how, "%s", what);
	return TRANSIENT;
}

static void disconnect(struct pop3_run *run)
{
	if (!run->p)
		return;
	/* QUIT ends the session; nothing was marked deleted, so nothing goes.
	   Not on a dead connection: it would wait for the timeout once more. */
	if (run->p->pop3_stream && !ct_mailnet_why(run->p->pop3_stream))
		mailpop3_quit(run->p);
	mailpop3_free(run->p);
	run->p = NULL;
}

static int connect_pop3(struct pop3_run *run)
{
	struct ct_mailnet *m = &run->m;
	int r;
	run->p = mailpop3_new(0, NULL);
	if (!run->p)
		ct_die("out of memory");
	mailpop3_set_timeout(run->p, (time_t)m->timeout);  /* for the STLS handshake */
	mailstream *stream = NULL;
	r = ct_mailnet_open(m, "POP3", &stream, &run->why);
	if (r)
		return r == -1 ? PERMANENT : TRANSIENT;
	r = mailpop3_connect(run->p, stream);  /* run->p owns the stream now */
	if (r != MAILPOP3_NO_ERROR)
		return transient(run, "no greeting", r);
	if (m->starttls) {
		r = mailpop3_socket_starttls_with_callback(run->p, ct_mailnet_tls_setup, m->host);
		if (r != MAILPOP3_NO_ERROR) {
			if (is_transient(run, r))
				return transient(run, "connection lost during STLS", r);
			ct_error("source '%s': STLS failed at %s:%u: %s", m->source, m->host, m->port,
				 pop3_response(run->p));
			ct_hint("check starttls and the server's TLS setup");
			return PERMANENT;
		}
		ct_mailnet_guard(run->p->pop3_stream, m->timeout, 1);  /* a new driver under the stream */
		if (ct_mailnet_tls_check(m, run->p->pop3_stream, "POP3"))
			return PERMANENT;
	}
	if (!strcmp(m->auth, "xoauth2"))
		return ct_error("source '%s': auth = xoauth2 is not supported for POP3", m->source);
	if (!strcmp(m->auth, "plain"))
		r = mailpop3_auth(run->p, "PLAIN", m->host, NULL, NULL, m->user, m->user, run->secret, NULL);
	else if ((r = mailpop3_user(run->p, m->user)) == MAILPOP3_NO_ERROR)
		r = mailpop3_pass(run->p, run->secret);
	if (r == MAILPOP3_NO_ERROR)
		return OK;
	if (is_transient(run, r))
		return transient(run, "connection lost during login", r);
	ct_error("source '%s': POP3 login failed for user '%s' at %s:%u: %s", m->source, m->user, m->host,
		 m->port, pop3_response(run->p));
	ct_hint("check user and %s",
		ct_source_get(run->src, "password_command") ? "password_command" : "password_env");
	return PERMANENT;
}

/* One session: LIST + UIDL, then RETR of each message not seen yet. */
static int fetch_all(struct pop3_run *run, int *progressed)
{
	struct ct_sink *sink = run->sink;
	carray *msgs = NULL;
	int r = mailpop3_list(run->p, &msgs);
	if (r != MAILPOP3_NO_ERROR) {
		if (is_transient(run, r))
			return transient(run, "connection lost during LIST/UIDL", r);
		return ct_error("source '%s': LIST/UIDL failed at %s:%u: %s", run->m.source, run->m.host,
				run->m.port, pop3_response(run->p));
	}
	unsigned n = carray_count(msgs);
	unsigned *todo = ct_malloc((n ? n : 1) * sizeof(*todo));
	size_t ntodo = 0;
	for (unsigned i = 0; i < n; i++) {
		struct mailpop3_msg_info *mi = carray_get(msgs, i);
		if (!mi)
			continue;
		if (!mi->msg_uidl) {
			free(todo);
			ct_error("source '%s': the POP3 server %s:%u does not support UIDL", run->m.source,
				 run->m.host, run->m.port);
			ct_hint("without UIDL casetrail cannot tell new messages from old ones; use IMAP");
			return PERMANENT;
		}
		int seen = sink->seen(sink, run->m.source, mi->msg_uidl);
		if (seen < 0) {
			free(todo);
			return PERMANENT;
		}
		if (!seen)
			todo[ntodo++] = i;
	}
	if (sink->dry_run) {
		char *where = ct_xstrfmt("%s INBOX", run->m.source);
		ct_sink_dry_count(sink, where, (long)ntodo, "new");
		free(where);
		free(todo);
		return OK;
	}
	for (size_t k = 0; k < ntodo; k++) {
		struct mailpop3_msg_info *mi = carray_get(msgs, todo[k]);
		char *raw = NULL;
		size_t len = 0;
		r = mailpop3_retr(run->p, mi->msg_index, &raw, &len);
		if (r == MAILPOP3_ERROR_NO_SUCH_MESSAGE && !ct_mailnet_why(run->p->pop3_stream))
			continue;  /* removed by another client meanwhile */
		if (r != MAILPOP3_NO_ERROR) {
			free(todo);
			if (is_transient(run, r)) {
				char *what = ct_xstrfmt("connection lost while fetching message %u (UIDL %s)",
							mi->msg_index, mi->msg_uidl);
				transient(run, what, r);
				free(what);
				return TRANSIENT;
			}
			return ct_error("source '%s': RETR %u failed at %s:%u: %s", run->m.source,
					mi->msg_index, run->m.host, run->m.port, pop3_response(run->p));
		}
		struct ct_item it;
		ct_item_init(&it);
		ct_mime_parse(raw, len, (ct_time)time(NULL), &it);
		mailpop3_retr_free(raw);
		it.source = ct_strdup(run->m.source);
		it.mailbox_dept = ct_strdup(ct_mailnet_folder_dept(&run->m, "INBOX"));
		it.location = ct_strdup(mi->msg_uidl);
		if (sink->item(sink, &it)) {
			free(todo);
			return PERMANENT;
		}
		*progressed = 1;
		if (sink->progress && (k + 1) % 100 == 0)
			sink->progress(sink, run->m.source, k + 1, ntodo);
	}
	free(todo);
	return sink->flush(sink) ? PERMANENT : OK;
}

static int run_pop3(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	struct pop3_run run;
	int rc = -1, attempt = 0;

	/* A server that hangs up makes the next write fail with EPIPE, which the
	 * retry logic handles; SIGPIPE would kill the whole run instead. */
	signal(SIGPIPE, SIG_IGN);
	memset(&run, 0, sizeof(run));
	run.src = src;
	run.sink = sink;
	if (ct_mailnet_load(cfg, src, "pop3", 110, 995, &run.m))
		goto out;
	run.secret = ct_source_secret(src, "password_command", "password_env");
	if (!run.secret)
		goto out;
	for (;;) {
		int progressed = 0;
		int r = connect_pop3(&run);
		if (r == OK)
			r = fetch_all(&run, &progressed);
		disconnect(&run);
		if (r == OK) {
			rc = 0;
			break;
		}
		if (r == PERMANENT)
			break;
		/* What was handed over is committed before asking seen() again. */
		if (!sink->dry_run && sink->flush(sink))
			break;
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
	ct_mailnet_release(&run.m);
	return rc;
}

const struct ct_fetcher ct_fetch_pop3 = { "pop3", run_pop3 };
