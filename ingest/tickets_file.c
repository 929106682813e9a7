/*
 * tickets_file.c - helpdesk data read from disk: a Zendesk export (the JSON
 * of the incremental export API with each ticket's comments and audits, plus
 * users and groups) and casetrail's JSONL event format (ingest/TICKETS.md).
 * Both become ticket items (comments) and ticket moves (group changes).
 */
#include "tickets_p.h"
#include "../config/config.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- shared ---- */

static char *strip_angles(const char *s)
{
	if (!s)
		return NULL;
	while (*s == '<' || *s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '>' || s[n - 1] == ' '))
		n--;
	return n ? ct_strndup(s, n) : NULL;
}

const char *ct_tickets_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An id that may come as a number or a string, as text. */
static char *jid(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return ct_xstrfmt("%lld", (long long)json_integer_value(v));
	if (json_is_string(v) && *json_string_value(v))
		return ct_strdup(json_string_value(v));
	return NULL;
}

static ct_time jtime(json_t *o, const char *key, int *ok)
{
	ct_time t = 0;
	const char *s = ct_tickets_jstr(o, key);
	*ok = s && ct_time_parse(s, &t) == 0;
	return t;
}

/* Set while reading the new tail of a file that only grew: nothing there was seen. */
static __thread int skip_seen;

int ct_tickets_deliver(struct ct_sink *sink, struct ct_item *it)
{
	if (!it->location)
		it->location = ct_strdup(it->external_id);
	int seen = skip_seen ? 0 : sink->seen(sink, it->source, it->location);
	if (seen) {
		ct_item_free(it);
		return seen < 0 ? -1 : 0;
	}
	return sink->item(sink, it);
}

/* ---- Zendesk export ---- */

/* One element of "users": only what zd_author() reads is kept. */
static void zd_index_user(struct ct_zd_lookup *lk, json_t *v)
{
	char *id = jid(v, "id");
	if (id) {
		json_t *u = json_object();
		static const char *const keep[] = { "email", "name", "role" };
		for (size_t k = 0; k < CT_ARRAY_SIZE(keep); k++)
			if (json_object_get(v, keep[k]))
				json_object_set(u, keep[k], json_object_get(v, keep[k]));
		json_object_set_new(lk->users, id, u);
	}
	free(id);
}

/* One element of "groups": its name by id. */
static void zd_index_group(struct ct_zd_lookup *lk, json_t *v)
{
	char *id = jid(v, "id");
	if (id && ct_tickets_jstr(v, "name"))
		json_object_set_new(lk->groups, id, json_string(ct_tickets_jstr(v, "name")));
	free(id);
}

static const char *zd_group(struct ct_zd_lookup *lk, const char *id)
{
	json_t *g = id ? json_object_get(lk->groups, id) : NULL;
	return g ? json_string_value(g) : id;
}

static void zd_author(struct ct_zd_lookup *lk, json_t *author_id, struct ct_item *it)
{
	char key[32];
	json_t *u = NULL;
	if (json_is_integer(author_id)) {
		snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(author_id));
		u = json_object_get(lk->users, key);
	} else if (json_is_string(author_id)) {
		u = json_object_get(lk->users, json_string_value(author_id));
	}
	if (!u)
		return;
	const char *email = ct_tickets_jstr(u, "email"), *name = ct_tickets_jstr(u, "name"), *role = ct_tickets_jstr(u, "role");
	free(it->from.addr);
	it->from.addr = ct_strdup(email ? email : "");
	ct_lower_ascii(it->from.addr);
	free(it->from.name);
	it->from.name = ct_strdup(name);
	if (role)
		it->role = !strcmp(role, "end-user") ? CT_ROLE_CUSTOMER : CT_ROLE_STAFF;
}

static void zd_common(struct ct_item *it, const char *source, const char *tid, const char *subject,
		      const char *requester)
{
	it->source = ct_strdup(source);
	it->ticket_system = ct_strdup("zendesk");
	it->ticket_id = ct_strdup(tid);
	it->subject = ct_strdup(subject ? subject : "");
	it->ticket_subject = ct_strdup(subject);
	it->requester = ct_strdup(requester);
	if (it->requester)
		ct_lower_ascii(it->requester);
}

