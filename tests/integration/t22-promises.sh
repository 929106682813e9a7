#!/bin/sh
# t22-promises.sh - the promise ledger end to end, on hand-written mail: staff
# commitments found with the due time of the writer's zone, verdicts (kept by
# staff "done", by a customer's confirmation; broken by a customer complaint,
# by the due time passing; open), report promises figures in every format,
# a manual decision that survives 'classify' with changed rules and a second
# ingest, report customers, case show's Promises section, and the promise
# ledger on the bundled examples.
set -eu
: "${CASETRAIL:?}" "${TMPDIR:?}" "${TOP:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null 2>&1 || sh "$TOP/tests/deps.sh" sqlite3 || fail "sqlite3 is needed"
command -v python3 >/dev/null 2>&1 || fail "python3 is needed"

cp "$TOP/config/rules.conf" rules.conf
cat > casetrail.conf <<'CONF'
[store]
path = s.db
[organization]
internal_domains = corp.example
rules = rules.conf
[department Support]
addresses = support@corp.example
[department Sales]
addresses = sales@corp.example
[source support]
type = maildir
path = support
department = Support
[source sales]
type = maildir
path = sales
department = Sales
CONF

msg() { generate_message "$@" folder=cur; }
# A: kept, staff report the fix live before the due time (Thursday, 23:59 +01:00).
msg support from="Ana <ana@acme.example>" subject="Export broken" id=a1@acme.example \
	date="Tue, 03 Mar 2026 09:00:00 +0100" body="The export is broken since this morning."
msg support from="Dana <dana@corp.example>" to=ana@acme.example subject="Re: Export broken" id=a2@corp.example \
	in_reply_to=a1@acme.example date="Tue, 03 Mar 2026 10:00:00 +0100" body="Sorry about that. We will fix it by Thursday."
msg support from="Dana <dana@corp.example>" to=ana@acme.example subject="Re: Export broken" id=a3@corp.example \
	in_reply_to=a2@corp.example date="Thu, 05 Mar 2026 15:00:00 +0100" body="Good news: the fix is live."
# B: broken, done late; "tomorrow" in New York (-05:00) is Wednesday 04:59 UTC, not Tuesday 23:59 UTC.
msg sales from="Ben <ben@bolt.example>" to=sales@corp.example subject="Invoice wrong" id=b1@bolt.example \
	date="Mon, 02 Mar 2026 15:00:00 -0500" body="The invoice lists the wrong plan."
msg sales from="Sam <sam@corp.example>" to=ben@bolt.example subject="Re: Invoice wrong" id=b2@corp.example \
	in_reply_to=b1@bolt.example date="Mon, 02 Mar 2026 16:00:00 -0500" \
	body="You'll have the corrected invoice by tomorrow."
msg sales from="Sam <sam@corp.example>" to=ben@bolt.example subject="Re: Invoice wrong" id=b3@corp.example \
	in_reply_to=b2@corp.example date="Fri, 06 Mar 2026 05:00:00 -0500" \
	body="We have now sent the corrected invoice."
# C: broken by the customer before the due time; nothing done since: overdue.
msg support from="Cleo <cleo@cyan.example>" subject="Callback" id=c1@cyan.example \
	date="Tue, 03 Mar 2026 09:30:00 +0100" body="Please call me about the migration."
msg support from="Dana <dana@corp.example>" to=cleo@cyan.example subject="Re: Callback" id=c2@corp.example \
	in_reply_to=c1@cyan.example date="Tue, 03 Mar 2026 10:00:00 +0100" body="I will call you back tomorrow morning."
msg support from="Cleo <cleo@cyan.example>" subject="Re: Callback" id=c3@cyan.example in_reply_to=c2@corp.example \
	date="Wed, 04 Mar 2026 09:00:00 +0100" \
	body="You promised to call me back this morning, but nobody called."
# D: open (due next Friday, written on a Saturday).
msg support from="Dana <dana@corp.example>" to=dev@delta.example subject="Report" id=d1@corp.example \
	date="Sat, 07 Mar 2026 09:00:00 +0100" body="We will deliver the report next Friday."
# E: kept by the customer's confirmation (2 business days from a Friday: Tuesday).
msg support from="Dana <dana@corp.example>" to=eve@echo.example subject="Sync" id=e1@corp.example \
	date="Fri, 06 Mar 2026 16:00:00 +0100" body="I'll update you within 2 business days."
msg support from="Eve <eve@echo.example>" subject="Re: Sync" id=e2@echo.example in_reply_to=e1@corp.example \
	date="Mon, 09 Mar 2026 11:00:00 +0100" body="Thanks, it works now."
# F: broken as the items go (nothing after it); decided kept by hand below.
msg sales from="Sam <sam@corp.example>" to=finn@fox.example subject="Refund" id=f1@corp.example \
	date="Tue, 03 Mar 2026 11:00:00 +0100" body="We will refund you by Friday."
