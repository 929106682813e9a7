#!/usr/bin/env python3
"""phrases.py [--casetrail BIN] [--rules FILE] FILE... - rule QA on sentence lists.

Each FILE holds one sentence per line:

    + staff    overpromise   I can promise you the fix ships on Thursday.
    - customer overpromise   Could you promise me a date?
    # a comment
    # departments: Billing, Field Engineering, Accounts Receivable

A "# departments:" line names departments of the writer's company: they go
into the corpus's casetrail.conf (as a real configuration names its own),
so that the rules know them as they would at that company.

'+' the sentence must get the category, '-' it must not; the sender is staff
(internal domain corp.example) or customer. The sentences become one mail
each in a temporary corpus (eml/, casetrail.conf, truth.json) that
`casetrail rules masscheck --corpus` reads; the output is its report, with
every false hit and miss. The lists in tests/qa/phrases/ are written by the
team in their own words, in many voices (formal, casual, terse, non-native,
German), to check that rules generalise past the sentences they were written
from.

--keep DIR writes that corpus to DIR and keeps it, so that
`casetrail rules fit --corpus DIR` can weigh the rules on these sentences too."""
import argparse, json, os, subprocess, sys, tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--casetrail', default=os.path.join(TOP, 'casetrail'))
    ap.add_argument('--rules', default=os.path.join(TOP, 'config', 'rules.conf'))
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--keep', metavar='DIR', help='write the corpus to DIR (for rules fit) and keep it')
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    items, cats, depts = {}, [], []
    with tempfile.TemporaryDirectory(prefix='casetrail-phrases.') as tmp:
        if a.keep:
            tmp = a.keep
        os.makedirs(os.path.join(tmp, 'eml'), exist_ok=True)
        n = 0
        for path in a.files:
            for lineno, line in enumerate(open(path, encoding='utf-8'), 1):
                line = line.strip()
                if line.lower().startswith('# departments:'):
                    depts += [d.strip() for d in line.split(':', 1)[1].split(',')
                              if d.strip() and d.strip() not in depts and d.strip() != 'Support']
                    continue
                if not line or line.startswith('#'):
                    continue
                try:
                    sign, who, cat, text = line.split(None, 3)
                    assert sign in '+-' and who in ('staff', 'customer')
                except (ValueError, AssertionError):
                    sys.exit(f'{path}:{lineno}: want "+|- staff|customer CATEGORY sentence"')
                n += 1
                mid = f'p{n}.{os.path.basename(path)}.{lineno}@phrases.example'
                frm = 'agent@corp.example' if who == 'staff' else 'someone@customer.example'
                with open(os.path.join(tmp, 'eml', f'{n:05d}.eml'), 'w', encoding='utf-8') as f:
                    f.write(f'From: {frm}\nTo: help@corp.example\nSubject: case {n}\n'
                            f'Message-ID: <{mid}>\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n'
                            f'Content-Type: text/plain; charset=utf-8\n\nHello,\n\n{text}\n\nRegards,\nSam\n')
                items[mid] = [cat] if sign == '+' else []
                if cat not in cats:
                    cats.append(cat)
        with open(os.path.join(tmp, 'truth.json'), 'w') as f:
            json.dump({'categories': cats, 'items': items}, f)
        with open(os.path.join(tmp, 'casetrail.conf'), 'w') as f:
            f.write(f'[organization]\ninternal_domains = corp.example\nrules = {os.path.abspath(a.rules)}\n'
                    f'[department Support]\naddresses = help@corp.example\n'
                    + ''.join(f'[department {d}]\naddresses = '
                              f'{"".join(c for c in d.lower() if c.isalnum()) or "dept"}@corp.example\n'
                              for d in depts) +
                    f'[source phrases]\ntype = eml\npath = eml\ndepartment = Support\n')
        cmd = [a.casetrail, 'rules', 'masscheck', '--rules', a.rules, '--corpus', tmp, '--samples', '1000']
        if a.json:
            cmd += ['--format', 'json']
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode:
            sys.exit(r.stderr or f'casetrail exit {r.returncode}')
        sys.stdout.write(r.stdout)


if __name__ == '__main__':
    main()
