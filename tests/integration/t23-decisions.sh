#!/bin/sh
# t23-decisions.sh - corrections by hand are decisions with who, when and why:
# a dismissed tag stays dismissed after 'classify --rescan' with changed
# rules, a confirmed one stays; case close, merge and split and a department
# override survive 'recompute' and a re-ingest whose new mail joins split
# cases again; the department override changes the trail; decisions show in
# 'case show' (every format) and in the handoff audit, and label items for
# 'rules masscheck --store-labels'. Bad decisions are refused with a reason.
set -eu
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
. "$TOP/tests/integration/lib-mail.sh"
command -v sqlite3 >/dev/null 2>&1 || sh "$TOP/tests/deps.sh" sqlite3 || fail "sqlite3 is needed"
cd "$TMPDIR"

cat > casetrail.conf <<'EOF'
[store]
path = s.db
[organization]
internal_domains = corp.example
[department Billing]
addresses = billing@corp.example
[department Support]
addresses = support@corp.example
[source billing]
type = maildir
path = billing
department = Billing
[source support]
type = maildir
path = support
department = Support
EOF
cat > rules.conf <<'EOF'
[rule billing.twice]
category = billing_dispute
sender = customer
pattern = \bcharged\s+(?:us\s+)?twice\b
example = You charged us twice.
EOF
sed 's/^example = You charged us twice\./example = You charged us twice, again./;
     s/^pattern = .*/pattern = \\bcharged\\s+(?:us\\s+|me\\s+)?twice\\b/' rules.conf > rules2.conf
cmp -s rules.conf rules2.conf && fail "rules2.conf is not a change"

d='Mon, 04 Mar 2024'
generate_message billing id=m1@acme.example from="Ana <ana@acme.example>" to=billing@corp.example \
	subject="Invoice 7" date="$d 09:00:00 +0000" body="You charged us twice for March."
generate_message billing id=m2@corp.example from="Dana <dana@corp.example>" to=ana@acme.example \
	subject="Re: Invoice 7" date="$d 10:00:00 +0000" in_reply_to=m1@acme.example body="We will look."
generate_message support id=m3@acme.example from="Ben <ben@acme.example>" to=support@corp.example \
	subject="Login fails" date="$d 11:00:00 +0000" body="I cannot log in, and the invoice is wrong."
generate_message support id=m4@corp.example from="Sam <sam@corp.example>" to=ben@acme.example \
	subject="Re: Login fails" date="$d 12:00:00 +0000" in_reply_to=m3@acme.example body="Try again."
generate_message support id=m5@bolt.example from="Cy <cy@bolt.example>" to=support@corp.example \
	subject="Export broken" date="$d 13:00:00 +0000" body="The export is broken."
generate_message support id=m6@corp.example from="Sam <sam@corp.example>" to=cy@bolt.example \
	subject="Re: Export broken" date="$d 14:00:00 +0000" in_reply_to=m5@bolt.example body="Which export?"
# another customer answers in the same thread about something else: to be split off
generate_message support id=m7@dune.example from="Di <di@dune.example>" to=support@corp.example \
	subject="Re: Export broken" date="$d 15:00:00 +0000" in_reply_to=m6@corp.example body="My invoice export too."

ct() { "$CASETRAIL" -c casetrail.conf "$@"; }
case_of() { sqlite3 s.db "select coalesce(c.merged_into, c.id) from items i join cases c on c.id = i.case_id where i.external_id = '$1'"; }
has_tag() { [ "$(sqlite3 s.db "select count(*) from tags t join items i on i.id = t.item_id where i.external_id = '$1' and t.category = '$2'")" != 0 ]; }

ct ingest 2>/dev/null || fail "ingest"
ct classify --rules rules.conf >/dev/null || fail "classify"
has_tag m1@acme.example billing_dispute || fail "m1 was not tagged"
has_tag m3@acme.example billing_dispute && fail "m3 was tagged"

# --- tags ---
ct tag dismiss m1@acme.example billing_dispute --by dana --reason "a duplicate card hold, not a charge" >t1.out ||
	fail "tag dismiss"
