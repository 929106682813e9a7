#!/bin/sh
# t29-store-grant.sh - who sees what on a PostgreSQL store: 'store grant'
# gives a leader role the cases that touched its department, and nothing
# else, whether it asks through casetrail or with raw SQL; it cannot write;
# an --all role reads everything; the owner keeps ingesting through
# row-level security; 'store revoke' takes it back; 'store access' lists
# the grants as they stand; a SQLite store is refused.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-postgres.sh"
pg_start

cp -r "$TOP/examples" ex
CONF=ex/casetrail.conf
# The store's owner: an ordinary role (not a superuser, which would bypass
# row-level security anyway) that may create roles, as a real ingest role.
pg_sql "CREATE ROLE ct_ingest LOGIN CREATEROLE; GRANT USAGE, CREATE ON SCHEMA public TO ct_ingest" ||
	fail "creating the ingest role"
OWNER_URL="postgresql://ct_ingest@127.0.0.1:$PG_PORT/$PG_DB"
LEADER_URL="postgresql://leader@127.0.0.1:$PG_PORT/$PG_DB"
AUDIT_URL="postgresql://auditor@127.0.0.1:$PG_PORT/$PG_DB"
ct() { "$CASETRAIL" -c "$CONF" "$@"; }
# psql as a role; tuples only, stop at the first error
psql_as() {
	"$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$1" -d "$PG_DB" -c "$2"
}

# Half the sources before the grant, the rest after: the owner writes through row-level security.
ct --db "$OWNER_URL" ingest sales support accounts >ingest1.out 2>&1 || { cat ingest1.out >&2; fail "first ingest"; }

# 'store access' as JSON, one line per role: role:departments (* for all):login (t, f, - unknown):exists
access_json() {
	ct --db "${2:-$OWNER_URL}" store access --format json >acc.json 2>acc.err || { cat acc.err >&2; fail "store access ($1)"; }
	python3 - acc.json <<'PY' >acc.out || fail "store access ($1): $(cat acc.out) $(cat acc.json)"
import json, sys
rows = json.load(open(sys.argv[1]))
assert isinstance(rows, list), rows
roles = [r["role"] for r in rows]
assert roles == sorted(roles, key=lambda s: s.encode()), ("not sorted by role", roles)
assert len(set(roles)) == len(roles), ("a role twice", roles)
for r in rows:
    assert set(r) == {"role", "all", "departments", "login", "exists"}, r
    assert isinstance(r["all"], bool) and isinstance(r["exists"], bool), r
    assert isinstance(r["departments"], list) and (r["departments"] == []) == r["all"], r
    assert r["departments"] == sorted(r["departments"]), r
    assert (r["login"] is None) == (not r["exists"]), r
    scope = "*" if r["all"] else ",".join(r["departments"])
    login = "-" if r["login"] is None else "tf"[not r["login"]]
    print("%s:%s:%s:%s" % (r["role"], scope, login, "tf"[not r["exists"]]))
PY
	got=$(tr '\n' ' ' <acc.out)
	[ "$got" = "$3" ] || fail "store access ($1): $got, want $3"
}
# the table: the title, a header, one line per role; each column starts where its header does
access_table() {
	ct --db "$OWNER_URL" store access --format table >acc.txt 2>acc.err || { cat acc.err >&2; fail "store access table ($1)"; }
	python3 - acc.txt "$2" <<'PY' || fail "store access table ($1): $(cat acc.txt)"
import sys
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l.strip()]
want = [w.split(":") for w in sys.argv[2].split(";")]
head = next(i for i, l in enumerate(lines) if l.startswith("role "))
cols = ["role", "reads", "login", "role exists"]
at = [lines[head].index(c) for c in cols]
rows = [l for l in lines[head + 1:] if not set(l) <= set("-=─ ")]
assert len(rows) == len(want), (rows, want)
for line, w in zip(rows, want):
    cells = [line[a:b].strip() for a, b in zip(at, at[1:] + [len(line)])]
    assert cells == w, (cells, w)
    for a in at[1:]:
        assert line[a - 1] == " " and line[a] != " ", ("not aligned", line)
PY
}

# --- store access before any grant: nothing, and exit 0
ct --db "$OWNER_URL" store access --format table >acc.txt 2>acc.err || { cat acc.err >&2; fail "store access on a new store"; }
[ "$(cat acc.txt)" = "no role has been granted access" ] || fail "store access on a new store: $(cat acc.txt)"
access_json "a new store" "" ""
ct --db "$OWNER_URL" store access --format yaml >e.out 2>&1; [ $? = 2 ] || fail "store access --format yaml: not exit 2"
ct --db "$OWNER_URL" store access leader >e.out 2>&1; [ $? = 2 ] || fail "store access with an argument: not exit 2"
ct store access --help >h.out 2>&1 && grep -q "^Exit status: 0" h.out || fail "store access --help: $(cat h.out)"

