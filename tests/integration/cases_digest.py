#!/usr/bin/env python3
"""cases_digest.py - `casetrail cases --format json` without its case numbers.

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


def main():
    data = json.load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    for line in digest(data):
        print(line)


if __name__ == "__main__":
    main()
