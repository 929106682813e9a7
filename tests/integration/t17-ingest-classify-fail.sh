#!/bin/sh
# t17-ingest-classify-fail.sh - a rule PCRE2 cannot finish matching on one mail (its match limit:
# a pattern that backtracks without end) does not count for that mail, and nothing else changes:
# ingest stores every mail, the other rules tag as always, the mail says so in a warning (printed
# with its file, stored with it), the run exits 0 and a rerun adds nothing; `classify` and
# `rules test` warn the same way and go on. Before, such a mail stopped its source there on every
# run, so one crafted mail kept the rest of a mailbox out.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
command -v sqlite3 >/dev/null 2>&1 || sh "$TOP/tests/deps.sh" sqlite3 || fail "sqlite3 is needed"

cat >org.conf <<'EOF'
[organization]
internal_domains = corp.example
rules = rules.conf
EOF
# (?:x+x+)+[yz] backtracks exponentially on a run of x without y or z.
cat >rules.conf <<'EOF'
[rule billing.twice]
category = billing_dispute
sender = customer
pattern = \bcharged\s+(?:us\s+)?twice\b
example = You charged us twice.

[rule slow.backtrack]
category = billing_dispute
sender = customer
pattern = (?:x+x+)+[yz]
example = xxy
EOF
# 300 mails, the 150th a run of x (and a complaint, which must still be tagged)
xs=$(printf 'x%.0s' $(seq 1 40))
for i in $(seq 1 300); do
	n=$(printf %03d "$i")
	if [ "$i" = 150 ]; then
		generate_message md name="1700000000.M$n.x" id=poison@customer.example \
			body="$xs. You charged us twice, mail $i."
	else
		generate_message md name="1700000000.M$n.x" body="You charged us twice, mail $i."
	fi
done

rc=0
"$CASETRAIL" -c org.conf --db s.db ingest --maildir md 2>run1.err || rc=$?
[ "$rc" = 0 ] || fail "exit $rc: $(cat run1.err)"
grep -q "1700000000.M150.x: classifying: rule 'slow.backtrack': matching failed: match limit exceeded; that rule did not count for this item" run1.err ||
	fail "no warning names the mail and the rule: $(cat run1.err)"
grep -q '^ingest: 300 new, 0 already seen, 1 warnings, 0 failed' run1.err || fail "summary: $(cat run1.err)"
[ "$(sqlite3 s.db "select count(*) from items")" = 300 ] || fail "$(sqlite3 s.db "select count(*) from items") items stored, not 300"
[ "$(sqlite3 s.db "select count(distinct item_id) from tags where rule_id = 'billing.twice'")" = 300 ] ||
	fail "the complaints are not all tagged"
sqlite3 s.db "select warnings from items where external_id = 'poison@customer.example'" | grep -q "slow.backtrack.*match limit" ||
	fail "the mail's stored warning: $(sqlite3 s.db "select warnings from items where external_id = 'poison@customer.example'")"
[ "$(sqlite3 s.db "select count(*) from items where warnings is not null")" = 1 ] || fail "warnings on other mails"

rc=0
"$CASETRAIL" -c org.conf --db s.db ingest --maildir md 2>run2.err || rc=$?
[ "$rc" = 0 ] || fail "rerun: exit $rc"
grep -q '^ingest: 0 new, 300 already seen' run2.err || fail "rerun: $(cat run2.err)"

# classify with other rules (a new hash): the same warning, every item classified, exit 0
cp rules.conf rules2.conf
cat >>rules2.conf <<'EOF'

[rule billing.thrice]
category = billing_dispute
sender = customer
pattern = \bcharged\s+(?:us\s+)?three\s+times\b
example = You charged us three times.
EOF
rc=0
"$CASETRAIL" -c org.conf --db s.db classify --rules rules2.conf >classify.out 2>classify.err || rc=$?
[ "$rc" = 0 ] || fail "classify: exit $rc: $(cat classify.err)"
grep -q "item poison@customer.example: rule 'slow.backtrack': matching failed: match limit exceeded" classify.err ||
	fail "classify does not warn: $(cat classify.err)"
grep -q '^classified 300 items (300 tags)' classify.out || fail "classify: $(cat classify.out)"

rc=0
"$CASETRAIL" rules test --rules rules.conf --customer md/new/1700000000.M150.x >test.out 2>test.err || rc=$?
[ "$rc" = 0 ] || fail "rules test: exit $rc: $(cat test.err)"
grep -q "rule 'slow.backtrack': matching failed: match limit exceeded; that rule did not count" test.err ||
	fail "rules test does not warn: $(cat test.err)"
grep -q 'billing.twice' test.out || fail "rules test lost the other rule's tag: $(cat test.out)"
echo ok
