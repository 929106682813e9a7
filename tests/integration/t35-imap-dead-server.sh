#!/bin/sh
# t35-imap-dead-server.sh - a Dovecot that dies while ingest fetches over IMAP
# and POP3: killed whole (kill -9 of every Dovecot process) at two moments,
# the run reports the lost connection naming the source, retries, gives up
# and exits 1 within a bound, and a rerun after a restart stores everything
# once; only the imap process killed in the middle of a message body (which
# used to spin for ever inside libetpan): the run reconnects and completes.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-dovecot.sh"
dovecot_start

# Messages with bodies of ~190 KB: the fetch takes long enough to be killed
# in the middle, mostly while a body is on its way.
N=400
deliver $N dead
python3 - "$DV_MAIL/new" <<'PY'
import os, sys
d = sys.argv[1]
for f in os.listdir(d):
    with open(os.path.join(d, f), "a") as fh:
        fh.write(("x" * 76 + "\n") * 2500)
PY
dv_own
doveadm -c "$DV_CONF" index -u "$DV_USER" INBOX >/dev/null 2>&1 || true

items() { sqlite3 "$1" "select count(*) from items" 2>/dev/null || echo 0; }
distinct() { sqlite3 "$1" "select count(distinct external_id) from items"; }
now_ms() { date +%s%3N; }

# dovecot_kill [imap|pop3]: kill -9 every Dovecot process, or only the
# mail process of that protocol (Dovecot starts a new one for the next login).
dovecot_kill() {
	master=$(cat "$DV/run/master.pid")
	if [ -n "${1:-}" ]; then
		pkill -9 -P "$master" -x "$1"
	else
		# Dovecot's master starts a session of its own: this kills it and
		# every process it started, even one forked a moment ago.
		pkill -9 -s "$master"
		rm -f "$DV/run/master.pid"
	fi
}
dovecot_restart() {
	dovecot -c "$DV_CONF" 2>"$DV/start.err" || fail "dovecot restart: $(cat "$DV/start.err")"
	n=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $IMAP_PORT), 1)" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 50 ] || fail "dovecot does not listen again"
		sleep 0.1
	done
}

# run_until DB MIN [KILL-ARG]: starts ingest (the bound: 60 s), kills Dovecot
# once DB holds MIN items (committed 20 at a time), waits; sets rc and took
# (ms).
run_until() {
	start=$(now_ms)
	timeout 60 "$CASETRAIL" -c c.conf --db "$1" ingest --batch 20 >run.out 2>run.err &
	pid=$!
	n=0
	while [ "$(items "$1")" -lt "$2" ] && [ $n -lt 3000 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.01
		n=$((n + 1))
	done
	kill -0 $pid 2>/dev/null || fail "the run ended before the kill: $(cat run.err)"
	dovecot_kill ${3:-}
	rc=0
	wait $pid || rc=$?
	took=$(($(now_ms) - start))
	[ $rc != 124 ] || fail "the run hung after the server died (killed by timeout 60): $(tail -5 run.err)"
}

# 1. IMAP, all of Dovecot killed at two moments (early, and halfway).
dv_config c.conf inbox "imap://127.0.0.1:$IMAP_PORT/INBOX" <<EOT
timeout = 5
batch_size = 50
EOT
for at in 20 60; do
	run_until imap.db $at
	[ $rc = 1 ] || fail "IMAP, killed after $at items: exit $rc, want 1: $(cat run.err)"
	[ $took -lt 30000 ] || fail "IMAP, killed after $at items: the run took $took ms"
	grep -q "warning: source 'inbox': connection lost while fetching UID [0-9]* of folder 'INBOX' (127.0.0.1:$IMAP_PORT): " run.err ||
		fail "IMAP, killed after $at items: no message naming the source and the UID: $(cat run.err)"
	grep -q "error: source 'inbox': cannot connect to 127.0.0.1:$IMAP_PORT: Connection refused; giving up after 4 attempts" run.err ||
		fail "IMAP, killed after $at items: no giving up: $(cat run.err)"
	stored=$(items imap.db)
	[ "$stored" -ge $at ] || fail "IMAP, killed after $at items: only $stored kept"
	echo "IMAP: Dovecot killed after $at items: exit 1 after $took ms, $stored items kept"
	dovecot_restart
	"$CASETRAIL" -c c.conf --db imap.db ingest 2>rerun.err || fail "IMAP rerun: $(cat rerun.err)"
	[ "$(items imap.db)" = $N ] || fail "IMAP rerun: $(items imap.db) items, want $N"
	[ "$(distinct imap.db)" = $N ] || fail "IMAP rerun: duplicates"
	rm -f imap.db imap.db-wal imap.db-shm
done

# 2. IMAP, only the imap process killed in the middle of the fetch: resumed.
run_until imap2.db 60 imap
[ $rc = 0 ] || fail "imap process killed: exit $rc: $(cat run.err)"
grep -q "warning: source 'inbox': connection lost .*; retrying in 100 ms (attempt 2 of 4)" run.err ||
	fail "imap process killed: no retry: $(cat run.err)"
[ "$(items imap2.db)" = $N ] && [ "$(distinct imap2.db)" = $N ] || fail "imap process killed: $(items imap2.db) items"
echo "IMAP: imap process killed after 60 items: resumed, exit 0 after $took ms"

# 3. POP3, all of Dovecot killed in the middle of the RETRs.
dv_config c.conf pop "pop3://127.0.0.1:$POP3_PORT" pop3 <<EOT
timeout = 5
EOT
run_until pop.db 60
[ $rc = 1 ] || fail "POP3, killed: exit $rc, want 1: $(cat run.err)"
[ $took -lt 30000 ] || fail "POP3, killed: the run took $took ms"
grep -q "warning: source 'pop': connection lost while fetching message [0-9]* (UIDL [0-9A-Fa-f]*) (127.0.0.1:$POP3_PORT): " run.err ||
	fail "POP3, killed: no message naming the source: $(cat run.err)"
grep -q "error: source 'pop': cannot connect to 127.0.0.1:$POP3_PORT: Connection refused; giving up after 4 attempts" run.err ||
	fail "POP3, killed: no giving up: $(cat run.err)"
echo "POP3: Dovecot killed after 60 items: exit 1 after $took ms, $(items pop.db) items kept"
dovecot_restart
"$CASETRAIL" -c c.conf --db pop.db ingest 2>rerun.err || fail "POP3 rerun: $(cat rerun.err)"
[ "$(items pop.db)" = $N ] && [ "$(distinct pop.db)" = $N ] || fail "POP3 rerun: $(items pop.db) items, want $N"

# 4. POP3, only the pop3 process killed: resumed.
run_until pop2.db 60 pop3
[ $rc = 0 ] || fail "pop3 process killed: exit $rc: $(cat run.err)"
[ "$(items pop2.db)" = $N ] && [ "$(distinct pop2.db)" = $N ] || fail "pop3 process killed: $(items pop2.db) items"
echo "POP3: pop3 process killed after 60 items: resumed, exit 0 after $took ms"
echo ok
