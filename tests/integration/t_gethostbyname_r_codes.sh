#!/usr/bin/env bash
# gethostbyname_r reports like glibc does: an injected "not found" (EAI_NONAME) returns 0 with
# *result NULL and h_errno HOST_NOT_FOUND, the way a real lookup of an unknown name does on
# glibc (nss/getXXbyYY_r.c: NSS_STATUS_NOTFOUND gives 0); "try again" (EAI_AGAIN) returns
# EAGAIN with TRY_AGAIN; an errno name returns that errno with NETDB_INTERNAL.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog resolve
R="$FL_PROGS/resolve"

# (A real unknown-host lookup would need DNS, which tests never touch: the natural behaviour
# was measured once on Debian 12, glibc 2.36 - "returned 0", HOST_NOT_FOUND.)
rules='rules=({calls=["gethostbyname_r"]; error="EAI_AGAIN";});'
capture under_shim "$rules" "$R" -m ghbn_r localhost
expect_status "gethostbyname_r=EAI_AGAIN" 4 "$RC"
expect_eq "gethostbyname_r=EAI_AGAIN" "gethostbyname_r returned EAGAIN
h_errno 2 TRY_AGAIN: Host name lookup failure" "$OUT"

rules='rules=({calls=["gethostbyname_r"]; error="EIO";});'
capture under_shim "$rules" "$R" -m ghbn_r localhost
expect_eq "gethostbyname_r=EIO" "gethostbyname_r returned EIO
h_errno -1 NETDB_INTERNAL: Resolver internal error errno EIO" "$OUT"

rules='rules=({calls=["gethostbyname_r"]; error="EAI_NONAME";});'
capture under_shim "$rules" "$R" -m ghbn_r localhost
expect_eq "gethostbyname_r=EAI_NONAME (as glibc reports an unknown host)" \
    "gethostbyname_r returned 0
h_errno 1 HOST_NOT_FOUND: Unknown host" "$OUT"
