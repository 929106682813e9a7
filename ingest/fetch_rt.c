/*
 * fetch_rt.c - Request Tracker through REST2. The cursor is the highest
 * ticket transaction id read ("last_txn"): the transaction feed
 * (GET /transactions, id > last, oldest first) gives creates, replies,
 * comments, queue moves and status changes of every ticket. Bodies and
 * Message-IDs come from each ticket's attachment list; queue ids become
 * names through /queues/all. RT 5.0.3 answers 500 on GET /transaction/ID
 * for some types, so transactions are only read through lists with fields=.
 */
#include "tickets_p.h"
#include "http_p.h"
#include "../config/config.h"

#include <stdlib.h>
#include <string.h>

struct rt_ticket {
	char *id;
	char *subject, *status, *requester;
	char *queue;                 /* current queue id */
	json_t *moves;               /* [[txn id, old queue id, new queue id]] from the ticket's history */
	json_t *bodies;              /* txn id -> {"text", "message_id"} */
};

struct rt_run {
	const struct ct_source *src;
	struct ct_sink *sink;
	struct ct_http http;
	json_t *queues;              /* id -> name */
	json_t *users;               /* name -> email ("" when none) */
	json_t *tickets;             /* id -> struct rt_ticket * (as an integer pointer) */
};

/* Reads every page of a collection; cb gets each item. */
static int rt_list(struct rt_run *r, const char *path, int (*cb)(struct rt_run *r, json_t *item, void *d),
		   void *d)
{
	for (int page = 1; page < 10000; page++) {
		char *p = ct_xstrfmt("%s%spage=%d", path, strchr(path, '?') ? "&" : "?", page);
		json_t *o = NULL;
		int rc = ct_http_get_json(&r->http, p, &o);
		free(p);
		if (rc)
			return -1;
		json_t *items = json_object_get(o, "items");
		if (!json_is_array(items)) {
			json_decref(o);
			return ct_error("source '%s': GET %.*s: unexpected answer (no \"items\")", r->src->name,
					(int)strcspn(path, "?"), path);
		}
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			if (cb(r, it, d)) {
				json_decref(o);
				return -1;
			}
		}
		json_t *next = json_object_get(o, "next_page");
		int more = json_is_string(next) && json_array_size(items) > 0;
		json_decref(o);
		if (!more)
			break;
	}
	return 0;
}

static int queue_cb(struct rt_run *r, json_t *q, void *d)
{
	const char *id = ct_tickets_jstr(q, "id"), *name = ct_tickets_jstr(q, "Name");
	if (id && name)
		json_object_set_new(r->queues, id, json_string(name));
	return 0;
}

static const char *queue_name(struct rt_run *r, const char *id)
{
	json_t *n = id ? json_object_get(r->queues, id) : NULL;
	return n ? json_string_value(n) : id;
}

/* An RT user name as a mail address (users made from mail are named by it). */
static const char *user_email(struct rt_run *r, const char *name)
{
	if (!name)
		return NULL;
	json_t *known = json_object_get(r->users, name);
	if (known)
		return *json_string_value(known) ? json_string_value(known) : name;
	const char *email = NULL;
	json_t *u = NULL;
	if (!strchr(name, '@')) {
		char *esc = ct_http_escape(&r->http, name);
		char *p = ct_xstrfmt("/user/%s", esc);
		ct_quiet++;
		if (ct_http_get_json(&r->http, p, &u) == 0)
			email = ct_tickets_jstr(u, "EmailAddress");
		ct_quiet--;
		free(p);
		free(esc);
	}
	json_object_set_new(r->users, name, json_string(email ? email : ""));
	json_decref(u);
	known = json_object_get(r->users, name);
	return *json_string_value(known) ? json_string_value(known) : name;
}

static int history_cb(struct rt_run *r, json_t *t, void *d)
{
	struct rt_ticket *tk = d;
	const char *type = ct_tickets_jstr(t, "Type"), *field = ct_tickets_jstr(t, "Field");
	if (type && field && !strcmp(type, "Set") && !strcmp(field, "Queue")) {
		json_t *m = json_array();
		json_array_append_new(m, json_integer(atoll(ct_tickets_jstr(t, "id") ? ct_tickets_jstr(t, "id") : "0")));
		json_array_append_new(m, json_string(ct_tickets_jstr(t, "OldValue") ? ct_tickets_jstr(t, "OldValue") : ""));
		json_array_append_new(m, json_string(ct_tickets_jstr(t, "NewValue") ? ct_tickets_jstr(t, "NewValue") : ""));
		json_array_append_new(tk->moves, m);
	}
	return 0;
}

