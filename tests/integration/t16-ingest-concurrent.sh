#!/bin/sh
# t16-ingest-concurrent.sh - two ingest runs against one store: the second
# waits a bounded time, then names the process that holds the store; a dry
# run counts without storing.
set -eu
: "${CASETRAIL:?}" "${TMPDIR:?}"
cd "$TMPDIR"
mkdir -p md/cur md/new
python3 - <<'PY'
for i in range(15000):
    with open("md/new/1700000000.M%dP1.host" % i, "w") as f:
        f.write("Message-ID: <m%d@acme.example>\nFrom: c%d@acme.example\nTo: billing@corp.example\n"
                "Subject: question %d\nDate: Mon, 04 Mar 2024 09:00:00 +0000\n\nHello %d\n" % (i, i % 50, i, i))
PY
fail() { echo "FAIL: $*" >&2; exit 1; }

# dry run: counts, stores nothing
"$CASETRAIL" --db dry.db ingest --dry-run --maildir md 2>dry.err || fail "dry run exit $?"
grep -q "15000 would be read" dry.err || fail "dry run summary: $(cat dry.err)"
[ "$(sqlite3 dry.db 'select count(*) from items')" = 0 ] || fail "dry run stored items"

# hold the store with a first run, start a second one with a short timeout
"$CASETRAIL" -q --db s.db ingest --maildir md 2>first.err &
first=$!
# wait until the first run holds the lock
n=0
while [ ! -s s.db.lock ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
rc=0
CASETRAIL_BUSY_TIMEOUT_MS=100 "$CASETRAIL" -q --db s.db ingest --maildir md 2>second.err || rc=$?
wait $first || fail "first run failed: $(cat first.err)"
if [ $rc -eq 0 ]; then
	# the first run was already done: nothing to prove, but nothing may be doubled
	echo "note: the first run finished before the second started"
else
	[ $rc -eq 1 ] || fail "second run exit $rc, want 1"
	grep -q "is in use by another casetrail run (pid $first, started " second.err ||
		fail "second run message: $(cat second.err)"
fi
[ "$(sqlite3 s.db 'select count(*) from items')" = 15000 ] || fail "item count"
# and a later run goes through and adds nothing
"$CASETRAIL" --db s.db ingest --maildir md 2>third.err || fail "third run: $(cat third.err)"
grep -q "ingest: 0 new, 15000 already seen" third.err || fail "third run summary: $(cat third.err)"
echo ok
