#!/usr/bin/env bash
# Reach: a DNS outage lands in curl and python3. Both look the machine's own host name up with
# getaddrinfo (curl in its resolver thread) and fetch a file from a loopback http server at the
# address the name resolves to. (curl resolves "localhost" and IP literals itself, so a real
# name is needed: the host name, when it resolves here to a loopback address.)
# - getaddrinfo = EAI_AGAIN: curl prints its own "Could not resolve host: NAME" and exits 6;
#   python3's socket.getaddrinfo raises socket.gaierror "[Errno -3] Temporary failure in name
#   resolution" and urllib raises URLError carrying it. EAI_NONAME gives curl the same exit 6
#   and python "[Errno -2] Name or service not known". The fault is logged with the name.
# - An outage that ends (times = 1): curl --retry-all-errors fails once, retries, and fetches.
# - No rules: both fetch the file, with output identical to runs without the shim.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin

name=$(hostname 2>/dev/null || uname -n)
[ -n "$name" ] || skip "this machine has no host name"
case "$name" in localhost | localhost.*) skip "the host name is $name, which curl never looks up" ;; esac
addr=$(getent ahostsv4 "$name" 2>/dev/null | awk 'NR == 1 { print $1 }')
[ -n "$addr" ] || skip "the host name $name does not resolve to an IPv4 address here"
case "$addr" in
127.*) ;;
*) skip "the host name $name resolves to $addr, not a loopback address" ;;
esac

# An http server on that loopback address (port 0: the kernel picks a free one).
mkdir www
printf 'hello from %s\n' "$name" > www/hello.txt
cat > srv.py <<'PY'
import functools, http.server, os, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass
httpd = http.server.ThreadingHTTPServer((sys.argv[1], 0),
                                        functools.partial(Quiet, directory=sys.argv[2]))
with open(sys.argv[3] + ".tmp", "w") as f:
    f.write("%d\n" % httpd.server_address[1])
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
httpd.serve_forever()
PY
"$PYTHON" srv.py "$addr" "$PWD/www" port.txt 2>srv.err &
FL_PIDS+=($!)
server_up() {
    [ -s port.txt ] && (exec 3<>"/dev/tcp/$addr/$(cat port.txt)") 2>/dev/null
}
wait_for 200 server_up
port=$(cat port.txt)
url="http://$name:$port/hello.txt"

# ---- python3: socket.getaddrinfo, then urllib ------------------------------------------------
cat > fetch.py <<'PY'
import socket, sys, urllib.request
host, url = sys.argv[1], sys.argv[2]
try:
    addrs = socket.getaddrinfo(host, 80, socket.AF_INET, socket.SOCK_STREAM)
    print("getaddrinfo", sorted({a[4][0] for a in addrs}))
except socket.gaierror as e:
    print("getaddrinfo gaierror", e)
try:
    with urllib.request.urlopen(url, timeout=10) as r:
        sys.stdout.write(r.read().decode())
except Exception as e:
    print("urlopen", type(e).__name__, e)
    sys.exit(4)
PY

capture "$PYTHON" fetch.py "$name" "$url"
expect_status "python3 without the shim" 0 "$RC"
expect_contains "python3 without the shim" "$OUT" "hello from $name"
bare_out=$OUT
capture under_shim '' "$PYTHON" fetch.py "$name" "$url"
expect_status "python3 under the shim, no rules" 0 "$RC"
expect_eq "python3 output, no rules" "$bare_out" "$OUT"

rules='rules=({name="dnsdown"; calls=["getaddrinfo"]; error="EAI_AGAIN";});'
FAULTLINE_LOG="$PWD/py.jsonl" capture under_shim "$rules" "$PYTHON" fetch.py "$name" "$url"
expect_status "python3 with getaddrinfo=EAI_AGAIN" 4 "$RC"
expect_eq "python3 with getaddrinfo=EAI_AGAIN" \
    "getaddrinfo gaierror [Errno -3] Temporary failure in name resolution
