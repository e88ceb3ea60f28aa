#!/usr/bin/env bash
# path = "GLOB": a rule matches only calls on that path. On open* the glob is matched against the
# absolute, tidied path asked for (relative to the working directory or to openat's dirfd); on
# read/write/... against the path the fd was opened with. A glob without a leading '/' matches
# in any directory. python3's os.open of a.db gets PermissionError while b.txt opens; writes
# fail with EIO only on the fd opened on a matching path.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

mkdir sub
: > sub/c.db

cat > opens.py <<'PY'
import os, sys
for name in sys.argv[1:]:
    try:
        if name.startswith("at:"):            # openat relative to the directory sub/
            d = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
            fd = os.open(name[3:], os.O_RDONLY, dir_fd=d)
            os.close(d)
        elif name.startswith("io:"):          # the builtin open()
            with open(name[3:], "ab") as f:
                fd = os.dup(f.fileno())
        else:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.close(fd)
        print(name, "ok")
    except OSError as e:
        print(name, type(e).__name__, e.errno)
PY

names=(a.db b.txt "$PWD/a.db" ./a.db sub/../a.db sub/c.db xa.db a.dbx at:c.db io:a.db io:b.txt)
run_opens() { # RULES: prints one line per name
    capture under_shim "$1" "$PYTHON" opens.py "${names[@]}"
    expect_status "opens.py with $1" 0 "$RC"
}

capture "$PYTHON" opens.py "${names[@]}"
expect_eq "without the shim, every open succeeds" 11 "$(grep -c ' ok$' "$OUT_FILE")"

# "*.db": any file ending in .db, anywhere.
rules='rules=({name="nodb"; calls=["open", "openat"]; path="*.db"; error="EACCES";});'
FAULTLINE_LOG="$PWD/ev1.jsonl" run_opens "$rules"
expect_eq 'path="*.db"' "a.db PermissionError 13
b.txt ok
$PWD/a.db PermissionError 13
./a.db PermissionError 13
sub/../a.db PermissionError 13
sub/c.db PermissionError 13
xa.db PermissionError 13
a.dbx ok
at:c.db PermissionError 13
io:a.db PermissionError 13
io:b.txt ok" "$OUT"
# The log names the absolute, tidied path.
expect_eq "paths in the log" "$PWD/a.db
$PWD/a.db
$PWD/a.db
$PWD/a.db
$PWD/sub/c.db
$PWD/xa.db
$PWD/sub/c.db
$PWD/a.db" "$(jsonl fields --where event=fault ev1.jsonl -- path)"
expect_eq "errno in the log" 8 "$(jsonl count --where event=fault --where errno=EACCES ev1.jsonl)"

# "a.db" (relative glob): the file a.db in any directory, not xa.db.
rules='rules=({calls=["open", "openat"]; path="a.db"; error="EACCES";});'
run_opens "$rules"
expect_eq 'path="a.db"' "a.db PermissionError 13
b.txt ok
$PWD/a.db PermissionError 13
./a.db PermissionError 13
sub/../a.db PermissionError 13
sub/c.db ok
xa.db ok
a.dbx ok
at:c.db ok
io:a.db PermissionError 13
io:b.txt ok" "$OUT"

# An absolute glob: that directory only; openat's path is resolved against its dirfd.
rules="rules=({calls=[\"open\", \"openat\"]; path=\"$PWD/sub/*\"; error=\"EACCES\";});"
run_opens "$rules"
expect_eq "path=\"$PWD/sub/*\"" "a.db ok
b.txt ok
$PWD/a.db ok
./a.db ok
sub/../a.db ok
sub/c.db PermissionError 13
xa.db ok
a.dbx ok
at:c.db PermissionError 13
io:a.db ok
io:b.txt ok" "$OUT"

# ---- writes: only on the fd opened on a matching path ----------------------------------------
cat > writes.py <<'PY'
import os
def w(label, fd, data=b"hello\n"):
    try:
        print(label, os.write(fd, data))
    except OSError as e:
        print(label, type(e).__name__, e.errno)
flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
a = os.open("a.db", flags, 0o644)
b = os.open("b.txt", flags, 0o644)
w("a.db", a)
w("b.txt", b)
d = os.dup(a)                                  # a dup keeps the path
w("dup-of-a.db", d)
os.close(d)
os.close(a)
c = os.open("c.txt", flags, 0o644)             # likely a's old number: its path is forgotten
w("c.txt" + (" (a's fd)" if c == a else ""), c)
os.close(c)
s = os.open("sub/c.db", flags, 0o644)
w("sub/c.db", s)
os.close(s)
w("b.txt", b, b"again\n")
os.close(b)
PY
rules='rules=({name="dbwrite"; calls=["write"]; path="*.db"; error="EIO";});'
FAULTLINE_LOG="$PWD/ev2.jsonl" capture under_shim "$rules" "$PYTHON" writes.py
expect_status "writes.py" 0 "$RC"
expect_eq "writes under path=\"*.db\"" "a.db OSError 5
b.txt 6
dup-of-a.db OSError 5
c.txt (a's fd) 6
sub/c.db OSError 5
b.txt 6" "$OUT"
expect_eq "b.txt got both writes" "hello
again" "$(cat b.txt)"
expect_eq "c.txt written" "hello" "$(cat c.txt)"
expect_eq "a.db stays empty" 0 "$(wc -c < a.db)"
expect_eq "sub/c.db stays empty" 0 "$(wc -c < sub/c.db)"
expect_eq "write faults in the log" "write	$PWD/a.db	EIO
write	$PWD/a.db	EIO
write	$PWD/sub/c.db	EIO" "$(jsonl fields --where event=fault ev2.jsonl -- call path errno)"
