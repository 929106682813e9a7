/*
 * thread.c - files a new item into a case, in the spirit of JWZ threading:
 * header links first (In-Reply-To, References, forwarded originals, the
 * helpdesk copy of a mail), then ticket identity and ticket references, and
 * only for replies whose header links lead nowhere, the normalised subject
 * plus a shared outside participant within a time window. When an item links
 * several cases they are merged, and the merge is recorded with its reason.
 */
#include "store_p.h"
#include "../ingest/ingest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cand {
	int64_t case_id;
	const char *reason;
	char *detail;
};

struct cands {
	struct cand *v;
	size_t n, alloc;
};

static void push(struct cands *c, int64_t case_id, const char *reason, char *detail)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].case_id == case_id) {
			free(detail);
			return;
		}
	CT_ALLOC_GROW(c->v, c->n + 1, c->alloc);
	c->v[c->n].case_id = case_id;
	c->v[c->n].reason = reason;
	c->v[c->n].detail = detail;
	c->n++;
}

/*
 * The case of the item whose Message-ID is ref. An id already looked up for
 * this item (In-Reply-To is mostly also the last of References) is not
 * looked up again: the answer, and so the candidates, would be the same.
 */
static int by_msgid(struct ct_store *st, const char *ref, const char *reason, struct cands *c,
		    int *found, struct ct_strlist *looked)
{
	if (!ref || !*ref || ct_strlist_has(looked, ref))
		return 0;
	ct_strlist_push(looked, ref);
	int64_t case_id;
	const char *ext;
	int pf = ct_pf_by_msgid(st, ref, &case_id, &ext);
	if (pf < 0)
		return -1;
	if (pf) {
		if (case_id) {
			push(c, case_id, reason, ct_strdup(ext));
			if (found)
				*found = 1;
		}
		return 0;
	}
	struct ct_db_stmt *q = ct_store_stmt(st, ST_THREAD_BY_MSGID,
		"SELECT case_id, external_id FROM items WHERE message_id = ?"
		" AND case_id IS NOT NULL ORDER BY id LIMIT 1");
	ct_store_bind_static(q, 1, ref);
	int rc = ct_db_step(q);
	if (rc == CT_DB_ROW) {
		push(c, ct_db_column_int64(q, 0), reason,
		     ct_strdup(ct_db_column_text(q, 1)));
		if (found)
			*found = 1;
	} else if (rc != CT_DB_DONE) {
		return ct_store_sqlerr(st, "threading by Message-ID");
	}
	ct_db_reset(q);
	return 0;
}

int ct_store_ref_used(size_t n, size_t i)
{
	return i == 0 || n - i <= CT_STORE_REFS_MAX;
}

void ct_store_outside_addrs(const struct ct_store *st, const struct ct_item *it, struct ct_strlist *out)
{
	const char *one[2] = { it->from.addr, it->requester };
	for (size_t k = 0; k < it->to.n + it->cc.n + 2; k++) {
		const char *a = k < 2 ? one[k] : k - 2 < it->to.n ? it->to.v[k - 2].addr : it->cc.v[k - 2 - it->to.n].addr;
		if (!a || !*a || strchr(a, ' '))
			continue;
		if (st->opt.is_internal && st->opt.is_internal(a, st->opt.is_internal_data))
			continue;
		if (!ct_strlist_has(out, a))
			ct_strlist_push(out, a);
	}
}

/* " a@x " for each address outside the organisation: what items.participants holds. */
static void participant_needles(const struct ct_strlist *outside, struct ct_strlist *out)
{
	for (size_t i = 0; i < outside->n; i++)
		ct_strlist_push_owned(out, ct_xstrfmt(" %s ", outside->v[i]));
}

/* 1 when participants (" a@x b@y ") names one of the needles. */
static int shares_participant(const char *participants, const struct ct_strlist *needles)
{
	for (size_t i = 0; participants && i < needles->n; i++)
		if (strstr(participants, needles->v[i]))
			return 1;
	return 0;
}