# G: German, kept by the customer.
msg support from="Dana <dana@corp.example>" to=gerd@gamma.example subject="Fehler" id=g1@corp.example \
	date="Tue, 03 Mar 2026 12:00:00 +0100" body="Wir beheben den Fehler bis Freitag."
msg support from="Gerd <gerd@gamma.example>" subject="Re: Fehler" id=g2@gamma.example in_reply_to=g1@corp.example \
	date="Thu, 05 Mar 2026 08:00:00 +0100" body="Danke, es funktioniert jetzt."
# H: a date already past when written is no promise.
msg support from="Dana <dana@corp.example>" to=hal@hq.example subject="Go-live" id=h1@corp.example \
	date="Thu, 05 Mar 2026 10:00:00 +0100" body="We'll have everything ready before the go-live on 3 March."

"$CASETRAIL" -q ingest 2>ingest.err || fail "ingest: $(cat ingest.err)"
sqlite3 s.db "select i.external_id || ' ' || p.due_at || ' ' || coalesce(i.date_tz, 'null') from promises p
	join items i on i.id = p.item_id order by 1" > promises.txt
python3 - promises.txt <<'PY' || fail "promises and due times: $(cat promises.txt)"
import sys, datetime as dt
want = {
    "a2@corp.example": ("2026-03-05T23:59+01:00", 60),
    "b2@corp.example": ("2026-03-03T23:59-05:00", -300),
    "c2@corp.example": ("2026-03-04T12:00+01:00", 60),
    "d1@corp.example": ("2026-03-13T23:59+01:00", 60),
    "e1@corp.example": ("2026-03-10T23:59+01:00", 60),
    "f1@corp.example": ("2026-03-06T23:59+01:00", 60),
    "g1@corp.example": ("2026-03-06T23:59+01:00", 60),
}
got = {}
for line in open(sys.argv[1]):
    ext, due, tz = line.split()
    got[ext] = (int(due), int(tz))
assert set(got) == set(want), sorted(got)
for ext, (due, tz) in want.items():
    t = int(dt.datetime.fromisoformat(due).timestamp())
    assert got[ext] == (t, tz), (ext, got[ext], t, tz)
PY
sqlite3 s.db "select count(*) from tags t join items i on i.id = t.item_id where i.external_id = 'c3@cyan.example'
	and t.category = 'overpromise'" | grep -qx '[1-9]' || fail "the customer's complaint is not tagged overpromise"

period="--since 2026-03-01 --until 2026-03-10"
verdicts() {
	"$CASETRAIL" report promises $period --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
for p in sorted(r["promises"], key=lambda p: p["external_id"]):
    print(p["external_id"], p["verdict"], p["how"], p["decided_by_item"] or "-")
'
}
verdicts > v1.txt
cat > v1.want <<'WANT'
a2@corp.example kept done a3@corp.example
b2@corp.example broken due passed -
c2@corp.example broken customer complaint c3@cyan.example
d1@corp.example open not due yet -
e1@corp.example kept customer confirmed e2@echo.example
f1@corp.example broken due passed -
g1@corp.example kept customer confirmed g2@gamma.example
WANT
diff -u v1.want v1.txt || fail "verdicts"

figures() {
	"$CASETRAIL" report promises $period --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
t = r["total"]
print("total", t["made"], t["kept"], t["broken"], t["open"], t["overdue_now"], t["median_lateness_seconds"])
for d in r["departments"]:
    f = d["figures"]
    print(d["department"], f["made"], f["kept"], f["broken"], f["open"], f["overdue_now"])
    for s in d["staff"]:
        print(" ", s["staff"], s["made"], s["kept"], s["broken"], s["open"], s["overdue_now"])
print("overdue", " ".join(p["external_id"] for p in r["overdue"]))
'
}
# lateness: B done 2d 5h01 after due (Fri 10:00Z - Wed 04:59Z = 190860 s), C 5d 13h until
# --until (Tue 10 00:00Z - Wed 4 11:00Z = 478800 s), F 3d 1h01 (Tue 10 00:00Z - Fri 22:59Z =
# 262860 s): the median is F's
figures > f1.txt
cat > f1.want <<'WANT'
total 7 3 3 1 2 262860
Sales 2 0 2 0 1
  sam@corp.example 2 0 2 0 1
Support 5 3 1 1 1
  dana@corp.example 5 3 1 1 1
overdue c2@corp.example f1@corp.example
WANT
diff -u f1.want f1.txt || fail "figures"

# every format; the overdue list comes first in the table
for f in table csv markdown html; do
	"$CASETRAIL" report promises $period --format $f > r.$f 2>r.err || fail "format $f: $(cat r.err)"
