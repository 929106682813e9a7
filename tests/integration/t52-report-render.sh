#!/bin/sh
# t52-report-render.sh - the HTML complaint report and audit rendered by headless
# Chromium to PNG: the page is not blank and the SVG charts are in it.
# CT_SCREENSHOT=FILE keeps the complaint report's screenshot (report/screenshot.png).
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
