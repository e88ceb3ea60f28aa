#!/usr/bin/env bash
# sqlite3 committing to a file database syncs it (fdatasync/fsync): when those fail with EIO,
# sqlite3 reports "disk I/O error" and exits non-zero; without the rule the table is created.
. "$FL_ROOT/tests/integration/lib.sh"
need sqlite3
python_bin

sql='create table t(x integer); insert into t values (1), (2), (3);'

capture under_shim '' sqlite3 ok.db "$sql"
expect_status "sqlite3 under the shim, no rules" 0 "$RC"
capture sqlite3 ok.db 'select sum(x) from t;'
expect_eq "the table was written" "6" "$OUT"

rules='rules=({name="syncfail"; calls=["fdatasync", "fsync"]; error="EIO";});'
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" sqlite3 bad.db "$sql"
expect_ne "sqlite3 exit status with sync=EIO" 0 "$RC"
expect_contains "sqlite3's message" "$ERR" "disk I/O error"
n=$(jsonl count --where event=fault --where rule=syncfail --where errno=EIO ev.jsonl)
expect_ge "sync faults logged" 1 "$n"

# @sync covers both.
rules='rules=({calls=["@sync"]; error="EIO";});'
capture under_shim "$rules" sqlite3 bad2.db "$sql"
expect_ne "sqlite3 exit status with @sync=EIO" 0 "$RC"
expect_contains "sqlite3's message, @sync" "$ERR" "disk I/O error"
