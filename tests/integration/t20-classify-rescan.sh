#!/bin/sh
# t20-classify-rescan.sh - ingest tags new mail inline with evidence spans into
# the stored body; 'classify' does nothing while the rules are unchanged,
# re-tags every item after a rule change (old tags replaced), and the
# 'rules check' / 'rules test' commands report what they should.
set -eu
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null 2>&1 || sh "$TOP/tests/deps.sh" sqlite3 || fail "sqlite3 is needed"

mkdir -p md/cur md/new
cat > org.conf <<'EOF'
[organization]
internal_domains = corp.example
EOF
cat > rules.conf <<'EOF'
[rule billing.twice]
category = billing_dispute
sender = customer
pattern = \bcharged\s+(?:us\s+)?twice\b
unless = \bnot\b
example = You charged us twice.
counter_example = We were not charged twice.

[rule promise.guarantee]
category = overpromise
sender = staff
pattern = \bi\s+guarantee\b
example = I guarantee it.
counter_example = We hope so.
EOF
# m1: a customer complaint (tagged); m2: the staff reply quoting it, with a
# guarantee (tagged overpromise only: the quote does not count); m3: a
# negated sentence (not tagged); m4: a guarantee from a customer (not tagged).
cat > md/cur/1.host:2,S <<'EOF'
Message-ID: <m1@acme.example>
From: Ana <ana@acme.example>
To: billing@corp.example
Subject: Invoice 7
Date: Mon, 04 Mar 2024 09:00:00 +0000
Content-Type: text/plain; charset=utf-8

Grüße zuerst. You charged us twice for März.
EOF
cat > md/cur/2.host:2,S <<'EOF'
Message-ID: <m2@corp.example>
In-Reply-To: <m1@acme.example>
From: Dana <dana@corp.example>
To: ana@acme.example
Subject: Re: Invoice 7
Date: Mon, 04 Mar 2024 10:00:00 +0000

I guarantee a refund by Friday.

On Mon, 4 Mar 2024 at 09:00, Ana <ana@acme.example> wrote:
> You charged us twice for March.
EOF
cat > md/cur/3.host:2,S <<'EOF'
Message-ID: <m3@acme.example>
From: Ben <ben@acme.example>
To: billing@corp.example
Subject: Invoice 8
Date: Tue, 05 Mar 2024 09:00:00 +0000

To be clear, we were not charged twice.
EOF
cat > md/cur/4.host:2,S <<'EOF'
Message-ID: <m4@acme.example>
From: Ben <ben@acme.example>
To: billing@corp.example
Subject: Invoice 9
Date: Wed, 06 Mar 2024 09:00:00 +0000

I guarantee we pay on time.
EOF

"$CASETRAIL" -q -c org.conf --db s.db ingest --no-classify --maildir md 2>ingest.err || fail "ingest: $(cat ingest.err)"
# stored untagged (--no-classify): classify tags them
tags() { sqlite3 s.db "select i.external_id || ' ' || g.category || ' ' || g.rule_id from tags g join items i on i.id = g.item_id order by 1"; }
"$CASETRAIL" -c org.conf --db s.db classify --rules rules.conf > c1.out || fail "classify exit $?"
grep -q "^classified 4 items (2 tags), rules [0-9a-f]\{12\}$" c1.out || fail "first classify: $(cat c1.out)"
got=$(tags)
want="m1@acme.example billing_dispute billing.twice
m2@corp.example overpromise promise.guarantee"
[ "$got" = "$want" ] || fail "tags: got
$got
want
$want"

# the span points into the stored body, and the snippet is the sentence that holds it
span=$(sqlite3 s.db "select substr(cast(i.body as blob), g.span_start + 1, g.span_end - g.span_start) from tags g join items i on i.id = g.item_id where g.rule_id = 'billing.twice'")
[ "$span" = "charged us twice" ] || fail "span text: '$span'"
snip=$(sqlite3 s.db "select snippet from tags where rule_id = 'billing.twice'")
[ "$snip" = "You charged us twice for März." ] || fail "snippet: '$snip'"

