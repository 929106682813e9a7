#!/bin/sh
# difftags.sh BASE NEW [SOURCE...] - do two builds tag the same? Each source is
# ingested once with --no-classify (by BASE), then both builds classify a copy
# of that store twice: with the rule set as it is (scores, thresholds and the
# pruning of categories that can no longer reach theirs), and with every score
# 1 and every threshold 0.001, so that every rule that hits an item is stored
# (the (item, rule) hits ct_classify_hits gives). The tags (item, category,
# rule, span, evidence) and the promise ledger of the two are compared.
#
# BASE_RULES, NEW_RULES: the rule file each build uses (default: RULES, else
# config/rules.conf), to compare a rewritten rule set with the one before.
#
# SOURCE is a configuration file (its sources are ingested) or a directory
# holding eml/ (mail files, as the realtext tuning part). Default: the
# sources named below when present. WORK: where the stores are kept between runs
# (default /tmp/casetrail-difftags; delete it when the sources change).
# Exit 0: identical everywhere; 1: a difference (printed); 2: usage.
set -u
[ $# -ge 2 ] || { echo "usage: difftags.sh BASE NEW [SOURCE...]" >&2; exit 2; }
base=$(readlink -f "$1")
new=$(readlink -f "$2")
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${RULES:=$top/config/rules.conf}"
: "${WORK:=/tmp/casetrail-difftags}"
: "${BASE_RULES:=$RULES}"
: "${NEW_RULES:=$RULES}"
if [ $# -eq 0 ]; then
	for s in "$top/../shared/corpus/casetrail.conf" /work/data/realtext/tune /work/data/usrp.conf \
		/tmp/casetrail-bench/corpus-ingest/casetrail.conf; do
		[ -e "$s" ] && set -- "$@" "$s"
	done
fi
mkdir -p "$WORK"
# The rule set with every score 1 and every threshold 0.001: nothing is pruned or dropped.
flatten() {
	sed -e 's/^\([ \t]*score[ \t]*=\).*/\1 1/' -e 's/^\([ \t]*threshold[ \t]*=\).*/\1 0.001/' "$1" > "$2"
}
flatten "$BASE_RULES" "$WORK/base-flat.conf"
flatten "$NEW_RULES" "$WORK/new-flat.conf"

dump() {
	sqlite3 "$1" "SELECT i.external_id, t.category, t.rule_id, t.span_start, t.span_end, t.snippet
		FROM tags t JOIN items i ON i.id = t.item_id ORDER BY 1, 3, 4;
		SELECT '--promises';
		SELECT i.external_id, p.* FROM promises p JOIN items i ON i.id = p.item_id ORDER BY 1;" 2>&1 |
		sed 's/^\([^|]*|\)[0-9]*|/\1/'   # the promise's own id may differ
}

fail=0
for src in "$@"; do
	name=$(echo "$src" | sed 's|[/.]|_|g')
	store="$WORK/$name.db"
	if [ -d "$src" ]; then
		conf="$WORK/$name.conf"
		printf '[source eml]\ntype = eml\npath = %s/eml\n' "$src" > "$conf"
	else
		conf=$src
	fi
	if [ ! -s "$store" ]; then
		rm -f "$store"
		"$base" -q -c "$conf" --db "$store" ingest --no-classify >/dev/null 2>"$WORK/ingest.err" ||
			{ echo "difftags: ingest of $src failed: $(head -3 "$WORK/ingest.err")"; rm -f "$store"; fail=1; continue; }
	fi
	items=$(sqlite3 "$store" "SELECT count(*) FROM items")
	for what in tags "every hit"; do
		for b in base new; do
			eval bin=\$$b
			if [ "$what" = tags ]; then
				eval rules=\$$(echo $b | tr a-z A-Z)_RULES
			else
				rules=$WORK/$b-flat.conf
			fi
			cp "$store" "$WORK/$b.db"
			"$bin" -q -c "$conf" --db "$WORK/$b.db" classify --rules "$rules" >/dev/null 2>"$WORK/$b.err" ||
				{ echo "difftags: $b: classify failed on $src: $(head -3 "$WORK/$b.err")"; fail=1; }
			dump "$WORK/$b.db" > "$WORK/$b.tags"
		done
		n=$(grep -vc '^--promises$' "$WORK/base.tags")
		if cmp -s "$WORK/base.tags" "$WORK/new.tags"; then
			echo "difftags: $src: $items items, $what: $n rows, identical"
		else
			echo "difftags: $src: $what DIFFER:"
			diff "$WORK/base.tags" "$WORK/new.tags" | head -20
			fail=1
		fi
	done
done
rm -f "$WORK/base.db" "$WORK/new.db"
exit $fail
