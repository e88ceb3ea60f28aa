#!/usr/bin/env bash
# python3's socket.create_connection to a live loopback listener: connects without a rule,
# raises ConnectionRefusedError (errno ECONNREFUSED) under a connect rule, although the
# listener is still there; a rule on another call changes nothing.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
start_listener

cat > connect.py <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"hello")
    s.close()
    print("connected")
except OSError as e:
    print(type(e).__name__, e.errno)
    sys.exit(3)
PY

capture "$PYTHON" connect.py "$SERVER_PORT"
expect_eq "without the shim" "connected" "$OUT"

capture under_shim '' "$PYTHON" connect.py "$SERVER_PORT"
expect_status "under the shim, no rules" 0 "$RC"
expect_eq "under the shim, no rules" "connected" "$OUT"

rules='rules=({name="refuse"; calls=["connect"]; error="ECONNREFUSED";});'
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$PYTHON" connect.py "$SERVER_PORT"
expect_status "connect=ECONNREFUSED" 3 "$RC"
expect_eq "connect=ECONNREFUSED" "ConnectionRefusedError 111" "$OUT"
expect_eq "the fault" "refuse	connect	ECONNREFUSED" \
    "$(jsonl fields --where event=fault ev.jsonl -- rule call errno)"

# The listener is still up: the refusal was the shim's.
port_accepts "$SERVER_PORT" || fail "the listener stopped accepting"

rules='rules=({name="other"; calls=["fsync"]; error="EIO";});'
capture under_shim "$rules" "$PYTHON" connect.py "$SERVER_PORT"
expect_eq "a rule on fsync only" "connected" "$OUT"

# Another errno comes through as that errno's exception.
rules='rules=({calls=["connect"]; error="ETIMEDOUT";});'
capture under_shim "$rules" "$PYTHON" connect.py "$SERVER_PORT"
expect_eq "connect=ETIMEDOUT" "TimeoutError 110" "$OUT"
