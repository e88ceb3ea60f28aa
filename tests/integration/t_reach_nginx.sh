#!/usr/bin/env bash
# Faults reach a real nginx, a reverse proxy on 127.0.0.1 in front of a static-file server
# block of its own (one process: daemon off, master_process off; or a master and a worker):
#  (a) connect() to the upstream refused: curl through the proxy gets nginx's 502 page, nginx
#      logs "connect() to 127.0.0.1:UP failed (111: Connection refused) while connecting to
#      upstream", and the upstream itself still serves the file. The same with a master
#      process and a worker (as nobody when run as root), which gets the rule through fork.
#  (b) short writes on its sockets (write and writev, sendfile off; then sendfile, sendfile on):
#      nginx finishes every transfer, and curl gets the whole 1 MB file, byte for byte, directly
#      and through the proxy; the event log shows the short writes happened.
#  (c) with the shim loaded and no rules, the same statuses, headers (but Date) and bodies as
#      without the shim.
# nginx replaces its environment at start (and its workers'); the shim has read its own before
# that, and a worker inherits it at fork.
. "$FL_ROOT/tests/integration/lib.sh"
PATH=$PATH:/usr/sbin
need nginx curl pgrep
python_bin

TOP=$(cd "$FL_TMP" && pwd -P)
chmod 0755 "$TOP" # a worker running as nobody serves www/
mkdir -m 0755 www
head -c 1048576 /dev/urandom > www/big.bin
printf 'hello from nginx\n' > www/hello.txt
chmod 0644 www/*

two_ports() { # two loopback ports nobody listens on right now
    "$PYTHON" -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])'
}

# nginx_start NAME RULES SENDFILE: nginx with its prefix, config, logs and temp files in
# $TOP/NAME, listening on two free loopback ports: UP, a server block serving www/, and FRONT,
# a proxy to UP (FRONT/ready answers by itself). Under the shim with RULES (in which @UP@
# stands for the upstream port) as FAULTLINE_RULES and the event log NAME/ev.jsonl; RULES "-":
# without the shim. SENDFILE is on or off. With MASTER=on in the environment, a master process
# and a worker (a user nobody worker when root). Sets NDIR, NPID (the first process), UP, FRONT.
nginx_start() {
    local name=$1 rules=$2 sendfile=$3 try i
    NDIR="$TOP/$name"
    mkdir -p "$NDIR/tmp"
    local master="master_process ${MASTER:-off};"
    [ "${MASTER:-off}" = on ] && [ "$(id -u)" = 0 ] && master="$master user nobody nogroup;"
    for try in 1 2 3 4 5; do
        read -r UP FRONT < <(two_ports)
        [ -n "$FRONT" ] || fail "no free loopback ports"
        cat > "$NDIR/nginx.conf" <<EOF
daemon off;
$master
worker_processes 1;
pid $NDIR/nginx.pid;
error_log $NDIR/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path $NDIR/tmp/body;
    proxy_temp_path $NDIR/tmp/proxy;
    fastcgi_temp_path $NDIR/tmp/fastcgi;
    uwsgi_temp_path $NDIR/tmp/uwsgi;
    scgi_temp_path $NDIR/tmp/scgi;
    sendfile $sendfile;
    server {
        listen 127.0.0.1:$UP;
        root $TOP/www;
    }
    server {
        listen 127.0.0.1:$FRONT;
        location = /ready { return 200 "front\n"; }
        location / { proxy_pass http://127.0.0.1:$UP; }
    }
}
EOF
        rm -f "$NDIR/error.log"
        local args=(-e "$NDIR/error.log" -p "$NDIR/" -c "$NDIR/nginx.conf")
        if [ "$rules" = - ]; then
            nginx "${args[@]}" 2>"$NDIR/stderr" &
        else
            LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="${rules//@UP@/$UP}" \
                FAULTLINE_LOG="$NDIR/ev.jsonl" nginx "${args[@]}" 2>"$NDIR/stderr" &
        fi
        NPID=$!
        for ((i = 0; i < 200; i++)); do
            alive "$NPID" || break
            # Ours when both answer as configured (a port taken meanwhile makes nginx exit).
            if [ "$(get_body "http://127.0.0.1:$FRONT/ready")" = front ] &&
                cmp -s www/hello.txt <(get_body "http://127.0.0.1:$UP/hello.txt"); then
                FL_PIDS+=("$NPID")
                return 0
            fi
            sleep 0.05
        done
        if alive "$NPID"; then
            kill "$NPID"
            fail "nginx did not answer within 10 s: $(nginx_msgs)"
        fi
        wait "$NPID"
        grep -q "Address already in use" "$NDIR/error.log" "$NDIR/stderr" 2>/dev/null ||
            fail "nginx exited at start: $(nginx_msgs)"
        note "port $UP or $FRONT was taken meanwhile, trying others"
    done
    fail "no free loopback ports for nginx after 5 tries"
}

nginx_msgs() { # the last lines nginx wrote
    cat "$NDIR/stderr" "$NDIR/error.log" 2>/dev/null | tail -n 5
}

nginx_stop() {
    kill "$NPID"
    wait "$NPID"
}

get_body() { # URL: the body on stdout
    curl --noproxy '*' -s --max-time 20 "$1"
}

# fetch URL FILE: the body in FILE, the headers (but Date) in FILE.hdr; STATUS the HTTP status
# (000 when curl got none).
fetch() {
    STATUS=$(curl --noproxy '*' -sS --max-time 20 -D "$2.raw" -o "$2" -w '%{http_code}' "$1") ||
        note "curl $1: exit status $?"
    grep -iv '^date:' "$2.raw" > "$2.hdr" 2>/dev/null
    rm -f "$2.raw"
}

faults() { # LOG --where ...: the number of faults matching
    local log=$1
    shift
    jsonl count --where event=fault "$@" "$log"
}

# ---- (a) the proxy cannot connect to its upstream ------------------------------------------
rules='rules=({name="refused"; calls=["connect"]; peer="127.0.0.1:@UP@"; error="ECONNREFUSED";});'
nginx_start refused "$rules" off
fetch "http://127.0.0.1:$FRONT/big.bin" a.body
expect_eq "status through the proxy with connect=ECONNREFUSED" 502 "$STATUS"
expect_contains "nginx's error page" "$(cat a.body)" "502 Bad Gateway"
fetch "http://127.0.0.1:$UP/big.bin" a-up.body
expect_eq "status from the upstream itself" 200 "$STATUS"
expect_same_file "the file from the upstream itself" www/big.bin a-up.body
expect_contains "nginx's error log" "$(cat "$NDIR/error.log")" \
    "connect() to 127.0.0.1:$UP failed (111: Connection refused) while connecting to upstream"
n=$(faults "$NDIR/ev.jsonl" --where rule=refused --where call=connect --where peer="127.0.0.1:$UP")
expect_ge "connect faults on the upstream's address" 1 "$n"
nginx_stop

MASTER=on nginx_start refused-master "$rules" off
fetch "http://127.0.0.1:$FRONT/big.bin" a2.body
expect_eq "status through the proxy, master and worker, connect=ECONNREFUSED" 502 "$STATUS"
expect_contains "nginx's error log, master and worker" "$(cat "$NDIR/error.log")" \
    "connect() to 127.0.0.1:$UP failed (111: Connection refused) while connecting to upstream"
worker=$(pgrep -P "$NPID" nginx | head -n 1)
[ -n "$worker" ] || fail "no nginx worker under the master $NPID"
n=$(faults "$NDIR/ev.jsonl" --where rule=refused --where call=connect --where pid="$worker")
expect_ge "connect faults in the worker" 1 "$n"
nginx_stop

# ---- (b) short writes on the sockets -------------------------------------------------------
rules='rules=({name="short"; calls=["write", "writev"]; fd="socket"; partial="50%";});'
nginx_start short-writev "$rules" off
fetch "http://127.0.0.1:$FRONT/big.bin" b1.body
expect_eq "status through the proxy, short writes" 200 "$STATUS"
expect_same_file "the file through the proxy, short writes" www/big.bin b1.body
fetch "http://127.0.0.1:$UP/big.bin" b2.body
expect_eq "status from the upstream, short writes" 200 "$STATUS"
expect_same_file "the file from the upstream, short writes" www/big.bin b2.body
n=$(faults "$NDIR/ev.jsonl" --where rule=short --where call=writev --where action=partial)
expect_ge "short writev calls" 1 "$n"
note "short writev calls: $n"
nginx_stop

rules='rules=({name="short"; calls=["sendfile"]; fd="socket"; partial=1000;});'
nginx_start short-sendfile "$rules" on
fetch "http://127.0.0.1:$UP/big.bin" b3.body
expect_eq "status from the upstream, short sendfile" 200 "$STATUS"
expect_same_file "the file from the upstream, short sendfile" www/big.bin b3.body
fetch "http://127.0.0.1:$FRONT/big.bin" b4.body
expect_eq "status through the proxy, short sendfile" 200 "$STATUS"
expect_same_file "the file through the proxy, short sendfile" www/big.bin b4.body
n=$(faults "$NDIR/ev.jsonl" --where rule=short --where call=sendfile --where action=partial)
# 1 MB in pieces of at most 1000 bytes: at least 1048 short sendfile calls for the first fetch.
expect_ge "short sendfile calls" 1048 "$n"
note "short sendfile calls: $n"
nginx_stop

# ---- (c) no rules: what curl gets is the same as without the shim --------------------------
for run in bare shim; do
    if [ $run = bare ]; then nginx_start bare - on; else nginx_start shim 'rules=();' on; fi
    mkdir "c-$run"
    for spec in front:big.bin front:hello.txt front:missing up:big.bin up:missing; do
        side=${spec%%:*} file=${spec#*:} port=$FRONT
        [ "$side" = up ] && port=$UP
        fetch "http://127.0.0.1:$port/$file" "c-$run/$side-$file"
        echo "$STATUS" >> "c-$run/statuses"
    done
    nginx_stop
done
expect_eq "statuses" "200 200 404 200 404" "$(tr '\n' ' ' < c-bare/statuses | sed 's/ $//')"
for f in c-bare/*; do
    expect_same_file "with the shim and no rules, ${f#c-bare/}" "$f" "c-shim/${f#c-bare/}"
done
expect_same_file "the file through the proxy" www/big.bin c-shim/front-big.bin
expect_eq "the shim was loaded in nginx" 1 "$(jsonl count --where event=start shim/ev.jsonl)"
expect_eq "faults with no rules" 0 "$(jsonl count --where event=fault shim/ev.jsonl)"
