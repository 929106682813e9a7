#!/bin/sh
# t26-ingest-unix-habits.sh - what a nightly job and its operator rely on:
# ingest without a rule set exits 2 (unless --no-classify); -q prints no
# summary; --summary json parses and counts failed sources; --log appends one
# line per run start, source and end; --dry-run totals count ticket files too;
# --out with an extension no format writes exits 2; "wrote FILE" goes to
# stderr; the cases table fits COLUMNS.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
PY=python3

# --- no rule set: a copy of the binary outside the checkout finds none ---
mkdir -p alone
cp "$CASETRAIL" alone/casetrail
generate_message md from="Ana <ana@acme.example>" body="You charged us twice for March."
generate_message md
rc=0; alone/casetrail rules check >out 2>err || rc=$?
if [ $rc -ne 2 ]; then
	# only a rule set installed on this machine (make install) can be found from here
	echo "note: $(tail -1 out): the no-rule-set case is not testable on this machine"
else
	msg="casetrail: error: no rule set found: none configured (\\[organization\\] rules), no source checkout beside this casetrail, none installed in '.*'"
	grep -qx "$msg" err || fail "rules check without rules: $(cat err)"
	rc=0; alone/casetrail --db alone.db ingest --maildir md >out 2>err || rc=$?
	[ $rc -eq 2 ] || fail "ingest without a rule set: exit $rc, want 2: $(cat err)"
	grep -qx "$msg" err ||
		fail "ingest without a rule set: $(cat err)"
	grep -q "^casetrail: hint: .*--no-classify" err || fail "no hint for --no-classify: $(cat err)"
	[ "$(sqlite3 alone.db 'select count(*) from items' 2>/dev/null || echo 0)" = 0 ] ||
		fail "ingest without a rule set stored items"
	# the JSON summary says so too, for a monitoring system
	rc=0; alone/casetrail --db alone.db ingest --summary json --maildir md >nr.json 2>err || rc=$?
	[ $rc -eq 2 ] || fail "ingest --summary json without a rule set: exit $rc"
	$PY -c '
import json
s = json.load(open("nr.json"))
assert s["status"] == "error" and s["exit_status"] == 2 and s["sources"] == [], s
assert s["error"].startswith("no rule set found"), s' || fail "summary without a rule set: $(cat nr.json)"
	alone/casetrail --db alone.db ingest --no-classify --maildir md 2>err ||
		fail "ingest --no-classify without a rule set: exit $?: $(cat err)"
	grep -q '^ingest: 2 new' err || fail "--no-classify summary: $(cat err)"
fi
# the checkout's binary finds the checkout's rules from any directory: items get tagged
"$CASETRAIL" --db tagged.db ingest --maildir md 2>err || fail "ingest: $(cat err)"
[ "$(sqlite3 tagged.db "select count(*) from tags where category = 'billing_dispute'")" -ge 1 ] ||
	fail "the checkout's rules did not tag 'charged us twice'"

# --- a configuration with two good sources, a ticket file and one that fails ---
cp -r "$TOP/examples/mail" "$TOP/examples/tickets.jsonl" .
cat >ct.conf <<'CONF'
[store]
path = ct.db

[organization]
internal_domains = larkspur.example

[department Sales]
addresses = sales@larkspur.example

[department Billing]
addresses = billing@larkspur.example

[source sales]
type = maildir
path = mail/sales
department = Sales

[source billing]
type = maildir
path = mail/billing
department = Billing

[source helpdesk]
type = jsonl
path = tickets.jsonl

[source gone]
type = mbox
path = nowhere/old.mbox
department = Billing
CONF

# dry run: every source kind in the total (10 sales + 18 billing files + 8 ticket items)
rc=0; "$CASETRAIL" -c ct.conf ingest --dry-run >dry.out 2>dry.err || rc=$?
[ $rc -eq 1 ] || fail "dry run with a missing mbox: exit $rc, want 1: $(cat dry.err)"
grep -qx "helpdesk: 8 new" dry.out || fail "dry run per source: $(cat dry.out)"
grep -qx "ingest (dry run): 36 would be read, 0 already seen, 0 failed; sources: 3 ok, 1 failed" dry.err ||
	fail "dry run total: $(cat dry.err)"

# a real run with the log: exit 1, the summary counts the failed source
rc=0; "$CASETRAIL" -c ct.conf ingest --log run.log >out 2>err || rc=$?
[ $rc -eq 1 ] || fail "run with a failed source: exit $rc, want 1"
grep -q "^casetrail: error: source 'gone' stopped with errors" err || fail "no error for 'gone': $(cat err)"
grep -q "^ingest: [0-9]* new, [0-9]* already seen, 0 warnings, 0 failed, [0-9]* cases touched; sources: 3 ok, 1 failed ([0-9.]*s)$" err ||
	fail "summary: $(cat err)"
