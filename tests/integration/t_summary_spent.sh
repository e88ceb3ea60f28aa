#!/usr/bin/env bash
# A rule that has injected its `times` faults is spent, and every report says so alike: the
# summary's state column reads "spent", as `faultline ctl list` does (it used to read "armed").
# A spent rule's calls go back to the fast path: its matched count stops with its last fault.
. "$FL_ROOT/tests/integration/lib.sh"
need dd
capture under_shim 'summary = true;
rules = ({ name = "lost"; calls = ["write"]; path = "*/out.bin"; times = 2; drop = true; });' \
    dd if=/dev/zero of=out.bin bs=1 count=50
expect_status "dd, 50 writes, two dropped" 0 "$RC"
expect_match "the summary: spent, matched and injected 2" "$ERR" \
    '^  lost +spent +2 +2  drop=2$'
