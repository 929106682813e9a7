#!/bin/sh
# t53-site.sh - casetrail site --out DIR over the bundled examples: the pages
# it promises are there, self-contained (no script, no external file), every
# link resolves to an existing file (and an #anchor to an element of it), every
# page renders in headless Chromium with visible text and without horizontal
# scroll or squeezed cells at 1200 and 390 px; a second run rewrites nothing,
# a page of a case that is gone is removed, and bad usage is exit 2.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"

CT() { "$CASETRAIL" -c "$TOP/examples/casetrail.conf" --db "$TMPDIR/ct.db" "$@"; }
CT ingest >ingest.out 2>&1 || fail "ingest: exit $?: $(tail -3 ingest.out)"

# Usage: --out is required; a bad date is exit 2.
rc=0; CT site >usage.out 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "site without --out: exit $rc"
grep -q -- '--out' usage.out || fail "site without --out does not say what is missing: $(cat usage.out)"
rc=0; CT site --out s --until 2025-13-01 >usage.out 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "site --until 2025-13-01: exit $rc"
CT site --help | grep -q 'complaints-DEPT-PERIOD.html' || fail "site --help does not list the pages"

CT site --out site --until 2025-04-01 >site.out 2>&1 || fail "site: exit $?: $(cat site.out)"
grep -q 'pages written' site.out || fail "site prints no summary: $(cat site.out)"
ncases=$(CT cases --format json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
for f in index.html audit.html cases.html complaints-all-week.html complaints-all-month.html \
	complaints-all-quarter.html complaints-all-year.html complaints-Billing-week.html \
	complaints-Sales-year.html; do
	[ -s "site/$f" ] || fail "site has no $f: $(ls site)"
done
[ "$(ls site/case-*.html | wc -l)" -eq "$ncases" ] || fail "$ncases cases, $(ls site/case-*.html | wc -l) case pages"
ls -a site | grep -q '\.tmp' && fail "temporary files left: $(ls -a site)"

# Links: relative, to files that exist; anchors to ids that exist; nothing external.
python3 - site <<'PY' || fail "site links"
import os, re, sys
from html.parser import HTMLParser
root = sys.argv[1]
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.links, self.ids, self.bad = [], set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a: self.ids.add(a["id"])
        if tag == "a" and "href" in a: self.links.append(a["href"])
        if tag in ("script", "link", "img", "iframe", "object", "embed"): self.bad.append(tag)
        if "src" in a: self.bad.append(f"{tag} src={a['src']}")
pages = {}
for f in sorted(os.listdir(root)):
    if f.endswith(".html"):
        p = P(); p.feed(open(os.path.join(root, f), encoding="utf-8").read()); pages[f] = p
errors, nlinks = [], 0
for f, p in pages.items():
    if p.bad: errors.append(f"{f}: not self-contained: {p.bad[:3]}")
    for href in p.links:
        nlinks += 1
        if re.match(r"[a-z]+:", href) or href.startswith("/"):
            errors.append(f"{f}: link {href!r} is not relative"); continue
        target, _, anchor = href.partition("#")
        target = target or f
        if target not in pages: errors.append(f"{f}: link {href!r}: no such file"); continue
        if anchor and anchor not in pages[target].ids: errors.append(f"{f}: link {href!r}: no id {anchor!r}")
# everything is reachable from the index
seen, todo = {"index.html"}, ["index.html"]
while todo:
    for href in pages[todo.pop()].links:
        t = href.partition("#")[0]
        if t in pages and t not in seen: seen.add(t); todo.append(t)
missing = sorted(set(pages) - seen)
if missing: errors.append(f"not reachable from index.html: {missing[:5]}")
if nlinks < len(pages) * 2: errors.append(f"only {nlinks} links in {len(pages)} pages")
for e in errors: print(e)
print(f"{len(pages)} pages, {nlinks} links checked")
sys.exit(1 if errors else 0)
PY
# A case page has the timeline, the evidence and the routing of its case.
grep -q '<h2>Timeline</h2>' site/case-1.html || fail "case-1.html has no timeline"
grep -q '<h2>Routing</h2>' site/case-1.html || fail "case-1.html has no routing"
grep -q 'data-label="evidence">“' site/case-1.html || fail "case-1.html shows no evidence"
# The audit and the reports link their case ids to the case pages.
grep -q 'href="case-1.html"' site/audit.html || fail "audit.html does not link case 1"
grep -q 'href="case-[0-9]*.html"' site/complaints-all-month.html || fail "the complaint report links no case"

# Every page renders: visible text, no horizontal scroll, nothing squeezed, at two widths.
command -v chromium >/dev/null 2>&1 || sh "$TOP/tests/deps.sh" chromium >/dev/null 2>&1 || true
if command -v chromium >/dev/null 2>&1; then
	for w in 1200 390; do
		python3 "$TOP/tests/integration/render_check.py" chromium "$TMPDIR" $w site/*.html >render-$w.out 2>&1 ||
			fail "site pages at $w px: $(grep -v '^ok' render-$w.out | head -5)"
		[ "$(grep -c '^ok' render-$w.out)" -eq "$(ls site/*.html | wc -l)" ] ||
			fail "not every page was measured at $w px: $(cat render-$w.out)"
	done
else
	[ "${CT_TEST_REQUIRE_SERVERS:-0}" = 1 ] && fail "chromium is required (CT_TEST_REQUIRE_SERVERS=1)"
	echo "note: chromium (Debian) is not installed: the pages were not rendered"
fi

# A second run over the same store rewrites nothing (the files keep their inode and time).
ls -li --time-style=full-iso site >before.ls
sleep 1
CT site --out site --until 2025-04-01 >site2.out 2>&1 || fail "second site run: $(cat site2.out)"
grep -q ' 0 pages written' site2.out || fail "second run rewrote pages: $(cat site2.out)"
ls -li --time-style=full-iso site >after.ls
cmp -s before.ls after.ls || fail "second run touched files: $(diff before.ls after.ls | head -5)"

# A page that changes is replaced by rename (a new inode), never written in place.
ino=$(ls -i site/index.html | cut -d' ' -f1)
CT site --out site --until 2025-04-02 >site3.out 2>&1 || fail "site --until 2025-04-02: $(cat site3.out)"
[ "$(ls -i site/index.html | cut -d' ' -f1)" != "$ino" ] || fail "index.html was rewritten in place"
grep -q '2025-04-02' site/index.html || fail "index.html does not show the new date"

# The page of a case that is gone is removed; other files are left alone.
echo stale >site/case-99999.html
echo mine >site/notes.txt
CT site --out site --until 2025-04-02 >site4.out 2>&1 || fail "site: $(cat site4.out)"
[ ! -e site/case-99999.html ] || fail "the page of a case that does not exist was kept"
[ -e site/notes.txt ] || fail "site removed a file it did not write"

# A directory that cannot be written is an error naming it, exit 1.
mkdir ro && chmod 555 ro
if [ ! -w ro ]; then
	rc=0; CT site --out ro/site >ro.out 2>&1 || rc=$?
	[ $rc -eq 1 ] || fail "site into a read-only directory: exit $rc"
	grep -q 'ro/site' ro.out || fail "the error does not name the directory: $(cat ro.out)"
fi
true