done
grep -q "I will call you back tomorrow morning" r.markdown || fail "markdown lacks the overdue sentence"
head -1 r.csv | grep -q '^department,staff,made,kept,broken,open,overdue now,median lateness' ||
	fail "csv: $(head -1 r.csv)"
grep -q '^Support,dana@corp.example,5,3,1,1,1,' r.csv || fail "csv row: $(cat r.csv)"
grep -q '<table' r.html || fail "html has no table"
awk '/Overdue now/ { if (!o) o = NR } /Per department/ { p = NR } END { exit !(o && p && o < p) }' r.table ||
	fail "the overdue list is not first"

# a manual decision overrides, and sticks across a changed rule set and a second ingest
fid=$(sqlite3 s.db "select p.id from promises p join items i on i.id = p.item_id where i.external_id = 'f1@corp.example'")
"$CASETRAIL" promise keep "$fid" --reason "refund seen on the bank statement" --by lead > keep.out ||
	fail "promise keep"
grep -qx "promise $fid: kept by lead: refund seen on the bank statement" keep.out || fail "keep: $(cat keep.out)"
"$CASETRAIL" promise keep 99999 2>nokeep.err && fail "keeping a missing promise succeeded"
grep -q "no promise 99999 in the store" nokeep.err || fail "missing promise: $(cat nokeep.err)"
"$CASETRAIL" promise frobnicate 1 2>bad.err && fail "a bad verb succeeded"
grep -q "unknown promise decision 'frobnicate'" bad.err || fail "bad verb: $(cat bad.err)"
printf '\n[rule extra.rescan]\ncategory = extra\npattern = \\bzebra\\b\nexample = a zebra\n' >> rules.conf
"$CASETRAIL" classify --rescan > cl.out || fail "classify"
grep -q "^classified 1[0-9] items" cl.out || fail "classify did not re-tag: $(cat cl.out)"
grep -q "^promise ledger: " cl.out || fail "classify found no promises: $(cat cl.out)"
"$CASETRAIL" -q ingest 2>ingest2.err || fail "second ingest: $(cat ingest2.err)"
fid2=$(sqlite3 s.db "select p.id from promises p join items i on i.id = p.item_id where i.external_id = 'f1@corp.example'")
[ "$fid" = "$fid2" ] || fail "the promise's id changed on rescan: $fid -> $fid2"
verdicts > v2.txt
sed 's/^f1@corp.example broken due passed -$/f1@corp.example kept manual -/' v1.want > v2.want
diff -u v2.want v2.txt || fail "verdicts after the decision"
figures > f2.txt
# lateness now B and C only: the median is (190860 + 478800) / 2
cat > f2.want <<'WANT'
total 7 4 2 1 1 334830
Sales 2 1 1 0 0
  sam@corp.example 2 1 1 0 0
Support 5 3 1 1 1
  dana@corp.example 5 3 1 1 1
overdue c2@corp.example
WANT
diff -u f2.want f2.txt || fail "figures after the decision"
"$CASETRAIL" promise reopen "$fid" > reopen.out || fail "reopen"
verdicts > v3.txt
diff -u v1.want v3.txt || fail "verdicts after reopen"

# case show: the promise on the timeline with its verdict, and the Promises section
cid=$(sqlite3 s.db "select case_id from items where external_id = 'c2@corp.example'")
"$CASETRAIL" case show "$cid" --format json | python3 -c '
import json, sys
c = json.load(sys.stdin)
p = c["promises"]
assert len(p) == 1 and p[0]["verdict"] == "broken" and p[0]["how"] == "customer complaint", p
assert p[0]["due_local"] == "2026-03-04T12:00+01:00", p
' || fail "case show json"
"$CASETRAIL" case show "$cid" --format markdown > case.md
grep -q '^## Promises' case.md || fail "case show has no Promises section"
grep -q 'promise #[0-9]* due 2026-03-04T12:00 (broken)' case.md || fail "the timeline lacks the promise: $(cat case.md)"
grep -q 'breaks promise #[0-9]* (customer complaint)' case.md || fail "the timeline lacks the deciding item"
COLUMNS=200 "$CASETRAIL" case show "$cid" --format table > case.txt
grep -q 'promise #[0-9]* due 2026-03-04T12:00+01:00: broken (customer complaint)' case.txt ||
	fail "the terminal timeline lacks the promise: $(cat case.txt)"
grep -q 'breaks promise #[0-9]* (customer complaint)' case.txt || fail "the terminal timeline lacks the deciding item"
grep -q '^Promises:' case.txt || fail "the terminal timeline has no Promises list"

# the complaint report has a Promises section per department
"$CASETRAIL" report complaints $period --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
d = {x["department"]: x["promises"] for x in r["departments"]}
assert d["Support"]["made"] == 5 and d["Support"]["overdue_now"] == 1, d
assert [p["external_id"] for p in d["Support"]["overdue"]] == ["c2@corp.example"], d
' || fail "complaint report promises"
"$CASETRAIL" report complaints $period --format markdown | grep -q '^### Promises' || fail "complaint report markdown"

