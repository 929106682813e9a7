#!/bin/sh
# t33-pop3.sh - POP3 against a real Dovecot: UIDL tracking (a second run adds
# nothing, new mail is picked up), messages stay on the server, dry run,
# pop3s:// with the test CA, wrong password.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-dovecot.sh"
dovecot_start
items() { sqlite3 ct.db "select count(*) from items"; }

deliver 30 pop
dv_config c.conf pop-inbox "pop3://127.0.0.1:$POP3_PORT" pop3 </dev/null

"$CASETRAIL" -c c.conf ingest --dry-run >dry.out 2>dry.err || fail "dry run: $(cat dry.err)"
grep -qx "pop-inbox INBOX: 30 new" dry.out || fail "dry run output: $(cat dry.out)"
[ "$(items)" = 0 ] || fail "dry run stored items"

"$CASETRAIL" -c c.conf ingest 2>r1.err || fail "first run: exit $?: $(cat r1.err)"
[ "$(items)" = 30 ] || fail "first run: $(items) items, want 30"
[ "$(sqlite3 ct.db "select count(*) from items where external_id like 'pop-%@test.example'")" = 30 ] ||
	fail "external ids"
[ "$(dv_count)" = 30 ] || fail "messages deleted from the server: $(dv_count) left"

"$CASETRAIL" -c c.conf ingest 2>r2.err || fail "second run: $(cat r2.err)"
grep -q "ingest: 0 new, 30 already seen" r2.err || fail "second run: $(cat r2.err)"
[ "$(items)" = 30 ] || fail "second run added items"

deliver 4 pop2
"$CASETRAIL" -c c.conf ingest --dry-run >dry2.out 2>&1 || fail "dry run 2"
grep -qx "pop-inbox INBOX: 4 new" dry2.out || fail "dry run 2: $(cat dry2.out)"
"$CASETRAIL" -c c.conf ingest 2>r3.err || fail "third run: $(cat r3.err)"
[ "$(items)" = 34 ] || fail "third run: $(items) items, want 34"
grep -q "ingest: 4 new, 30 already seen" r3.err || fail "third run: $(cat r3.err)"
[ "$(dv_count)" = 34 ] || fail "messages deleted from the server: $(dv_count) left"
# Dovecot logs each POP3 session's deletions as del=N/M
grep -q "pop3(billing).*Logged out .*retr=30/" "$DV/dovecot.log" || fail "no POP3 session in the log"
if grep "pop3(billing).*Logged out" "$DV/dovecot.log" | grep -q "del=[1-9]"; then
	fail "a POP3 session deleted messages: $(grep 'del=[1-9]' "$DV/dovecot.log")"
fi

# the same mailbox over pop3s:// with the test CA: all already stored
dv_config s.conf pop-inbox "pop3s://127.0.0.1:$POP3S_PORT" pop3 <<EOT
tls_ca_file = $DV_CA
EOT
"$CASETRAIL" -c s.conf ingest 2>s.err || fail "pop3s: $(cat s.err)"
grep -q "ingest: 0 new, 34 already seen" s.err || fail "pop3s run: $(cat s.err)"

# STLS on the plain port with the test CA
dv_config st.conf pop-inbox "pop3://127.0.0.1:$POP3_PORT" pop3 <<EOT
starttls = yes
tls_ca_file = $DV_CA
EOT
"$CASETRAIL" -c st.conf ingest 2>st.err || fail "pop3 + STLS: $(cat st.err)"
grep -q "ingest: 0 new, 34 already seen" st.err || fail "pop3 + STLS run: $(cat st.err)"

# bad urls: named with the line when the configuration is loaded (exit 2), nothing fetched
dv_config u1.conf bad-scheme "imap://127.0.0.1:$POP3_PORT" pop3 </dev/null
rc=0
"$CASETRAIL" -c u1.conf --db u.db ingest 2>u1.err || rc=$?
[ $rc = 2 ] || fail "imap url for a pop3 source: exit $rc"
grep -qF "u1.conf:12: [source bad-scheme] url takes pop3://HOST[:PORT]/... or pop3s://... (a port from 1 to 65535), not 'imap://127.0.0.1:$POP3_PORT'" u1.err ||
	fail "bad scheme message: $(cat u1.err)"
dv_config u2.conf pw-in-url "pop3://billing:hunter2@127.0.0.1:$POP3_PORT" pop3 </dev/null
rc=0
"$CASETRAIL" -c u2.conf --db u.db ingest 2>u2.err || rc=$?
[ $rc = 2 ] || fail "password in the url: exit $rc"
grep -qF "u2.conf:12: [source pw-in-url] url must not hold a password (use password_command or password_env)" u2.err ||
	fail "password in url: $(cat u2.err)"
if grep -q hunter2 u2.err; then fail "the password in the url was printed"; fi

# pop3s:// without the CA: refused
dv_config s2.conf pop-tls "pop3s://127.0.0.1:$POP3S_PORT" pop3 </dev/null
rc=0
"$CASETRAIL" -c s2.conf --db s2.db ingest 2>s2.err || rc=$?
[ $rc = 1 ] || fail "pop3s without the CA: exit $rc"
grep -q "source 'pop-tls': TLS certificate of POP3 server 127.0.0.1:$POP3S_PORT not trusted" s2.err ||
	fail "pop3s without the CA: $(cat s2.err)"

# wrong password
rc=0
CT_TEST_PASSWORD=not-it "$CASETRAIL" -c c.conf --db bad.db ingest 2>bad.err || rc=$?
[ $rc = 1 ] || fail "wrong password: exit $rc"
grep -q "casetrail: error: source 'pop-inbox': POP3 login failed for user 'billing' at 127.0.0.1:$POP3_PORT: " bad.err ||
	fail "wrong password message: $(cat bad.err)"
if grep -q "not-it" bad.err; then fail "password printed"; fi
[ "$(dv_count)" = 34 ] || fail "messages on the server: $(dv_count)"
echo ok
