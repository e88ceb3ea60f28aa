#!/usr/bin/env python3
"""Loopback servers for the integration tests (started by lib.sh, never under the shim).

  server.py http DIR PORTFILE     serve DIR over HTTP on 127.0.0.1
  server.py listen PORTFILE       accept TCP connections on 127.0.0.1, read each until EOF

Each binds port 0 (the kernel picks a free port: no race with other tests), starts listening,
and only then writes the port number to PORTFILE (atomically, via a rename), so that a test
that sees the file knows the server accepts connections.
"""
import functools
import http.server
import os
import socket
import sys
import threading


def publish(port, portfile):
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.rename(tmp, portfile)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass


def serve_http(directory, portfile):
    handler = functools.partial(QuietHandler, directory=directory)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    publish(httpd.server_address[1], portfile)
    httpd.serve_forever()


def drain(conn):
    with conn:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass


def serve_listen(portfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    publish(s.getsockname()[1], portfile)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=drain, args=(conn,), daemon=True).start()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "http":
        serve_http(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "listen":
        serve_listen(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
