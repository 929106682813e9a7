/*
 * test_store.c - threading (header links, broken References, same subject
 * with other people, forwards), dedupe, routing history and ping-pong, on a
 * real SQLite store in a temp file.
 */
#include "unit.h"
#include "../../ingest/ingest.h"
#include "../../store/store.h"
#include "../../store/store_p.h"

#include <unistd.h>

static struct ct_store *st;
static char dbpath[64];

static int internal(const char *addr, void *data)
{
	return strstr(addr, "@corp.example") != NULL;
}

static int setup(void **state)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/ct-store-test-%d.db", (int)getpid());
	unlink(dbpath);
	struct ct_store_options opt = { .thread_window_days = 30, .is_internal = internal };
	assert_int_equal(ct_store_open(dbpath, 1, &opt, &st), 0);
	return 0;
}

static int teardown(void **state)
{
	ct_store_close(st);
	st = NULL;
	char p[80];
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s.lock", dbpath);
	unlink(p);
	return 0;
}

struct spec {
	const char *id, *irt, *refs, *subject, *from, *to, *cc, *dept;
	int day;  /* days after 2024-03-01 */
	int hour;
};

/* Fills it (initialised here) with the mail s describes. */
static void fill(const struct spec *s, struct ct_item *it_out)
{
	struct ct_item it;
	ct_item_init(&it);
	it.kind = CT_ITEM_EMAIL;
	it.message_id = ct_strdup(s->id);
	it.external_id = ct_strdup(s->id);
	it.in_reply_to = ct_strdup(s->irt);
	if (s->refs)
		ct_strlist_split(&it.references, s->refs, ' ');
	it.subject = ct_strdup(s->subject);
	it.from.addr = ct_strdup(s->from);
	if (s->to)
		ct_addrlist_push(&it.to, NULL, s->to);
	if (s->cc)
		ct_addrlist_push(&it.cc, NULL, s->cc);
	it.date = ct_timegm(2024, 3, 1, 0, 0, 0) + s->day * 86400 + s->hour * 3600;
	it.body = ct_strdup("text");
	it.body_len = 4;
	it.department = ct_strdup(s->dept);
	it.mailbox_dept = ct_strdup(s->dept);
	it.source = ct_strdup("test");
	it.role = internal(s->from, NULL) ? CT_ROLE_STAFF : CT_ROLE_CUSTOMER;
	*it_out = it;
}

/* Stores one mail; returns its case id. */
static int64_t add(const struct spec *s)
{
	struct ct_item it;
	int64_t id;
	int is_new;
	fill(s, &it);
	assert_int_equal(ct_store_begin(st), 0);
	assert_int_equal(ct_store_add_item(st, &it, &id, &is_new), 0);
	assert_int_equal(ct_store_commit(st), 0);
	ct_item_free(&it);
	return ct_store_case_of(st, s->id);
}

/* The trail of a case as "A>B>C". */
static char *trail(int64_t case_id, int *handoffs, int *ping_pong)
{
	struct ct_case c;
	struct ct_buf b = CT_BUF_INIT;
	assert_int_equal(ct_store_get_case(st, case_id, &c), 0);
	for (size_t i = 0; i < c.departments.n; i++) {
		if (i)
			ct_buf_addch(&b, '>');
		ct_buf_addstr(&b, c.departments.v[i]);
	}
	if (handoffs)
		*handoffs = c.handoffs;
	if (ping_pong)
		*ping_pong = c.ping_pong;
	assert_int_equal((int)c.nrouting, c.handoffs);
	ct_case_release(&c);
	return ct_buf_detach(&b, NULL);
}

static void test_reply_joins_parent_by_in_reply_to(void **state)
{
	struct spec a = { "a@x", NULL, NULL, "Invoice wrong", "cust@acme.example", "billing@corp.example", NULL, "Billing", 1, 0 };
	struct spec b = { "b@x", "a@x", "a@x", "Re: Invoice wrong", "billing@corp.example", "cust@acme.example", NULL, "Billing", 1, 2 };
	int64_t ca = add(&a), cb = add(&b);
	assert_true(ca > 0);
	assert_int_equal(ca, cb);
}

