#!/usr/bin/env bash
# partial = "50%" or a byte count: short reads and writes, only where the kernel could make them
# (PRELOAD.md, "Injecting faithfully"). python's sendall of 1 MB over loopback TCP, halved on
# every send, still delivers every byte (the receiver's sha256 equals the sender's); a single
# write or send of 100 bytes on a stream socket returns 50; writev/readv/sendmsg come back
# short; a regular file write is shortened; a pipe write of at most PIPE_BUF is not (atomic),
# a bigger one is; datagram and seqpacket sockets are never shortened.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

# ---- 1 MB through sendall --------------------------------------------------------------------
cat > receiver.py <<'PY'
import hashlib, os, socket, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % l.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
l.settimeout(30)
c, _ = l.accept()
c.settimeout(30)
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d %s\n" % (n, h.hexdigest()))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
PY
cat > sender.py <<'PY'
import hashlib, os, socket, sys
data = os.urandom(1 << 20)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(data)
s.close()
print(len(data), hashlib.sha256(data).hexdigest())
PY
"$PYTHON" receiver.py port.txt result.txt 2>receiver.err &
FL_PIDS+=($!)
wait_for 200 test -s port.txt
rules='rules=({name="half"; calls=["send", "write"]; fd="socket"; partial="50%";});'
FAULTLINE_LOG="$PWD/send.jsonl" capture under_shim "$rules" "$PYTHON" sender.py "$(cat port.txt)"
expect_status "sender.py" 0 "$RC"
wait_for 400 test -s result.txt
expect_eq "what the receiver got (bytes, sha256)" "$OUT" "$(cat result.txt)"
# The sends really were halved: the first asked for 1 MB and did 512 KiB.
expect_eq "the first partial send" "send	partial	1048576	524288" \
    "$(jsonl fields --where event=fault send.jsonl -- call action asked "done" | head -n 1)"
"$PYTHON" - send.jsonl <<'PY' || fail "a send was not halved"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
sends = [e for e in evs if e["event"] == "fault"]
assert len(sends) >= 2, len(sends)
for e in sends:
    assert e["done"] == e["asked"] // 2 or (e["asked"] == 1 and e["done"] == 1), e
PY

# ---- single calls -----------------------------------------------------------------------------
cat > calls.py <<'PY'
import os, socket
def show(label, fn):
    try:
        print(label, fn())
    except OSError as e:
        print(label, type(e).__name__, e.errno)
a, b = socket.socketpair()                                   # AF_UNIX stream
show("stream write 100", lambda: os.write(a.fileno(), b"w" * 100))
show("stream send 100", lambda: a.send(b"s" * 100))
show("stream writev 30+30+40", lambda: os.writev(a.fileno(), [b"1" * 30, b"2" * 30, b"3" * 40]))
show("stream sendmsg 30+70", lambda: a.sendmsg([b"4" * 30, b"5" * 70]))
show("stream write 1", lambda: os.write(a.fileno(), b"6"))
got = b""
b.setblocking(False)
try:
    while True:
        got += b.recv(65536)
except BlockingIOError:
    pass
b.setblocking(True)
want = b"w" * 50 + b"s" * 50 + b"1" * 30 + b"2" * 20 + b"4" * 30 + b"5" * 20 + b"6"
print("the peer got exactly what was reported", got == want)
a.sendall(b"r" * 100)
bufs = [bytearray(60), bytearray(40)]
show("stream readv 60+40", lambda: os.readv(b.fileno(), bufs))
show("stream recv rest", lambda: len(b.recv(1000)))
r, w = os.pipe()
show("pipe write 4096", lambda: os.write(w, b"p" * 4096))
show("pipe write 10", lambda: os.write(w, b"p" * 10))
os.read(r, 1 << 20)
show("pipe write 8192", lambda: os.write(w, b"p" * 8192))
os.read(r, 1 << 20)
u1, u2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
show("unix dgram write 100", lambda: os.write(u1.fileno(), b"d" * 100))
show("unix dgram received", lambda: len(u2.recv(1000)))
q1, q2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
show("seqpacket send 100", lambda: q1.send(b"q" * 100))
show("seqpacket received", lambda: len(q2.recv(1000)))
ud = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ud.bind(("127.0.0.1", 0))
us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
us.connect(ud.getsockname())
show("udp send 100", lambda: us.send(b"u" * 100))
show("udp sendto 100", lambda: us.sendto(b"u" * 100, ud.getsockname()))
show("udp received", lambda: (len(ud.recv(1000)), len(ud.recv(1000))))
fd = os.open("part.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
show("file write 100", lambda: os.write(fd, b"f" * 100))
show("file writev 50+50", lambda: os.writev(fd, [b"a" * 50, b"b" * 50]))
os.close(fd)
PY

rules='rules=({name="half"; calls=["write", "send", "sendto", "sendmsg", "writev", "readv"]; fd="socket"; partial="50%";},
              {name="halfpipe"; calls=["write"]; fd="pipe"; partial="50%";},
              {name="halffile"; calls=["write", "writev"]; path="*/part.out"; partial="50%";});'
FAULTLINE_LOG="$PWD/calls.jsonl" capture under_shim "$rules" "$PYTHON" calls.py
expect_status "calls.py" 0 "$RC"
expect_eq "partial=50%" "stream write 100 50
stream send 100 50
stream writev 30+30+40 50
stream sendmsg 30+70 50
stream write 1 1
the peer got exactly what was reported True
stream readv 60+40 50
stream recv rest 50
pipe write 4096 4096
pipe write 10 10
pipe write 8192 4096
unix dgram write 100 100
unix dgram received 100
seqpacket send 100 100
seqpacket received 100
udp send 100 100
udp sendto 100 100
udp received (100, 100)
file write 100 50
file writev 50+50 50" "$OUT"
expect_eq "part.out holds what was reported" "$(printf 'f%.0s' $(seq 50))$(printf 'a%.0s' $(seq 50))" \
    "$(cat part.out)"

# A byte count: at most that many bytes per call.
cat > bytes.py <<'PY'
import os, socket
a, b = socket.socketpair()
print(os.write(a.fileno(), b"x" * 100), os.write(a.fileno(), b"x" * 3), a.send(b"y" * 7),
      os.writev(a.fileno(), [b"1" * 4, b"2" * 4]))
PY
rules='rules=({calls=["write", "send", "writev"]; fd="socket"; partial=5;});'
capture under_shim "$rules" "$PYTHON" bytes.py
expect_eq "partial=5" "5 3 5 5" "$OUT"

# A write that may not be shortened (a pipe write of at most PIPE_BUF) does not match a partial
# rule at all: it is not logged and does not spend `times`, so the next large write is cut.
cat > spend.py <<'PY'
import os
r, w = os.pipe()
os.set_blocking(w, False)
a = os.write(w, b"s" * 10)
os.read(r, 100)
b = os.write(w, b"s" * 8192)
print(a, b)
PY
rules='rules=({name="once"; calls=["write"]; fd="pipe"; partial="50%"; times=1;});'
FAULTLINE_LOG="$PWD/sp.jsonl" capture under_shim "$rules" "$PYTHON" spend.py
expect_eq "small write whole, large write cut" "10 4096" "$OUT"
expect_eq "one fault line, for the large write" "8192	4096" \
    "$(jsonl fields --where event=fault --where rule=once sp.jsonl -- asked "done")"
