#!/bin/sh
# t17-cli-bad-values.sh - every number, date, department and sub-command on the command line,
# and every value in the configuration, is read one way: a mistake is named exactly, nothing is
# printed on stdout, and the exit status is 2.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"

cat >ct.conf <<'CONF'
[store]
path = s.db

[organization]
internal_domains = larkspur.example

[department Support]
addresses = support@larkspur.example
leader = aisha.bello@larkspur.example

[department Billing]
addresses = billing@larkspur.example
CONF
"$CASETRAIL" -c ct.conf ingest --mbox "$TOP/examples/mbox/crlf.mbox" --department Support 2>err ||
	fail "ingest: $(cat err)"

# expect_usage ARGS WANT: 'casetrail -c ct.conf ARGS' exits 2, prints nothing on stdout, and its
# first line on stderr is WANT.
expect_usage() {
	rc=0
	want_line=$2
	eval "set -- $1"
	"$CASETRAIL" -c ct.conf "$@" >out 2>err || rc=$?
	[ $rc -eq 2 ] || fail "'$*': exit $rc, want 2; stderr: $(cat err)"
	[ ! -s out ] || fail "'$*': printed on stdout: $(cat out)"
	got=$(head -n 1 err)
	[ "$got" = "$want_line" ] || fail "'$*': got '$got', want '$want_line'"
}

# One line per case: the arguments, a tab, the first line of stderr.
tab=$(printf '\t')
while IFS="$tab" read -r args want; do
	case "$args" in ''|'#'*) continue ;; esac
	expect_usage "$args" "$want"
done <<'CASES'
# --oldest: negative and huge values crashed, letters passed
report complaints --oldest -1	casetrail: error: --oldest takes a whole number from 1 to 1000, not '-1'
report complaints --oldest -3	casetrail: error: --oldest takes a whole number from 1 to 1000, not '-3'
report complaints --oldest 2147483648	casetrail: error: --oldest takes a whole number from 1 to 1000, not '2147483648'
report complaints --oldest abc	casetrail: error: --oldest takes a whole number from 1 to 1000, not 'abc'
report complaints --oldest 0	casetrail: error: --oldest takes a whole number from 1 to 1000, not '0'
report complaints --oldest ''	casetrail: error: --oldest takes a whole number from 1 to 1000, not ''
# --min-handoffs of cases and audit
cases --min-handoffs abc	casetrail: error: --min-handoffs takes a whole number from 0 to 1000, not 'abc'
cases --min-handoffs -1	casetrail: error: --min-handoffs takes a whole number from 0 to 1000, not '-1'
audit handoffs --min-handoffs 1001	casetrail: error: --min-handoffs takes a whole number from 0 to 1000, not '1001'
audit handoffs --min-handoffs 2x	casetrail: error: --min-handoffs takes a whole number from 0 to 1000, not '2x'
# --batch of ingest and classify
ingest --batch 0 --mbox x.mbox	casetrail: error: --batch takes a whole number from 1 to 1000000, not '0'
ingest --batch lots --mbox x.mbox	casetrail: error: --batch takes a whole number from 1 to 1000000, not 'lots'
classify --batch -5	casetrail: error: --batch takes a whole number from 1 to 1000000, not '-5'
classify --batch 1000001	casetrail: error: --batch takes a whole number from 1 to 1000000, not '1000001'
# rules masscheck / fit
rules masscheck --seed -1	casetrail: error: --seed takes a whole number from 0 to 1000000, not '-1'
rules masscheck --samples many	casetrail: error: --samples takes a whole number from 0 to 1000000, not 'many'
rules fit --folds 1	casetrail: error: --folds takes a whole number from 2 to 100, not '1'
rules fit --folds 5.5	casetrail: error: --folds takes a whole number from 2 to 100, not '5.5'
# case show ID
case show abc	casetrail: error: case show ID takes a whole number of at least 1, not 'abc'
case show -- -2	casetrail: error: case show ID takes a whole number of at least 1, not '-2'
# corrections by hand
case close abc	casetrail: error: CASE takes a whole number of at least 1, not 'abc'
case merge 1 x2	casetrail: error: CASE takes a whole number of at least 1, not 'x2'
item department x Sails	casetrail: error: unknown department 'Sails' (known: Support, Billing)
# dates: one reader, one message, and --since after --until rejected everywhere
cases --since yesterday	casetrail: error: --since takes a date (YYYY-MM-DD or ISO 8601, UTC), not 'yesterday'
report complaints --until 2024-13-01	casetrail: error: --until takes a date (YYYY-MM-DD or ISO 8601, UTC), not '2024-13-01'
audit handoffs --since 05/01/2024	casetrail: error: --since takes a date (YYYY-MM-DD or ISO 8601, UTC), not '05/01/2024'
cases --since 2024-05-01 --until 2024-04-01	casetrail: error: --since (2024-05-01T00:00:00Z) must be before --until (2024-04-01T00:00:00Z)
audit handoffs --since 2024-05-01 --until 2024-04-01	casetrail: error: --since (2024-05-01T00:00:00Z) must be before --until (2024-04-01T00:00:00Z)
report complaints --since 2024-05-01 --until 2024-05-01	casetrail: error: --since (2024-05-01T00:00:00Z) must be before --until (2024-05-01T00:00:00Z)
# departments: every command that takes one names the known ones
cases --department Sails	casetrail: error: unknown department 'Sails' (known: Support, Billing)
report complaints --department Nope	casetrail: error: unknown department 'Nope' (known: Support, Billing)
audit handoffs --department Nope	casetrail: error: unknown department 'Nope' (known: Support, Billing)
ingest --mbox x.mbox --department Sails	casetrail: error: unknown department 'Sails' (known: Support, Billing)
# sub-commands: the unknown one is named before the usage
report complaint	casetrail: error: unknown report 'complaint' (known: complaints, promises, customers)
audit handoff	casetrail: error: unknown audit 'handoff' (known: handoffs)
case frob 1	casetrail: error: unknown case command 'frob' (known: show, close, reopen, merge, split)
rules chek	casetrail: error: unknown rules command 'chek' (known: check, test, masscheck, fit)
tag forget x y	casetrail: error: unknown tag command 'forget' (known: dismiss, confirm)
item dept x y	casetrail: error: unknown item command 'dept' (known: department)
CASES

