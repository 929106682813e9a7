#!/bin/sh
# t17-ingest-classify-fail.sh - a rule that fails to match one mail (PCRE2's match limit) stops
# its source at that mail, as a store error does: the mails before it are stored and tagged, that
# mail and the ones after it are neither stored nor marked seen (the tagger thread had already
# taken some of them from the reader: they are dropped, not lost), and a rerun with the rule fixed
# stores exactly those, once.
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
# 300 mails, so that the fetcher is well ahead of the tagger when mail 150 fails.
for i in $(seq 1 300); do
	n=$(printf %03d "$i")
	if [ "$i" = 150 ]; then
		generate_message md name="1700000000.M$n.x" body="$(printf 'x%.0s' $(seq 1 40))"
	else
		generate_message md name="1700000000.M$n.x" body="You charged us twice, mail $i."
	fi
done

rc=0
"$CASETRAIL" -c org.conf --db s.db ingest --maildir md 2>run1.err || rc=$?
[ "$rc" = 1 ] || fail "exit $rc, not 1: $(cat run1.err)"
grep -q "rule 'slow.backtrack': matching failed: match limit exceeded" run1.err ||
	fail "no error names the rule: $(cat run1.err)"
grep -q '^ingest: 149 new, 0 already seen, .*sources: 0 ok, 1 failed' run1.err ||
	fail "summary: $(cat run1.err)"
[ "$(sqlite3 s.db "select count(*) from items")" = 149 ] || fail "$(sqlite3 s.db "select count(*) from items") items stored, not 149"
[ "$(sqlite3 s.db "select count(*) from seen")" = 149 ] || fail "$(sqlite3 s.db "select count(*) from seen") seen keys, not 149"
[ "$(sqlite3 s.db "select count(distinct item_id) from tags where rule_id = 'billing.twice'")" = 149 ] ||
	fail "the stored mails are not all tagged"
[ "$(sqlite3 s.db "select count(*) from items where body like 'xxxx%'")" = 0 ] || fail "the failing mail was stored"

# the same rules again: the same stop, nothing added twice
rc=0
"$CASETRAIL" -c org.conf --db s.db ingest --maildir md 2>run2.err || rc=$?
[ "$rc" = 1 ] || fail "second run: exit $rc"
grep -q '^ingest: 0 new, 149 already seen' run2.err || fail "second run: $(cat run2.err)"

# the rule fixed (bounded): the rest comes in, once
sed 's/^pattern = (?:x+x+)+\[yz\]$/pattern = \\bx{2,5}[yz]/' rules.conf >fixed.conf
grep -q '^pattern = \\bx{2,5}\[yz\]$' fixed.conf || fail "rule file not rewritten"
mv fixed.conf rules.conf
"$CASETRAIL" -c org.conf --db s.db ingest --maildir md 2>run3.err || fail "third run: $(cat run3.err)"
grep -q '^ingest: 151 new, 149 already seen' run3.err || fail "third run: $(cat run3.err)"
[ "$(sqlite3 s.db "select count(*) from items")" = 300 ] || fail "$(sqlite3 s.db "select count(*) from items") items, not 300"
[ "$(sqlite3 s.db "select count(*) from (select external_id from items group by external_id having count(*) > 1)")" = 0 ] ||
	fail "duplicates"
[ "$(sqlite3 s.db "select count(distinct item_id) from tags where rule_id = 'billing.twice'")" = 299 ] ||
	fail "not every complaint is tagged"
echo ok
