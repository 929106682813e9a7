/*
 * prefetch.c - the threading lookups of a whole batch in four queries.
 *
 * Filing an item asks the store a handful of questions (is this external id
 * stored, which case holds this Message-ID, which stored items refer to
 * it, has this subject replies that found no thread). On SQLite each is a
 * function call; on PostgreSQL each is a round trip, and a batch of 2,000
 * items asked them about 14,000 times. A gathering writer (pipeline.c)
 * therefore tells the store the keys of its batch first (ct_store_expect);
 * the first lookup inside the batch's transaction, with the writers' lock
 * held, fetches the answers for every key at once, and the store keeps them
 * true while the batch writes (new items, their references, merged cases).
 * A key outside the batch, or one that cannot travel in a JSON array, is
 * looked up as before. The answers are dropped at the end of each
 * transaction: another writer may change the store between two.
 */
#include "store_p.h"
#include "../ingest/ingest.h"

#include <stdlib.h>
#include <string.h>

struct pf_row {
	int64_t item_id, case_id;
	char *ext, *kind;
	/* srows: the item's outside participants, date, and whether it is a reply that started or follows up a case */
	char *parts;
	ct_time date;
	int orphan;
};

struct pf_ent {
	char *key;
	int64_t id, case_id;      /* ext: the item; msgid: the first item with a case, and its case */
	int has_tz;               /* ext: the item's Date offset is stored */
	char *ext;                /* msgid: that item's external id */
	ct_time last_new;         /* subj: the last date of a reply that started a case (0: none) */
	struct pf_row *rows;      /* kids: items that refer to key, by item id */
	size_t nrows, arows;
};

struct pf_map {
	struct pf_ent *v;
	size_t n, alloc;
};

enum { PF_EXT, PF_MSGID, PF_KIDS, PF_SUBJ, PF_TICKET, PF_TREF, PF_SROWS, PF__N };

struct ct_prefetch {
	struct pf_map map[PF__N];
	int sorted;
	int loaded;
	/* PF_SROWS holds the items of the batch's subjects dated from..to (the batch's dates and a window around them) */
	ct_time from, to;
	int dated;
};

static void add_key(struct ct_prefetch *pf, int m, const char *key)
{
	if (!key || !*key || !ct_utf8_valid(key, strlen(key)))
		return;
	struct pf_map *map = &pf->map[m];
	CT_ALLOC_GROW(map->v, map->n + 1, map->alloc);
	memset(&map->v[map->n], 0, sizeof(map->v[0]));
	map->v[map->n++].key = ct_strdup(key);
	pf->sorted = 0;
}

static void clear_values(struct pf_ent *e)
{
	for (size_t i = 0; i < e->nrows; i++) {
		free(e->rows[i].ext);
		free(e->rows[i].kind);
		free(e->rows[i].parts);
	}
	free(e->rows);
	free(e->ext);
	e->rows = NULL;
	e->nrows = e->arows = 0;
	e->ext = NULL;
	e->id = e->case_id = 0;
	e->last_new = 0;
}