static void test_child_before_parent_merges_into_one_case(void **state)
{
	struct spec b = { "b@x", "a@x", "a@x", "Re: Order", "support@corp.example", "cust@acme.example", NULL, "Support", 2, 0 };
	struct spec a = { "a@x", NULL, NULL, "Order", "cust@acme.example", "support@corp.example", NULL, "Support", 1, 0 };
	int64_t cb = add(&b), ca = add(&a);
	assert_int_equal(ca, cb);
	assert_int_equal(ct_store_count(st, "cases"), 1);
}

static void test_broken_references_join_by_subject_and_participant(void **state)
{
	struct spec a = { "a@x", NULL, NULL, "Login fails", "cust@acme.example", "support@corp.example", NULL, "Support", 1, 0 };
	/* the client lost the headers: no In-Reply-To; References point nowhere */
	struct spec b = { "b@x", NULL, "junk@nowhere", "RE: Login fails", "cust@acme.example", "support@corp.example", NULL, "Support", 3, 0 };
	struct spec c = { "c@x", NULL, NULL, "AW: Login fails", "cust@acme.example", "support@corp.example", NULL, "Support", 4, 0 };
	int64_t ca = add(&a);
	assert_int_equal(add(&b), ca);
	assert_int_equal(add(&c), ca);
}

static void test_reply_prefixes_of_every_language_join_by_subject(void **state)
{
	/* Dutch "Doorst:" (forward), Portuguese "Enc:", a CJK full-width colon: all replies. */
	struct spec a = { "a@x", NULL, NULL, "Refund missing", "cust@acme.example", "billing@corp.example", NULL, "Billing", 1, 0 };
	struct spec b = { "b@x", NULL, NULL, "Doorst: Refund missing", "cust@acme.example", "billing@corp.example", NULL, "Billing", 2, 0 };
	struct spec c = { "c@x", NULL, NULL, "Enc: Refund missing", "cust@acme.example", "billing@corp.example", NULL, "Billing", 3, 0 };
	struct spec d = { "d@x", NULL, NULL, "Re\xEF\xBC\x9A Refund missing", "cust@acme.example", "billing@corp.example", NULL, "Billing", 4, 0 };
	int64_t ca = add(&a);
	assert_int_equal(add(&b), ca);
	assert_int_equal(add(&c), ca);
	assert_int_equal(add(&d), ca);
}

static void test_same_subject_different_people_stay_apart(void **state)
{
	struct spec a = { "a@x", NULL, NULL, "Invoice question", "one@acme.example", "billing@corp.example", NULL, "Billing", 1, 0 };
	struct spec b = { "b@x", NULL, NULL, "Re: Invoice question", "two@other.example", "billing@corp.example", NULL, "Billing", 2, 0 };
	assert_int_not_equal(add(&a), add(&b));
}

static void test_subject_join_respects_the_window(void **state)
{
	struct spec a = { "a@x", NULL, NULL, "Contract", "one@acme.example", "sales@corp.example", NULL, "Sales", 1, 0 };
	struct spec b = { "b@x", NULL, NULL, "Re: Contract", "one@acme.example", "sales@corp.example", NULL, "Sales", 90, 0 };
	assert_int_not_equal(add(&a), add(&b));
}

static void test_new_thread_with_same_subject_is_not_a_reply(void **state)
{
	/* Without a reply prefix or references, a mail starts its own case. */
	struct spec a = { "a@x", NULL, NULL, "Question", "one@acme.example", "sales@corp.example", NULL, "Sales", 1, 0 };
	struct spec b = { "b@x", NULL, NULL, "Question", "one@acme.example", "sales@corp.example", NULL, "Sales", 5, 0 };
	assert_int_not_equal(add(&a), add(&b));
}

static void test_forward_to_another_department_is_a_handoff(void **state)
{
	struct spec a = { "a@x", NULL, NULL, "Refund", "cust@acme.example", "sales@corp.example", NULL, "Sales", 1, 0 };
	/* forwarded without References: joined by subject + the customer in Cc */
	struct spec b = { "b@x", NULL, NULL, "Fwd: Refund", "sales@corp.example", "billing@corp.example", "cust@acme.example", "Billing", 1, 3 };
	struct spec c = { "c@x", "b@x", "b@x", "Re: Fwd: Refund", "billing@corp.example", "cust@acme.example", NULL, "Billing", 2, 0 };
	int64_t ca = add(&a);
	assert_int_equal(add(&b), ca);
	assert_int_equal(add(&c), ca);
	int h, pp;
	char *t = trail(ca, &h, &pp);
	assert_str(t, "Sales>Billing");
	assert_int_equal(h, 1);
	assert_int_equal(pp, 0);
	free(t);
}

