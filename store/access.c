/*
 * access.c - who sees what on a PostgreSQL store ('casetrail store grant',
 * 'store revoke' and 'store access'): PostgreSQL roles that read the store, each limited
 * by row-level security to the cases that touched its departments, or to
 * everything (an audit role).
 *
 * How it holds together:
 *
 *  - store_access(role, department) says what each role reads: one row
 *    per department, or one row with department NULL for a role that reads
 *    everything. The policies look their role up by current_user.
 *  - Every table of the store is readable by a granted role (SELECT, never
 *    a write), so the open-time schema check, which counts the tables a
 *    role can see, passes; row-level security decides which rows:
 *      cases             its trail (a JSON array of departments) names one
 *                        of the role's departments
 *      items, routing_events          through a visible case
 *      case_merges                    through its visible into_case
 *      tags, item_refs, item_mailboxes, forwards, attachments, promises,
 *      promise_kept, promise_decisions              through a visible item
 *      decisions                      through a visible item (external id)
 *      seen, cursors, runs            only the roles that read everything
 *      store_access                   the role's own rows
 *      meta, schema_version           no row-level security
 *    A policy's subquery is itself filtered by the policies of the table it
 *    reads, so items need not repeat the trail test; and the cases policy
 *    reads only cases.trail and store_access, so no policy leads back to
 *    itself (PostgreSQL refuses recursive policies).
 *  - The tables' owner (the ingest role that created them) bypasses
 *    row-level security, as PostgreSQL does unless a table FORCEs it, so
 *    ingest, classify and the owner's reports see everything as before.
 *
 * A table added by a later migration must be added to the list below
 * (the integration test t29 fails on a table that has neither row-level
 * security nor a place in the open list), and a changed policy bumps
 * POLICY_VERSION, so the next grant replaces the store's policies.
 *
 * The SQL runs through ct_db_exec, which translates the neutral dialect
 * (db.h): it must contain no '?', no ORDER BY, no INSERT OR, and no TEXT
 * or INTEGER word in a CREATE or ALTER other than column types.
 */
#include "store_p.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* What a role reads everything by: a store_access row without department. */
#define READS_ALL \
	"EXISTS (SELECT 1 FROM store_access a WHERE a.role = current_user AND a.department IS NULL)"

struct policy {
	const char *table;
	const char *using;   /* NULL: no row-level security (readable as it is) */
};

static const struct policy policies[] = {
	/*
	 * jsonb_exists_any is the ?| operator, which the translation would take
	 * for a parameter; the role's departments are read once per query (an
	 * uncorrelated ARRAY), so a case costs one parse of its trail: 0.6 us
	 * against 3.5 us for a join of json_array_elements_text with store_access.
	 */
	{ "cases", READS_ALL " OR jsonb_exists_any(CAST(cases.trail AS jsonb), ARRAY(SELECT a.department"
		   " FROM store_access a WHERE a.role = current_user AND a.department IS NOT NULL))" },
	{ "items", READS_ALL " OR EXISTS (SELECT 1 FROM cases c WHERE c.id = items.case_id)" },
	{ "routing_events", READS_ALL " OR EXISTS (SELECT 1 FROM cases c WHERE c.id = routing_events.case_id)" },
	{ "case_merges", READS_ALL " OR EXISTS (SELECT 1 FROM cases c WHERE c.id = case_merges.into_case)" },
	{ "tags", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = tags.item_id)" },
	{ "item_refs", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = item_refs.item_id)" },
	{ "item_mailboxes", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = item_mailboxes.item_id)" },
	{ "forwards", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = forwards.item_id)" },
	{ "attachments", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = attachments.item_id)" },
	{ "promises", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = promises.item_id)" },
	{ "promise_kept", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = promise_kept.item_id)" },
	{ "promise_decisions", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.id = promise_decisions.item_id)" },
	{ "decisions", READS_ALL " OR EXISTS (SELECT 1 FROM items i WHERE i.external_id = decisions.item)" },
	{ "seen", READS_ALL },
	{ "cursors", READS_ALL },
	{ "runs", READS_ALL },
	{ "store_access", "store_access.role = current_user" },
	{ "meta", NULL },
	{ "schema_version", NULL },
};