grep -q '^decision 1: tag billing_dispute of item m1@acme.example dismissed (by dana)$' t1.out || fail "dismiss said: $(cat t1.out)"
has_tag m1@acme.example billing_dispute && fail "dismissed tag still there"
USER=ravi ct tag confirm m3@acme.example billing_dispute --reason "the invoice is wrong" >/dev/null || fail "tag confirm"
has_tag m3@acme.example billing_dispute || fail "confirmed tag missing"
[ "$(sqlite3 s.db "select decided_by || '|' || reason from decisions where id = 2")" = "ravi|the invoice is wrong" ] ||
	fail "confirm: who/why not kept: $(sqlite3 s.db 'select * from decisions')"

# changed rules re-tag every item; the decisions hold
ct classify --rescan --rules rules2.conf >c2.out || fail "classify --rescan"
grep -q '^classified 7 items' c2.out || fail "rescan did not re-tag: $(cat c2.out)"
has_tag m1@acme.example billing_dispute && fail "dismissed tag came back after classify --rescan"
has_tag m3@acme.example billing_dispute || fail "confirmed tag lost after classify --rescan"

# masscheck takes the decisions as labels: m1 a false positive, m3 a miss of the rules
ct rules masscheck --rules rules2.conf --store-labels --format json >mc.json || fail "masscheck --store-labels"
python3 - <<'EOF' || fail "masscheck labels"
import json
r = json.load(open('mc.json'))
assert r['labelled'] == 2, r['labelled']
b = r['categories']['billing_dispute']
assert (b['tp'], b['fp'], b['support']) == (0, 1, 1), b
EOF

# --- cases ---
c1=$(case_of m1@acme.example); c2=$(case_of m3@acme.example); c3=$(case_of m5@bolt.example)
[ "$(case_of m7@dune.example)" = "$c3" ] || fail "m7 not threaded with m5"
ct item department m2@corp.example support --by ops --reason "Dana answered for Support" >/dev/null ||
	fail "item department"
ct case merge "$c1" "$c2" --by ops --reason "same customer account" >/dev/null || fail "case merge"
[ "$(case_of m3@acme.example)" = "$c1" ] || fail "merge did not merge"
ct case split "$c3" m7@dune.example --by ops --reason "another customer" >split.out || fail "case split"
c4=$(case_of m7@dune.example)
[ "$c4" != "$c3" ] || fail "split did not split"
grep -q "^decision 5: 1 item of case $c3 split into case $c4 (by ops)$" split.out || fail "split said: $(cat split.out)"
ct case close "$c3" --by ops --reason "answered" >/dev/null || fail "case close"

check_cases() {
	ct case show "$c1" --format json >c1.json
	python3 - "$c1" <<'EOF' || fail "$1: case $c1"
import json, sys
c = json.load(open('c1.json'))
ids = [i['external_id'] for i in c['items']]
assert 'm3@acme.example' in ids, ids
assert c['departments'] == ['Billing', 'Support'], c['departments']
acts = [d['action'] for d in c['decisions']]
assert acts == ['tag-dismiss', 'tag-confirm', 'item-department', 'case-merge'], acts
d = c['decisions'][0]
assert d['by'] == 'dana' and d['reason'] == 'a duplicate card hold, not a charge' and d['at'], d
EOF
	[ "$(case_of m7@dune.example)" != "$(case_of m5@bolt.example)" ] || fail "$1: split undone"
	[ "$(case_of m7@dune.example)" = "$c4" ] || fail "$1: the split-off case changed its id"
	ct case show "$c3" --format json >c3.json
	python3 -c "
import json; c = json.load(open('c3.json'))
assert (c['state'], c['close_reason']) == ('closed', 'manual'), (c['state'], c['close_reason'])
" || fail "$1: case $c3 not closed by hand"
}
check_cases "after the decisions"

# recompute (a changed configuration, even) keeps every decision
sed 's/^\[department Support\]$/[department Support]\nleader = lead@corp.example/' casetrail.conf > c2.conf
mv c2.conf casetrail.conf
ct recompute >rc.out || fail "recompute"
check_cases "after recompute"
ct classify --rescan --rules rules.conf >/dev/null || fail "classify back"
check_cases "after another rescan"

# re-ingest: a new mail that links both parts of the split case joins them; the split holds
generate_message support id=m8@dune.example from="Di <di@dune.example>" to=support@corp.example \
	subject="Re: Export broken" date="$d 16:00:00 +0000" in_reply_to=m7@dune.example \
	references="<m5@bolt.example> <m6@corp.example> <m7@dune.example>" body="Still broken."
