#!/usr/bin/env python3
"""mail2corpus.py - a labelled corpus from a file of written mail.

    mail2corpus.py IN.jsonl OUTDIR [NAME=ADDRESS...]

IN.jsonl holds one mail per line, as the writers of tests/qa/fresh/mail-*.jsonl
wrote them (instructions: tests/qa/fresh/PROMPT-mail.md):

    {"sender": "customer"|"staff", "from_name", "from", "to", "subject",
     "tags": [...], "body": "..."}

OUTDIR gets what `casetrail rules masscheck --corpus OUTDIR` reads: a Maildir
per department (maildir/<dept>/cur), casetrail.conf (the company's domain as
internal, one department per shared address, one Maildir source each) and
truth.json (external id -> tags). The company's domain and departments come
from the mail itself: the domain of the staff senders, and every address at
it that customers wrote to; NAME=ADDRESS names the department of an address
(as the writer was told it), else it is named after the address. A customer's mail lands in the mailbox it was sent
to; a staff reply is copied (Cc) to a department mailbox, in turn.
"""
import email.policy
import email.utils
import json
import os
import re
import sys
from email.message import EmailMessage


def main():
    if len(sys.argv) < 3:
        sys.exit('usage: ' + __doc__.strip().splitlines()[2].strip())
    src, out = sys.argv[1], sys.argv[2]
    names = {}
    for a in sys.argv[3:]:
        if '=' not in a:
            sys.exit(f'not NAME=ADDRESS: {a}')
        n, addr = a.rsplit('=', 1)
        names[addr.strip().lower()] = n.strip()
    name = re.sub(r'^mail-|\.jsonl$', '', os.path.basename(src))
    mails = []
    with open(src, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                m = json.loads(line)
            except ValueError as e:
                sys.exit(f'{src}:{n}: not JSON: {e}')
            for k in ('sender', 'from', 'to', 'subject', 'tags', 'body'):
                if k not in m:
                    sys.exit(f'{src}:{n}: no "{k}"')
            mails.append(m)
    staff_domains = {m['from'].rsplit('@', 1)[1].lower() for m in mails if m['sender'] == 'staff'}
    if len(staff_domains) != 1:
        sys.exit(f'{src}: staff write from {len(staff_domains)} domains, expected one')
    domain = staff_domains.pop()
    depts = []   # shared addresses, in order of first use
    for m in mails:
        to = m['to'].lower()
        if m['sender'] == 'customer' and to.endswith('@' + domain) and to not in depts:
            depts.append(to)
    if not depts:
        sys.exit(f'{src}: no customer writes to an address at {domain}')
    label = lambda a: a.split('@')[0]
    dname = lambda a: names.get(a, label(a).capitalize())
    truth, turn = {}, 0
    for i, m in enumerate(mails):
        if m['sender'] == 'customer' and m['to'].lower() in depts:
            box = m['to'].lower()
        else:
            box = depts[turn % len(depts)]
            turn += 1
        msg = EmailMessage(policy=email.policy.SMTP)
        msg['From'] = email.utils.formataddr((m.get('from_name') or '', m['from']))
        msg['To'] = m['to']
        if box != m['to'].lower():
            msg['Cc'] = box
        msg['Subject'] = m['subject']
        msg['Date'] = email.utils.formatdate(1735725600 + i * 3600)
        mid = f'mail-{name}-{i + 1:04d}@fresh.example'
        msg['Message-ID'] = f'<{mid}>'
        msg.set_content(m['body'], charset='utf-8')
        d = os.path.join(out, 'maildir', label(box))
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        with open(os.path.join(d, 'cur', f'{1735725600 + i}.{i + 1}.fresh:2,S'), 'wb') as f:
            f.write(msg.as_bytes())
        truth[mid] = sorted(set(m['tags']))
    with open(os.path.join(out, 'truth.json'), 'w') as f:
        json.dump({'format': 'casetrail written mail', 'source': os.path.basename(src), 'items': truth}, f, indent=1)
    with open(os.path.join(out, 'casetrail.conf'), 'w') as f:
        f.write(f'; from {os.path.basename(src)} by tests/qa/mail2corpus.py\n\n[store]\npath = casetrail.db\n\n')
        f.write(f'[organization]\ninternal_domains = {domain}\n\n')
        for a in depts:
            f.write(f'[department {dname(a)}]\naddresses = {a}\n\n')
        for a in depts:
            f.write(f'[source {label(a)}-mailbox]\ntype = maildir\npath = maildir/{label(a)}\n'
                    f'department = {dname(a)}\n\n')
    print(f'{out}: {len(mails)} mails, {len(depts)} mailboxes, domain {domain}')


if __name__ == '__main__':
    main()
