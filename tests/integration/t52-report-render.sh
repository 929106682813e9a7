#!/bin/sh
# t52-report-render.sh - the HTML pages rendered by headless Chromium: the
# complaint report and audit to PNG (not blank, the SVG charts in it), and
# every HTML page (reports, audit, the cases page, case show of every case)
# measured at 1200 and 390 px: no horizontal scroll, no squeezed cell. The
# chart spans the report's period: weeks, or months for a long period.
# CT_SCREENSHOT=FILE keeps the complaint report's screenshot (report/screenshot.png);
# CT_SHOTS=DIR keeps a screenshot of every page at both widths.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"

command -v chromium >/dev/null 2>&1 || sh "$TOP/tests/deps.sh" chromium >/dev/null 2>&1 || true
if ! command -v chromium >/dev/null 2>&1; then
	[ "${CT_TEST_REQUIRE_SERVERS:-0}" = 1 ] && fail "chromium is required (CT_TEST_REQUIRE_SERVERS=1)"
	echo "SKIP: chromium (Debian) is not installed"; exit 0
fi

CT() { "$CASETRAIL" -c "$TOP/examples/casetrail.conf" --db "$TMPDIR/ct.db" "$@"; }
CT ingest >ingest.out 2>&1 || fail "ingest: exit $?: $(tail -3 ingest.out)"
P="--since 2025-03-01 --until 2025-04-01"
CT report complaints $P --format html --out report.html 2>err || fail "report: $(cat err)"
CT audit handoffs $P --format html --out audit.html 2>err || fail "audit: $(cat err)"

# The charts: bars per week and category, the transfer matrix as a heat map.
[ "$(grep -o '<svg' report.html | wc -l)" -ge 1 ] || fail "complaint report: no SVG chart"
grep -q '<rect' report.html || fail "complaint report: the chart has no bars"
grep -q '<svg' audit.html || fail "audit: no heat map"
grep -q '<rect' audit.html || fail "audit: the heat map has no cells"

# The chart covers the report's own period: a March report shows the weeks of
# March (from the Monday of the week of March 1st), an 18-month report months.
python3 - report.html <<'PY' || fail "the March chart does not span March"
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
weeks = re.findall(r'data-label="week starting">(\d{4}-\d{2}-\d{2})<', h)
want = ["2025-02-24", "2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31"]
if weeks != want: sys.exit(f"weeks {weeks}, want {want}")
svg = h[h.index("<svg"):h.index("</svg>")]
if ">2025<" not in svg: sys.exit("no year on the axis")
if ">tagged cases<" not in svg: sys.exit("the y axis has no label")
if "week starting Monday (UTC)" not in svg: sys.exit("the x axis has no label")
for label in ("Feb 24", "Mar 3", "Mar 31"):
    if f">{label}<" not in svg: sys.exit(f"no {label} under the axis")
PY
CT report complaints --since 2024-01-01 --until 2025-07-01 --format html --out long.html 2>err ||
	fail "18-month report: $(cat err)"
python3 - long.html <<'PY' || fail "the 18-month chart does not span the period by month"
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
months = re.findall(r'data-label="month">(\d{4}-\d{2})<', h)
want = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)][:18]
if months != want: sys.exit(f"months {months}, want {want}")
svg = h[h.index("<svg"):h.index("</svg>")]
if ">2024<" not in svg or ">2025<" not in svg: sys.exit("the years are not on the axis")
if "Tagged cases per month" not in svg: sys.exit("not a monthly chart")
PY
# One colour per category, the same in every report (here: all departments and Billing alone).
CT report complaints --since 2024-01-01 --until 2025-07-01 --department Billing --format html --out billing.html 2>err ||
	fail "Billing report: $(cat err)"
python3 - long.html billing.html <<'PY' || fail "a category changes colour between reports"
import re, sys
def legend(path):
    svg = open(path, encoding="utf-8").read()
    return dict((n, c) for c, n in re.findall(r'<rect x="\d+" y="\d+" width="12" height="12" fill="(#[0-9a-f]{6})"/>'
                                              r'<text[^>]*>([^<]+)</text>', svg))
