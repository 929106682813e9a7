#!/bin/sh
# t32-imap-tls.sh - TLS: imaps:// and STARTTLS verified against the test CA
# (tls_ca_file) work; without that CA, or with another one, the certificate
# is refused with a clear message and exit 1; tls_verify = no warns on
# every run.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-dovecot.sh"
dovecot_start
deliver 12 tls
items() { sqlite3 "$1" "select count(*) from items"; }

# imaps:// with the test CA
dv_config c1.conf secure "imaps://127.0.0.1:$IMAPS_PORT/INBOX" <<EOT
tls_ca_file = $DV_CA
EOT
"$CASETRAIL" -c c1.conf --db a.db ingest 2>a.err || fail "imaps with the test CA: exit $?: $(cat a.err)"
[ "$(items a.db)" = 12 ] || fail "imaps: $(items a.db) items"
if grep -q "tls_verify" a.err; then fail "verified TLS warns: $(cat a.err)"; fi

# the CA file is relative to the config file's directory
mkdir -p etc && cp "$DV_CA" etc/ca.pem
dv_config etc/c.conf secure "imaps://localhost:$IMAPS_PORT/INBOX" <<EOT
tls_ca_file = ca.pem
EOT
"$CASETRAIL" -c etc/c.conf --db rel.db ingest 2>rel.err || fail "relative tls_ca_file, host name: $(cat rel.err)"
[ "$(items rel.db)" = 12 ] || fail "relative tls_ca_file: $(items rel.db) items"

# STARTTLS on the plain port
dv_config c2.conf upgraded "imap://127.0.0.1:$IMAP_PORT/INBOX" <<EOT
starttls = yes
tls_ca_file = $DV_CA
EOT
"$CASETRAIL" -c c2.conf --db b.db ingest 2>b.err || fail "STARTTLS with the test CA: exit $?: $(cat b.err)"
[ "$(items b.db)" = 12 ] || fail "STARTTLS: $(items b.db) items"

# no CA given: the system trust store does not know the test CA
dv_config c3.conf secure "imaps://127.0.0.1:$IMAPS_PORT/INBOX" </dev/null
rc=0
"$CASETRAIL" -c c3.conf --db c.db ingest 2>c.err || rc=$?
[ $rc = 1 ] || fail "untrusted certificate: exit $rc, want 1"
grep -q "casetrail: error: source 'secure': TLS certificate of IMAP server 127.0.0.1:$IMAPS_PORT not trusted: " c.err ||
	fail "untrusted certificate message: $(cat c.err)"
grep -q "hint: set tls_ca_file to the CA that signed the server's certificate" c.err || fail "hint: $(cat c.err)"
[ "$(items c.db)" = 0 ] || fail "items fetched over an untrusted connection"
if grep -q "$DV_PASS" c.err; then fail "password printed"; fi

# another CA: refused too, also with STARTTLS
dv_config c4.conf upgraded "imap://127.0.0.1:$IMAP_PORT/INBOX" <<EOT
starttls = yes
tls_ca_file = $DV/other-ca.crt
EOT
rc=0
"$CASETRAIL" -c c4.conf --db d.db ingest 2>d.err || rc=$?
[ $rc = 1 ] || fail "wrong CA: exit $rc, want 1"
grep -q "source 'upgraded': TLS certificate of IMAP server 127.0.0.1:$IMAP_PORT not trusted: The certificate is NOT trusted. The certificate issuer is unknown.$" d.err ||
	fail "wrong CA message: $(cat d.err)"
[ "$(items d.db)" = 0 ] || fail "items fetched with the wrong CA"

# tls_verify = no: works, warns every run
dv_config c6.conf lax "imaps://127.0.0.1:$IMAPS_PORT/INBOX" <<EOT
tls_verify = no
EOT
for i in 1 2; do
	"$CASETRAIL" -c c6.conf --db f.db ingest 2>f$i.err || fail "tls_verify = no: $(cat f$i.err)"
	grep -q "warning: source 'lax': tls_verify = no: the server's certificate is not checked" f$i.err ||
		fail "tls_verify = no, run $i: no warning: $(cat f$i.err)"
done
[ "$(items f.db)" = 12 ] || fail "tls_verify = no: $(items f.db) items"

# plain imap:// to the TLS port: a clear failure, not a hang
dv_config c7.conf confused "imap://127.0.0.1:$IMAPS_PORT/INBOX" <<EOT
timeout = 1
EOT
rc=0
"$CASETRAIL" -c c7.conf --db g.db ingest 2>g.err || rc=$?
[ $rc = 1 ] || fail "plain IMAP to the TLS port: exit $rc: $(cat g.err)"
grep -q "casetrail: error: source 'confused': no greeting (127.0.0.1:$IMAPS_PORT): no answer within 1 s; giving up after 4 attempts" g.err || fail "plain IMAP to the TLS port: $(cat g.err)"
echo ok