/* One ticket: its audits in order give group moves and comments. */
int ct_zendesk_ticket(json_t *t, struct ct_zd_lookup *lk, const char *source, struct ct_sink *sink)
{
	char *tid = jid(t, "id");
	const char *subject = ct_tickets_jstr(t, "subject");
	char *group = NULL, *status = NULL, *requester = NULL;
	int ret = 0, ok;
	if (!tid)
		return ct_error("source '%s': a Zendesk ticket without an id", source);
	{
		struct ct_item tmp;
		ct_item_init(&tmp);
		zd_author(lk, json_object_get(t, "requester_id"), &tmp);
		if (tmp.from.addr && *tmp.from.addr)
			requester = ct_strdup(tmp.from.addr);
		ct_item_free(&tmp);
	}
	json_t *audits = json_object_get(t, "audits");
	json_t *comments = json_object_get(t, "comments");
	/* comments by id, for their plain text and public flag */
	json_t *by_id = json_object();
	size_t i, k;
	json_t *v, *e;
	json_array_foreach(comments, i, v) {
		char *cid = jid(v, "id");
		if (cid)
			json_object_set(by_id, cid, v);
		free(cid);
	}
	if (json_array_size(audits)) {
		json_array_foreach(audits, i, v) {
			ct_time at = jtime(v, "created_at", &ok);
			json_t *author = json_object_get(v, "author_id");
			json_t *md = json_object_get(json_object_get(v, "metadata"), "system");
			const char *msgid = ct_tickets_jstr(md, "message_id");
			/*
			 * A comment belongs to the group the ticket was in when it was
			 * written: the comment first, then the audit's changes (a
			 * "transferring you" note is the old group's). Only when the
			 * ticket has no group yet (its creation) do the changes go first.
			 */
			int changes_first = group == NULL;
			for (int pass = 0; pass < 2; pass++)
			json_array_foreach(json_object_get(v, "events"), k, e) {
				const char *type = ct_tickets_jstr(e, "type"), *field = ct_tickets_jstr(e, "field_name");
				int is_comment = type && !strcmp(type, "Comment");
				if (!type || (pass == 0) != (changes_first ? !is_comment : is_comment))
					continue;
				if ((!strcmp(type, "Create") || !strcmp(type, "Change")) && field &&
				    !strcmp(field, "status")) {
					free(status);
					status = jid(e, "value");
				} else if ((!strcmp(type, "Create") || !strcmp(type, "Change")) && field &&
					   !strcmp(field, "group_id")) {
					char *gid = jid(e, "value");
					const char *name = zd_group(lk, gid);
					struct ct_item it;
					ct_item_init(&it);
					it.kind = CT_ITEM_TICKET_MOVE;
					zd_common(&it, source, tid, subject, requester);
					char *eid = jid(e, "id");
					it.external_id = ct_xstrfmt("zendesk:%s#move-%s", tid, eid ? eid : "?");
					free(eid);
					it.ticket_group = ct_strdup(name);
					it.ticket_group_from = group ? ct_strdup(group) : NULL;
					it.ticket_status = ct_strdup(status);
					it.date = at;
					it.body = ct_strdup("");
					zd_author(lk, author, &it);
					free(group);
					group = ct_strdup(name);
					free(gid);
					if (ct_tickets_deliver(sink, &it)) {
						ret = -1;
						goto out;
					}
				} else if (!strcmp(type, "Comment")) {
					char *cid = jid(e, "id");
					json_t *c = cid ? json_object_get(by_id, cid) : NULL;
					if (!c)
						c = e;
					const char *body = ct_tickets_jstr(c, "plain_body");
					if (!body)
						body = ct_tickets_jstr(c, "body");
					struct ct_item it;
					ct_item_init(&it);
					it.kind = CT_ITEM_TICKET;
					zd_common(&it, source, tid, subject, requester);
					it.external_id = ct_xstrfmt("zendesk:%s#%s", tid, cid ? cid : "?");
					it.body = ct_strdup(body ? body : "");
					it.body_len = strlen(it.body);
					it.ticket_group = ct_strdup(group);
					it.ticket_status = ct_strdup(status);
					json_t *pub = json_object_get(c, "public");
					it.ticket_public = pub ? json_is_true(pub) : 1;
					it.message_id = strip_angles(msgid);
					it.date = at;
					json_t *ca = json_object_get(c, "author_id");
					zd_author(lk, ca ? ca : author, &it);
					free(cid);
					if (ct_tickets_deliver(sink, &it)) {
						ret = -1;
						goto out;
					}
				}
			}
		}
	} else {
		/* no audits: comments only, all in the ticket's current group */
		char *gid = jid(t, "group_id");
		free(group);
		group = ct_strdup(zd_group(lk, gid));
		free(gid);
		json_array_foreach(comments, i, v) {
			struct ct_item it;
			ct_item_init(&it);
			it.kind = CT_ITEM_TICKET;
			zd_common(&it, source, tid, subject, requester);
			char *cid = jid(v, "id");
			it.external_id = ct_xstrfmt("zendesk:%s#%s", tid, cid ? cid : "?");
			free(cid);
			const char *body = ct_tickets_jstr(v, "plain_body");
			it.body = ct_strdup(body ? body : ct_tickets_jstr(v, "body") ? ct_tickets_jstr(v, "body") : "");
			it.body_len = strlen(it.body);
			it.ticket_group = ct_strdup(group);
			it.ticket_status = ct_strdup(ct_tickets_jstr(t, "status"));
			it.date = jtime(v, "created_at", &ok);
			zd_author(lk, json_object_get(v, "author_id"), &it);
			if (ct_tickets_deliver(sink, &it)) {
				ret = -1;
				goto out;
			}
		}
	}
out:
	json_decref(by_id);
	free(tid);
	free(group);
	free(status);
	free(requester);
	return ret;
}

