#!/bin/sh
# imap.sh - live IMAP figures: a generated mailbox of 20,000 messages in a
# throwaway Dovecot on 127.0.0.1; casetrail's full fetch + parse + classify +
# store, then a run with nothing new, with wall time and peak RSS, and the
# same messages ingested from the Maildir on disk for reference; and, in
# the same run, mbsync (isync) pulling the same mailbox into an empty
# Maildir (FSync no), then its no-op run. Each figure is the better of
# two runs. RSS flatness: the same fetch of a quarter of
# the mailbox (5,000 messages) for comparison.
# Environment: as run.sh; IMAP_BENCH_N overrides the message count.
set -u
: "${CASETRAIL:?}" "${BENCH_DIR:?}" "${TOP:?}" "${GENCORPUS:=}"
N=${IMAP_BENCH_N:-20000}
corpus="$BENCH_DIR/corpus-imap"
if [ ! -f "$corpus/casetrail.conf" ]; then
	[ -x "$GENCORPUS" ] || { echo "imap: no corpus generator at $GENCORPUS, skipped"; exit 0; }
	# About 4.3 messages per case: 5,000 cases give a little over 20,000.
	"$GENCORPUS" --seed 11 --cases $(((N + 3999) / 4)) --no-truth --out "$corpus" >/dev/null || exit 1
fi
[ -x /usr/bin/time ] || sh "$TOP/tests/deps.sh" time >/dev/null 2>&1
[ -x /usr/bin/time ] || { echo "imap: /usr/bin/time missing (apt-get install time), skipped"; exit 0; }

work="$BENCH_DIR/imap"
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$BENCH_DIR"
TMPDIR="$work"
export TMPDIR
skip_or_die() { echo "imap: $*, skipped"; exit 0; }
. "$TOP/tests/integration/lib-dovecot.sh"
# The bench reports a missing server as a skip, whatever the tests require.
skip_or_die() { echo "imap: $*, skipped"; exit 0; }
dovecot_start

# Load the first N messages of the corpus into two folders: INBOX (N) and
# Quarter (N/4), straight into the Maildir, then let Dovecot index them.
python3 - "$corpus/maildir" "$DV_MAIL" "$N" <<'PY'
import os, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(src) for f in fs if os.path.basename(r) in ("cur", "new"))
files = files[:n]
for folder, count in (("", n), (".Quarter", n // 4)):
    d = os.path.join(dst, folder) if folder else dst
    for s in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, s), exist_ok=True)
    for i, f in enumerate(files[:count]):
        # Named as Dovecot names what it delivered and a reader then
        # opened (size in the name, seen flag): a name without flags
        # makes Dovecot rescan the whole folder on every session.
        with open(f, "rb") as a:
            data = a.read()
        with open(os.path.join(d, "cur", "%d.M%dP1.bench,S=%d:2,S" % (1700000000 + i, i, len(data))), "wb") as b:
            b.write(data)
