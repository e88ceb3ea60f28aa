#!/usr/bin/env bash
# faultline run: validates everything before it starts anything (a bad config file, a bad -e
# rule, a bad seed or log: exit 2, the program never runs), turns -e into rules named e1, e2...
# (or their own name), -s into the seed and -l into the log, keeps an inline config already in
# FAULTLINE_RULES and a library already in LD_PRELOAD (the shim goes first), execs the program so
# that its exit status (a signal's included) is faultline's, answers a missing program like a
# shell (127), and warns about a statically linked or Go program it cannot reach.
. "$FL_ROOT/tests/integration/lib.sh"
need cat sh
need_prog stdio_writer
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
W="$FL_PROGS/stdio_writer"
USAGE='usage: faultline run [-c file] [-e rule]... [-s seed] [-l log] [--summary] [--control] [--dry-run] [--power-loss-at-exit] [--journal dir] [--keep-journal] [-q] [--] command [arg ...]'

# ---- usage -------------------------------------------------------------------------------

capture "$FL" run --help
expect_status "run --help" 0 "$RC"
expect_eq "run --help: the usage line first" "$USAGE" "$(head -n 1 "$OUT_FILE")"
expect_contains "run --help: options" "$OUT" "--dry-run"
expect_eq "run --help: nothing on stderr" "" "$ERR"

capture "$FL" run -x true
expect_status "run -x" 2 "$RC"
expect_eq "run -x: message and usage" "faultline: run: unknown option '-x'
$USAGE" "$ERR"

capture "$FL" run --no-such-option true
expect_status "run --no-such-option" 2 "$RC"
expect_eq "run --no-such-option: message" "faultline: run: unknown option '--no-such-option'" \
    "$(head -n 1 "$ERR_FILE")"

capture "$FL" run -c
expect_status "run -c without its file" 2 "$RC"
expect_eq "run -c: message" "faultline: run: option '-c' needs an argument" \
    "$(head -n 1 "$ERR_FILE")"

capture "$FL" run
expect_status "run without a command" 2 "$RC"
expect_eq "run without a command: message and usage" "faultline: run: no command to run
$USAGE" "$ERR"

for seed in -1 abc 1.5 ''; do
    capture "$FL" run -s "$seed" touch started
    expect_status "run -s '$seed'" 2 "$RC"
    expect_eq "run -s '$seed': usage line" "$USAGE" "$(tail -n 1 "$ERR_FILE")"
done
[ ! -e started ] || fail "a bad seed started the program"

# ---- a program that cannot be started ----------------------------------------------------

capture "$FL" run no-such-program-xyz arg
expect_status "missing program" 127 "$RC"
expect_eq "missing program: message" "faultline: no-such-program-xyz: No such file or directory" \
    "$ERR"
capture "$FL" run ./no-such-program-xyz
expect_status "missing program by path" 127 "$RC"
printf 'not a program\n' > not-exec
chmod 644 not-exec
capture "$FL" run ./not-exec
expect_status "a file that is not executable" 126 "$RC"
expect_eq "not executable: message" "faultline: ./not-exec: Permission denied" "$ERR"

not_under_sanitizer "the shim and the programs need the sanitizer runtime first in LD_PRELOAD"

# ---- refused before anything runs ---------------------------------------------------------

printf 'sed = 1;\nrules = ( { calls = [ "write" ]; error = "EIO"; } );\n' > bad.conf
capture "$FL" run -c bad.conf touch started
expect_status "-c with an unknown key" 2 "$RC"
expect_eq "-c with an unknown key: message" "faultline: bad.conf:1: unknown key 'sed' (did you mean 'seed'?)" "$ERR"
[ ! -e started ] || fail "-c with an unknown key: the program was started"

capture "$FL" run -e 'calls=["write"]; error="ENOSPX"' touch started
expect_status "-e with a bad errno" 2 "$RC"
expect_eq "-e with a bad errno: message" "faultline: FAULTLINE_RULES:2: rule 'e1': unknown errno name 'ENOSPX' (did you mean 'ENOSPC'?)" "$ERR"
[ ! -e started ] || fail "-e with a bad errno: the program was started"

