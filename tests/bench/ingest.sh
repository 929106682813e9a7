#!/bin/sh
# ingest.sh - local Maildir ingest (parse + classify + thread + store) of a
# generated corpus, first run and no-op rerun, with peak RSS; and, in the same
# run, `notmuch new` indexing the same Maildirs when notmuch is installed.
set -u
dir="$BENCH_DIR/corpus-ingest"
if [ ! -f "$dir/casetrail.conf" ]; then
	[ -x "$GENCORPUS" ] || { echo "ingest: no corpus generator at $GENCORPUS, skipped"; exit 0; }
	"$GENCORPUS" --seed 7 --cases 5000 --no-truth --out "$dir" >/dev/null || exit 1
fi
n=$(find "$dir/maildir" -type f | wc -l)
mib=$(du -sm "$dir/maildir" | cut -f1)
db="$BENCH_DIR/ingest.db"
rm -f "$db" "$db-wal" "$db-shm"
sources=$(sed -n 's/^\[source \(.*-mailbox\)\]/\1/p' "$dir/casetrail.conf")
t() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
first=$(t "$CASETRAIL" -q -c "$dir/casetrail.conf" --db "$db" ingest $sources)
again=$(t "$CASETRAIL" -q -c "$dir/casetrail.conf" --db "$db" ingest $sources)
items=$(sqlite3 "$db" 'select count(*) from items')
set -- $first
echo "ingest: $n files ($mib MiB) -> $items items: first run $1 s ($(echo "$items $1" | awk '{printf "%.0f", $1/$2}') items/s), peak RSS $(($2 / 1024)) MiB"
set -- $again
echo "ingest: no-op rerun $1 s, peak RSS $(($2 / 1024)) MiB"
if command -v notmuch >/dev/null 2>&1; then
	nm="$BENCH_DIR/notmuch"
	rm -rf "$nm"; mkdir -p "$nm"
	cp -r "$dir/maildir" "$nm/mail"
	printf '[database]\npath=%s/mail\n[new]\ntags=\n' "$nm" > "$nm/config"
	s=$(date +%s.%N)
	NOTMUCH_CONFIG="$nm/config" notmuch new --quiet >/dev/null 2>&1
	e=$(date +%s.%N)
	echo "notmuch new (same files, indexing only): $(echo "$s $e" | awk '{printf "%.2f", $2-$1}') s"
else
	echo "notmuch not installed: no side-by-side figure (apt-get install notmuch)"
fi
# MIME decoding alone, one core, over the same files
if [ -x "${BUILD:-}/bench/bench_parse" ]; then
	"$BUILD/bench/bench_parse" "$dir/maildir" 3 | sed 's/^/parse: /'
fi
