#!/bin/sh
# t34-imap-xoauth2.sh - auth = xoauth2 against a real Dovecot whose oauth2
# passdb checks bearer tokens with a local token-info endpoint: the token
# from token_command logs in and fetches; a token the endpoint rejects is
# a clear login failure that names token_command, and no token is printed.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-dovecot.sh"

GOOD_TOKEN=ya29.good-token-for-billing
TOK_PORT=$(free_port)
DV_OAUTH2_URL="http://127.0.0.1:$TOK_PORT/tokeninfo?access_token="
dovecot_start

# The token-info endpoint (what Google's or an OIDC provider's would answer).
cat >tokeninfo.py <<'PY'
import json, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
good = sys.argv[2]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.urlparse(self.path)
        token = urllib.parse.parse_qs(q.query).get("access_token", [""])[0]
        if q.path == "/tokeninfo" and token == good:
            body, code = {"email": "billing", "active": "true", "scope": "mail"}, 200
        else:
            body, code = {"error": "invalid_token"}, 401
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open("tokeninfo.log", "a") as f:
            f.write("%d %s\n" % (code, q.path))
    def log_message(self, *a):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 tokeninfo.py "$TOK_PORT" "$GOOD_TOKEN" &
tok_pid=$!
trap 'kill $tok_pid 2>/dev/null; dovecot_stop' EXIT
n=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $TOK_PORT), 1)" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 50 ] || fail "the token-info server does not start"
	sleep 0.1
done

deliver 6 oauth
{
	printf '[store]\npath = %s\n\n[department Billing]\naddresses = billing@corp.example\n\n' "$TMPDIR/ct.db"
	printf '[source oauth]\ntype = imap\nurl = imap://127.0.0.1:%s/INBOX\nuser = %s\n' "$IMAP_PORT" "$DV_USER"
	printf 'auth = xoauth2\ntoken_command = cat %s/token\ndepartment = Billing\n' "$TMPDIR"
} >x.conf
echo "$GOOD_TOKEN" >token

"$CASETRAIL" -c x.conf ingest >ok.out 2>ok.err || fail "xoauth2 run exit $?: $(cat ok.err)"
[ "$(sqlite3 ct.db "select count(*) from items where external_id like 'oauth-%'")" = 6 ] ||
	fail "xoauth2: $(cat ok.err)"
grep -q "^200 /tokeninfo" tokeninfo.log || fail "Dovecot never asked the token-info endpoint"

# an expired or revoked token: a clear failure, exit 1, the token never printed
echo "ya29.expired-token" >token
deliver 1 later
rc=0
"$CASETRAIL" -c x.conf ingest >bad.out 2>bad.err || rc=$?
[ $rc = 1 ] || fail "rejected token: exit $rc, want 1"
grep -q "casetrail: error: source 'oauth': IMAP login failed for user 'billing' at 127.0.0.1:$IMAP_PORT" bad.err ||
	fail "rejected token message: $(cat bad.err)"
grep -q "hint: check token_command (the token may have expired)" bad.err || fail "rejected token hint: $(cat bad.err)"
grep -q "^401 /tokeninfo" tokeninfo.log || fail "the rejected token was not checked: $(cat tokeninfo.log)"
if grep -q "ya29" bad.err bad.out ok.err ok.out; then fail "a token was printed"; fi
[ "$(sqlite3 ct.db "select count(*) from items")" = 6 ] || fail "items after the rejected token"

# the same token again works and reads what came meanwhile
echo "$GOOD_TOKEN" >token
"$CASETRAIL" -c x.conf ingest >ok2.out 2>ok2.err || fail "second xoauth2 run: $(cat ok2.err)"
[ "$(sqlite3 ct.db "select count(*) from items")" = 7 ] || fail "second xoauth2 run: $(cat ok2.err)"
echo ok