a, b = legend(sys.argv[1]), legend(sys.argv[2])
if not a or not b: sys.exit(f"no legend: {a} {b}")
if len(set(a.values())) != len(a): sys.exit(f"two categories share a colour: {a}")
for k in set(a) & set(b):
    if a[k] != b[k]: sys.exit(f"{k}: {a[k]} in one report, {b[k]} in the other")
if not set(a) & set(b): sys.exit("no category in common")
PY

# Every HTML page at 1200 and 390 px: the reports, the audit, the cases page, every case.
CT cases --format html >cases.html 2>err || fail "cases --format html: $(cat err)"
grep -q '<th>last activity</th>' cases.html || fail "the cases page shows raw field names"
grep -q 'last_activity_at' cases.html && fail "the cases page shows raw field names"
grep -q '<a href="#case-1">1</a>' cases.html || fail "case ids on the cases page are no links"
grep -q 'id="case-1"' cases.html || fail "the cases page has no anchor per case"
CT cases --format csv | head -1 | grep -q '^id,opened_at,last_activity_at' || fail "the CSV lost its field names"
pages="report.html long.html audit.html cases.html"
for id in $(CT cases --format json | python3 -c 'import json, sys; print(" ".join(str(c["id"]) for c in json.load(sys.stdin)))'); do
	CT case show "$id" --format html >"case-$id.html" 2>err || fail "case show $id: $(cat err)"
	pages="$pages case-$id.html"
done
[ -n "${CT_SHOTS:-}" ] && mkdir -p "$CT_SHOTS"
for w in 1200 390; do
	python3 "$TOP/tests/integration/render_check.py" chromium "$TMPDIR" $w $pages >render-$w.out 2>&1 ||
		fail "HTML pages at $w px: $(grep -v '^ok' render-$w.out | head -5)"
	[ "$(grep -c '^ok' render-$w.out)" -eq "$(echo $pages | wc -w)" ] ||
		fail "not every page was measured at $w px: $(cat render-$w.out)"
done

for f in report audit; do
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMPDIR/chr" --screenshot="$TMPDIR/$f.png" --window-size=1200,1600 \
		"file://$TMPDIR/$f.html" >chr.log 2>&1 || true
	[ -s "$f.png" ] || fail "chromium wrote no screenshot of $f.html: $(tail -5 chr.log)"
	# Decode the PNG (8-bit RGB/RGBA, non-interlaced) and count the pixels that are not white.
	python3 - "$f.png" <<'PY' || fail "$f.html rendered blank"
import sys, struct, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(d):
    n, t = struct.unpack(">I4s", d[pos:pos + 8]); body = d[pos + 8:pos + 8 + n]; pos += 12 + n
    if t == b"IHDR": w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
    elif t == b"IDAT": idat += body
assert depth == 8 and ctype in (2, 6) and inter == 0, (depth, ctype, inter)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat); stride = w * bpp
prev = bytearray(stride); out = 0; colored = 0; i = 0
for y in range(h):
    ft = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if ft == 1: line[x] = (line[x] + a) & 255
        elif ft == 2: line[x] = (line[x] + b) & 255
        elif ft == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif ft == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if (r, g, bl) != (255, 255, 255): out += 1
        if max(r, g, bl) - min(r, g, bl) > 40: colored += 1
    prev = line
total = w * h
print(f"{sys.argv[1]}: {w}x{h}, {out} non-white pixels ({100 * out / total:.1f}%), {colored} coloured")
if out < total // 100: sys.exit("fewer than 1% non-white pixels")
if colored < 500: sys.exit("no coloured chart pixels")
PY
done
[ -n "${CT_SCREENSHOT:-}" ] && cp report.png "$CT_SCREENSHOT"
true