/* What the first pass over an export found. */
struct zd_layout {
	long long tickets_at;      /* just after the '[' of "tickets"; -1: none */
	size_t ntickets;           /* elements of "tickets" (for progress) */
	int have_users, have_groups;
	int damaged;               /* js.err and js.err_off say where */
	int after_root;            /* the damage is after the whole export: a warning */
};

/*
 * Reads one top-level array, element by element: each one is copied out,
 * decoded and handed to the users or groups index, or only counted.
 */
static int zd_scan_array(struct ct_jstream *js, int which, struct ct_zd_lookup *lk, size_t *count,
			 struct ct_buf *copy)
{
	if (ct_jstream_expect(js, '['))
		return -1;
	if (ct_jstream_peek(js) == ']') {
		js->pos++;
		return 0;
	}
	for (;;) {
		long long at = ct_jstream_offset(js);
		ct_buf_reset(copy);
		if (ct_jstream_value(js, which ? copy : NULL))
			return -1;
		if (which) {
			json_error_t jerr;
			json_t *v = json_loadb(copy->buf, copy->len, JSON_DECODE_ANY, &jerr);
			if (!v) {
				snprintf(js->err, sizeof(js->err), "%s", jerr.text);
				js->err_off = at + jerr.position;
				return -1;
			}
			if (which == 'u')
				zd_index_user(lk, v);
			else
				zd_index_group(lk, v);
			json_decref(v);
		}
		(*count)++;
		int c = ct_jstream_peek(js);
		js->pos += c == ',' || c == ']';
		if (c == ']')
			return 0;
		if (c != ',')
			return ct_jstream_unexpected(js, c, "',' or ']'");
	}
}

/*
 * The first pass: the top-level object's keys; users and groups go into
 * the lookup tables (they may come after the tickets), the tickets are only
 * counted and their start remembered.
 */
static void zd_scan(struct ct_jstream *js, struct ct_zd_lookup *lk, struct zd_layout *lay,
		    struct ct_buf *copy)
{
	memset(lay, 0, sizeof(*lay));
	lay->tickets_at = -1;
	if (ct_jstream_expect(js, '{'))
		goto damaged;
	if (ct_jstream_peek(js) == '}') {
		js->pos++;
		goto end;
	}
	for (;;) {
		char *key = ct_jstream_key(js);
		if (!key)
			goto damaged;
		int which = !strcmp(key, "users") ? 'u' : !strcmp(key, "groups") ? 'g' : 0;
		int tickets = !strcmp(key, "tickets");
		free(key);
		int c = ct_jstream_peek(js);
		if ((which || tickets) && c == '[') {
			size_t n = 0;
			if (tickets && lay->tickets_at < 0)
				lay->tickets_at = ct_jstream_offset(js) + 1;
			if (zd_scan_array(js, which, lk, &n, copy))
				goto damaged;
			if (tickets)
				lay->ntickets = n;
			lay->have_users |= which == 'u';
			lay->have_groups |= which == 'g';
		} else if (ct_jstream_value(js, NULL)) {
			goto damaged;
		}
		c = ct_jstream_peek(js);
		if (c == '}') {
			js->pos++;
			break;
		}
		if (ct_jstream_expect(js, ','))
			goto damaged;
	}
end:
	if (ct_jstream_peek(js) >= 0) {
		snprintf(js->err, sizeof(js->err), "more data after the export");
		js->err_off = ct_jstream_offset(js);
		lay->damaged = lay->after_root = 1;
	}
	return;
damaged:
	lay->damaged = 1;
}

