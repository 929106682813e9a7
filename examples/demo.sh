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
"$CT" -c "$CONF" ingest
rc=$?
# 1 = finished with errors it reported (e.g. a source type this build lacks); go on.
[ $rc -le 1 ] || exit $rc

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

if "$CT" report --help >/dev/null 2>&1; then
	step "casetrail report complaints --since 2000-01-01"
	"$CT" -c "$CONF" report complaints --since 2000-01-01 || exit $?
	step "casetrail audit handoffs"
	"$CT" -c "$CONF" audit handoffs || exit $?
	"$CT" -c "$CONF" report complaints --since 2000-01-01 --format html --out "$OUT/report.html" || exit $?
	step "HTML report: $OUT/report.html"
else
	step "reports are not in this build (casetrail report --help failed)"
fi
exit 0
