/*
 * migrate.c - the SQLite schema and its migrations. PRAGMA user_version is
 * the number of migrations applied; each runs in its own transaction, so a
 * store is always at a known version.
 */
#include "store_p.h"

#include <string.h>

/*
 * Version 1. Times are seconds since the epoch (UTC). Address lists are
 * stored as ", "-joined lower-case addresses for display; item_addrs holds
 * them one per row for joins.
 */
static const char *const migration_1 =
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  customer TEXT,"                       /* first customer address seen */
	"  opened_at INTEGER,"
	"  last_activity_at INTEGER,"
	"  last_role INTEGER NOT NULL DEFAULT 0," /* role of the last item's sender */
	"  closed_at INTEGER,"                   /* set when a ticket of the case is solved/closed */
	"  trail TEXT NOT NULL DEFAULT '[]',"     /* JSON array of departments, routing order */
	"  first_department TEXT,"
	"  last_department TEXT,"
	"  handoffs INTEGER NOT NULL DEFAULT 0,"
	"  ping_pong INTEGER NOT NULL DEFAULT 0,"
	"  item_count INTEGER NOT NULL DEFAULT 0,"
	"  merged_into INTEGER REFERENCES cases(id)" /* non-NULL: this case was merged away */
	");"
	"CREATE INDEX cases_opened ON cases(opened_at);"
	"CREATE INDEX cases_activity ON cases(last_activity_at);"
	"CREATE INDEX cases_merged ON cases(merged_into);"
	"CREATE TABLE items ("
	"  id INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL,"               /* 0 email, 1 ticket comment, 2 ticket move */
	"  external_id TEXT NOT NULL UNIQUE,"
	"  message_id TEXT,"
	"  in_reply_to TEXT,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  subject_norm TEXT NOT NULL DEFAULT '',"
	"  from_addr TEXT NOT NULL DEFAULT '',"
	"  from_name TEXT,"
	"  role INTEGER NOT NULL DEFAULT 0,"     /* 1 customer, 2 staff */
	"  to_addrs TEXT NOT NULL DEFAULT '',"
	"  cc_addrs TEXT NOT NULL DEFAULT '',"
	"  date INTEGER NOT NULL,"
	"  date_from_file INTEGER NOT NULL DEFAULT 0,"
	"  body TEXT NOT NULL DEFAULT '',"
	"  body_from_html INTEGER NOT NULL DEFAULT 0,"
	"  department TEXT,"
	"  ticket_system TEXT,"
	"  ticket_id TEXT,"
	"  ticket_group TEXT,"
	"  ticket_group_from TEXT,"
	"  ticket_status TEXT,"
	"  ticket_public INTEGER,"
	"  observed INTEGER NOT NULL DEFAULT 0,"
	"  raw_size INTEGER NOT NULL DEFAULT 0,"
	"  warnings TEXT,"                       /* newline-separated, NULL when clean */
	"  rules_hash TEXT,"                     /* rule set that tagged it; NULL = not classified */
	"  is_reply INTEGER NOT NULL DEFAULT 0,"  /* subject had a reply/forward prefix or dangling references */
	"  participants TEXT NOT NULL DEFAULT '',"  /* " a@x b@y ": addresses outside the organisation */
	/* why it is in its case: new, in-reply-to, references, forward, same-as, ticket,
	   ticket-ref, subject+participants or child; link_detail names the linked item */
	"  link_reason TEXT,"
	"  link_detail TEXT,"
	"  case_id INTEGER REFERENCES cases(id)"
	");"
	"CREATE INDEX items_message_id ON items(message_id);"
	"CREATE INDEX items_case ON items(case_id, date);"
	"CREATE INDEX items_subject ON items(subject_norm, date);"
	"CREATE INDEX items_ticket ON items(ticket_id, ticket_system);"
	/* message ids an item points at: references, in-reply-to, forwards, same-as */
	"CREATE TABLE item_refs ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  ref TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"                  /* in-reply-to | references | forward | same-as | ticket */
	"  PRIMARY KEY (item_id, ref, kind)"
	") WITHOUT ROWID;"
	"CREATE INDEX item_refs_ref ON item_refs(ref);"
	/* every mailbox/source an item was found in */
	"CREATE TABLE item_mailboxes ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  source TEXT NOT NULL,"
	"  department TEXT NOT NULL DEFAULT '',"
	"  copies INTEGER NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (item_id, source, department)"
	") WITHOUT ROWID;"
	"CREATE TABLE forwards ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  n INTEGER NOT NULL,"
	"  message_id TEXT, subject TEXT, from_addr TEXT, date INTEGER, body TEXT,"
	"  PRIMARY KEY (item_id, n)"
	");"
	"CREATE TABLE attachments ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  n INTEGER NOT NULL,"
	"  name TEXT, type TEXT, size INTEGER,"
	"  PRIMARY KEY (item_id, n)"
	");"
	"CREATE TABLE tags ("
	"  id INTEGER PRIMARY KEY,"
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  category TEXT NOT NULL,"
	"  rule_id TEXT NOT NULL,"
	"  span_start INTEGER NOT NULL,"         /* byte offsets into items.body */
	"  span_end INTEGER NOT NULL,"
	"  snippet TEXT NOT NULL"
	");"
	"CREATE INDEX tags_item ON tags(item_id);"
	"CREATE INDEX tags_category ON tags(category, item_id);"
	"CREATE TABLE case_merges ("
	"  id INTEGER PRIMARY KEY,"
	"  from_case INTEGER NOT NULL REFERENCES cases(id),"
	"  into_case INTEGER NOT NULL REFERENCES cases(id),"
	"  item_id INTEGER REFERENCES items(id),"
	"  reason TEXT NOT NULL,"
	"  detail TEXT,"
	"  at INTEGER NOT NULL"
	");"
	"CREATE INDEX case_merges_into ON case_merges(into_case);"
	"CREATE TABLE routing_events ("
	"  id INTEGER PRIMARY KEY,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  seq INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  from_department TEXT NOT NULL,"
	"  to_department TEXT NOT NULL,"
	"  via TEXT NOT NULL,"                   /* email | ticket */
	"  actor TEXT,"
	"  item_id INTEGER REFERENCES items(id),"
	"  observed INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX routing_case ON routing_events(case_id, seq);"
	"CREATE INDEX routing_at ON routing_events(at);"
	"CREATE TABLE seen ("
	"  source TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  item_id INTEGER,"
	"  PRIMARY KEY (source, key)"
	") WITHOUT ROWID;"
	"CREATE TABLE cursors ("
	"  source TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (source, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  started_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  new_items INTEGER, seen_items INTEGER, warnings INTEGER, failed INTEGER, cases_touched INTEGER,"
	"  pid INTEGER"
	");";

