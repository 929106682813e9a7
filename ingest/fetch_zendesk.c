/*
 * fetch_zendesk.c - the Zendesk source: an export file on disk (path), or
 * the API (url): the incremental ticket export by cursor, then each changed
 * ticket's audits (routing: group_id Create/Change) and comments. The export
 * cursor is stored with the items of each page, so a killed run resumes
 * exactly there; events already stored are skipped.
 */
#include "tickets_p.h"
#include "http_p.h"
#include "../config/config.h"

#include <stdlib.h>
#include <string.h>

static char *basic_auth(const char *user, const char *secret)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *plain = ct_xstrfmt("%s:%s", user, secret);
	size_t n = strlen(plain);
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addstr(&b, "Authorization: Basic ");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		ct_buf_addch(&b, tbl[(v >> 18) & 63]);
		ct_buf_addch(&b, tbl[(v >> 12) & 63]);
		ct_buf_addch(&b, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
		ct_buf_addch(&b, i + 2 < n ? tbl[v & 63] : '=');
	}
	memset(plain, 0, n);
	free(plain);
	return ct_buf_detach(&b, NULL);
}

/* The path part of a next-page URL that points back at base. */
static const char *rel(struct ct_http *h, const char *url)
{
	size_t n = strlen(h->base);
	return !strncmp(url, h->base, n) ? url + n : NULL;
}

/* Every item of a paged list under key, appended to arr. */
static int get_all(struct ct_http *h, const char *path, const char *key, json_t *arr, const char *source)
{
	char *p = ct_strdup(path);
	for (int guard = 0; p && guard < 10000; guard++) {
		json_t *o = NULL;
		if (ct_http_get_json(h, p, &o)) {
			free(p);
			return -1;
		}
		json_t *items = json_object_get(o, key);
		if (!json_is_array(items)) {
			ct_error("source '%s': GET %.*s: unexpected answer (no \"%s\" list)", source,
				 (int)strcspn(p, "?"), p, key);
			json_decref(o);
			free(p);
			return -1;
		}
		json_array_extend(arr, items);
		free(p);
		p = NULL;
		/* offset paging (next_page) or cursor paging (links.next while meta.has_more) */
		json_t *next = json_object_get(o, "next_page");
		json_t *links_next = json_object_get(json_object_get(o, "links"), "next");
		json_t *has_more = json_object_get(json_object_get(o, "meta"), "has_more");
		const char *n = json_is_string(next) ? json_string_value(next)
			      : json_is_true(has_more) && json_is_string(links_next) ? json_string_value(links_next)
			      : NULL;
		if (n && rel(h, n))
			p = ct_strdup(rel(h, n));
		json_decref(o);
	}
	free(p);
	return 0;
}

