#!/bin/sh
# run-integration.sh - runs tests/integration/t*.sh in order; each gets
# $CASETRAIL (the binary) and a private $TMPDIR. Fails if any fails.
top=$(cd "$(dirname "$0")/.." && pwd)
fail=0
for t in "$top"/tests/integration/t[0-9]*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	tmp=$(mktemp -d /tmp/casetrail-test.XXXXXX)
	echo "== $name"
	if TOP="$top" TMPDIR="$tmp" sh "$t"; then
		rm -rf "$tmp"
	else
		echo "FAILED: $name (kept $tmp)" >&2
		fail=1
	fi
done
exit $fail
