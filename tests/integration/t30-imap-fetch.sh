#!/bin/sh
# t30-imap-fetch.sh - IMAP against a real Dovecot: first full fetch, dry run,
# a second run adds nothing, incremental fetch, flags untouched on the
# server, UIDVALIDITY reset without duplicates, broken messages stored with
# warnings, per-folder departments, wrong password and unknown folder, a
# folder name outside ASCII.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-dovecot.sh"
dovecot_start

items() { sqlite3 ct.db "select count(*) from items"; }
ids() { sqlite3 ct.db "select external_id from items order by 1"; }
ct() { "$CASETRAIL" -c c.conf "$@"; }

deliver 40 first
# One message already read and flagged by a person: must stay as it is.
doveadm -c "$DV_CONF" flags add -u "$DV_USER" '\Seen \Flagged' mailbox INBOX uid 3 ||
	fail "doveadm flags add"
flags_before=$(dv_flags)
dv_config c.conf billing-inbox "imap://127.0.0.1:$IMAP_PORT/INBOX" </dev/null

# dry run: counts, stores nothing
ct ingest --dry-run >dry.out 2>dry.err || fail "dry run exit $?: $(cat dry.err)"
grep -qx "billing-inbox INBOX: 40 new" dry.out || fail "dry run output: $(cat dry.out)"
[ "$(items)" = 0 ] || fail "dry run stored items"

# first full fetch
ct ingest >run1.out 2>run1.err || fail "first run exit $?: $(cat run1.err)"
[ "$(items)" = 40 ] || fail "first run: $(items) items, want 40"
[ "$(sqlite3 ct.db "select count(*) from items where external_id like 'first-%@test.example'")" = 40 ] ||
	fail "first run: external ids: $(ids | head -3)"
[ "$(dv_flags)" = "$flags_before" ] || fail "flags changed: before $flags_before, after $(dv_flags)"
# the flagged message is still the only \Seen one, and no message was expunged
[ "$(doveadm -c "$DV_CONF" search -u "$DV_USER" mailbox INBOX SEEN | wc -l)" = 1 ] || fail "\\Seen changed"
[ "$(dv_count)" = 40 ] || fail "messages on the server: $(dv_count)"
if grep -qi "password\|$DV_PASS" run1.err; then fail "the password shows up: $(cat run1.err)"; fi

# second run: nothing new, one round trip
ct ingest >run2.out 2>run2.err || fail "second run exit $?: $(cat run2.err)"
grep -q "ingest: 0 new" run2.err || fail "second run: $(cat run2.err)"
[ "$(items)" = 40 ] || fail "second run added items"

# incremental: 5 more
deliver 5 second
ct ingest --dry-run >dry2.out 2>&1 || fail "dry run 2"
grep -qx "billing-inbox INBOX: 5 new" dry2.out || fail "dry run 2 output: $(cat dry2.out)"
ct ingest >run3.out 2>run3.err || fail "incremental run exit $?: $(cat run3.err)"
[ "$(items)" = 45 ] || fail "incremental: $(items) items, want 45"
[ "$(sqlite3 ct.db "select value from cursors where name = 'INBOX:last_uid'")" = 45 ] ||
	fail "cursor last_uid: $(sqlite3 ct.db 'select * from cursors')"

# UIDVALIDITY reset: the same 45 messages under new UIDs, plus 2 new ones
old_uv=$(sqlite3 ct.db "select value from cursors where name = 'INBOX:uidvalidity'")
doveadm -c "$DV_CONF" mailbox update -u "$DV_USER" --uid-validity $((old_uv + 7)) INBOX ||
	fail "doveadm mailbox update"
deliver 2 third
ct ingest >run4.out 2>run4.err || fail "run after UIDVALIDITY reset exit $?: $(cat run4.err)"
grep -q "folder 'INBOX' has a new UIDVALIDITY ($old_uv -> $((old_uv + 7))): reading it again" run4.err ||
	fail "no UIDVALIDITY warning: $(cat run4.err)"
[ "$(items)" = 47 ] || fail "after UIDVALIDITY reset: $(items) items, want 47 (no duplicates)"
[ "$(sqlite3 ct.db "select count(distinct external_id) from items")" = 47 ] || fail "duplicate external ids"
[ "$(sqlite3 ct.db "select value from cursors where name = 'INBOX:uidvalidity'")" = $((old_uv + 7)) ] ||
	fail "uidvalidity cursor not updated"

# broken messages: stored, with warnings
doveadm -c "$DV_CONF" mailbox create -u "$DV_USER" Broken || fail "create Broken"
bm="$DV_MAIL/.Broken"
mkdir -p "$bm/new" "$bm/cur" "$bm/tmp"
printf 'Message-ID: <broken-1@test.example>\nFrom: someone@acme.example\nSubject: =?utf-8?B?not base64!?=\nDate: yesterday at noon\nContent-Type: multipart/mixed; boundary="zz"\nContent-Transfer-Encoding: base64\n\n--zz\nContent-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: quoted-printable\n\nyou charged me twice =ZZ=\n' >"$bm/new/1.M1P1.broken"
printf 'this is not a mail message at all\n\000\377\376 binary junk\n' >"$bm/new/2.M2P1.broken"
printf 'Message-ID: <broken-3@test.example>\nSubject: no body, no date\n' >"$bm/new/3.M3P1.broken"
dv_own
cat >>c.conf <<EOT
folders = INBOX, Broken
folder_departments = Broken=Support
EOT
ct ingest >run5.out 2>run5.err || fail "broken run exit $?: $(cat run5.err)"
[ "$(items)" = 50 ] || fail "broken messages: $(items) items, want 50; $(cat run5.err)"
grep -q "ingest: 3 new" run5.err || fail "broken run summary: $(cat run5.err)"
grep -Eq "[1-9][0-9]* warnings" run5.err || fail "broken messages without warnings: $(cat run5.err)"