[ ! -s out ] || fail "ingest printed on stdout: $(cat out)"
[ "$(wc -l <run.log)" -eq 6 ] || fail "log: want 6 lines (start, 4 sources, end): $(cat run.log)"
ts='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}Z casetrail\[[0-9]*\] ingest'
sed -n 1p run.log | grep -q "^$ts start mode=run config=ct.conf store=ct.db sources=4$" ||
	fail "log start: $(sed -n 1p run.log)"
grep -q "^$ts source name=sales type=maildir status=ok new=10 seen=0 warnings=0 failed=0 duration=[0-9.]*s$" run.log ||
	fail "log of sales: $(cat run.log)"
grep -q "^$ts source name=helpdesk type=jsonl status=ok new=8 " run.log || fail "log of helpdesk: $(cat run.log)"
grep -q "^$ts source name=gone type=mbox status=failed new=0 .* error=\".*nowhere/old.mbox.*\"$" run.log ||
	fail "log of the failed source: $(grep gone run.log)"
tail -1 run.log | grep -q "^$ts end status=errors exit=1 new=[0-9]* seen=[0-9]* warnings=0 failed=0 sources_ok=3 sources_failed=1 cases_touched=[0-9]* duration=[0-9.]*s$" ||
	fail "log end: $(tail -1 run.log)"

# [log] file in the configuration: appended to, relative to the file
cp ct.conf ct-log.conf
printf '\n[log]\nfile = logs/ingest.log\n' >>ct-log.conf
mkdir logs
"$CASETRAIL" -c ct-log.conf ingest sales 2>/dev/null || fail "ingest sales: exit $?"
"$CASETRAIL" -c ct-log.conf ingest sales 2>/dev/null || fail "ingest sales again: exit $?"
[ "$(grep -c ' ingest end status=ok exit=0 new=0 ' logs/ingest.log)" -eq 2 ] ||
	fail "[log] file: $(cat logs/ingest.log)"
# a log that cannot be opened: exit 2, nothing read
rc=0; "$CASETRAIL" -c ct.conf ingest --log nodir/x.log sales >out 2>err || rc=$?
[ $rc -eq 2 ] || fail "unopenable log: exit $rc"
grep -q "^casetrail: error: cannot open the log 'nodir/x.log': No such file or directory$" err || fail "log error: $(cat err)"
# an empty [log] file is a configuration error
printf '[log]\nfile =\n' >badlog.conf
rc=0; "$CASETRAIL" -c badlog.conf cases >out 2>err || rc=$?
[ $rc -eq 2 ] && grep -qx "badlog.conf:2: \[log\] file is empty" err || fail "empty [log] file: exit $rc: $(cat err)"

# -q: no summary, errors still there
rc=0; "$CASETRAIL" -q -c ct.conf ingest >out 2>err || rc=$?
[ $rc -eq 1 ] || fail "-q run: exit $rc"
! grep -q '^ingest:' err || fail "-q printed the summary: $(cat err)"
grep -q "source 'gone'" err || fail "-q hid the error: $(cat err)"
"$CASETRAIL" -c ct.conf ingest -q sales >out 2>err || fail "ingest -q sales: exit $?"
[ ! -s err ] && [ ! -s out ] || fail "ingest -q printed: $(cat out err)"

# --summary json: one object on stdout that parses, per source with its error
rc=0; "$CASETRAIL" -c ct.conf ingest --summary json >sum.json 2>err || rc=$?
[ $rc -eq 1 ] || fail "--summary json: exit $rc"
! grep -q '^ingest:' err || fail "--summary json also printed the text summary"
$PY - sum.json <<'PYEOF' || fail "--summary json: $(cat sum.json)"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"] == "casetrail-json/1" and s["report"] == "ingest", s
assert s["status"] == "errors" and s["exit_status"] == 1, s
assert s["sources_ok"] == 3 and s["sources_failed"] == 1, s
assert s["new"] == 0 and s["already_seen"] >= 28 and s["failed"] == 0, s
by = {x["name"]: x for x in s["sources"]}
assert set(by) == {"sales", "billing", "helpdesk", "gone"}, by
assert by["gone"]["status"] == "failed" and "nowhere/old.mbox" in by["gone"]["error"], by["gone"]
assert by["sales"]["status"] == "ok" and by["sales"]["error"] is None and by["sales"]["already_seen"] == 10
assert s["error"] is None and s["interrupted_by"] is None
PYEOF
# with -q, an explicit --summary json still prints; the dry run puts its counts into it
"$CASETRAIL" -q -c ct.conf ingest --dry-run --summary json sales helpdesk >dry.json 2>err ||
	fail "dry --summary json: exit $?: $(cat err)"
