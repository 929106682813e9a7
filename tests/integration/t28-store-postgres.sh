#!/bin/sh
# t28-store-postgres.sh - the whole store on a real PostgreSQL, behind the
# same commands as on SQLite:
#  - [store] url with password_command (scram-sha-256 role): every command's
#    output equals the SQLite store's, byte for byte, on the bundled example;
#  - the accuracy run gives the same figures on both engines;
#  - 4 ingest workers at once over 4 sources build the same cases, routing
#    and tags as one sequential run (the cases are numbered apart);
#  - kill -9 of a worker mid-batch, then a rerun: nothing lost or duplicated;
#  - the connection dropped by the server mid-run: reported, exit 1, no
#    hang, and the rerun completes the store;
#  - store copy SQLite -> PostgreSQL -> SQLite keeps every output the same,
#    and ingest goes on in the copy with new ids.
set -u
: "${TMPDIR:?}" "${TOP:?}" "${CASETRAIL:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-postgres.sh"
pg_start
CT=$CASETRAIL
EX=$TOP/examples
DIGEST="python3 $TOP/tests/integration/cases_digest.py"

reset_db() {
	pg_sql "SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
		GRANT ALL ON SCHEMA public TO ct_scram, ct_tls;" || fail "resetting the database"
}

# The example configuration with its store moved to PostgreSQL (as ct_scram,
# its password from a command) and its mailboxes where they are.
mkconf() { # mkconf OUT
	sed -e "s|^path = casetrail.db|url = $PG_SCRAM_URL\npassword_command = printf %s '$PG_SCRAM_PASSWORD'|" \
		-e "s|^path = mail/|path = $EX/mail/|" -e "s|^path = tickets.jsonl|path = $EX/tickets.jsonl|" \
		"$EX/casetrail.conf" >"$1"
	grep -q "^url = postgresql://" "$1" || fail "mkconf: no url in $1"
}
mkconf pg.conf
sed -e "s|^url = .*|path = $TMPDIR/ex.db|" -e "/^password_command/d" pg.conf >sq.conf

# A password in the url is refused at its line, without echoing it.
sed "s|^url = postgresql://ct_scram@|url = postgresql://ct_scram:hunter2@|" pg.conf >bad.conf
"$CT" -c bad.conf cases >out 2>err && fail "a url with a password was accepted"
grep -q "bad.conf:[0-9]*: \[store\] url must not hold a password" err || { cat err >&2; fail "password-in-url message"; }
grep -q hunter2 err && fail "the message echoes the password"
# Both path and url: refused.
printf '[store]\npath = a.db\nurl = %s\n' "$PG_URL" >both.conf
"$CT" -c both.conf cases >out 2>err && fail "path and url together were accepted"
grep -q "both.conf:3: \[store\] has both" err || { cat err >&2; fail "path+url message"; }

# ---- every command, both engines, same output ----
reset_db
"$CT" -c sq.conf ingest -q 2>sq.err || [ $? = 1 ] || { cat sq.err >&2; fail "ingest into SQLite"; }
"$CT" -c pg.conf ingest -q 2>pg.err || [ $? = 1 ] || { cat pg.err >&2; fail "ingest into PostgreSQL"; }
# The run went through scram (ct_scram owns the tables).
[ "$(pg_sql "select tableowner from pg_tables where tablename = 'items'")" = ct_scram ] ||
	fail "the tables were not made by the scram role"
