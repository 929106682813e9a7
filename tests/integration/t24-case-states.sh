#!/bin/sh
# t24-case-states.sh - one case state model: open (waiting on staff or on the
# customer) or closed (ticket-closed, manual, or inactive after [cases]
# close_after), with the same names in every output; "open" in a report
# means open at the end of its period; a mail that joins a case by subject
# alone after the case was quiet longer than close_after opens a follow-up
# case linked to it, and 'case show' shows the link both ways.
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
thread_window_days = 30
rules = rules.conf
[cases]
close_after = 10d
[department Billing]
addresses = billing@corp.example
[source billing]
type = maildir
path = billing
department = Billing
EOF
cat > rules.conf <<'EOF'
[rule billing.twice]
category = billing_dispute
sender = customer
pattern = \bcharged\s+(?:us\s+)?twice\b
example = You charged us twice.
EOF
now=$(date -u +%s)
ago() { date -u -R -d "@$((now - $1 * 86400))"; }
day() { date -u +%Y-%m-%d -d "@$((now - $1 * 86400))"; }

# A: a dispute answered 25 days ago, then quiet; 12 days ago the customer
# comes back with "Re: Invoice 7" and no header links: a follow-up case B,
# which staff answered 3 days ago (B waits on the customer).
generate_message billing id=a1@acme.example from="Ana <ana@acme.example>" to=billing@corp.example \
	subject="Invoice 7" date="$(ago 26)" body="You charged us twice for March."
generate_message billing id=a2@corp.example from="Dana <dana@corp.example>" to=ana@acme.example \
	subject="Re: Invoice 7" date="$(ago 25)" in_reply_to=a1@acme.example body="We will refund one charge."
generate_message billing id=b1@acme.example from="Ana <ana@acme.example>" to=billing@corp.example \
	subject="Re: Invoice 7" date="$(ago 12)" body="The refund never came."
generate_message billing id=b2@corp.example from="Dana <dana@corp.example>" to=ana@acme.example \
	subject="Re: Invoice 7" date="$(ago 3)" in_reply_to=b1@acme.example body="It is on its way."
# C: a new question two days ago, unanswered: waiting on staff.
generate_message billing id=c1@bolt.example from="Cy <cy@bolt.example>" to=billing@corp.example \
	subject="VAT number" date="$(ago 2)" body="Please add our VAT number."
# D: the customer comes back by subject alone after 5 quiet days (< close_after): same case.
generate_message billing id=d1@dune.example from="Di <di@dune.example>" to=billing@corp.example \
	subject="Shipping address" date="$(ago 9)" body="Please change it."
generate_message billing id=d2@dune.example from="Di <di@dune.example>" to=billing@corp.example \
	subject="Re: Shipping address" date="$(ago 4)" body="Any news?"

# E: answered 60 days ago; the customer comes back by subject 45 days later, past the
# 30-day join window: a case of its own, linked as a follow-up of E.
generate_message billing id=e1@elm.example from="Eve <eve@elm.example>" to=billing@corp.example \
	subject="Contract renewal" date="$(ago 61)" body="When does it renew?"
generate_message billing id=e2@corp.example from="Dana <dana@corp.example>" to=eve@elm.example \
	subject="Re: Contract renewal" date="$(ago 60)" in_reply_to=e1@elm.example body="In May."
generate_message billing id=e3@elm.example from="Eve <eve@elm.example>" to=billing@corp.example \
	subject="Re: Contract renewal" date="$(ago 15)" body="It did not renew."
# F: someone else with the same subject: no shared participant, no link.
generate_message billing id=f1@fir.example from="Fay <fay@fir.example>" to=billing@corp.example \
	subject="Re: Contract renewal" date="$(ago 14)" body="Same question."

# G: a dispute 50 days ago, answered only 5 days ago: quiet (closed) at the end of a period
# that ended 20 days ago, though active again since.
generate_message billing id=g1@gum.example from="Gil <gil@gum.example>" to=billing@corp.example \
	subject="Refund" date="$(ago 50)" body="You charged us twice in April."
generate_message billing id=g2@corp.example from="Dana <dana@corp.example>" to=gil@gum.example \
	subject="Re: Refund" date="$(ago 5)" in_reply_to=g1@gum.example body="Sorry for the wait."

