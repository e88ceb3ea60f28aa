#!/usr/bin/env bash
# A delay makes a program's own timeouts fire, as a slow peer does: python's socket timeout
# waits in poll(), whose timeout caps a delay on @wait (socket.timeout after 1 s, not the data
# after 3 s); a socket with SO_RCVTIMEO set fails recv with EAGAIN when its timeout runs out
# during a delay on recv. The peer sends at once, so without the delay both read the data.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
cat >timeouts.py <<'PY'
import socket, struct, sys, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    c.sendall(b"hello")
    c.recv(1)
threading.Thread(target=serve, daemon=True).start()
s = socket.create_connection(srv.getsockname())
if sys.argv[1] == "settimeout":
    s.settimeout(1)
else:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 1, 0))
try:
    print("data", s.recv(5).decode())
except socket.timeout:
    print("timed out")
except BlockingIOError as e:
    print("timed out:", e.errno == 11 and "EAGAIN" or e.errno)
PY
capture "$PYTHON" timeouts.py settimeout
expect_eq "bare, settimeout" "data hello" "$OUT"
capture "$PYTHON" timeouts.py rcvtimeo
expect_eq "bare, SO_RCVTIMEO" "data hello" "$OUT"

FAULTLINE_LOG=$PWD/ev.jsonl capture timeout 20 env LD_PRELOAD="$FL_LIB" \
    FAULTLINE_RULES='rules=({name="slow"; calls=["poll"]; delay="3s";});' "$PYTHON" timeouts.py settimeout
expect_eq "settimeout(1) under a 3 s delay on poll" "timed out" "$OUT"
expect_eq "the delay, capped by poll's timeout" "poll	0	1000000000" \
    "$(jsonl fields --where event=fault ev.jsonl -- call done delay_ns | tail -n 1)"

rm -f ev.jsonl
FAULTLINE_LOG=$PWD/ev.jsonl capture timeout 20 env LD_PRELOAD="$FL_LIB" \
    FAULTLINE_RULES='rules=({name="slow"; calls=["recv"]; delay="3s";});' "$PYTHON" timeouts.py rcvtimeo
expect_eq "SO_RCVTIMEO 1 s under a 3 s delay on recv" "timed out: EAGAIN" "$OUT"
expect_eq "the delay, capped by SO_RCVTIMEO" "recv	-1	EAGAIN	1000000000" \
    "$(jsonl fields --where event=fault ev.jsonl -- call done errno delay_ns | tail -n 1)"