void ct_store_expect(struct ct_store *st, const struct ct_item *it, const struct ct_item_derived *d)
{
	if (!st->pf)
		st->pf = ct_calloc(1, sizeof(*st->pf));
	struct ct_prefetch *pf = st->pf;
	add_key(pf, PF_EXT, it->external_id);
	add_key(pf, PF_EXT, it->legacy_external_id);
	/* every Message-ID ct_store_thread_plan may look up */
	add_key(pf, PF_MSGID, it->in_reply_to);
	for (size_t i = 0; i < it->references.n; i++)
		if (ct_store_ref_used(it->references.n, i))
			add_key(pf, PF_MSGID, it->references.v[i]);
	add_key(pf, PF_MSGID, it->x_forwarded_id);
	for (size_t i = 0; i < it->nfwd; i++)
		add_key(pf, PF_MSGID, it->fwd[i].message_id);
	add_key(pf, PF_MSGID, it->message_id);
	add_key(pf, PF_KIDS, it->message_id);
	add_key(pf, PF_SUBJ, d->norm);
	/* the items the subject lookups of ct_store_thread_plan may read: the same subject, near in time */
	ct_time window = (ct_time)(st->opt.thread_window_days > 0 ? st->opt.thread_window_days : 30) * 86400 + 3600;
	if (d->norm && *d->norm) {
		add_key(pf, PF_SROWS, d->norm);
		if (!pf->dated || it->date - window < pf->from)
			pf->from = it->date - window;
		if (!pf->dated || it->date + window > pf->to)
			pf->to = it->date + window;
		pf->dated = 1;
	}
	/* ticket identity and the ticket references of a mail */
	if (it->ticket_system && it->ticket_id) {
		add_key(pf, PF_TICKET, it->ticket_id);
		char *ref = ct_xstrfmt("T:%s", it->ticket_id);
		add_key(pf, PF_TREF, ref);
		free(ref);
	}
	for (size_t i = 0; i < it->ticket_refs.n; i++) {
		add_key(pf, PF_TICKET, it->ticket_refs.v[i]);
		char *ref = ct_xstrfmt("T:%s", it->ticket_refs.v[i]);
		add_key(pf, PF_TREF, ref);
		free(ref);
	}
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct pf_ent *)a)->key, ((const struct pf_ent *)b)->key);
}

static void sort_unique(struct pf_map *map)
{
	if (!map->n)
		return;
	qsort(map->v, map->n, sizeof(map->v[0]), cmp_ent);
	size_t w = 1;
	for (size_t r = 1; r < map->n; r++) {
		if (!strcmp(map->v[r].key, map->v[w - 1].key))
			free(map->v[r].key);
		else
			map->v[w++] = map->v[r];
	}
	map->n = w;
}

static struct pf_ent *find(struct pf_map *map, const char *key)
{
	if (!key)
		return NULL;
	struct pf_ent k = { .key = (char *)key };
	return bsearch(&k, map->v, map->n, sizeof(map->v[0]), cmp_ent);
}

/* The keys of map as a JSON array of strings. */
static char *json_keys(const struct pf_map *map)
{
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addch(&b, '[');
	for (size_t i = 0; i < map->n; i++) {
		if (i)
			ct_buf_addch(&b, ',');
		ct_buf_addch(&b, '"');
		for (const unsigned char *p = (const unsigned char *)map->v[i].key; *p; p++) {
			if (*p == '"' || *p == '\\')
				ct_buf_addf(&b, "\\%c", *p);
			else if (*p < 0x20)
				ct_buf_addf(&b, "\\u%04x", *p);
			else
				ct_buf_addch(&b, (char)*p);
		}
		ct_buf_addch(&b, '"');
	}
	ct_buf_addch(&b, ']');
	return ct_buf_detach(&b, NULL);
}

static void add_row(struct pf_ent *e, int64_t item_id, int64_t case_id, const char *ext, const char *kind)
{
	for (size_t i = 0; kind && i < e->nrows; i++)
		if (e->rows[i].item_id == item_id && !strcmp(e->rows[i].kind, kind))
			return;   /* INSERT OR IGNORE kept the first */
	CT_ALLOC_GROW(e->rows, e->nrows + 1, e->arows);
	memset(&e->rows[e->nrows], 0, sizeof(e->rows[0]));
	e->rows[e->nrows].item_id = item_id;
	e->rows[e->nrows].case_id = case_id;
	e->rows[e->nrows].ext = ct_strdup(ext ? ext : "");
	e->rows[e->nrows].kind = kind ? ct_strdup(kind) : NULL;
	e->nrows++;
}

