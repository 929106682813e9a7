#!/usr/bin/env python3
"""Accuracy of casetrail against a labelled corpus.

A corpus directory holds casetrail.conf (its sources: Maildirs, helpdesk exports) and truth.json
(format casetrail-truth/1: items with their case, department, mailboxes and tags; cases with
their department trail, handoffs and ping-pong).  The corpus is ingested into a temporary store,
`cases --format json` (and `case show ID --format json` for the routing events) is read back and
compared with the truth:

  - case grouping: pairwise precision/recall/F1 over pairs of items in the same case, email items
    only, then with ticket items too.  A ticket comment that carries `same_as` (it was created from
    a mail) may be stored merged into that mail or on its own: an item stored once satisfies both.
  - routing: each truth case is matched to the stored case holding most of its items; the
    trail (`departments`) must be equal; handoff count and ping-pong agreement; routing events
    (from, to, via) equal.
  - dedupe: every truth email stored exactly once, no stored email that the truth lacks, and the
    list of mailboxes equal to the truth's `mailboxes`.
  - department per item, and per-category item-level precision/recall/F1.

Usage: tests/accuracy.py --casetrail ./casetrail --corpus DIR [--json] [--keep-db PATH]
Exit status 0 whatever the figures (PASS/FAIL is printed); 2 on bad usage or when casetrail
itself cannot be run.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

TARGETS = {
    "case_f1": 0.97,
    "routing_exact": 0.95,
    "category_f1": 0.92,
}
TARGET_CATEGORIES = ("overpromise", "billing_dispute", "handoff")


def die(msg):
    print("accuracy: " + msg, file=sys.stderr)
    sys.exit(2)


def run(cmd, cwd, want_json=False):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        die("cannot run %s: %s" % (cmd[0], e))
    if want_json:
        if p.returncode not in (0, 1):
            die("%s failed (exit %d): %s" % (" ".join(cmd), p.returncode,
                                              p.stderr.decode("utf-8", "replace")[-2000:]))
        try:
            return json.loads(p.stdout.decode("utf-8"))
        except ValueError as e:
            die("%s: output is not JSON (%s)" % (" ".join(cmd), e))
    return p


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def pairwise(truth_case, pred_case):
    """truth_case, pred_case: dict item -> label (pred label None = not stored)."""
    # Pairs counted through group sizes: same-truth pairs, same-pred pairs, and both.
    def pairs(groups):
        return sum(n * (n - 1) // 2 for n in groups.values())
    tgroups = collections.Counter(truth_case.values())
    pgroups = collections.Counter(v for v in pred_case.values() if v is not None)
    both = collections.Counter((truth_case[i], pred_case[i]) for i in truth_case
                               if pred_case.get(i) is not None)
    tp = pairs(both)
    t_pairs = pairs(tgroups)
    p_pairs = pairs(pgroups)
    return prf(tp, p_pairs - tp, t_pairs - tp)


def main():
    ap = argparse.ArgumentParser(description="casetrail accuracy against a labelled corpus")
    ap.add_argument("--casetrail", default="./casetrail")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--keep-db", help="ingest into this store and keep it")
    ap.add_argument("--db", help="ingest into this store (a new file, or an empty PostgreSQL"
                    " database: postgresql://...) and keep it")
    ap.add_argument("--no-routing-events", action="store_true",
                    help="skip 'case show' per case (faster on big corpora)")
    a = ap.parse_args()

    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = os.path.abspath(a.casetrail)
    corpus = os.path.abspath(a.corpus)
    conf = os.path.join(corpus, "casetrail.conf")
    tpath = os.path.join(corpus, "truth.json")
    for f in (exe, conf, tpath):
        if not os.path.exists(f):
            die("%s: not found" % f)
    with open(tpath, encoding="utf-8") as fh:
        truth = json.load(fh)

    tmp = tempfile.mkdtemp(prefix="ct-accuracy.")
    try:
        if a.db:
            db = a.db if "://" in a.db else os.path.abspath(a.db)
        else:
            db = os.path.abspath(a.keep_db) if a.keep_db else os.path.join(tmp, "store.db")
        # Run from the checkout so that the default rule set (config/rules.conf) is found when
        # the corpus configuration names none.
        p = run([exe, "-c", conf, "--db", db, "ingest"], cwd=top)
        ingest_err = p.stderr.decode("utf-8", "replace")
        if p.returncode not in (0, 1):
            die("ingest failed (exit %d):\n%s" % (p.returncode, ingest_err[-3000:]))
        summary = [l for l in ingest_err.splitlines() if l.startswith("ingest:")]
        cases = run([exe, "--db", db, "cases", "--format", "json"], cwd=top, want_json=True)
        res = evaluate(truth, cases, exe, db, top, not a.no_routing_events)
        res["ingest_exit"] = p.returncode
        res["ingest_summary"] = summary[-1] if summary else None
        res["ingest_errors"] = [l for l in ingest_err.splitlines() if "error" in l][:10]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if a.json:
        json.dump(res, sys.stdout, indent=1, sort_keys=True)
        print()
    else:
        show(res)
    return 0


def evaluate(truth, cases, exe, db, top, with_routing):
    titems = truth["items"]
    tby = {i["external_id"]: i for i in titems}

    # Stored items: external id -> (case id, item); count copies to see duplicates.
    stored = {}
    copies = collections.Counter()
    case_by_id = {}
    for c in cases:
        case_by_id[c["id"]] = c
        for it in c.get("items", []):
            copies[it["external_id"]] += 1
            stored[it["external_id"]] = (c["id"], it)

    def locate(tid):
        """The stored item that stands for truth item tid (its own or the mail it was made from)."""
        if tid in stored:
            return stored[tid]
        same = tby[tid].get("same_as")
        if same and same in stored:
            return stored[same]
        return None

    res = {"corpus_cases": len(truth["cases"]), "stored_cases": len(cases),
           "truth_items": len(titems), "stored_items": sum(copies.values())}

    # Case grouping.
    for label, kinds in (("email", ("email",)), ("all", ("email", "ticket"))):
        tc, pc = {}, {}
        for i in titems:
            if i["kind"] not in kinds:
                continue
            tc[i["external_id"]] = i["case"]
            loc = locate(i["external_id"])
            pc[i["external_id"]] = loc[0] if loc else None
        res["case_grouping_" + label] = pairwise(tc, pc)
        res["case_grouping_" + label]["items_missing"] = sum(1 for v in pc.values() if v is None)

    # Routing: match every truth case to the stored case with most of its items.
    exact = hc = pp = ev = ev_n = 0
    mail_exact = mail_n = 0
    mism = []
    for tcase in truth["cases"]:
        mail_only = all(tby[t]["kind"] == "email" for t in tcase["items"] if t in tby)
        mail_n += mail_only
        votes = collections.Counter()
        for tid in tcase["items"]:
            loc = locate(tid)
            if loc:
                votes[loc[0]] += 1
        if not votes:
            mism.append({"case": tcase["key"], "truth": tcase["departments"], "got": None,
                         "scenario": tcase.get("scenario")})
            ev_n += 1
            continue
        cid = votes.most_common(1)[0][0]
        c = case_by_id[cid]
        if c.get("departments") == tcase["departments"]:
            exact += 1
            mail_exact += mail_only
        else:
            mism.append({"case": tcase["key"], "stored": cid, "truth": tcase["departments"],
                         "got": c.get("departments"), "scenario": tcase.get("scenario")})
        hc += c.get("handoffs") == tcase["handoffs"]
        pp += bool(c.get("ping_pong")) == bool(tcase["ping_pong"])
        if with_routing:
            show = run([exe, "--db", db, "case", "show", str(cid), "--format", "json"],
                       cwd=top, want_json=True)
            if isinstance(show, list):
                show = show[0] if show else {}
            got = [(r.get("from_department"), r.get("to_department"), r.get("via"))
                   for r in show.get("routing", [])]
            want = [(r["from_department"], r["to_department"], r["via"])
                    for r in tcase.get("routing", [])]
            ev_n += 1
            ev += got == want
    n = len(truth["cases"]) or 1
    res["routing"] = {"exact": exact / n, "exact_email_cases": mail_exact / (mail_n or 1),
                      "email_cases": mail_n, "handoff_count": hc / n, "ping_pong": pp / n,
                      "cases": len(truth["cases"]), "mismatches": mism[:20],
                      "n_mismatches": len(mism)}
    if with_routing:
        res["routing"]["events_exact"] = ev / (ev_n or 1)

    # Dedupe: every truth email stored exactly once, with the truth's mailboxes; nothing extra.
    temails = [i for i in titems if i["kind"] == "email"]
    missing = [i["external_id"] for i in temails if copies[i["external_id"]] == 0]
    dup = [i["external_id"] for i in temails if copies[i["external_id"]] > 1]
    known = set(tby)
    extra = [x for x, it in ((x, stored[x][1]) for x in stored)
             if x not in known and it.get("kind") == "email"]
    extra_tickets = [x for x, it in ((x, stored[x][1]) for x in stored)
                     if x not in known and it.get("kind") != "email"]
    mbox_bad = []
    for i in temails:
        loc = stored.get(i["external_id"])
        if not loc or "mailboxes" not in i:
            continue
        got = loc[1].get("mailboxes")
        if got is None or sorted(got) != sorted(i["mailboxes"]):
            mbox_bad.append({"id": i["external_id"], "truth": i["mailboxes"], "got": got})
    res["dedupe"] = {"exact": not (missing or dup or extra or mbox_bad),
                     "missing": len(missing), "duplicated": len(dup), "extra": len(extra),
                     "extra_ticket_items": len(extra_tickets),
                     "mailboxes_wrong": len(mbox_bad),
                     "examples": {"missing": missing[:5], "duplicated": dup[:5],
                                  "extra": extra[:5], "mailboxes": mbox_bad[:5]}}

    # Department per item.
    dep_ok = dep_n = 0
    dep_bad = []
    for i in titems:
        if "department" not in i:
            continue
        loc = stored.get(i["external_id"])
        if not loc:
            continue
        dep_n += 1
        if loc[1].get("department") == i["department"]:
            dep_ok += 1
        else:
            dep_bad.append({"id": i["external_id"], "truth": i["department"],
                            "got": loc[1].get("department")})
    res["department"] = {"accuracy": dep_ok / (dep_n or 1), "items": dep_n,
                         "examples": dep_bad[:5]}

    # Tags per category, item level.  An item merged with its same_as mail is judged once,
    # on the union of the truth tags of both.
    cats = list(truth.get("categories", []))
    for i in titems:
        for t in i.get("tags", []):
            if t not in cats:
                cats.append(t)
    res["categories"] = tag_scores(titems, cats, locate, stored, extra + extra_tickets)
    res["categories_email"] = tag_scores([i for i in titems if i["kind"] == "email"], cats,
                                         locate, stored, extra)

    res["pass"] = {
        "case_f1_email": res["case_grouping_email"]["f1"] >= TARGETS["case_f1"],
        "case_f1_all": res["case_grouping_all"]["f1"] >= TARGETS["case_f1"],
        "routing_exact": res["routing"]["exact"] >= TARGETS["routing_exact"],
        "dedupe_exact": res["dedupe"]["exact"],
    }
    for cat in TARGET_CATEGORIES:
        if cat in res["categories"]:
            res["pass"]["f1_" + cat] = res["categories"][cat]["f1"] >= TARGETS["category_f1"]
    return res


def tag_scores(titems, cats, locate, stored, extra):
    judged = {}  # stored external id -> (truth tag set, stored tag set)
    for i in titems:
        loc = locate(i["external_id"])
        key = loc[1]["external_id"] if loc else "missing:" + i["external_id"]
        want = set(i.get("tags", []))
        got = set(loc[1].get("tags", [])) if loc else set()
        if key in judged:
            judged[key][0].update(want)
        else:
            judged[key] = (want, got)
    for x in extra:
        judged.setdefault(x, (set(), set(stored[x][1].get("tags", []))))
    per = {}
    for cat in cats:
        tp = fp = fn = 0
        missed, wrong = [], []
        for key, (want, got) in judged.items():
            tp += cat in want and cat in got
            if cat not in want and cat in got:
                fp += 1
                wrong.append(key)
            if cat in want and cat not in got:
                fn += 1
                missed.append(key)
        per[cat] = prf(tp, fp, fn)
        per[cat]["missed"] = sorted(missed)[:10]
        per[cat]["false"] = sorted(wrong)[:10]
    return per


def show(res):
    def verdict(ok):
        return "PASS" if ok else "FAIL"
    ok = res["pass"]
    print("corpus: %d cases, %d items; stored: %d cases, %d items"
          % (res["corpus_cases"], res["truth_items"], res["stored_cases"], res["stored_items"]))
    if res.get("ingest_summary"):
        print("  " + res["ingest_summary"])
    for l in res.get("ingest_errors", []):
        print("  " + l)
    print()
    for label, key in (("emails", "case_grouping_email"), ("emails+tickets", "case_grouping_all")):
        g = res[key]
        print("case grouping (%s): precision %.4f recall %.4f F1 %.4f  (%d items not stored)  %s"
              % (label, g["precision"], g["recall"], g["f1"], g["items_missing"],
                 verdict(ok["case_f1_email" if label == "emails" else "case_f1_all"])))
    r = res["routing"]
    print("routing trail exact: %.4f (%d of %d cases differ)  %s"
          % (r["exact"], r["n_mismatches"], r["cases"], verdict(ok["routing_exact"])))
    print("  over the %d cases without ticket items: %.4f"
          % (r["email_cases"], r["exact_email_cases"]))
    print("  handoff count agreement %.4f, ping-pong agreement %.4f%s"
          % (r["handoff_count"], r["ping_pong"],
             ", routing events exact %.4f" % r["events_exact"] if "events_exact" in r else ""))
    for m in r["mismatches"][:8]:
        print("    %s (%s): truth %s, stored case %s has %s"
              % (m["case"], m.get("scenario"), " > ".join(m["truth"]), m.get("stored"),
                 " > ".join(m["got"]) if m["got"] else "nothing"))
    d = res["dedupe"]
    print("dedupe: %s (missing %d, duplicated %d, extra %d, mailboxes wrong %d)  %s"
          % ("exact" if d["exact"] else "not exact", d["missing"], d["duplicated"], d["extra"],
             d["mailboxes_wrong"], verdict(ok["dedupe_exact"])))
    for k, v in d["examples"].items():
        for x in v[:3]:
            print("    %s: %s" % (k, x))
    dp = res["department"]
    print("department per item: %.4f over %d items" % (dp["accuracy"], dp["items"]))
    for x in dp["examples"][:3]:
        print("    %s: truth %s, got %s" % (x["id"], x["truth"], x["got"]))
    print("tags (item level):")
    for cat, m in res["categories"].items():
        mark = ""
        if "f1_" + cat in ok:
            mark = "  " + verdict(ok["f1_" + cat])
        print("  %-20s precision %.4f recall %.4f F1 %.4f (tp %d fp %d fn %d)%s"
              % (cat, m["precision"], m["recall"], m["f1"], m["tp"], m["fp"], m["fn"], mark))
        for what in ("missed", "false"):
            if m[what]:
                print("      %s: %s%s" % (what, ", ".join(m[what][:3]),
                                          " …" if len(m[what]) > 3 else ""))
    print("tags on email items only:")
    for cat, m in res["categories_email"].items():
        print("  %-20s precision %.4f recall %.4f F1 %.4f (tp %d fp %d fn %d)"
              % (cat, m["precision"], m["recall"], m["f1"], m["tp"], m["fp"], m["fn"]))
    print()
    print("overall: %s" % verdict(all(ok.values())))


if __name__ == "__main__":
    sys.exit(main())
