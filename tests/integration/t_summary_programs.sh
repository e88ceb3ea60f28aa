#!/usr/bin/env bash
# The summary is printed only where a rule could act: a program that `programs` leaves out
# prints no table (a run of dpkg used to print ten). Here cat is named, ls is not.
. "$FL_ROOT/tests/integration/lib.sh"
need sh ls cat
rules='summary = true; programs = ["cat"];
rules = ({ name = "null"; calls = ["write"]; path = "/dev/null"; error = "EIO"; });'
capture under_shim "$rules" sh -c 'ls / >/dev/null; ls / >/dev/null; echo done | cat'
expect_eq "output" "done" "$OUT"
expect_eq "summary tables: cat's only" 1 "$(printf '%s\n' "$ERR" | grep -c 'faultline: summary for pid')"
