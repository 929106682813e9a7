#!/usr/bin/env python3
"""dead_server.py PORTFILE MODE - a server on 127.0.0.1 that is there and
does not serve, for the dead-server integration tests. It listens on a free
port, writes the port to PORTFILE and serves every connection the same way:

  silent      accept, then never send or read anything (a half-open peer)
  imap-greet  send an IMAP greeting, then never read or answer again
  pop3-greet  send a POP3 greeting, then never read or answer again
  smtp-greet  send an SMTP greeting, then never read or answer again

Connections are held open until the process is killed. Each accepted
connection is logged to PORTFILE.log ("MODE accepted"), so a test can count
attempts.
"""
import socket, sys, time

portfile, mode = sys.argv[1], sys.argv[2]
greetings = {
    "silent": b"",
    "imap-greet": b"* OK [CAPABILITY IMAP4rev1] ready\r\n",
    "pop3-greet": b"+OK ready\r\n",
    "smtp-greet": b"220 dead.example ESMTP ready\r\n",
}
if mode not in greetings:
    sys.exit("dead_server.py: unknown mode %r" % mode)

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
import os
os.rename(portfile + ".tmp", portfile)

held = []
while True:
    conn, _ = srv.accept()
    # Small buffers: a client that keeps writing soon finds no room.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    if greetings[mode]:
        conn.sendall(greetings[mode])
    held.append(conn)
    with open(portfile + ".log", "a") as f:
        f.write("%s accepted\n" % mode)
