#!/bin/sh
# t21-rules-masscheck.sh - 'rules masscheck' over a labelled corpus (eml/ +
# truth.json): per-rule hits and precision, per-category figures with scores
# applied, the fixed tune/held-out split, review of unlabelled store items;
# 'rules fit' learns scores that separate the weak cue from the strong one
# and writes them into the rule file; --keep-roles and --min-hits hold the
# fit to the roles the written scores give.
set -eu
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p corpus/eml
mail() { # N BODY
	printf 'From: c%s@cust.example\nTo: support@corp.example\nSubject: s%s\nMessage-ID: <m%s@cust.example>\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n\n%s\n' \
		"$1" "$1" "$1" "$2" > "corpus/eml/$1.eml"
}
# Billing disputes: m1-m4 (m3 and m4 only say "refund"); no dispute: m5-m10
# ("refund" in m5-m9 is a question or a thank-you, not a dispute).
mail 1 "You charged me twice for the March invoice."
mail 2 "You charged me twice again, and I want a refund."
mail 3 "Where is my refund? It has been six weeks and the refund never came."
mail 4 "The refund you promised never came."
mail 5 "What is your refund policy for annual plans?"
mail 6 "Can I get a refund if I cancel in the first month?"
mail 7 "Thanks, the refund arrived today."
mail 8 "Is the refund paid to the card or the bank account?"
mail 9 "Our refund process needs a signature, right?"
mail 10 "Please send the invoice to our new address."
cat > corpus/truth.json <<'EOF'
{"categories": ["billing_dispute"],
 "items": {"m1@cust.example": ["billing_dispute"], "m2@cust.example": ["billing_dispute"],
           "m3@cust.example": ["billing_dispute"], "m4@cust.example": ["billing_dispute"],
           "m5@cust.example": [], "m6@cust.example": [], "m7@cust.example": [], "m8@cust.example": [],
           "m9@cust.example": [], "m10@cust.example": []}}
EOF
cat > rules.conf <<'EOF'
[define twice]
pattern = twice|two\s+times
[rule billing.twice]
category = billing_dispute
pattern = \bcharged\s+(?:me\s+|us\s+)?(?&twice)\b
example = You charged us two times.
[rule billing.refund]
category = billing_dispute
pattern = \brefund\b
example = a refund
EOF

"$CASETRAIL" rules masscheck --rules rules.conf --corpus corpus --format json > mc.json 2> mc.err ||
	fail "masscheck exit $?: $(cat mc.err)"
python3 - mc.json <<'EOF' || fail "masscheck figures"
import json, sys
d = json.load(open(sys.argv[1]))
assert d['items'] == 10 and d['labelled'] == 10, d
c = d['categories']['billing_dispute']
# refund tags m2 m3 m4 (right) and m5-m9 (wrong); twice tags m1 m2
assert (c['tp'], c['fp'], c['fn']) == (4, 5, 0), c
assert abs(c['precision'] - 4 / 9) < 1e-3 and c['recall'] == 1.0, c
r = {x['id']: x for x in d['rules']}
assert (r['billing.twice']['hits'], r['billing.twice']['on_category'], r['billing.twice']['elsewhere']) == (2, 2, 0), r
assert (r['billing.refund']['hits'], r['billing.refund']['on_category'], r['billing.refund']['elsewhere']) == (8, 3, 5), r
assert r['billing.twice']['only_it'] == 1 and r['billing.refund']['only_it'] == 2, r
assert abs(r['billing.refund']['share'] - 0.75) < 1e-3, r
fp = {x['id'] for x in c['false_hits']}
assert fp == {'m%d@cust.example' % i for i in range(5, 10)}, fp
assert any('refund policy' in x['sentence'] for x in c['false_hits']), c['false_hits']
EOF
# the table says the same
"$CASETRAIL" rules masscheck --rules rules.conf --corpus corpus > mc.txt 2>/dev/null || fail "masscheck table exit $?"
grep -q '^billing_dispute  *1.00  *4  *9  *4  *5  *0.44  *1.00  *0.62$' mc.txt || fail "masscheck table: $(cat mc.txt)"

# the split is fixed by the external id: both parts together are the whole
"$CASETRAIL" rules masscheck --rules rules.conf --corpus corpus --part tune --format json > tune.json 2>/dev/null
"$CASETRAIL" rules masscheck --rules rules.conf --corpus corpus --part held-out --format json > held.json 2>/dev/null
python3 - tune.json held.json <<'EOF' || fail "split"
import hashlib, json, sys
t, h = (json.load(open(p)) for p in sys.argv[1:])
assert t['items'] + h['items'] == 10, (t['items'], h['items'])
want_held = sum(hashlib.sha256(f"casetrail-qa-1:m{i}@cust.example".encode()).digest()[0] < 128 for i in range(1, 11))
assert h['items'] == want_held, (h['items'], want_held)
EOF