# --- refused: no role, both or neither of --all/--department, an unknown department, SQLite
ct --db "$OWNER_URL" store grant >e.out 2>&1; [ $? = 2 ] || fail "grant without a role: not exit 2"
ct --db "$OWNER_URL" store grant x --all --department Billing >e.out 2>&1; [ $? = 2 ] || fail "--all with --department"
ct --db "$OWNER_URL" store grant x >e.out 2>&1; [ $? = 2 ] || fail "grant without what to read"
ct --db "$OWNER_URL" store grant leader --department Bliling >e.out 2>&1; rc=$?
[ $rc = 2 ] && grep -q "Billing" e.out || { cat e.out >&2; fail "an unknown department: exit $rc"; }
[ -z "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = 'leader'")" ] || fail "a refused grant created the role"
ct --db "$TMPDIR/file.db" ingest sales >/dev/null 2>&1 || fail "ingest into a SQLite file"
for c in "grant leader --department Billing" "revoke leader" "access" "access --format json"; do
	# shellcheck disable=SC2086
	ct --db "$TMPDIR/file.db" store $c >sq.out 2>&1; rc=$?
	[ $rc = 2 ] || fail "store $c on a SQLite file: exit $rc, want 2"
	grep -q "access control needs a PostgreSQL store" sq.out && grep -q "file permissions" sq.out ||
		{ cat sq.out >&2; fail "store $c on a SQLite file: no explanation"; }
done

# --- the leader of Billing, and an audit role
ct --db "$OWNER_URL" store grant leader --department billing --login >g.out 2>&1 ||
	{ cat g.out >&2; fail "grant leader"; }
grep -q "role 'leader' (created, may log in) reads the cases that touched Billing" g.out ||
	{ cat g.out >&2; fail "grant's summary"; }
ct --db "$OWNER_URL" store grant auditor --all >g2.out 2>&1 || { cat g2.out >&2; fail "grant auditor"; }
grep -q "NOLOGIN" g2.out || fail "a role created without --login: $(cat g2.out)"
[ "$(pg_sql "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'auditor'")" = f ] || fail "auditor can log in"
access_json "auditor NOLOGIN" "" "auditor:*:f:t leader:Billing:t:t "
ct --db "$OWNER_URL" store grant auditor --all --login >g2.out 2>&1 || fail "grant auditor --login"
grep -q "may now log in" g2.out || fail "existing role made LOGIN: $(cat g2.out)"
[ "$(pg_sql "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'auditor'")" = t ] || fail "auditor cannot log in"
# the policies make report queries look costly: JIT is off for the granted roles
[ "$(pg_sql "SELECT array_to_string(rolconfig, ' ') FROM pg_roles WHERE rolname = 'leader'")" = "jit=off" ] ||
	fail "leader's settings: $(pg_sql "SELECT rolconfig FROM pg_roles WHERE rolname = 'leader'")"
# granting again is fine (policies made once)
ct --db "$OWNER_URL" store grant auditor --all >/dev/null 2>&1 || fail "grant auditor twice"
access_json "both granted" "" "auditor:*:t:t leader:Billing:t:t "
access_table "both granted" "auditor:all:yes:yes;leader:Billing:yes:yes"
# the leader, not the owner, reads its own grant only (row-level security on store_access)
access_json "as the leader" "$LEADER_URL" "leader:Billing:t:t "
# policies of another version (here: items open to all) are replaced by the next grant
[ "$(pg_sql "SELECT value FROM meta WHERE key = 'access_policies'")" = 1 ] || fail "no policy version in meta"
psql_as ct_ingest "UPDATE meta SET value = '0' WHERE key = 'access_policies';
	DROP POLICY casetrail_read ON items; CREATE POLICY casetrail_read ON items FOR SELECT USING (true)" ||
	fail "making an old policy"
[ "$(psql_as leader "SELECT count(*) FROM items")" = "$(psql_as ct_ingest "SELECT count(*) FROM items")" ] ||
	fail "the old policy does not open items"
ct --db "$OWNER_URL" store grant auditor --all >/dev/null 2>&1 || fail "grant with old policies"
[ "$(pg_sql "SELECT value FROM meta WHERE key = 'access_policies'")" = 1 ] || fail "policy version not set again"
[ "$(psql_as leader "SELECT count(*) FROM items")" -lt "$(psql_as ct_ingest "SELECT count(*) FROM items")" ] ||
	fail "the old items policy was kept"