capture "$FL" run -e 'calls=["write"]; error="EIO"' -e 'calls=["read"' touch started
expect_status "-e that does not parse" 2 "$RC"
expect_match "-e that does not parse: message" "$ERR" '^faultline: FAULTLINE_RULES:[0-9]+: syntax error$'
[ ! -e started ] || fail "-e that does not parse: the program was started"

capture "$FL" run -c no-such.conf touch started
expect_status "-c with a missing file" 2 "$RC"
expect_eq "-c with a missing file: message" \
    "faultline: no-such.conf: cannot read config: No such file or directory" "$ERR"

capture "$FL" run -e 'calls=["fsync"]; error="EIO"' -l "$PWD/no-such-dir/log" touch started
expect_status "-l in a missing directory" 2 "$RC"
expect_eq "-l in a missing directory: message" \
    "faultline: $PWD/no-such-dir/log: cannot open event log: No such file or directory" "$ERR"

FAULTLINE_SEED=x capture "$FL" run -e 'calls=["fsync"]; error="EIO"' touch started
expect_status "FAULTLINE_SEED already set and bad" 2 "$RC"
expect_eq "bad FAULTLINE_SEED: message" \
    "faultline: FAULTLINE_SEED: 'x' is not a non-negative integer" "$ERR"

FAULTLINE_RULES='rules = ( { calls = [ "read" ]; eof = tru; } );' \
    capture "$FL" run -e 'calls=["write"]; error="EIO"' touch started
expect_status "a bad FAULTLINE_RULES already set" 2 "$RC"
expect_eq "bad FAULTLINE_RULES: its own line" "faultline: FAULTLINE_RULES:1: syntax error" "$ERR"

printf 'rules = ( { name = "e1"; calls = [ "fsync" ]; error = "EIO"; } );\n' > e1.conf
capture "$FL" run -c e1.conf -e 'calls=["write"]; error="EIO"' touch started
expect_status "-e named like a rule of the file" 2 "$RC"
expect_eq "duplicate name: message" "faultline: FAULTLINE_RULES:2: rule 'e1': duplicate rule name (first defined at e1.conf:1)" "$ERR"
[ ! -e started ] || fail "a refused config started the program"

FAULTLINE_LIBRARY="$PWD/nowhere.so" capture "$FL" run true
expect_status "FAULTLINE_LIBRARY that does not exist" 2 "$RC"
expect_eq "FAULTLINE_LIBRARY: message" \
    "faultline: FAULTLINE_LIBRARY: $PWD/nowhere.so: not a readable file" "$ERR"

# ---- the program's exit status -------------------------------------------------------------

idle='calls=["fsync"]; error="EIO"'
capture "$FL" run -e "$idle" sh -c 'exit 3'
expect_status "exit 3 passes through" 3 "$RC"
capture "$FL" run sh -c 'exit 0'
expect_status "exit 0 passes through" 0 "$RC"
{ "$FL" run -e "$idle" -- sh -c 'kill -TERM $$'; } 2>/dev/null
expect_status "death by SIGTERM, as the shell reports it" 143 "$?"
{ "$FL" run -e "$idle" sh -c 'kill -KILL $$'; } 2>/dev/null
expect_status "death by SIGKILL" 137 "$?"

# faultline execs the program: it is the process the caller started.
"$FL" run -e "$idle" sh -c 'echo $$ > pid.txt' &
pid=$!
wait $pid
expect_eq "the program has faultline's pid" "$pid" "$(cat pid.txt)"

# Options after the program's name are the program's.
capture "$FL" run sh -c 'echo "$@"' sh -e -s --summary
expect_eq "the program's own options" "-e -s --summary" "$OUT"

# ---- the rules -----------------------------------------------------------------------------

