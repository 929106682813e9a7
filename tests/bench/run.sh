#!/bin/sh
# run.sh - `make bench`: every benchmark, figures printed as they come.
# Environment: CASETRAIL (binary), BUILD (build dir), BENCH_DIR (scratch,
# default /tmp/casetrail-bench), GENCORPUS (corpus generator; default
# ../shared/tools/gencorpus beside the checkout, when present), USRP (a
# Maildir of usrp-users for usrp.sh, which skips without one).
# A fragment that cannot run (missing tool) says so and the others go on.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${BENCH_DIR:=/tmp/casetrail-bench}"
: "${GENCORPUS:=$top/../shared/tools/gencorpus}"
export CASETRAIL BUILD BENCH_DIR GENCORPUS TOP="$top"
mkdir -p "$BENCH_DIR"
status=0
for f in ingest classify usrp imap tickets reports postgres; do
	s="$top/tests/bench/$f.sh"
	[ -f "$s" ] || continue
	echo "== bench: $f"
	sh "$s" || { echo "bench $f: FAILED" >&2; status=1; }
done
exit $status