# fit: "refund" alone must not tag, together with "twice" it still does
cp rules.conf fitted.conf
"$CASETRAIL" rules fit --rules fitted.conf --corpus corpus --part all --folds 2 --write > fit.out 2>&1 ||
	fail "fit exit $?: $(cat fit.out)"
grep -q "^wrote the fitted scores into fitted.conf$" fit.out || fail "fit: $(cat fit.out)"
grep -q '^\[category billing_dispute\]$' fitted.conf || fail "no category section: $(cat fitted.conf)"
"$CASETRAIL" rules check fitted.conf > /dev/null || fail "fitted rules do not load"
"$CASETRAIL" rules masscheck --rules fitted.conf --corpus corpus --format json > fitted.json 2>/dev/null
python3 - fitted.json <<'EOF' || fail "fitted figures: $(cat fit.out)"
import json, sys
d = json.load(open(sys.argv[1]))
r = {x['id']: x['score'] for x in d['rules']}
assert r['billing.twice'] >= 1 and r['billing.refund'] < 1, r
c = d['categories']['billing_dispute']
# twice alone and twice + refund tag; refund alone (m3 m4 right, m5-m9 wrong) does not
assert (c['tp'], c['fp']) == (2, 0), c
EOF

# fit --keep-roles: a rule written to tag alone whose hits are mostly wrong
# (refund: 3 of 8) keeps half the threshold instead of turning into a
# counter-cue, a weak cue (never came, written 0.3) stays below the threshold
# (at most twice its score) although the plain fit lets it tag alone;
# --min-hits: a rule with too few hits (promised: 1) keeps its written score
cat > roles.conf <<'EOF'
[rule billing.twice]
category = billing_dispute
pattern = \bcharged\s+(?:me\s+|us\s+)?twice\b
example = You charged us twice.
[rule billing.refund]
category = billing_dispute
score = 1
pattern = \brefund\b
example = a refund
[rule billing.never-came]
category = billing_dispute
score = 0.3
pattern = \bnever\s+came\b
example = it never came
[rule billing.promised]
category = billing_dispute
score = 0.7
pattern = \bpromised\b
example = you promised
EOF
fit_scores() { # NAME OPTIONS...: fits a copy of roles.conf into NAME.conf, its scores into NAME.json
	name=$1
	shift
	cp roles.conf "$name.conf"
	"$CASETRAIL" rules fit --rules "$name.conf" --corpus corpus --part all --folds 2 "$@" --write > "$name.out" 2>&1 ||
		fail "fit $*: exit $?: $(cat "$name.out")"
	"$CASETRAIL" rules masscheck --rules "$name.conf" --corpus corpus --format json > "$name.json" 2>/dev/null
}
fit_scores free
fit_scores kept --keep-roles --min-hits 2
grep -q "^billing_dispute: 1 rules with fewer than 2 hits keep their written scores$" kept.out || fail "min-hits: $(cat kept.out)"
python3 - free.json kept.json <<'EOF' || fail "keep-roles: $(cat free.out kept.out)"
import json, sys
free, roles = ({x['id']: x['score'] for x in json.load(open(p))['rules']} for p in sys.argv[1:])
assert free['billing.never-came'] >= 1 and free['billing.refund'] < 0.5, free
assert roles['billing.twice'] >= 1, roles
assert roles['billing.refund'] == 0.5, roles
assert 0 <= roles['billing.never-came'] <= 0.6, roles
assert roles['billing.promised'] == 0.7, roles
EOF
"$CASETRAIL" rules masscheck --min-hits 2 --corpus corpus > /dev/null 2>&1 && fail "--min-hits accepted by masscheck"

# unlabelled store items: every tag listed for review
"$CASETRAIL" --db s.db ingest --no-classify --eml corpus/eml > /dev/null 2>&1 || fail "ingest"
"$CASETRAIL" --db s.db rules masscheck --rules rules.conf > review.txt 2>&1 || fail "review exit $?: $(cat review.txt)"
grep -q '^--- tags on unlabelled items (9), for review$' review.txt || fail "review: $(cat review.txt)"
grep -q '^  m1@cust.example billing_dispute \[billing.twice\]$' review.txt || fail "review: $(cat review.txt)"

# bad usage
"$CASETRAIL" rules masscheck --rules rules.conf --part half > /dev/null 2> e.txt && fail "bad part accepted"
grep -q "part takes all, tune or held-out, not 'half'" e.txt || fail "bad part: $(cat e.txt)"
echo '{"x": 1}' > bad.json
"$CASETRAIL" --db s.db rules masscheck --rules rules.conf --labels bad.json > /dev/null 2> e.txt && fail "bad labels accepted"
grep -q "no labels found" e.txt || fail "bad labels: $(cat e.txt)"
echo ok