static void test_ping_pong_is_detected_and_routing_recorded(void **state)
{
	const struct spec s[] = {
		{ "1@x", NULL, NULL, "Help", "cust@acme.example", "sales@corp.example", NULL, "Sales", 1, 0 },
		{ "2@x", "1@x", "1@x", "Fwd: Help", "sales@corp.example", "billing@corp.example", NULL, "Billing", 1, 1 },
		{ "3@x", "2@x", "1@x 2@x", "Fwd: Help", "billing@corp.example", "support@corp.example", NULL, "Support", 2, 0 },
		{ "4@x", "3@x", "1@x 2@x 3@x", "Fwd: Help", "support@corp.example", "billing@corp.example", NULL, "Billing", 3, 0 },
		{ "5@x", "4@x", "1@x 2@x 3@x 4@x", "Re: Help", "billing@corp.example", "cust@acme.example", NULL, "Billing", 3, 5 },
	};
	int64_t c = 0;
	for (size_t i = 0; i < CT_ARRAY_SIZE(s); i++) {
		int64_t x = add(&s[i]);
		if (i)
			assert_int_equal(x, c);
		c = x;
	}
	int h, pp;
	char *t = trail(c, &h, &pp);
	assert_str(t, "Sales>Billing>Support>Billing");
	assert_int_equal(h, 3);
	assert_int_equal(pp, 1);
	free(t);
	struct ct_case cs;
	assert_int_equal(ct_store_get_case(st, c, &cs), 0);
	assert_str(cs.routing[1].from_department, "Billing");
	assert_str(cs.routing[1].to_department, "Support");
	assert_str(cs.routing[1].actor, "billing@corp.example");
	assert_str(cs.routing[1].via, "email");
	ct_case_release(&cs);
}

static void test_out_of_order_items_give_the_same_trail(void **state)
{
	/* The Billing mailbox is read before the Sales one. */
	struct spec b = { "b@x", "a@x", "a@x", "Fwd: Deal", "sales@corp.example", "billing@corp.example", NULL, "Billing", 2, 0 };
	struct spec a = { "a@x", NULL, NULL, "Deal", "cust@acme.example", "sales@corp.example", NULL, "Sales", 1, 0 };
	add(&b);
	int64_t c = add(&a);
	char *t = trail(c, NULL, NULL);
	assert_str(t, "Sales>Billing");
	free(t);
}

static void test_same_message_twice_is_stored_once(void **state)
{
	struct spec a = { "a@x", NULL, NULL, "Dup", "cust@acme.example", "billing@corp.example", "support@corp.example", "Billing", 1, 0 };
	add(&a);
	struct spec again = a;
	again.dept = "Support";
	add(&again);
	assert_int_equal(ct_store_count(st, "items"), 1);
	struct ct_case c;
	assert_int_equal(ct_store_get_case(st, ct_store_case_of(st, "a@x"), &c), 0);
	assert_int_equal((int)c.items[0].mailboxes.n, 2);
	ct_case_release(&c);
}