/*
 * Version 2: mail items (most of a store) have no ticket id; keeping them
 * out of the ticket index spares an index insert per message. Lookups by
 * ticket id (ticket_id = ?) still use it.
 */
static const char migration_2[] =
	"DROP INDEX items_ticket;"
	"CREATE INDEX items_ticket ON items(ticket_id, ticket_system) WHERE ticket_id IS NOT NULL;";

/*
 * Version 3: case states and manual decisions. A case's closed_at now has a
 * reason (ticket-closed or manual; inactive is worked out when read, against
 * [cases] close_after); reopened_at is a manual reopen; follow_up_of links a
 * case opened by a mail that joined a quiet case by subject alone. decisions
 * holds what people decided (tag dismiss/confirm, case close/reopen/merge/
 * split, an item's department): who, when, why. Decisions name items by
 * external id, so they hold however cases are renumbered, and are applied
 * again after every ingest, classify and recompute. meta 'config_hash' is the
 * hash of the configuration that set departments and roles.
 */
static const char migration_3[] =
	"ALTER TABLE cases ADD COLUMN close_reason TEXT;"      /* ticket-closed | manual, with closed_at */
	"ALTER TABLE cases ADD COLUMN reopened_at INTEGER;"
	"ALTER TABLE cases ADD COLUMN follow_up_of INTEGER REFERENCES cases(id);"
	"CREATE TABLE decisions ("
	"  id INTEGER PRIMARY KEY,"
	/* tag-dismiss | tag-confirm | case-close | case-reopen | case-merge | case-split | item-department */
	"  action TEXT NOT NULL,"
	"  item TEXT NOT NULL,"                 /* external id: the item, or an item of the case */
	"  category TEXT,"                      /* tag-*: the tag */
	"  items TEXT,"                         /* case-merge, case-split: JSON array of external ids */
	"  value TEXT,"                         /* item-department: the department; case-split: the case made */
	"  decided_by TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  reason TEXT"
	");"
	"CREATE INDEX decisions_item ON decisions(item);";

