#!/usr/bin/env python3
"""split.py SRC OUT - the fixed tuning/held-out split of a labelled source.

SRC is a labelled source in the realtext layout (eml/ and truth.json with
"items": {external_id: [categories]}). OUT/tune and OUT/held-out get the same
layout (eml/ as symbolic links, truth.json restricted to the part), so every
tool that reads the layout (casetrail rules masscheck --corpus, score.py
--eml/--truth) reads one part.

An item's part depends on its external_id alone, the same rule as
`casetrail rules masscheck --part` (seed 1, half held out):
    held out  <=>  first byte of SHA-256("casetrail-qa-1:" + external_id) < 128
so the split never changes when items are added, and is made once."""
import hashlib, json, os, re, sys


def part(external_id, seed=1):
    h = hashlib.sha256(f"casetrail-qa-{seed}:{external_id}".encode()).digest()
    return 'held-out' if h[0] < 128 else 'tune'


def message_id(path):
    with open(path, 'rb') as f:
        head = f.read(8192).split(b'\n\n', 1)[0].decode('utf-8', 'replace')
    m = re.search(r'^Message-ID:\s*<([^>]+)>', head, re.I | re.M)
    return m.group(1) if m else None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1:]
    truth = json.load(open(os.path.join(src, 'truth.json')))
    items = truth['items']
    counts = {}
    for p in ('tune', 'held-out'):
        os.makedirs(os.path.join(out, p, 'eml'), exist_ok=True)
    parts = {'tune': {}, 'held-out': {}}
    for name in sorted(os.listdir(os.path.join(src, 'eml'))):
        path = os.path.abspath(os.path.join(src, 'eml', name))
        mid = message_id(path)
        if mid is None or mid not in items:
            continue
        p = part(mid)
        link = os.path.join(out, p, 'eml', name)
        if not os.path.islink(link):
            os.symlink(path, link)
        parts[p][mid] = items[mid]
    for p, its in parts.items():
        t = dict(truth)
        t['items'] = its
        t['label_source'] = {k: v for k, v in truth.get('label_source', {}).items() if k in its}
        c = {}
        for cats in its.values():
            for cat in cats or ['none']:
                c[cat] = c.get(cat, 0) + 1
        t['counts'] = c
        counts[p] = c
        with open(os.path.join(out, p, 'truth.json'), 'w') as f:
            json.dump(t, f, indent=1)
    for p, c in counts.items():
        print(p, len(parts[p]), 'items', json.dumps(c, sort_keys=True))


if __name__ == '__main__':
    main()
