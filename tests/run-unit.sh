#!/bin/sh
# run-unit.sh BIN... - runs every cmocka unit test binary; fails if any fails.
fail=0
for t in "$@"; do
	echo "== $t"
	if ! "$t"; then
		echo "FAILED: $t" >&2
		fail=1
	fi
done
exit $fail