/*
 * Version 4: the promise ledger. items.date_tz keeps the Date header's
 * offset (minutes east of UTC; NULL for items stored before, and for
 * helpdesk comments, read as UTC). A promise is one sentence of a staff
 * item (item_id, sentence_start), so its id survives a re-classification
 * that finds it again; promise_decisions hold the manual verdicts under the
 * same key, apart from the promises a rule change may drop and bring back.
 * promise_kept marks what keeps a promise (staff: done; customer: works).
 */
static const char migration_4[] =
	"ALTER TABLE items ADD COLUMN date_tz INTEGER;"
	"CREATE TABLE promises ("
	"  id INTEGER PRIMARY KEY,"
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  sentence_start INTEGER NOT NULL,"
	"  rule_id TEXT NOT NULL,"
	"  span_start INTEGER NOT NULL,"
	"  span_end INTEGER NOT NULL,"
	"  sentence TEXT NOT NULL,"
	"  due_at INTEGER NOT NULL,"
	"  stale INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (item_id, sentence_start)"
	");"
	"CREATE TABLE promise_kept ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  rule_id TEXT NOT NULL,"
	"  span_start INTEGER NOT NULL,"
	"  span_end INTEGER NOT NULL,"
	"  snippet TEXT NOT NULL,"
	"  PRIMARY KEY (item_id, rule_id)"
	") WITHOUT ROWID;"
	"CREATE TABLE promise_decisions ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  sentence_start INTEGER NOT NULL,"
	"  verdict TEXT NOT NULL,"                /* kept | broken | dropped */
	"  reason TEXT,"
	"  decided_by TEXT,"
	"  decided_at INTEGER NOT NULL,"
	"  PRIMARY KEY (item_id, sentence_start)"
	") WITHOUT ROWID;";

static const char *const migrations[] = { migration_1, migration_2, migration_3, migration_4 };

int ct_store_schema_latest(void)
{
	return (int)CT_ARRAY_SIZE(migrations);
}

int ct_store_check_version(struct ct_store *st, int version)
{
	if (version <= ct_store_schema_latest())
		return 0;
	ct_error("store '%s' has schema version %d, newer than this casetrail knows (1 to %d)",
		 st->path, version, ct_store_schema_latest());
	ct_hint("a newer casetrail wrote it: use that version or a later one for this store");
	return -1;
}

int ct_store_migrate(struct ct_store *st)
{
	int version = 0;
	if (ct_db_schema_version(st->db, &version))
		return ct_store_sqlerr(st, "reading the schema version");
	if (ct_store_check_version(st, version))
		return -1;
	while (version < (int)CT_ARRAY_SIZE(migrations)) {
		int v = version;
		if (ct_db_begin(st->db))
			goto fail;
		/*
		 * Several processes may open a new PostgreSQL store at once: one
		 * migrates at a time, and the others find its work done.
		 */
		if (ct_db_kind(st->db) == CT_DB_POSTGRES &&
		    (ct_db_exec(st->db, "SELECT pg_advisory_xact_lock(7261626)") ||
		     ct_db_schema_version(st->db, &v)))
			goto fail;
		if (v > version) {
			if (ct_db_commit(st->db))
				goto fail;
			version = v;
			if (ct_store_check_version(st, version))
				return -1;
			continue;
		}
		if (ct_db_exec(st->db, migrations[v]) || ct_db_set_schema_version(st->db, v + 1) ||
		    ct_db_commit(st->db))
			goto fail;
		version = v + 1;
		continue;
	fail:
		ct_error("store '%s': migration to version %d failed: %s", st->path, version + 1,
			 ct_db_errmsg(st->db));
		ct_db_rollback(st->db);
		return -1;
	}
	st->version = version;
	return 0;
}