static void test_item_under_its_pre_sha256_content_id_is_found_again(void **state)
{
	const char *raw = "Subject: no id\nFrom: cust@acme.example\nTo: billing@corp.example\n"
			  "Date: Fri, 1 Mar 2024 10:00:00 +0000\n\ntext\n";
	int64_t id[2];
	int is_new[2];
	for (int run = 0; run < 2; run++) {
		struct ct_item it;
		ct_item_init(&it);
		assert_int_equal(ct_mime_parse(raw, strlen(raw), 0, &it), 0);
		assert_non_null(it.legacy_external_id);
		if (run == 0) {
			/* stored by an older casetrail: under the FNV id, "hash:..." */
			free(it.external_id);
			it.external_id = it.legacy_external_id;
			it.legacy_external_id = NULL;
		}
		it.department = ct_strdup("Billing");
		it.mailbox_dept = ct_strdup("Billing");
		it.source = ct_strdup("test");
		it.role = CT_ROLE_CUSTOMER;
		assert_int_equal(ct_store_begin(st), 0);
		assert_int_equal(ct_store_add_item(st, &it, &id[run], &is_new[run]), 0);
		assert_int_equal(ct_store_commit(st), 0);
		ct_item_free(&it);
	}
	assert_int_equal(is_new[0], 1);
	assert_int_equal(is_new[1], 0);
	assert_int_equal(id[1], id[0]);
	assert_int_equal(ct_store_count(st, "items"), 1);
}

static void test_two_threads_joined_by_a_later_mail_are_merged(void **state)
{
	struct spec a = { "a@x", NULL, NULL, "One", "cust@acme.example", "sales@corp.example", NULL, "Sales", 1, 0 };
	struct spec b = { "b@x", NULL, NULL, "Two", "cust@acme.example", "billing@corp.example", NULL, "Billing", 1, 1 };
	struct spec c = { "c@x", "b@x", "a@x b@x", "Re: Two", "billing@corp.example", "cust@acme.example", NULL, "Billing", 2, 0 };
	int64_t ca = add(&a), cb = add(&b);
	assert_int_not_equal(ca, cb);
	int64_t cc = add(&c);
	assert_int_equal(ct_store_case_of(st, "a@x"), cc);
	assert_int_equal(ct_store_case_of(st, "b@x"), cc);
	struct ct_case cs;
	assert_int_equal(ct_store_get_case(st, cc, &cs), 0);
	assert_int_equal((int)cs.nmerges, 1);
	assert_non_null(cs.merges[0].reason);
	ct_case_release(&cs);
}

static void test_seen_keys_and_cursors_commit_with_items(void **state)
{
	assert_int_equal(ct_store_begin(st), 0);
	assert_int_equal(ct_store_mark_seen(st, "src", "k1", 0), 0);
	assert_int_equal(ct_store_set_cursor(st, "src", "INBOX:last_uid", "42"), 0);
	assert_int_equal(ct_store_rollback(st), 0);
	assert_int_equal(ct_store_seen(st, "src", "k1"), 0);
	assert_null(ct_store_get_cursor(st, "src", "INBOX:last_uid"));
	assert_int_equal(ct_store_begin(st), 0);
	assert_int_equal(ct_store_mark_seen(st, "src", "k1", 0), 0);
	assert_int_equal(ct_store_set_cursor(st, "src", "INBOX:last_uid", "42"), 0);
	assert_int_equal(ct_store_commit(st), 0);
	assert_int_equal(ct_store_seen(st, "src", "k1"), 1);
	char *v = ct_store_get_cursor(st, "src", "INBOX:last_uid");
	assert_str(v, "42");
	free(v);
}

/* Stores one ticket event; returns its case id. */
static int64_t add_ticket(const char *ext, int kind, const char *ticket, const char *group,
			  const char *from_group, const char *dept, const char *msgid, const char *from,
			  int day, int hour)
{
	struct ct_item it;
	int64_t id;
	int is_new;
	ct_item_init(&it);
	it.kind = kind;
	it.external_id = ct_strdup(ext);
	it.message_id = ct_strdup(msgid);
	it.subject = ct_strdup("Charged twice");
	it.ticket_subject = ct_strdup("Charged twice");
	it.from.addr = ct_strdup(from);
	it.requester = ct_strdup("cust@acme.example");
	it.date = ct_timegm(2024, 3, 1, 0, 0, 0) + day * 86400 + hour * 3600;
	it.body = ct_strdup(kind == CT_ITEM_TICKET_MOVE ? "" : "text");
	it.body_len = strlen(it.body);
	it.ticket_system = ct_strdup("zendesk");
	it.ticket_id = ct_strdup(ticket);
	it.ticket_group = ct_strdup(group);
	it.ticket_group_from = ct_strdup(from_group);
	it.department = ct_strdup(dept);
	it.source = ct_strdup("helpdesk");
	it.role = internal(from, NULL) ? CT_ROLE_STAFF : CT_ROLE_CUSTOMER;
	assert_int_equal(ct_store_begin(st), 0);
	assert_int_equal(ct_store_add_item(st, &it, &id, &is_new), 0);
	assert_int_equal(ct_store_commit(st), 0);
	ct_item_free(&it);
	return ct_store_case_of(st, ext);
}

