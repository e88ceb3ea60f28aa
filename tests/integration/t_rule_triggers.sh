#!/usr/bin/env bash
# after / every / times: which matching calls a rule fires on. Ten os.write calls to a file,
# one character per call (F: failed with EIO, .: written): after=2 times=3 gives ..FFF.....,
# every=3 gives ..F..F..F., times=1 fires once. Writes to another file in between do not match
# the rule's path and so do not count. The lines that reached the file are exactly those of
# the "." calls, and the log has one fault line per F.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > trig.py <<'PY'
import os, sys
flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
fd = os.open("trig.out", flags, 0o644)
other = os.open("other.out", flags, 0o644)
shape = ""
for i in range(10):
    try:
        os.write(fd, b"%d\n" % i)
        shape += "."
    except OSError as e:
        shape += "F" if e.errno == 5 else "?%d" % e.errno
    os.write(other, b"%d\n" % i)               # never matches: another path
print(shape)
PY

# triggers  shape  lines-written
while read -r trig shape lines; do
    rules="rules=({name=\"t\"; calls=[\"write\"]; path=\"*/trig.out\"; error=\"EIO\"; $trig});"
    FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$PYTHON" trig.py
    expect_status "trig.py with $trig" 0 "$RC"
    expect_eq "shape with $trig" "$shape" "$OUT"
    expect_eq "lines in trig.out with $trig" "$lines" "$(tr '\n' ',' < trig.out)"
    expect_eq "other.out untouched with $trig" "0,1,2,3,4,5,6,7,8,9," "$(tr '\n' ',' < other.out)"
    f=${shape//./}
    expect_eq "fault lines with $trig" "${#f}" \
        "$(jsonl count --where event=fault --where rule=t --where errno=EIO ev.jsonl)"
    rm -f ev.jsonl
done <<'TABLE'
after=2;times=3; ..FFF..... 0,1,5,6,7,8,9,
every=3; ..F..F..F. 0,1,3,4,6,7,9,
times=1; F......... 1,2,3,4,5,6,7,8,9,
after=9; .........F 0,1,2,3,4,5,6,7,8,
after=1;every=2;times=2; ..F.F..... 0,1,3,5,6,7,8,9,
every=4;times=5; ...F...F.. 0,1,2,4,5,6,8,9,
after=10; .......... 0,1,2,3,4,5,6,7,8,9,
probability=0.0; .......... 0,1,2,3,4,5,6,7,8,9,
TABLE

# Two rules on the same calls: the first in the file wins, the second does not count the call
# as fired (its `times` is not used up by calls the first one took).
rules='rules=({name="first"; calls=["write"]; path="*/trig.out"; error="EIO"; after=3; times=2;},
                {name="second"; calls=["write"]; path="*/trig.out"; error="ENOSPC"; times=4;});'
cat > two.py <<'PY'
import os
fd = os.open("trig.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
shape = ""
for i in range(10):
    try:
        os.write(fd, b"%d\n" % i)
        shape += "."
    except OSError as e:
        shape += {5: "E", 28: "S"}.get(e.errno, "?")
print(shape)
PY
capture under_shim "$rules" "$PYTHON" two.py
expect_eq "two rules: first wins, second keeps its count" "SSSEES...." "$OUT"
