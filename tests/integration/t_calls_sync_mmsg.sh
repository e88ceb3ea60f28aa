#!/usr/bin/env bash
# sync cannot fail: a delay slows it, drop makes it return at once, and error is refused.
# recvmmsg and sendmmsg (on a datagram socketpair) fail with -1 and errno, EAGAIN only where
# the call does not block (MSG_DONTWAIT); partial passes fewer whole messages; a dropped
# sendmmsg reports every message sent and sends none.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog calls_probe
P="$FL_PROGS/calls_probe"

# ---- sync --------------------------------------------------------------------------------------
start=$(now_ms)
capture under_shim 'rules=({calls=["sync"]; delay="400ms";});' "$P" sync
expect_match "sync delayed" "$OUT" '^sync errno=- ms=[0-9]+$'
expect_ge "sync took the delay" 400 "$(sed 's/.*ms=//' <<<"$OUT")"
rm -f ev.jsonl
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim 'rules=({name="s"; calls=["@sync"]; drop=true;});' "$P" sync
expect_match "sync dropped: returns, errno untouched" "$OUT" '^sync errno=- ms=[0-9]+$'
expect_match "the log has the dropped sync" "$(cat ev.jsonl)" '"call":"sync","symbol":"sync","action":"drop"'
capture under_shim 'rules=({calls=["sync"]; error="EIO";});' "$P" sync
expect_status "error on sync is refused" 2 "$RC"
expect_contains "and the message says so" "$ERR" "call 'sync' cannot take 'error'"
capture under_shim 'rules=({calls=["sync"]; kill="SIGTERM";});' "$P" sync
expect_status "sync kill" 143 "$RC"

# ---- recvmmsg / sendmmsg -----------------------------------------------------------------------
capture under_shim '' "$P" mmsg
expect_eq "no rule" "sendmmsg 4 errno=- lens=2,2,2,2
recvmmsg 4 errno=- msgs=m0,m1,m2,m3
left=" "$OUT"

capture under_shim 'rules=({calls=["sendmmsg"]; error="ENOBUFS";});' "$P" mmsg
expect_eq "sendmmsg error: -1, nothing sent" "sendmmsg -1 errno=ENOBUFS lens=0,0,0,0
recvmmsg -1 errno=EAGAIN msgs=
left=" "$OUT"

capture under_shim 'rules=({calls=["recvmmsg"]; error="ECONNREFUSED";});' "$P" mmsg
expect_eq "recvmmsg error: -1, the messages stay queued" "sendmmsg 4 errno=- lens=2,2,2,2
recvmmsg -1 errno=ECONNREFUSED msgs=
left=m0,m1,m2,m3" "$OUT"

capture under_shim 'rules=({calls=["recvmmsg"]; error="EAGAIN";});' "$P" mmsg
expect_eq "recvmmsg with MSG_DONTWAIT: EAGAIN is faithful" "sendmmsg 4 errno=- lens=2,2,2,2
recvmmsg -1 errno=EAGAIN msgs=
left=m0,m1,m2,m3" "$OUT"
capture under_shim 'rules=({calls=["sendmmsg"]; error="EAGAIN";});' "$P" mmsg
expect_eq "sendmmsg on a blocking socket: no EAGAIN" "sendmmsg 4 errno=- lens=2,2,2,2
recvmmsg 4 errno=- msgs=m0,m1,m2,m3
left=" "$OUT"

capture under_shim 'rules=({calls=["sendmmsg"]; partial="50%";});' "$P" mmsg
expect_eq "sendmmsg partial: half the messages, whole" "sendmmsg 2 errno=- lens=2,2,0,0
recvmmsg 2 errno=- msgs=m0,m1
left=" "$OUT"
capture under_shim 'rules=({calls=["recvmmsg"]; partial="75%";});' "$P" mmsg
expect_eq "recvmmsg partial: 3 of 4, the last left queued" "sendmmsg 4 errno=- lens=2,2,2,2
recvmmsg 3 errno=- msgs=m0,m1,m2
left=m3" "$OUT"
capture under_shim 'rules=({calls=["sendmmsg"]; partial=4;});' "$P" mmsg
expect_eq "sendmmsg partial=4 bytes: the two 2-byte messages that fit" "sendmmsg 2 errno=- lens=2,2,0,0
recvmmsg 2 errno=- msgs=m0,m1
left=" "$OUT"

capture under_shim 'rules=({calls=["sendmmsg"]; drop=true;});' "$P" mmsg
expect_eq "sendmmsg drop: all reported sent, none arrives" "sendmmsg 4 errno=- lens=2,2,2,2
recvmmsg -1 errno=EAGAIN msgs=
left=" "$OUT"

capture under_shim 'rules=({calls=["@net"]; error="EPIPE"; after=0; fd="socket";});' "$P" mmsg
expect_match "@net covers sendmmsg" "$OUT" '^sendmmsg -1 errno=EPIPE'
