#!/bin/sh
# postgres.sh - `make bench` fragment: the store on PostgreSQL beside SQLite,
# in one run on one machine (a throwaway server from Debian's postgresql
# package, started as the tests start it: tests/integration/lib-postgres.sh).
#  1. ingest of the generated 8,000-file corpus (the ingest fragment's) into
#     SQLite, into PostgreSQL with one worker, and with two workers at once
#     (the mailboxes split between them). Goal: 2 workers within 1.5x SQLite.
#  2. the complaint report and the handoff audit over the 1,000,000-item store
#     of the reports fragment, copied into PostgreSQL with `store copy`.
#     Goal: under 3 s each.
# Environment: CASETRAIL, BENCH_DIR, TOP, GENCORPUS; REPORT_ITEMS (1000000).
set -u
: "${CASETRAIL:?}" "${BENCH_DIR:=/tmp/casetrail-bench}" "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${REPORT_ITEMS:=1000000}"
CT=$CASETRAIL
TMPDIR=$BENCH_DIR/postgres
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
export TMPDIR TOP
# Without a server this fragment says so and stops; the others go on.
CT_TEST_REQUIRE_SERVERS=
. "$TOP/tests/integration/lib-postgres.sh"
skip_or_die() { echo "postgres: $*, skipped"; exit 0; }
pg_start
reset_db() {
	pg_sql "SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;" ||
		exit 1
}
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
# CPU seconds (user + system) the server has used: the postmaster's own and
# that of its ended children (the backends, reaped by it), from /proc.
server_cpu() {
	awk '{ print ($14 + $15 + $16 + $17) / 100 }' "/proc/$(head -1 "$PG/data/postmaster.pid")/stat"
}
# CPU seconds of this shell's ended children (the casetrail runs): "times"
# must run in this shell (not in a $(...) subshell), so it writes a file.
cpu_mark() { times >"$TMPDIR/times"; }
cpu_read() { awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$TMPDIR/times"; }

# ---- 1. ingest ----
dir="$BENCH_DIR/corpus-ingest"
if [ ! -f "$dir/casetrail.conf" ]; then
	[ -x "$GENCORPUS" ] || { echo "postgres: no corpus generator at $GENCORPUS, ingest skipped"; dir=; }
	[ -z "$dir" ] || "$GENCORPUS" --seed 7 --cases 5000 --no-truth --out "$dir" >/dev/null || exit 1
fi
if [ -n "$dir" ]; then
	sources=$(sed -n 's/^\[source \(.*-mailbox\)\]/\1/p' "$dir/casetrail.conf")
	set -- $sources
	half=$(( ($# + 1) / 2 ))
	first= second= i=0
	for s in $sources; do
		i=$((i + 1))
		if [ $i -le $half ]; then first="$first $s"; else second="$second $s"; fi
	done
	n=$(find "$dir/maildir" -type f | wc -l)
	db=$TMPDIR/ingest.db
	cpu_mark
	c0=$(cpu_read)
	t0=$(now)
	"$CT" -q -c "$dir/casetrail.conf" --db "$db" ingest $sources 2>/dev/null
	t1=$(now)
	sq=$(secs "$t0" "$t1")
	cpu_mark
	sqcpu=$(echo "$(cpu_read) - $c0" | bc)
	items=$(sqlite3 "$db" "select count(*) from items")
	reset_db
	cpu_mark
	c0=$(cpu_read)
	s0=$(server_cpu)
	t0=$(now)
	"$CT" -q -c "$dir/casetrail.conf" --db "$PG_URL" ingest $sources 2>/dev/null
	t1=$(now)
	pg1=$(secs "$t0" "$t1")
	cpu_mark
	c1=$(cpu_read)
	s1=$(server_cpu)
	[ "$(pg_sql "select count(*) from items")" = "$items" ] || echo "postgres: 1 worker stored $(pg_sql "select count(*) from items") items, SQLite $items"
	# The same store, case numbers and all (the batch's lookups are answered from one query each there).
	"$CT" -c "$dir/casetrail.conf" --db "$db" cases --format json >"$TMPDIR/cases-sqlite.json" 2>/dev/null
	"$CT" -c "$dir/casetrail.conf" --db "$PG_URL" cases --format json >"$TMPDIR/cases-pg1.json" 2>/dev/null
	if cmp -s "$TMPDIR/cases-sqlite.json" "$TMPDIR/cases-pg1.json"; then
		echo "postgres: 1 worker: cases --format json byte for byte as on SQLite"
	else
		echo "postgres: 1 worker: the cases differ from SQLite's"
	fi
	reset_db
	t0=$(now)
	"$CT" -q -c "$dir/casetrail.conf" --db "$PG_URL" ingest $first 2>/dev/null &
	a=$!
	"$CT" -q -c "$dir/casetrail.conf" --db "$PG_URL" ingest $second 2>/dev/null &
	b=$!
	wait $a
	wait $b
	t1=$(now)
	pg2=$(secs "$t0" "$t1")
	[ "$(pg_sql "select count(*) from items")" = "$items" ] || echo "postgres: 2 workers stored $(pg_sql "select count(*) from items") items, SQLite $items"
	"$CT" -c "$dir/casetrail.conf" --db "$PG_URL" cases --format json 2>/dev/null |
		python3 "$TOP/tests/integration/cases_digest.py" >"$TMPDIR/digest-pg2"
	python3 "$TOP/tests/integration/cases_digest.py" <"$TMPDIR/cases-sqlite.json" >"$TMPDIR/digest-sqlite"
	if cmp -s "$TMPDIR/digest-sqlite" "$TMPDIR/digest-pg2"; then
		echo "postgres: 2 workers: the same cases, routing and tags as SQLite (case numbers aside)"
	else
		echo "postgres: 2 workers: the cases differ from SQLite's"
	fi
	printf 'ingest %d files (%d items): SQLite %.2f s, PostgreSQL 1 worker %.2f s (%.2fx), 2 workers %.2f s (%.2fx; goal 1.5x)\n' \
		"$n" "$items" "$sq" "$pg1" "$(echo "$pg1 / $sq" | bc -l)" "$pg2" "$(echo "$pg2 / $sq" | bc -l)"
	# Where PostgreSQL's time goes: its server shares this machine's cores with the workers.
	pgc=$(echo "$c1 - $c0" | bc)
	pgs=$(echo "$s1 - $s0" | bc)
	printf 'ingest CPU: SQLite %.2f s (casetrail, SQLite inside it); PostgreSQL 1 worker: casetrail %.2f s + server %.2f s = %.2f s, so on %d cores at least %.2f s (%.2fx SQLite'"'"'s time)\n' \
		"$sqcpu" "$pgc" "$pgs" "$(echo "$pgc + $pgs" | bc)" "$(nproc)" \
		"$(echo "($pgc + $pgs) / $(nproc)" | bc -l)" "$(echo "($pgc + $pgs) / $(nproc) / $sq" | bc -l)"
fi

# ---- 2. reports over 1,000,000 items ----
rdb="$BENCH_DIR/reports/store-$REPORT_ITEMS.db"
if [ ! -s "$rdb" ]; then
	sh "$TOP/tests/bench/reports.sh" >/dev/null 2>&1
fi
[ -s "$rdb" ] || { echo "postgres: no report store ($rdb), reports skipped"; exit 0; }
reset_db
t0=$(now)
"$CT" -q --db "$rdb" store copy --to "$PG_URL" >/dev/null || { echo "postgres: store copy FAILED"; exit 1; }
t1=$(now)
printf 'store copy of %d items SQLite -> PostgreSQL: %.1f s\n' "$REPORT_ITEMS" "$(secs "$t0" "$t1")"
pg_sql "ANALYZE" >/dev/null
status=0
timed() { # OUT TARGET ARGS...: runs, prints the seconds
	out=$1 target=$2
	shift 2
	t0=$(now)
	"$CT" --db "$target" "$@" --out "$out" 2>"$TMPDIR/err" || { echo "FAILED: $(cat "$TMPDIR/err")" >&2; echo 999; return; }
	secs "$t0" "$(now)"
}
run() { # LABEL ARGS...
	label=$1
	shift
	t_sq=$(timed "$TMPDIR/out.sqlite" "$rdb" "$@")
	t_pg=$(timed "$TMPDIR/out.pg" "$PG_URL" "$@")
	same=same
	cmp -s "$TMPDIR/out.sqlite" "$TMPDIR/out.pg" || same=DIFFERENT
	verdict=ok
	[ "$(echo "$t_pg < 3" | bc)" = 1 ] || { verdict=MISSED; status=1; }
	printf '%-48s SQLite %6.2f s  PostgreSQL %6.2f s (target < 3 s: %s; output %s)\n' "$label" "$t_sq" "$t_pg" "$verdict" "$same"
}
M="--since 2025-10-01 --until 2025-11-01"
A="--since 2024-01-01 --until 2025-11-15"
run "report complaints, one month, json" report complaints $M --format json
run "report complaints, two years, json" report complaints $A --format json
run "audit handoffs, one month, json" audit handoffs $M --format json
run "audit handoffs --min-handoffs 2, two years, json" audit handoffs $A --min-handoffs 2 --format json
exit $status