urlopen URLError <urlopen error [Errno -3] Temporary failure in name resolution>" "$OUT"
expect_eq "python3's faults" "dnsdown	getaddrinfo	$name	EAI_AGAIN
dnsdown	getaddrinfo	$name	EAI_AGAIN" \
    "$(jsonl fields --where event=fault py.jsonl -- rule call host errno)"

rules='rules=({calls=["getaddrinfo"]; error="EAI_NONAME";});'
capture under_shim "$rules" "$PYTHON" fetch.py "$name" "$url"
expect_status "python3 with getaddrinfo=EAI_NONAME" 4 "$RC"
expect_eq "python3 with getaddrinfo=EAI_NONAME" \
    "getaddrinfo gaierror [Errno -2] Name or service not known
urlopen URLError <urlopen error [Errno -2] Name or service not known>" "$OUT"

# ---- curl ---------------------------------------------------------------------------------------
if [ -n "${FL_PRELOAD_FIRST:-}" ]; then
    # The python3 half above ran; curl hangs with an ASan runtime preloaded, shim or not.
    echo "-- curl part left out under a sanitizer runtime"
    exit 0
fi
command -v curl >/dev/null 2>&1 || { echo "-- curl is not installed: curl part left out"; exit 0; }
# A curl built with c-ares asks DNS servers itself and never calls getaddrinfo.
if curl --version | head -n 1 | grep -q 'c-ares'; then
    echo "-- this curl resolves with c-ares, not getaddrinfo: curl part left out"
    exit 0
fi

fetch() {
    curl --noproxy '*' -sS --max-time 20 -o got.txt "$@" "$url"
}

capture fetch
expect_status "curl without the shim" 0 "$RC"
expect_same_file "curl's file without the shim" www/hello.txt got.txt
bare_out=$OUT bare_err=$ERR
rm -f got.txt
capture under_shim '' fetch
expect_status "curl under the shim, no rules" 0 "$RC"
expect_same_file "curl's file under the shim, no rules" www/hello.txt got.txt
expect_eq "curl stdout, no rules" "$bare_out" "$OUT"
expect_eq "curl stderr, no rules" "$bare_err" "$ERR"
rm -f got.txt

rules='rules=({name="dnsdown"; calls=["getaddrinfo"]; error="EAI_AGAIN";});'
FAULTLINE_LOG="$PWD/curl.jsonl" capture under_shim "$rules" fetch
expect_status "curl with getaddrinfo=EAI_AGAIN" 6 "$RC"
expect_eq "curl's message" "curl: (6) Could not resolve host: $name" "$ERR"
[ ! -e got.txt ] || fail "curl wrote a file although it could not resolve $name"
expect_eq "curl's fault" "dnsdown	getaddrinfo	$name	EAI_AGAIN" \
    "$(jsonl fields --where event=fault curl.jsonl -- rule call host errno)"

rules='rules=({calls=["getaddrinfo"]; error="EAI_NONAME";});'
capture under_shim "$rules" fetch
expect_status "curl with getaddrinfo=EAI_NONAME" 6 "$RC"
expect_eq "curl's message, EAI_NONAME" "curl: (6) Could not resolve host: $name" "$ERR"

# The outage ends after one lookup: curl's own retry gets through.
rules='rules=({name="blip"; calls=["getaddrinfo"]; error="EAI_AGAIN"; times=1;});'
FAULTLINE_LOG="$PWD/blip.jsonl" capture under_shim "$rules" curl --noproxy '*' --no-progress-meter \
    --max-time 20 -o got.txt --retry 2 --retry-all-errors --retry-delay 1 "$url"
expect_status "curl --retry through a one-lookup outage" 0 "$RC"
expect_same_file "curl's file after the retry" www/hello.txt got.txt
expect_match "curl's first attempt" "$ERR" "^curl: \(6\) Could not resolve host: $name\$"
expect_match "curl's retry" "$ERR" "^Warning: .*Will retry in 1 seconds?\. 2 retries left"
expect_eq "faults in the one-lookup outage" 1 "$(jsonl count --where event=fault --where rule=blip blip.jsonl)"