# (through a pipe: cat copies a regular file with copy_file_range, not write)
capture "$FL" run -e 'calls=["write"]; error="ENOSPC"' cat < <(printf 'hello\n')
expect_status "cat with write=ENOSPC" 1 "$RC"
expect_contains "cat with write=ENOSPC: cat's message" "$ERR" "No space left on device"
expect_eq "cat with write=ENOSPC: nothing written" "" "$OUT"
capture "$FL" run -e 'calls=["write"]; error="ENOSPC"' --dry-run cat < <(printf 'hello\n')
expect_status "--dry-run: cat unharmed" 0 "$RC"
expect_eq "--dry-run: cat's output" "hello" "$OUT"

# -e rules are e1, e2... by position, unless they name themselves; -s is the seed; -l the log.
capture "$FL" run -s 4242 -l "$PWD/ev-%p.jsonl" \
    -e 'calls=["fputs"]; error="ENOSPC"' \
    -e 'name = "mine"; calls=["fwrite"]; error="EIO"' \
    -e 'calls=["fprintf"]; error="EIO"' \
    "$W" -n 2 -c fputs,fwrite,fprintf out.txt
expect_status "stdio_writer under three -e rules" 12 "$RC"
logs=(ev-*.jsonl)
expect_eq "one log" 1 "${#logs[@]}"
expect_eq "the start line: seed and rule count" "4242	3	null" \
    "$(jsonl fields --where event=start "${logs[0]}" -- seed rules config)"
expect_eq "rules in the log" "e1 e3 mine" \
    "$(jsonl fields --where event=fault "${logs[0]}" -- rule | sort -u | tr '\n' ' ' | sed 's/ $//')"
expect_eq "faults in the log" 6 "$(jsonl count --where event=fault "${logs[0]}")"

# --summary: the shim's table at exit.
capture "$FL" run --summary -e 'calls=["fputs"]; error="EIO"' "$W" -n 2 -c fputs out.txt
expect_status "--summary: stdio_writer" 12 "$RC"
expect_match "--summary: the table" "$ERR" '^  e1 +armed +2 +2  error=2$'

# -c is exported with an absolute path; the -e rules come after the file's.
cat > file.conf <<'CFG'
rules = ( { name = "from-file"; calls = [ "fputs" ]; error = "ENOSPC"; } );
CFG
capture "$FL" run -c file.conf -e 'calls=["fwrite"]; error="EIO"' -l "$PWD/both.jsonl" \
    sh -c 'printf "%s\n" "$FAULTLINE_CONFIG" > config.txt; exec "$0" "$@"' \
    "$W" -n 1 -c fputs,fwrite out.txt
expect_status "file and -e" 12 "$RC"
expect_eq "FAULTLINE_CONFIG is absolute" "$PWD/file.conf" "$(cat config.txt)"
expect_eq "file and -e: both rules fire, the file's first" "from-file
e1" "$(jsonl fields --where event=fault both.jsonl -- rule)"

# A FAULTLINE_RULES already set is kept, its rules first, and the -e rules added to its list.
FAULTLINE_RULES='seed = 5; summary = false;   # from the caller
rules = ( { name = "env"; calls = [ "fputs" ]; error = "ENOSPC"; } );' \
    capture "$FL" run --summary -e 'calls=["fwrite"]; error="EIO"' -l "$PWD/merged.jsonl" \
    "$W" -n 1 -c fputs,fwrite out.txt
expect_status "FAULTLINE_RULES and -e" 12 "$RC"
expect_eq "merged: the caller's seed, both rules" "5	2" \
    "$(jsonl fields --where event=start merged.jsonl -- seed rules)"
expect_eq "merged: rules in order" "env
e1" "$(jsonl fields --where event=fault merged.jsonl -- rule)"
expect_match "merged: --summary overrides the caller's summary = false" "$ERR" \
    '^faultline: summary for pid [0-9]+ \(seed 5\)$'

# With no option that makes text, FAULTLINE_RULES is passed as it was.
text='rules = ( { calls = [ "fsync" ]; error = "EIO"; } ); # as is
'
FAULTLINE_RULES=$text capture "$FL" run sh -c 'printf "%s" "$FAULTLINE_RULES"'
expect_eq "FAULTLINE_RULES untouched" "$text" "$OUT
"