# folder departments: nothing in Broken is addressed to a department, so its
# items take the folder's department (Support); INBOX mail goes to Billing
[ "$(sqlite3 ct.db "select count(*) from items where department = 'Support'")" = 3 ] ||
	fail "folder_departments: $(sqlite3 ct.db 'select department, count(*) from items group by 1')"
[ "$(sqlite3 ct.db "select count(*) from items where department = 'Billing'")" = 47 ] ||
	fail "departments: $(sqlite3 ct.db 'select department, count(*) from items group by 1')"

# wrong password: clear message, exit 1, password never printed
rc=0
CT_TEST_PASSWORD=wrong-password ct ingest >bad.out 2>bad.err || rc=$?
[ $rc = 1 ] || fail "wrong password: exit $rc, want 1"
grep -q "casetrail: error: source 'billing-inbox': IMAP login failed for user 'billing' at 127.0.0.1:$IMAP_PORT: \[AUTHENTICATIONFAILED\]" bad.err ||
	fail "wrong password message: $(cat bad.err)"
grep -q "hint: check user and password_env" bad.err || fail "wrong password hint: $(cat bad.err)"
if grep -q "wrong-password" bad.err bad.out; then fail "the password was printed"; fi

# unknown folder: clear message, the other sources still run, exit 1
sed -i 's/^folders = .*/folders = INBOX, NoSuchFolder/' c.conf
cat >>c.conf <<EOT

[source second]
type = imap
url = imap://127.0.0.1:$IMAP_PORT/Broken
user = $DV_USER
password_env = CT_TEST_PASSWORD
EOT
rc=0
ct ingest >nf.out 2>nf.err || rc=$?
[ $rc = 1 ] || fail "unknown folder: exit $rc, want 1"
grep -q "casetrail: error: source 'billing-inbox': IMAP folder 'NoSuchFolder' cannot be opened at 127.0.0.1:$IMAP_PORT: Mailbox doesn't exist: NoSuchFolder" nf.err ||
	fail "unknown folder message: $(cat nf.err)"
[ "$(sqlite3 ct.db "select count(*) from cursors where source = 'second'")" -ge 2 ] ||
	fail "the other source did not run: $(cat nf.err)"
[ "$(items)" = 50 ] || fail "items after the unknown folder run: $(items)"

# folders = *: every subscribed folder; auth = plain (SASL PLAIN)
doveadm -c "$DV_CONF" mailbox subscribe -u "$DV_USER" INBOX Broken || fail "subscribe"
dv_config star.conf everything "imap://127.0.0.1:$IMAP_PORT" <<EOT
folders = *
auth = plain
EOT
"$CASETRAIL" -c star.conf --db star.db ingest --dry-run >star.out 2>star.err || fail "folders = *: $(cat star.err)"
grep -qx "everything INBOX: 47 new" star.out || fail "folders = *: $(cat star.out) $(cat star.err)"
grep -qx "everything Broken: 3 new" star.out || fail "folders = *: $(cat star.out)"
[ "$(grep -c '^everything [^:]*: [0-9]* new$' star.out)" = 2 ] || fail "folders = *: $(cat star.out)"

# a folder name outside ASCII: written in UTF-8 in the config, sent in
# modified UTF-7, listed back in UTF-8, its cursors keyed by the UTF-8 name
uf='Rückfragen & Co'
doveadm -c "$DV_CONF" mailbox create -u "$DV_USER" "$uf" || fail "create $uf"
for i in 1 2; do
	printf 'Message-ID: <utf7-%d@test.example>\nFrom: c1@acme.example\nTo: support@corp.example\nSubject: Frage %d\nDate: Tue, 05 Mar 2024 10:00:00 +0000\n\nHallo\n' $i $i |
		doveadm -c "$DV_CONF" save -u "$DV_USER" -m "$uf" || fail "save into $uf"
done
dv_config utf.conf umlaut "imap://127.0.0.1:$IMAP_PORT" <<EOT
folders = $uf
EOT
"$CASETRAIL" -c utf.conf --db utf.db ingest >utf.out 2>utf.err || fail "UTF-8 folder: $(cat utf.err)"
[ "$(sqlite3 utf.db "select count(*) from items where external_id like 'utf7-%'")" = 2 ] ||
	fail "UTF-8 folder: $(cat utf.err)"
[ "$(sqlite3 utf.db "select value from cursors where name = '$uf:last_uid'")" = 2 ] ||
	fail "UTF-8 folder cursor: $(sqlite3 utf.db 'select * from cursors')"
doveadm -c "$DV_CONF" mailbox subscribe -u "$DV_USER" "$uf" || fail "subscribe $uf"
"$CASETRAIL" -c star.conf --db star.db ingest --dry-run >star2.out 2>star2.err || fail "folders = *: $(cat star2.err)"
grep -qx "everything $uf: 2 new" star2.out || fail "folders = * with $uf: $(cat star2.out)"

# and the server still has every message, none deleted
[ "$(dv_count)" = 47 ] || fail "messages on the server: $(dv_count)"
echo ok
