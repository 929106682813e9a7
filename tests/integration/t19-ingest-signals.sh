#!/bin/sh
# t19-ingest-signals.sh - ingest stopped by SIGTERM or SIGKILL at random points (fixed seeds, so
# the choices are the same on every run), then rerun until it completes: the store must equal one
# uninterrupted run (items, tags, cases, routing).  SIGTERM must stop cleanly: exit 1 with
# "interrupted by SIGTERM", the run recorded as finished, the store free for the next run.
# Corpus: the bundled examples (Maildirs and JSONL tickets), generated Maildir threads and a
# generated Zendesk export file (tickets first, users and groups after, as Zendesk writes it).
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
N=${CT_SIGNAL_THREADS:-1000}
T=${CT_SIGNAL_TICKETS:-1000}
command -v sqlite3 >/dev/null || fail "sqlite3 is needed (apt-get install sqlite3)"

cp -r "$TOP/examples/mail" "$TOP/examples/tickets.jsonl" .
sed -e "s|^rules = .*|rules = $TOP/config/rules.conf|" -e '/^\[store\]/,/^$/d' \
	"$TOP/examples/casetrail.conf" >ct.conf
cat >>ct.conf <<CONF

[source bulk]
type = maildir
path = bulk
department = Support

[source zendesk]
type = zendesk
path = export.json
CONF

i=0
while [ $i -lt $N ]; do
	cust="Customer $i <cust$i@client$((i % 37)).example>"
	subj="Invoice $i: charged twice"
	d=$((i % 28 + 1))
	generate_message bulk from="$cust" to="billing@larkspur.example" subject="$subj" \
		id="s$i.1@client.example" date="Tue, $d May 2024 09:00:00 +0000" \
		body="You charged us twice for invoice $i. Please refund the second payment."
	generate_message bulk from="Billing <billing@larkspur.example>" to="$cust" cc="support@larkspur.example" \
		subject="Re: $subj" id="s$i.2@larkspur.example" in_reply_to="s$i.1@client.example" \
		references="<s$i.1@client.example>" date="Tue, $d May 2024 10:00:00 +0000" \
		body="I am transferring you to Support, who will look into invoice $i." folder=cur
	i=$((i + 1))
done

python3 - "$T" <<'PY'
import json, sys
n = int(sys.argv[1])
groups = [(360001, "Support"), (360002, "Billing"), (360003, "Account Management")]
users = [{"id": 1000 + a, "email": "agent%d@larkspur.example" % a, "name": "Agent %d" % a, "role": "agent"}
         for a in range(10)]
tickets = []
for t in range(n):
    cust = 5000 + t
    users.append({"id": cust, "email": "buyer%d@shop%d.example" % (t, t % 11), "name": "Buyer %d" % t,
                  "role": "end-user"})
    g0, g1 = groups[t % 3][0], groups[(t + 1) % 3][0]
    base = 100000 + t * 10
    day = "2024-06-%02dT" % (t % 28 + 1)
    comments = [
        {"id": base + 1, "author_id": cust, "public": True,
         "plain_body": "We were promised a discount on ticket %d and the invoice shows full price." % t},
        {"id": base + 2, "author_id": 1000 + t % 10, "public": False,
         "plain_body": "Moving this to the other team, ticket %d." % t},
        {"id": base + 3, "author_id": 1000 + (t + 3) % 10, "public": True,
         "plain_body": "Thank you, we corrected invoice %d." % t},
    ]
    audits = [
        {"id": base + 4, "created_at": day + "08:00:00Z", "author_id": cust,
         "metadata": {"system": {"message_id": "<zd%d@shop.example>" % t}},
         "events": [{"id": base + 1, "type": "Comment"},
                    {"id": base + 5, "type": "Create", "field_name": "group_id", "value": str(g0)},
                    {"id": base + 6, "type": "Create", "field_name": "status", "value": "open"}]},
        {"id": base + 7, "created_at": day + "09:00:00Z", "author_id": 1000 + t % 10,
         "events": [{"id": base + 2, "type": "Comment"},
                    {"id": base + 8, "type": "Change", "field_name": "group_id", "value": str(g1)}]},
        {"id": base + 9, "created_at": day + "10:00:00Z", "author_id": 1000 + (t + 3) % 10,
         "events": [{"id": base + 3, "type": "Comment"},
                    {"id": base + 10, "type": "Change", "field_name": "status", "value": "solved"}]},
    ]
    tickets.append({"id": 7000 + t, "subject": "Discount missing on order %d" % t, "status": "solved",
                    "requester_id": cust, "group_id": g1, "comments": comments, "audits": audits})
with open("export.json", "w") as f:
    f.write('{"tickets": [\n')
    f.write(",\n".join(json.dumps(t) for t in tickets))
    f.write('],\n"users": %s,\n"groups": %s,\n"count": %d, "end_of_stream": true}\n' % (
        json.dumps(users), json.dumps([{"id": g, "name": nm} for g, nm in groups]), n))
