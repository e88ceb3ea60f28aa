#!/usr/bin/env bash
# With the shim preloaded and no rule that fires, real programs behave exactly as without it:
# the same stdout (byte for byte), stderr and exit status, and the same files written. Checked
# for ls, cat, python3, sqlite3, git and curl (those installed), in three set-ups: the shim with
# no config; rules on every call (@all) with probability 0, so that every call takes the shim's
# slow path; and the same rules dormant (enabled = false).
. "$FL_ROOT/tests/integration/lib.sh"

have() { command -v "$1" >/dev/null 2>&1; }
python=0
if have python3; then python_bin; python=1; fi

# ---- fixtures (made without the shim) ----
stamp=202001020304.05
mkdir -p fix/dir
printf 'alpha\n' > fix/dir/a.txt
printf 'beta beta\n' > fix/dir/b.txt
mkdir fix/dir/sub
ln -s a.txt fix/dir/link
seq 1 200000 > fix/big.txt
touch -h -t "$stamp" fix/dir/a.txt fix/dir/b.txt fix/dir/sub fix/dir/link fix/dir fix

if [ $python = 1 ]; then
    cat > fix/script.py <<'PY'
import hashlib, json, os, sys
data = open(sys.argv[1], "rb").read()
print(hashlib.sha256(data).hexdigest(), len(data))
print(json.dumps({"files": sorted(os.listdir(sys.argv[2])), "n": sum(range(10**5))}, sort_keys=True))
with open(sys.argv[3], "w") as f:
    for i in range(1000):
        f.write(f"{i} {i * i}\n")
print("done", file=sys.stderr)
PY
fi
if have sqlite3; then
    sqlite3 fix/ref.db 'create table t(k text primary key, v integer);
        insert into t values ("a", 1), ("b", 2), ("c", 3);'
fi
# curl hangs with an ASan runtime preloaded, shim or not
if have curl && [ $python = 1 ] && [ -z "${FL_PRELOAD_FIRST:-}" ]; then
    start_http_server "$PWD/fix"
    url="http://127.0.0.1:$SERVER_PORT"
fi

# run_all DIR PRELOAD RULES: every program, outputs into DIR. PRELOAD is 1 to preload the shim.
run_all() {
    local dir=$1 pre=$2 rules=$3
    mkdir "$dir"
    # one NAME CMD...: stdout, stderr and status of CMD into DIR/NAME.*
    one() {
        local name=$1
        shift
        if [ "$pre" = 1 ]; then
            LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
        else
            "$@" >"$dir/$name.out" 2>"$dir/$name.err"
        fi
        echo $? >"$dir/$name.rc"
    }
    one ls ls -la --time-style=full-iso fix/dir
    one ls_R ls -lR --time-style=full-iso fix/dir
    one cat_file cat fix/big.txt
    one cat_pipe cat < <(cat fix/big.txt)
    one cat_copy sh -c "cat fix/big.txt > $dir/big.copy"
    one cat_missing cat fix/nonexistent
    if [ $python = 1 ]; then
        one python "$PYTHON" fix/script.py fix/big.txt fix/dir "$dir/py.written"
    fi
    if have sqlite3; then
        one sqlite_q sqlite3 fix/ref.db 'select k, v * 10 from t order by k;'
        one sqlite_w sqlite3 "$dir/new.db" 'create table u(x); insert into u values (1), (2);
            select count(*) from u;'
        one sqlite_dump sqlite3 "$dir/new.db" .dump
        one sqlite_err sqlite3 fix/ref.db 'select * from missing_table;'
    fi
    if have git; then
        (
            export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t \
                GIT_COMMITTER_EMAIL=t@example.invalid GIT_AUTHOR_DATE='2020-01-02T03:04:05Z' \
                GIT_COMMITTER_DATE='2020-01-02T03:04:05Z' GIT_CONFIG_GLOBAL=/dev/null \
                GIT_CONFIG_NOSYSTEM=1 HOME="$PWD"
            one git_init git init -q -b main "$dir/repo"
            cp fix/dir/a.txt fix/dir/b.txt "$dir/repo/"
            one git_add git -C "$dir/repo" add a.txt b.txt
            one git_commit git -C "$dir/repo" commit -q -m 'first commit'
            printf 'more\n' >> "$dir/repo/a.txt"
            one git_commit2 git -C "$dir/repo" commit -q -a -m 'second commit'
            one git_log git -C "$dir/repo" log --stat --format='%H %an %ad %s'
            one git_status git -C "$dir/repo" status --porcelain=v1
        )
        rm -rf "$dir/repo"   # the commits' hashes are in git_log.out
    fi
    if [ -n "${url:-}" ]; then
        one curl_stdout curl --noproxy '*' -sS --max-time 20 "$url/big.txt"
        one curl_file curl --noproxy '*' -sS --max-time 20 -o "$dir/curl.got" "$url/dir/a.txt"
        one curl_404 curl --noproxy '*' -sS --max-time 20 -o /dev/null -w '%{http_code}\n' \
            "$url/nope"
    fi
}

run_all plain 0 ''
run_all shim 1 ''
run_all p0 1 'rules=({name="never"; calls=["@all"]; error="EIO"; probability=0.0;});'
run_all dormant 1 'rules=({name="off"; calls=["@all"]; error="EIO"; enabled=false;});'

# The reference run must itself be meaningful.
expect_eq "reference ls status" 0 "$(cat plain/ls.rc)"
expect_contains "reference ls" "$(cat plain/ls.out)" "a.txt"
expect_eq "reference cat" "$(cat fix/big.txt)" "$(cat plain/cat_file.out)"
expect_ne "reference cat of a missing file fails" 0 "$(cat plain/cat_missing.rc)"
[ $python = 1 ] && expect_contains "reference python" "$(cat plain/python.out)" '"n": 4999950000'
have sqlite3 && expect_eq "reference sqlite query" "a|10
b|20
c|30" "$(cat plain/sqlite_q.out)"
have git && expect_eq "reference git log has both commits" 2 \
    "$(grep -c ' t Thu Jan 2 03:04:05 2020 +0000 ' plain/git_log.out)"
[ -n "${url:-}" ] && expect_eq "reference curl 404" 404 "$(cat plain/curl_404.out)"

for mode in shim p0 dormant; do
    note "comparing $mode with plain"
    if ! diff -r plain "$mode" >diff.txt 2>&1; then
        head -n 60 diff.txt
        fail "outputs with the shim ($mode) differ from those without it"
    fi
done
