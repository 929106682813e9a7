#!/bin/sh
# t42-freshdesk-http.sh - the Freshdesk fetcher against a local server in the
# documented shapes: tickets by updated_since with their conversations; a
# group change between two polls becomes a move observed at poll time.
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
t = {"id": 77, "subject": "Refund", "status": 2, "group_id": 1, "created_at": "2024-03-04T09:00:00Z",
     "updated_at": "2024-03-04T10:00:00Z", "description_text": "You charged us twice.",
     "requester": {"email": "kim@acme.example"}}
conv = {"77": [{"id": 901, "body_text": "Looking into it.", "incoming": False, "private": False,
                "from_email": "sam@northwind.example", "created_at": "2024-03-04T10:00:00Z"}]}
json.dump({"groups": [{"id": 1, "name": "Support"}, {"id": 2, "name": "Billing"}], "tickets": [t], "conversations": conv},
          open(d + "/freshdesk.json", "w"))
json.dump({"500": "/api/v2/tickets/77/conversations"}, open(d + "/faults.json", "w"))
json.dump({"expect": "Basic " + base64.b64encode(b"fd-key:X").decode()}, open(d + "/auth.json", "w"))
PY
hd_start || fail "the helpdesk server did not start"
cat > casetrail.conf <<CONF
[store]
path = fd.db
[organization]
internal_domains = northwind.example
[department Support]
helpdesk_groups = Support
[department Billing]
helpdesk_groups = Billing
[source fd]
type = freshdesk
url = $HD_URL
token_env = FD_KEY
CONF
export FD_KEY=fd-key
"$CASETRAIL" -c casetrail.conf ingest 2>run1.err || fail "first run: $(cat run1.err)"
grep -q "HTTP 500; retrying" run1.err || fail "the 500 was not retried: $(cat run1.err)"
# the ticket moves to Billing between polls
python3 - "$HD_DATA" <<'PY'
import json, sys
d = sys.argv[1]
f = json.load(open(d + "/freshdesk.json"))
f["tickets"][0].update(group_id=2, updated_at="2024-03-05T08:00:00Z")
f["conversations"]["77"].append({"id": 902, "body_text": "Refund sent.", "incoming": False, "private": False,
                                 "from_email": "dana@northwind.example", "created_at": "2024-03-05T08:00:00Z"})
json.dump(f, open(d + "/freshdesk.json", "w"))
PY
"$CASETRAIL" -c casetrail.conf ingest 2>run2.err || fail "second run: $(cat run2.err)"
cid=$("$CASETRAIL" -c casetrail.conf cases --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$CASETRAIL" -c casetrail.conf case show "$cid" --format json > case.json
python3 - <<'PY' || fail "freshdesk case: $(head -c 900 case.json)"
import json
c = json.load(open("case.json"))
assert c["departments"] == ["Support", "Billing"], c["departments"]
r = c["routing"]
assert len(r) == 1 and r[0]["via"] == "ticket" and r[0]["observed"] is True, r
ids = {i["external_id"] for i in c["items"]}
assert {"freshdesk:77#description", "freshdesk:77#901", "freshdesk:77#902"} <= ids, ids
PY
"$CASETRAIL" -c casetrail.conf ingest 2>run3.err || fail "third run: $(cat run3.err)"
grep -q "ingest: 0 new" run3.err || fail "third run added items: $(cat run3.err)"
echo ok