PY

# view DB: what must not depend on where runs were stopped
view() {
	store_digest "$1" -c ct.conf
	sqlite3 "$1" "SELECT kind, external_id, message_id, subject, from_addr, role, date, department,
		ticket_group, ticket_group_from, ticket_status, ticket_public, body FROM items ORDER BY external_id" | md5sum
	sqlite3 "$1" "SELECT i.external_id, t.category, t.rule_id, t.span_start, t.span_end FROM tags t
		JOIN items i ON i.id = t.item_id ORDER BY 1, 2, 3, 4" | md5sum
	sqlite3 "$1" "SELECT c.n, r.at, r.from_department, r.to_department, r.via FROM routing_events r
		JOIN (SELECT case_id, min(i.external_id) AS n FROM items i GROUP BY case_id) c ON c.case_id = r.case_id
		ORDER BY 1, 2, 3, 4" | md5sum
	sqlite3 "$1" "SELECT 'items', count(*) FROM items; SELECT 'tags', count(*) FROM tags;
		SELECT 'routing', count(*) FROM routing_events; SELECT 'cases', count(*) FROM cases"
}

t0=$(date +%s%N)
"$CASETRAIL" -q -c ct.conf --db ref.db ingest --summary text 2>ref.err || fail "reference run: $(cat ref.err)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "uninterrupted run: $ms ms; $(grep '^ingest:' ref.err)"
view ref.db >ref.view
[ "$(sqlite3 ref.db "SELECT count(*) FROM items WHERE ticket_system = 'zendesk'")" -eq $((T * 5)) ] ||
	fail "the export gave $(sqlite3 ref.db "SELECT count(*) FROM items WHERE ticket_system = 'zendesk'") items, want $((T * 5))"

# stop DB SIG MS: start an ingest into DB, send SIG after MS milliseconds, check how it ended
stopped=0
stop() {
	"$CASETRAIL" -q -c ct.conf --db "$1" ingest >/dev/null 2>stop.err &
	pid=$!
	sleep "$(awk "BEGIN{print $3/1000}")"
	sent=0
	kill -"$2" $pid 2>/dev/null && sent=1
	rc=0
	wait $pid 2>/dev/null || rc=$?
	[ $sent -eq 1 ] && [ $rc -ne 0 ] && stopped=$((stopped + 1))
	echo "  $1: SIG$2 after $3 ms: exit $rc"
	if [ "$2" = TERM ] && [ $sent -eq 1 ]; then
		case $rc in
		0) ;;      # finished before the signal landed
		143) ;;    # before the store was open: nothing to keep
		1)
			grep -q '^casetrail: error: interrupted by SIGTERM: what was read before is stored' stop.err ||
				fail "SIGTERM: exit 1 without the message: $(tail -3 stop.err)"
			last=$(sqlite3 "$1" "SELECT finished_at IS NOT NULL FROM runs ORDER BY id DESC LIMIT 1")
			[ "$last" = 1 ] || fail "SIGTERM left the run unfinished in $1"
			;;
		*) fail "SIGTERM: exit $rc: $(tail -3 stop.err)" ;;
		esac
	fi
}

# finish DB: rerun until a run completes (a stopped store must not be locked), compare with ref
finish() {
	n=0
	until CASETRAIL_BUSY_TIMEOUT_MS=0 "$CASETRAIL" -q -c ct.conf --db "$1" ingest 2>final.err; do
		n=$((n + 1))
		[ $n -lt 3 ] || fail "rerun on $1 keeps failing: $(cat final.err)"
	done
	view "$1" >"$1.view"
	if ! cmp -s ref.view "$1.view"; then
		diff ref.view "$1.view" | head -20 >&2
		fail "$1 after stopped runs differs from the uninterrupted store"
	fi
	"$CASETRAIL" -q -c ct.conf --db "$1" ingest --summary text 2>again.err || fail "another run on $1: $(cat again.err)"
	grep -q '^ingest: 0 new' again.err || fail "another run on $1 added items: $(cat again.err)"
}

# Seeds pick the signal and the moment (2% to 95% of the uninterrupted run); 1-3 stops per store.
for seed in 1 2 3 4 5 6 7 8; do
	set -- $(awk -v s=$seed -v ms=$ms 'BEGIN { srand(s); k = 1 + int(rand() * 3);
		for (i = 0; i < k; i++) printf "%s:%d ", (rand() < 0.5 ? "TERM" : "KILL"), 1 + ms * (0.02 + rand() * 0.93) }')
	for point in "$@"; do
		stop s$seed.db "${point%%:*}" "${point#*:}"
	done
	finish s$seed.db
done
echo "stopped $stopped runs before they finished"
[ $stopped -gt 0 ] || echo "note: every run finished before its signal (machine too fast)"
echo ok
