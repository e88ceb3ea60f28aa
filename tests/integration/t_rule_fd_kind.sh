#!/usr/bin/env bash
# fd = "file" | "socket" | "pipe" | "tty" | "any": a rule matches only calls on that kind of fd.
# python writes one line to a file and one to its stdout, a pipe into cat: fd="pipe" fails only
# the pipe write, fd="file" only the file write, fd="socket" neither, fd="any" both. The
# outcome is the exit status (10 x file + pipe; 0 written, 1 EIO, 2 another error), since the
# program's stdout and stderr are themselves fds a rule may hit.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > kind.py <<'PY'
import os, sys
def outcome(fd, data):
    try:
        return 0 if os.write(fd, data) == len(data) else 3
    except OSError as e:
        return 1 if e.errno == 5 else 2
fd = os.open("k.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
f = outcome(fd, b"to the file\n")
os.close(fd)
p = outcome(1, b"to the pipe\n")
os._exit(10 * f + p)
PY

# FILE's content with spaces as _ and newlines as ,; "-" when empty or missing.
flat() {
    local t
    t=$(tr ' \n' '_,' < "$1" 2>/dev/null)
    echo "${t:--}"
}

# kind  status  k.out  what-cat-got
while read -r kind status file piped; do
    rules="rules=({name=\"k\"; calls=[\"write\"]; fd=\"$kind\"; error=\"EIO\";});"
    rm -f k.out
    LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" FAULTLINE_LOG="$PWD/ev.jsonl" \
        "$PYTHON" kind.py 2>err.txt | cat > piped.txt
    rc=${PIPESTATUS[0]}
    expect_status "kind.py with fd=\"$kind\" (10 x file + pipe)" "$status" "$rc"
    expect_eq "k.out with fd=\"$kind\"" "$file" "$(flat k.out)"
    expect_eq "what cat got with fd=\"$kind\"" "$piped" "$(flat piped.txt)"
    expect_eq "fault lines with fd=\"$kind\"" "$(( status / 10 + status % 10 ))" \
        "$(jsonl count --where event=fault --where rule=k ev.jsonl)"
    rm -f ev.jsonl
done <<'TABLE'
pipe 1 to_the_file, -
file 10 - to_the_pipe,
socket 0 to_the_file, to_the_pipe,
any 11 - -
TABLE

# The fault line of the pipe write names fd 1.
LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='rules=({name="k"; calls=["write"]; fd="pipe"; error="EIO";});' \
    FAULTLINE_LOG="$PWD/ev.jsonl" "$PYTHON" kind.py 2>/dev/null | cat >/dev/null
expect_eq "the pipe fault" "write	1	EIO" "$(jsonl fields --where event=fault ev.jsonl -- call fd errno)"

# fd="tty": only the write to a terminal. script(1) gives python a pseudo-terminal as stdout;
# only python runs under the shim (script's own writes go to the terminal's master side); the
# outcome is python's exit status again (script -e passes it on).
if command -v script >/dev/null 2>&1 && script -qec true /dev/null </dev/null >/dev/null 2>&1; then
    tty_run() { # KIND
        local rules="rules=({calls=[\"write\"]; fd=\"$1\"; error=\"EIO\";});"
        script -qec "env LD_PRELOAD=\"$FL_LIB\" FAULTLINE_RULES='$rules' \"$PYTHON\" kind.py" \
            /dev/null </dev/null >/dev/null 2>&1
    }
    tty_run tty
    expect_status "kind.py with fd=\"tty\", stdout a terminal (10 x file + tty)" 1 $?
    tty_run file
    expect_status "kind.py with fd=\"file\", stdout a terminal (10 x file + tty)" 10 $?
    tty_run pipe
    expect_status "kind.py with fd=\"pipe\", stdout a terminal (10 x file + tty)" 0 $?
else
    note "script(1) unusable: fd=\"tty\" not tested"
fi
