#!/usr/bin/env bash
# faultline run with durability tracking (a config with durable): it stays the program's parent,
# with the journal on the tracked files' file system ($TMPDIR when it is there, else beside the
# files, or --journal DIR; an error naming both file systems otherwise); the exit status is the
# program's own (after --power-loss-at-exit too), 137 when a power loss killed it; io_uring is
# refused to the run by a seccomp filter; SIGTERM sent to faultline reaches the program; a daemon
# that outlives the program keeps the run going; a power loss from a rule, from
# --power-loss-at-exit or from faultline ctl PID power-loss rolls the files back, says so in one
# line and in the event log ({"event":"rollback"}), and the journal is gone afterwards; a
# rollback that fails exits 125 and keeps the journal, named. The options of tracking without
# durable are an error.
# fl-timeout: 120
. "$FL_ROOT/tests/integration/lib.sh"
need sh mkfifo stat sync setsid
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
# a sanitizer runtime must come first in the program's LD_PRELOAD: faultline run keeps it first
export LD_PRELOAD="${FL_PRELOAD_FIRST:-}"

mkdir data
D=$FL_TMP/data
printf 'durable = "%s/*";\n' "$D" > durable.conf
# what a test program says about its run: the journal, its process group, the seed
REPORT='echo "$FAULTLINE_JOURNAL" > journal; echo "$FAULTLINE_RUN_PGID $(cut -d" " -f5 /proc/$$/stat)" > pgid'

# no_journal_left DIR: no journal directory is left in DIR.
no_journal_left() {
    local left
    left=$(find "$1" -maxdepth 1 -name 'faultline-journal.*' 2>/dev/null)
    expect_eq "no journal left in $1" "" "$left"
}

# ---- the options that need tracking ------------------------------------------------------

for opt in --power-loss-at-exit "--journal $FL_TMP" --keep-journal; do
    capture "$FL" run $opt -e 'calls=["write"]; error="EIO"' -- touch started
    expect_status "$opt without durable" 2 "$RC"
    expect_eq "$opt without durable: message" "faultline: ${opt%% *} needs durability tracking: the config tracks no file (add durable = \"/srv/data/*\", the files a power loss rolls back, to the config or to FAULTLINE_RULES; see faultline.conf(5))" "$ERR"
    [ ! -e started ] || fail "$opt without durable: the program was started"
done

# ---- the program's own status, its environment, the journal in $TMPDIR --------------------

capture "$FL" run -c durable.conf -- sh -c "$REPORT; test -d \"\$FAULTLINE_JOURNAL\" || exit 99; exit 3"
expect_status "a tracked run: the program's status" 3 "$RC"
expect_eq "a tracked run: nothing said" "" "$ERR"
J=$(cat journal)
case $J in "$FL_TMP"/faultline-journal.*) ;; *) fail "the journal is not in \$TMPDIR ($FL_TMP): [$J]" ;; esac
[ ! -e "$J" ] || fail "the journal $J is left after the run"
read -r pg own < pgid
expect_eq "FAULTLINE_RUN_PGID is the program's own process group" "$own" "$pg"
expect_ne "the program has a process group of its own" "$(cut -d" " -f5 /proc/$$/stat)" "$pg"

capture "$FL" run -c durable.conf -- sh -c 'kill -USR1 $$'
expect_status "a tracked run: a program killed by SIGUSR1" $((128 + 10)) "$RC"

capture "$FL" run -c durable.conf -- no-such-program-xyz
expect_status "a tracked run: a missing program" 127 "$RC"
expect_eq "a missing program: message" "faultline: no-such-program-xyz: No such file or directory" "$ERR"
no_journal_left "$FL_TMP"

capture "$FL" run -c durable.conf --keep-journal -- sh -c "$REPORT"
expect_status "--keep-journal: the program's status" 0 "$RC"
J=$(cat journal)
expect_eq "--keep-journal: where it is" "faultline: the journal is kept in $J" "$ERR"
[ -d "$J" ] || fail "--keep-journal: $J is gone"
rm -rf "$J"

# io_uring refused to the run by a seccomp filter (with no_new_privs, unless root); none
# without tracking
capture "$FL" run -c durable.conf -- sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
expect_contains "a tracked run is under a seccomp filter" "$OUT" "$(printf 'Seccomp:\t2')"
[ "$(id -u)" = 0 ] || expect_contains "no_new_privs, for a filter without CAP_SYS_ADMIN" "$OUT" \
    "$(printf 'NoNewPrivs:\t1')"
capture "$FL" run -e 'calls=["write"]; path="/nowhere"; error="EIO"' -- \
    sh -c 'grep "^Seccomp:" /proc/self/status'
expect_eq "an untracked run has no filter" "$(printf 'Seccomp:\t0')" "$OUT"

