#!/usr/bin/env python3
"""helpdesk_server.py PORTFILE DATADIR - a local stand-in for the Zendesk and
Freshdesk REST APIs, replaying their documented response shapes from the
JSON files in DATADIR, for the integration tests.

Zendesk (/api/v2): groups.json, users.json, incremental/tickets/cursor.json
(cursor paging: two tickets a page, after_cursor/end_of_stream),
tickets/ID/audits.json (cursor paging: meta.has_more, links.next) and
tickets/ID/comments.json (next_page). Freshdesk (/api/v2): groups,
tickets?updated_since=... (page/per_page), tickets/ID/conversations.

Faults, from DATADIR/faults.json, consumed once each:
  "429": path prefix -> answer 429 with Retry-After: 1 once
  "500": path prefix -> answer 500 once
  "malformed": path prefix -> answer a page that is not JSON (every time)
Every request is appended to DATADIR/requests.log ("METHOD PATH AUTH").
The bound port is written to PORTFILE.
"""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

portfile, datadir = sys.argv[1], sys.argv[2]
lock = threading.Lock()


def load(name, default):
    p = os.path.join(datadir, name)
    return json.load(open(p)) if os.path.exists(p) else default


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, obj, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def fault(self, path):
        with lock:
            faults = load("faults.json", {})
            for kind in ("429", "500"):
                pre = faults.get(kind)
                if pre and path.startswith(pre):
                    del faults[kind]
                    json.dump(faults, open(os.path.join(datadir, "faults.json"), "w"))
                    if kind == "429":
                        self.send(429, {"error": "rate limited"}, {"Retry-After": "1"})
                    else:
                        self.send(500, {"error": "internal"})
                    return True
            pre = faults.get("malformed")
            if pre and path.startswith(pre):
                self.send(200, None, raw=b'{"tickets": [ this is not json')
                return True
        return False

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        with lock:
            open(os.path.join(datadir, "requests.log"), "a").write(
                "GET %s %s\n" % (self.path, self.headers.get("Authorization", "-")))
        auth = self.headers.get("Authorization", "")
        if auth != load("auth.json", {}).get("expect", auth):
            return self.send(401, {"error": "Couldn't authenticate you"})
        if self.fault(u.path):
            return
        base = "http://%s/api/v2" % self.headers.get("Host")
        p = u.path
        z = load("zendesk.json", None)
        f = load("freshdesk.json", None)
        if z is not None:
            if p == "/api/v2/groups.json":
                return self.send(200, {"groups": z["groups"], "next_page": None})
            if p == "/api/v2/users.json":
                return self.send(200, {"users": z["users"], "next_page": None})
            if p == "/api/v2/incremental/tickets/cursor.json":
                tickets = sorted(z["tickets"], key=lambda t: t["id"])
                start = int(q.get("cursor", "0")) if "cursor" in q else 0
                page = tickets[start:start + 2]
                nxt = start + len(page)
                return self.send(200, {"tickets": [{k: v for k, v in t.items() if k not in ("audits", "comments")} for t in page],
                                       "after_cursor": str(nxt), "before_cursor": str(start),
                                       "after_url": "%s/incremental/tickets/cursor.json?cursor=%d" % (base, nxt),
                                       "end_of_stream": nxt >= len(tickets)})
            parts = p.split("/")
            if len(parts) == 6 and parts[3] == "tickets":
                t = [t for t in z["tickets"] if str(t["id"]) == parts[4]]
                if not t:
                    return self.send(404, {"error": "RecordNotFound"})
                t = t[0]
                if parts[5] == "audits.json":
                    audits = t.get("audits", [])
                    after = int(q.get("page[after]", "0"))
                    page = audits[after:after + 1]
                    more = after + 1 < len(audits)
                    return self.send(200, {"audits": page, "meta": {"has_more": more},
                                           "links": {"next": "%s/tickets/%s/audits.json?page[size]=1&page[after]=%d" % (base, parts[4], after + 1) if more else None}})
                if parts[5] == "comments.json":
                    return self.send(200, {"comments": t.get("comments", []), "next_page": None})
        if f is not None:
            if p == "/api/v2/groups":
                return self.send(200, f["groups"])
            if p == "/api/v2/tickets":
                since = q.get("updated_since", "")
                per = int(q.get("per_page", "30"))
                page = int(q.get("page", "1"))
                ts = sorted([t for t in f["tickets"] if t["updated_at"] >= since], key=lambda t: t["updated_at"])
                return self.send(200, ts[(page - 1) * per:page * per])
            parts = p.split("/")
            if len(parts) == 6 and parts[3] == "tickets" and parts[5] == "conversations":
                return self.send(200, f.get("conversations", {}).get(parts[4], []))
        self.send(404, {"error": "not found", "path": p})


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(srv.server_address[1]))
srv.serve_forever()
