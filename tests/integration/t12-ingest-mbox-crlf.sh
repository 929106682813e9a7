#!/bin/sh
# t12-ingest-mbox-crlf.sh - an mbox with CRLF line endings and mboxrd From-escaping.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
mbox="$TOP/examples/mbox/crlf.mbox"
grep -q "$(printf '\r')" "$mbox" || fail "the test file lost its CRLF line endings"

"$CASETRAIL" --db s.db ingest --mbox "$mbox" --department Support 2>run.err || fail "exit $?: $(cat run.err)"
grep -q '^ingest: 3 new, 0 already seen, 0 warnings, 0 failed, 1 cases touched' run.err ||
	fail "summary: $(cat run.err)"
"$CASETRAIL" --db s.db cases --format json >cases.json
id=$(python3 -c '
import json, sys
c = json.load(open("cases.json"))
assert len(c) == 1, "want one case, got %d" % len(c)
ids = sorted(i["external_id"] for i in c[0]["items"])
assert ids == ["mbox-crlf.1@fjordline.example", "mbox-crlf.2@larkspur.example",
               "mbox-crlf.3@fjordline.example"], ids
assert c[0]["subject"] == "Weekly import", c[0]["subject"]
print(c[0]["id"])') || fail "cases: $(cat cases.json)"
"$CASETRAIL" --db s.db case show "$id" --format json >case.json
python3 -c '
import json
c = json.load(open("case.json"))
body = {i["external_id"]: i.get("body") for i in c["items"]}
b1 = body["mbox-crlf.1@fjordline.example"]
assert b1 is not None, "no body in case show --format json"
assert "\r" not in b1, "CR left in the body: %r" % b1
assert "\nFrom the weekly import" in b1, "mboxrd >From not unescaped: %r" % b1
assert "\n>From here on" in b1, "mboxrd >>From not unescaped to >From: %r" % b1
assert "Thanks, that was it." in body["mbox-crlf.3@fjordline.example"]
for i in c["items"]:
    assert i["date"].startswith("2025-04-07T1"), i["date"]
    assert "\r" not in (i.get("subject") or ""), i
' || fail "bodies: $(head -c 3000 case.json)"
echo ok