# the seed: chosen and exported when nothing fixes it; kept when -s, the config or the
# environment does
capture "$FL" run -c durable.conf -- sh -c 'echo "$FAULTLINE_SEED" > seed'
expect_match "a seed is chosen" "$(cat seed)" '^[0-9]+$'
capture "$FL" run -c durable.conf -s 17 -- sh -c 'echo "$FAULTLINE_SEED" > seed'
expect_eq "-s 17" "17" "$(cat seed)"
printf 'seed = 23;\n' >> durable.conf
capture "$FL" run -c durable.conf -- sh -c 'echo "${FAULTLINE_SEED-unset}" > seed'
expect_eq "the config's seed: none chosen" "unset" "$(cat seed)"
printf 'durable = "%s/*";\n' "$D" > durable.conf

# ---- signals -----------------------------------------------------------------------------

mkfifo ready release
"$FL" run -c durable.conf -- sh -c 'trap "exit 42" TERM; echo up > ready; while :; do sleep 1; done' \
    2>/dev/null &
flpid=$!
read -r _ < ready
kill -TERM "$flpid"
wait "$flpid"
expect_status "SIGTERM to faultline reaches the program, whose handler exits 42" 42 "$?"

# ---- a daemon keeps the run going --------------------------------------------------------

"$FL" run -c durable.conf -- sh -c 'setsid sh -c "echo up > ready; read -r _ < release; echo done > daemon-done" </dev/null >/dev/null 2>&1 &
echo $$ > main-pid; exit 5' &
flpid=$!
read -r _ < ready
main=$(cat main-pid)
wait_for 200 sh -c "! kill -0 $main 2>/dev/null"
kill -0 "$flpid" 2>/dev/null || fail "faultline run ended while the daemon was still running"
echo go > release
wait "$flpid"
expect_status "a daemon outlived the program: the program's status" 5 "$?"
expect_eq "the daemon ran to its end" "done" "$(cat daemon-done)"
no_journal_left "$FL_TMP"

# ---- power loss at exit ----------------------------------------------------------------------

printf 'synced\n' > data/f
capture "$FL" run -c durable.conf -l "$FL_TMP/ev.jsonl" -s 7 --power-loss-at-exit -- \
    sh -c 'printf "lost\n" >> data/f; printf "new\n" > data/g; exit 4'
expect_status "--power-loss-at-exit: the program's status" 4 "$RC"
expect_match "--power-loss-at-exit: the line" "$ERR" \
    '^faultline: power loss \(faultline run --power-loss-at-exit: the program exited with status 4\): rolled back [0-9]+ writes? \([0-9]+ bytes?\), [0-9]+ sizes?, [0-9]+ names?; [0-9]+ records? (was|were) already durable$'
expect_eq "--power-loss-at-exit: the append is undone" "synced" "$(cat data/f)"
[ ! -e data/g ] || fail "--power-loss-at-exit: a file created and never synced survived: [$(cat data/g)]"
no_journal_left "$FL_TMP"
jsonl check ev.jsonl
rollback=$(grep '"event":"rollback"' ev.jsonl)
[ -n "$rollback" ] || fail "no rollback line in the event log: $(cat ev.jsonl)"
expect_contains "the rollback line: why" "$rollback" '"why":"faultline run --power-loss-at-exit: the program exited with status 4"'
expect_contains "the rollback line: ok" "$rollback" '"ok":true'
expect_contains "the rollback line: the seed" "$rollback" '"seed":7'
expect_match "the rollback line: the counts" "$rollback" '"writes_undone":[1-9][0-9]*,"bytes_restored":[0-9]+,"sizes_restored":[1-9]'

capture "$FL" run -q -c durable.conf --power-loss-at-exit -- true
expect_status "-q: the program's status" 0 "$RC"
expect_eq "-q: nothing said" "" "$ERR"

# ---- power loss from a rule ----------------------------------------------------------------

printf 'synced\n' > data/f
: > data/trigger
sync data/f data/trigger
capture "$FL" run -c durable.conf -s 1 \
    -e 'name="plug"; calls=["fsync"]; path="*/trigger"; power_loss=true' -- \
    sh -c 'printf "lost\n" >> data/f; sync data/trigger; echo survived > survived'
expect_status "a power loss from a rule: SIGKILL" 137 "$RC"
expect_match "a power loss from a rule: the line names the rule" "$ERR" "^faultline: power loss \(.*plug.*\): rolled back"
expect_eq "a power loss from a rule: the append is undone" "synced" "$(cat data/f)"
[ ! -e survived ] || fail "the program ran on after the power loss"
no_journal_left "$FL_TMP"

# ---- faultline ctl PID power-loss --------------------------------------------------------

printf 'synced\n' > data/f
"$FL" run -c durable.conf -s 1 --control -- \
    sh -c 'printf "lost\n" >> data/f; echo $$ > ready; read -r _ < release' 2>ctl.err &
flpid=$!
read -r pid < ready
wait_for 200 "$FL" ctl "$pid" list
capture "$FL" ctl "$pid" power-loss
expect_status "ctl power-loss" 0 "$RC"
wait "$flpid"
expect_status "ctl power-loss: the run's status" 137 "$?"
expect_match "ctl power-loss: the line" "$(cat ctl.err)" '^faultline: power loss \(.*\): rolled back'
expect_eq "ctl power-loss: the append is undone" "synced" "$(cat data/f)"
no_journal_left "$FL_TMP"

# ---- a rollback that fails: status 125, the journal kept and named ----------------------