#define POLICY_NAME "casetrail_read"
/*
 * The policies' version, in meta 'access_policies': a grant by a build
 * with other policies than the store has replaces them all. Bump it with
 * any change to the list above.
 */
#define POLICY_VERSION "1"

/* name as a PostgreSQL identifier: "name", inner quotes doubled. */
static void add_ident(struct ct_buf *b, const char *name)
{
	ct_buf_addch(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			ct_buf_addch(b, '"');
		ct_buf_addch(b, *p);
	}
	ct_buf_addch(b, '"');
}

static int run(struct ct_store *st, const char *sql, const char *what)
{
	if (ct_db_exec(st->db, sql))
		return ct_store_sqlerr(st, what);
	return 0;
}

static int run_buf(struct ct_store *st, struct ct_buf *b, const char *what)
{
	int rc = run(st, b->buf, what);
	b->len = 0;
	b->buf[0] = 0;
	return rc;
}

/*
 * One row of a query with text parameters (NULL ends them): *row 1 and
 * the first column's integer in *v (when v), or *row 0 for no row.
 */
static int query_int(struct ct_store *st, const char *sql, const char *what, int64_t *v, int *row, ...)
{
	struct ct_db_stmt *q;
	va_list ap;
	if (ct_db_prepare(st->db, sql, &q))
		return ct_store_sqlerr(st, what);
	va_start(ap, row);
	const char *s;
	for (int i = 1; (s = va_arg(ap, const char *)); i++)
		ct_db_bind_text(q, i, s);
	va_end(ap);
	int rc = ct_db_step(q);
	if (rc == CT_DB_ROW && v)
		*v = ct_db_column_int64(q, 0);
	ct_db_finalize(q);
	if (rc < 0)
		return ct_store_sqlerr(st, what);
	*row = rc == CT_DB_ROW;
	return 0;
}

/* Refuses a SQLite store, one that is not PostgreSQL's to protect. */
static int need_postgres(struct ct_store *st)
{
	if (ct_db_kind(st->db) == CT_DB_POSTGRES)
		return 0;
	ct_error("store '%s' is a SQLite file: access control needs a PostgreSQL store", st->path);
	ct_hint("a SQLite file is protected by its file permissions: whoever can read it reads "
		"every case");
	return -1;
}

static int check_role_name(const char *role)
{
	if (!*role || strlen(role) > 63) {
		ct_error("role name '%s': PostgreSQL role names have 1 to 63 bytes", role);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)role; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			ct_error("role name '%s' has a control character", role);
			return -1;
		}
	if (!strncmp(role, "pg_", 3)) {
		ct_error("role name '%s': names beginning with pg_ are PostgreSQL's own", role);
		return -1;
	}
	return 0;
}

/*
 * Only the tables' owner (or a superuser) may enable row-level security
 * and grant on them: say so before PostgreSQL's "must be owner of table".
 */
static int check_owner(struct ct_store *st)
{
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, "SELECT pg_get_userbyid(c.relowner), c.relowner = r.oid OR r.rolsuper"
			       " FROM pg_class c, pg_roles r WHERE c.oid = to_regclass('cases')"
			       " AND r.rolname = current_user", &q))
		return ct_store_sqlerr(st, "reading the store's owner");
	int rc = ct_db_step(q), ok = 0;
	char *owner = NULL;
	if (rc == CT_DB_ROW) {
		owner = ct_store_col_strdup(q, 0);
		const char *t = ct_db_column_text(q, 1);
		ok = t && (*t == 't' || *t == '1');
	}
	ct_db_finalize(q);
	if (rc < 0) {
		free(owner);
		return ct_store_sqlerr(st, "reading the store's owner");
	}
	if (rc != CT_DB_ROW) {
		free(owner);
		return ct_error("store '%s': its table 'cases' is missing", st->path);
	}
	if (!ok) {
		ct_error("store '%s': only the store's owner ('%s', the role that created its tables) "
			 "can grant and revoke access", st->path, owner);
		ct_hint("connect as '%s' (--db postgresql://%s@HOST/DB)", owner, owner);
		free(owner);
		return -1;
	}
	free(owner);
	return 0;
}