static void test_ticket_made_from_a_mail_joins_the_mail_case(void **state)
{
	struct spec m = { "mail1@acme", NULL, NULL, "Charged twice", "cust@acme.example", "support@corp.example", NULL, "Support", 1, 0 };
	int64_t cm = add(&m);
	/* the helpdesk copy: same Message-ID */
	int64_t ct = add_ticket("zendesk:4100#1", CT_ITEM_TICKET, "4100", "Support", NULL, "Support",
				"mail1@acme", "cust@acme.example", 1, 1);
	assert_int_equal(cm, ct);
	/* the ticket moves to Billing: a routing event via ticket */
	assert_int_equal(add_ticket("zendesk:4100#move-7", CT_ITEM_TICKET_MOVE, "4100", "Billing",
				    "Support", "Billing", NULL, "agent@corp.example", 2, 0), cm);
	/* a later comment on the ticket stays in the case */
	assert_int_equal(add_ticket("zendesk:4100#2", CT_ITEM_TICKET, "4100", "Billing", NULL, "Billing",
				    NULL, "billing@corp.example", 2, 3), cm);
	/* a mail mentioning [#4100] joins it too */
	struct spec r = { "mail2@acme", NULL, NULL, "Still waiting [#4100]", "cust@acme.example", "billing@corp.example", NULL, "Billing", 4, 0 };
	struct ct_item it;
	int64_t id;
	int is_new;
	ct_item_init(&it);
	it.kind = CT_ITEM_EMAIL;
	it.external_id = ct_strdup(r.id);
	it.message_id = ct_strdup(r.id);
	it.subject = ct_strdup(r.subject);
	it.from.addr = ct_strdup(r.from);
	ct_addrlist_push(&it.to, NULL, r.to);
	it.date = ct_timegm(2024, 3, 5, 0, 0, 0);
	it.body = ct_strdup("x");
	it.body_len = 1;
	it.department = ct_strdup("Billing");
	ct_strlist_push(&it.ticket_refs, "4100");
	assert_int_equal(ct_store_begin(st), 0);
	assert_int_equal(ct_store_add_item(st, &it, &id, &is_new), 0);
	assert_int_equal(ct_store_commit(st), 0);
	ct_item_free(&it);
	assert_int_equal(ct_store_case_of(st, "mail2@acme"), cm);
	struct ct_case c;
	assert_int_equal(ct_store_get_case(st, cm, &c), 0);
	assert_int_equal((int)c.nrouting, 1);
	assert_str(c.routing[0].via, "ticket");
	assert_str(c.routing[0].from_department, "Support");
	assert_str(c.routing[0].to_department, "Billing");
	assert_str(c.routing[0].actor, "agent@corp.example");
	ct_case_release(&c);
}

static void test_ticket_ref_before_the_ticket_is_joined_later(void **state)
{
	struct ct_item it;
	int64_t id;
	int is_new;
	ct_item_init(&it);
	it.kind = CT_ITEM_EMAIL;
	it.external_id = ct_strdup("early@acme");
	it.message_id = ct_strdup("early@acme");
	it.subject = ct_strdup("About [#4200]");
	it.from.addr = ct_strdup("other@acme.example");
	it.date = ct_timegm(2024, 3, 10, 0, 0, 0);
	it.body = ct_strdup("x");
	it.body_len = 1;
	ct_strlist_push(&it.ticket_refs, "4200");
	assert_int_equal(ct_store_begin(st), 0);
	assert_int_equal(ct_store_add_item(st, &it, &id, &is_new), 0);
	assert_int_equal(ct_store_commit(st), 0);
	ct_item_free(&it);
	int64_t c = add_ticket("zendesk:4200#1", CT_ITEM_TICKET, "4200", "Support", NULL, "Support", NULL,
			       "cust@acme.example", 9, 0);
	assert_int_equal(ct_store_case_of(st, "early@acme"), c);
}

