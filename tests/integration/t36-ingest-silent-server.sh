#!/bin/sh
# t36-ingest-silent-server.sh - servers that accept a connection and then say
# nothing (tests/dead_server.py): a half-open IMAP peer, IMAP and POP3
# servers that greet and then never answer, a TLS port that never starts the
# handshake, a helpdesk API that never answers, an SMTP server that greets
# and then goes silent. Each run ends within a bound set by `timeout`,
# with an error naming the source and why, and exit 1; a good source in the
# same run is still ingested.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null || sh "$TOP/tests/deps.sh" python3 >/dev/null 2>&1
command -v python3 >/dev/null || fail "python3 is needed"
export CASETRAIL_NET_BACKOFF_MS=100 CT_TEST_PASSWORD=x

pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done' EXIT
trap 'exit 130' INT TERM

# listen MODE: starts a dead server, sets $port.
listen() {
	python3 "$TOP/tests/dead_server.py" "$TMPDIR/$1.port" "$1" 2>"$1.err" &
	pids="$pids $!"
	n=0
	while [ ! -s "$1.port" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	[ -s "$1.port" ] || fail "dead_server.py $1 did not start: $(cat "$1.err")"
	port=$(cat "$1.port")
}
now_ms() { date +%s%3N; }

mkdir -p md/new
printf 'Message-ID: <ok-1@acme.example>\nFrom: kim@acme.example\nTo: support@corp.example\nSubject: hello\nDate: Mon, 04 Mar 2024 08:00:00 +0000\n\nhi\n' >md/new/1.M1P1.host

# conf TYPE URL [KEY = VALUE lines on stdin]: a source 'dead' of TYPE at URL
# with timeout = 2, and a Maildir source that works.
conf() {
	{
		printf '[store]\npath = %s/ct.db\n\n[department Support]\naddresses = support@corp.example\n\n' "$TMPDIR"
		printf '[source dead]\ntype = %s\nurl = %s\ntimeout = 2\n' "$1" "$2"
		cat
		printf '\n[source mail]\ntype = maildir\npath = md\ndepartment = Support\n'
	} >c.conf
}

# ingest_dead WHAT BOUND_MS: runs ingest (timeout 60 around it), checks
# exit 1, the time and that the Maildir was still ingested.
ingest_dead() {
	rm -f ct.db ct.db-wal ct.db-shm
	start=$(now_ms)
	rc=0
	timeout 60 "$CASETRAIL" -c c.conf ingest >run.out 2>run.err || rc=$?
	took=$(($(now_ms) - start))
	[ $rc != 124 ] || fail "$1: the run hung (killed by timeout 60): $(tail -5 run.err)"
	[ $rc = 1 ] || fail "$1: exit $rc, want 1: $(cat run.err)"
	[ $took -lt "$2" ] || fail "$1: the run took $took ms, want less than $2"
	grep -q "error: source 'dead' stopped with errors; continuing with the others" run.err ||
		fail "$1: no note that the run went on: $(cat run.err)"
	[ "$(sqlite3 ct.db "select count(*) from items where external_id = 'ok-1@acme.example'")" = 1 ] ||
		fail "$1: the good source was not ingested"
	echo "$1: exit 1 after $took ms"
}

# IMAP: a half-open peer that never sends the greeting. 4 attempts of 2 s.
listen silent
conf imap "imap://127.0.0.1:$port/INBOX" <<EOT
user = u
password_env = CT_TEST_PASSWORD
EOT
ingest_dead "IMAP, no greeting" 15000
grep -q "warning: source 'dead': no greeting (127.0.0.1:$port): no answer within 2 s; retrying in 100 ms (attempt 2 of 4)" run.err ||
	fail "IMAP, no greeting: $(cat run.err)"
grep -q "error: source 'dead': no greeting (127.0.0.1:$port): no answer within 2 s; giving up after 4 attempts" run.err ||
	fail "IMAP, no greeting: $(cat run.err)"
grep -q "hint: check url and that the server is reachable; timeout = 2 s" run.err || fail "IMAP, no greeting: no hint"
[ "$(grep -c accepted silent.port.log)" = 4 ] || fail "IMAP, no greeting: $(grep -c accepted silent.port.log) connections, want 4"

# IMAPS to the same peer: the TLS handshake never gets an answer.
conf imap "imaps://127.0.0.1:$port/INBOX" <<EOT
user = u
password_env = CT_TEST_PASSWORD
EOT
ingest_dead "IMAPS, no handshake" 15000
grep -q "error: source 'dead': TLS handshake with 127.0.0.1:$port: no answer within 2 s; giving up after 4 attempts" run.err ||
	fail "IMAPS, no handshake: $(cat run.err)"

# IMAP: a greeting, then silence.
listen imap-greet
conf imap "imap://127.0.0.1:$port/INBOX" <<EOT
user = u
password_env = CT_TEST_PASSWORD
EOT
ingest_dead "IMAP, greeting then silence" 15000
grep -q "error: source 'dead': connection lost during CAPABILITY (127.0.0.1:$port): no answer within 2 s; giving up after 4 attempts" run.err ||
	fail "IMAP, greeting then silence: $(cat run.err)"

# POP3: a greeting, then silence.
listen pop3-greet
conf pop3 "pop3://127.0.0.1:$port" <<EOT
user = u
password_env = CT_TEST_PASSWORD
EOT
ingest_dead "POP3, greeting then silence" 15000
grep -q "error: source 'dead': connection lost during login (127.0.0.1:$port): no answer within 2 s; giving up after 4 attempts" run.err ||
	fail "POP3, greeting then silence: $(cat run.err)"

# A helpdesk API that accepts and never answers: 4 requests of 2 s.
conf zendesk "http://127.0.0.1:$(cat silent.port)" <<EOT
user = agent@corp.example
token_env = CT_TEST_PASSWORD
EOT
ingest_dead "Zendesk API, no answer" 15000
grep -q "warning: source 'dead': GET /[a-z/.]*: Operation timed out after [0-9]* milliseconds with 0 bytes received; retrying in 100 ms" run.err ||
	fail "Zendesk API, no answer: $(cat run.err)"
grep -q "error: source 'dead': GET /[a-z/.]* failed after 4 attempts: Operation timed out" run.err ||
	fail "Zendesk API, no answer: $(cat run.err)"
grep -q "hint: check url of \[source dead\] and that the server is reachable; timeout = 2 s" run.err ||
	fail "Zendesk API, no answer: no hint: $(cat run.err)"

# SMTP: a greeting, then silence; the report is not sent, within the timeout.
listen smtp-greet
printf '\n[smtp]\nurl = smtp://127.0.0.1:%s\nfrom = reports@corp.example\ntimeout = 2\n' "$port" >>c.conf
start=$(now_ms)
rc=0
timeout 60 "$CASETRAIL" -c c.conf audit handoffs --since 2000-01-01 --mail-to auditor@corp.example >smtp.out 2>smtp.err || rc=$?
took=$(($(now_ms) - start))
[ $rc != 124 ] || fail "SMTP: the run hung"
[ $rc != 0 ] || fail "SMTP: a report was 'sent' to a silent server: $(cat smtp.out smtp.err)"
[ $took -lt 10000 ] || fail "SMTP: took $took ms"
grep -q "error: mailing the report to auditor@corp.example through smtp://127.0.0.1:$port failed: " smtp.err ||
	fail "SMTP: $(cat smtp.err)"
grep -q "hint: check \[smtp\] url and that the server is reachable; timeout = 2 s" smtp.err || fail "SMTP: no hint: $(cat smtp.err)"
echo "SMTP, greeting then silence: exit $rc after $took ms"
echo ok
