#!/usr/bin/env bash
# Config files that are not config files: a FIFO, a directory, /dev/zero, a file past the size
# cap, given as the config or reached by @include, never hang, exhaust memory or end the
# program. Each is refused before libconfig opens anything:
#   - under the shim: one message "faultline: FILE[:LINE]: ..." naming the file (and the cap),
#     exit status 2 before main; with FAULTLINE_STRICT=0 the program runs unharmed;
#   - `faultline check` says the same, exit status 1; `faultline run` refuses to start;
#   - a reload (faultline_command("reload"), what `faultline ctl PID reload` runs) of a config
#     that now includes one answers an error, and the program lives on with its old rules.
# An error inside an included file names that file and its own line. @include resolves the
# same way for check, the shim and `faultline run`: relative to the directory of the config
# path as given, even when that path is a symbolic link to a file elsewhere.
# Everything that could block runs under `timeout`.
. "$FL_ROOT/tests/integration/lib.sh"
need timeout mkfifo truncate
need_prog reloader
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
T=10   # seconds before a hang is a failure

mkfifo fifo
mkdir dir
truncate -s 40M big.conf   # sparse: refused by its size before a byte is read
cap=33554432

# shim_refuses NAME EXPECTED_MESSAGE CONFIG: the shim stops `echo` before main, and with
# FAULTLINE_STRICT=0 lets it run; `faultline check CONFIG` says the same and exits 1.
shim_refuses() {
    local name=$1 msg=$2 conf=$3
    capture timeout $T env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$conf" sh -c 'echo ran'
    [ "$RC" != 124 ] || fail "$name: the shim hung on $conf"
    expect_status "$name: under the shim" 2 "$RC"
    expect_eq "$name: main did not run" "" "$OUT"
    expect_eq "$name: the shim's message" "$msg" "$ERR"
    capture timeout $T env LD_PRELOAD="$FL_LIB" FAULTLINE_STRICT=0 FAULTLINE_CONFIG="$conf" \
        sh -c 'echo ran'
    expect_status "$name: FAULTLINE_STRICT=0" 0 "$RC"
    expect_eq "$name: FAULTLINE_STRICT=0: the program ran" ran "$OUT"
    expect_eq "$name: FAULTLINE_STRICT=0: the message, then the warning" "$msg
faultline: FAULTLINE_STRICT=0: running with no faults" "$ERR"
    capture timeout $T "$FL" check "$conf"
    [ "$RC" != 124 ] || fail "$name: faultline check hung on $conf"
    expect_status "$name: faultline check" 1 "$RC"
    expect_eq "$name: faultline check's message" "$msg" "$ERR"
    capture timeout $T env LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run -c "$conf" -- sh -c 'echo ran'
    [ "$RC" != 124 ] || fail "$name: faultline run hung on $conf"
    expect_status "$name: faultline run" 2 "$RC"
    expect_eq "$name: faultline run did not start the program" "" "$OUT"
    expect_contains "$name: faultline run's message" "$ERR" "${msg#faultline: $PWD/}"
}

# ---- as the config file itself -------------------------------------------------------------
shim_refuses "a FIFO as config" \
    "faultline: $PWD/fifo: cannot read config: is a FIFO, not a regular file" "$PWD/fifo"
shim_refuses "/dev/zero as config" \
    "faultline: /dev/zero: cannot read config: is a character device, not a regular file" /dev/zero
shim_refuses "a directory as config" "faultline: $PWD/dir: cannot read config: is a directory" \
    "$PWD/dir"
shim_refuses "a config past the size cap" \
    "faultline: $PWD/big.conf: cannot read config: is larger than $cap bytes, the most a config file may hold" \
    "$PWD/big.conf"

