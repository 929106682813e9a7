#!/bin/sh
# usrp.sh - `make bench USRP=MAILDIR` fragment: ingest of a real mailing list
# archive (usrp-users, 11,424 messages, 495 MB: tests/qa/fetch-usrp.sh writes
# it) by this build and by the build with the 33 rules before scored rules
# (BASE, default 5843d88), side by side in one run: the two alternate, RUNS
# times each (default 5), each into a new store. Prints every run's wall and
# CPU (user + system) seconds, the medians and this build's median over
# BASE's. Goal (issue 12): within 1.3x.
# BASE is built once, from this checkout's history, in $BENCH_DIR/base-BASE.
# Environment (from run.sh): CASETRAIL, BENCH_DIR, TOP; USRP, BASE, RUNS.
set -u
: "${CASETRAIL:?}" "${BENCH_DIR:=/tmp/casetrail-bench}" "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${USRP:=}" "${BASE:=5843d88}" "${RUNS:=5}"
[ -n "$USRP" ] || { echo "usrp: no archive (make bench USRP=MAILDIR; tests/qa/fetch-usrp.sh writes one), skipped"; exit 0; }
[ -d "$USRP/cur" ] || [ -d "$USRP/new" ] || { echo "usrp: $USRP is not a Maildir"; exit 1; }
git -C "$TOP" rev-parse --verify -q "$BASE^{commit}" >/dev/null ||
	{ echo "usrp: $BASE is not in this checkout's history (a clone with it is needed), skipped"; exit 0; }
base="$BENCH_DIR/base-$BASE"
if [ ! -x "$base/casetrail" ]; then
	rm -rf "$base"
	git -C "$TOP" worktree prune
	git -C "$TOP" worktree add --detach -f "$base" "$BASE" >/dev/null 2>&1 || { echo "usrp: cannot check out $BASE"; exit 1; }
	make -C "$base" casetrail >"$BENCH_DIR/base-build.log" 2>&1 ||
		{ echo "usrp: building $BASE failed (see $BENCH_DIR/base-build.log)"; exit 1; }
fi
work="$BENCH_DIR/usrp"
rm -rf "$work"
mkdir -p "$work"
sh "$TOP/tests/qa/usrp-conf.sh" "$USRP" "$base/config/rules.conf" >"$work/base.conf"
sh "$TOP/tests/qa/usrp-conf.sh" "$USRP" "$TOP/config/rules.conf" >"$work/this.conf"
one() { # NAME BINARY: appends "wall cpu" to $work/NAME.times
	rm -f "$work/$1.db" "$work/$1.db-wal" "$work/$1.db-shm"
	/usr/bin/time -f "%e %U %S" -o "$work/t" "$2" -q -c "$work/$1.conf" --db "$work/$1.db" ingest >/dev/null 2>&1 ||
		{ echo "usrp: $1 ingest failed"; exit 1; }
	awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/t" >>"$work/$1.times"
}
# the archive into the page cache first, as on the runs that count
find "$USRP" -type f -exec cat {} + >/dev/null 2>&1
i=0
while [ $i -lt "$RUNS" ]; do
	one base "$base/casetrail"
	one this "$CASETRAIL"
	i=$((i + 1))
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for n in base this; do
	printf 'usrp ingest, %-4s (%s): wall %s s; CPU %s s\n' "$n" "$([ $n = base ] && echo "$BASE, 33 rules" || echo "this build")" \
		"$(cut -d' ' -f1 "$work/$n.times" | tr '\n' ' ' | sed 's/ $//')" "$(cut -d' ' -f2 "$work/$n.times" | tr '\n' ' ' | sed 's/ $//')"
done
bw=$(cut -d' ' -f1 "$work/base.times" | median) tw=$(cut -d' ' -f1 "$work/this.times" | median)
bc_=$(cut -d' ' -f2 "$work/base.times" | median) tc=$(cut -d' ' -f2 "$work/this.times" | median)
items=$(sqlite3 "$work/this.db" "select count(*) from items" 2>/dev/null || echo "?")
verdict=met
[ "$(echo "$tw <= 1.3 * $bw" | bc)" = 1 ] || verdict="NOT met"
printf 'usrp ingest, medians of %d runs (%s items): wall %.2f s against %.2f s (%.2fx; goal 1.3x: %s), CPU %.2f s against %.2f s (%.2fx)\n' \
	"$RUNS" "$items" "$tw" "$bw" "$(echo "$tw / $bw" | bc -l)" "$verdict" "$tc" "$bc_" "$(echo "$tc / $bc_" | bc -l)"
