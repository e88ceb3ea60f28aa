#!/usr/bin/env bash
# summary = true prints the per-rule table (matched / injected / by action) on stderr at exit,
# to the copy of stderr taken at start: it arrives even when the program closed fd 2 before
# exiting (or reused fd 2 for a file of its own), and nothing of it goes to stdout.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
W="$FL_PROGS/stdio_writer"

# row RULE STATE MATCHED INJECTED ACTIONS: the regex of one table row.
row() {
    printf '^  %s +%s +%s +%s  %s$' "$1" "$2" "$3" "$4" "$5"
}

rules='summary = true;
rules = ( { name = "sum-fputs"; calls = [ "fputs" ]; error = "EIO"; },
          { name = "idle"; calls = [ "fsync" ]; error = "EIO"; } );'

# stdio_writer -x closes fd 2 just before returning from main.
for x in "" -x; do
    env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" "$W" -n 3 -c fputs,fwrite $x out.txt \
        >stdout.txt 2>stderr.txt &
    pid=$!
    wait $pid
    rc=$?
    what="summary (stdio_writer ${x:-without -x})"
    expect_status "$what: exit status" 12 "$rc"
    err=$(cat stderr.txt)
    expect_match "$what: header" "$err" "^faultline: summary for pid $pid \(seed [0-9]+\)$"
    expect_match "$what: column titles" "$err" '^  rule +state +matched +injected +by action$'
    expect_match "$what: the firing rule" "$err" "$(row sum-fputs armed 3 3 error=3)"
    expect_match "$what: the idle rule" "$err" "$(row idle armed 0 0 -)"
    expect_eq "$what: stdout" "" "$(cat stdout.txt)"
    expect_eq "$what: the summary comes after the program's last line" \
        "stdio_writer: 6 calls, 3 failed" "$(grep -B1 '^faultline: summary' stderr.txt | head -n 1)"
done

# Without summary: no table.
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="${rules/summary = true;/}" "$W" -n 1 -c fputs out.txt
expect_not_contains "no summary unless asked" "$ERR" "faultline: summary"

# coreutils closes stdout and stderr in an atexit handler, before the shim's destructor runs.
printf 'some text\n' > in.txt
rules='summary = true; rules = ( { name = "never"; calls = [ "fsync" ]; error = "EIO"; } );'
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" cat in.txt
expect_status "cat with a summary" 0 "$RC"
expect_eq "cat's stdout" "some text" "$OUT"
expect_match "cat: summary row" "$ERR" "$(row never armed 0 0 -)"

# python3 closes fd 2, and opens a file that takes fd 2 and stays open until exit: the summary
# must neither be lost nor land in that file.
if command -v python3 >/dev/null 2>&1; then
    python_bin
    cat > close2.py <<'PY'
import os, socket, sys
try:
    socket.create_connection(("127.0.0.1", 9), timeout=5)
except OSError as e:
    print("connect:", type(e).__name__)
sys.stdout.flush()
os.close(2)
fd = os.open("reused.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"mine\n")
print("fd", fd)
PY
    rules='summary = true;
rules = ( { name = "refuse"; calls = [ "connect" ]; error = "ECONNREFUSED"; },
          { name = "spare"; calls = [ "fsync" ]; error = "EIO"; enabled = false; } );'
    capture env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" "$PYTHON" close2.py
    expect_status "python closing fd 2" 0 "$RC"
    expect_eq "python's stdout, and only it" "connect: ConnectionRefusedError
fd 2" "$OUT"
    expect_eq "the file that took fd 2" "mine" "$(cat reused.txt)"
    expect_match "python: summary header" "$ERR" '^faultline: summary for pid [0-9]+'
    expect_match "python: firing rule" "$ERR" "$(row refuse armed 1 1 error=1)"
    expect_match "python: dormant rule" "$ERR" "$(row spare dormant 0 0 -)"
fi
