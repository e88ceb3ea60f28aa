#!/usr/bin/env bash
# dry_run = true, on a rule or globally: the rule decides and logs ("dry_run":true on each fault
# line) but injects nothing: the program's calls all succeed and its files are whole. A rule's
# own dry_run = false overrides the global one.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

cat > prog.py <<'PY'
import os
fd = os.open("d.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
res = []
for i in range(4):
    try:
        res.append(str(os.write(fd, b"%d\n" % i)))
    except OSError as e:
        res.append("E%d" % e.errno)
try:
    os.fsync(fd)
    res.append("fsync-ok")
except OSError as e:
    res.append("fsync-E%d" % e.errno)
os.close(fd)
print(" ".join(res))
PY

check_clean_run() { # WHAT
    expect_status "$1" 0 "$RC"
    expect_eq "$1: the program's calls" "2 2 2 2 fsync-ok" "$OUT"
    expect_eq "$1: d.txt" "0,1,2,3," "$(tr '\n' ',' < d.txt)"
}

# A rule's dry_run.
rules='rules=({name="would-fail"; calls=["write"]; path="*/d.txt"; error="EIO"; after=1; dry_run=true;});'
FAULTLINE_LOG="$PWD/r.jsonl" capture under_shim "$rules" "$PYTHON" prog.py
check_clean_run "rule dry_run"
expect_eq "rule dry_run: fault lines" "would-fail	write	error	EIO	true
would-fail	write	error	EIO	true
would-fail	write	error	EIO	true" \
    "$(jsonl fields --where event=fault r.jsonl -- rule call action errno dry_run)"

# The global dry_run covers every rule, a kill rule too.
rules='dry_run = true;
rules=({name="w"; calls=["write"]; path="*/d.txt"; error="ENOSPC"; times=2;},
       {name="k"; calls=["fsync"]; kill="SIGKILL";},
       {name="lost"; calls=["write"]; path="*/d.txt"; drop=true;});'
FAULTLINE_LOG="$PWD/g.jsonl" capture under_shim "$rules" "$PYTHON" prog.py
check_clean_run "global dry_run"
expect_eq "global dry_run: fault lines" "w	error	ENOSPC	true
w	error	ENOSPC	true
lost	drop	null	true
lost	drop	null	true
k	kill	null	true" \
    "$(jsonl fields --where event=fault g.jsonl -- rule action errno dry_run)"

# The same through a config file.
cat > dry.cfg <<'CFG'
dry_run = true;
log = "cfg.jsonl";
rules = ( { name = "cfgrule"; calls = [ "write" ]; path = "*/d.txt"; error = "EIO"; } );
CFG
sed -i "s|\"cfg.jsonl\"|\"$PWD/cfg.jsonl\"|" dry.cfg
FAULTLINE_CONFIG="$PWD/dry.cfg" capture under_shim '' "$PYTHON" prog.py
check_clean_run "dry_run in a config file"
expect_eq "dry_run in a config file: fault lines" 4 \
    "$(jsonl count --where event=fault --where rule=cfgrule --where dry_run=true cfg.jsonl)"

# A rule's dry_run = false overrides the global: that rule injects, and says nothing of dry_run.
rules='dry_run = true;
rules=({name="real"; calls=["write"]; path="*/d.txt"; error="EIO"; times=1; dry_run=false;},
       {name="pretend"; calls=["fsync"]; error="EIO";});'
FAULTLINE_LOG="$PWD/o.jsonl" capture under_shim "$rules" "$PYTHON" prog.py
expect_eq "dry_run=false in a rule under the global dry_run" "E5 2 2 2 fsync-ok" "$OUT"
expect_eq "d.txt without its first line" "1,2,3," "$(tr '\n' ',' < d.txt)"
expect_eq "fault lines" "real	-1	-
pretend	0	true" "$(jsonl fields --where event=fault o.jsonl -- rule "done" dry_run)"

# A dry run records the call's real result: a write that would have failed reports the bytes it
# really wrote.
cat > dw.py <<'PY'
import os
fd = os.open("dw.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
print(os.write(fd, b"x" * 4096))
PY
rules='rules=({name="dw"; calls=["write"]; path="*/dw.txt"; error="ENOSPC"; dry_run=true;});'
FAULTLINE_LOG="$PWD/dw.jsonl" capture under_shim "$rules" "$PYTHON" dw.py
expect_eq "the dry-run write went through" "4096" "$OUT"
expect_eq "its fault line holds the real result" "dw	error	4096	true" \
    "$(jsonl fields --where event=fault dw.jsonl -- rule action "done" dry_run)"
