#!/bin/sh
# t41-zendesk-http.sh - the Zendesk API fetcher against a local server that
# replays the documented shapes: cursor paging of the incremental export and
# of audits, a 429 with Retry-After and a 500 that are retried, a rejected
# token, a malformed page that stops only that source, and a rerun that adds
# nothing.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
HD_DATA="$TMPDIR/hd"
mkdir -p "$HD_DATA"
. "$TOP/tests/integration/lib-helpdesk.sh"
trap hd_stop EXIT INT TERM

python3 - "$HD_DATA" <<'PY'
import json, sys, base64
d = sys.argv[1]
users = [{"id": 1, "email": "kim@acme.example", "name": "Kim", "role": "end-user"},
         {"id": 2, "email": "sam@northwind.example", "name": "Sam", "role": "agent"},
         {"id": 3, "email": "dana@northwind.example", "name": "Dana", "role": "agent"}]
groups = [{"id": 10, "name": "Support"}, {"id": 20, "name": "Billing"}]
def audit(aid, at, author, events, mid=None):
    a = {"id": aid, "created_at": at, "author_id": author, "events": events, "metadata": {"system": {}}}
    if mid: a["metadata"]["system"]["message_id"] = "<%s>" % mid
    return a
t1 = {"id": 1001, "subject": "Charged twice", "status": "open", "requester_id": 1, "group_id": 20,
      "comments": [{"id": 5001, "author_id": 1, "plain_body": "You charged us twice for March.", "public": True},
                   {"id": 5002, "author_id": 2, "plain_body": "Sorry about that, I'm transferring you to our Billing team.", "public": True},
                   {"id": 5003, "author_id": 3, "plain_body": "The second charge is refunded.", "public": True}],
      "audits": [audit(9001, "2024-03-04T09:00:00Z", 1, [{"id": 5001, "type": "Comment"},
                        {"id": 7001, "type": "Create", "field_name": "group_id", "value": "10"}], "mail-1001@acme.example"),
                 audit(9002, "2024-03-04T10:00:00Z", 2, [{"id": 5002, "type": "Comment"},
                        {"id": 7002, "type": "Change", "field_name": "group_id", "value": "20", "previous_value": "10"}]),
                 audit(9003, "2024-03-05T08:00:00Z", 3, [{"id": 5003, "type": "Comment"},
                        {"id": 7003, "type": "Change", "field_name": "status", "value": "solved", "previous_value": "open"}])]}
t2 = {"id": 1002, "subject": "Login", "status": "open", "requester_id": 1, "group_id": 10,
      "comments": [{"id": 5101, "author_id": 1, "plain_body": "I cannot log in.", "public": True}],
      "audits": [audit(9101, "2024-03-06T09:00:00Z", 1, [{"id": 5101, "type": "Comment"},
                        {"id": 7101, "type": "Create", "field_name": "group_id", "value": "10"}])]}
t3 = {"id": 1003, "subject": "Invoice copy", "status": "open", "requester_id": 1, "group_id": 20,
      "comments": [{"id": 5201, "author_id": 1, "plain_body": "Please send the invoice again.", "public": True}],
      "audits": [audit(9201, "2024-03-07T09:00:00Z", 1, [{"id": 5201, "type": "Comment"},
                        {"id": 7201, "type": "Create", "field_name": "group_id", "value": "20"}])]}
json.dump({"users": users, "groups": groups, "tickets": [t1, t2, t3]}, open(d + "/zendesk.json", "w"))
json.dump({"429": "/api/v2/groups.json", "500": "/api/v2/users.json"}, open(d + "/faults.json", "w"))
json.dump({"expect": "Basic " + base64.b64encode(b"agent@northwind.example/token:s3cret-token").decode()},
          open(d + "/auth.json", "w"))
PY
hd_start || fail "the helpdesk server did not start: $(cat "$HD_DATA/server.err")"

