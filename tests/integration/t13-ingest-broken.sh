#!/bin/sh
# t13-ingest-broken.sh - a Maildir of malformed messages: every one is stored, the broken ones
# with a warning counted in the summary; nothing crashes, the run exits 0.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
# a copy, so that file times (the fallback date) are ours
cp -r "$TOP/examples/broken" md
nfiles=$(find md -type f | wc -l)
[ "$nfiles" -eq 6 ] || fail "expected 6 test messages, found $nfiles"

rc=0; "$CASETRAIL" --db s.db ingest --maildir md --department Support 2>run.err || rc=$?
cat run.err
[ $rc -eq 0 ] || fail "exit $rc (a run that stored everything with warnings exits 0)"
sum=$(grep '^ingest:' run.err) || fail "no summary line"
new=$(echo "$sum" | sed -n 's/^ingest: \([0-9]*\) new.*/\1/p')
warn=$(echo "$sum" | sed -n 's/.* \([0-9]*\) warnings.*/\1/p')
failed=$(echo "$sum" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
[ "$new" -eq 6 ] || fail "stored $new of 6 messages: $sum"
[ "$failed" -eq 0 ] || fail "failed: $sum"
[ "$warn" -ge 4 ] || fail "want at least 4 warnings (no boundary, bad base64, no Date, junk): $sum"
for f in 1742000001 1742000002 1742000003 1742000005; do
	grep -q "$f.*: " run.err || fail "no warning names file $f"
done
grep -q 'boundary' run.err || fail "no warning about the missing boundary"
grep -q 'base64' run.err || fail "no warning about the bad base64"
grep -qi 'date' run.err || fail "no warning about the missing Date"

"$CASETRAIL" --db s.db cases --format json >cases.json
python3 -c '
import json, re
items = [i for c in json.load(open("cases.json")) for i in c["items"]]
assert len(items) == 6, len(items)
ids = {i["external_id"] for i in items}
for want in ("broken-no-boundary.1@fjordline.example", "broken-bad-base64.2@fjordline.example",
             "broken-no-date.3@fjordline.example", "broken-cr-only.6@fjordline.example"):
    assert want in ids, (want, ids)
hashed = [x for x in ids if "@" not in x]
assert len(hashed) == 2, "want 2 content-hash ids (no Message-ID, junk): %s" % ids
for i in items:
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", i["date"]), i
' || fail "stored items: $(cat cases.json)"

# the content-hash ids are stable: a second store from the same files has the same ids
"$CASETRAIL" --db s2.db ingest --maildir md --department Support 2>/dev/null || fail "second store"
[ "$(store_digest s.db | cut -d'|' -f1 | sort)" = "$(store_digest s2.db | cut -d'|' -f1 | sort)" ] ||
	fail "ids differ between two stores of the same files"
# and a rerun adds nothing
"$CASETRAIL" --db s.db ingest --maildir md --department Support 2>rerun.err || fail "rerun"
grep -q '^ingest: 0 new' rerun.err || fail "rerun: $(cat rerun.err)"
echo ok
