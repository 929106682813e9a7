#!/usr/bin/env python3
"""gen_tickets.py N OUT - N tickets as JSONL events (ingest/TICKETS.md):
each ticket is created in a group, gets 1-3 comments, and half of them move
to another group once. Deterministic."""
import json, random, sys

n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(5)
groups = ["Support", "Support Tier 2", "Billing", "Onboarding", "Account Management"]
phrases = ["We were charged twice for March.", "Your rep told me the export would be included.",
           "Thanks, I'm transferring you to our Billing team.", "The dashboard is slow again.",
           "Could you send the invoice again?", "This is the third time I write about this."]
base = 1711929600  # 2024-04-01
with open(out, "w") as f:
    for t in range(1, n + 1):
        at = base + t * 37
        g = rnd.choice(groups)
        cust = "c%d@customer%d.example" % (t % 5000, t % 977)
        def ev(**kw):
            f.write(json.dumps(kw, separators=(",", ":")) + "\n")
        iso = lambda s: __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(s))
        ev(type="ticket_created", system="bench", ticket=str(t), id="1", at=iso(at), group=g,
           author=cust, author_role="customer", subject="Ticket %d about %s" % (t, rnd.choice(["invoice", "export", "login", "seats"])),
           body=rnd.choice(phrases), status="open")
        for c in range(rnd.randint(1, 3)):
            at += 600
            ev(type="comment", system="bench", ticket=str(t), id=str(2 + c), at=iso(at), group=g,
               author="agent%d@corp.example" % (t % 40), author_role="staff", body=rnd.choice(phrases), status="pending")
        if t % 2 == 0:
            at += 300
            g2 = rnd.choice([x for x in groups if x != g])
            ev(type="group_change", system="bench", ticket=str(t), id="9", at=iso(at), from_group=g, group=g2,
               author="agent%d@corp.example" % (t % 40), author_role="staff", status="open")