static int api_run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	struct ct_http h;
	struct ct_zd_lookup lk = { NULL, NULL };
	char *path = NULL;
	int ret = -1;
	const char *user = ct_source_get(src, "user");
	if (!user)
		return ct_error("source '%s': the Zendesk API needs 'user' (the agent's email)", src->name);
	char *token = NULL;
	int rc = ct_http_open_source(&h, cfg, src, "/api/v2", &token);
	if (!rc) {
		char *tokuser = ct_xstrfmt("%s/token", user);
		char *auth = basic_auth(tokuser, token);
		ct_http_add_header(&h, auth);
		ct_http_forget(auth);
		free(tokuser);
	}
	ct_http_forget(token);
	if (rc)
		goto out;
	json_t *users = json_array(), *groups = json_array();
	if (get_all(&h, "/groups.json", "groups", groups, src->name) ||
	    get_all(&h, "/users.json", "users", users, src->name)) {
		json_decref(users);
		json_decref(groups);
		goto out;
	}
	json_t *root = json_object();
	json_object_set_new(root, "users", users);
	json_object_set_new(root, "groups", groups);
	lk.users = json_object();
	lk.groups = json_object();
	{
		size_t i;
		json_t *v;
		json_array_foreach(users, i, v) {
			json_t *id = json_object_get(v, "id");
			char *k = json_is_integer(id) ? ct_xstrfmt("%lld", (long long)json_integer_value(id))
						      : ct_strdup(json_string_value(id));
			if (k)
				json_object_set(lk.users, k, v);
			free(k);
		}
		json_array_foreach(groups, i, v) {
			json_t *id = json_object_get(v, "id");
			char *k = json_is_integer(id) ? ct_xstrfmt("%lld", (long long)json_integer_value(id))
						      : ct_strdup(json_string_value(id));
			if (k && json_is_string(json_object_get(v, "name")))
				json_object_set(lk.groups, k, json_object_get(v, "name"));
			free(k);
		}
	}
	json_decref(root);

	char *cursor = sink->get_cursor(sink, src->name, "after_cursor");
	if (cursor) {
		char *esc = ct_http_escape(&h, cursor);
		path = ct_xstrfmt("/incremental/tickets/cursor.json?cursor=%s", esc);
		free(esc);
	} else {
		ct_time since = 0;
		const char *s = ct_source_get(src, "since");
		if (s && ct_time_parse(s, &since))
			ct_warn("source '%s': since = '%s' is not a date; starting at the beginning", src->name, s);
		path = ct_xstrfmt("/incremental/tickets/cursor.json?start_time=%lld", (long long)since);
	}
	free(cursor);
	long count = 0;
	for (int guard = 0; guard < 100000; guard++) {
		json_t *page = NULL;
		rc = ct_http_get_json(&h, path, &page);
		free(path);
		path = NULL;
		if (rc)
			goto out;
		json_t *tickets = json_object_get(page, "tickets");
		if (!json_is_array(tickets)) {
			ct_error("source '%s': GET /incremental/tickets/cursor.json: unexpected answer (no \"tickets\")",
				 src->name);
			json_decref(page);
			goto out;
		}
		size_t i;
		json_t *t;
		json_array_foreach(tickets, i, t) {
			json_t *tid = json_object_get(t, "id");
			if (!json_is_integer(tid))
				continue;
			long long id = (long long)json_integer_value(tid);
			if (sink->dry_run) {
				count++;
				continue;
			}
			json_t *audits = json_array(), *comments = json_array();
			char *ap = ct_xstrfmt("/tickets/%lld/audits.json?page[size]=100", id);
			char *cp = ct_xstrfmt("/tickets/%lld/comments.json", id);
			rc = get_all(&h, ap, "audits", audits, src->name);
			if (!rc)
				rc = get_all(&h, cp, "comments", comments, src->name);
			free(ap);
			free(cp);
			json_object_set_new(t, "audits", audits);
			json_object_set_new(t, "comments", comments);
			if (rc || ct_zendesk_ticket(t, &lk, src->name, sink)) {
				json_decref(page);
				goto out;
			}
		}
		const char *after = json_string_value(json_object_get(page, "after_cursor"));
		int end = json_is_true(json_object_get(page, "end_of_stream"));
		if (after && !sink->dry_run) {
			/* the cursor commits with this page's items */
			if (sink->set_cursor(sink, src->name, "after_cursor", after) || sink->flush(sink)) {
				json_decref(page);
				goto out;
			}
		}
		if (!end && after) {
			char *esc = ct_http_escape(&h, after);
			path = ct_xstrfmt("/incremental/tickets/cursor.json?cursor=%s", esc);
			free(esc);
		}
		json_decref(page);
		if (!path)
			break;
	}
	if (sink->dry_run)
		ct_sink_dry_count(sink, src->name, count, "changed tickets");
	ret = 0;
out:
	free(path);
	json_decref(lk.users);
	json_decref(lk.groups);
	ct_http_release(&h);
	return ret;
}

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	if (ct_source_get(src, "url"))
		return api_run(cfg, src, sink);
	return ct_zendesk_export_ingest(src->path, src->name, sink);
}

const struct ct_fetcher ct_fetch_zendesk = { "zendesk", run };