/* "SIZE MTIME HASH": the file as it is now, to know it again on the next run. */
static char *zd_identity(FILE *f)
{
	struct stat st;
	char head[65536];
	if (fstat(fileno(f), &st) != 0)
		return NULL;
	uint64_t h = (uint64_t)st.st_size;
	size_t n;
	for (int part = 0; part < 2; part++) {
		off_t at = part == 0 ? 0 : st.st_size > (off_t)sizeof(head) ? st.st_size - (off_t)sizeof(head) : 0;
		if (fseeko(f, at, SEEK_SET) != 0)
			return NULL;
		n = fread(head, 1, sizeof(head), f);
		h = ct_hash64(head, n, h);
	}
	return ct_xstrfmt("%lld %lld.%09ld %016llx", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			  (long)st.st_mtim.tv_nsec, (unsigned long long)h);
}

int ct_zendesk_export_ingest(const char *path, const char *source, struct ct_sink *sink)
{
	struct ct_zd_lookup lk = { json_object(), json_object() };
	struct ct_jstream js;
	struct ct_buf copy = CT_BUF_INIT;
	struct zd_layout lay;
	char *ident = NULL, *cursor = NULL;
	long long resume = -1;
	size_t done = 0;
	int ret = -1;
	FILE *f = fopen(path, "r");
	if (!f) {
		json_decref(lk.users);
		json_decref(lk.groups);
		return ct_error("source '%s': cannot open '%s': %s", source, path, strerror(errno));
	}
	ct_jstream_init(&js, f);
	/*
	 * The same file as last time (size, mtime, head and tail): all read
	 * ("done"), or read up to a ticket's byte offset by a run that was
	 * interrupted. Tickets after that offset are still looked up one by
	 * one: the cursor is committed with the items before it, not after.
	 */
	ident = zd_identity(f);
	cursor = ident && sink->get_cursor ? sink->get_cursor(sink, source, "export") : NULL;
	if (cursor && !strncmp(cursor, ident, strlen(ident)) && cursor[strlen(ident)] == ' ') {
		const char *at = cursor + strlen(ident) + 1;
		if (!strcmp(at, "done")) {
			ret = 0;
			goto out;
		}
		resume = strtoll(at, NULL, 10);
	}
	if (ct_jstream_seek(&js, 0))
		goto syntax;
	zd_scan(&js, &lk, &lay, &copy);
	if (lay.damaged && lay.tickets_at < 0 && !lay.after_root)
		goto syntax;
	if (lay.tickets_at < 0) {
		ct_error("source '%s': '%s' is not a Zendesk export (no \"tickets\" array)", source, path);
		goto out;
	}
	if (lay.damaged && !lay.after_root && !(lay.have_users && lay.have_groups)) {
		ct_error("source '%s': '%s' is cut or damaged at byte %lld (%s), before its users and groups; "
			 "nothing was read", source, path, js.err_off, js.err);
		goto out;
	}
	struct ct_jstream first = js;  /* the first pass's verdict, for after the tickets */
	if (ct_jstream_seek(&js, resume > lay.tickets_at ? resume : lay.tickets_at))
		goto syntax;
	for (;;) {
		long long at = ct_jstream_offset(&js);
		if (ct_jstream_peek(&js) == ']')
			goto tickets_done;  /* no tickets, or resumed after the last one */
		ct_buf_reset(&copy);
		if (ct_jstream_value(&js, &copy))
			goto cut;
		json_error_t jerr;
		json_t *t = json_loadb(copy.buf, copy.len, JSON_DECODE_ANY, &jerr);
		if (!t) {
			snprintf(js.err, sizeof(js.err), "%s", jerr.text);
			js.err_off = at + jerr.position;
			goto cut;
		}
		ct_buf_reset(&copy);
		int rc = ct_zendesk_ticket(t, &lk, source, sink);
		json_decref(t);
		if (rc)
			goto out;
		done++;
		if (sink->progress)
			sink->progress(sink, source, done, lay.ntickets);
		int c = ct_jstream_peek(&js);
		if (c == ']')
			break;
		if (c != ',') {
			ct_jstream_unexpected(&js, c, "',' or ']'");
			goto cut;
		}
		js.pos++;
		char *v = ct_xstrfmt("%s %lld", ident ? ident : "-", ct_jstream_offset(&js));
		rc = sink->set_cursor ? sink->set_cursor(sink, source, "export", v) : 0;
		free(v);
		if (rc)
			goto out;
	}
tickets_done:
	if (first.err[0] && lay.damaged) {
		ct_warn("source '%s': '%s': %s at byte %lld; every ticket was read", source, path, first.err,
			first.err_off);
	}
	if (ident && sink->set_cursor) {
		char *v = ct_xstrfmt("%s done", ident);
		ret = sink->set_cursor(sink, source, "export", v);
		free(v);
	} else {
		ret = 0;
	}
	goto out;
cut:
	ct_error("source '%s': '%s' is cut or damaged at byte %lld (%s); the tickets before it are stored",
		 source, path, js.err_off, js.err);
	goto out;
syntax:
	ct_error("source '%s': '%s' is not valid JSON: %s at byte %lld", source, path, js.err, js.err_off);
out:
	ct_buf_release(&copy);
	ct_jstream_release(&js);
	fclose(f);
	free(ident);
	free(cursor);
	json_decref(lk.users);
	json_decref(lk.groups);
	return ret;
}