int ct_store_merge_case(struct ct_store *st, int64_t from, int64_t into, int64_t item_id,
		      const char *reason, const char *detail, ct_time at)
{
	static const struct {
		enum ct_stmt_id id;
		const char *sql;
	} steps[] = {
		{ ST_MERGE_ITEMS, "UPDATE items SET case_id = ?2 WHERE case_id = ?1" },
		{ ST_MERGE_ROUTING, "DELETE FROM routing_events WHERE case_id = ?1" },
		{ ST_MERGE_CASES, "UPDATE cases SET merged_into = ?2 WHERE id = ?1 OR merged_into = ?1" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(steps); i++) {
		struct ct_db_stmt *q = ct_store_stmt(st, steps[i].id, steps[i].sql);
		ct_db_bind_int64(q, 1, from);
		ct_db_bind_int64(q, 2, into);
		if (ct_db_queue(q))
			return ct_store_sqlerr(st, "merging cases");
	}
	ct_pf_merge(st, from, into);
	struct ct_db_stmt *q = ct_store_stmt(st, ST_MERGE_LOG,
		"INSERT INTO case_merges(from_case, into_case, item_id, reason, detail, at)"
		" VALUES (?,?,?,?,?,?)");
	ct_db_bind_int64(q, 1, from);
	ct_db_bind_int64(q, 2, into);
	ct_db_bind_int64(q, 3, item_id);
	ct_store_bind_text(q, 4, reason);
	ct_store_bind_text(q, 5, detail);
	ct_db_bind_int64(q, 6, at);
	if (ct_db_queue(q))
		return ct_store_sqlerr(st, "recording a merge");
	ct_store_mark_dirty(st, into);
	/* its routing goes with its items: the same whether the merge came in its batch or a later one */
	ct_store_mark_reroute(st, from);
	return 0;
}

/* The latest date of case_id's items up to t; 0 when none. */
static ct_time last_before(struct ct_store *st, int64_t case_id, ct_time t)
{
	struct ct_db_stmt *q = ct_store_stmt(st, ST_THREAD_QUIET,
		"SELECT max(date) FROM items WHERE case_id = ? AND date <= ?");
	ct_time prev = 0;
	ct_db_bind_int64(q, 1, case_id);
	ct_db_bind_int64(q, 2, t);
	if (ct_db_step(q) == CT_DB_ROW && !ct_db_column_is_null(q, 0))
		prev = ct_db_column_int64(q, 0);
	ct_db_reset(q);
	return prev;
}

/*
 * A reply by subject whose thread is older than the join window: the most
 * recent case with the same subject and a shared participant, when it has
 * been quiet longer than close_after, becomes the case this one follows up
 * (*follow_of, *detail). The reply still starts a case of its own, as it
 * did before; it only gets the link. 0 or -1.
 */
static int quiet_case(struct ct_store *st, const struct ct_item *it, const char *norm,
		      const struct ct_strlist *needles, ct_time window, int64_t *follow_of, char **detail)
{
	ct_time close_after = (ct_time)(st->opt.close_after_days > 0 ? st->opt.close_after_days : 30) * 86400;
	struct ct_db_stmt *q = ct_store_stmt(st, ST_THREAD_OLD_SUBJECT,
		"SELECT i.case_id, i.external_id, i.participants FROM items i"
		" WHERE i.subject_norm = ?1 AND i.date < ?2 AND i.case_id IS NOT NULL"
		" ORDER BY i.date DESC LIMIT 200");
	int64_t found = 0;
	char *ext = NULL;
	int rc;
	ct_store_bind_static(q, 1, norm);
	ct_db_bind_int64(q, 2, it->date - (window > close_after ? window : close_after));
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		if (!shares_participant(ct_db_column_text(q, 2), needles))
			continue;
		found = ct_db_column_int64(q, 0);
		ext = ct_store_col_strdup(q, 1);
		break;
	}
	ct_db_reset(q);
	if (rc != CT_DB_ROW && rc != CT_DB_DONE) {
		free(ext);
		return ct_store_sqlerr(st, "looking for a quiet case");
	}
	if (found) {
		ct_time prev = last_before(st, found, it->date);
		if (prev && it->date - prev > close_after) {
			*follow_of = found;
			*detail = ct_xstrfmt("follows up case %lld, quiet for %lld days: same subject and participant"
					     " as %s", (long long)found, (long long)((it->date - prev) / 86400), ext);
		}
	}
	free(ext);
	return 0;
}