# a role that is no owner cannot grant
ct --db "$LEADER_URL" store grant leader --all >e.out 2>&1; rc=$?
[ $rc = 1 ] && grep -q "only the store's owner ('ct_ingest'" e.out || { cat e.out >&2; fail "a leader granting: exit $rc"; }
ct --db "$OWNER_URL" store grant ct_ingest --all >e.out 2>&1 && fail "granting the owner to itself"

# Every table has row-level security but the two a leader may read whole.
open=$(pg_sql "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity")
[ "$open" = "meta schema_version" ] || fail "tables without row-level security: $open"

# The rest of the sources, after the grant: the owner still writes.
ct --db "$OWNER_URL" ingest >ingest2.out 2>&1 || { cat ingest2.out >&2; fail "ingest after the grant"; }

# --- what each sees through casetrail
ct --db "$OWNER_URL" cases --format json >all.json || fail "owner's cases"
ct --db "$LEADER_URL" cases --format json >leader.json 2>leader.err || { cat leader.err >&2; fail "leader's cases"; }
ct --db "$AUDIT_URL" cases --format json >audit.json 2>audit.err || { cat audit.err >&2; fail "auditor's cases"; }
python3 - all.json leader.json audit.json >ids.out <<'EOF' || fail "cases seen: $(cat ids.out)"
import json, sys
every = json.load(open(sys.argv[1]))
leader = json.load(open(sys.argv[2]))
audit = json.load(open(sys.argv[3]))
want = sorted(c["id"] for c in every if "Billing" in c["departments"])
got = sorted(c["id"] for c in leader)
assert 0 < len(want) < len(every), ("the example must have cases with and without Billing", len(want), len(every))
assert got == want, ("leader sees", got, "want", want)
# the leader's view of a case is the owner's, items included
by_id = {c["id"]: c for c in every}
for c in leader:
    assert c == by_id[c["id"]], ("case differs for the leader", c["id"])
assert audit == every, "the audit role does not see what the owner sees"
print(len(every), len(want), " ".join(map(str, want)))
print(" ".join(str(c["id"]) for c in every if "Billing" not in c["departments"]))
EOF
read -r total nbilling visible <ids.out
hidden=$(sed -n 2p ids.out)
echo "cases: $total, Billing's: $nbilling"

# case show: a Billing case yes, another department's case is not there
vis=${visible%% *}
hid=${hidden%% *}
ct --db "$LEADER_URL" case show "$vis" --format json >show.json 2>&1 || { cat show.json >&2; fail "leader: case show $vis"; }
ct --db "$LEADER_URL" case show "$hid" --format json >show2.out 2>&1 && fail "leader: case show $hid (not Billing's) works"
ct --db "$AUDIT_URL" case show "$hid" --format json >/dev/null 2>&1 || fail "auditor: case show $hid"

# decisions by hand (the owner's) on a case of each side: the leader sees its own side's only
ct --db "$OWNER_URL" case close "$vis" "$hid" --by admin --reason "t29" >close.out 2>&1 ||
	{ cat close.out >&2; fail "owner: case close"; }
[ "$(psql_as leader "SELECT count(*) FROM decisions")" = 1 ] || fail "leader reads decisions of other cases"
[ "$(psql_as auditor "SELECT count(*) FROM decisions")" = 2 ] || fail "auditor misses decisions"
ct --db "$LEADER_URL" decisions --format json >dec.json || fail "leader: decisions"
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert len(d) == 1, d' dec.json ||
	fail "leader's decisions: $(cat dec.json)"
ct --db "$OWNER_URL" cases --format json >all.json || fail "owner's cases after closing"
ct --db "$AUDIT_URL" cases --format json >audit.json || fail "auditor's cases after closing"
cmp -s all.json audit.json || fail "auditor's cases differ from the owner's after closing"

# reports and the audit run for the leader, and name no other department's case
for r in "report complaints --since 2025-01-01 --until 2026-01-01" "audit handoffs --since 2025-01-01 --until 2026-01-01" \
	"report promises" "report customers" decisions; do
	# shellcheck disable=SC2086
	ct --db "$LEADER_URL" $r --format json >r.json 2>r.err || { cat r.err >&2; fail "leader: $r"; }
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' r.json || fail "leader: $r: not JSON"
done
# the leader's static site has the Billing cases' pages, and no other
ct --db "$LEADER_URL" site --out site >site.out 2>&1 || { cat site.out >&2; fail "leader: site"; }
for id in $visible; do [ -f "site/case-$id.html" ] || fail "leader's site lacks case $id"; done
for id in $hidden; do [ ! -e "site/case-$id.html" ] || fail "leader's site has case $id"; done
ct --db "$LEADER_URL" audit handoffs --since 2025-01-01 --until 2026-01-01 --format json >h.json || fail "leader: audit"
ct --db "$OWNER_URL" audit handoffs --since 2025-01-01 --until 2026-01-01 --format json >h_all.json || fail "owner: audit"
cmp -s h.json h_all.json && fail "the leader's audit is the owner's: not limited"