/*
 * store_access, row-level security and the policies, where missing
 * (idempotent), or all anew when they are another version's.
 */
static int setup_policies(struct ct_store *st)
{
	struct ct_buf b = CT_BUF_INIT;
	int ret = -1;
	char *version = ct_store_meta_get(st, "access_policies");
	int replace = version && strcmp(version, POLICY_VERSION);
	free(version);
	if (run(st, "CREATE TABLE IF NOT EXISTS store_access (role TEXT NOT NULL, department TEXT)",
		"creating store_access"))
		goto out;
	for (size_t i = 0; i < CT_ARRAY_SIZE(policies); i++) {
		const struct policy *p = &policies[i];
		int64_t rls = 0;
		int row = 0;
		if (!p->using)
			continue;
		if (query_int(st, "SELECT CAST(relrowsecurity AS INTEGER) FROM pg_class"
			      " WHERE oid = to_regclass(?)", "reading row-level security", &rls, &row,
			      p->table, (const char *)NULL))
			goto out;
		if (!row) {
			ct_error("store '%s': its table '%s' is missing", st->path, p->table);
			goto out;
		}
		if (!rls) {
			ct_buf_addf(&b, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY", p->table);
			if (run_buf(st, &b, "enabling row-level security"))
				goto out;
		}
		if (replace) {
			ct_buf_addf(&b, "DROP POLICY IF EXISTS " POLICY_NAME " ON %s", p->table);
			if (run_buf(st, &b, "replacing a row-level security policy"))
				goto out;
		}
		if (query_int(st, "SELECT 1 FROM pg_policies WHERE schemaname = current_schema()"
			      " AND tablename = ? AND policyname = ?", "reading the policies", NULL, &row,
			      p->table, POLICY_NAME, (const char *)NULL))
			goto out;
		if (!row) {
			ct_buf_addf(&b, "CREATE POLICY " POLICY_NAME " ON %s FOR SELECT USING (%s)",
				    p->table, p->using);
			if (run_buf(st, &b, "creating a row-level security policy"))
				goto out;
		}
	}
	ret = ct_store_meta_set(st, "access_policies", POLICY_VERSION);
out:
	ct_buf_release(&b);
	return ret;
}

/* SELECT, and nothing else, on every table of the store. */
static int grant_tables(struct ct_store *st, const char *role)
{
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addstr(&b, "REVOKE ALL ON ");
	for (size_t i = 0; i < CT_ARRAY_SIZE(policies); i++)
		ct_buf_addf(&b, "%s%s", i ? ", " : "", policies[i].table);
	ct_buf_addstr(&b, " FROM ");
	add_ident(&b, role);
	ct_buf_addstr(&b, "; GRANT SELECT ON ");
	for (size_t i = 0; i < CT_ARRAY_SIZE(policies); i++)
		ct_buf_addf(&b, "%s%s", i ? ", " : "", policies[i].table);
	ct_buf_addstr(&b, " TO ");
	add_ident(&b, role);
	int rc = run_buf(st, &b, "granting read access");
	ct_buf_release(&b);
	return rc;
}

/*
 * JIT off for a granted role (reset: back to the server's default).
 * Row-level security adds a subquery per row to the planner's estimates, so
 * a report that runs in 0.3 s crosses jit_above_cost and spends seconds
 * compiling (on 200,000 items: a month's complaint report 9.7 s with JIT,
 * 0.6 s without). Only the roles casetrail granted are concerned (the owner
 * bypasses the policies). The store's owner may lack the right to alter
 * the role (CREATEROLE, or ADMIN on it): then a savepoint keeps the grant
 * and 1 is returned for a warning.
 */
static int set_jit(struct ct_store *st, const char *role, int reset)
{
	struct ct_buf b = CT_BUF_INIT;
	int rc = 0;
	ct_buf_addstr(&b, "SAVEPOINT casetrail_jit; ALTER ROLE ");
	add_ident(&b, role);
	ct_buf_addstr(&b, reset ? " RESET jit" : " SET jit = off");
	if (ct_db_exec(st->db, b.buf)) {
		rc = 1;
		if (ct_db_exec(st->db, "ROLLBACK TO SAVEPOINT casetrail_jit"))
			rc = -1;
	} else if (ct_db_exec(st->db, "RELEASE SAVEPOINT casetrail_jit")) {
		rc = -1;
	}
	ct_buf_release(&b);
	return rc;
}

int ct_store_grant(struct ct_store *st, const struct ct_store_access *a, int *did)
{
	struct ct_buf b = CT_BUF_INIT;
	int64_t v = 0;
	int row = 0, ret = -1;
	*did = 0;
	if (need_postgres(st) || check_role_name(a->role))
		return -1;
	if (!a->all && !a->ndepartments)
		ct_bug("ct_store_grant without departments");
	if (ct_store_begin(st))
		return -1;
	if (check_owner(st))
		goto out;
	if (query_int(st, "SELECT 1 FROM pg_class WHERE oid = to_regclass('cases')"
		      " AND (pg_get_userbyid(relowner) = ?1 OR current_user = ?1)",
		      "reading the roles", NULL, &row, a->role, (const char *)NULL))
		goto out;
	if (row) {
		ct_error("role '%s' owns the store (or is this connection's role): it reads and "
			 "writes everything already", a->role);
		goto out;
	}
	/* The role: created when missing, allowed to log in when asked. */
	if (query_int(st, "SELECT CAST(rolcanlogin AS INTEGER) + 2 * CAST(rolsuper OR rolbypassrls"
		      " OR pg_has_role(oid, (SELECT relowner FROM pg_class WHERE oid = to_regclass('cases')),"
		      " 'MEMBER') AS INTEGER) FROM pg_roles WHERE rolname = ?", "reading the roles", &v, &row, a->role,
		      (const char *)NULL))
		goto out;
	if (!row) {
		ct_buf_addstr(&b, "CREATE ROLE ");
		add_ident(&b, a->role);
		ct_buf_addstr(&b, a->login ? " LOGIN" : " NOLOGIN");
		if (run_buf(st, &b, "creating the role")) {
			if (!strcmp(ct_db_sqlstate(st->db), "42501"))
				ct_hint("the store's owner needs CREATEROLE to create roles (ALTER ROLE "
					"owner CREATEROLE), or an administrator creates '%s' first", a->role);
			goto out;
		}
		*did |= CT_STORE_GRANT_CREATED;
	} else if (a->login && !(v & 1)) {
		ct_buf_addstr(&b, "ALTER ROLE ");
		add_ident(&b, a->role);
		ct_buf_addstr(&b, " LOGIN");
		if (run_buf(st, &b, "letting the role log in"))
			goto out;
		*did |= CT_STORE_GRANT_LOGIN;
	}
	if (v & 2)
		*did |= CT_STORE_GRANT_BYPASSES;
	if (set_jit(st, a->role, 0))
		*did |= CT_STORE_GRANT_JIT;
	if (setup_policies(st))
		goto out;
	/* What the role reads: replaces what it read before. */
	struct ct_db_stmt *q;
	if (ct_db_prepare(st->db, "DELETE FROM store_access WHERE role = ?", &q))
		goto sqlerr;
	ct_db_bind_text(q, 1, a->role);
	int rc = ct_db_step(q);
	ct_db_finalize(q);
	if (rc != CT_DB_DONE)
		goto sqlerr;
	if (ct_db_prepare(st->db, "INSERT INTO store_access (role, department) VALUES (?, ?)", &q))
		goto sqlerr;
	for (size_t i = 0; i < (a->all ? 1 : a->ndepartments); i++) {
		ct_db_bind_text(q, 1, a->role);
		ct_store_bind_text(q, 2, a->all ? NULL : a->departments[i]);
		rc = ct_db_step(q);
		ct_db_reset(q);
		if (rc != CT_DB_DONE) {
			ct_db_finalize(q);
			goto sqlerr;
		}
	}
	ct_db_finalize(q);
	/* The planner's estimates for the policies' subqueries want a store_access of known size. */
	if (run(st, "ANALYZE store_access", "analyzing store_access") || grant_tables(st, a->role))
		goto out;
	/*
	 * The schema: PostgreSQL 15 lets PUBLIC use the public schema; elsewhere
	 * its owner grants USAGE, which the store's owner can do only for its
	 * own schema (a GRANT without the right only warns).
	 */
	for (int pass = 0; pass < 2; pass++) {
		if (query_int(st, "SELECT CAST(has_schema_privilege(CAST(? AS name), current_schema(), 'USAGE') AS INTEGER)",
			      "reading the schema's privileges", &v, &row, a->role, (const char *)NULL))
			goto out;
		if (v)
			break;
		if (pass) {
			char *schema = NULL;
			if (!ct_db_prepare(st->db, "SELECT current_schema()", &q)) {
				if (ct_db_step(q) == CT_DB_ROW)
					schema = ct_store_col_strdup(q, 0);
				ct_db_finalize(q);
			}
			ct_error("store '%s': role '%s' cannot use the schema '%s', and the store's owner "
				 "cannot grant it", st->path, a->role, schema ? schema : "?");
			ct_hint("the schema's owner runs: GRANT USAGE ON SCHEMA %s TO %s",
				schema ? schema : "SCHEMA", a->role);
			free(schema);
			goto out;
		}
		if (!ct_db_prepare(st->db, "SELECT quote_ident(current_schema())", &q)) {
			if (ct_db_step(q) == CT_DB_ROW)
				ct_buf_addf(&b, "GRANT USAGE ON SCHEMA %s TO ", ct_db_column_text(q, 0));
			ct_db_finalize(q);
		}
		if (!b.len)
			goto sqlerr;
		add_ident(&b, a->role);
		if (run_buf(st, &b, "granting the schema"))
			goto out;
	}
	if (ct_store_commit(st))
		return -1;
	ct_buf_release(&b);
	return 0;
sqlerr:
	ct_store_sqlerr(st, "granting access");
out:
	ct_store_rollback(st);
	ct_buf_release(&b);
	*did = 0;
	return ret;
}

int ct_store_revoke(struct ct_store *st, const char *role, int *had)
{
	struct ct_db_stmt *q;
	int row = 0;
	*had = 0;
	if (need_postgres(st) || check_role_name(role))
		return -1;
	if (ct_store_begin(st))
		return -1;
	if (check_owner(st))
		goto fail;
	int exists = 0;
	if (query_int(st, "SELECT 1 FROM pg_roles WHERE rolname = ?", "reading the roles", NULL, &exists,
		      role, (const char *)NULL))
		goto fail;
	if (query_int(st, "SELECT 1 FROM pg_class WHERE oid = to_regclass('store_access')",
		      "reading the tables", NULL, &row, (const char *)NULL))
		goto fail;
	/* A role dropped outside casetrail: its rows of store_access go ('store access' lists them). */
	int rows = 0;
	if (!exists && row && query_int(st, "SELECT 1 FROM store_access WHERE role = ?", "reading store_access",
					NULL, &rows, role, (const char *)NULL))
		goto fail;
	if (!exists && !rows) {
		ct_error("role '%s' does not exist", role);
		goto fail;
	}
	if (row) {
		if (ct_db_prepare(st->db, "DELETE FROM store_access WHERE role = ?", &q)) {
			ct_store_sqlerr(st, "revoking access");
			goto fail;
		}
		ct_db_bind_text(q, 1, role);
		int rc = ct_db_step(q);
		*had = ct_db_changes(q) > 0;
		ct_db_finalize(q);
		if (rc != CT_DB_DONE) {
			ct_store_sqlerr(st, "revoking access");
			goto fail;
		}
	}
	if (!exists)
		return ct_store_commit(st);
	if (set_jit(st, role, 1) < 0) {
		ct_store_sqlerr(st, "revoking access");
		goto fail;
	}
	/* The tables that exist (store_access may not), then the rest of the grant. */
	struct ct_buf b = CT_BUF_INIT;
	ct_buf_addstr(&b, "REVOKE ALL ON cases");
	for (size_t i = 1; i < CT_ARRAY_SIZE(policies); i++)
		if (row || strcmp(policies[i].table, "store_access"))
			ct_buf_addf(&b, ", %s", policies[i].table);
	ct_buf_addstr(&b, " FROM ");
	add_ident(&b, role);
	int rc = run_buf(st, &b, "revoking access");
	ct_buf_release(&b);
	if (rc)
		goto fail;
	return ct_store_commit(st);
fail:
	ct_store_rollback(st);
	*had = 0;
	return -1;
}

/*
 * The grants, one per role by name (bytewise), departments sorted: its
 * rows of store_access (department NULL first: reads all), and what
 * pg_roles says of the role, if it still exists.
 */
int ct_store_access_list(struct ct_store *st,
			 int (*cb)(const struct ct_store_access *a, int exists, void *data), void *data)
{
	struct ct_db_stmt *q;
	struct ct_strlist depts = CT_STRLIST_INIT;
	struct ct_store_access a = { 0 };
	char *role = NULL;
	int row = 0, exists = 0, rc, ret = 0;
	if (need_postgres(st))
		return -1;
	if (query_int(st, "SELECT 1 FROM pg_class WHERE oid = to_regclass('store_access')",
		      "reading the tables", NULL, &row, (const char *)NULL))
		return -1;
	if (!row)
		return 0;   /* never granted */
	if (ct_db_prepare(st->db, "SELECT a.role, a.department, CAST(COALESCE(r.rolcanlogin, false) AS INTEGER),"
			  " CAST(r.oid IS NOT NULL AS INTEGER)"
			  " FROM store_access a LEFT JOIN pg_roles r ON r.rolname = CAST(a.role AS name)"
			  " ORDER BY a.role, a.department", &q))
		return ct_store_sqlerr(st, "reading store_access");
	for (;;) {
		rc = ct_db_step(q);
		if (rc < 0) {
			ret = ct_store_sqlerr(st, "reading store_access");
			break;
		}
		const char *r = rc == CT_DB_ROW ? ct_db_column_text(q, 0) : NULL;
		/* A role's rows are over: its grant to cb. */
		if (role && (!r || strcmp(r, role))) {
			a.role = role;
			a.departments = (const char *const *)depts.v;
			a.ndepartments = depts.n;
			ret = cb(&a, exists, data);
			free(role);
			role = NULL;
			ct_strlist_clear(&depts);
			memset(&a, 0, sizeof(a));
			if (ret)
				break;
		}
		if (rc != CT_DB_ROW)
			break;
		if (!role) {
			role = ct_store_col_strdup(q, 0);
			a.login = ct_db_column_int64(q, 2) != 0;
			exists = ct_db_column_int64(q, 3) != 0;
		}
		if (ct_db_column_is_null(q, 1))
			a.all = 1;
		else
			ct_strlist_push(&depts, ct_db_column_text(q, 1));
	}
	ct_db_finalize(q);
	free(role);
	ct_strlist_clear(&depts);
	return ret;
}