# ---- the environment -----------------------------------------------------------------------

lib=$(realpath "$FL_LIB_FILE")
capture "$FL" run -e "$idle" sh -c 'printf "%s" "$LD_PRELOAD"'
expect_eq "LD_PRELOAD: the shim, from beside faultline" "$lib" "$OUT"
LD_PRELOAD=libm.so.6 capture "$FL" run -e "$idle" sh -c 'printf "%s" "$LD_PRELOAD"'
expect_eq "LD_PRELOAD: the shim prepended" "$lib:libm.so.6" "$OUT"
# a sanitizer runtime must stay first: the shim goes right behind it (libasan.so here is a name
# ld.so cannot find, which it says on stderr and ignores)
LD_PRELOAD="/nonexistent/libasan.so.8 libm.so.6" capture "$FL" run -e "$idle" sh -c 'printf "%s" "$LD_PRELOAD"'
expect_eq "LD_PRELOAD: behind a sanitizer runtime" "/nonexistent/libasan.so.8:$lib:libm.so.6" "$OUT"
cp "$FL_LIB_FILE" "$PWD/copy.so"
FAULTLINE_LIBRARY=copy.so capture "$FL" run -e "$idle" sh -c 'printf "%s" "$LD_PRELOAD"'
expect_eq "FAULTLINE_LIBRARY, made absolute" "$PWD/copy.so" "$OUT"

capture "$FL" run -s 7 -l stderr -e "$idle" \
    sh -c 'printf "%s|%s|%s" "$FAULTLINE_SEED" "$FAULTLINE_LOG" "$FAULTLINE_RULES"'
expect_eq "-s, -l and -e exported" '7|stderr|rules = (
{ name = "e1"; calls=["fsync"]; error="EIO"
}
);' "$OUT"

# ---- programs the shim cannot reach --------------------------------------------------------

capture "$FL" run -e "$idle" sh -c 'exit 0'
expect_eq "no warning for a dynamic program" "" "$ERR"
if command -v cc >/dev/null 2>&1 && [ -n "$(cc -print-file-name=libc.a 2>/dev/null | grep /)" ] &&
    printf 'int main(void) { return 7; }\n' > static.c &&
    cc -static -o static static.c 2>/dev/null; then
    capture "$FL" run -e "$idle" ./static
    expect_status "static program: still run" 7 "$RC"
    expect_eq "static program: warning" \
        "faultline: warning: ./static is statically linked: no faults can be injected into it" "$ERR"
else
    note "no static C library: the static-program warning is not tested"
fi

# A Go program is dynamically linked when it uses cgo, yet its I/O bypasses the C library: told
# by its .go.buildinfo section (added here to a C program, which is all the command looks at).
if command -v cc >/dev/null 2>&1 && command -v objcopy >/dev/null 2>&1 &&
    printf 'int main(void) { return 5; }\n' > gomain.c && cc -o notgo gomain.c &&
    printf 'Go buildinf:' > buildinfo && objcopy --add-section .go.buildinfo=buildinfo notgo gocgo; then
    capture "$FL" run -e "$idle" ./notgo
    expect_eq "a C program: no warning" "" "$ERR"
    capture "$FL" run -e "$idle" ./gocgo
    expect_status "Go program: still run" 5 "$RC"
    expect_contains "Go program: warning" "$ERR" \
        "faultline: warning: ./gocgo is a Go program: its file and network I/O bypass the C library"
else
    note "no cc or objcopy: the Go-program warning is not tested"
fi

# Set-user-ID to another user: the shim stays inert there (AT_SECURE); said, and run anyway.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    cp "$(type -P true)" suid-true
    chown nobody suid-true && chmod 4755 suid-true
    capture "$FL" run -e "$idle" ./suid-true
    expect_status "set-user-ID program: still run" 0 "$RC"
    expect_eq "set-user-ID program: warning" \
        "faultline: warning: ./suid-true is set-user-ID: the shim stays inert in it" "$ERR"
else
    note "not root: the set-user-ID warning is not tested"
fi
