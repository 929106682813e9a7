#!/bin/sh
# t17-ingest-poison.sh - a Maildir of good mails plus one nested 30,000 levels deep (each
# "Content-Type :" with a blank before the colon, which slipped past the nesting guard and
# overflowed the stack): every mail is stored, the deep one with a warning naming its file,
# and a rerun adds nothing.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
for i in 1 2 3 4 5; do
	generate_message md
done
mkdir -p md/new
python3 - >md/new/1700000099.M1P1.poison <<'EOF'
import sys
out = ["From: a@customer.example\nTo: support@corp.example\nSubject: nest\n"
       "Date: Mon, 4 Mar 2024 09:12:01 +0100\nMessage-ID: <nest@customer.example>\n"]
for i in range(30000):
    out.append("Content-Type :multipart/x;boundary=b%05d\n\n--b%05d\n" % (i, i))
out.append("\nWe were charged twice.\n")
sys.stdout.write("".join(out))
EOF

rc=0; "$CASETRAIL" --db s.db ingest --maildir md --department Support 2>run.err || rc=$?
cat run.err
[ $rc -eq 0 ] || fail "exit $rc (a run that stored everything with warnings exits 0)"
grep -q '^ingest: 6 new, 0 already seen, 1 warnings, 0 failed' run.err || fail "summary: $(cat run.err)"
grep -q '1700000099.M1P1.poison.*MIME structure ignored' run.err || fail "no warning names the deep mail"
[ "$(sqlite3 s.db "select count(*) from items where external_id = 'nest@customer.example'")" = 1 ] ||
	fail "the deep mail is not stored"

"$CASETRAIL" --db s.db ingest --maildir md --department Support 2>rerun.err || fail "rerun"
grep -q '^ingest: 0 new' rerun.err || fail "rerun: $(cat rerun.err)"
echo ok