# --- raw SQL as the leader sees exactly the visible rows
inlist=$(echo "$visible" | tr ' ' ',')
for t in items tags item_refs item_mailboxes routing_events promises; do
	case $t in
	items) cond="case_id IN ($inlist)" ;;
	routing_events) cond="case_id IN ($inlist)" ;;
	*) cond="item_id IN (SELECT id FROM items WHERE case_id IN ($inlist))" ;;
	esac
	want=$(psql_as ct_ingest "SELECT count(*) FROM $t WHERE $cond")
	all=$(psql_as ct_ingest "SELECT count(*) FROM $t")
	got=$(psql_as leader "SELECT count(*) FROM $t") || fail "leader: SELECT from $t"
	[ "$got" = "$want" ] || fail "leader sees $got rows of $t, want $want (of $all)"
	echo "$t: leader $got of $all"
done
[ "$(psql_as ct_ingest "SELECT count(*) FROM items WHERE case_id NOT IN ($inlist)")" -gt 0 ] || fail "no hidden items to test"
# one item of a case that never touched Billing, by its id and by its text
hid_item=$(psql_as ct_ingest "SELECT id FROM items WHERE case_id = $hid ORDER BY id LIMIT 1")
[ -n "$hid_item" ] || fail "no item in case $hid"
[ "$(psql_as leader "SELECT count(*) FROM items WHERE id = $hid_item")" = 0 ] || fail "leader reads item $hid_item of case $hid"
[ "$(psql_as leader "SELECT count(*) FROM cases WHERE id = $hid")" = 0 ] || fail "leader reads case $hid"
[ "$(psql_as leader "SELECT count(*) FROM cases WHERE trail NOT LIKE '%\"Billing\"%'")" = 0 ] || fail "leader reads a case without Billing"
[ "$(psql_as auditor "SELECT count(*) FROM items WHERE id = $hid_item")" = 1 ] || fail "auditor misses item $hid_item"
# what the fetchers keep is the owner's (and the auditor's), not the leader's
for t in seen cursors runs; do
	[ "$(psql_as leader "SELECT count(*) FROM $t")" = 0 ] || fail "leader reads $t"
	[ "$(psql_as auditor "SELECT count(*) FROM $t")" = "$(psql_as ct_ingest "SELECT count(*) FROM $t")" ] ||
		fail "auditor does not read all of $t"
done
[ "$(psql_as leader "SELECT count(*) FROM store_access")" = 1 ] || fail "leader reads others' access rows"
# no writes, of any kind
for sql in "INSERT INTO meta(key, value) VALUES ('x', 'y')" "UPDATE cases SET subject = 'x'" \
	"DELETE FROM items" "DELETE FROM store_access" "INSERT INTO store_access VALUES ('leader', NULL)" \
	"UPDATE items SET body = '' WHERE id = $hid_item" "TRUNCATE seen"; do
	psql_as leader "$sql" >w.out 2>&1 && fail "leader may: $sql"
	grep -q "permission denied" w.out || fail "leader: $sql: $(cat w.out)"
done
[ "$(psql_as ct_ingest "SELECT count(*) FROM store_access WHERE role = 'leader'")" = 1 ] || fail "store_access changed"

# --- an owner without CREATEROLE: roles an administrator made still get their grant
pg_sql "ALTER ROLE ct_ingest NOCREATEROLE; CREATE ROLE viewer LOGIN" || fail "NOCREATEROLE"
ct --db "$OWNER_URL" store grant newrole --department Sales >e.out 2>&1; rc=$?
[ $rc = 1 ] && grep -q "needs CREATEROLE" e.out || { cat e.out >&2; fail "creating a role without CREATEROLE: exit $rc"; }
ct --db "$OWNER_URL" store grant viewer --department Sales >v.out 2>&1 || { cat v.out >&2; fail "grant to an existing role"; }
grep -q "cannot turn JIT off for role 'viewer'" v.out || fail "no JIT warning: $(cat v.out)"
[ "$(psql_as viewer "SELECT count(*) FROM cases WHERE trail NOT LIKE '%\"Sales\"%'")" = 0 ] || fail "viewer reads other cases"
[ "$(psql_as viewer "SELECT count(*) FROM cases")" -gt 0 ] || fail "viewer reads no case"
pg_sql "ALTER ROLE ct_ingest CREATEROLE" || fail "CREATEROLE"

