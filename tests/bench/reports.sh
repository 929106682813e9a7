#!/bin/sh
# reports.sh - `make bench` fragment: report complaints and audit handoffs over a
# generated store of 1,000,000 items (tests/bench/gen_report_store.py), a month's
# period and the whole two years, table and JSON. Target: under 2 s each for a
# month. Environment: CASETRAIL, BENCH_DIR, TOP; REPORT_ITEMS (default 1000000).
set -u
: "${CASETRAIL:?}" "${BENCH_DIR:=/tmp/casetrail-bench}" "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${REPORT_ITEMS:=1000000}"
command -v python3 >/dev/null || { echo "reports: python3 is missing, skipped"; exit 0; }
dir="$BENCH_DIR/reports"
db="$dir/store-$REPORT_ITEMS.db"
mkdir -p "$dir"
if [ ! -s "$db" ]; then
	rm -f "$db" "$db-wal" "$db-shm"
	printf 'From: a@example.net\r\nTo: sales@corp.example\r\nSubject: seed\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <seed@bench>\r\n\r\nseed\r\n' >"$dir/seed.eml"
	"$CASETRAIL" --db "$db" ingest --eml "$dir/seed.eml" --department Sales >/dev/null 2>&1 || exit 1
	echo "generating a store of $REPORT_ITEMS items ..."
	python3 "$TOP/tests/bench/gen_report_store.py" "$db" "$REPORT_ITEMS" || exit 1
fi
now() { date +%s.%N; }
status=0
run() { # LIMIT LABEL ARGS...
	limit=$1 label=$2; shift 2
	t0=$(now)
	"$CASETRAIL" --db "$db" "$@" --out "$dir/out" 2>"$dir/err" || { echo "$label: FAILED: $(cat "$dir/err")"; status=1; return; }
	t1=$(now)
	secs=$(echo "$t1 - $t0" | bc)
	size=$(wc -c <"$dir/out")
	verdict=""
	if [ -n "$limit" ]; then
		if [ "$(echo "$secs < $limit" | bc)" = 1 ]; then verdict="(target < ${limit} s: ok)"; else verdict="(target < ${limit} s: MISSED)"; status=1; fi
	fi
	printf '%-58s %6.2f s  %10d bytes %s\n' "$label" "$secs" "$size" "$verdict"
}
M="--since 2025-10-01 --until 2025-11-01"
A="--since 2024-01-01 --until 2025-11-15"
run 2 "report complaints, one month, table" report complaints $M --format table
run 2 "report complaints, one month, json" report complaints $M --format json
run 2 "report complaints, one month, html" report complaints $M --format html
run 2 "audit handoffs, one month, table" audit handoffs $M --format table
run 2 "audit handoffs, one month, json" audit handoffs $M --format json
run "" "report complaints, two years, json" report complaints $A --format json
run "" "audit handoffs --min-handoffs 2, two years, json" audit handoffs $A --min-handoffs 2 --format json
run "" "audit handoffs, two years, table (all 200,000 cases)" audit handoffs $A --format table
exit $status
