#!/usr/bin/env python3
"""Demo client: stores N keys in the demo service and reads them back, one connection per
request, retrying a failed request up to R times (default 3, 50 ms apart).

    client.py [--retries R] PORT [N]
                             prints one line per failure and a result line; exit 0 when every
                             key read back right, 1 otherwise
"""
import socket, sys, time

args = sys.argv[1:]
max_retries = 3
if args[:1] == ["--retries"]:
    max_retries, args = int(args[1]), args[2:]
port, n = int(args[0]), int(args[1]) if len(args) > 1 else 5
retries = failures = 0

def request(line):
    global retries
    for attempt in range(max_retries + 1):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall((line + "\n").encode())
                reply = s.makefile("rb").readline().decode().strip()
                if reply:
                    return reply
                raise OSError("empty reply")
        except OSError as e:
            print(f"client: {line!r} attempt {attempt + 1} failed: {e}", flush=True)
            if attempt < max_retries:
                retries += 1
                time.sleep(0.05)
    return None

good = 0
for i in range(n):
    if request(f"SET k{i} v{i}") == "OK" and request(f"GET k{i}") == f"v{i}":
        good += 1
print(f"client: {good}/{n} keys stored and read back, {retries} retries", flush=True)
sys.exit(0 if good == n else 1)
