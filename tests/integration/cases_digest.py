#!/usr/bin/env python3
"""cases_digest.py - `casetrail cases --format json` without its case numbers.

With --audit, `casetrail audit handoffs --format json` instead: every case
with its routing, holds and decisions, the matrix and the resolution table,
with case and item numbers left out and the cases in a fixed order.

Prints one line per case: its items (external ids, sorted) with each item's
department and tags, then the case's departments in routing order, handoffs,
ping-pong, state and tag counts. Two stores that built the same cases from
the same mail print the same lines in the same order, however the cases were
numbered (several workers number them in the order they happen to commit).
"""
import json
import sys


def digest(cases):
    lines = []
    for c in cases:
        items = sorted(
            "%s@%s[%s]" % (i["external_id"], i.get("department") or "-", ",".join(sorted(i.get("tags") or [])))
            for i in c["items"])
        lines.append(" ".join(items) + " | " + " > ".join(c.get("departments") or [])
                     + " | handoffs=%s ping_pong=%s state=%s close=%s tags=%s" % (
                         c.get("handoffs"), c.get("ping_pong"), c.get("state"), c.get("close_reason"),
                         json.dumps(c.get("tags"), sort_keys=True)))
    return sorted(lines)


NUMBERS = {"id", "item_id", "case_id", "follow_up_of", "merged_into", "case"}


def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in NUMBERS}
    if isinstance(v, list):
        items = [strip(x) for x in v]
        if items and all(isinstance(x, dict) for x in items):
            items.sort(key=lambda x: json.dumps(x, sort_keys=True))
        return items
    return v


def main():
    args = [a for a in sys.argv[1:] if a != "--audit"]
    data = json.load(open(args[0]) if args else sys.stdin)
    if "--audit" in sys.argv[1:]:
        data.pop("until", None)
        print(json.dumps(strip(data), sort_keys=True, indent=1))
        return
    for line in digest(data):
        print(line)


if __name__ == "__main__":
    main()