ct() { "$CASETRAIL" -c casetrail.conf "$@"; }
ct ingest 2>ingest.err || fail "ingest: $(cat ingest.err)"
case_of() { sqlite3 s.db "select case_id from items where external_id = '$1'"; }
A=$(case_of a1@acme.example); B=$(case_of b1@acme.example); C=$(case_of c1@bolt.example); D=$(case_of d1@dune.example)
[ "$A" = "$(case_of a2@corp.example)" ] || fail "a2 not in A"
[ "$B" != "$A" ] || fail "the mail after 13 quiet days joined the old case instead of opening a follow-up"
[ "$B" = "$(case_of b2@corp.example)" ] || fail "b2 not in B"
[ "$D" = "$(case_of d2@dune.example)" ] || fail "a subject join within close_after opened another case"
E=$(case_of e1@elm.example); E2=$(case_of e3@elm.example); F=$(case_of f1@fir.example); G=$(case_of g1@gum.example)
[ "$G" = "$(case_of g2@corp.example)" ] || fail "g2 not in G"
[ "$E2" != "$E" ] && [ "$F" != "$E" ] && [ "$F" != "$E2" ] || fail "cases E, E2, F: $E $E2 $F"
[ "$(sqlite3 s.db "select follow_up_of from cases where id = $E2")" = "$E" ] || fail "E2 is not a follow-up of E"
[ -z "$(sqlite3 s.db "select follow_up_of from cases where id = $F")" ] || fail "F (another customer) got a follow-up link"
[ "$(sqlite3 s.db "select link_reason from items where external_id = 'f1@fir.example'")" = new ] || fail "F's link"
# (the maildir is read in file order, so e3 came before e1 here; in time order, over two runs:)
mkdir -p later/new
for f in $(grep -l -e '^Message-ID: <e3@' -e '^Message-ID: <f1@' billing/new/*); do mv "$f" later/new/; done
ct --db s2.db ingest 2>/dev/null || fail "ingest s2"
mv later/new/* billing/new/
ct --db s2.db ingest 2>/dev/null || fail "second ingest s2"
e=$(sqlite3 s2.db "select case_id from items where external_id = 'e1@elm.example'")
e2=$(sqlite3 s2.db "select case_id from items where external_id = 'e3@elm.example'")
[ "$e" != "$e2" ] && [ "$(sqlite3 s2.db "select follow_up_of from cases where id = $e2")" = "$e" ] ||
	fail "in time order: E2 is not a follow-up of E"
sqlite3 s2.db "select link_detail from items where external_id = 'e3@elm.example'" | grep -q "^follows up case $e, quiet for 45 days" ||
	fail "in time order: link detail $(sqlite3 s2.db "select link_detail from items where external_id = 'e3@elm.example'")"

ct cases --format json >cases.json
python3 - "$A" "$B" "$C" "$D" <<'EOF' || fail "states in cases --format json"
import json, sys
A, B, C, D = map(int, sys.argv[1:])
cs = {c['id']: c for c in json.load(open('cases.json'))}
def st(i):
    c = cs[i]
    return (c['state'], c['waiting_on'], c['close_reason'], c['open'])
assert st(A) == ('closed', None, 'inactive', False), st(A)
assert cs[A]['closed_at'], cs[A]
assert st(B) == ('open', 'customer', None, True), st(B)
assert st(C) == ('open', 'staff', None, True), st(C)
assert st(D) == ('open', 'staff', None, True), st(D)
assert cs[B]['follow_up_of'] == A and cs[A]['follow_up_of'] is None
EOF

# the follow-up link, both ways, and why b1 is in B
ct case show "$B" --format json >b.json
python3 - "$A" <<'EOF' || fail "case show B"
import json, sys
c = json.load(open('b.json'))
assert c['follow_up_of'] == int(sys.argv[1]), c['follow_up_of']
b1 = [i for i in c['items'] if i['external_id'] == 'b1@acme.example'][0]
assert b1['link'] == 'follow-up', b1['link']
assert 'follows up case %s, quiet for 13 days' % sys.argv[1] in b1['link_detail'], b1['link_detail']
EOF
ct case show "$B" --format table | grep -q "^  follows up case $A$" || fail "case show table: no follow-up link"
ct case show "$A" --format table | grep -q "^  followed up by case $B$" || fail "case show table of A: no follow-up link"
ct case show "$A" --format json | grep -q "\"follow_ups\": \[" || fail "case show json of A: no follow_ups"
ct case show "$A" --format markdown | grep -q "Followed up by case $B" || fail "case show markdown of A: no link"

# the same state names in every output
label() { python3 -c "
import json, sys
c = [c for c in json.load(open('cases.json')) if c['id'] == int(sys.argv[1])][0]
print('%s (%s)' % (c['state'], ('waiting on ' + c['waiting_on']) if c['open'] else c['close_reason']))" "$1"; }
for f in table csv markdown html; do
	ct cases --format $f >cases.$f
done
ct audit handoffs --format table >audit.table
ct audit handoffs --format csv >audit.csv
for id in "$A" "$B" "$C"; do
	want=$(label "$id")
	for f in table csv markdown html; do
		grep -q "$want" cases.$f || fail "cases --format $f: no '$want' for case $id"
	done
	# (case show --format csv is its timeline table only: no case state there)
	for f in table markdown html; do
		ct case show "$id" --format $f | grep -q "$want" || fail "case show $id --format $f: no '$want'"
	done
	grep -q "$want" audit.table || fail "audit table: no '$want' for case $id"
	grep -q "$want" audit.csv || fail "audit csv: no '$want' for case $id"
done
for f in cases.table cases.csv audit.table audit.csv; do
	grep -qiw -e resolved -e done $f && fail "$f still says resolved/done"
done
ct audit handoffs --format json | python3 -c "
import json, sys
a = json.load(sys.stdin)
s = {c['id']: (c['state'], c['waiting_on'], c['close_reason']) for c in a['cases']}
assert s[$A] == ('closed', None, 'inactive') and s[$B] == ('open', 'customer', None), s
" || fail "audit json states"
ct cases --open --format json | python3 -c "
import json, sys
assert sorted(c['id'] for c in json.load(sys.stdin)) == sorted([$B, $C, $D, $G])
" || fail "cases --open lists other cases"

# a report's 'open' is at the end of its period: 20 days ago A was open and G (quiet for 30
# days then) closed; now A is closed and G (answered 5 days ago) open.
ct report complaints --since "$(day 30)" --until "$(day 20)" --format json >r1.json
ct report complaints --since "$(day 30)" --format json >r2.json
python3 - "$A" "$G" <<'EOF' || fail "complaint report: open at the end of the period"
import json, sys
A, G = map(int, sys.argv[1:])
d1 = json.load(open('r1.json'))['departments'][0]
d2 = json.load(open('r2.json'))['departments'][0]
assert d1['tagged_cases']['open'] == 1 and [o['case'] for o in d1['oldest_open']] == [A], d1
assert d2['tagged_cases']['open'] == 1 and [o['case'] for o in d2['oldest_open']] == [G], d2
EOF
ct audit handoffs --until "$(day 20)" --format json | python3 -c "
import json, sys
s = {c['id']: (c['state'], c['close_reason']) for c in json.load(sys.stdin)['cases']}
assert s[$G] == ('closed', 'inactive') and s[$A] == ('open', None), s
" || fail "audit at the end of a past period"

# a manual close, then a reopen; and close_after in another unit
ct case close "$C" --by ops >/dev/null
ct case show "$C" --format json | grep -q '"close_reason": "manual"' || fail "manual close"
ct case reopen "$C" --by ops >/dev/null
ct case show "$C" --format json | grep -q '"state": "open"' || fail "reopen"
sed 's/^close_after = 10d$/close_after = 1w/' casetrail.conf > w.conf
"$CASETRAIL" -c w.conf cases --format json | python3 -c "
import json, sys
s = {c['id']: c['state'] for c in json.load(sys.stdin)}
assert s[$D] == 'open' and s[$A] == 'closed', s
" || fail "close_after = 1w"
sed 's/^close_after = 10d$/close_after = 3d/' casetrail.conf > d3.conf
"$CASETRAIL" -c d3.conf cases --format json | python3 -c "
import json, sys
s = {c['id']: (c['state'], c['close_reason']) for c in json.load(sys.stdin)}
assert s[$D] == ('closed', 'inactive'), s
" || fail "close_after = 3d: D (quiet 4 days) should read closed/inactive"
echo "ok: case states, follow-up cases, open at the end of a report's period"
