#!/bin/sh
# t51-report-mail.sh - report complaints --mail and audit handoffs --mail-to
# through a real SMTP sink (aiosmtpd) on 127.0.0.1: recipients, subject, and
# both parts of the multipart/alternative message, the charts as PNG parts
# referenced by cid:; --dry-run writes .eml files; [site] url links into the site.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"

PY=/usr/bin/python3
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	sh "$TOP/tests/deps.sh" python3-aiosmtpd >/dev/null 2>&1 || true
fi
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	[ "${CT_TEST_REQUIRE_SERVERS:-0}" = 1 ] && fail "python3-aiosmtpd is required (CT_TEST_REQUIRE_SERVERS=1)"
	echo "SKIP: python3-aiosmtpd (Debian) is not installed"; exit 0
fi

# The examples' configuration with an [smtp] section; paths made absolute.
sed -e "s|^path = \(.*\)$|path = $TOP/examples/\1|" -e "s|^rules = \(.*\)$|rules = $TOP/examples/\1|" \
	"$TOP/examples/casetrail.conf" >ct.conf
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '\n[smtp]\nurl = smtp://127.0.0.1:%s\nfrom = reports@larkspur.example\n' "$port" >>ct.conf
CT() { "$CASETRAIL" -c ct.conf --db "$TMPDIR/ct.db" "$@"; }
CT ingest >ingest.out 2>&1 || fail "ingest: exit $?: $(tail -3 ingest.out)"

mkdir -p spool
cat >sink.py <<'PY'
import asyncio, os, sys, itertools
from aiosmtpd.controller import Controller
n = itertools.count()
class Sink:
    async def handle_DATA(self, server, session, envelope):
        i = next(n)
        with open(f"spool/{i}.rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n" + envelope.mail_from + "\n")
        with open(f"spool/{i}.eml", "wb") as f:
            f.write(envelope.original_content)
        return "250 OK"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
open("sink.ready", "w").close()
try:
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(120))
finally:
    c.stop()
PY
$PY sink.py "$port" >sink.log 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
i=0; while [ ! -e sink.ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e sink.ready ] || fail "the SMTP sink did not start: $(cat sink.log)"

P="--since 2000-01-01 --until 2025-04-01"
CT report complaints $P --mail >mail.out 2>&1 || fail "report complaints --mail: exit $?: $(cat mail.out)"
CT audit handoffs $P --mail-to auditor@larkspur.example >>mail.out 2>&1 || fail "audit --mail-to: exit $?: $(cat mail.out)"