/*
 * A References header of 160,000 ids (a crafted mail took 24 s, each id
 * checked against all those before it): the root and the nearest
 * ancestors link the item, the rest neither is looked up nor stored.
 */
static void test_huge_references_link_by_root_and_nearest_ancestors(void **state)
{
	enum { N = 160000 };
	struct ct_buf refs = CT_BUF_INIT;
	for (int i = 0; i < N; i++)
		ct_buf_addf(&refs, "%sid%d@x", i ? " " : "", i);
	struct spec root = { "id0@x", NULL, NULL, "Refund", "cust@acme.example", "support@corp.example", NULL, "Support", 1, 0 };
	struct spec parent = { "id159999@x", NULL, NULL, "Other", "cust@acme.example", "billing@corp.example", NULL, "Billing", 1, 0 };
	struct spec mid = { "id80000@x", NULL, NULL, "Third", "cust@acme.example", "sales@corp.example", NULL, "Sales", 1, 0 };
	struct spec big = { "big@x", NULL, refs.buf, "Re: Refund", "cust@acme.example", "support@corp.example", NULL, "Support", 2, 0 };
	int64_t croot = add(&root), cparent = add(&parent), cmid = add(&mid);
	assert_true(croot != cparent);
	int64_t cbig = add(&big);
	/* both linked cases merge into one; the id in the middle links nothing */
	assert_int_equal(ct_store_case_of(st, "id0@x"), cbig);
	assert_int_equal(ct_store_case_of(st, "id159999@x"), cbig);
	assert_int_equal(ct_store_case_of(st, "id80000@x"), cmid);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(ct_db_sqlite(st->db), "SELECT count(*) FROM item_refs", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	long long rows = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rows != CT_STORE_REFS_MAX + 1)
		print_error("got %lld link rows, want %d\n", rows, CT_STORE_REFS_MAX + 1);
	assert_int_equal(rows, CT_STORE_REFS_MAX + 1);
	ct_buf_release(&refs);
}

static void test_rolled_back_batch_touches_no_case(void **state)
{
	struct spec a = { "<rb-1@x>", NULL, NULL, "Rolled back", "c@cust.example", "support@corp.example",
			  NULL, "Support", 1, 9 };
	struct ct_item it;
	int64_t id;
	int is_new;
	fill(&a, &it);
	assert_int_equal(ct_store_begin(st), 0);
	assert_int_equal(ct_store_add_item(st, &it, &id, &is_new), 0);
	assert_int_equal(is_new, 1);
	assert_int_equal(ct_store_rollback(st), 0);
	ct_item_free(&it);
	assert_int_equal(ct_store_count(st, "items"), 0);
	/* the run summary's "cases touched" counts committed work only */
	assert_int_equal((int)ct_store_cases_touched(st), 0);
	add(&a);
	assert_int_equal((int)ct_store_cases_touched(st), 1);
	/* a rollback with nothing open (SQLite already undid it) is not an error */
	assert_int_equal(ct_store_rollback(st), 0);
}

static int no_problem(const char *problem, void *data)
{
	print_error("got problem '%s', want none\n", problem);
	(*(int *)data)++;
	return 0;
}

static void test_store_check_passes_a_sound_store(void **state)
{
	struct spec a = { "<ok-1@x>", NULL, NULL, "Sound", "c@cust.example", "support@corp.example",
			  NULL, "Support", 1, 9 };
	int problems = 0;
	add(&a);
	assert_int_equal(ct_store_check(dbpath, NULL, no_problem, &problems), 0);
	assert_int_equal(problems, 0);
	assert_int_equal(ct_store_check_damage(st), 0);
}

static void test_store_from_a_newer_version_is_refused(void **state)
{
	struct ct_store *again = NULL;
	int problems = 0;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", ct_store_schema_latest() + 1);
	assert_int_equal(sqlite3_exec(ct_db_sqlite(st->db), sql, NULL, NULL, NULL), SQLITE_OK);
	ct_store_close(st);
	st = NULL;
	assert_int_equal(ct_store_open(dbpath, 0, NULL, &again), -1);
	assert_null(again);
	assert_int_equal(ct_store_open(dbpath, 1, NULL, &again), -1);
	assert_null(again);
	assert_int_equal(ct_store_check(dbpath, NULL, no_problem, &problems), -1);
	assert_int_equal(problems, 0);
}

