#!/usr/bin/env bash
# fl-timeout: 240
# sqlite3 and a power loss at every sync point: a workload commits N transactions, each
# acknowledged (on stderr, not tracked) only after COMMIT returned. A clean run counts its sync
# points (K: a dry-run power_loss rule on fsync and fdatasync logs each one); then for each
# k = 1..K a run loses power at the k-th sync. After each, sqlite's integrity_check says ok and
# the table holds rows 1..m. In WAL mode (synchronous FULL) and rollback-journal mode with
# synchronous EXTRA every acknowledged row is among them; with the rollback journal's default
# FULL, the last acknowledged transaction can be lost (the unlink that commits it is not synced:
# the case sqlite's EXTRA exists for), never more. With synchronous OFF acknowledged transactions
# are lost, as sqlite documents.
. "$FL_ROOT/tests/integration/lib.sh"
. "$FL_ROOT/tests/integration/power_loss.sh"
need sqlite3
not_under_sanitizer "the workload is python3, which hangs with an ASan runtime preloaded"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed"
"$PY" -c 'import sqlite3' 2>/dev/null || skip "/usr/bin/python3 has no sqlite3 module"
WORKLOAD=$FL_IT/sqlite_workload.py

SYNCS='"fsync", "fdatasync"'

# fresh_db JOURNAL_MODE: data/ holds only db, the empty table t, in JOURNAL_MODE (made before the
# run: durable).
fresh_db() {
    rm -rf data
    mkdir data
    sqlite3 data/db "PRAGMA journal_mode=$1; CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT);" >/dev/null ||
        fail "sqlite3 could not make data/db"
}

# workload CONFIG N JOURNAL_MODE SYNCHRONOUS [RUN OPTION...]: the workload on a fresh data/db
# under faultline run -c CONFIG. Sets RC, ERR, ACKED (the last acknowledged transaction, 0 for
# none).
workload() {
    local conf=$1 n=$2 mode=$3 sync=$4
    shift 4
    fresh_db "$mode"
    capture "$FL" run -c "$conf" "$@" -- "$PY" "$WORKLOAD" "$PWD/data/db" "$n" "$mode" "$sync"
    ACKED=$(printf '%s\n' "$ERR" | sed -n 's/^ack \([0-9]*\)$/\1/p' | tail -n 1)
    ACKED=${ACKED:-0}
}

# check_db WHAT: integrity_check says ok, and the rows are exactly 1..m. Sets ROWS to m.
check_db() {
    local ok rows
    ok=$(sqlite3 data/db 'PRAGMA integrity_check;' 2>&1)
    expect_eq "$1: integrity_check" "ok" "$ok"
    rows=$(sqlite3 data/db "SELECT count(*), coalesce(max(i), 0), coalesce(sum(v = 'row ' || i), 0) FROM t;")
    local count max good
    IFS='|' read -r count max good <<<"$rows"
    expect_eq "$1: the rows are 1..m" "$count $count" "$max $good"
    ROWS=$count
}

# sync_points JOURNAL_MODE SYNCHRONOUS N: K, the fsync and fdatasync calls of a clean run.
sync_points() {
    durable_config count.conf "$PWD/data/*" \
        "rules = ( { name = \"count\"; calls = [ $SYNCS ]; power_loss = true; dry_run = true; } );"
    workload count.conf "$3" "$1" "$2" -l "$PWD/count.jsonl"
    expect_status "$1 $2, clean run" 0 "$RC"
    expect_eq "$1 $2, clean run: every transaction acknowledged" "$3" "$ACKED"
    local level
    case $2 in off) level=0 ;; normal) level=1 ;; full) level=2 ;; extra) level=3 ;; esac
    expect_contains "$1 $2, clean run: the modes sqlite took" "$ERR" "mode $1 synchronous $level"
    check_db "$1 $2, clean run"
    expect_eq "$1 $2, clean run: every row" "$3" "$ROWS"
    K=$(jsonl count --where event=fault --where rule=count count.jsonl)
    rm -f count.jsonl
}

# sweep JOURNAL_MODE SYNCHRONOUS N MAXLOST: a power loss at each sync point k = 1..K of the
# workload; at most MAXLOST acknowledged transactions are lost at any one. Sets LOSSES (how many
# points lost some) and prints the figures for the record.
sweep() {
    local mode=$1 sync=$2 n=$3 maxlost=$4 k exact=0
    LOSSES=0
    sync_points "$mode" "$sync" "$n"
    expect_ge "$mode $sync: sync points" "$n" "$K"
    for ((k = 1; k <= K; k++)); do
        durable_config pl.conf "$PWD/data/*" \
            "rules = ( { name = \"pl\"; calls = [ $SYNCS ]; after = $((k - 1)); times = 1; power_loss = true; } );"
        workload pl.conf "$n" "$mode" "$sync"
        expect_status "$mode $sync, power loss at sync $k: killed" 137 "$RC"
        check_db "$mode $sync, power loss at sync $k"
        note "$mode $sync, sync $k: $ACKED acknowledged, $ROWS rows; $(rollback_line)"
        [ "$ROWS" -ge $((ACKED - maxlost)) ] ||
            fail "$mode $sync, power loss at sync $k: $ACKED acknowledged, $ROWS rows survived ($(rollback_line))"
        [ "$ROWS" -le $((ACKED + 1)) ] ||
            fail "$mode $sync, power loss at sync $k: $ROWS rows but only $ACKED acknowledged"
        [ "$ROWS" -lt "$ACKED" ] && LOSSES=$((LOSSES + 1))
        [ "$ROWS" = "$ACKED" ] && exact=$((exact + 1))
    done
    echo "sqlite $mode synchronous=$sync, $n transactions: K=$K sync points; power loss at each:" \
        "$LOSSES lost an acknowledged transaction, $exact kept exactly the acknowledged rows," \
        "$((K - LOSSES - exact)) kept one more (committed, not yet acknowledged)"
}

# WAL, synchronous FULL: COMMIT returns after the WAL is synced, and the WAL's directory is
# synced when it is created.
sweep wal full 20 0
expect_eq "wal: no acknowledged transaction lost" 0 "$LOSSES"

# Rollback journal, synchronous EXTRA: the journal's directory is synced after the unlink that
# commits, so nothing acknowledged is ever lost.
sweep delete extra 10 0
expect_eq "delete extra: no acknowledged transaction lost" 0 "$LOSSES"

# Rollback journal, synchronous FULL (the default): a transaction commits by unlinking its
# journal, and sqlite syncs the directory only with EXTRA ("EXTRA provides additional durability
# if the commit is followed closely by a power loss", sqlite's PRAGMA synchronous). A power loss
# before the next transaction's journal syncs the directory brings the old journal back, hot,
# and the next open rolls the last acknowledged transaction back: never more than that one.
sweep delete full 10 1
expect_ge "delete full: power losses that lost the last acknowledged transaction" 1 "$LOSSES"

# ---- synchronous = OFF: acknowledged transactions are lost ------------------------------------

durable_config plain.conf "$PWD/data/*"
lost_any=0
for mode in wal delete; do
    workload plain.conf 20 "$mode" off --power-loss-at-exit
    expect_status "$mode off: the workload exits 0" 0 "$RC"
    expect_eq "$mode off: every transaction acknowledged" 20 "$ACKED"
    check_db "$mode off, power loss at exit"
    echo "sqlite $mode synchronous=off: 20 acknowledged, $ROWS survived; $(rollback_line)"
    [ "$ROWS" -lt "$ACKED" ] && lost_any=1
done
expect_eq "synchronous=off loses acknowledged transactions in some mode" 1 "$lost_any"
