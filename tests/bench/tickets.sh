#!/bin/sh
# tickets.sh - 100,000 generated tickets (about 350,000 events) ingested from a
# JSONL file: tickets/s and peak RSS, and the same for 25,000 tickets to show
# that memory does not grow with the export; then a Zendesk export file read as a
# stream (the 10,000-case generated corpus), beside CASETRAIL_PREV when set.
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

# A Zendesk export file, read as a stream: the generated corpus (10,000 cases, when GENCORPUS is
# there) ingested whole (mail + export), then again with nothing new, then the export alone;
# peak RSS must not follow the export's size. CASETRAIL_PREV (a previous build) is measured
# side by side on the same files.
zdir="$BENCH_DIR/corpus-10000"
if [ ! -f "$zdir/casetrail.conf" ]; then
	if [ ! -x "${GENCORPUS:-}" ]; then
		echo "tickets: no corpus generator at ${GENCORPUS:-(unset)}, export figures skipped"
		exit 0
	fi
	"$GENCORPUS" --seed 7 --cases 10000 --no-truth --out "$zdir" >/dev/null || exit 1
fi
zsrc=$(sed -n 's/^\[source \(.*\)\]/\1/p' "$zdir/casetrail.conf" | while read -r s; do
	sed -n "/^\[source $s\]/,/^\[/p" "$zdir/casetrail.conf" | grep -q '^type *= *zendesk' && echo "$s"; done)
zmib=$(du -m "$zdir/zendesk/export.json" | cut -f1)
zt() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%s s, peak RSS %d MiB", $1, $2 / 1024}'; }
for bin in "$CASETRAIL" ${CASETRAIL_PREV:-}; do
	label=this; [ "$bin" = "$CASETRAIL" ] || label=previous
	db="$zdir/bench-$label.db"
	rm -f "$db" "$db-wal" "$db-shm"
	echo "tickets ($label build): mail + Zendesk export ($zmib MiB): first run $(zt "$bin" -q -c "$zdir/casetrail.conf" --db "$db" ingest)"
	echo "tickets ($label build): rerun with nothing new: $(zt "$bin" -q -c "$zdir/casetrail.conf" --db "$db" ingest)"
	rm -f "$db" "$db-wal" "$db-shm"
	echo "tickets ($label build): the export alone: $(zt "$bin" -q -c "$zdir/casetrail.conf" --db "$db" ingest $zsrc); rerun $(zt "$bin" -q -c "$zdir/casetrail.conf" --db "$db" ingest $zsrc)"
	rm -f "$db" "$db-wal" "$db-shm"
done
