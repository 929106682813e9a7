#!/bin/sh
# t40-rt.sh - the Request Tracker fetcher against a real RT 5 on 127.0.0.1:
# a ticket moved Sales -> Billing -> Support -> Billing is rebuilt as exactly
# that trail (ping-pong), a second run adds nothing, a later move is picked
# up incrementally, and a ticket opened by mail (rt-mailgate) joins the case
# of the same mail read from disk.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$TOP/tests/integration/lib-rt.sh"
trap rt_stop EXIT INT TERM
if ! rt_start; then
	[ "${CT_TEST_REQUIRE_SERVERS:-0}" = 1 ] && fail "Request Tracker could not be started (see $TMPDIR/rt)"
	echo "skip: Request Tracker could not be installed or started"
	exit 0
fi

for q in Sales Billing Support; do
	rt_api POST /queue "{\"Name\":\"$q\"}" | grep -q '"id"' || fail "creating queue $q"
done
id=$(rt_api POST /ticket '{"Queue":"Sales","Subject":"Upgrade pricing","Requestor":"kim@acme.example","Content":"Your rep promised us the old price until April."}' |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "creating a ticket"
move() {
	sleep 1
	rt_api PUT "/ticket/$1" "{\"Queue\":\"$2\"}" >/dev/null || fail "moving ticket $1 to $2"
}
move "$id" Billing
move "$id" Support
move "$id" Billing

cat > mail.eml <<'MAIL'
From: Lee Customer <lee@customer.example>
To: support@northwind.example
Subject: Order A-77 still missing
Message-ID: <order-a77-1@customer.example>
Date: Sun, 22 Nov 2026 09:00:00 +0100
Content-Type: text/plain; charset=utf-8

Hello, the order A-77 was promised for Friday. It is Sunday.
Lee
MAIL
RT_SITE_CONFIG="$RT_DIR/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$RT_DIR/siteconfig.d" \
	rt-mailgate --queue Support --action correspond --url "$RT_URL/" < mail.eml || fail "rt-mailgate"

cat > casetrail.conf <<CONF
[store]
path = rt.db
[organization]
internal_domains = northwind.example
[department Sales]
addresses = sales@northwind.example
helpdesk_groups = Sales
[department Billing]
addresses = billing@northwind.example
helpdesk_groups = Billing
[department Support]
addresses = support@northwind.example
helpdesk_groups = Support
[source rt]
type = rt
url = $RT_URL
token_env = RT_TEST_TOKEN
CONF
export RT_TEST_TOKEN="$RT_TOKEN"

"$CASETRAIL" -c casetrail.conf ingest 2>run1.err || fail "first run: $(cat run1.err)"
grep -q "ingest: [1-9][0-9]* new" run1.err || fail "first run stored nothing: $(cat run1.err)"
case_of() {
	"$CASETRAIL" -c casetrail.conf cases --format json | python3 -c "
import json, sys
for c in json.load(sys.stdin):
    for i in c['items']:
        if i['external_id'].startswith('$1'):
            print(c['id']); sys.exit(0)
sys.exit(1)"
}
cid=$(case_of "rt:$id#") || fail "no case holds ticket $id"
"$CASETRAIL" -c casetrail.conf case show "$cid" --format json > case1.json
python3 - "$cid" <<'PY' || fail "trail of ticket $id: $(cat case1.json | head -c 600)"
import json, sys
c = json.load(open("case1.json"))
assert c["departments"] == ["Sales", "Billing", "Support", "Billing"], c["departments"]
assert c["ping_pong"] is True and c["handoffs"] == 3, (c["ping_pong"], c["handoffs"])
r = c["routing"]
assert [e["via"] for e in r] == ["ticket"] * 3, r
assert [(e["from_department"], e["to_department"]) for e in r] == [("Sales", "Billing"), ("Billing", "Support"), ("Support", "Billing")], r
assert all(e["actor"] for e in r), r
texts = [i for i in c["items"] if i["kind"] == "ticket"]
assert texts and "promised" in texts[0]["body"], texts
PY

"$CASETRAIL" -c casetrail.conf ingest 2>run2.err || fail "second run: $(cat run2.err)"
grep -q "ingest: 0 new" run2.err || fail "second run added items: $(cat run2.err)"

move "$id" Support
"$CASETRAIL" -c casetrail.conf ingest 2>run3.err || fail "third run: $(cat run3.err)"
grep -q "ingest: 1 new" run3.err || fail "third run should add the one move: $(cat run3.err)"
"$CASETRAIL" -c casetrail.conf case show "$cid" --format json |
	python3 -c 'import json,sys; d=json.load(sys.stdin)["departments"]; assert d == ["Sales","Billing","Support","Billing","Support"], d' ||
	fail "the later move is missing from the trail"

# the mailed-in ticket and the same mail from disk are one case
mid=$(rt_api GET "/tickets?query=Queue%3D'Support'%20AND%20id%20!%3D%20$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])') ||
	fail "no mailed-in ticket"
"$CASETRAIL" -c casetrail.conf ingest --eml mail.eml --department Support 2>run4.err || fail "ingest --eml: $(cat run4.err)"
c_ticket=$(case_of "rt:$mid#") || fail "no case for the mailed-in ticket $mid"
c_mail=$(case_of "order-a77-1@customer.example") || fail "no case for the mail"
[ "$c_ticket" = "$c_mail" ] || fail "mail (case $c_mail) and its ticket (case $c_ticket) are not one case"
echo ok