# the file is made unwritable after the change, where the rollback must write it back: immutable
# for root (chattr +i), read-only for others
printf 'synced\n' > data/f
sync data/f data
if [ "$(id -u)" = 0 ]; then lock='chattr +i data/f' unlock='chattr -i data/f'
else lock='chmod 0444 data/f' unlock='chmod 0644 data/f'; fi
if (eval "$lock") 2>/dev/null && (eval "$unlock"); then
    at_exit "cd '$FL_TMP' && $unlock 2>/dev/null"
    capture "$FL" run -c durable.conf -l "$FL_TMP/failed.jsonl" --power-loss-at-exit -- \
        sh -c "printf 'lost\n' >> data/f; $lock"
    eval "$unlock"
    expect_status "a rollback that fails" 125 "$RC"
    expect_match "a rollback that fails: the line" "$ERR" \
        "^faultline: power loss \(faultline run --power-loss-at-exit: the program exited with status 0\): 1 undo of the rollback failed, the first: $D/f \(.*\): open: .*; the journal is kept in $FL_TMP/faultline-journal\.[A-Za-z0-9]+$"
    J=${ERR##* kept in }
    [ -d "$J" ] || fail "a rollback that fails: the journal $J is gone"
    rm -rf "$J"
    expect_contains "a rollback that fails: the rollback line" "$(grep '"event":"rollback"' failed.jsonl)" \
        '"ok":false,"error":"'"$D"'/f ('
else
    note "a rollback that fails: not tried, data/f cannot be made unwritable here ($lock)"
fi

# ---- the journal on another file system --------------------------------------------------

shm_dev=$(stat -c %d /dev/shm 2>/dev/null)
[ -n "$shm_dev" ] && [ "$shm_dev" != "$(stat -c %d "$FL_TMP")" ] ||
    skip "the journal's file system: no second file system here (/dev/shm is on the same one as $FL_TMP)"
SHM=$(mktemp -d /dev/shm/faultline-test.XXXXXX)
at_exit "rm -rf '$SHM'"
mkdir "$SHM/data"
printf 'durable = "%s/data/*";\n' "$SHM" > shm.conf

capture "$FL" run -c shm.conf -- sh -c "$REPORT"
expect_status "tracked files on /dev/shm" 0 "$RC"
J=$(cat journal)
case $J in "$SHM"/faultline-journal.*) ;; *) fail "the journal is not beside $SHM/data: [$J]" ;; esac
no_journal_left "$SHM"

capture "$FL" run -c shm.conf --journal "$FL_TMP" -- touch started
expect_status "--journal on another file system" 2 "$RC"
expect_eq "--journal on another file system: message" "faultline: --journal $FL_TMP is on another file system than $SHM/data (durable '$SHM/data/*'): a power loss is undone with hard links, which cannot cross file systems (give --journal a directory on the file system of $SHM/data)" "$ERR"
[ ! -e started ] || fail "--journal on another file system: the program was started"

mkdir "$SHM/j"
capture "$FL" run -c shm.conf --journal "$SHM/j" -- sh -c "$REPORT"
expect_status "--journal on the same file system" 0 "$RC"
case $(cat journal) in "$SHM"/j/faultline-journal.*) ;; *) fail "--journal $SHM/j: the journal is at [$(cat journal)]" ;; esac

printf 'durable = [ "%s/*", "%s/data/*" ];\n' "$D" "$SHM" > two.conf
capture "$FL" run -c two.conf -- touch started
expect_status "globs on two file systems" 2 "$RC"
expect_eq "globs on two file systems: message" "faultline: durable '$D/*' and '$SHM/data/*' are on two file systems ($D and $SHM/data): a power loss is undone with hard links, which cannot cross file systems (track the files of one file system per run)" "$ERR"

# no place: $TMPDIR elsewhere, and neither the base nor its parent writable (as nobody when root)
mkdir -p "$SHM/ro/data"
printf 'durable = "%s/ro/data/*";\n' "$SHM" > ro.conf
chmod 0755 "$SHM" "$SHM/ro" "$SHM/ro/data"
chmod 0644 ro.conf
if [ "$(id -u)" = 0 ]; then
    need setpriv
    for_others
    chmod 0755 "$FL_TMP"
    capture setpriv --reuid=nobody --regid=nogroup --clear-groups env TMPDIR="$FL_TMP" \
        FAULTLINE_LIBRARY="$FL_TMP/for-others/libfaultline.so" "$OTHERS_FL" run -c "$FL_TMP/ro.conf" -- true
else
    chmod 0555 "$SHM/ro" "$SHM/ro/data"
    at_exit "chmod 0755 '$SHM/ro' '$SHM/ro/data'"
    capture "$FL" run -c ro.conf -- true
fi
expect_status "no place for the journal" 2 "$RC"
expect_eq "no place for the journal: message" "faultline: no place for the journal: $FL_TMP is on another file system than $SHM/ro/data (durable '$SHM/ro/data/*'), and neither $SHM/ro nor $SHM/ro/data can be written: a power loss is undone with hard links, which cannot cross file systems (run with --journal DIR on the file system of $SHM/ro/data)" "$ERR"