static const char *const pf_sql[PF__N] = {
	"SELECT external_id, id, date_tz IS NOT NULL FROM items WHERE external_id IN (SELECT value FROM json_each(?))",
	"SELECT message_id, case_id, external_id, id FROM items"
	" WHERE message_id IN (SELECT value FROM json_each(?)) AND case_id IS NOT NULL ORDER BY id",
	"SELECT r.ref, i.case_id, i.external_id, r.kind, i.id FROM item_refs r JOIN items i ON i.id = r.item_id"
	" WHERE r.ref IN (SELECT value FROM json_each(?)) AND i.case_id IS NOT NULL ORDER BY i.id, r.kind",
	"SELECT subject_norm, max(date) FROM items WHERE subject_norm IN (SELECT value FROM json_each(?))"
	" AND is_reply = 1 AND link_reason = 'new' GROUP BY subject_norm",
	"SELECT ticket_id, case_id, ticket_system, id FROM items WHERE ticket_id IN (SELECT value FROM json_each(?))"
	" AND case_id IS NOT NULL ORDER BY id",
	"SELECT r.ref, i.case_id FROM item_refs r JOIN items i ON i.id = r.item_id"
	" WHERE r.ref IN (SELECT value FROM json_each(?)) AND r.kind = 'ticket' AND i.case_id IS NOT NULL",
	"SELECT subject_norm, case_id, external_id, participants, date, id, is_reply = 1"
	" AND link_reason IN ('new', 'follow-up') FROM items WHERE subject_norm IN (SELECT value FROM json_each(?))"
	" AND date BETWEEN ? AND ? AND case_id IS NOT NULL ORDER BY date, id",
};

/* Adds a row of srows entry e, kept in (date, id) order. */
static void add_srow(struct pf_ent *e, int64_t item_id, int64_t case_id, const char *ext, const char *parts,
		     ct_time date, int orphan)
{
	CT_ALLOC_GROW(e->rows, e->nrows + 1, e->arows);
	size_t at = e->nrows;
	while (at > 0 && (e->rows[at - 1].date > date ||
			  (e->rows[at - 1].date == date && e->rows[at - 1].item_id > item_id)))
		at--;
	memmove(&e->rows[at + 1], &e->rows[at], (e->nrows - at) * sizeof(e->rows[0]));
	struct pf_row *r = &e->rows[at];
	memset(r, 0, sizeof(*r));
	r->item_id = item_id;
	r->case_id = case_id;
	r->ext = ct_strdup(ext ? ext : "");
	r->parts = ct_strdup(parts ? parts : "");
	r->date = date;
	r->orphan = orphan;
	e->nrows++;
}

static int load(struct ct_store *st)
{
	struct ct_prefetch *pf = st->pf;
	if (!pf->sorted) {
		for (int m = 0; m < PF__N; m++)
			sort_unique(&pf->map[m]);
		pf->sorted = 1;
	}
	for (int m = 0; m < PF__N; m++) {
		struct pf_map *map = &pf->map[m];
		for (size_t i = 0; i < map->n; i++)
			clear_values(&map->v[i]);
		if (!map->n)
			continue;
		struct ct_db_stmt *q = ct_store_stmt(st, ST_PF_EXT + m, pf_sql[m]);
		char *keys = json_keys(map);
		ct_db_bind_text_static(q, 1, keys);
		if (m == PF_SROWS) {
			ct_db_bind_int64(q, 2, pf->from);
			ct_db_bind_int64(q, 3, pf->to);
		}
		int rc;
		while ((rc = ct_db_step(q)) == CT_DB_ROW) {
			struct pf_ent *e = find(map, ct_db_column_text(q, 0));
			if (!e)
				continue;
			switch (m) {
			case PF_EXT:
				e->id = ct_db_column_int64(q, 1);
				e->has_tz = (int)ct_db_column_int64(q, 2);
				break;
			case PF_MSGID:
				if (!e->case_id) {   /* the first by id */
					e->case_id = ct_db_column_int64(q, 1);
					e->ext = ct_store_col_strdup(q, 2);
					e->id = ct_db_column_int64(q, 3);
				}
				break;
			case PF_KIDS:
				add_row(e, ct_db_column_int64(q, 4), ct_db_column_int64(q, 1),
					ct_db_column_text(q, 2), ct_db_column_text(q, 3));
				break;
			case PF_SUBJ:
				e->last_new = ct_db_column_int64(q, 1);
				break;
			case PF_TICKET:
				add_row(e, ct_db_column_int64(q, 3), ct_db_column_int64(q, 1),
					ct_db_column_text(q, 2), NULL);
				break;
			case PF_TREF:
				add_row(e, 0, ct_db_column_int64(q, 1), NULL, NULL);
				break;
			case PF_SROWS:
				add_srow(e, ct_db_column_int64(q, 5), ct_db_column_int64(q, 1), ct_db_column_text(q, 2),
					 ct_db_column_text(q, 3), ct_db_column_int64(q, 4), (int)ct_db_column_int64(q, 6));
				break;
			}
		}
		ct_db_reset(q);
		free(keys);
		if (rc != CT_DB_DONE)
			return ct_store_sqlerr(st, "threading a batch");
	}
	pf->loaded = 1;
	return 0;
}

