#!/usr/bin/env python3
"""A service with a database behind it, for tests/integration/t_examples_chaostoolkit.sh.

    chaos_service.py db READYFILE    the "database": listens on 127.0.0.1:5432 (the peer of
                                     db-refused in examples/gameday.conf), accepts connections
                                     and closes them; writes READYFILE once it listens. Exits 3
                                     when 5432 is taken.
    chaos_service.py web PORTFILE    the service: HTTP on a free loopback port, written to
                                     PORTFILE. GET /health connects to the database at
                                     127.0.0.1:5432 on every request and answers 200 "ok" when
                                     the connection is made, 503 "database: ERROR" when it is
                                     not. Every request is logged on stderr as "health STATUS".

Both stop by themselves after 60 s, so a test that goes wrong never leaves them behind.
"""
import http.server
import os
import socket
import sys
import threading

DB = ("127.0.0.1", 5432)


def write_file(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def database(ready):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind(DB)
    except OSError as e:
        print(f"127.0.0.1:5432 is taken: {e}", file=sys.stderr)
        sys.exit(3)
    srv.listen(64)
    write_file(ready, "listening\n")
    while True:
        conn, _ = srv.accept()
        conn.close()


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health":
            self.reply(404, "no such page\n")
            return
        try:
            socket.create_connection(DB, timeout=2).close()
        except OSError as e:
            self.reply(503, f"database: {e.strerror or e}\n")
        else:
            self.reply(200, "ok\n")

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print(f"health {status}", file=sys.stderr, flush=True)

    def log_message(self, *args):
        pass


def web(portfile):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    write_file(portfile, str(srv.server_address[1]))
    srv.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("db", "web"):
        sys.exit(__doc__)
    timer = threading.Timer(60, lambda: os._exit(0))
    timer.daemon = True     # an error in the main thread ends the program at once
    timer.start()
    (database if sys.argv[1] == "db" else web)(sys.argv[2])
