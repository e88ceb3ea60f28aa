#!/usr/bin/env bash
# corrupt on a write copies the program's buffer to flip bits in the copy; a buffer that is not
# mapped must give the program the EFAULT the kernel gives it bare, never a crash in the shim.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog bad_buffer
# memcheck reports the probe's own writes from an unmapped buffer, which are the point here.
[ "${FL_VALGRIND:-}" = 1 ] && skip "under valgrind: it reports the probe's deliberate bad writes"
capture "$FL_PROGS/bad_buffer" bare.out
expect_status "bare" 0 "$RC"
bare=$OUT
expect_contains "bare write from an unmapped buffer" "$bare" "write -1 EFAULT"
rules='rules=({name="flip"; calls=["write", "writev"]; corrupt=3;});'
capture under_shim "$rules" "$FL_PROGS/bad_buffer" shim.out
expect_status "under corrupt" 0 "$RC"
expect_eq "what each call returned under corrupt" "$bare" "$OUT"