/* The cases of the items that refer to ticket ticket_id ("T:" refs), as candidates. 0 or -1. */
static int ticket_ref_cases(struct ct_store *st, const char *ticket_id, const char *detail_fmt, struct cands *c)
{
	char *ref = ct_xstrfmt("T:%s", ticket_id);
	int64_t *cases = NULL;
	size_t n = 0;
	int pf = ct_pf_ticket_ref_cases(st, ref, &cases, &n);
	if (pf > 0) {
		for (size_t i = 0; i < n; i++)
			push(c, cases[i], "ticket-ref", ct_xstrfmt(detail_fmt, ticket_id));
		free(cases);
	} else if (!pf) {
		struct ct_db_stmt *q = ct_store_stmt(st, ST_THREAD_TICKET_REF_REV,
			"SELECT DISTINCT i.case_id FROM item_refs r JOIN items i ON i.id = r.item_id"
			" WHERE r.ref = ? AND r.kind = 'ticket' AND i.case_id IS NOT NULL ORDER BY i.case_id");
		ct_store_bind_text(q, 1, ref);
		int rc;
		while ((rc = ct_db_step(q)) == CT_DB_ROW)
			push(c, ct_db_column_int64(q, 0), "ticket-ref", ct_xstrfmt(detail_fmt, ticket_id));
		ct_db_reset(q);
		if (rc != CT_DB_DONE)
			pf = ct_store_sqlerr(st, "threading by ticket reference");
	}
	free(ref);
	return pf < 0 ? -1 : 0;
}

/* The item of the same subject nearest in time that shares a participant (then the oldest). */
struct nearest {
	int64_t case_id, id;
	ct_time gap;
	char *ext;
};

static void consider(struct nearest *n, int64_t case_id, const char *ext, const char *participants, ct_time date,
		     int64_t id, ct_time when, const struct ct_strlist *needles)
{
	if (!shares_participant(participants, needles))
		return;
	ct_time gap = date > when ? date - when : when - date;
	if (n->case_id && (gap > n->gap || (gap == n->gap && id > n->id)))
		return;
	n->case_id = case_id;
	n->gap = gap;
	n->id = id;
	free(n->ext);
	n->ext = ext ? ct_strdup(ext) : NULL;
}

/*
 * Chooses the case of an item about to be stored (not in the table yet, so
 * no query needs to leave it out): an existing case, or a new one created
 * here. The item row is then written once, already filed.
 */
