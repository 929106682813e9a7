#!/bin/sh
# t31-imap-kill.sh - exactly once: ingest runs killed with SIGKILL at several
# moments (during FETCH, during store writes) and run again give the same
# store as one uninterrupted run; a connection dropped by the server in the
# middle of a fetch is retried and the run resumes where it was.
set -u
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-dovecot.sh"
dovecot_start

N=4000
deliver $N k
dv_config c.conf inbox "imap://127.0.0.1:$IMAP_PORT/INBOX" <<EOT
batch_size = 50
EOT
ids() { sqlite3 "$1" "select external_id from items order by 1"; }

# the reference: one uninterrupted run
"$CASETRAIL" -c c.conf --db ref.db ingest 2>ref.err || fail "reference run: $(cat ref.err)"
[ "$(sqlite3 ref.db 'select count(*) from items')" = $N ] || fail "reference run count"
ids ref.db >ref.ids

# killed runs: SIGKILL after a growing delay until a run gets to its end
kills=0 delay=5 done=0 counts=
while [ $done = 0 ] && [ $kills -lt 60 ]; do
	"$CASETRAIL" -q -c c.conf --db k.db ingest >/dev/null 2>>k.err &
	pid=$!
	sleep "$(awk "BEGIN { print $delay / 1000 }")"
	if kill -9 $pid 2>/dev/null; then
		kills=$((kills + 1))
		wait $pid 2>/dev/null
		counts="$counts $(sqlite3 k.db 'select count(*) from items' 2>/dev/null || echo 0)"
	else
		wait $pid || fail "a run failed: $(tail -5 k.err)"
		done=1
	fi
	delay=$((delay + 40))
done
[ $kills -ge 2 ] || fail "only $kills runs were killed; the test proves nothing"
"$CASETRAIL" -c c.conf --db k.db ingest 2>final.err || fail "final run: $(cat final.err)"
[ "$(sqlite3 k.db 'select count(*) from items')" = $N ] ||
	fail "after $kills kills: $(sqlite3 k.db 'select count(*) from items') items, want $N"
ids k.db >k.ids
cmp -s ref.ids k.ids || fail "after $kills kills the external ids differ from one uninterrupted run"
[ "$(sqlite3 k.db 'select count(*) from cases')" = "$(sqlite3 ref.db 'select count(*) from cases')" ] ||
	fail "case count differs"
grep -q "ingest: 0 new" final.err || [ "$done" = 0 ] || fail "a finished run left work: $(cat final.err)"
echo "killed $kills times; items stored after each kill:$counts"

# the server drops the connection in the middle: retried, resumed, complete
rc=0
"$CASETRAIL" -c c.conf --db drop.db ingest >drop.out 2>drop.err &
pid=$!
n=0
while [ "$(sqlite3 drop.db 'select count(*) from items' 2>/dev/null || echo 0)" -lt 100 ] && [ $n -lt 400 ]; do
	sleep 0.01
	n=$((n + 1))
done
doveadm -c "$DV_CONF" kick "$DV_USER" >/dev/null 2>&1 || fail "doveadm kick"
wait $pid || rc=$?
[ $rc = 0 ] || fail "run with a dropped connection: exit $rc: $(cat drop.err)"
[ "$(sqlite3 drop.db 'select count(*) from items')" = $N ] || fail "dropped connection: item count"
ids drop.db | cmp -s ref.ids - || fail "dropped connection: external ids differ"
if grep -q "retrying" drop.err; then
	echo "connection dropped and resumed"
else
	echo "note: the run finished before the connection was dropped"
fi

# messages still all there, none marked seen
[ "$(dv_count)" = $N ] || fail "messages on the server: $(dv_count)"
[ "$(doveadm -c "$DV_CONF" search -u "$DV_USER" mailbox INBOX SEEN | wc -l)" = 0 ] || fail "\\Seen was set"
echo ok