/* ---- JSONL events ---- */

/*
 * One event: {"type": "ticket_created"|"comment"|"group_change", "system",
 * "ticket", "id", "at", "group", "from_group", "author", "author_name",
 * "author_role", "subject", "body", "message_id", "status", "public",
 * "requester"}.
 */
static int jsonl_event(json_t *o, const char *source, struct ct_sink *sink, const char *path, int line,
		       json_t *subjects)
{
	const char *type = ct_tickets_jstr(o, "type");
	char *ticket = jid(o, "ticket"), *id = jid(o, "id");
	const char *system = ct_tickets_jstr(o, "system");
	int ok, ret = 0;
	if (!type || !ticket || !id) {
		ret = ct_error("%s:%d: an event needs \"type\", \"ticket\" and \"id\"", path, line);
		goto out;
	}
	int move = !strcmp(type, "group_change");
	if (!move && strcmp(type, "comment") && strcmp(type, "ticket_created")) {
		ret = ct_error("%s:%d: unknown event type '%s' (ticket_created, comment, group_change)", path,
			       line, type);
		goto out;
	}
	ct_time at = jtime(o, "at", &ok);
	if (!ok) {
		ret = ct_error("%s:%d: \"at\" must be an ISO 8601 time", path, line);
		goto out;
	}
	if (!system)
		system = "jsonl";
	/*
	 * The subject is given once, with the ticket; later events inherit it.
	 * The memory of subjects is bounded: past 50,000 tickets it starts
	 * over, and a late comment then just carries no subject.
	 */
	char *skey = ct_xstrfmt("%s:%s", system, ticket);
	const char *subject = ct_tickets_jstr(o, "subject");
	if (subject) {
		if (json_object_size(subjects) >= 50000)
			json_object_clear(subjects);
		json_object_set_new(subjects, skey, json_string(subject));
	} else {
		json_t *known = json_object_get(subjects, skey);
		subject = known ? json_string_value(known) : NULL;
	}
	free(skey);
	struct ct_item it;
	ct_item_init(&it);
	it.kind = move ? CT_ITEM_TICKET_MOVE : CT_ITEM_TICKET;
	it.source = ct_strdup(source);
	it.ticket_system = ct_strdup(system);
	it.ticket_id = ct_strdup(ticket);
	it.external_id = move ? ct_xstrfmt("%s:%s#move-%s", system, ticket, id)
			      : ct_xstrfmt("%s:%s#%s", system, ticket, id);
	it.subject = ct_strdup(subject ? subject : "");
	it.ticket_subject = ct_strdup(subject);
	it.ticket_group = ct_strdup(ct_tickets_jstr(o, "group"));
	it.ticket_group_from = ct_strdup(ct_tickets_jstr(o, "from_group"));
	it.ticket_status = ct_strdup(ct_tickets_jstr(o, "status"));
	it.date = at;
	const char *body = ct_tickets_jstr(o, "body");
	it.body = ct_strdup(body && !move ? body : "");
	it.body_len = strlen(it.body);
	it.from.addr = ct_strdup(ct_tickets_jstr(o, "author") ? ct_tickets_jstr(o, "author") : "");
	ct_lower_ascii(it.from.addr);
	it.from.name = ct_strdup(ct_tickets_jstr(o, "author_name"));
	const char *role = ct_tickets_jstr(o, "author_role");
	if (role)
		it.role = !strcmp(role, "staff") ? CT_ROLE_STAFF : CT_ROLE_CUSTOMER;
	it.message_id = strip_angles(ct_tickets_jstr(o, "message_id"));
	json_t *pub = json_object_get(o, "public");
	it.ticket_public = pub ? json_is_true(pub) : 1;
	const char *req = ct_tickets_jstr(o, "requester");
	if (!req && !strcmp(type, "ticket_created") && role && strcmp(role, "staff"))
		req = ct_tickets_jstr(o, "author");
	it.requester = ct_strdup(req);
	if (it.requester)
		ct_lower_ascii(it.requester);
	ret = ct_tickets_deliver(sink, &it);
out:
	free(ticket);
	free(id);
	return ret;
}