int ct_store_thread_plan(struct ct_store *st, const struct ct_item *it, const char *norm,
			 const struct ct_strlist *outside, struct ct_thread_plan *plan)
{
	struct cands c = { 0 };
	struct ct_db_stmt *q;
	int parent_found = 0, has_refs = 0, ret = -1, rc;
	int64_t target = 0;
	struct ct_strlist needles = CT_STRLIST_INIT, looked = CT_STRLIST_INIT;
	int64_t follow_of = 0;
	char *follow_detail = NULL;
	memset(plan, 0, sizeof(*plan));
	ct_time window = (ct_time)st->opt.thread_window_days * 86400;

	/* Header links: the parent, ancestors, forwarded originals, the mail a ticket comment came from. */
	has_refs = (it->in_reply_to && *it->in_reply_to) || it->references.n;
	if (by_msgid(st, it->in_reply_to, "in-reply-to", &c, &parent_found, &looked))
		goto out;
	for (size_t i = it->references.n; i-- > 0;)
		if (ct_store_ref_used(it->references.n, i) &&
		    by_msgid(st, it->references.v[i], "references", &c, &parent_found, &looked))
			goto out;
	if (by_msgid(st, it->x_forwarded_id, "forward", &c, NULL, &looked))
		goto out;
	for (size_t i = 0; i < it->nfwd; i++)
		if (by_msgid(st, it->fwd[i].message_id, "forward", &c, NULL, &looked))
			goto out;
	/* The same Message-ID under another identity: a ticket made from a mail, or the reverse. */
	if (by_msgid(st, it->message_id, "same-as", &c, NULL, &looked))
		goto out;

	/* Children that arrived before their parent. */
	size_t nkids;
	int pf = it->message_id && *it->message_id ? ct_pf_children(st, it->message_id, &nkids) : 0;
	if (pf < 0)
		goto out;
	for (size_t i = 0; pf && i < nkids; i++) {
		int64_t case_id;
		const char *ext, *kind;
		ct_pf_child(st, it->message_id, i, &case_id, &ext, &kind);
		push(&c, case_id,
		     !strcmp(kind, "forward") ? "forward" : !strcmp(kind, "same-as") ? "same-as" : "child",
		     ct_xstrfmt("%s of %s", kind, ext));
	}
	if (!pf && it->message_id && *it->message_id) {
		q = ct_store_stmt(st, ST_THREAD_CHILDREN,
			"SELECT i.case_id, i.external_id, r.kind FROM item_refs r JOIN items i ON i.id = r.item_id"
			" WHERE r.ref = ? AND i.case_id IS NOT NULL ORDER BY i.id, r.kind");
		ct_store_bind_static(q, 1, it->message_id);
		while ((rc = ct_db_step(q)) == CT_DB_ROW) {
			const char *kind = ct_db_column_text(q, 2);
			push(&c, ct_db_column_int64(q, 0),
			     !strcmp(kind, "forward") ? "forward" : !strcmp(kind, "same-as") ? "same-as" : "child",
			     ct_xstrfmt("%s of %s", kind, ct_db_column_text(q, 1)));
		}
		if (rc != CT_DB_DONE) {
			ct_store_sqlerr(st, "threading children");
			goto out;
		}
	}

	/* Ticket identity. */
	int ticket_known = 0;
	if (it->ticket_system && it->ticket_id) {
		int64_t found;
		int known = ct_pf_ticket(st, it->ticket_system, it->ticket_id, &found, NULL);
		if (known < 0)
			goto out;
		if (!known) {
			q = ct_store_stmt(st, ST_THREAD_TICKET,
				"SELECT case_id FROM items WHERE ticket_system = ? AND ticket_id = ?"
				" AND case_id IS NOT NULL ORDER BY id LIMIT 1");
			ct_store_bind_text(q, 1, it->ticket_system);
			ct_store_bind_text(q, 2, it->ticket_id);
			found = ct_db_step(q) == CT_DB_ROW ? ct_db_column_int64(q, 0) : 0;
			ct_db_reset(q);
		}
		if (found) {
			push(&c, found, "ticket", ct_xstrfmt("%s ticket #%s", it->ticket_system, it->ticket_id));
			ticket_known = 1;
		}
		/* Mails that referred to this ticket before it was fetched. */
		if (ticket_ref_cases(st, it->ticket_id, "a mail refers to ticket #%s", &c))
			goto out;
	}
	/* Ticket references in a mail: [#4521], [rtname #12]. */
	for (size_t i = 0; i < it->ticket_refs.n; i++) {
		int64_t found;
		const char *system = NULL;
		char *sys_copy = NULL;
		int known = ct_pf_ticket(st, NULL, it->ticket_refs.v[i], &found, &system);
		if (known < 0)
			goto out;
		if (!known) {
			q = ct_store_stmt(st, ST_THREAD_TICKET_REF,
				"SELECT case_id, ticket_system FROM items WHERE ticket_id = ? AND case_id IS NOT NULL"
				" ORDER BY id LIMIT 1");
			ct_store_bind_text(q, 1, it->ticket_refs.v[i]);
			found = 0;
			if (ct_db_step(q) == CT_DB_ROW) {
				found = ct_db_column_int64(q, 0);
				system = sys_copy = ct_store_col_strdup(q, 1);
			}
			ct_db_reset(q);
		}
		if (found)
			push(&c, found, "ticket-ref",
			     ct_xstrfmt("mentions %s ticket #%s", system ? system : "", it->ticket_refs.v[i]));
		free(sys_copy);
		/* Other mails about the same ticket, even before the ticket itself is fetched. */
		if (ticket_ref_cases(st, it->ticket_refs.v[i], "another mail about ticket #%s", &c))
			goto out;
	}

	/*
	 * Subject + participants: for replies whose header links lead nowhere,
	 * and for the first event of a ticket (a ticket opened from a mail the
	 * helpdesk does not link). Same subject with unrelated people stays apart.
	 */
	int reply_like = it->kind == CT_ITEM_EMAIL &&
			 (ct_subject_is_reply(it->subject) || has_refs);
	int new_ticket = it->kind != CT_ITEM_EMAIL && !ticket_known;
	participant_needles(outside, &needles);
	/* The participant test runs here rather than in SQL: it is a substring
	   search per candidate row, and SQL would parse a JSON list for each. */
	if (needles.n && norm && *norm && !parent_found && c.n == 0 && (reply_like || new_ticket)) {
		ct_time lo = it->date - window, hi = it->date + (new_ticket ? window : 0) + 60;
		struct nearest n = { 0 };
		size_t nrows;
		int known = ct_pf_subject(st, norm, lo, hi, &nrows);
		if (known < 0)
			goto out;
		for (size_t i = 0; known && i < nrows; i++) {
			struct ct_pf_srow r;
			ct_pf_subject_row(st, norm, i, &r);
			if (r.date >= lo && r.date <= hi)
				consider(&n, r.case_id, r.ext, r.participants, r.date, r.item_id, it->date, &needles);
		}
		if (!known) {
			q = ct_store_stmt(st, ST_THREAD_SUBJECT,
				"SELECT i.case_id, i.external_id, i.participants, i.date, i.id FROM items i"
				" WHERE i.subject_norm = ?1 AND i.date BETWEEN ?2 AND ?3 AND i.case_id IS NOT NULL");
			ct_store_bind_static(q, 1, norm);
			ct_db_bind_int64(q, 2, lo);
			ct_db_bind_int64(q, 3, hi);
			while (ct_db_step(q) == CT_DB_ROW)
				consider(&n, ct_db_column_int64(q, 0), ct_db_column_text(q, 1), ct_db_column_text(q, 2),
					 ct_db_column_int64(q, 3), ct_db_column_int64(q, 4), it->date, &needles);
			ct_db_reset(q);
		}
		int64_t best_case = n.case_id;
		char *best_ext = n.ext;
		/*
		 * A case quiet for longer than close_after is closed: a mail that
		 * comes back to it by subject alone opens a follow-up case linked
		 * to it, as helpdesks do for replies to closed tickets.
		 */
		if (best_case) {
			ct_time prev = last_before(st, best_case, it->date);
			int close_after = st->opt.close_after_days > 0 ? st->opt.close_after_days : 30;
			if (prev && it->date - prev > (ct_time)close_after * 86400) {
				follow_of = best_case;
				follow_detail = ct_xstrfmt("follows up case %lld, quiet for %lld days: same subject and"
							   " participant as %s", (long long)best_case,
							   (long long)((it->date - prev) / 86400),
							   best_ext ? best_ext : "?");
			} else {
				push(&c, best_case, "subject+participants",
				     ct_xstrfmt("same subject and participant as %s", best_ext ? best_ext : "?"));
			}
		} else if (reply_like && quiet_case(st, it, norm, &needles, window, &follow_of, &follow_detail)) {
			goto out;
		}
		free(best_ext);
	}
	/*
	 * Replies that arrived earlier and found no thread: this item may be
	 * their thread's start, or a later message of it. Each would have
	 * joined this item's case by subject and participant had this one come
	 * first, so the order in which mailboxes are read (or several workers
	 * interleave) does not decide the cases.
	 */
	size_t norphans = 0;
	int orphans_known = needles.n && norm && *norm ? ct_pf_subject(st, norm, it->date - 60, it->date + window, &norphans) : 0;
	if (orphans_known < 0)
		goto out;
	for (size_t i = 0; orphans_known && i < norphans; i++) {
		struct ct_pf_srow r;
		ct_pf_subject_row(st, norm, i, &r);
		if (r.orphan && r.date >= it->date - 60 && r.date <= it->date + window &&
		    shares_participant(r.participants, &needles))
			push(&c, r.case_id, "subject+participants",
			     ct_xstrfmt("earlier reply with the same subject and participant"));
	}
	if (!orphans_known && needles.n && norm && *norm) {
		q = ct_store_stmt(st, ST_THREAD_ORPHANS,
			"SELECT i.case_id, i.participants FROM items i"
			" WHERE i.subject_norm = ?1 AND i.is_reply = 1 AND i.link_reason IN ('new', 'follow-up')"
			" AND i.date BETWEEN ?2 AND ?3 ORDER BY i.date, i.id");
		ct_store_bind_static(q, 1, norm);
		ct_db_bind_int64(q, 2, it->date - 60);
		ct_db_bind_int64(q, 3, it->date + window);
		while (ct_db_step(q) == CT_DB_ROW)
			if (shares_participant(ct_db_column_text(q, 1), &needles))
				push(&c, ct_db_column_int64(q, 0), "subject+participants",
				     ct_xstrfmt("earlier reply with the same subject and participant"));
		ct_db_reset(q);
	}

	const char *reason = "new";
	const char *detail = NULL;
	if (c.n == 0) {
		/* PostgreSQL: numbered here and queued (see ct_store_new_id). */
		int queued = ct_db_kind(st->db) == CT_DB_POSTGRES && st->in_tx;
		if (queued) {
			if (ct_store_new_id(st, CT_IDS_CASES, &target))
				goto out;
			q = ct_store_stmt(st, ST_THREAD_NEW_CASE_ID,
				"INSERT INTO cases(subject, opened_at, last_activity_at, follow_up_of, id)"
				" VALUES (?, ?, ?, ?, ?)");
			ct_db_bind_int64(q, 5, target);
		} else {
			q = ct_store_stmt(st, ST_THREAD_NEW_CASE,
				"INSERT INTO cases(subject, opened_at, last_activity_at, follow_up_of) VALUES (?, ?, ?, ?)"
				" RETURNING id");
		}
		ct_store_bind_text(q, 1, it->kind == CT_ITEM_EMAIL || !it->ticket_subject
				   ? it->subject : it->ticket_subject);
		ct_db_bind_int64(q, 2, it->date);
		ct_db_bind_int64(q, 3, it->date);
		if (follow_of) {
			ct_db_bind_int64(q, 4, follow_of);
			reason = "follow-up";
			detail = follow_detail;
		}
		if (queued ? ct_db_queue(q) != 0 : ct_db_step(q) != CT_DB_ROW) {
			ct_store_sqlerr(st, "creating a case");
			goto out;
		}
		if (!queued)
			target = ct_db_column_int64(q, 0);
		ct_db_reset(q);
	} else {
		size_t best = 0;
		for (size_t i = 1; i < c.n; i++)
			if (c.v[i].case_id < c.v[best].case_id)
				best = i;
		target = c.v[best].case_id;
		reason = c.v[0].reason;
		detail = c.v[0].detail;
	}
	plan->case_id = target;
	plan->norm = norm;
	plan->outside = outside;
	plan->reason = reason;
	plan->detail = detail ? ct_strdup(detail) : NULL;
	plan->merges = c.v;      /* the other cases: merged once the item has an id */
	plan->nmerges = c.n;
	c.v = NULL;
	c.n = 0;
	ret = 0;
out:
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].detail);
	free(c.v);
	ct_strlist_clear(&needles);
	ct_strlist_clear(&looked);
	free(follow_detail);
	return ret;
}

