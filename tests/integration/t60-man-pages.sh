#!/bin/sh
# t60-man-pages.sh - the man pages render with man -l and groff -ww without a
# warning, and say what the program does: every command of 'casetrail --help'
# has its section in casetrail(1), every option of every --help is in it,
# every configuration key is in casetrail.conf(5), every rule file key in
# casetrail-rules(5).
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 ||
	sh "$TOP/tests/deps.sh" man-db groff-base || fail "man-db and groff-base are needed"

pages="casetrail.1 casetrail.conf.5 casetrail-rules.5"
for p in $pages; do
	src=$TOP/doc/$p
	[ -f "$src" ] || fail "no $src"
	groff -man -ww -z "$src" 2>groff.err || fail "groff -man -ww $p: exit $?: $(cat groff.err)"
	[ ! -s groff.err ] || fail "groff -man -ww $p warns: $(cat groff.err)"
	LC_ALL=C MANWIDTH=80 man -l "$src" >"$p.txt" 2>man.err || fail "man -l $p: exit $?: $(cat man.err)"
	[ ! -s man.err ] || fail "man -l $p warns: $(cat man.err)"
	name=$(echo "${p%.?}" | tr 'a-z' 'A-Z')
	head -1 "$p.txt" | grep -q "^$name(${p##*.})" || fail "$p: header: $(head -1 "$p.txt")"
	for sec in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
		grep -q "^$sec" "$p.txt" || fail "$p has no $sec section"
	done
	# no line of the rendering wider than the page
	awk -v p="$p" 'length($0) > 80 { print p ": line " NR " is " length($0) " wide: " $0; bad = 1 } END { exit bad }' "$p.txt" ||
		fail "$p: lines wider than MANWIDTH"
done

# roff spells an option --min-handoffs as \-\-min\-handoffs
roff_opt() { printf '%s' "$1" | sed 's/-/\\-/g'; }
man1=$TOP/doc/casetrail.1

# every command of --help has a .SS of its own
"$CASETRAIL" --help >help.out
cmds=$(sed -n '/^Commands:/,/^$/p' help.out | awk 'NR > 1 && NF { print $1 }')
[ -n "$cmds" ] || fail "no commands in --help"
for c in $cmds; do
	grep -qx ".SS $c" "$man1" || fail "casetrail.1 has no section for the command '$c'"
done

# every option of every --help
missing=""
for c in "" ingest classify "rules check" "rules test" "rules masscheck" "rules fit" cases "case show" \
	"report complaints" "audit handoffs" site "store check" "store copy" "store grant" "store revoke" "store access" \
	"case close" "case merge" "case split" \
	"tag dismiss" "item department" decisions recompute "report promises" "report customers" \
	"promise keep"; do
	# shellcheck disable=SC2086
	"$CASETRAIL" $c --help >h.out 2>&1 || fail "'$c --help': exit $?"
	for o in $(grep -o -- '--[a-z][a-z-]*[a-z]' h.out | sort -u); do
		grep -qF -- "$(roff_opt "$o")" "$man1" || missing="$missing $c:$o"
	done
done
[ -z "$missing" ] || fail "casetrail.1 does not describe:$missing"
# the values of --format and --summary, and the exit statuses
for w in table csv json markdown html text none; do
	grep -q "$w" "$man1" || fail "casetrail.1 does not name '$w'"
done
grep -q '^\.SH EXIT STATUS' "$man1" || fail "casetrail.1 has no EXIT STATUS"

# every key of the configuration (the example documents every key) and every section
man5=$TOP/doc/casetrail.conf.5
keys=$(sed -n 's/^;\{0,1\} *\([a-z_]*\) *=.*/\1/p' "$TOP/config/casetrail.conf.example" | sort -u)
[ "$(echo "$keys" | wc -l)" -ge 25 ] || fail "too few keys read from the example: $keys"
for k in $keys file name; do
	grep -qw -- "$(roff_opt "$k")" "$man5" || fail "casetrail.conf.5 does not describe the key '$k'"
done
for s in store organization cases "department NAME" "source NAME" smtp log site; do
	grep -qF ".SS [$s]" "$man5" || fail "casetrail.conf.5 has no section [$s]"
done
# a key the loader does not know is not documented either: each .TP key is accepted
"$CASETRAIL" -c "$TOP/config/casetrail.conf.example" cases --help >/dev/null || fail "example config"

# every key of a rule file, as the loader names them
man5r=$TOP/doc/casetrail-rules.5
rkeys=$(sed -n 's/.*(known: \(category, pattern[^)]*\)).*/\1/p; s/.*(known: \(threshold[^)]*\)).*/\1/p' \
	"$TOP/classify/rules.c" | tr ',' '\n' | tr -d ' ' | sort -u)
[ "$(echo "$rkeys" | wc -l)" -ge 11 ] || fail "too few rule keys read from classify/rules.c: $rkeys"
for k in $rkeys weight; do
	grep -qx "\.B $(roff_opt "$k")" "$man5r" || grep -q "^\.BR $(roff_opt "$k") " "$man5r" ||
		fail "casetrail-rules.5 has no item for the key '$k'"
done
for s in "rule ID" "category NAME" "define NAME"; do
	grep -qF ".SS [$s]" "$man5r" || fail "casetrail-rules.5 has no section [$s]"
done
# the rule file of the EXAMPLES section loads and its examples pass
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$man5r" | sed -e '1,/^\.nf/d' -e '/^\.fi/d' \
	-e 's/\\e/\\/g' -e 's/\\-/-/g' >example-rules.conf
grep -q '^\[rule ' example-rules.conf || fail "no rule in the EXAMPLES of casetrail-rules.5"
"$CASETRAIL" rules check example-rules.conf >chk.out 2>&1 || fail "the example rules: $(cat chk.out)"
grep -q ': 2 rules, 3 examples, 0 failing' chk.out || fail "the example rules: $(cat chk.out)"
echo ok
