#!/bin/sh
# casetrail demo on the bundled example mailboxes (Larkspur Analytics).
# Usage: sh examples/demo.sh [PATH-TO-CASETRAIL]     (make demo runs it from the checkout)
set -u
CT=${1:-./casetrail}
EX=$(dirname "$0")
CONF=$EX/casetrail.conf
DB=$EX/casetrail.db
OUT=$EX/out

if ! [ -x "$CT" ]; then
	echo "demo: $CT is not an executable; run 'make' first" >&2
	exit 2
fi
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"
mkdir -p "$OUT"

step() { printf '\n==> %s\n' "$*"; }

step "casetrail -c $CONF ingest"
"$CT" -c "$CONF" ingest || exit $?

step "casetrail cases"
"$CT" -c "$CONF" cases --format table || exit $?

# The ping-pong case: Priya Nair's upgrade, passed Sales -> Billing -> Support -> Billing.
id=$("$CT" -c "$CONF" cases --format json | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if any(i["external_id"].startswith("t2a.") for i in c["items"]):
        print(c["id"]); break' 2>/dev/null)
if [ -n "$id" ]; then
	step "casetrail case show $id   (the ping-pong case)"
	"$CT" -c "$CONF" case show "$id" --format table || exit $?
fi

# The examples cover March 2025: report on that month.
PERIOD="--since 2025-03-01 --until 2025-04-01"
step "casetrail report complaints $PERIOD"
"$CT" -c "$CONF" report complaints $PERIOD --format table || exit $?
step "casetrail audit handoffs --until 2025-04-01"
"$CT" -c "$CONF" audit handoffs --until 2025-04-01 --format table || exit $?
"$CT" -c "$CONF" report complaints $PERIOD --out "$OUT/report.html" 2>/dev/null || exit $?
"$CT" -c "$CONF" audit handoffs --until 2025-04-01 --out "$OUT/audit.html" 2>/dev/null || exit $?
step "HTML reports: $OUT/report.html and $OUT/audit.html"
exit 0