# Each department with tagged cases mails its leader; the audit goes to the auditor.
cat spool/*.rcpt | sort >rcpts
grep -qx 'auditor@larkspur.example' rcpts || fail "the audit did not reach its recipient: $(cat rcpts)"
grep -qx 'dana.okoro@larkspur.example' rcpts || fail "Billing's leader got no report: $(cat rcpts)"
grep -qx 'marcus.reed@larkspur.example' rcpts || fail "Sales's leader got no report: $(cat rcpts)"
grep -qx 'reports@larkspur.example' rcpts || fail "envelope sender is not [smtp] from: $(cat rcpts)"

$PY - spool <<'PY' || fail "a mailed report is malformed"
import email, glob, re, struct, sys, zlib
from email import policy

def png_ok(data):
    """A valid PNG: signature, IHDR first, chunk CRCs right, IDAT inflates to the image's size."""
    if data[:8] != b"\x89PNG\r\n\x1a\n": return "no PNG signature"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(t + body) & 0xffffffff != struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]:
            return f"bad CRC in chunk {t!r}"
        if ihdr is None and t != b"IHDR": return "IHDR is not the first chunk"
        if t == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
        elif t == b"IDAT": idat += body
        elif t == b"IEND": break
        pos += 12 + n
    w, h, depth, ctype = ihdr[:4]
    if not (100 <= w <= 8000 and 100 <= h <= 8000): return f"odd size {w}x{h}"
    bpp = {2: 3, 6: 4}.get(ctype)
    if depth != 8 or not bpp: return f"unexpected depth/colour type {depth}/{ctype}"
    raw = zlib.decompress(idat)
    if len(raw) != h * (1 + w * bpp): return f"image data is {len(raw)} bytes, not {h * (1 + w * bpp)}"
    # not one flat colour: the bars and the text are drawn
    rows = {raw[y * (1 + w * bpp) + 1:(y + 1) * (1 + w * bpp)] for y in range(0, h, 7)}
    if len(rows) < 10: return "the image is (nearly) empty"
    return None

seen = {}
for p in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    rcpt = open(p[:-4] + ".rcpt").read().split("\n")[0]
    m = email.message_from_bytes(open(p, "rb").read(), policy=policy.default)
    if m["To"].strip() != rcpt: sys.exit(f"{p}: To {m['To']!r}, envelope {rcpt!r}")
    if m.get_content_type() != "multipart/alternative": sys.exit(f"{p}: {m.get_content_type()}")
    parts = [x for x in m.iter_parts()]
    types = [x.get_content_type() for x in parts]
    # text, then the HTML with its charts as images: multipart/related (RFC 2387)
    if types != ["text/plain", "multipart/related"]: sys.exit(f"{p}: parts {types}")
    related = list(parts[1].iter_parts())
    if related[0].get_content_type() != "text/html": sys.exit(f"{p}: related starts with {related[0].get_content_type()}")
    text, html = parts[0].get_content(), related[0].get_content()
    if "<svg" in html: sys.exit(f"{p}: the HTML part still has inline SVG")
    cids = re.findall(r'<img src="cid:([^"]+)" alt="([^"]+)"', html)
    if not cids: sys.exit(f"{p}: the HTML refers to no image by cid: with alt text")
    images = {x["Content-ID"].strip("<>"): x for x in related[1:]}
    for cid, alt in cids:
        img = images.get(cid)
        if img is None: sys.exit(f"{p}: no part with Content-ID <{cid}>")
        if img.get_content_type() != "image/png": sys.exit(f"{p}: {cid} is {img.get_content_type()}")
        err = png_ok(img.get_content())
        if err: sys.exit(f"{p}: {cid}: {err}")
        if len(alt) < 20: sys.exit(f"{p}: alt text {alt!r} says little")
    subj = str(m["Subject"])
    seen[rcpt] = subj
    if rcpt == "auditor@larkspur.example":
        if "audit" not in subj.lower() and "handoff" not in subj.lower(): sys.exit(f"audit subject: {subj!r}")
        if "Billing" not in text or "Heat map" not in html: sys.exit("audit parts lack the trail or the heat map")
    elif rcpt == "dana.okoro@larkspur.example":
        if "Billing" not in subj: sys.exit(f"Billing subject: {subj!r}")
        if "billing_dispute" not in text or "billing_dispute" not in html: sys.exit("Billing report lacks its tags")
        if "<html" not in html.lower() or "<script" in html.lower(): sys.exit("HTML part")
        # readable without images: the chart's figures are a table
        if "The chart&#39;s figures" not in html and "The chart's figures" not in html:
            sys.exit("Billing report: no table of the chart's figures")
print(seen)
PY

# With [site] url, case ids in the mailed reports link to the site's case pages.
cp ct.conf site.conf
printf '\n[site]\nurl = https://reports.larkspur.example/ct\n' >>site.conf
mkdir sitedry
"$CASETRAIL" -c site.conf --db "$TMPDIR/ct.db" report complaints $P --mail --dry-run --out sitedry >sd.out 2>&1 ||
	fail "--dry-run with [site] url: $(cat sd.out)"
$PY - sitedry/complaints-Billing.eml <<'PY' || fail "mailed report does not link into the site"
import email, re, sys
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
html = next(p for p in m.walk() if p.get_content_type() == "text/html").get_content()
if not re.search(r'href="https://reports\.larkspur\.example/ct/case-[0-9]+\.html"', html):
    sys.exit("no link to a case page")
if 'href="https://reports.larkspur.example/ct/index.html"' not in html: sys.exit("no link to the site's index")
PY

# --dry-run sends nothing and writes one .eml per leader.
before=$(ls spool/*.eml | wc -l)
mkdir dry
CT report complaints $P --mail --dry-run --out dry >dry.out 2>&1 || fail "--dry-run: exit $?: $(cat dry.out)"
[ "$(ls spool/*.eml | wc -l)" -eq "$before" ] || fail "--dry-run sent mail"
ls dry/*.eml >/dev/null 2>&1 || fail "--dry-run wrote no .eml: $(ls dry)"
grep -l '^To: dana.okoro@larkspur.example' dry/*.eml >/dev/null || fail "--dry-run: no mail to Billing's leader"

# An unreachable server is an error that names it, exit 1.
kill $sink; wait $sink 2>/dev/null || true
rc=0; CT audit handoffs --mail-to auditor@larkspur.example >err.out 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "mail to a dead server: exit $rc: $(cat err.out)"
grep -q "127.0.0.1:$port" err.out || grep -qi 'smtp' err.out || fail "no useful error: $(cat err.out)"
true
