#!/bin/sh
# t50-report-formats.sh - report complaints and audit handoffs in every format on
# the bundled examples plus one hostile mail: JSON checked against the shape of
# report/SCHEMA.md, CSV parsed back (RFC 4180), HTML escaped (script, quotes,
# bidi controls) and self-contained (inline SVG, no JavaScript).
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"

CT() { "$CASETRAIL" -c "$TOP/examples/casetrail.conf" --db "$TMPDIR/ct.db" "$@"; }
CT ingest >ingest.out 2>&1 || fail "ingest of the examples: exit $?: $(tail -3 ingest.out)"

# A mail whose subject and body carry markup, quotes and a right-to-left override.
printf '%s\r\n' \
	'From: Mallory <mallory@evil.example>' \
	'To: billing@larkspur.example' \
	'Subject: <script>alert("subj")</script> invoice' \
	'Date: Mon, 10 Mar 2025 10:00:00 +0000' \
	'Message-ID: <hostile-1@evil.example>' \
	'MIME-Version: 1.0' \
	'Content-Type: text/plain; charset=utf-8' \
	'' \
	'You have charged us twice <script>alert("x")</script> "quoted" '"'"'single'"'"' & more exe.‮fdp' \
	>hostile.eml
CT ingest --eml hostile.eml --department Billing >/dev/null 2>&1 || fail "ingest of hostile.eml: exit $?"

P="--since 2000-01-01 --until 2025-04-01"
for cmd in "report complaints" "audit handoffs"; do
	name=$(echo "$cmd" | tr ' ' _)
	for f in table csv json markdown html; do
		CT $cmd $P --format $f --out "$name.$f" 2>err || fail "$cmd --format $f: exit $?: $(cat err)"
		[ -s "$name.$f" ] || fail "$cmd --format $f: empty output"
	done
done

# JSON: the shape documented in report/SCHEMA.md.
python3 - report_complaints.json audit_handoffs.json <<'PY' || fail "JSON does not follow report/SCHEMA.md"
import json, sys, re
ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
def need(o, key, typ, where):
    if key not in o: sys.exit(f"{where}: no '{key}'")
    v = o[key]
    if typ == 'date':
        if not (isinstance(v, str) and ISO.match(v)): sys.exit(f"{where}.{key}: not an ISO 8601 UTC date: {v!r}")
    elif typ == 'str?':
        if v is not None and not isinstance(v, str): sys.exit(f"{where}.{key}: {v!r}")
    elif not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        sys.exit(f"{where}.{key}: got {type(v).__name__}, want {typ}")
    return v
c = json.load(open(sys.argv[1]))
assert need(c, 'schema', str, 'complaints') == 'casetrail-json/1'
assert need(c, 'report', str, 'complaints') == 'complaints'
for k in ('since', 'until', 'previous_since'): need(c, k, 'date', 'complaints')
depts = need(c, 'departments', list, 'complaints')
if not depts: sys.exit("complaints: no department")
for d in depts:
    need(d, 'department', str, 'department'); need(d, 'leader', 'str?', 'department')
    t = need(d, 'tagged_cases', dict, 'department')
    for k in ('opened', 'open', 'previous', 'change'): need(t, k, int, 'tagged_cases')
    if t['change'] != t['opened'] - t['previous']: sys.exit("change != opened - previous")
    for x in need(d, 'tags', list, 'department'):
        need(x, 'category', str, 'tags')
        for k in ('opened', 'open', 'previous', 'change'): need(x, k, int, 'tags')
    for x in need(d, 'oldest_open', list, 'department'):
        need(x, 'case', int, 'oldest_open'); need(x, 'opened_at', 'date', 'oldest_open')
        need(x, 'category', str, 'oldest_open')
        for k in ('rule', 'snippet', 'subject', 'customer'): need(x, k, 'str?', 'oldest_open')
    for x in need(d, 'rules', list, 'department'): need(x, 'rule', str, 'rules'); need(x, 'count', int, 'rules')
    for x in need(d, 'repeat_customers', list, 'department'): need(x, 'customer', str, 'r'); need(x, 'cases', int, 'r')
    for x in need(d, 'overpromise_staff', list, 'department'): need(x, 'staff', str, 's'); need(x, 'cases', int, 's')
for w in need(c, 'weeks', list, 'complaints'):
    need(w, 'week', 'date', 'weeks'); need(w, 'category', str, 'weeks'); need(w, 'cases', int, 'weeks')