id=$("$CT" -c sq.conf cases --format json | python3 -c '
import json, sys
print(max(json.load(sys.stdin), key=lambda c: c["handoffs"])["id"])')
ext=$("$CT" -c sq.conf cases --tag handoff --format json | python3 -c '
import json, sys
print([i for c in json.load(sys.stdin) for i in c["items"] if "handoff" in i["tags"]][0]["external_id"])')
[ -n "$ext" ] || fail "no item with a handoff tag in the example"
same() { # same ARGS...: the command's stdout and exit status on both stores
	"$CT" -c sq.conf "$@" >a.out 2>a.err; ra=$?
	"$CT" -c pg.conf "$@" >b.out 2>b.err; rb=$?
	[ "$ra" = 0 ] && [ "$rb" = 0 ] || { cat a.err b.err >&2; fail "'$*': exit $ra on SQLite, $rb on PostgreSQL"; }
	cmp -s a.out b.out || { diff a.out b.out | head -20 >&2; fail "'$*' differs between the engines"; }
}
for fmt in json csv markdown table; do
	same cases --format "$fmt"
done
same cases --tag handoff --format json
same cases --department Billing --format json
same case show "$id" --format json
same case show "$id" --format markdown
for fmt in json markdown html csv; do
	same report complaints --since 2000-01-01 --until 2030-01-01 --format "$fmt"
	same audit handoffs --since 2000-01-01 --until 2030-01-01 --format "$fmt"
done
same report complaints --department Billing --since 2000-01-01 --until 2030-01-01 --format json
same report promises --since 2000-01-01 --until 2030-01-01 --format json
same report customers --since 2000-01-01 --until 2030-01-01 --format json
# Decisions write on both, then everything reads the same again.
same tag dismiss "$ext" handoff --by lead@larkspur.example --reason "not a handoff"
same case close "$id" --by lead@larkspur.example
set -- $("$CT" -c sq.conf cases --format json | python3 -c '
import json, sys
d = [c for c in json.load(sys.stdin) if c["id"] != '"$id"']
print(d[0]["id"], d[1]["id"], d[1]["items"][0]["external_id"])')
same case merge "$1" "$2" --by lead@larkspur.example
same item department "$3" Billing --by lead@larkspur.example
same case reopen "$1" --by lead@larkspur.example
same tag confirm "$3" overpromise --by lead@larkspur.example
# A split makes a case: PostgreSQL numbers it inside the writers' transaction (ct_store_new_id).
set -- $("$CT" -c sq.conf cases --format json | python3 -c '
import json, sys
d = [c for c in json.load(sys.stdin) if c["id"] != '"$id"' and len(c["items"]) >= 2]
print(d[-1]["id"], d[-1]["items"][-1]["external_id"])')
same case split "$1" "$2" --by lead@larkspur.example --reason "another matter"
# (the cases after the split, case numbers and all, are compared below without the decisions' times:
# a close on each engine may fall in different seconds)
same rules masscheck --store-labels
# The decisions carry the time they were made: the rest must match.
for c in sq pg; do
	"$CT" -c $c.conf decisions --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 7, d
for x in d:
    x.pop("at", None)
print(json.dumps(d, sort_keys=True))' >dec.$c || fail "decisions on $c"
done
cmp -s dec.sq dec.pg || fail "the decisions differ between the engines"
same classify --rescan
same recompute
# What the decisions changed, without the times they were made at.
untimed() { # untimed CONF ARGS...
	c=$1
	shift
	"$CT" -c "$c" "$@" | python3 -c '
import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("at", "closed_at", "decided_at", "until")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
print(json.dumps(strip(json.load(sys.stdin)), sort_keys=True, indent=1))'
}
# The audit ends at a fixed time: with an open case (the reopen above) an end in the future
# means "now", which two runs on the engines may read in different seconds.
for args in "cases --format json" "audit handoffs --since 2000-01-01 --until 2026-06-01 --format json" \
	"case show $id --format json"; do
	untimed sq.conf $args >a.out || fail "$args on SQLite"
	untimed pg.conf $args >b.out || fail "$args on PostgreSQL"
	cmp -s a.out b.out || { diff a.out b.out | head >&2; fail "'$args' differs after the decisions"; }
done
grep -q '"manual"' a.out || fail "the manual close is not in case show"
# The site: the same pages with the same lines (the decisions' times aside).
"$CT" -c sq.conf site --out site-sq >/dev/null 2>&1 || fail "site from SQLite"
"$CT" -c pg.conf site --out site-pg >/dev/null 2>&1 || fail "site from PostgreSQL"
(cd site-sq && find . -type f | sort | xargs wc -l) >site-sq.lines
(cd site-pg && find . -type f | sort | xargs wc -l) >site-pg.lines
cmp -s site-sq.lines site-pg.lines || { diff site-sq.lines site-pg.lines | head >&2; fail "the sites differ"; }
cmp -s site-sq/index.html site-pg/index.html || fail "the site's index differs"
"$CT" -c pg.conf store check >out || fail "store check on PostgreSQL"
grep -qx ok out || fail "store check on PostgreSQL says: $(cat out)"
echo "ok: every command reads the same from PostgreSQL as from SQLite"

# A store written before Date offsets were kept learns them when a message
# is found again (the batch lookups say which items have one already).
pg_sql "select external_id || ' ' || coalesce(date_tz::text, '-') from items order by 1" >tz.want
[ "$(grep -vc ' -$' tz.want)" -gt 10 ] || fail "the example has too few Date offsets to test"
pg_sql "UPDATE items SET date_tz = NULL; DELETE FROM seen; DELETE FROM cursors" || fail "forgetting the offsets"
"$CT" -c pg.conf ingest -q 2>pg.err || [ $? = 1 ] || { cat pg.err >&2; fail "ingest again into PostgreSQL"; }
pg_sql "select external_id || ' ' || coalesce(date_tz::text, '-') from items order by 1" >tz.got
cmp -s tz.want tz.got || { diff tz.want tz.got | head >&2; fail "the Date offsets were not learnt again"; }
echo "ok: an item found again learns its Date offset ($(grep -vc ' -$' tz.got) items)"

# ---- the accuracy run ----
reset_db
python3 "$TOP/tests/accuracy.py" --casetrail "$CT" --corpus "$EX" --json --db "$PG_URL" >acc-pg.json ||
	fail "accuracy run on PostgreSQL"
python3 "$TOP/tests/accuracy.py" --casetrail "$CT" --corpus "$EX" --json >acc-sq.json || fail "accuracy run on SQLite"
python3 - acc-sq.json acc-pg.json <<'EOF' || fail "the accuracy figures differ between the engines"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for r in (a, b):
    r.pop("ingest_summary", None)   # holds the run's time
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print(k, a.get(k), b.get(k), file=sys.stderr)
    sys.exit(1)
EOF
echo "ok: accuracy figures equal on both engines"

# ---- several workers at once ----
sources=$(sed -n 's/^\[source \(.*\)\]/\1/p' pg.conf)
[ "$(echo $sources | wc -w)" -ge 4 ] || fail "the example has fewer than 4 sources"
"$CT" -c sq.conf cases --format json >/dev/null
rm -f ex.db ex.db-wal ex.db-shm
"$CT" -c sq.conf ingest -q 2>/dev/null
"$CT" -c sq.conf cases --format json | $DIGEST >seq.digest
"$CT" -c sq.conf audit handoffs --since 2000-01-01 --until 2030-01-01 --format json | $DIGEST --audit >seq.audit
for round in 1 2 3; do
	reset_db
	pids=
	for s in $sources; do
		"$CT" -c pg.conf ingest -q "$s" 2>"w-$s.err" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || [ $? = 1 ] || fail "a worker failed (round $round): $(cat w-*.err)"
	done
	"$CT" -c pg.conf cases --format json | $DIGEST >par.digest
	cmp -s seq.digest par.digest || { diff seq.digest par.digest | head >&2; fail "round $round: workers built other cases"; }
	"$CT" -c pg.conf audit handoffs --since 2000-01-01 --until 2030-01-01 --format json | $DIGEST --audit >par.audit
	cmp -s seq.audit par.audit || { diff seq.audit par.audit | head >&2; fail "round $round: the audit differs"; }
done
echo "ok: $(echo $sources | wc -w) workers at once, 3 rounds: the same cases, routing and tags as one run"

# ---- kill -9 mid-batch, then a rerun ----
# A bigger mailbox: the example's mail copied under new Message-IDs 60 times.
big=$TMPDIR/big
mkdir -p "$big/cur" "$big/new" "$big/tmp"
k=0
for r in $(seq 1 60); do
	for f in "$EX"/mail/*/cur/* "$EX"/mail/*/new/*; do
		[ -f "$f" ] || continue
		k=$((k + 1))
		sed -e "s/^\(Message-I[Dd]: *<\)/\1r$r./" -e "s/^\(In-Reply-To: *<\)/\1r$r./" \
			-e "s/^\(References:.*\)</\1<r$r./" "$f" >"$big/cur/$k.$r:2,S"
	done
done
sed -e "/^\[source helpdesk\]/,\$d" pg.conf >bigpg.conf
printf '[source big]\ntype = maildir\npath = %s\ndepartment = Support\n' "$big" >>bigpg.conf
sed -e "s|^url = .*|path = $TMPDIR/big.db|" -e "/^password_command/d" bigpg.conf >bigsq.conf
"$CT" -c bigsq.conf ingest -q big 2>/dev/null || [ $? = 1 ] || fail "ingest of the big mailbox into SQLite"
"$CT" -c bigsq.conf cases --format json | $DIGEST >big.digest
total=$(sqlite3 big.db "select count(*) from items")
[ "$total" -gt 2000 ] || fail "only $total items in the big mailbox"
# Killed early (nothing committed yet), and once a first batch is in.
for when in early batch; do
	reset_db
	"$CT" -c bigpg.conf ingest -q big 2>/dev/null &
	pid=$!
	if [ "$when" = early ]; then
		sleep 0.5
	else
		t0=$(date +%s)
		until [ "$(pg_sql "select count(*) from items" 2>/dev/null || echo 0)" -gt 0 ]; do
			[ $(($(date +%s) - t0)) -lt 60 ] || fail "no batch committed in 60 s"
			sleep 0.05
		done
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	have=$(pg_sql "select count(*) from items")
	seen=$(pg_sql "select count(*) from seen")
	# Items and seen keys commit together: a key never outlives its item.
	[ "$(pg_sql "select count(*) from seen s left join items i on i.id = s.item_id where s.item_id is not null and i.id is null")" = 0 ] ||
		fail "seen keys without their items after kill -9"
	"$CT" -c bigpg.conf ingest -q big 2>rerun.err || [ $? = 1 ] || { cat rerun.err >&2; fail "rerun after kill -9"; }
	[ "$(pg_sql "select count(*) from items")" = "$total" ] || fail "after kill -9 ($when) and a rerun: $(pg_sql "select count(*) from items") items, want $total"
	[ "$(pg_sql "select count(*) from (select external_id from items group by 1 having count(*) > 1) d")" = 0 ] ||
		fail "duplicated items after kill -9 and a rerun"
	"$CT" -c bigpg.conf cases --format json | $DIGEST >k.digest
	cmp -s big.digest k.digest || fail "kill -9 ($when): other cases than one run"
	[ "$when" = early ] || [ "$have" -gt 0 ] || fail "kill -9 ($when): nothing was committed before the kill"
	[ "$have" -lt "$total" ] || echo "note: the run had finished before kill -9 ($when)"
	echo "ok: kill -9 ($when: $have items, $seen keys committed), rerun: $total items, same cases"
done

# ---- the server drops the connection mid-run ----
reset_db
"$CT" -c bigpg.conf ingest big 2>drop.err &
pid=$!
sleep 0.8
pg_sql "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'casetrail'" >/dev/null
t0=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
	[ $(($(date +%s) - t0)) -lt 60 ] || { kill -9 "$pid"; fail "ingest hangs after the connection was dropped"; }
	sleep 0.2
done
wait "$pid"
rc=$?
if [ "$rc" = 0 ]; then
	# The run may have finished before the drop: then the store is complete.
	[ "$(pg_sql "select count(*) from items")" = "$total" ] || fail "exit 0 but an incomplete store"
	echo "note: the run finished before the connection was dropped"
else
	[ "$rc" = 1 ] || { cat drop.err >&2; fail "exit $rc after the connection was dropped, want 1"; }
	grep -q "connection to the server was lost\|terminat" drop.err || { cat drop.err >&2; fail "no word of the lost connection"; }
fi
"$CT" -c bigpg.conf ingest -q big 2>/dev/null || [ $? = 1 ] || fail "rerun after the dropped connection"
[ "$(pg_sql "select count(*) from items")" = "$total" ] || fail "the rerun after the drop did not complete the store"
echo "ok: a dropped connection ends the run with exit $rc, and the rerun completes the store"

# ---- store copy, both ways ----
reset_db
rm -f ex.db ex.db-wal ex.db-shm back.db
"$CT" -c sq.conf ingest -q 2>/dev/null
"$CT" -c sq.conf tag dismiss "$ext" handoff --by lead@larkspur.example >/dev/null || fail "a decision before the copy"
"$CT" -c sq.conf store copy --to "$PG_URL" >copy.out || fail "store copy to PostgreSQL"
# every table: the same count on both sides, and the items are all there
grep -Eq "^items +([0-9]+) +\1\$" copy.out || { cat copy.out >&2; fail "copy counts"; }
grep -q DIFFERENT copy.out && { cat copy.out >&2; fail "copy counts differ"; }
[ "$(awk '$1 == "items" { print $2 }' copy.out)" = "$(sqlite3 ex.db 'select count(*) from items')" ] ||
	fail "store copy counted other items than the source holds"
"$CT" -c sq.conf store copy --to "$PG_URL" >out 2>err && fail "a copy into a full store was accepted"
grep -q "already holds" err || fail "copy into a full store: $(cat err)"
"$CT" --db "$PG_URL" store copy --to "$TMPDIR/back.db" >/dev/null || fail "store copy back to SQLite"
for args in "cases --format json" "decisions --format json" "report complaints --since 2000-01-01 --until 2030-01-01 --format json" \
	"audit handoffs --since 2000-01-01 --until 2030-01-01 --format json" "report promises --since 2000-01-01 --until 2030-01-01 --format json"; do
	"$CT" -c sq.conf $args >orig.out
	"$CT" -c sq.conf --db "$PG_URL" $args >pg.out
	"$CT" -c sq.conf --db "$TMPDIR/back.db" $args >back.out
	cmp -s orig.out pg.out || fail "'$args' differs after the copy to PostgreSQL"
	cmp -s orig.out back.out || fail "'$args' differs after the copy back to SQLite"
done
# Ingest goes on in the copy: new rows get new ids.
"$CT" -c bigpg.conf --db "$PG_URL" ingest -q big 2>/dev/null || [ $? = 1 ] || fail "ingest into the copied store"
[ "$(pg_sql "select count(*) from items")" -gt "$(sqlite3 ex.db 'select count(*) from items')" ] || fail "no new items in the copy"
echo "ok: store copy SQLite -> PostgreSQL -> SQLite reads the same; ingest goes on in the copy"