# The usage follows the named mistake.
"$CASETRAIL" -c ct.conf report complaint >/dev/null 2>err || true
sed -n 2p err | grep -q '^usage: casetrail report complaints' || fail "report complaint: no usage: $(cat err)"

# A department is matched in any case of letters and then filters as the store spells it.
"$CASETRAIL" -c ct.conf cases --department support --format csv >out 2>err || fail "--department support: $(cat err)"
[ "$(wc -l <out)" -eq 2 ] || fail "--department support: $(cat out)"
# Good values still work at their bounds.
"$CASETRAIL" -c ct.conf report complaints --oldest 1000 --format json >/dev/null 2>err || fail "--oldest 1000: $(cat err)"
"$CASETRAIL" -c ct.conf report complaints --oldest 1 --since 2025-04-01 --until 2025-04-08 --format json >/dev/null 2>err ||
	fail "--oldest 1: $(cat err)"
"$CASETRAIL" -c ct.conf cases --min-handoffs 0 --since 2025-04-01 --until 2025-04-08 --format json >/dev/null 2>err ||
	fail "--min-handoffs 0: $(cat err)"
"$CASETRAIL" -c ct.conf audit handoffs --min-handoffs 1000 --format json >/dev/null 2>err || fail "--min-handoffs 1000: $(cat err)"

# Configuration values: every mistake of every section at load time, FILE:LINE, exit 2, whatever
# the command, before any source runs.
cat >bad.conf <<'CONF'
[store]
path = b.db

[organization]
internal_domains = larkspur.example
thread_window_days = forever