/* The case state model: one table of situations, each with the state it must read. */
static void test_case_state_names_every_situation(void **state)
{
	const ct_time D = 86400, t = 1000 * D;
	static const struct {
		const char *what;
		ct_time opened, last;
		int last_role;
		ct_time closed;
		const char *reason;
		ct_time reopened;
		const char *want;
	} cases[] = {
		{ "customer wrote last, yesterday", 900, 999, CT_ROLE_CUSTOMER, 0, NULL, 0, "open (waiting on staff)" },
		{ "staff wrote last, yesterday", 900, 999, CT_ROLE_STAFF, 0, NULL, 0, "open (waiting on customer)" },
		{ "customer wrote last, 31 days ago", 900, 969, CT_ROLE_CUSTOMER, 0, NULL, 0, "closed (inactive)" },
		{ "staff wrote last, 31 days ago", 900, 969, CT_ROLE_STAFF, 0, NULL, 0, "closed (inactive)" },
		{ "quiet exactly 29 days", 900, 971, CT_ROLE_CUSTOMER, 0, NULL, 0, "open (waiting on staff)" },
		{ "ticket closed before t", 900, 990, CT_ROLE_STAFF, 990, "ticket-closed", 0, "closed (ticket-closed)" },
		{ "ticket closed after t", 900, 1005, CT_ROLE_STAFF, 1005, "ticket-closed", 0, "open (waiting on customer)" },
		{ "closed by hand", 900, 999, CT_ROLE_CUSTOMER, 999, "manual", 0, "closed (manual)" },
		{ "reopened 2 days ago after 40 quiet days", 900, 940, CT_ROLE_CUSTOMER, 0, NULL, 998,
		  "open (waiting on staff)" },
		{ "activity after t, quiet before", 900, 1010, CT_ROLE_CUSTOMER, 0, NULL, 0, "open (waiting on staff)" },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(cases); i++) {
		struct ct_case_state s;
		char got[48];
		ct_case_state_at(t, cases[i].opened * D, cases[i].last * D, cases[i].last_role,
				 cases[i].closed * D, cases[i].reason, cases[i].reopened * D, 30, &s);
		ct_case_state_label(&s, got);
		if (strcmp(got, cases[i].want))
			fail_msg("%s: got '%s', want '%s'", cases[i].what, got, cases[i].want);
		assert_int_equal(s.open, !strncmp(cases[i].want, "open", 4));
	}
	/* inactive closes close_after days after the last activity */
	struct ct_case_state s;
	ct_case_state_at(t, 900 * D, 950 * D, CT_ROLE_CUSTOMER, 0, NULL, 0, 10, &s);
	assert_int_equal(s.closed_at, 960 * D);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reply_joins_parent_by_in_reply_to),
		T(test_child_before_parent_merges_into_one_case),
		T(test_broken_references_join_by_subject_and_participant),
		T(test_reply_prefixes_of_every_language_join_by_subject),
		T(test_same_subject_different_people_stay_apart),
		T(test_item_under_its_pre_sha256_content_id_is_found_again),
		T(test_subject_join_respects_the_window),
		T(test_new_thread_with_same_subject_is_not_a_reply),
		T(test_forward_to_another_department_is_a_handoff),
		T(test_ping_pong_is_detected_and_routing_recorded),
		T(test_out_of_order_items_give_the_same_trail),
		T(test_same_message_twice_is_stored_once),
		T(test_two_threads_joined_by_a_later_mail_are_merged),
		T(test_seen_keys_and_cursors_commit_with_items),
		T(test_ticket_made_from_a_mail_joins_the_mail_case),
		T(test_ticket_ref_before_the_ticket_is_joined_later),
		T(test_huge_references_link_by_root_and_nearest_ancestors),
		T(test_rolled_back_batch_touches_no_case),
		T(test_store_check_passes_a_sound_store),
		T(test_store_from_a_newer_version_is_refused),
		cmocka_unit_test(test_case_state_names_every_situation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
