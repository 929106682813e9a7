#!/bin/sh
# t18-ingest-export.sh - a Zendesk export file is read as a stream, one ticket at a time:
# the same items whether users and groups come before or after the tickets; a file cut inside
# its tickets keeps the complete tickets before the damage and names the byte offset; data
# after the export is a warning; an unchanged file is not read again, and a file cut and
# then completed gives the same store as the whole file.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"

cat >ct.conf <<CONF
[organization]
internal_domains = corp.example
[department Support]
helpdesk_groups = Support
[department Billing]
helpdesk_groups = Billing
CONF

# Six tickets of three comments; each is moved from Support to Billing. LAYOUT: tail (users and
# groups after the tickets, as Zendesk writes them) or head (before).
python3 - <<'PY'
import json
users = [{"id": 1, "email": "agent@corp.example", "name": "Agent", "role": "agent"}]
tickets = []
for t in range(6):
    users.append({"id": 100 + t, "email": "c%d@client.example" % t, "name": "C %d" % t, "role": "end-user"})
    b = 1000 * (t + 1)
    tickets.append({"id": 40 + t, "subject": "Refund %d" % t, "requester_id": 100 + t,
        "comments": [{"id": b + 1, "author_id": 100 + t, "plain_body": "You charged me twice, ticket %d." % t},
                     {"id": b + 2, "author_id": 1, "plain_body": "Passing this to Billing."},
                     {"id": b + 3, "author_id": 1, "plain_body": "Refunded.", "public": False}],
        "audits": [{"id": b + 4, "created_at": "2024-05-0%dT08:00:00Z" % (t + 1), "author_id": 100 + t,
                    "events": [{"id": b + 1, "type": "Comment"},
                               {"id": b + 5, "type": "Create", "field_name": "group_id", "value": "7"}]},
                   {"id": b + 6, "created_at": "2024-05-0%dT09:00:00Z" % (t + 1), "author_id": 1,
                    "events": [{"id": b + 2, "type": "Comment"},
                               {"id": b + 7, "type": "Change", "field_name": "group_id", "value": "8"}]},
                   {"id": b + 8, "created_at": "2024-05-0%dT10:00:00Z" % (t + 1), "author_id": 1,
                    "events": [{"id": b + 3, "type": "Comment"}]}]})
groups = [{"id": 7, "name": "Support"}, {"id": 8, "name": "Billing"}]
ts = '"tickets": [\n' + ",\n".join(json.dumps(t) for t in tickets) + "\n]"
ug = '"users": %s, "groups": %s' % (json.dumps(users), json.dumps(groups))
open("tail.json", "w").write("{" + ts + ", " + ug + ', "end_of_stream": true}\n')
head = "{" + ug + ", " + ts + "}\n"
open("head.json", "w").write(head)
# cut in the middle of the fifth ticket: four complete tickets before the damage
cut = head.index('{"id": 44')
open("cut.json", "w").write(head[:cut + 60])
open("cut.offset", "w").write(str(cut + 60))
open("trailing.json", "w").write(head + "]garbage\n")
open("trailing.offset", "w").write(str(len(head)))
PY

items() {
	sqlite3 "$1" "SELECT kind, external_id, from_addr, role, date, department, ticket_group,
		ticket_group_from, ticket_public, body FROM items ORDER BY external_id"
}

"$CASETRAIL" -c ct.conf --db tail.db ingest --tickets tail.json 2>tail.err || fail "tail.json: $(cat tail.err)"
"$CASETRAIL" -c ct.conf --db head.db ingest --tickets head.json 2>head.err || fail "head.json: $(cat head.err)"
items tail.db >tail.items
items head.db >head.items
[ "$(wc -l <tail.items)" -eq 30 ] || fail "tail.json gave $(wc -l <tail.items) items, want 30"
cmp -s tail.items head.items || { diff tail.items head.items | head; fail "users and groups before or after the tickets read differently"; }
grep -q '^2|zendesk:40#move-1005|c0@client.example|1|.*|Support|Support||' tail.items ||
	fail "the first move is not the customer's, into Support: $(grep 'move-1005' tail.items)"
grep -q '|zendesk:40#1002|agent@corp.example|2|.*|Support|Support||1|Passing this to Billing.$' tail.items ||
	fail "a comment is not in the group it was written in: $(grep '#1002' tail.items)"

# an unchanged file is not read again
"$CASETRAIL" -c ct.conf --db tail.db ingest --tickets tail.json 2>again.err || fail "rerun: $(cat again.err)"
grep -q '^ingest: 0 new, 0 already seen' again.err || fail "rerun read the file again: $(cat again.err)"

# cut inside the tickets: the four before are kept, the source fails naming the byte offset
rc=0
"$CASETRAIL" -c ct.conf --db cut.db ingest --tickets cut.json 2>cut.err || rc=$?
[ $rc -eq 1 ] || fail "cut.json: exit $rc, want 1"
off=$(cat cut.offset)
grep -q "^casetrail: error: source 'cli:tickets': 'cut.json' is cut or damaged at byte $off (unexpected end of file); the tickets before it are stored$" cut.err ||
	fail "cut.json: $(cat cut.err)"
[ "$(sqlite3 cut.db 'SELECT count(*) FROM items')" -eq 20 ] || fail "cut.json kept $(sqlite3 cut.db 'SELECT count(*) FROM items') items, want 20"
# the same file completed: the rest is read, and the store equals the whole file's
cp head.json cut.json
"$CASETRAIL" -c ct.conf --db cut.db ingest --tickets cut.json 2>cut2.err || fail "completed cut.json: $(cat cut2.err)"
grep -q '^ingest: 10 new' cut2.err || fail "completed cut.json: $(cat cut2.err)"
items cut.db | cmp -s - head.items || fail "a cut file completed differs from the whole file"

# data after the export: a warning with the byte offset, every ticket read
"$CASETRAIL" -c ct.conf --db trailing.db ingest --tickets trailing.json 2>trailing.err ||
	fail "trailing.json: $(cat trailing.err)"
off=$(cat trailing.offset)
grep -q "^casetrail: warning: source 'cli:tickets': 'trailing.json': more data after the export at byte $off; every ticket was read$" trailing.err ||
	fail "trailing.json: $(cat trailing.err)"
items trailing.db | cmp -s - head.items || fail "trailing.json did not give every item"

# a file with users and groups only after a damaged ticket array: nothing is read
head -c 3000 tail.json >badtail.json
rc=0
"$CASETRAIL" -c ct.conf --db badtail.db ingest --tickets badtail.json 2>badtail.err || rc=$?
[ $rc -eq 1 ] || fail "badtail.json: exit $rc"
grep -q "^casetrail: error: source 'cli:tickets': 'badtail.json' is cut or damaged at byte 3000 (unexpected end of file), before its users and groups; nothing was read$" badtail.err ||
	fail "badtail.json: $(cat badtail.err)"
echo ok
