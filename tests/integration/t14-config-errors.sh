#!/bin/sh
# t14-config-errors.sh - configuration errors read "FILE:LINE: what is wrong", all of them are
# reported in one run, and the exit status is 2.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"

# expect_errors CONF: runs 'cases' with CONF and compares stderr with the file CONF.want
expect_errors() {
	rc=0
	"$CASETRAIL" -c "$1" cases >out 2>err || rc=$?
	[ $rc -eq 2 ] || fail "$1: exit $rc, want 2; stderr: $(cat err)"
	[ ! -s out ] || fail "$1: printed on stdout: $(cat out)"
	sort err >err.sorted
	sort "$1.want" >want.sorted
	if ! cmp -s err.sorted want.sorted; then
		echo "--- want" >&2; cat "$1.want" >&2
		echo "--- got" >&2; cat err >&2
		fail "$1: error messages differ"
	fi
}

# Every kind of error at once (line numbers in the comments on the right).
cat >bad.conf <<'CONF'
[store]
path = x.db

[organization]
internal_domains = larkspur.example
ticket_ref = \[#(\d+\]

[department Billing]
adress = billing@larkspur.example
addresses = billing@larkspur.example

[department Support]
addresses = support@larkspur.example, billing@larkspur.example

[queue triage]
name = x

[source billing]
type = maildir
department = Billing
CONF
cat >bad.conf.want <<'WANT'
bad.conf:6: ticket_ref: bad regex: missing closing parenthesis at offset 9
bad.conf:9: unknown key 'adress' in [department Billing]
bad.conf:13: address 'billing@larkspur.example' is already used by department 'Billing' (line 8)
bad.conf:15: unknown section type 'queue' in [queue triage] (known: store, organization, department NAME, source NAME, smtp, log, site, cases)
bad.conf:18: [source billing] is missing required key 'path'
WANT
expect_errors bad.conf

# Source errors: unknown type, a key the type does not take, unknown department; a ticket_ref
# without a capture group.
cat >src.conf <<'CONF'
[organization]
ticket_ref = #\d+
internal_domains = a.example

[department A]
addresses = a@a.example

[source s]
type = imapx
path = x

[source t]
type = maildir
path = m
folders = INBOX
department = Nope
CONF
cat >src.conf.want <<'WANT'
src.conf:2: ticket_ref needs one capture group for the ticket number
src.conf:9: unknown source type 'imapx' (known: maildir, mbox, eml, imap, pop3, zendesk, rt, freshdesk, jsonl)
src.conf:15: unknown key 'folders' in [source t] (type maildir)
src.conf:16: [source t]: unknown department 'Nope'
WANT
expect_errors src.conf

# The path printed is the one given: a path with a directory keeps it.
mkdir -p sub
cp bad.conf sub/
sed 's|^bad.conf|sub/bad.conf|' bad.conf.want >sub/bad.conf.want
expect_errors sub/bad.conf

# A missing configuration file is bad usage too.
rc=0; "$CASETRAIL" -c nothere.conf cases 2>err || rc=$?
[ $rc -eq 2 ] || fail "missing config: exit $rc"
grep -q "nothere.conf" err || fail "missing config: message does not name the file: $(cat err)"

# Every error also stops ingest before it touches a store.
rc=0; "$CASETRAIL" -c bad.conf --db s.db ingest 2>err || rc=$?
[ $rc -eq 2 ] || fail "ingest with a bad config: exit $rc"
[ ! -e s.db ] || fail "ingest with a bad config created the store"

# The bundled example configuration is valid.
rc=0; "$CASETRAIL" -c "$TOP/examples/casetrail.conf" --db ok.db ingest --dry-run >/dev/null 2>err || rc=$?
[ $rc -le 1 ] || fail "examples/casetrail.conf: exit $rc: $(cat err)"
! grep -q 'casetrail.conf:[0-9]' err || fail "examples/casetrail.conf: $(cat err)"
# and so is the documented example of every key
"$CASETRAIL" -c "$TOP/config/casetrail.conf.example" rules check "$TOP/config/rules.conf" >/dev/null 2>err ||
	fail "config/casetrail.conf.example: $(cat err)"
echo ok