# --- a second grant replaces the first; revoke takes it away
ct --db "$OWNER_URL" store grant leader --department Billing --department Sales >/dev/null 2>&1 || fail "regrant"
access_json "leader of two" "" "auditor:*:t:t leader:Billing,Sales:t:t viewer:Sales:t:t "
n2=$(psql_as leader "SELECT count(*) FROM cases WHERE merged_into IS NULL")
ct --db "$OWNER_URL" store grant leader --department Sales >/dev/null 2>&1 || fail "regrant Sales"
n3=$(psql_as leader "SELECT count(*) FROM cases WHERE trail LIKE '%\"Billing\"%' AND trail NOT LIKE '%\"Sales\"%'")
[ "$n3" = 0 ] || fail "leader still reads Billing cases after the grant moved to Sales"
access_json "leader moved to Sales" "" "auditor:*:t:t leader:Sales:t:t viewer:Sales:t:t "
[ "$n2" -gt "$nbilling" ] || fail "Billing and Sales: $n2 cases, no more than Billing's $nbilling"
ct --db "$OWNER_URL" store revoke leader >rv.out 2>&1 || { cat rv.out >&2; fail "revoke"; }
grep -q "reads nothing of the store any more" rv.out || fail "revoke says: $(cat rv.out)"
access_json "leader revoked" "" "auditor:*:t:t viewer:Sales:t:t "
[ -z "$(pg_sql "SELECT rolconfig FROM pg_roles WHERE rolname = 'leader'")" ] || fail "revoke left leader's jit setting"
psql_as leader "SELECT count(*) FROM items" >rv2.out 2>&1 && fail "leader reads items after revoke"
ct --db "$LEADER_URL" cases --format json >rv3.out 2>&1 && fail "leader lists cases after revoke"
ct --db "$OWNER_URL" store revoke leader >rv.out 2>&1 || fail "revoke twice"
grep -q "had no access" rv.out || fail "second revoke says: $(cat rv.out)"
ct --db "$OWNER_URL" store revoke nosuchrole >/dev/null 2>&1 && fail "revoke of a missing role"
# the auditor is untouched, and the owner still sees everything
ct --db "$AUDIT_URL" cases --format json >audit2.json && cmp -s audit2.json audit.json || fail "auditor after revoke"
ct --db "$OWNER_URL" cases --format json >all2.json && cmp -s all2.json all.json || fail "owner after revoke"

# --- a role dropped outside casetrail: its grant is listed, the role missing
ct --db "$OWNER_URL" store grant a_gone --department Support --department Accounts >/dev/null 2>&1 || fail "grant a_gone"
access_json "a_gone granted" "" "a_gone:Accounts,Support:f:t auditor:*:t:t viewer:Sales:t:t "
pg_sql "DROP OWNED BY a_gone; DROP ROLE a_gone" || fail "dropping a_gone"
[ -z "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = 'a_gone'")" ] || fail "a_gone not dropped"
access_json "a_gone dropped" "" "a_gone:Accounts,Support:-:f auditor:*:t:t viewer:Sales:t:t "
access_table "a_gone dropped" "a_gone:Accounts, Support:-:missing;auditor:all:yes:yes;viewer:Sales:yes:yes"
ct --db "$OWNER_URL" store access --format csv >acc.csv || fail "store access --format csv"
python3 - acc.csv <<'PY' || fail "store access csv: $(cat acc.csv)"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows == [["role", "reads", "login", "exists"], ["a_gone", "Accounts, Support", "-", "missing"],
                ["auditor", "all", "yes", "yes"], ["viewer", "Sales", "yes", "yes"]], rows
PY
# revoke takes a dropped role off the list; a role neither granted nor existing is an error
ct --db "$OWNER_URL" store revoke a_gone >rv.out 2>&1 || { cat rv.out >&2; fail "revoke of a dropped role"; }
access_json "a_gone revoked" "" "auditor:*:t:t viewer:Sales:t:t "
ct --db "$OWNER_URL" store revoke a_gone >rv.out 2>&1 && fail "second revoke of a dropped role"
grep -q "role 'a_gone' does not exist" rv.out || fail "second revoke of a dropped role says: $(cat rv.out)"
echo "ok: store grant (a leader sees $nbilling of $total cases, raw SQL included)"