# report customers: a customer who dealt with two staff members on one case
msg support from="Ana <ana@acme.example>" subject="Re: Export broken" id=a4@acme.example in_reply_to=a3@corp.example \
	date="Fri, 06 Mar 2026 09:00:00 +0100" body="Another question about the export."
msg sales from="Sam <sam@corp.example>" to=ana@acme.example subject="Re: Export broken" id=a5@corp.example \
	in_reply_to=a4@acme.example date="Fri, 06 Mar 2026 10:00:00 +0100" body="Sales here, I can help with that."
"$CASETRAIL" -q ingest 2>ingest3.err || fail "third ingest: $(cat ingest3.err)"
"$CASETRAIL" report customers $period --min 1 --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
c = {x["customer"]: x["cases"] for x in r["customers"]}
assert list(c) == ["ana@acme.example"], list(c)
k = c["ana@acme.example"][0]
assert k["staff"] == ["dana@corp.example", "sam@corp.example"], k
assert k["departments"] == ["Support", "Sales"], k
assert [p["verdict"] for p in k["promises"]] == ["kept"], k
' || fail "report customers"
"$CASETRAIL" report customers $period --format json | python3 -c '
import json, sys
assert json.load(sys.stdin)["customers"] == []' || fail "report customers --min 2 lists someone"
# only the items of the period count: from 6 March on, Ana wrote to Support and only Sam answered
"$CASETRAIL" report customers --since 2026-03-06 --until 2026-03-10 --min 1 --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
k = r["customers"][0]["cases"][0]
assert k["staff"] == ["sam@corp.example"] and k["departments"] == ["Support", "Sales"], k
' || fail "report customers counts items before the period"
for f in table csv markdown html; do
	"$CASETRAIL" report customers $period --min 1 --format $f > rc.$f || fail "customers format $f"
done
grep -q 'ana@acme.example' rc.csv || fail "customers csv"

# a store written before the ledger (schema 3: no date_tz, no promise tables, items tagged by an older
# rule set): opening migrates it; its items' offsets are unknown (UTC) until their mail is read again
# (here: the mailboxes' seen state forgotten, as when an IMAP UIDVALIDITY changes and the folder is
# rescanned), and then classify finds the same promises
cp s.db old.db
sqlite3 old.db "DROP TABLE promise_decisions; DROP TABLE promise_kept; DROP TABLE promises;
	ALTER TABLE items DROP COLUMN date_tz; UPDATE items SET rules_hash = 'older'; PRAGMA user_version = 3"
"$CASETRAIL" -q --db old.db ingest 2>old.err || fail "ingest into the old store: $(cat old.err)"
[ "$(sqlite3 old.db 'PRAGMA user_version')" -ge 4 ] || fail "the old store was not migrated"
[ -z "$(sqlite3 old.db "select date_tz from items where external_id = 'b2@corp.example'")" ] ||
	fail "an old item has an offset nobody read"
sqlite3 old.db "DELETE FROM seen; DELETE FROM cursors"
"$CASETRAIL" -q --db old.db ingest 2>old.err || fail "reading the old store's mail again: $(cat old.err)"
[ "$(sqlite3 old.db "select date_tz from items where external_id = 'b2@corp.example'")" = -300 ] ||
	fail "reading the mail again did not store the Date offset"
"$CASETRAIL" --db old.db classify > old.out || fail "classify the old store"
sqlite3 old.db "select i.external_id || ' ' || p.due_at from promises p join items i on i.id = p.item_id order by 1" > old.txt
sqlite3 s.db "select i.external_id || ' ' || p.due_at from promises p join items i on i.id = p.item_id order by 1" > new.txt
diff -u new.txt old.txt || fail "the old store's promises differ"

# the bundled examples: three promises, all broken and overdue at the end of April 2025
(cd "$TOP/examples" && "$CASETRAIL" -q --db "$TMPDIR/ex.db" ingest) 2>ex.err || fail "examples ingest: $(cat ex.err)"
(cd "$TOP/examples" && "$CASETRAIL" --db "$TMPDIR/ex.db" report promises --since 2025-03-01 --until 2025-05-01 \
	--format json) | python3 -c '
import json, sys
r = json.load(sys.stdin)
t = r["total"]
assert (t["made"], t["kept"], t["broken"], t["open"], t["overdue_now"]) == (3, 0, 3, 0, 3), t
assert [p["department"] for p in r["overdue"]] == ["Support", "Accounts", "Sales"], r["overdue"]
assert r["overdue"][0]["sentence"] == "I promise it will be fixed by Friday.", r["overdue"][0]
' || fail "report promises on examples/"
echo "t22-promises: ok"
