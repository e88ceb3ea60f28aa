#!/usr/bin/env bash
# Faithful errnos (PRELOAD.md, "Injecting faithfully"): error="EAGAIN" fires only on
# non-blocking fds (O_NONBLOCK, MSG_DONTWAIT), never on a blocking read, which would stall a
# program forever; error="EINTR" fires only on calls that block interruptibly (sockets, pipes,
# ttys), never on regular-file I/O or fsync. The EINTR probe calls libc through ctypes, because
# python's own os.write retries EINTR (PEP 475), which is checked too.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

# ---- EAGAIN ---------------------------------------------------------------------------------
cat > eagain.py <<'PY'
import os, socket, sys
res = []
def attempt(name, fn):
    try:
        r = fn()
        res.append("%s=%s" % (name, len(r)))
    except BlockingIOError as e:
        res.append("%s=EAGAIN" % name)
    except OSError as e:
        res.append("%s=E%d" % (name, e.errno))
a, b = socket.socketpair()
a.sendall(b"0123456789" * 4)
attempt("blocking-read", lambda: os.read(b.fileno(), 5))
attempt("blocking-recv", lambda: b.recv(5))
b.setblocking(False)
attempt("nonblock-read", lambda: os.read(b.fileno(), 5))
attempt("nonblock-recv", lambda: b.recv(5))
b.setblocking(True)
attempt("blocking-again", lambda: os.read(b.fileno(), 5))
r, w = os.pipe()
os.write(w, b"abc")
attempt("pipe-blocking", lambda: os.read(r, 1))
os.set_blocking(r, False)
attempt("pipe-nonblock", lambda: os.read(r, 1))
os.set_blocking(r, True)
attempt("pipe-rest", lambda: os.read(r, 10))
# Nothing was lost: the socket still holds the 25 bytes not read.
b.setblocking(True)
attempt("socket-rest", lambda: b.recv(100))
print(" ".join(res))
sys.stdout.flush()
if len(sys.argv) > 1:                        # MSG_DONTWAIT on a blocking socket
    res = []
    a.sendall(b"xyz")
    attempt("dontwait-recv", lambda: b.recv(3, socket.MSG_DONTWAIT))
    import select                            # bounded: the bytes may be gone already
    if select.select([b], [], [], 2)[0]:
        attempt("after", lambda: b.recv(3))
    else:
        res.append("after=nothing-left")
    print(" ".join(res))
PY
rules='rules=({name="again"; calls=["read", "recv"]; fd="socket"; error="EAGAIN";},
              {name="pipeagain"; calls=["read"]; fd="pipe"; error="EAGAIN";});'
FAULTLINE_LOG="$PWD/ea.jsonl" capture under_shim "$rules" "$PYTHON" eagain.py
expect_status "eagain.py" 0 "$RC"
expect_eq "reads under error=EAGAIN" "blocking-read=5 blocking-recv=5 nonblock-read=EAGAIN nonblock-recv=EAGAIN blocking-again=5 pipe-blocking=1 pipe-nonblock=EAGAIN pipe-rest=2 socket-rest=25" "$OUT"
expect_eq "EAGAIN fault lines" "again	read
again	recv
pipeagain	read" "$(jsonl fields --where event=fault --where errno=EAGAIN ea.jsonl -- rule call)"

# ---- EINTR ----------------------------------------------------------------------------------
cat > eintr.py <<'PY'
import ctypes, errno, os, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
libc.write.restype = ctypes.c_ssize_t
libc.read.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
libc.read.restype = ctypes.c_ssize_t
libc.fsync.argtypes = [ctypes.c_int]
buf = ctypes.create_string_buffer(16)
res = []
def attempt(name, call, fd):
    ctypes.set_errno(0)
    if call == "write":
        r = libc.write(fd, b"abc", 3)
    elif call == "read":
        r = libc.read(fd, buf, 3)
    else:
        r = libc.fsync(fd)
    res.append("%s=%s" % (name, r if r >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")))
fd = os.open("ei.out", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
r, w = os.pipe()
a, b = socket.socketpair()
attempt("file-write", "write", fd)
attempt("pipe-write", "write", w)
attempt("socket-write", "write", a.fileno())
attempt("fsync", "fsync", fd)
os.lseek(fd, 0, 0)
attempt("file-read", "read", fd)
attempt("pipe-read", "read", r)
attempt("socket-read", "read", b.fileno())
with open("eintr.result", "w") as f:          # a file: no rule below fires on it
    f.write(" ".join(res) + "\n")
PY
rules='rules=({name="intr"; calls=["write", "read", "fsync"]; error="EINTR"; times=4;});'
FAULTLINE_LOG="$PWD/ei.jsonl" capture under_shim "$rules" "$PYTHON" eintr.py
expect_status "eintr.py" 0 "$RC"
expect_eq "calls under error=EINTR" \
    "file-write=3 pipe-write=EINTR socket-write=EINTR fsync=0 file-read=3 pipe-read=EINTR socket-read=EINTR" \
    "$(cat eintr.result)"
expect_eq "EINTR fault lines" "write
write
read
read" "$(jsonl fields --where event=fault --where rule=intr --where errno=EINTR ei.jsonl -- call)"

# python's os.write retries an EINTR: under times=1 the pipe write comes through whole, after
# one logged fault.
cat > retry.py <<'PY'
import os
r, w = os.pipe()
n = os.write(w, b"hello")
print(n, os.read(r, 10))
PY
rules='rules=({name="once"; calls=["write"]; fd="pipe"; error="EINTR"; times=1;});'
FAULTLINE_LOG="$PWD/rt.jsonl" capture under_shim "$rules" "$PYTHON" retry.py
expect_eq "os.write retried after EINTR" "5 b'hello'" "$OUT"
expect_eq "EINTR faults before the retry" 1 "$(jsonl count --where event=fault --where rule=once rt.jsonl)"

# MSG_DONTWAIT makes a single recv non-blocking (PRELOAD.md: "EAGAIN belongs only to
# non-blocking fds (O_NONBLOCK, MSG_DONTWAIT)"): EAGAIN is faithful there. Checked last.
rules='rules=({name="again"; calls=["recv"]; fd="socket"; error="EAGAIN";});'
capture under_shim "$rules" "$PYTHON" eagain.py dontwait
expect_status "eagain.py dontwait" 0 "$RC"
expect_eq "recv(MSG_DONTWAIT) on a blocking socket under error=EAGAIN" \
    "dontwait-recv=EAGAIN after=3" "$(tail -n 1 "$OUT_FILE")"