mkdir -p md/new
printf 'Message-ID: <m1@acme.example>\nFrom: kim@acme.example\nTo: support@northwind.example\nSubject: hello\nDate: Mon, 04 Mar 2024 08:00:00 +0000\n\nhi\n' > md/new/1.M1P1.host
write_conf() {
	cat > casetrail.conf <<CONF
[store]
path = zd.db
[organization]
internal_domains = northwind.example
rules = $TOP/config/rules.conf
[department Support]
addresses = support@northwind.example
helpdesk_groups = Support
[department Billing]
addresses = billing@northwind.example
helpdesk_groups = Billing
[source desk]
type = zendesk
url = $HD_URL
user = agent@northwind.example
token_env = ZD_TOKEN
[source mail]
type = maildir
path = md
department = Support
CONF
}
write_conf
export ZD_TOKEN=s3cret-token

"$CASETRAIL" -c casetrail.conf ingest 2>run1.err || fail "first run: $(cat run1.err)"
grep -q "HTTP 429; retrying in 1 s" run1.err || fail "no retry after 429: $(cat run1.err)"
grep -q "HTTP 500; retrying" run1.err || fail "no retry after 500: $(cat run1.err)"
grep -q "s3cret-token" run1.err && fail "the token was printed"
[ "$(grep -c 'GET /api/v2/groups.json' "$HD_DATA/requests.log")" = 2 ] || fail "the 429 was not retried once"
[ "$(grep -c 'audits.json' "$HD_DATA/requests.log")" -ge 5 ] || fail "audit pages were not followed"
"$CASETRAIL" -c casetrail.conf cases --format json > cases.json
python3 - <<'PY' || fail "cases: $(head -c 800 cases.json)"
import json
cases = json.load(open("cases.json"))
by = {i["external_id"]: c for c in cases for i in c["items"]}
c = by["zendesk:1001#5001"]
assert c["departments"] == ["Support", "Billing"], c["departments"]
assert c["handoffs"] == 1 and not c["ping_pong"]
ids = {i["external_id"] for i in c["items"]}
assert {"zendesk:1001#5001", "zendesk:1001#5002", "zendesk:1001#5003"} <= ids, ids
d = {i["external_id"]: i["department"] for i in c["items"]}
assert d["zendesk:1001#5002"] == "Support" and d["zendesk:1001#5003"] == "Billing", d
tags = {i["external_id"]: i["tags"] for i in c["items"]}
assert "billing_dispute" in tags["zendesk:1001#5001"] and "handoff" in tags["zendesk:1001#5002"], tags
assert by["zendesk:1002#5101"]["id"] != c["id"]
assert "m1@acme.example" in by
PY
# the cursor: nothing new the second time
"$CASETRAIL" -c casetrail.conf ingest 2>run2.err || fail "second run: $(cat run2.err)"
grep -q "ingest: 0 new" run2.err || fail "second run added items: $(cat run2.err)"

# a wrong token stops that source, with a hint; the other source still runs
ZD_TOKEN=wrong "$CASETRAIL" -c casetrail.conf ingest 2>run3.err && fail "a wrong token passed"
grep -q "source 'desk': GET /groups.json: HTTP 401, the server refused the credentials" run3.err ||
	fail "wrong token message: $(cat run3.err)"
grep -q "source 'desk' stopped with errors; continuing with the others" run3.err || fail "no continuation note"

# a malformed page stops that source; mail still arrives
printf 'Message-ID: <m2@acme.example>\nFrom: kim@acme.example\nTo: support@northwind.example\nSubject: again\nDate: Tue, 05 Mar 2024 08:00:00 +0000\n\nhi again\n' > md/new/2.M2P1.host
rm -f zd.db zd.db-wal zd.db-shm
echo '{"malformed": "/api/v2/incremental/tickets/cursor.json"}' > "$HD_DATA/faults.json"
rc=0
"$CASETRAIL" -c casetrail.conf ingest 2>run4.err || rc=$?
[ $rc = 1 ] || fail "malformed page: exit $rc, want 1"
grep -q "source 'desk': GET /incremental/tickets/cursor.json: the answer is not JSON" run4.err ||
	fail "malformed page message: $(cat run4.err)"
[ "$(sqlite3 zd.db "select count(*) from items where external_id like 'm%@acme.example'")" = 2 ] ||
	fail "the mail source was not ingested after the helpdesk failed"
echo ok