if not any(x['snippet'] and 'charged us twice' in x['snippet'] for d in depts for x in d['oldest_open']):
    sys.exit("complaints: the hostile billing dispute is not among the oldest open cases")

a = json.load(open(sys.argv[2]))
assert need(a, 'schema', str, 'audit') == 'casetrail-json/1'
assert need(a, 'report', str, 'audit') == 'handoffs'
cases = need(a, 'cases', list, 'audit')
if not cases: sys.exit("audit: no case")
for x in cases:
    need(x, 'id', int, 'case'); need(x, 'subject', 'str?', 'case'); need(x, 'customer', 'str?', 'case')
    need(x, 'opened_at', 'date', 'case'); need(x, 'last_activity_at', 'date', 'case')
    need(x, 'open', bool, 'case'); need(x, 'ping_pong', bool, 'case'); need(x, 'unanswered', bool, 'case')
    deps = need(x, 'departments', list, 'case'); h = need(x, 'handoffs', int, 'case')
    if deps and h != len(deps) - 1: sys.exit(f"case {x['id']}: handoffs {h} for trail {deps}")
    if x['ping_pong'] != (len(set(deps)) < len(deps)): sys.exit(f"case {x['id']}: ping_pong wrong for {deps}")
    for hd in need(x, 'holds', list, 'case'):
        need(hd, 'department', str, 'hold'); need(hd, 'from', 'date', 'hold'); need(hd, 'to', 'date', 'hold')
        need(hd, 'seconds', int, 'hold')
    for r in need(x, 'routing', list, 'case'):
        need(r, 'at', 'date', 'routing'); need(r, 'from_department', 'str?', 'routing')
        need(r, 'to_department', str, 'routing')
        if r['via'] not in ('email', 'ticket'): sys.exit(f"routing.via: {r['via']!r}")
        need(r, 'actor', 'str?', 'routing'); need(r, 'observed', bool, 'routing')
m = need(a, 'matrix', dict, 'audit')
n = sum(v for row in m.values() for v in row.values())
if n != sum(x['handoffs'] for x in cases): sys.exit(f"matrix sums to {n}, cases have {sum(x['handoffs'] for x in cases)} handoffs")
for r in need(a, 'resolution', list, 'audit'):
    need(r, 'resolved_cases', int, 'resolution')
    if r['median_days'] is not None and not isinstance(r['median_days'], (int, float)): sys.exit("median_days")
need(a, 'unanswered_after_handoff', int, 'audit')
PY

# CSV: parses back with a strict RFC 4180 reader, every row as wide as the header.
for f in report_complaints.csv audit_handoffs.csv; do
	python3 - "$f" <<'PY' || fail "$f is not RFC 4180"
import csv, sys
raw = open(sys.argv[1], newline='').read()
if raw and not raw.endswith('\r\n'): sys.exit("rows do not end in CRLF")
rows = list(csv.reader(raw.splitlines(keepends=True), strict=True))
if len(rows) < 2: sys.exit(f"{len(rows)} rows")
bad = [r for r in rows if len(r) != len(rows[0])]
if bad: sys.exit(f"ragged rows: {bad[:2]}")
PY
done
grep -q '^Billing,[^,]*,billing_dispute,[1-9]' report_complaints.csv ||
	fail "CSV has no Billing billing_dispute row: $(cat report_complaints.csv)"

# HTML: nothing hostile survives unescaped; self-contained with charts, no script.
h=report_complaints.html
grep -qi '<script' $h && fail "HTML carries a <script>: $(grep -i -m1 '<script' $h)"
grep -q '&lt;script&gt;alert(' $h || fail "HTML does not show the escaped hostile text"
grep -q "$(printf '\342\200\256')" $h && fail "HTML carries a raw RIGHT-TO-LEFT OVERRIDE"
grep -q 'alert(&quot;x&quot;)' $h || fail "double quotes are not escaped"
grep -q '<svg' $h || fail "complaint report: no SVG chart"
grep -q '<svg' audit_handoffs.html || fail "audit: no SVG heat map"
grep -qiE '<(link|img|iframe|object)[^>]*(src|href)=' $h && fail "HTML is not self-contained"
grep -q '<style' $h || fail "HTML has no inline CSS"
for f in report_complaints.markdown audit_handoffs.markdown; do grep -q '^|' $f || fail "$f: no Markdown table"; done
true