/* Hash of the (up to) 4 KiB before off; 0 when they cannot be read. */
static uint64_t file_fingerprint(FILE *f, long off)
{
	char buf[4096];
	long start = off > (long)sizeof(buf) ? off - (long)sizeof(buf) : 0;
	if (off < 0 || fseek(f, start, SEEK_SET) != 0)
		return 0;
	size_t n = fread(buf, 1, (size_t)(off - start), f);
	if ((long)n != off - start)
		return 0;
	return ct_hash64(buf, n, (uint64_t)off);
}

int ct_jsonl_ingest(const char *path, const char *source, struct ct_sink *sink)
{
	FILE *f = fopen(path, "r");
	json_t *subjects = json_object();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, ret = 0;
	if (!f)
		return ct_error("source '%s': cannot open '%s': %s", source, path, strerror(errno));
	/*
	 * A file that only grew since the last run is read from where that run
	 * ended (cursor "end": offset and a hash of the 4 KiB before it); the
	 * events there are new, so they are not looked up one by one.
	 */
	char *cur = sink->get_cursor ? sink->get_cursor(sink, source, "end") : NULL;
	if (cur) {
		unsigned long long off = 0, fp = 0;
		if (sscanf(cur, "%llu %llx", &off, &fp) == 2 && file_fingerprint(f, (long)off) == fp &&
		    fseek(f, (long)off, SEEK_SET) == 0)
			skip_seen = 1;
		else
			rewind(f);
		free(cur);
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		json_error_t jerr;
		json_t *o = json_loads(p, 0, &jerr);
		if (!o || !json_is_object(o)) {
			ct_error("%s:%d: not a JSON object: %s", path, lineno, o ? "another JSON value" : jerr.text);
			json_decref(o);
			ret = -1;
			continue; /* report every bad line, keep the good ones */
		}
		if (jsonl_event(o, source, sink, path, lineno, subjects))
			ret = -1;
		json_decref(o);
		if (sink->progress)
			sink->progress(sink, source, (size_t)lineno, 0);
	}
	skip_seen = 0;
	if (!ret && sink->set_cursor) {
		long end = ftell(f);
		char v[64];
		snprintf(v, sizeof(v), "%ld %llx", end, (unsigned long long)file_fingerprint(f, end));
		ret = sink->set_cursor(sink, source, "end", v);
	}
	free(line);
	fclose(f);
	json_decref(subjects);
	return ret;
}

/* Zendesk export JSON or JSONL, by the first character that is not blank. */
int ct_tickets_ingest_file(const char *path, const char *source, struct ct_sink *sink)
{
	FILE *f = fopen(path, "r");
	int c;
	if (!f)
		return ct_error("cannot open '%s': %s", path, strerror(errno));
	while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		;
	/* a JSONL file's first line is a whole object; an export has "tickets" near the start */
	char head[4096];
	size_t n = 0;
	if (c != EOF) {
		head[n++] = (char)c;
		n += fread(head + n, 1, sizeof(head) - 1 - n, f);
	}
	head[n] = '\0';
	fclose(f);
	char *nl = strchr(head, '\n');
	int jsonl = 0;
	if (nl) {
		*nl = '\0';
		json_t *o = json_loads(head, 0, NULL);
		jsonl = o && json_is_object(o) && json_object_get(o, "type") && !json_object_get(o, "tickets");
		json_decref(o);
	}
	return jsonl ? ct_jsonl_ingest(path, source, sink) : ct_zendesk_export_ingest(path, source, sink);
}
