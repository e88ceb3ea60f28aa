#!/usr/bin/env bash
# min_size / max_size: a rule matches only calls whose size (bytes asked) is in range.
# min_size=1000 on write: 100- and 999-byte writes pass, 1000- and 2000-byte writes fail;
# max_size bounds from above (inclusive); both together make a band; reads count the bytes
# asked, not the bytes there are.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > size.py <<'PY'
import os
fd = os.open("sz.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
res = []
for n in (100, 999, 1000, 2000, 100, 5000, 5001):
    try:
        res.append("%d:%d" % (n, os.write(fd, b"s" * n)))
    except OSError as e:
        res.append("%d:E%d" % (n, e.errno))
os.close(fd)
print(" ".join(res))
PY

# bounds  outcomes  bytes-in-the-file
while IFS='|' read -r bounds want bytes; do
    rules="rules=({name=\"sz\"; calls=[\"write\"]; path=\"*/sz.out\"; error=\"EIO\"; $bounds});"
    FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" "$PYTHON" size.py
    expect_status "size.py with $bounds" 0 "$RC"
    expect_eq "writes with $bounds" "$want" "$OUT"
    expect_eq "sz.out with $bounds" "$bytes" "$(wc -c < sz.out)"
    # The log's asked of each fault is the size that failed.
    expect_eq "asked of the faults with $bounds" \
        "$(printf '%s\n' "$want" | tr ' ' '\n' | grep ':E5$' | cut -d: -f1 | tr '\n' ' ')" \
        "$(jsonl fields --where event=fault ev.jsonl -- asked | tr '\n' ' ')"
    rm -f ev.jsonl
done <<'TABLE'
min_size=1000;|100:100 999:999 1000:E5 2000:E5 100:100 5000:E5 5001:E5|1199
max_size=1000;|100:E5 999:E5 1000:E5 2000:2000 100:E5 5000:5000 5001:5001|12001
min_size=1000; max_size=5000;|100:100 999:999 1000:E5 2000:E5 100:100 5000:E5 5001:5001|6200
TABLE

# Reads: the size is what the call asks for.
head -c 3000 /dev/zero > in.bin
cat > rd.py <<'PY'
import os
fd = os.open("in.bin", os.O_RDONLY)
res = []
for n in (100, 2000, 999, 1000):
    try:
        res.append("%d:%d" % (n, len(os.read(fd, n))))
    except OSError as e:
        res.append("%d:E%d" % (n, e.errno))
print(" ".join(res))
PY
rules='rules=({calls=["read"]; path="*/in.bin"; min_size=1000; error="EIO";});'
capture under_shim "$rules" "$PYTHON" rd.py
expect_eq "reads with min_size=1000" "100:100 2000:E5 999:999 1000:E5" "$OUT"
