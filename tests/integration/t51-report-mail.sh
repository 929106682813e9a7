#!/bin/sh
# t51-report-mail.sh - report complaints --mail and audit handoffs --mail-to
# through a real SMTP sink (aiosmtpd) on 127.0.0.1: recipients, subject, and
# both parts of the multipart/alternative message; --dry-run writes .eml files.
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
import email, glob, sys
from email import policy
seen = {}
for p in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    rcpt = open(p[:-4] + ".rcpt").read().split("\n")[0]
    m = email.message_from_bytes(open(p, "rb").read(), policy=policy.default)
    if m["To"].strip() != rcpt: sys.exit(f"{p}: To {m['To']!r}, envelope {rcpt!r}")
    if m.get_content_type() != "multipart/alternative": sys.exit(f"{p}: {m.get_content_type()}")
    parts = [x for x in m.iter_parts()]
    types = [x.get_content_type() for x in parts]
    if types != ["text/plain", "text/html"]: sys.exit(f"{p}: parts {types}")
    text, html = parts[0].get_content(), parts[1].get_content()
    subj = str(m["Subject"])
    seen[rcpt] = subj
    if rcpt == "auditor@larkspur.example":
        if "audit" not in subj.lower() and "handoff" not in subj.lower(): sys.exit(f"audit subject: {subj!r}")
        if "Billing" not in text or "<svg" not in html: sys.exit("audit parts lack the trail or the heat map")
    elif rcpt == "dana.okoro@larkspur.example":
        if "Billing" not in subj: sys.exit(f"Billing subject: {subj!r}")
        if "billing_dispute" not in text or "billing_dispute" not in html: sys.exit("Billing report lacks its tags")
        if "<html" not in html.lower() or "<script" in html.lower(): sys.exit("HTML part")
print(seen)
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