$PY -c '
import json, sys
s = json.load(open("dry.json"))
assert s["dry_run"] and s["would_read"] == 0 and s["status"] == "ok", s
assert [x["name"] for x in s["sources"]] == ["sales", "helpdesk"], s' || fail "dry json: $(cat dry.json)"
rc=0; "$CASETRAIL" -c ct.conf ingest --summary yaml >out 2>err || rc=$?
[ $rc -eq 2 ] && grep -q "unknown --summary 'yaml'" err || fail "--summary yaml: exit $rc: $(cat err)"

# --out: the extension picks the format, an unknown one is an error and writes nothing
rc=0; "$CASETRAIL" -c ct.conf report complaints --out report.pdf >out 2>err || rc=$?
[ $rc -eq 2 ] || fail "--out report.pdf: exit $rc, want 2"
grep -qx "casetrail: error: --out 'report.pdf': no format writes '.pdf' files (known: .txt, .csv, .json, .md, .html)" err ||
	fail "--out report.pdf: $(cat err)"
[ ! -e report.pdf ] || fail "--out report.pdf wrote a file"
rc=0; "$CASETRAIL" -c ct.conf audit handoffs --out audit.docx >out 2>err || rc=$?
[ $rc -eq 2 ] && [ ! -e audit.docx ] || fail "audit --out audit.docx: exit $rc"
"$CASETRAIL" -c ct.conf report complaints --until 2025-04-01 --out r.json >out 2>err || fail "--out r.json: $(cat err)"
[ ! -s out ] || fail "--out printed on stdout: $(cat out)"
grep -qx "wrote r.json" err || fail "no 'wrote r.json' on stderr: $(cat err)"
$PY -c 'import json; assert json.load(open("r.json"))["report"] == "complaints"' || fail "r.json is no JSON report"
"$CASETRAIL" -c ct.conf audit handoffs --out a.HTML 2>err && grep -qi '<html' a.HTML || fail "--out a.HTML: $(cat err)"
"$CASETRAIL" -q -c ct.conf audit handoffs --out plain 2>err && [ ! -s err ] && [ -s plain ] || fail "-q --out: $(cat err)"
mkdir eml
"$CASETRAIL" -c ct.conf audit handoffs --mail-to boss@larkspur.example --dry-run --out eml >out 2>err ||
	fail "audit --mail-to --dry-run: $(cat err)"
[ ! -s out ] && grep -qx "wrote eml/handoff-audit.eml (to boss@larkspur.example)" err || fail "mail dry run: $(cat out err)"

# --- the cases table fits the terminal width ---
long="An exceedingly long subject line about the quarterly invoice that was charged twice and never refunded"
generate_message wide subject="$long" from="Ana Long <ana@verylongcustomerdomain.example>" to=billing@larkspur.example
"$CASETRAIL" -c ct.conf ingest --maildir wide --department Billing 2>/dev/null || fail "ingest wide"
for w in 80 60 120; do
	COLUMNS=$w "$CASETRAIL" -c ct.conf cases --format table >t$w.out || fail "cases at $w: exit $?"
	$PY - t$w.out $w <<'PYEOF' || fail "cases at COLUMNS=$w: $(cat t$w.out)"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
w = int(sys.argv[2])
wide = [l for l in lines if len(l) > w]
assert not wide, "wider than %d: %r" % (w, wide[:2])
head = [l for l in lines if l.startswith("id ")][0].split()
assert head[:4] == ["id", "activity", "state", "handoffs"] and head[5:] == ["tags", "subject"], head
assert head[4] == "departments" or (w <= 80 and head[4].startswith("depart")), head
row = [l for l in lines if "2024-03-04" in l][0]  # the date is never cut
assert " An ex" in row and row.rstrip().endswith("…"), row  # the subject is, with an ellipsis
PYEOF
done
COLUMNS=400 "$CASETRAIL" -c ct.conf cases --format table >t200.out
grep -q "^case  opened  *last activity  *state  *handoffs  *ping-pong  *departments  *tags  *customer  *subject" t200.out ||
	fail "wide table: $(sed -n 4p t200.out)"
grep -q "$long" t200.out || fail "wide table cut the subject: $(grep exceedingly t200.out)"
"$CASETRAIL" -c ct.conf cases --format csv | grep -q "$long" || fail "csv cut the subject"
echo ok