/* The entry for key in map m, loading the batch's answers first; NULL when key is not covered. */
static struct pf_ent *lookup(struct ct_store *st, int m, const char *key, int *err)
{
	*err = 0;
	if (!st->pf || !st->in_tx || !key)
		return NULL;
	if (!st->pf->loaded) {
		if (!st->pf->map[m].n)
			return NULL;
		if (load(st)) {
			*err = 1;
			return NULL;
		}
	}
	return find(&st->pf->map[m], key);
}

int ct_pf_find_ext(struct ct_store *st, const char *ext, int64_t *id, int *has_tz)
{
	int err;
	struct pf_ent *e = lookup(st, PF_EXT, ext, &err);
	if (!e)
		return err ? -1 : 0;
	*id = e->id;
	*has_tz = e->id && e->has_tz;
	return 1;
}

void ct_pf_note_tz(struct ct_store *st, const char *ext)
{
	struct pf_ent *e;
	if (st->pf && st->pf->loaded && (e = find(&st->pf->map[PF_EXT], ext)))
		e->has_tz = 1;
}

int ct_pf_by_msgid(struct ct_store *st, const char *msgid, int64_t *case_id, const char **ext)
{
	int err;
	struct pf_ent *e = lookup(st, PF_MSGID, msgid, &err);
	if (!e)
		return err ? -1 : 0;
	*case_id = e->case_id;
	*ext = e->ext;
	return 1;
}

int ct_pf_children(struct ct_store *st, const char *msgid, size_t *n)
{
	int err;
	struct pf_ent *e = lookup(st, PF_KIDS, msgid, &err);
	if (!e)
		return err ? -1 : 0;
	*n = e->nrows;
	return 1;
}

void ct_pf_child(struct ct_store *st, const char *msgid, size_t i, int64_t *case_id, const char **ext,
		 const char **kind)
{
	const struct pf_ent *e = find(&st->pf->map[PF_KIDS], msgid);
	*case_id = e->rows[i].case_id;
	*ext = e->rows[i].ext;
	*kind = e->rows[i].kind;
}

int ct_pf_no_later_new(struct ct_store *st, const char *norm, ct_time after)
{
	int err;
	struct pf_ent *e = lookup(st, PF_SUBJ, norm, &err);
	return e && e->last_new <= after;
}

/*
 * The first item (by id) of ticket ticket_id with a case: of any helpdesk
 * when system is NULL. *case_id 0 for none; *system borrowed.
 */
int ct_pf_ticket(struct ct_store *st, const char *system, const char *ticket_id, int64_t *case_id,
		 const char **found_system)
{
	int err;
	struct pf_ent *e = lookup(st, PF_TICKET, ticket_id, &err);
	if (!e)
		return err ? -1 : 0;
	*case_id = 0;
	for (size_t i = 0; i < e->nrows; i++)
		if (!system || !strcmp(e->rows[i].ext, system)) {
			*case_id = e->rows[i].case_id;
			if (found_system)
				*found_system = e->rows[i].ext;
			break;
		}
	return 1;
}

int ct_pf_ticket_ref_cases(struct ct_store *st, const char *ref, int64_t **cases, size_t *n)
{
	int err;
	struct pf_ent *e = lookup(st, PF_TREF, ref, &err);
	if (!e)
		return err ? -1 : 0;
	int64_t *v = ct_calloc(e->nrows + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < e->nrows; i++)
		v[k++] = e->rows[i].case_id;
	qsort(v, k, sizeof(*v), ct_store_cmp_i64);
	size_t w = 0;
	for (size_t i = 0; i < k; i++)
		if (!w || v[w - 1] != v[i])
			v[w++] = v[i];
	*cases = v;
	*n = w;
	return 1;
}

