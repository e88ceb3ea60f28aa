#!/usr/bin/env bash
# curl against a live loopback http.server: exit 7 ("Failed to connect") when connect fails
# with ECONNREFUSED; with a 300 ms delay on connect it still fetches the file, and takes at
# least 300 ms.
. "$FL_ROOT/tests/integration/lib.sh"
need curl
not_under_sanitizer "curl hangs with an ASan runtime preloaded, shim or not"
python_bin

mkdir www
printf 'hello from the server\n' > www/hello.txt
start_http_server "$PWD/www"
url="http://127.0.0.1:$SERVER_PORT/hello.txt"

fetch() {
    curl --noproxy '*' -sS --max-time 20 -o got.txt "$url"
}

capture under_shim '' fetch
expect_status "curl under the shim, no rules" 0 "$RC"
expect_same_file "fetched file" www/hello.txt got.txt
rm -f got.txt

rules='rules=({name="refused"; calls=["connect"]; error="ECONNREFUSED";});'
FAULTLINE_LOG="$PWD/ev.jsonl" capture under_shim "$rules" fetch
expect_status "curl with connect=ECONNREFUSED" 7 "$RC"
expect_contains "curl's message" "$ERR" "Failed to connect"
[ ! -s got.txt ] || fail "curl wrote a file although it could not connect"
n=$(jsonl count --where event=fault --where rule=refused --where call=connect ev.jsonl)
expect_ge "connect faults logged" 1 "$n"

rules='rules=({name="slow"; calls=["connect"]; delay="300ms";});'
start=$(now_ms)
FAULTLINE_LOG="$PWD/slow.jsonl" capture under_shim "$rules" fetch
elapsed=$(($(now_ms) - start))
expect_status "curl with a 300ms connect delay" 0 "$RC"
expect_same_file "fetched file, delayed" www/hello.txt got.txt
expect_ge "elapsed ms with a 300ms connect delay" 300 "$elapsed"
expect_eq "the delay logged" "slow	connect	delay	null	300000000" \
    "$(jsonl fields --where event=fault slow.jsonl -- rule call action errno delay_ns | head -n 1)"