ct ingest 2>/dev/null || fail "re-ingest"
[ "$(sqlite3 s.db "select count(*) from case_merges where from_case = $c4")" = 0 ] ||
	fail "the re-split case is still listed as merged"
check_cases "after re-ingest"

# the list of decisions: all, and those of one case
ct decisions --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert [x['id'] for x in d] == [1, 2, 3, 4, 5, 6], d
assert d[3]['superseded'] is False and d[0]['by'] == 'dana'
" || fail "decisions --format json"
[ "$(ct decisions --case "$c1" --format csv | wc -l)" = 5 ] || fail "decisions --case: $(ct decisions --case "$c1" --format csv)"
ct decisions --format table | grep -q 'case-split .* ops  *another customer' || fail "decisions table"

# a run with nothing new touches no case, decisions or not
ct ingest 2>noop.err || fail "no-op ingest"
grep -q '^ingest: 0 new, .* 0 cases touched' noop.err || fail "no-op ingest: $(cat noop.err)"

# --- every format of case show, and the audit ---
ct case show "$c1" --format table | grep -q '^Decisions:$' || fail "case show table: no decisions"
ct case show "$c1" --format table | grep -q 'tag billing_dispute of item m1@acme.example dismissed  by dana: a duplicate card hold' ||
	fail "case show table: dismissal not shown"
for f in csv markdown html; do
	ct case show "$c1" --format $f >show.$f || fail "case show --format $f"
	grep -q 'of item m1@acme.example dismissed' show.$f || fail "case show $f: no decision"
	grep -q 'dana' show.$f || fail "case show $f: no decider"
done
ct audit handoffs --format json --until 2025-01-01 >audit.json
python3 - "$c1" <<'EOF' || fail "audit json: decisions"
import json, sys
a = json.load(open('audit.json'))
c = [c for c in a['cases'] if c['id'] == int(sys.argv[1])][0]
assert [d['action'] for d in c['decisions']][:1] == ['tag-dismiss'], c['decisions']
EOF
ct audit handoffs --format table --until 2025-01-01 | grep -q '^Decisions made by hand' || fail "audit table: no decisions"

# --- refusals ---
rc=0; ct tag dismiss nosuch@x.example billing_dispute 2>e1 || rc=$?
[ $rc = 1 ] && grep -q "^casetrail: error: no item 'nosuch@x.example' in 's.db'$" e1 || fail "unknown item: $rc $(cat e1)"
rc=0; ct tag dismiss m2@corp.example overpromise 2>e2 || rc=$?
[ $rc = 1 ] && grep -q "has no tag 'overpromise' to dismiss" e2 || fail "dismissing a missing tag: $rc $(cat e2)"
rc=0; ct tag dismiss m1@acme.example billing_dispute 2>e2b || rc=$?
[ $rc = 1 ] && grep -q "^casetrail: error: tag 'billing_dispute' of item 'm1@acme.example' is dismissed already (decision 1 by dana)$" e2b ||
	fail "dismissing twice: $rc $(cat e2b)"
rc=0; ct tag forget m1@acme.example x 2>e3 || rc=$?
[ $rc = 2 ] || fail "tag forget: exit $rc"
rc=0; ct case split "$c1" m5@bolt.example 2>e4 || rc=$?
[ $rc = 1 ] && grep -q "item 'm5@bolt.example' is not in case $c1" e4 || fail "split of another case's item: $rc $(cat e4)"
rc=0; ct case merge "$c1" "$c1" 2>e5 || rc=$?
[ $rc = 1 ] || fail "merging a case into itself: exit $rc"
rc=0; ct item department m1@acme.example Nowhere 2>e6 || rc=$?
[ $rc = 2 ] && grep -q "unknown department 'Nowhere'" e6 || fail "unknown department: $rc $(cat e6)"
rc=0; ct case close 99999 2>e7 || rc=$?
[ $rc = 1 ] && grep -q "no case 99999" e7 || fail "closing an unknown case: $rc $(cat e7)"
[ "$(sqlite3 s.db 'select count(*) from decisions')" = 6 ] || fail "refused decisions were recorded"
for c in "tag" "item" "case close"; do
	ct $c --help | grep -q -- '--reason TEXT' || fail "$c --help"
done
echo "ok: decisions hold after classify --rescan, recompute and re-ingest, and show everywhere"
