#!/usr/bin/env bash
# Reach: a crash at a sync lands in sqlite3 and sqlite3's recovery copes with it. sqlite3 runs
# 60 small transactions (one insert each, followed by ".print committed N") with
# synchronous=FULL, in WAL mode and in rollback-journal (DELETE) mode; sqlite3 syncs with
# fdatasync (the WAL, the journal, its directory, the database). A rule kill="SIGKILL" with
# after=N on fdatasync/fsync kills it at the (N+1)-th sync, in the middle of the workload:
# - sqlite3 dies of SIGKILL (exit status 137) and the event log's last line is the kill,
#   on a file of the database;
# - the database then opens, PRAGMA integrity_check says "ok", and its rows are exactly
#   rows 1..K, where K is at least the last transaction sqlite3 reported committed and at
#   most one more (the transaction in flight at the kill);
# - in DELETE mode a hot journal is left behind for sqlite3 to roll back.
# In DELETE mode, four N in a row land the kill on each of the syncs of a transaction (sqlite
# 3.40 syncs four times per commit). The shell flushes its output before it reads each line of
# input, so every "committed N" it printed is in the captured output.
. "$FL_ROOT/tests/integration/lib.sh"
need sqlite3
python_bin

total=60
workload() { # MODE
    echo "pragma journal_mode=$1;"
    echo "pragma synchronous=FULL;"
    echo "create table t(i integer primary key, v text not null);"
    local i
    for ((i = 1; i <= total; i++)); do
        echo "insert into t(v) values('row $i');"
        echo ".print committed $i"
    done
}

# The expected content of the first K rows.
rows_upto() {
    local i
    for ((i = 1; i <= $1; i++)); do
        echo "$i|row $i"
    done
}

for mode in wal delete; do
    workload "$mode" > "$mode.sql"

    # ---- no rules: identical to bare ------------------------------------------------------------
    capture sqlite3 "bare-$mode.db" < "$mode.sql"
    expect_status "sqlite3 $mode without the shim" 0 "$RC"
    bare_out=$OUT
    capture under_shim '' sqlite3 "shim-$mode.db" < "$mode.sql"
    expect_status "sqlite3 $mode under the shim, no rules" 0 "$RC"
    expect_eq "sqlite3 $mode output, no rules" "$bare_out" "$OUT"
    expect_eq "sqlite3 $mode rows, no rules" "ok
$(rows_upto $total)" "$(sqlite3 "shim-$mode.db" 'pragma integrity_check; select * from t;')"

    # WAL: one sync per commit. DELETE: four (journal, its directory, journal, database).
    if [ "$mode" = wal ]; then ns="10 31"; else ns="20 21 22 23"; fi
    for n in $ns; do
        db="crash-$mode-$n.db"
        log="$PWD/crash-$mode-$n.jsonl"
        rules="rules=({name=\"crash\"; calls=[\"fdatasync\", \"fsync\"]; after=$n; kill=\"SIGKILL\";});"
        FAULTLINE_LOG="$log" capture under_shim "$rules" sqlite3 "$db" < "$mode.sql"
        what="sqlite3 $mode killed after $n syncs"
        expect_status "$what" 137 "$RC"

        # How far sqlite3 said it got.
        committed=$(printf '%s\n' "$OUT" | sed -n 's/^committed \([0-9]*\)$/\1/p' | tail -n 1)
        committed=${committed:-0}
        expect_ge "$what: transactions reported committed before the kill" 1 "$committed"
        [ "$committed" -lt "$total" ] || fail "$what: the workload ran to its end ($OUT)"

        # The kill is the last thing in the log, at a sync of a file of this database.
        # (The directory is synced too, after the journal is created.)
        kill_line=$(jsonl fields --where event=fault "$log" -- rule action errno call path)
        expect_match "$what: the kill line" "$kill_line" \
            "^crash	kill	null	(fdatasync|fsync)	$FL_TMP(/$db(-wal|-journal)?)?\$"
        [ "$(printf '%s\n' "$kill_line" | wc -l)" = 1 ] || fail "$what: more than one fault: $kill_line"
        expect_contains "$what: the log ends with the kill" "$(tail -n 1 "$log")" '"action":"kill"'
        if [ "$mode" = delete ]; then
            [ -s "$db-journal" ] || fail "$what: no hot journal was left behind"
        fi

        # Recovery: sqlite3 opens it, the check passes, the rows are a prefix.
        capture sqlite3 "$db" 'pragma integrity_check; select count(*) from t; select * from t;'
        expect_status "$what: reopening" 0 "$RC"
        expect_eq "$what: integrity_check" "ok" "$(printf '%s\n' "$OUT" | sed -n 1p)"
        count=$(printf '%s\n' "$OUT" | sed -n 2p)
        expect_ge "$what: rows after recovery (last reported committed: $committed)" "$committed" "$count"
        [ "$count" -le $((committed + 1)) ] ||
            fail "$what: $count rows, more than the $committed committed and the one in flight"
        expect_eq "$what: the rows are 1..$count" "$(rows_upto "$count")" "$(printf '%s\n' "$OUT" | sed 1,2d)"
        note "$mode after=$n: reported $committed committed, $count rows after recovery"
    done
done