int ct_pf_subject(struct ct_store *st, const char *norm, ct_time from, ct_time to, size_t *n)
{
	int err;
	struct pf_ent *e = lookup(st, PF_SROWS, norm, &err);
	if (!e)
		return err ? -1 : 0;
	if (from < st->pf->from || to > st->pf->to)
		return 0;   /* outside what was fetched: ask the database */
	*n = e->nrows;
	return 1;
}

void ct_pf_subject_row(struct ct_store *st, const char *norm, size_t i, struct ct_pf_srow *out)
{
	const struct pf_row *r = &find(&st->pf->map[PF_SROWS], norm)->rows[i];
	out->item_id = r->item_id;
	out->case_id = r->case_id;
	out->ext = r->ext;
	out->participants = r->parts;
	out->date = r->date;
	out->orphan = r->orphan;
}

void ct_pf_note_item(struct ct_store *st, int64_t id, const struct ct_item *it, const struct ct_item_derived *d,
		     int64_t case_id, const char *reason)
{
	if (!st->pf || !st->pf->loaded)
		return;
	struct pf_map *map = st->pf->map;
	struct pf_ent *e;
	if (it->ticket_id && (e = find(&map[PF_TICKET], it->ticket_id)))
		add_row(e, id, case_id, it->ticket_system, NULL);
	if ((e = find(&map[PF_SROWS], d->norm)) && it->date >= st->pf->from && it->date <= st->pf->to)
		add_srow(e, id, case_id, it->external_id, d->participants, it->date,
			 d->is_reply && reason && (!strcmp(reason, "new") || !strcmp(reason, "follow-up")));
	if ((e = find(&map[PF_EXT], it->external_id)) && !e->id) {
		e->id = id;
		e->has_tz = it->date_has_tz;
	}
	if ((e = find(&map[PF_MSGID], it->message_id)) && !e->case_id) {
		e->case_id = case_id;
		e->id = id;
		free(e->ext);
		e->ext = ct_strdup(it->external_id ? it->external_id : "");
	}
	if (d->is_reply && reason && !strcmp(reason, "new") && (e = find(&map[PF_SUBJ], d->norm)) &&
	    it->date > e->last_new)
		e->last_new = it->date;
}

void ct_pf_note_ref(struct ct_store *st, int64_t id, int64_t case_id, const char *ext, const char *ref,
		    const char *kind)
{
	struct pf_ent *e;
	if (!st->pf || !st->pf->loaded)
		return;
	if ((e = find(&st->pf->map[PF_KIDS], ref)))
		add_row(e, id, case_id, ext, kind);
	if (!strcmp(kind, "ticket") && (e = find(&st->pf->map[PF_TREF], ref)))
		add_row(e, id, case_id, NULL, NULL);
}

void ct_pf_merge(struct ct_store *st, int64_t from, int64_t into)
{
	if (!st->pf || !st->pf->loaded)
		return;
	struct pf_map *map = st->pf->map;
	for (size_t i = 0; i < map[PF_MSGID].n; i++)
		if (map[PF_MSGID].v[i].case_id == from)
			map[PF_MSGID].v[i].case_id = into;
	static const int with_rows[] = { PF_KIDS, PF_TICKET, PF_TREF, PF_SROWS };
	for (size_t m = 0; m < CT_ARRAY_SIZE(with_rows); m++)
		for (size_t i = 0; i < map[with_rows[m]].n; i++)
			for (size_t k = 0; k < map[with_rows[m]].v[i].nrows; k++)
				if (map[with_rows[m]].v[i].rows[k].case_id == from)
					map[with_rows[m]].v[i].rows[k].case_id = into;
}

void ct_pf_end_tx(struct ct_store *st)
{
	if (st->pf)
		st->pf->loaded = 0;
}

void ct_store_expect_done(struct ct_store *st)
{
	struct ct_prefetch *pf = st->pf;
	if (!pf)
		return;
	for (int m = 0; m < PF__N; m++) {
		for (size_t i = 0; i < pf->map[m].n; i++) {
			clear_values(&pf->map[m].v[i]);
			free(pf->map[m].v[i].key);
		}
		free(pf->map[m].v);
	}
	free(pf);
	st->pf = NULL;
}
