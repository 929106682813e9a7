#!/usr/bin/env python3
"""gen_report_store.py DB [ITEMS] - fills a casetrail store (schema of
store/migrate.c, created beforehand by casetrail itself; its rows are replaced) with ITEMS items
(default 1,000,000) in cases of 5 items over two years, about 6% of them
tagged, with routing events where consecutive items change department.
Deterministic (fixed seed), so runs are comparable."""
import json, random, sqlite3, sys

db, n_items = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rnd = random.Random(42)
DEPTS = ["Sales", "Billing", "Support", "Accounts"]
CATS = [("overpromise", "sales.promised"), ("billing_dispute", "billing.charged-twice"),
        ("handoff", "handoff.over-to-you"), ("cancellation_threat", "churn.cancel")]
START, SPAN = 1_700_000_000, 2 * 365 * 86400
PER_CASE = 5
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=OFF"); con.execute("PRAGMA synchronous=OFF")
for t in ("tags", "routing_events", "item_mailboxes", "item_refs", "case_merges", "items", "cases"):
    con.execute(f"DELETE FROM {t}")
items, tags, cases, routes = [], [], [], []
iid = tid = rid = 0
n_cases = n_items // PER_CASE
for cid in range(1, n_cases + 1):
    opened = START + rnd.randrange(SPAN)
    customer = f"cust{rnd.randrange(n_cases // 3)}@example.net"
    t, dept, trail, seq = opened, rnd.choice(DEPTS), [], 0
    role = 1
    for k in range(PER_CASE):
        iid += 1
        if k and rnd.random() < 0.25:
            new = rnd.choice(DEPTS)
            if new != dept:
                seq += 1; rid += 1
                routes.append((rid, cid, seq, t, dept, new, "email", f"staff{rnd.randrange(300)}@corp.example", iid, 0))
                dept = new
        if not trail or trail[-1] != dept:
            trail.append(dept)
        role = 1 if k % 2 == 0 else 2
        frm = customer if role == 1 else f"staff{rnd.randrange(300)}@corp.example"
        body = "Hello, this is message %d of case %d. You charged us twice." % (k, cid)
        items.append((iid, 0, f"m{iid}@gen.example", f"Case {cid}", frm, role, t, body, dept, cid))
        if rnd.random() < 0.06:
            cat, rule = rnd.choice(CATS)
            tid += 1
            tags.append((tid, iid, cat, rule, 38, 58, "You charged us twice"))
        t += rnd.randrange(600, 3 * 86400)
    closed = t if rnd.random() < 0.6 else None
    ping = int(len(set(trail)) < len(trail))
    cases.append((cid, f"Case {cid}", customer, opened, t, role, closed, json.dumps(trail), trail[0], trail[-1],
                  len(trail) - 1, ping, PER_CASE))
    if len(items) >= 100_000:
        con.executemany("INSERT INTO items(id, kind, external_id, subject, from_addr, role, date, body, department, case_id) VALUES (?,?,?,?,?,?,?,?,?,?)", items)
        items.clear()
con.executemany("INSERT INTO items(id, kind, external_id, subject, from_addr, role, date, body, department, case_id) VALUES (?,?,?,?,?,?,?,?,?,?)", items)
con.executemany("INSERT INTO cases(id, subject, customer, opened_at, last_activity_at, last_role, closed_at, trail, first_department, last_department, handoffs, ping_pong, item_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", cases)
con.executemany("INSERT INTO tags(id, item_id, category, rule_id, span_start, span_end, snippet) VALUES (?,?,?,?,?,?,?)", tags)
con.executemany("INSERT INTO routing_events(id, case_id, seq, at, from_department, to_department, via, actor, item_id, observed) VALUES (?,?,?,?,?,?,?,?,?,?)", routes)
con.commit()
con.execute("ANALYZE")
con.close()
print(f"{iid} items, {n_cases} cases, {tid} tags, {rid} routing events")
