#!/bin/sh
# t21-rules-org.sh - the shipped rules know the configured departments: staff
# handing a case to a department whose name is in no built-in list ("Revenue
# Assurance", "Helpline") is a handoff when casetrail.conf names it, and only
# then; ingest, 'rules test' and 'rules masscheck' (a corpus with its own
# casetrail.conf) read the same names; twenty departments with a group each
# load with their names; a configuration whose names would make a pattern too
# large for PCRE2 loads the rules without them, with a warning.
set -eu
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
cd "$TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
CT="$CASETRAIL"

mkdir -p corpus/maildir/helpline/cur corpus/maildir/helpline/new corpus/maildir/helpline/tmp
mail() { # N FROM BODY
	printf 'From: %s\nTo: someone@cust.example\nSubject: s%s\nMessage-ID: <m%s@harbour.example>\nDate: Mon, 4 Mar 2024 10:0%s:00 +0000\n\n%s\n' \
		"$2" "$1" "$1" "$1" "$3" > "corpus/maildir/helpline/cur/$1:2,S"
}
mail 1 ravi@harbour.example "Hi Mo, I've added Revenue Assurance to this email so they can clarify the charge."
mail 2 ravi@harbour.example "Copying in Helpline for the pricing question."
mail 3 ravi@harbour.example "For refunds please get in touch with Helpline at care@harbour.example instead."
mail 4 ravi@harbour.example "Thanks, the revenue assurance report is attached."
cat > corpus/casetrail.conf <<'EOF'
[organization]
internal_domains = harbour.example
[department Revenue Assurance]
addresses = revenue@harbour.example
[department Helpline]
addresses = care@harbour.example
helpdesk_groups = Helpline Queue
[source helpline-mailbox]
type = maildir
path = maildir/helpline
department = Helpline
EOF
cat > corpus/truth.json <<'EOF'
{"categories": ["handoff"],
 "items": {"m1@harbour.example": ["handoff"], "m2@harbour.example": ["handoff"],
           "m3@harbour.example": ["handoff"], "m4@harbour.example": []}}
EOF

# rules test, with the configuration and without it
for n in 1 2 3; do
	f=$(ls corpus/maildir/helpline/cur/$n:*)
	"$CT" -c corpus/casetrail.conf rules test "$f" >with.out 2>&1 || fail "rules test $n: $(cat with.out)"
	grep -q '^handoff: .*: tagged' with.out || fail "mail $n is no handoff with the configuration: $(cat with.out)"
	"$CT" --db none.db rules test --staff "$f" >without.out 2>&1 || fail "rules test $n without a configuration"
	! grep -q '^handoff: .*: tagged' without.out || fail "mail $n is a handoff without the configuration: $(cat without.out)"
done
"$CT" -c corpus/casetrail.conf rules test corpus/maildir/helpline/cur/4:2,S >with.out 2>&1
! grep -q '^handoff: .*: tagged' with.out || fail "a report named after the department is no handoff: $(cat with.out)"

# ingest tags them; the store's rule hash is that of the rules with the names
"$CT" -q -c corpus/casetrail.conf --db store.db ingest >ingest.out 2>&1 || fail "ingest: $(cat ingest.out)"
n=$(sqlite3 store.db "select count(distinct item_id) from tags where category = 'handoff'")
[ "$n" = 3 ] || fail "ingest tagged $n handoffs, want 3"

# masscheck reads each corpus for its own organization
"$CT" rules masscheck --corpus corpus --samples 0 >mc.out 2>&1 || fail "masscheck: $(cat mc.out)"
grep -Eq '^handoff +1\.00 +3 +3 +3 +0 +1\.00 +1\.00 +1\.00' mc.out || fail "masscheck: $(grep '^handoff' mc.out)"

# Twenty departments with a helpdesk group each (names of about 15 characters,
# what the README promises) load with their names
{
	printf '[organization]\ninternal_domains = harbour.example\n'
	i=0
	while [ $i -lt 20 ]; do
		i=$((i + 1))
		printf '[department Client Service %02d]\naddresses = dept%d@harbour.example\nhelpdesk_groups = Queue Tier %02d\n' $i $i $i
	done
} >twenty.conf
"$CT" -c twenty.conf --db twenty.db rules test --staff corpus/maildir/helpline/cur/1:2,S >twenty.out 2>&1 ||
	fail "rules test with 20 departments: $(cat twenty.out)"
! grep -q "used without the configured departments" twenty.out || fail "20 departments do not load: $(head -1 twenty.out)"

# Too many names for a pattern: the rules load without them, with a warning
{
	printf '[organization]\ninternal_domains = harbour.example\n'
	i=0
	while [ $i -lt 60 ]; do
		i=$((i + 1))
		printf '[department Department of Quite Long Name Number %d]\naddresses = dept%d@harbour.example\n' $i $i
		printf 'helpdesk_groups = Group of Quite Long Name Number %d\n' $i
	done
} >big.conf
"$CT" -c big.conf --db big.db rules test corpus/maildir/helpline/cur/1:2,S >big.out 2>&1 || fail "rules test with 60 departments: $(cat big.out)"
grep -q "warning: the rules are used without the configured departments' names" big.out || fail "no warning: $(head -3 big.out)"
grep -q 'too large' big.out || fail "the warning does not say why: $(head -1 big.out)"
# masscheck says so too, for a corpus whose configuration is that large
mkdir -p bigcorpus
cp corpus/truth.json bigcorpus/
{ cat big.conf; printf '[source helpline-mailbox]\ntype = maildir\npath = %s/corpus/maildir/helpline\n' "$PWD"; } >bigcorpus/casetrail.conf
"$CT" rules masscheck --corpus bigcorpus --samples 0 >bigmc.out 2>&1 || fail "masscheck with 60 departments: $(cat bigmc.out)"
grep -q "warning: the rules are used without the configured departments' names" bigmc.out ||
	fail "masscheck does not warn: $(head -3 bigmc.out)"
echo "ok"
