/* item.c - lifecycle of struct ct_item, the record every fetcher produces. */
#include "ingest.h"
#include "mime_p.h"

#include <stdlib.h>
#include <string.h>

void ct_item_init(struct ct_item *it)
{
	memset(it, 0, sizeof(*it));
}

void ct_addrlist_push(struct ct_addrlist *l, const char *name, const char *addr)
{
	CT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n].name = name && *name ? ct_strdup(name) : NULL;
	l->v[l->n].addr = ct_strdup(addr ? addr : "");
	ct_lower_ascii(l->v[l->n].addr);
	l->n++;
}

void ct_addrlist_clear(struct ct_addrlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].addr);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void ct_item_set_content_id(struct ct_item *it, const char *data, size_t len)
{
	char sha[65], fnv[33];
	ct_sha256_hex(data, len, sha);
	ct_hash_hex(data, len, fnv);
	free(it->external_id);
	free(it->legacy_external_id);
	it->external_id = ct_xstrfmt("sha256:%s", sha);
	it->legacy_external_id = ct_xstrfmt("hash:%s", fnv);
}

void ct_item_warn(struct ct_item *it, const char *fmt, ...)
{
	struct ct_buf b = CT_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ct_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ct_strlist_push_owned(&it->warnings, ct_buf_detach(&b, NULL));
}

/* Replaces what is not valid UTF-8 in *s (may be NULL); returns the bytes replaced. */
static size_t repair_utf8(char **s)
{
	size_t n = *s ? strlen(*s) : 0, bad;
	if (!n || ct_utf8_valid(*s, n))
		return 0;
	struct ct_buf b = CT_BUF_INIT;
	bad = ct_mime_add_utf8(&b, *s, n);
	free(*s);
	*s = ct_buf_detach(&b, NULL);
	return bad;
}

static size_t repair_addrlist(struct ct_addrlist *l)
{
	size_t bad = 0;
	for (size_t i = 0; i < l->n; i++)
		bad += repair_utf8(&l->v[i].name) + repair_utf8(&l->v[i].addr);
	return bad;
}

size_t ct_item_repair_utf8(struct ct_item *it)
{
	size_t bad = repair_utf8(&it->external_id) + repair_utf8(&it->message_id) +
		     repair_utf8(&it->in_reply_to) + repair_utf8(&it->x_forwarded_id) +
		     repair_utf8(&it->subject) + repair_utf8(&it->from.name) + repair_utf8(&it->from.addr) +
		     repair_addrlist(&it->to) + repair_addrlist(&it->cc);
	for (size_t i = 0; i < it->references.n; i++)
		bad += repair_utf8(&it->references.v[i]);
	for (size_t i = 0; i < it->nfwd; i++)
		bad += repair_utf8(&it->fwd[i].message_id) + repair_utf8(&it->fwd[i].subject) +
		       repair_utf8(&it->fwd[i].from);
	for (size_t i = 0; i < it->natt; i++)
		bad += repair_utf8(&it->att[i].name) + repair_utf8(&it->att[i].type);
	if (bad)
		ct_item_warn(it, "%zu invalid UTF-8 byte%s in header fields replaced", bad, bad == 1 ? "" : "s");
	return bad;
}

void ct_item_free(struct ct_item *it)
{
	free(it->external_id);
	free(it->legacy_external_id);
	free(it->message_id);
	free(it->in_reply_to);
	ct_strlist_clear(&it->references);
	free(it->x_forwarded_id);
	free(it->subject);
	free(it->from.name);
	free(it->from.addr);
	ct_addrlist_clear(&it->to);
	ct_addrlist_clear(&it->cc);
	free(it->body);
	for (size_t i = 0; i < it->nfwd; i++) {
		free(it->fwd[i].message_id);
		free(it->fwd[i].subject);
		free(it->fwd[i].from);
		free(it->fwd[i].body);
	}
	free(it->fwd);
	for (size_t i = 0; i < it->natt; i++) {
		free(it->att[i].name);
		free(it->att[i].type);
	}
	free(it->att);
	ct_strlist_clear(&it->warnings);
	free(it->source);
	free(it->mailbox_dept);
	free(it->location);
	free(it->ticket_system);
	free(it->ticket_id);
	free(it->ticket_group);
	free(it->ticket_group_from);
	free(it->ticket_status);
	free(it->ticket_subject);
	free(it->requester);
	free(it->department);
	ct_strlist_clear(&it->ticket_refs);
	memset(it, 0, sizeof(*it));
}