# ---- reached by @include ----------------------------------------------------------------------
for what in fifo dir /dev/zero big.conf; do
    case $what in
    fifo) why="is a FIFO, not a regular file" ;;
    dir) why="is a directory" ;;
    /dev/zero) why="is a character device, not a regular file" ;;
    big.conf) why="is larger than $cap bytes, the most a config file may hold" ;;
    esac
    name=inc-${what##*/}.conf
    printf 'seed = 1;\n# the next line reads another file\n@include "%s"\nrules = ();\n' "$what" >"$name"
    shim_refuses "@include of $what" \
        "faultline: $PWD/$name:3: cannot read include file '$what': $why" "$PWD/$name"
done

# ... also from FAULTLINE_RULES, relative to the working directory.
capture timeout $T env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES=$'rules = ();\n@include "fifo"' \
    sh -c 'echo ran'
expect_status "@include of a FIFO in FAULTLINE_RULES" 2 "$RC"
expect_eq "@include of a FIFO in FAULTLINE_RULES: message" \
    "faultline: FAULTLINE_RULES:2: cannot read include file 'fifo': is a FIFO, not a regular file" "$ERR"

# ---- an error inside an included file names that file and its line ----------------------------
mkdir sub
printf 'summary = true;\n\nrules = ( { calls = [ "write" ]; error = "EIO"; probability = 2; } );\n' \
    >sub/inner.conf
printf 'seed = 1;\n@include "inner.conf"\ncontrol = false;\nbogus = 1;\n' >sub/outer.conf
capture "$FL" check sub/outer.conf
expect_status "error in an included file: check" 1 "$RC"
expect_eq "error in an included file: the included file's line" \
    "faultline: sub/inner.conf:3: rule 'rule1': 'probability' must be a number from 0 to 1" "$ERR"
printf 'summary = true;\n' >sub/inner.conf
capture "$FL" check sub/outer.conf
expect_eq "error after the @include: the including file's own line" \
    "faultline: sub/outer.conf:4: unknown key 'bogus'" "$ERR"

# ---- check, the shim and run resolve @include alike -------------------------------------------
# link.conf here points at sub/top.conf; "part.conf" is read from the directory of the path
# given (here), not from where the link leads (sub/, whose part.conf is bad).
printf 'seed = 1;\n@include "part.conf"\n' >sub/top.conf
printf 'rules = ( { name = "here"; calls = [ "fsync" ]; error = "EIO"; } );\n' >part.conf
printf 'rules = ( { name = "there"; calls = [ "nope" ]; error = "EIO"; } );\n' >sub/part.conf
ln -s sub/top.conf link.conf
capture "$FL" check link.conf
expect_status "check link.conf" 0 "$RC"
expect_match "check link.conf reads ./part.conf" "$OUT" "here"
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG=link.conf sh -c 'echo ran'
expect_status "the shim with link.conf" 0 "$RC"
capture env LD_PRELOAD="${FL_PRELOAD_FIRST:-}" "$FL" run -c link.conf -- sh -c 'echo ran'
expect_status "faultline run -c link.conf" 0 "$RC"
expect_eq "faultline run -c link.conf: the program ran" ran "$OUT"

# ---- reload ---------------------------------------------------------------------------------------
printf 'rules = ( { name = "r"; calls = [ "fsync" ]; error = "EIO"; } );\n' >cur.conf
n=0
for what in fifo dir /dev/zero big.conf; do
    n=$((n + 1))
    printf 'rules = ();\n@include "%s"\n' "$what" >bad$n.conf
done
capture timeout $T env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$PWD/cur.conf" "$FL_PROGS/reloader" \
    reload mv:bad1.conf:cur.conf reload mv:bad2.conf:cur.conf reload \
    mv:bad3.conf:cur.conf reload mv:bad4.conf:cur.conf reload
[ "$RC" != 124 ] || fail "reload of a config including a FIFO, a directory or /dev/zero hung"
expect_status "reloads of bad includes: the program lives" 0 "$RC"
expect_eq "reloads of bad includes: each refused, the old rules kept" "reload ok
reload error: reload: $PWD/cur.conf:2: cannot read include file 'fifo': is a FIFO, not a regular file (the old rules stay)
reload error: reload: $PWD/cur.conf:2: cannot read include file 'dir': is a directory (the old rules stay)
reload error: reload: $PWD/cur.conf:2: cannot read include file '/dev/zero': is a character device, not a regular file (the old rules stay)
reload error: reload: $PWD/cur.conf:2: cannot read include file 'big.conf': is larger than $cap bytes, the most a config file may hold (the old rules stay)" "$OUT"
