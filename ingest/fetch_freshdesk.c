/*
 * fetch_freshdesk.c - Freshdesk (API v2): tickets changed since the cursor
 * (updated_since, oldest first, page by page) and their conversations.
 * Freshdesk's public API has no ticket history, so a group change can only
 * be seen between two polls: each ticket's last group is kept as a cursor,
 * and a different group on the next poll becomes a move marked "observed at
 * poll time" (two moves between polls show as one; A -> B -> A is missed).
 */
#include "tickets_p.h"
#include "http_p.h"
#include "../config/config.h"

#include <stdlib.h>
#include <string.h>

static char *jid(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (json_is_integer(v))
		return ct_xstrfmt("%lld", (long long)json_integer_value(v));
	return json_is_string(v) ? ct_strdup(json_string_value(v)) : NULL;
}

static const char *const statuses[] = { NULL, NULL, "open", "pending", "resolved", "closed" };

struct fd_run {
	const struct ct_source *src;
	struct ct_sink *sink;
	struct ct_http http;
	json_t *groups;  /* id -> name */
};

static void fd_common(struct fd_run *r, json_t *t, const char *tid, struct ct_item *it)
{
	json_t *st = json_object_get(t, "status");
	long s = json_is_integer(st) ? (long)json_integer_value(st) : 0;
	char *gid = jid(t, "group_id");
	json_t *g = gid ? json_object_get(r->groups, gid) : NULL;
	it->source = ct_strdup(r->src->name);
	it->ticket_system = ct_strdup("freshdesk");
	it->ticket_id = ct_strdup(tid);
	it->subject = ct_strdup(ct_tickets_jstr(t, "subject") ? ct_tickets_jstr(t, "subject") : "");
	it->ticket_subject = ct_strdup(ct_tickets_jstr(t, "subject"));
	it->ticket_status = ct_strdup(s >= 2 && s <= 5 ? statuses[s] : NULL);
	it->ticket_group = ct_strdup(g ? json_string_value(g) : gid);
	const char *req = ct_tickets_jstr(json_object_get(t, "requester"), "email");
	it->requester = ct_strdup(req);
	if (it->requester)
		ct_lower_ascii(it->requester);
	free(gid);
}