static int attachment_cb(struct rt_run *r, json_t *a, void *d)
{
	struct rt_ticket *tk = d;
	const char *txn = ct_tickets_jstr(a, "TransactionId");
	if (!txn)
		return 0;
	json_t *b = json_object_get(tk->bodies, txn);
	if (!b) {
		b = json_object();
		json_object_set_new(tk->bodies, txn, b);
	}
	const char *mid = ct_tickets_jstr(a, "MessageId"), *ct = ct_tickets_jstr(a, "ContentType"), *content = ct_tickets_jstr(a, "Content");
	if (mid && *mid && !json_object_get(b, "message_id"))
		json_object_set_new(b, "message_id", json_string(mid));
	if (ct && !strncmp(ct, "text/plain", 10) && content && !json_object_get(b, "text"))
		json_object_set_new(b, "text", json_string(content));
	return 0;
}

static void ticket_free(struct rt_ticket *t)
{
	free(t->id);
	free(t->subject);
	free(t->status);
	free(t->requester);
	free(t->queue);
	json_decref(t->moves);
	json_decref(t->bodies);
	free(t);
}

/* The ticket, its queue history and its bodies, read once per run. */
static struct rt_ticket *ticket_get(struct rt_run *r, const char *id)
{
	json_t *known = json_object_get(r->tickets, id);
	if (known)
		return (struct rt_ticket *)(uintptr_t)json_integer_value(known);
	struct rt_ticket *t = ct_calloc(1, sizeof(*t));
	t->id = ct_strdup(id);
	t->moves = json_array();
	t->bodies = json_object();
	json_t *o = NULL;
	char *p = ct_xstrfmt("/ticket/%s", id);
	int rc = ct_http_get_json(&r->http, p, &o);
	free(p);
	if (rc) {
		ticket_free(t);
		return NULL;
	}
	t->subject = ct_strdup(ct_tickets_jstr(o, "Subject"));
	t->status = ct_strdup(ct_tickets_jstr(o, "Status"));
	t->queue = ct_strdup(ct_tickets_jstr(json_object_get(o, "Queue"), "id"));
	json_t *req = json_array_get(json_object_get(o, "Requestor"), 0);
	if (req && ct_tickets_jstr(req, "id"))
		t->requester = ct_strdup(user_email(r, ct_tickets_jstr(req, "id")));
	json_decref(o);
	p = ct_xstrfmt("/ticket/%s/history?per_page=100&fields=Type,Field,OldValue,NewValue", id);
	rc = rt_list(r, p, history_cb, t);
	free(p);
	if (!rc) {
		p = ct_xstrfmt("/ticket/%s/attachments?per_page=100&fields=TransactionId,ContentType,MessageId,Content",
			       id);
		rc = rt_list(r, p, attachment_cb, t);
		free(p);
	}
	if (rc) {
		ticket_free(t);
		return NULL;
	}
	json_object_set_new(r->tickets, id, json_integer((json_int_t)(uintptr_t)t));
	return t;
}

/* The queue a ticket was in just after transaction txn. */
static const char *queue_at(struct rt_ticket *t, long long txn)
{
	size_t i;
	json_t *m;
	json_array_foreach(t->moves, i, m) {
		if (json_integer_value(json_array_get(m, 0)) > txn)
			return json_string_value(json_array_get(m, 1));
	}
	return t->queue;
}

static void common(struct rt_run *r, struct rt_ticket *t, struct ct_item *it, json_t *txn)
{
	int ok;
	it->source = ct_strdup(r->src->name);
	it->ticket_system = ct_strdup("rt");
	it->ticket_id = ct_strdup(t->id);
	it->subject = ct_strdup(t->subject ? t->subject : "");
	it->ticket_subject = ct_strdup(t->subject);
	it->requester = ct_strdup(t->requester);
	it->ticket_status = ct_strdup(t->status);
	const char *created = ct_tickets_jstr(txn, "Created");
	ok = created && ct_time_parse(created, &it->date) == 0;
	if (!ok)
		ct_item_warn(it, "transaction without a valid time");
	const char *creator = ct_tickets_jstr(json_object_get(txn, "Creator"), "id");
	it->from.addr = ct_strdup(user_email(r, creator) ? user_email(r, creator) : "");
	ct_lower_ascii(it->from.addr);
	if (creator && strcmp(creator, it->from.addr))
		it->from.name = ct_strdup(creator);
}

