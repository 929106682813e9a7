#!/bin/sh
# check-layout.sh - fails when the source breaks the folder rules of the
# README ("Layout of the source"): a folder includes another folder only by
# its public header (base/base.h, config/config.h, ingest/ingest.h,
# classify/classify.h, store/store.h, report/report.h), never a private
# *_p.h of another folder and never anything from cli/ (outside cli/); and
# no folder includes one from a layer above it.
cd "$(dirname "$0")/.."
# Layers, lowest first; folders on one line may not include each other.
rank() {
	case $1 in
	base) echo 0 ;;
	config) echo 1 ;;
	ingest | classify) echo 2 ;;
	store) echo 3 ;;
	report) echo 4 ;;
	cli) echo 5 ;;
	*) echo 99 ;;
	esac
}
fail=0
out=$(mktemp)
for f in base/*.[ch] config/*.[ch] ingest/*.[ch] classify/*.[ch] store/*.[ch] report/*.[ch] cli/*.[ch]; do
	[ -e "$f" ] || continue
	from=${f%%/*}
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"\.\./' "$f" | while IFS= read -r line; do
		path=$(printf '%s\n' "$line" | sed 's/.*"\.\.\/\([^"]*\)".*/\1/')
		to=${path%%/*}
		where="$f:${line%%:*}"
		if [ "$to" = cli ]; then
			echo "$where: includes $path: nothing outside cli/ may include a cli/ header"
		elif [ "$path" != "$to/$to.h" ]; then
			echo "$where: includes $path: other folders include only $to/$to.h"
		elif [ "$(rank "$to")" -ge "$(rank "$from")" ]; then
			echo "$where: includes $path: $from/ may not include from $to/, a layer at or above it"
		fi
	done
done >"$out"
# Tests may look inside a folder, but not into cli/'s: commands are not a library.
grep -n '#[[:space:]]*include[[:space:]]*"[./]*cli/' tests/unit/*.[ch] tests/bench/*.[ch] 2>/dev/null |
	sed 's/^\([^:]*:[0-9]*\):.*/\1: includes a cli\/ header: nothing outside cli\/ may/' >>"$out"
if [ -s "$out" ]; then
	cat "$out" >&2
	echo "FAILED: check-layout (see README.md, \"Layout of the source\")" >&2
	fail=1
fi
rm -f "$out"
exit $fail
