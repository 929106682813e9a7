#!/bin/sh
# t10-ingest-twice.sh - ingesting the bundled examples twice: the second run adds nothing.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
conf="$TOP/examples/casetrail.conf"

rc1=0; "$CASETRAIL" -c "$conf" --db s.db ingest 2>run1.err || rc1=$?
[ $rc1 -le 1 ] || fail "first run exit $rc1: $(cat run1.err)"
sum1=$(grep '^ingest:' run1.err) || fail "no summary line: $(cat run1.err)"
echo "first:  $sum1"
new1=$(echo "$sum1" | sed -n 's/^ingest: \([0-9]*\) new.*/\1/p')
[ "$new1" -ge 46 ] || fail "first run stored $new1 new items, want at least the 46 mails"
store_digest s.db >digest1
[ "$(wc -l <digest1)" -ge 15 ] || fail "first run: $(wc -l <digest1) cases, want at least 15"

rc2=0; "$CASETRAIL" -c "$conf" --db s.db ingest 2>run2.err || rc2=$?
[ $rc2 -eq $rc1 ] || fail "second run exit $rc2, first $rc1: $(cat run2.err)"
sum2=$(grep '^ingest:' run2.err) || fail "no summary line: $(cat run2.err)"
echo "second: $sum2"
echo "$sum2" | grep -q '^ingest: 0 new, ' || fail "second run added items: $sum2"
echo "$sum2" | grep -q ' 0 cases touched' || fail "second run touched cases: $sum2"
store_digest s.db >digest2
cmp -s digest1 digest2 || { diff digest1 digest2 >&2; fail "store changed on the second run"; }

# the example store agrees with the hand labels in examples/truth.json on everything that is mail:
# case grouping, dedupe (thread 7 in two mailboxes), departments, trails of the mail-only cases
python3 "$TOP/tests/accuracy.py" --casetrail "$CASETRAIL" --corpus "$TOP/examples" --json >acc.json ||
	fail "accuracy script: exit $?"
python3 - <<'PY' || fail "examples differ from examples/truth.json: $(head -c 4000 acc.json)"
import json
r = json.load(open("acc.json"))
g = r["case_grouping_email"]
assert g["precision"] == 1 and g["recall"] == 1, ("case grouping", g)
assert r["dedupe"]["exact"], ("dedupe", r["dedupe"])
assert r["department"]["accuracy"] == 1, ("departments", r["department"])
assert r["routing"]["exact_email_cases"] == 1, ("trails", r["routing"]["mismatches"])
PY

# the same with a one-off source: an mbox read twice
"$CASETRAIL" --db m.db ingest --mbox "$TOP/examples/mbox/crlf.mbox" --department Support 2>m1.err ||
	fail "mbox run 1: $(cat m1.err)"
"$CASETRAIL" --db m.db ingest --mbox "$TOP/examples/mbox/crlf.mbox" --department Support 2>m2.err ||
	fail "mbox run 2: $(cat m2.err)"
grep -q '^ingest: 0 new, ' m2.err || fail "mbox second run: $(cat m2.err)"
echo "ok"