PY
dv_own
doveadm -c "$DV_CONF" mailbox create -u "$DV_USER" Quarter 2>/dev/null
doveadm -c "$DV_CONF" mailbox status -u "$DV_USER" messages INBOX >/dev/null
doveadm -c "$DV_CONF" mailbox status -u "$DV_USER" messages Quarter >/dev/null
n=$(dv_count INBOX)
mib=$(du -sm "$DV_MAIL/cur" | cut -f1)
# Warm the page cache so neither side pays for the first disk read.
cat "$DV_MAIL"/cur/* >/dev/null

conf="$work/bench.conf"
sed '/^\[source /,$d; s|^path = casetrail.db|path = '"$work"'/bench.db|' "$corpus/casetrail.conf" >"$conf"
cat >>"$conf" <<EOT
rules = $TOP/config/rules.conf

[source live]
type = imap
url = imap://127.0.0.1:$IMAP_PORT/INBOX
user = $DV_USER
password_env = CT_TEST_PASSWORD
department = Billing

[source quarter]
type = imap
url = imap://127.0.0.1:$IMAP_PORT/Quarter
user = $DV_USER
password_env = CT_TEST_PASSWORD
department = Billing
EOT
# [organization] must hold the rules key: move it there.
python3 - "$conf" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
rules = [l for l in lines if l.startswith("rules = ")][-1]
lines = [l for l in lines if not l.startswith("rules = ")]
i = lines.index("[organization]")
lines.insert(i + 1, rules)
open(p, "w").write("\n".join(lines))
PY

t() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
secs() { echo "$1" | cut -d' ' -f1; }
rss() { echo $(($(echo "$1" | cut -d' ' -f2) / 1024)); }

# Of two runs, the faster one (this machine may be shared): "secs rss".
best() { echo "$1
$2" | sort -n | head -1; }
ct_full=$(t "$CASETRAIL" -q -c "$conf" ingest live)
ct_noop=$(t "$CASETRAIL" -q -c "$conf" ingest live)
items=$(sqlite3 "$work/bench.db" 'select count(*) from items')
rm -f "$work/bench.db" "$work/bench.db-wal" "$work/bench.db-shm"
ct_full=$(best "$ct_full" "$(t "$CASETRAIL" -q -c "$conf" ingest live)")
ct_noop=$(best "$ct_noop" "$(t "$CASETRAIL" -q -c "$conf" ingest live)")
rm -f "$work/bench.db" "$work/bench.db-wal" "$work/bench.db-shm"
ct_quarter=$(t "$CASETRAIL" -q -c "$conf" ingest quarter)
echo "imap: $n messages ($mib MiB) in a local Dovecot -> $items items"
echo "imap: casetrail fetch+parse+classify+store $(secs "$ct_full") s ($(echo "$items $(secs "$ct_full")" | awk '{printf "%.0f", $1/$2}') msg/s), peak RSS $(rss "$ct_full") MiB"
echo "imap: casetrail no-op $(secs "$ct_noop") s, peak RSS $(rss "$ct_noop") MiB"
# The same messages from the Maildir on disk: what parse + classify + store
# cost without the network, and the RSS the store itself grows to.
local=$(t "$CASETRAIL" -q -c "$conf" --db "$work/local.db" ingest --maildir "$DV_MAIL" --department Billing)
echo "imap: same messages read from the Maildir on disk: $(secs "$local") s, peak RSS $(rss "$local") MiB"
echo "imap: casetrail $((n / 4)) messages: peak RSS $(rss "$ct_quarter") MiB (flatness: vs $(rss "$ct_full") MiB for $n)"

sh "$TOP/tests/deps.sh" isync >/dev/null 2>&1
if command -v mbsync >/dev/null 2>&1; then
	mb="$work/mbsync"
	mkdir -p "$mb/mail"
	# mbsync fsyncs every message by default; casetrail commits in
	# transactions. Without fsync mbsync is faster: that is the bar used.
	cat >"$mb/rc" <<EOT
FSync no

IMAPAccount dv
Host 127.0.0.1
Port $IMAP_PORT
User $DV_USER
Pass $DV_PASS
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account dv

MaildirStore local
Path $mb/mail/
Inbox $mb/mail/INBOX

Channel pull
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
Expunge None
SyncState *
EOT

	mbsync -q -c "$mb/rc" -l pull >/dev/null 2>"$mb/err" || { echo "imap: mbsync config refused: $(cat "$mb/err")"; exit 1; }
	mb_full=$(t mbsync -q -c "$mb/rc" pull)
	mb_noop=$(t mbsync -q -c "$mb/rc" pull)
	rm -rf "$mb/mail"
	mkdir -p "$mb/mail"
	mb_full=$(best "$mb_full" "$(t mbsync -q -c "$mb/rc" pull)")
	mb_noop=$(best "$mb_noop" "$(t mbsync -q -c "$mb/rc" pull)")
	got=$(find "$mb/mail/INBOX" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
	echo "imap: mbsync fetch only ($got messages) $(secs "$mb_full") s, peak RSS $(rss "$mb_full") MiB; no-op $(secs "$mb_noop") s"
	[ "$got" = "$n" ] || { echo "imap: mbsync pulled $got of $n messages"; exit 1; }
	echo "$ct_full $mb_full $ct_noop $mb_noop" | awk '{printf "imap: casetrail/mbsync wall time: full %.2fx (goal <= 1.0), no-op %.2fx (goal <= 1.0)\n", $1/$3, $5/$7}'
else
	echo "imap: mbsync not installed: no side-by-side figure (apt-get install isync)"
fi
