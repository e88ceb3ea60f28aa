#!/usr/bin/env bash
# Faults reach a real lighttpd, which exports config_init and config_read of its own (names
# libconfig uses too): under the shim with a config it starts, serves a file byte for byte, and
# a rule making open() of another file fail with EACCES turns that request into lighttpd's 403,
# with the event log saying so. `lighttpd -v` under the shim with `rules = ();` prints its
# version and exits 0. lighttpd runs in the foreground (-D) on a free loopback port.
. "$FL_ROOT/tests/integration/lib.sh"
PATH=$PATH:/usr/sbin
need lighttpd curl
python_bin

TOP=$(cd "$FL_TMP" && pwd -P)
mkdir www
printf 'hello from lighttpd\n' > www/hello.txt
printf 'not for you\n' > www/secret.txt

echo 'rules = ();' > empty.cfg
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$TOP/empty.cfg" lighttpd -v
expect_status "lighttpd -v under the shim, rules = (): exit status" 0 "$RC"
expect_match "lighttpd -v under the shim: version" "$OUT" "^lighttpd/[0-9]"

cat > rules.cfg <<CFG
log = "$TOP/ev.jsonl";
rules = ( { name = "denied"; calls = [ "open" ]; path = "$TOP/www/secret.txt"; error = "EACCES"; } );
CFG

alive() { kill -0 "$LPID" 2>/dev/null; }

# lighttpd_start: lighttpd under the shim with rules.cfg on a free loopback port. Sets PORT, LPID.
lighttpd_start() {
    local try i
    for try in 1 2 3 4 5; do
        PORT=$(free_port)
        cat > lighttpd.conf <<CONF
server.document-root = "$TOP/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$TOP/error.log"
server.pid-file = "$TOP/lighttpd.pid"
mimetype.assign = ( ".txt" => "text/plain" )
CONF
        rm -f error.log
        LD_PRELOAD="$FL_LIB" FAULTLINE_CONFIG="$TOP/rules.cfg" lighttpd -D -f "$TOP/lighttpd.conf" \
            2>lighttpd.stderr &
        LPID=$!
        for ((i = 0; i < 200; i++)); do
            alive || break
            if port_accepts "$PORT"; then
                FL_PIDS+=("$LPID")
                return 0
            fi
            sleep 0.05
        done
        if alive; then
            kill "$LPID"
            fail "lighttpd did not accept connections within 10 s: $(lighttpd_msgs)"
        fi
        wait "$LPID"
        grep -q "Address already in use" error.log lighttpd.stderr 2>/dev/null ||
            fail "lighttpd exited at start (status $?): $(lighttpd_msgs)"
        note "port $PORT was taken meanwhile, trying another"
    done
    fail "no free loopback port for lighttpd after 5 tries"
}

lighttpd_msgs() {
    cat lighttpd.stderr error.log 2>/dev/null | tail -n 5
}

# fetch PATH FILE: the body in FILE; STATUS the HTTP status (000 when curl got none).
fetch() {
    STATUS=$(curl --noproxy '*' -sS --max-time 20 -o "$2" -w '%{http_code}' \
        "http://127.0.0.1:$PORT/$1") || note "curl $1: exit status $?"
}

lighttpd_start
fetch hello.txt hello.body
expect_eq "status of hello.txt" 200 "$STATUS"
expect_same_file "hello.txt as served" www/hello.txt hello.body

fetch secret.txt secret.body
expect_eq "status of secret.txt, open() failing with EACCES" 403 "$STATUS"
expect_eq "the fault in the event log" "denied	open	EACCES	$TOP/www/secret.txt" \
    "$(jsonl fields --where event=fault ev.jsonl -- rule call errno path)"

fetch hello.txt hello2.body
expect_eq "status of hello.txt after the fault" 200 "$STATUS"
expect_same_file "hello.txt after the fault" www/hello.txt hello2.body

kill "$LPID"
wait "$LPID"
expect_status "lighttpd's exit status on SIGTERM" 0 "$?"
expect_eq "the shim was loaded in lighttpd" 1 "$(jsonl count --where event=start ev.jsonl)"