static int fd_ticket(struct fd_run *r, json_t *t)
{
	char *tid = jid(t, "id");
	int ok, ret = 0;
	if (!tid)
		return ct_error("source '%s': a Freshdesk ticket without an id", r->src->name);
	/* the group seen at the last poll */
	char *gkey = ct_xstrfmt("group:%s", tid);
	char *last_group = r->sink->get_cursor(r->sink, r->src->name, gkey);
	char *gid = jid(t, "group_id");
	if (!last_group || strcmp(last_group, gid ? gid : "")) {
		struct ct_item it;
		ct_item_init(&it);
		it.kind = CT_ITEM_TICKET_MOVE;
		fd_common(r, t, tid, &it);
		json_t *pg = last_group && *last_group ? json_object_get(r->groups, last_group) : NULL;
		it.ticket_group_from = last_group && *last_group ? ct_strdup(pg ? json_string_value(pg) : last_group) : NULL;
		/* the first sight is the ticket's creation; later changes are observed now */
		const char *when = ct_tickets_jstr(t, last_group ? "updated_at" : "created_at");
		if (!when || ct_time_parse(when, &it.date))
			ct_item_warn(&it, "ticket without a valid %s", last_group ? "updated_at" : "created_at");
		it.ticket_observed = last_group != NULL;
		it.external_id = ct_xstrfmt("freshdesk:%s#move-%s-%s", tid, gid ? gid : "none",
					    ct_tickets_jstr(t, "updated_at") ? ct_tickets_jstr(t, "updated_at") : "");
		it.body = ct_strdup("");
		ret = ct_tickets_deliver(r->sink, &it);
		if (!ret)
			ret = r->sink->set_cursor(r->sink, r->src->name, gkey, gid ? gid : "");
	}
	free(gid);
	free(last_group);
	free(gkey);
	if (ret)
		goto out;
	/* the ticket's own description is its first message */
	{
		struct ct_item it;
		ct_item_init(&it);
		it.kind = CT_ITEM_TICKET;
		fd_common(r, t, tid, &it);
		it.external_id = ct_xstrfmt("freshdesk:%s#description", tid);
		const char *d = ct_tickets_jstr(t, "description_text");
		it.body = ct_strdup(d ? d : "");
		it.body_len = strlen(it.body);
		it.from.addr = ct_strdup(it.requester ? it.requester : "");
		it.role = CT_ROLE_CUSTOMER;
		ok = ct_tickets_jstr(t, "created_at") && ct_time_parse(ct_tickets_jstr(t, "created_at"), &it.date) == 0;
		if (!ok)
			ct_item_warn(&it, "ticket without a valid created_at");
		if (ct_tickets_deliver(r->sink, &it)) {
			ret = -1;
			goto out;
		}
	}
	json_t *convs = NULL;
	char *p = ct_xstrfmt("/tickets/%s/conversations?per_page=100", tid);
	ret = ct_http_get_json(&r->http, p, &convs);
	free(p);
	if (ret)
		goto out;
	if (!json_is_array(convs)) {
		json_decref(convs);
		ret = ct_error("source '%s': GET /tickets/%s/conversations: unexpected answer (not a list)",
			       r->src->name, tid);
		goto out;
	}
	size_t i;
	json_t *c;
	json_array_foreach(convs, i, c) {
		char *cid = jid(c, "id");
		struct ct_item it;
		ct_item_init(&it);
		it.kind = CT_ITEM_TICKET;
		fd_common(r, t, tid, &it);
		it.external_id = ct_xstrfmt("freshdesk:%s#%s", tid, cid ? cid : "?");
		free(cid);
		const char *b = ct_tickets_jstr(c, "body_text");
		it.body = ct_strdup(b ? b : "");
		it.body_len = strlen(it.body);
		it.from.addr = ct_strdup(ct_tickets_jstr(c, "from_email") ? ct_tickets_jstr(c, "from_email") : "");
		ct_lower_ascii(it.from.addr);
		it.role = json_is_true(json_object_get(c, "incoming")) ? CT_ROLE_CUSTOMER : CT_ROLE_STAFF;
		it.ticket_public = !json_is_true(json_object_get(c, "private"));
		if (!ct_tickets_jstr(c, "created_at") || ct_time_parse(ct_tickets_jstr(c, "created_at"), &it.date))
			ct_item_warn(&it, "conversation without a valid created_at");
		if (ct_tickets_deliver(r->sink, &it)) {
			ret = -1;
			break;
		}
	}
	json_decref(convs);
out:
	free(tid);
	return ret;
}

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	struct fd_run r;
	int ret = -1;
	memset(&r, 0, sizeof(r));
	r.src = src;
	r.sink = sink;
	char *key = NULL;
	int rc = ct_http_open_source(&r.http, cfg, src, "/api/v2", &key);
	/* Basic auth: the API key as user, X as password (libcurl builds the header) */
	if (!rc) {
		curl_easy_setopt(r.http.curl, CURLOPT_USERNAME, key);
		curl_easy_setopt(r.http.curl, CURLOPT_PASSWORD, "X");
	}
	ct_http_forget(key);
	if (rc)
		goto out;
	r.groups = json_object();
	json_t *groups = NULL;
	if (ct_http_get_json(&r.http, "/groups?per_page=100", &groups))
		goto out;
	size_t i;
	json_t *g;
	json_array_foreach(groups, i, g) {
		char *id = jid(g, "id");
		if (id && ct_tickets_jstr(g, "name"))
			json_object_set_new(r.groups, id, json_string(ct_tickets_jstr(g, "name")));
		free(id);
	}
	json_decref(groups);

	char *since = sink->get_cursor(sink, src->name, "updated_since");
	if (!since)
		since = ct_strdup(ct_source_get(src, "since") ? ct_source_get(src, "since") : "2000-01-01T00:00:00Z");
	long count = 0;
	for (int page = 1; page <= 300; page++) {
		char *esc = ct_http_escape(&r.http, since);
		char *p = ct_xstrfmt("/tickets?updated_since=%s&order_by=updated_at&order_type=asc&per_page=100"
				     "&include=requester&page=%d", esc, page);
		free(esc);
		json_t *list = NULL;
		rc = ct_http_get_json(&r.http, p, &list);
		free(p);
		if (rc) {
			free(since);
			goto out;
		}
		if (!json_is_array(list)) {
			json_decref(list);
			free(since);
			ct_error("source '%s': GET /tickets: unexpected answer (not a list)", src->name);
			goto out;
		}
		json_t *t;
		const char *newest = NULL;
		json_array_foreach(list, i, t) {
			count++;
			if (!sink->dry_run && fd_ticket(&r, t)) {
				json_decref(list);
				free(since);
				goto out;
			}
			if (ct_tickets_jstr(t, "updated_at"))
				newest = ct_tickets_jstr(t, "updated_at");
		}
		size_t n = json_array_size(list);
		if (newest && !sink->dry_run &&
		    (sink->set_cursor(sink, src->name, "updated_since", newest) || sink->flush(sink))) {
			json_decref(list);
			free(since);
			goto out;
		}
		json_decref(list);
		if (n < 100)
			break;
	}
	free(since);
	if (sink->dry_run)
		ct_sink_dry_count(sink, src->name, count, "changed tickets");
	ret = 0;
out:
	json_decref(r.groups);
	ct_http_release(&r.http);
	return ret;
}

const struct ct_fetcher ct_fetch_freshdesk = { "freshdesk", run };