[department Sales]
addresses = sales@larkspur.example
leader = marcus.reed

[department Billing]
addresses = billing, billing@larkspur.example

[source mail]
type = imap
url = imap://127.0.0.1:99999/INBOX
user = sales
password_env =
timeout = -5
batch_size = lots
starttls = maybe
tls_verify = sometimes
auth = kerberos
folder_departments = INBOX=Sails, Archive
department = Sales

[source pop]
type = pop3
url = pop3://u:secret@127.0.0.1
password_command =
auth = xoauth2

[source helpdesk]
type = zendesk
url = ftp://helpdesk.example
token_env = ZD_TOKEN
since = last week
per_page = 500
timeout = 0

[source rt]
type = rt
url = https://rt.example:0/
token_env =

[smtp]
url = smtp://127.0.0.1:25
password_env =
password_command =
tls_verify = perhaps
CONF
cat >bad.conf.want <<'WANT'
bad.conf:6: [organization] thread_window_days takes a whole number of days from 1 to 3650, not 'forever'
bad.conf:10: [department Sales] leader takes a mail address, not 'marcus.reed'
bad.conf:13: 'billing' is not a mail address
bad.conf:17: [source mail] url takes imap://HOST[:PORT]/... or imaps://... (a port from 1 to 65535), not 'imap://127.0.0.1:99999/INBOX'
bad.conf:19: [source mail] password_env is empty
bad.conf:20: [source mail] timeout takes a whole number of seconds from 1 to 3600, not '-5'
bad.conf:21: [source mail] batch_size takes a whole number of messages from 1 to 100000, not 'lots'
bad.conf:22: [source mail] starttls takes yes or no, not 'maybe'
bad.conf:23: [source mail] tls_verify takes yes or no, not 'sometimes'
bad.conf:24: [source mail] auth takes plain, login or xoauth2, not 'kerberos'
bad.conf:25: [source mail] folder_departments: unknown department 'Sails'
bad.conf:25: [source mail] folder_departments takes FOLDER=DEPARTMENT, not 'Archive'
bad.conf:30: [source pop] url must not hold a password (use password_command or password_env)
bad.conf:31: [source pop] password_command is empty
bad.conf:32: [source pop] auth = xoauth2 is not supported for POP3
bad.conf:36: [source helpdesk] url takes http://HOST[:PORT]/... or https://... (a port from 1 to 65535), not 'ftp://helpdesk.example'
bad.conf:38: [source helpdesk] since takes a date (YYYY-MM-DD or ISO 8601, UTC), not 'last week'
bad.conf:39: [source helpdesk] per_page takes a whole number from 1 to 100, not '500'
bad.conf:40: [source helpdesk] timeout takes a whole number of seconds from 1 to 3600, not '0'
bad.conf:44: [source rt] url takes http://HOST[:PORT]/... or https://... (a port from 1 to 65535), not 'https://rt.example:0/'
bad.conf:45: [source rt] token_env is empty
bad.conf:49: [smtp] password_env is empty
bad.conf:50: [smtp] password_command is empty
bad.conf:51: [smtp] tls_verify takes yes or no, not 'perhaps'
WANT
sort bad.conf.want >want.sorted
for cmd in ingest "ingest mail" cases "report complaints" "rules check $TOP/config/rules.conf"; do
	rc=0
	# shellcheck disable=SC2086
	"$CASETRAIL" -c bad.conf $cmd >out 2>err || rc=$?
	[ $rc -eq 2 ] || fail "bad.conf $cmd: exit $rc, want 2; stderr: $(cat err)"
	[ ! -s out ] || fail "bad.conf $cmd: printed on stdout: $(cat out)"
	sort err >err.sorted
	if ! cmp -s err.sorted want.sorted; then
		echo "--- want" >&2; cat bad.conf.want >&2
		echo "--- got" >&2; cat err >&2
		fail "bad.conf $cmd: error messages differ"
	fi
done
[ ! -e b.db ] || fail "a bad configuration created the store"
echo ok