static int txn_cb(struct rt_run *r, json_t *txn, void *d)
{
	long long *last = d;
	const char *id = ct_tickets_jstr(txn, "id"), *type = ct_tickets_jstr(txn, "Type"), *field = ct_tickets_jstr(txn, "Field");
	const char *ticket = ct_tickets_jstr(txn, "ObjectId");
	if (!id || !type || !ticket)
		return ct_error("source '%s': a transaction without id, Type or ObjectId", r->src->name);
	long long tid = atoll(id);
	if (tid > *last)
		*last = tid;
	int is_create = !strcmp(type, "Create");
	int is_text = is_create || !strcmp(type, "Correspond") || !strcmp(type, "Comment");
	int is_move = !strcmp(type, "Set") && field && !strcmp(field, "Queue");
	if (!is_text && !is_move)
		return 0;
	struct rt_ticket *t = ticket_get(r, ticket);
	if (!t)
		return -1;
	if (is_create || is_move) {
		struct ct_item it;
		ct_item_init(&it);
		it.kind = CT_ITEM_TICKET_MOVE;
		common(r, t, &it, txn);
		it.external_id = ct_xstrfmt("rt:%s#move-%s", ticket, id);
		if (is_create) {
			/* the queue it was created in: before its first move, or the current one */
			it.ticket_group = ct_strdup(queue_name(r, queue_at(t, 0)));
		} else {
			it.ticket_group_from = ct_strdup(queue_name(r, ct_tickets_jstr(txn, "OldValue")));
			it.ticket_group = ct_strdup(queue_name(r, ct_tickets_jstr(txn, "NewValue")));
		}
		it.body = ct_strdup("");
		if (ct_tickets_deliver(r->sink, &it))
			return -1;
	}
	if (is_text) {
		json_t *b = json_object_get(t->bodies, id);
		struct ct_item it;
		ct_item_init(&it);
		it.kind = CT_ITEM_TICKET;
		common(r, t, &it, txn);
		it.external_id = ct_xstrfmt("rt:%s#%s", ticket, id);
		it.body = ct_strdup(ct_tickets_jstr(b, "text") ? ct_tickets_jstr(b, "text") : "");
		it.body_len = strlen(it.body);
		it.message_id = ct_strdup(ct_tickets_jstr(b, "message_id"));
		it.ticket_public = strcmp(type, "Comment") != 0;
		it.ticket_group = ct_strdup(queue_name(r, queue_at(t, tid)));
		if (ct_tickets_deliver(r->sink, &it))
			return -1;
	}
	return 0;
}

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	struct rt_run r;
	int ret = -1;
	memset(&r, 0, sizeof(r));
	r.src = src;
	r.sink = sink;
	char *token = NULL;
	int rc = ct_http_open_source(&r.http, cfg, src, "/REST/2.0", &token);
	if (!rc) {
		char *auth = ct_xstrfmt("Authorization: token %s", token);
		ct_http_add_header(&r.http, auth);
		ct_http_forget(auth);
	}
	ct_http_forget(token);
	if (rc)
		goto out;
	r.queues = json_object();
	r.users = json_object();
	r.tickets = json_object();
	if (rt_list(&r, "/queues/all?fields=Name&find_disabled_rows=1&per_page=100", queue_cb, NULL))
		goto out;
	char *cur = sink->get_cursor(sink, src->name, "last_txn");
	long long last = cur ? atoll(cur) : 0;
	free(cur);
	if (sink->dry_run) {
		char *q = ct_http_escape(&r.http, "ObjectType = 'RT::Ticket'");
		char *p = ct_xstrfmt("/transactions?query=%s%%20AND%%20id%%20%%3E%%20%lld&per_page=1", q, last);
		json_t *o = NULL;
		if (ct_http_get_json(&r.http, p, &o) == 0) {
			ct_sink_dry_count(sink, src->name, (long)json_integer_value(json_object_get(o, "total")),
					  "new transactions");
			ret = 0;
		}
		json_decref(o);
		free(p);
		free(q);
		goto out;
	}
	/* Always the first page of what is newer than the cursor: new transactions do not shift it. */
	for (;;) {
		char *query = ct_xstrfmt("ObjectType = 'RT::Ticket' AND id > %lld", last);
		char *q = ct_http_escape(&r.http, query);
		char *p = ct_xstrfmt("/transactions?query=%s&orderby=id&order=ASC&per_page=100&page=1"
				     "&fields=ObjectId,Type,Field,OldValue,NewValue,Created,Creator,Data", q);
		free(query);
		free(q);
		json_t *o = NULL;
		rc = ct_http_get_json(&r.http, p, &o);
		free(p);
		if (rc)
			goto out;
		json_t *items = json_object_get(o, "items");
		if (!json_is_array(items)) {
			json_decref(o);
			ct_error("source '%s': GET /transactions: unexpected answer (no \"items\")", src->name);
			goto out;
		}
		long long before = last;
		size_t i;
		json_t *txn;
		json_array_foreach(items, i, txn) {
			if (txn_cb(&r, txn, &last)) {
				json_decref(o);
				goto out;
			}
		}
		size_t n = json_array_size(items);
		json_decref(o);
		if (!n || last == before)
			break;
		char v[32];
		snprintf(v, sizeof(v), "%lld", last);
		/* the cursor commits with the items of this page */
		if (sink->set_cursor(sink, src->name, "last_txn", v) || sink->flush(sink))
			goto out;
		if (sink->progress)
			sink->progress(sink, src->name, (size_t)last, 0);
	}
	ret = 0;
out:
	if (r.tickets) {
		const char *k;
		json_t *v;
		json_object_foreach(r.tickets, k, v)
			ticket_free((struct rt_ticket *)(uintptr_t)json_integer_value(v));
	}
	json_decref(r.tickets);
	json_decref(r.queues);
	json_decref(r.users);
	ct_http_release(&r.http);
	return ret;
}

const struct ct_fetcher ct_fetch_rt = { "rt", run };
