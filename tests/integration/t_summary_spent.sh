#!/usr/bin/env bash
# A rule that has injected its `times` faults is spent, and every report says so alike: the
# summary's state column reads "spent", as `faultline ctl list` does (it used to read "armed").
# A spent rule's calls go back to the fast path: its matched count stops with its last fault.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
capture under_shim 'summary = true;
rules = ({ name = "lost"; calls = ["write"]; path = "*/out.bin"; times = 2; drop = true; });' \
    "$PYTHON" -c '
import os
fd = os.open("out.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
print(sum(os.write(fd, b"x") for _ in range(50)))'
expect_status "50 writes, two dropped" 0 "$RC"
expect_eq "every write reported whole" 50 "$OUT"
expect_match "the summary: spent, matched and injected 2" "$ERR" \
    '^  lost +spent +2 +2  drop=2$'
