#!/bin/sh
# t22-recompute-config.sh - a configuration change that moves a mailbox to
# another department reaches the stored data: the next 'ingest' (or
# 'classify', or 'casetrail recompute') recomputes departments, routing and
# cases, and the store then lists exactly what a fresh store built from the
# new configuration lists (cases --format json compared byte for byte). No
# mail is read again: the mail directories are gone when it recomputes.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
command -v sqlite3 >/dev/null 2>&1 || sh "$TOP/tests/deps.sh" sqlite3 || fail "sqlite3 is needed"
cd "$TMPDIR"
cp -r "$TOP/examples" ex
cp -r "$TOP/config" config   # the examples name ../config/rules.conf
cd ex

# old: accounts@ and the accounts mailbox belong to Sales; new: to Support.
python3 - <<'EOF'
s = open('casetrail.conf').read()
old = s.replace("addresses = sales@larkspur.example",
                "addresses = sales@larkspur.example, accounts@larkspur.example")
old = old.replace("addresses = accounts@larkspur.example\n", "")
old = old.replace("path = mail/accounts\ndepartment = Accounts", "path = mail/accounts\ndepartment = Sales")
new = old.replace("addresses = sales@larkspur.example, accounts@larkspur.example",
                  "addresses = sales@larkspur.example")
new = new.replace("addresses = support@larkspur.example",
                  "addresses = support@larkspur.example, accounts@larkspur.example")
new = new.replace("path = mail/accounts\ndepartment = Sales", "path = mail/accounts\ndepartment = Support")
assert old != s and new != old
open('old.conf', 'w').write(old)
open('new.conf', 'w').write(new)
EOF

"$CASETRAIL" -c new.conf --db fresh.db ingest 2>fresh.err || fail "fresh ingest: $(cat fresh.err)"
"$CASETRAIL" -c new.conf --db fresh.db cases --format json >fresh.json
for s in a b c; do
	"$CASETRAIL" -c old.conf --db $s.db ingest 2>$s.err || fail "ingest $s with the old config: $(cat $s.err)"
done
"$CASETRAIL" -c old.conf --db a.db cases --format json >before.json
cmp -s before.json fresh.json && fail "the two configurations give the same cases: the test proves nothing"
grep -q '"Support"' fresh.json || fail "no case reached Support with the new configuration"

# Nothing is read again: the mailboxes are moved away (the ingest below finds none of them).
mv mail mail.away
mv tickets.jsonl tickets.away

# Readers say that the store lags behind the configuration.
"$CASETRAIL" -c new.conf --db a.db cases --format json >/dev/null 2>warn.err
grep -q "^casetrail: warning: the departments or staff of 'new.conf' changed since the store was last updated" warn.err ||
	fail "cases did not warn about the changed configuration: $(cat warn.err)"

# a: the next ingest notices the change.
rc=0; "$CASETRAIL" -c new.conf --db a.db ingest 2>a2.err || rc=$?
grep -q '^recompute: the configuration of departments or staff changed: [1-9][0-9]* items\{0,1\} changed' a2.err ||
	fail "ingest did not recompute: $(cat a2.err)"
"$CASETRAIL" -c new.conf --db a.db cases --format json >a.json
cmp -s a.json fresh.json || { diff a.json fresh.json | head -20 >&2; fail "after ingest: cases differ from a fresh store"; }

# b: so does classify.
"$CASETRAIL" -c new.conf --db b.db classify >b.out 2>b2.err || fail "classify: $(cat b2.err)"
grep -q '^recompute: ' b2.err || fail "classify did not recompute: $(cat b2.err)"
"$CASETRAIL" -c new.conf --db b.db cases --format json >b.json
cmp -s b.json fresh.json || { diff b.json fresh.json | head -20 >&2; fail "after classify: cases differ from a fresh store"; }

# c: and 'casetrail recompute' on demand; a second run finds nothing to change.
"$CASETRAIL" -c new.conf --db c.db recompute >c.out || fail "recompute failed"
grep -q '^recompute: [1-9][0-9]* items\{0,1\} changed department or side' c.out || fail "recompute said: $(cat c.out)"
"$CASETRAIL" -c new.conf --db c.db cases --format json >c.json
cmp -s c.json fresh.json || { diff c.json fresh.json | head -20 >&2; fail "after recompute: cases differ from a fresh store"; }
"$CASETRAIL" -c new.conf --db c.db recompute >c2.out
grep -q '^recompute: 0 items changed' c2.out || fail "second recompute: $(cat c2.out)"
# the audit agrees too (routing events were recomputed, not only the trail)
"$CASETRAIL" -c new.conf --db c.db audit handoffs --format json --until 2026-01-01 >c-audit.json
"$CASETRAIL" -c new.conf --db fresh.db audit handoffs --format json --until 2026-01-01 >fresh-audit.json
cmp -s c-audit.json fresh-audit.json || fail "audit after recompute differs from a fresh store"

# internal_domains decide a mail's side: a customer's domain made internal turns its mail into staff mail.
sed 's/^internal_domains = larkspur.example$/internal_domains = larkspur.example, kestrel-foods.example/' new.conf > staff.conf
cmp -s staff.conf new.conf && fail "staff.conf is not a change"
[ "$(sqlite3 c.db "select role from items where external_id = 't14a.kf.77@kestrel-foods.example'")" = 1 ] ||
	fail "the kestrel-foods mail was not a customer's"
"$CASETRAIL" -c staff.conf --db c.db recompute >staff.out || fail "recompute with staff.conf"
[ "$(sqlite3 c.db "select role from items where external_id = 't14a.kf.77@kestrel-foods.example'")" = 2 ] ||
	fail "recompute did not make the kestrel-foods mail staff mail: $(cat staff.out)"
"$CASETRAIL" -c new.conf --db c.db recompute >/dev/null || fail "recompute back"
[ "$(sqlite3 c.db "select role from items where external_id = 't14a.kf.77@kestrel-foods.example'")" = 1 ] ||
	fail "recompute did not turn it back"

# An unchanged configuration recomputes nothing.
"$CASETRAIL" -c new.conf --db a.db ingest 2>a3.err || true
grep -q '^recompute' a3.err && fail "recomputed with an unchanged configuration: $(cat a3.err)"
# Without a configuration, recompute is a usage error.
rc=0; (cd .. && "$CASETRAIL" --db ex/c.db recompute) 2>noconf.err || rc=$?
[ $rc -eq 2 ] || fail "recompute without a configuration: exit $rc"
grep -q "no configuration" noconf.err || fail "recompute without a configuration said: $(cat noconf.err)"
"$CASETRAIL" recompute --help | grep -q '^usage: casetrail recompute' || fail "recompute --help"
echo "ok: a changed department configuration reaches stored cases (ingest, classify, recompute)"