/*
 * The same question the other way round, for mail read out of time order:
 * a later reply by subject alone, stored before this item's case was, that
 * found no thread and came more than close_after (and the join window)
 * after this case's last activity before it, follows this case up. Only
 * the earliest such reply is linked. 0 or -1.
 */
static int link_later_follow_up(struct ct_store *st, const struct ct_item *it, const struct ct_thread_plan *plan)
{
	struct ct_strlist needles = CT_STRLIST_INIT;
	ct_time window = (ct_time)st->opt.thread_window_days * 86400;
	ct_time close_after = (ct_time)(st->opt.close_after_days > 0 ? st->opt.close_after_days : 30) * 86400;
	ct_time gap = window > close_after ? window : close_after;
	int64_t reply_id = 0, reply_case = 0;
	ct_time reply_date = 0;
	int rc;
	if (!plan->norm || !*plan->norm || !plan->outside || !plan->outside->n ||
	    ct_pf_no_later_new(st, plan->norm, it->date + gap))
		return 0;
	participant_needles(plan->outside, &needles);
	struct ct_db_stmt *q = ct_store_stmt(st, ST_THREAD_LATER_REPLIES,
		"SELECT i.id, i.case_id, i.participants, i.date FROM items i JOIN cases c ON c.id = i.case_id"
		" WHERE i.subject_norm = ?1 AND i.is_reply = 1 AND i.link_reason = 'new' AND i.date > ?2"
		" AND i.case_id <> ?3 AND c.follow_up_of IS NULL ORDER BY i.date, i.id LIMIT 50");
	ct_store_bind_static(q, 1, plan->norm);
	ct_db_bind_int64(q, 2, it->date + gap);
	ct_db_bind_int64(q, 3, plan->case_id);
	while ((rc = ct_db_step(q)) == CT_DB_ROW) {
		if (!shares_participant(ct_db_column_text(q, 2), &needles))
			continue;
		reply_id = ct_db_column_int64(q, 0);
		reply_case = ct_db_column_int64(q, 1);
		reply_date = ct_db_column_int64(q, 3);
		break;
	}
	ct_db_reset(q);
	ct_strlist_clear(&needles);
	if (rc != CT_DB_ROW && rc != CT_DB_DONE)
		return ct_store_sqlerr(st, "looking for later follow-ups");
	if (!reply_id)
		return 0;
	ct_time prev = last_before(st, plan->case_id, reply_date);
	if (!prev || reply_date - prev <= gap)
		return 0;
	char *detail = ct_xstrfmt("follows up case %lld, quiet for %lld days: same subject and participant as %s",
				  (long long)plan->case_id, (long long)((reply_date - prev) / 86400),
				  it->external_id ? it->external_id : "?");
	struct ct_db_stmt *u;
	int ok = 0;
	if (!ct_db_prepare(st->db, "UPDATE cases SET follow_up_of = ?2 WHERE id = ?1", &u)) {
		ct_db_bind_int64(u, 1, reply_case);
		ct_db_bind_int64(u, 2, plan->case_id);
		ok = ct_db_step(u) == CT_DB_DONE;
		ct_db_finalize(u);
	}
	if (ok && !ct_db_prepare(st->db, "UPDATE items SET link_reason = 'follow-up', link_detail = ?2 WHERE id = ?1", &u)) {
		ct_db_bind_int64(u, 1, reply_id);
		ct_store_bind_text(u, 2, detail);
		ok = ct_db_step(u) == CT_DB_DONE;
		ct_db_finalize(u);
	} else {
		ok = 0;
	}
	free(detail);
	return ok ? 0 : ct_store_sqlerr(st, "linking a follow-up");
}

/* Merges the other cases the stored item linked into its case. */
int ct_store_thread_apply(struct ct_store *st, int64_t item_id, const struct ct_item *it,
			  const struct ct_thread_plan *plan)
{
	for (size_t i = 0; i < plan->nmerges; i++) {
		const struct cand *m = &plan->merges[i];
		if (m->case_id == plan->case_id)
			continue;
		if (ct_store_merge_case(st, m->case_id, plan->case_id, item_id, m->reason, m->detail, it->date))
			return -1;
	}
	if (it->kind == CT_ITEM_EMAIL && link_later_follow_up(st, it, plan))
		return -1;
	ct_store_mark_dirty(st, plan->case_id);
	return 0;
}

void ct_store_thread_plan_release(struct ct_thread_plan *plan)
{
	for (size_t i = 0; i < plan->nmerges; i++)
		free(plan->merges[i].detail);
	free(plan->merges);
	free(plan->detail);
	memset(plan, 0, sizeof(*plan));
}