# unchanged rules: nothing to do, tags untouched
"$CASETRAIL" -c org.conf --db s.db classify --rescan --rules rules.conf > c2.out || fail "classify exit $?"
[ "$(cat c2.out)" = "nothing to do: rules unchanged" ] || fail "second classify: $(cat c2.out)"
[ "$(tags)" = "$want" ] || fail "tags changed without a rule change"

# a rule change (examples do not count, patterns do): everything is re-tagged
sed 's/^example = I guarantee it\./example = I guarantee it, really./' rules.conf > same.conf
"$CASETRAIL" -c org.conf --db s.db classify --rescan --rules same.conf > c3.out || fail "classify exit $?"
[ "$(cat c3.out)" = "nothing to do: rules unchanged" ] || fail "example-only change rescanned: $(cat c3.out)"
sed 's/^sender = staff$/sender = any/' rules.conf > any.conf
"$CASETRAIL" -c org.conf --db s.db classify --rescan --rules any.conf > c4.out || fail "classify exit $?"
grep -q "^classified 4 items (3 tags)" c4.out || fail "rescan after change: $(cat c4.out)"
want2="m1@acme.example billing_dispute billing.twice
m2@corp.example overpromise promise.guarantee
m4@acme.example overpromise promise.guarantee"
[ "$(tags)" = "$want2" ] || fail "tags after rescan: $(tags)"
[ "$(sqlite3 s.db 'select count(*) from tags')" = 3 ] || fail "old tags were not replaced"

# rules check: exit 0 when examples pass, 1 with the failing one named, 2 on a bad file
"$CASETRAIL" rules check rules.conf > chk.out || fail "rules check exit $?"
grep -q "^rules.conf: 2 rules, 4 examples, 0 failing" chk.out || fail "rules check: $(cat chk.out)"
sed 's/^counter_example = We hope so\./counter_example = I guarantee nothing./' rules.conf > bad-ex.conf
rc=0
"$CASETRAIL" rules check bad-ex.conf > chk2.out || rc=$?
[ $rc = 1 ] || fail "rules check with a failing counter_example: exit $rc"
grep -q '^bad-ex.conf:14: rule promise.guarantee: counter_example matches at "I guarantee": "I guarantee nothing."$' chk2.out ||
	fail "rules check output: $(cat chk2.out)"
printf '[rule broken]\ncategory = x\npattern = (unclosed\n' > broken.conf
rc=0
"$CASETRAIL" rules check broken.conf 2> chk3.err || rc=$?
[ $rc = 2 ] || fail "rules check on a bad regex: exit $rc"
grep -q '^broken.conf:3: rule broken: missing closing parenthesis at offset 9$' chk3.err || fail "bad regex message: $(cat chk3.err)"

# rules test: the staff reply hits the guarantee, not the quoted complaint
"$CASETRAIL" -c org.conf rules test --rules rules.conf md/cur/2.host:2,S > t.out || fail "rules test exit $?"
grep -q "^from: dana@corp.example (staff)$" t.out || fail "rules test sender: $(cat t.out)"
grep -q "^overpromise  promise.guarantee  body\[0-11\]  \"I guarantee\"  score 1$" t.out || fail "rules test: $(cat t.out)"
grep -q "billing_dispute" t.out && fail "rules test tagged the quote: $(cat t.out)"

# The default rules: none without anchors (such a rule runs its pattern on
# every byte of every mail; a branch whose only literal is shorter than three
# ASCII bytes, as a lone "cc’d", does that), with and without a configuration
# that fills in the departments.
"$CASETRAIL" rules check -v "$TOP/config/rules.conf" > v.out 2>&1 || fail "rules check -v: exit $?"
grep -q 'rule hand.cust-sent-back: category handoff' v.out || fail "rules check -v lists no rules: $(tail -3 v.out)"
! grep 'always runs' v.out || fail "default rules that always run (above)"
"$CASETRAIL" -c "$TOP/examples/casetrail.conf" rules check -v "$TOP/config/rules.conf" > v2.out 2>&1 || fail "rules check -v with a configuration: exit $?"
! grep 'always runs' v2.out || fail "default rules that always run with the example configuration (above)"
echo "ok"
