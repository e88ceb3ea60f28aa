#!/usr/bin/env bash
# Resolver faults arrive as the resolver's own codes: an EAI_* error on getaddrinfo is returned
# as that code (EAI_AGAIN: "Temporary failure in name resolution", -3), python3 sees it as
# socket.gaierror with errno -3, and an errno name gives EAI_SYSTEM with errno set. The
# gethostbyname family reports through h_errno. Only numeric/local names are looked up.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog resolve
python_bin
R="$FL_PROGS/resolve"

# A machine whose /etc/hosts does not name localhost (a bare chroot) cannot resolve it at all.
"$R" localhost >/dev/null 2>&1 || skip "localhost does not resolve here without the shim"

capture under_shim '' "$R" localhost
expect_status "resolve localhost, no rules" 0 "$RC"
expect_match "resolve localhost, no rules" "$OUT" '^ok (127\.0\.0\.1|::1)$'

rules='rules=({name="dns"; calls=["getaddrinfo"]; error="EAI_AGAIN";});'
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$R" localhost
expect_status "getaddrinfo=EAI_AGAIN" 3 "$RC"
expect_eq "getaddrinfo=EAI_AGAIN" "gai-error -3 EAI_AGAIN: Temporary failure in name resolution" "$OUT"
expect_eq "the fault" "dns	getaddrinfo	localhost	EAI_AGAIN" \
    "$(jsonl fields --where event=fault ev.jsonl -- rule call host errno)"

# Even a numeric host (no lookup at all) fails when the rule says so.
capture under_shim "$rules" "$R" -m gai-numeric 127.0.0.1
expect_eq "numeric getaddrinfo=EAI_AGAIN" "gai-error -3 EAI_AGAIN: Temporary failure in name resolution" "$OUT"

rules='rules=({calls=["getaddrinfo"]; error="EAI_NONAME";});'
capture under_shim "$rules" "$R" localhost
expect_eq "getaddrinfo=EAI_NONAME" "gai-error -2 EAI_NONAME: Name or service not known" "$OUT"

# An errno name: EAI_SYSTEM, errno set.
rules='rules=({calls=["getaddrinfo"]; error="EIO";});'
capture under_shim "$rules" "$R" localhost
expect_status "getaddrinfo=EIO" 3 "$RC"
expect_eq "getaddrinfo=EIO" "gai-error -11 EAI_SYSTEM: System error errno EIO" "$OUT"

# @dns covers getnameinfo.
rules='rules=({calls=["@dns"]; error="EAI_AGAIN";});'
capture under_shim "$rules" "$R" -m gni 127.0.0.1
expect_eq "getnameinfo=EAI_AGAIN" "gai-error -3 EAI_AGAIN: Temporary failure in name resolution" "$OUT"

# gethostbyname: h_errno.
rules='rules=({calls=["gethostbyname"]; error="EAI_AGAIN";});'
capture under_shim "$rules" "$R" -m ghbn localhost
expect_status "gethostbyname=EAI_AGAIN" 4 "$RC"
expect_eq "gethostbyname=EAI_AGAIN" "h_errno 2 TRY_AGAIN: Host name lookup failure" "$OUT"
rules='rules=({calls=["gethostbyname"]; error="EAI_NONAME";});'
capture under_shim "$rules" "$R" -m ghbn localhost
expect_eq "gethostbyname=EAI_NONAME" "h_errno 1 HOST_NOT_FOUND: Unknown host" "$OUT"
rules='rules=({calls=["gethostbyname"]; error="ECONNREFUSED";});'
capture under_shim "$rules" "$R" -m ghbn localhost
expect_eq "gethostbyname=ECONNREFUSED" \
    "h_errno -1 NETDB_INTERNAL: Resolver internal error errno ECONNREFUSED" "$OUT"

# python3.
cat > gai.py <<'PY'
import socket
try:
    socket.getaddrinfo("localhost", 80)
    print("resolved")
except socket.gaierror as e:
    print("gaierror", e.errno, e.strerror)
except OSError as e:
    print(type(e).__name__, e.errno)
PY
capture under_shim '' "$PYTHON" gai.py
expect_eq "python getaddrinfo, no rules" "resolved" "$OUT"
rules='rules=({calls=["getaddrinfo"]; error="EAI_AGAIN";});'
capture under_shim "$rules" "$PYTHON" gai.py
expect_eq "python getaddrinfo=EAI_AGAIN" "gaierror -3 Temporary failure in name resolution" "$OUT"
# EAI_SYSTEM: python raises OSError from errno.
rules='rules=({calls=["getaddrinfo"]; error="EIO";});'
capture under_shim "$rules" "$PYTHON" gai.py
expect_eq "python getaddrinfo=EIO (EAI_SYSTEM)" "OSError 5" "$OUT"
