#!/usr/bin/env python3
"""Demo service: a tiny line-based key-value store on 127.0.0.1.

    service.py PORTFILE [LIFETIME]
                             listens on a free loopback port and writes it to PORTFILE

Requests, one line each: "SET key value" -> "OK", "GET key" -> the value or "NONE".
Stops by itself after LIFETIME seconds (default 60), so a demo that goes wrong never leaves it
behind.
"""
import socket, sys, threading, time

store = {}

def serve(conn):
    with conn, conn.makefile("rwb") as f:
        for line in f:
            parts = line.decode().split()
            if len(parts) == 3 and parts[0] == "SET":
                store[parts[1]] = parts[2]; reply = "OK"
            elif len(parts) == 2 and parts[0] == "GET":
                reply = store.get(parts[1], "NONE")
            else:
                reply = "ERR"
            f.write((reply + "\n").encode()); f.flush()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(sys.argv[1] + ".tmp", "w") as p:
    p.write(str(srv.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(float(sys.argv[2]) if len(sys.argv) > 2 else 60, lambda: os._exit(0)).start()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
