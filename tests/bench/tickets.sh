#!/bin/sh
# tickets.sh - 100,000 generated tickets (about 350,000 events) ingested from a
# JSONL file: tickets/s and peak RSS, and the same for 25,000 tickets to show
# that memory does not grow with the export.
set -u
: "${CASETRAIL:?}" "${BENCH_DIR:?}" "${TOP:?}"
N=${TICKETS_BENCH_N:-100000}
dir="$BENCH_DIR/tickets"
mkdir -p "$dir"
cat > "$dir/casetrail.conf" <<CONF
[organization]
internal_domains = corp.example
[department Support]
helpdesk_groups = Support, Support Tier 2
[department Billing]
helpdesk_groups = Billing
[department Onboarding]
helpdesk_groups = Onboarding
[department Account Management]
helpdesk_groups = Account Management
CONF
for n in $((N / 4)) $N; do
	f="$dir/tickets-$n.jsonl"
	[ -f "$f" ] || python3 "$TOP/tests/bench/gen_tickets.py" "$n" "$f"
	db="$dir/t-$n.db"
	rm -f "$db" "$db-wal" "$db-shm"
	/usr/bin/time -o "$dir/time" -f "%e %M" "$CASETRAIL" -q -c "$dir/casetrail.conf" --db "$db" \
		ingest --tickets "$f" >/dev/null 2>"$dir/err" || { echo "tickets: ingest failed: $(tail -3 "$dir/err")"; exit 1; }
	set -- $(cat "$dir/time")
	events=$(wc -l < "$f")
	echo "tickets: $n tickets ($events events, $(du -m "$f" | cut -f1) MiB): $1 s, $(echo "$n $1" | awk '{printf "%.0f", $1/$2}') tickets/s, peak RSS $(($2 / 1024)) MiB"
done
