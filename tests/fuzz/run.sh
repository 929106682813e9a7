#!/bin/sh
# run.sh - runs fuzz targets (tests/fuzz/README.md).
#
#   run.sh smoke RUNS BIN...     each standalone target over its seeds (tests/fuzz/corpus/NAME)
#                                and RUNS deterministic mutations of each seed
#   run.sh fuzz SECONDS BIN...   each libFuzzer target for SECONDS, one after the other,
#                                growing a working corpus in BUILD/fuzz/corpus/NAME
#
# BIN is BUILD/fuzz/fuzz_NAME. Inputs longer than max_len (per target, below)
# are not generated.
cd "$(dirname "$0")/../.."
mode=$1 n=$2
shift 2

max_len() {
	case $1 in
	header | charset | strip | rules) echo 8192 ;;
	classify) echo 16384 ;;
	html | config | tickets) echo 32768 ;;
	*) echo 65536 ;;
	esac
}

fail=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	log=$bin.log
	case $mode in
	smoke)
		if "$bin" -runs="$n" -seed=1 -max_len="$(max_len "$name")" "$seeds" >"$log.out" 2>"$log"; then
			cat "$log.out"
		else
			echo "FAILED: fuzz_$name (seeds $seeds; the failing input is ${bin%/*}/failure-fuzz_$name)" >&2
			tail -n 40 "$log" >&2
			fail=1
		fi
		;;
	fuzz)
		work=${bin%/*}/corpus/$name
		mkdir -p "$work" "${bin%/*}/artifacts"
		echo "fuzz_$name: $n s, max_len $(max_len "$name")"
		"$bin" -max_total_time="$n" -max_len="$(max_len "$name")" -timeout=30 -rss_limit_mb=2048 \
			-print_final_stats=1 -close_fd_mask=3 -artifact_prefix="${bin%/*}/artifacts/$name-" \
			"$work" "$seeds" 2>"$log" || { fail=1; tail -n 60 "$log" >&2; }
		grep -a -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ +DONE' "$log"
		;;
	*)
		echo "usage: run.sh smoke RUNS BIN... | run.sh fuzz SECONDS BIN..." >&2
		exit 2
		;;
	esac
done
exit $fail
