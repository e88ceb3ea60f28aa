#!/usr/bin/env bash
# faultline report on large and hostile logs: reading is linear in the log's size, so one line
# with 200,000 keys, 200,000 processes and 100,000 rule names are each reported in well under a
# second (a reader that is quadratic in any of them takes tens of seconds), with the right
# counts; times before 1970 and near the ends of what 64-bit nanoseconds hold (±9.1e9 s) come
# out in --json as valid JSON numbers with their exact values and sign; times beyond that, and
# NaN or Infinity, skip their line; a key given twice keeps its last value; a 64-bit seed is
# kept exactly; JSON lines that are not objects are skipped.
. "$FL_ROOT/tests/integration/lib.sh"
python_bin
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"

# The logs' sizes are those that took a quadratic reader 20 to 65 s; under a sanitizer runtime
# (several times slower) they are a tenth of that, which still tells the two apart.
KEYS=200000 PIDS=200000 RULES=100000
if [ -n "${FL_PRELOAD_FIRST:-}" ]; then
    KEYS=20000 PIDS=20000 RULES=10000
fi
# Each report below takes at most about a second of CPU when reading is linear (0.4 s for the
# keys, 0.8 s for the processes, 1.3 s for the rules); a quadratic reader takes 11 to 65 s of
# CPU on these logs. The bound is on CPU time (ulimit -t), so that other work on a loaded
# machine does not count: 5 s tells the two apart with room for a slower machine.
LIMIT=5

# report_within NAME ARGS...: faultline report ARGS... must finish within LIMIT seconds of CPU,
# exit 0 and print nothing on stderr; its output is in OUT_FILE.
report_within() {
    local name=$1
    shift
    capture bash -c 'ulimit -t "$0" && exec "$@"' "$LIMIT" "$FL" report "$@"
    [ "$RC" != $((128 + 24)) ] && [ "$RC" != 137 ] ||
        fail "$name: faultline report took more than $LIMIT s of CPU (quadratic in the log?)"
    expect_status "$name" 0 "$RC"
    expect_eq "$name: stderr" "" "$ERR"
}

# json_is NAME PYTHON_EXPR: OUT_FILE is valid JSON (numbers read exactly, as decimals) and the
# expression over it, `r`, is true.
json_is() {
    "$PYTHON" - "$OUT_FILE" "$2" <<'PY' || fail "$1: report --json: $(head -c 600 "$OUT_FILE")"
import decimal, json, sys
def bad(c):
    raise ValueError("not JSON: " + c)
r = json.loads(open(sys.argv[1]).read(), parse_float=decimal.Decimal, parse_constant=bad)
D = decimal.Decimal
if not eval("(" + sys.argv[2] + ")"):
    sys.exit("false: %s\n%s" % (sys.argv[2], json.dumps(r, default=str)[:600]))
PY
}

# ---- one line with 200,000 keys (2.3 MB) ---------------------------------------------------
awk -v n="$KEYS" 'BEGIN {
    printf "{\"event\":\"fault\",\"t\":1.5,\"pid\":7,\"tid\":7,\"rule\":\"wide\",\"call\":\"write\","
    printf "\"action\":\"error\",\"errno\":\"EIO\""
    for (i = 0; i < n; i++) printf ",\"k%d\":%d", i, i
    printf "}\n"
}' > keys.jsonl
report_within "$KEYS keys" keys.jsonl
expect_eq "$KEYS keys: the line is one fault" \
    "1 log, 1 event: 1 process, 1 fault, 0 control commands" "$(head -n 1 "$OUT_FILE")"
expect_contains "$KEYS keys: its rule" "$OUT" "  wide: 1 fault, first +0.000s, last +0.000s"

# ---- 200,000 processes ---------------------------------------------------------------------
awk -v n="$PIDS" 'BEGIN {
    for (i = 1; i <= n; i++)
        printf "{\"event\":\"start\",\"t\":%d.000000001,\"pid\":%d,\"tid\":%d,\"seed\":%d,\"program\":\"/bin/p%d\"}\n", i, i, i, i, i
    printf "{\"event\":\"fault\",\"t\":%d.5,\"pid\":%d,\"tid\":1,\"rule\":\"r\",\"call\":\"read\",\"action\":\"eof\",\"errno\":null}\n", n, n - 1
}' > pids.jsonl
report_within "$PIDS processes, --json" --json pids.jsonl
json_is "$PIDS processes" 'r["events"] == '$((PIDS + 1))' and r["faults"] == 1 and
    len(r["processes"]) == '$PIDS' and r["processes"][-1] ==
    {"pid": '$PIDS', "parent": None, "program": "/bin/p'$PIDS'", "seed": '$PIDS', "faults": 0} and
    r["processes"][-2]["faults"] == 1'

# ---- 100,000 rule names --------------------------------------------------------------------
awk -v n="$RULES" 'BEGIN {
    printf "{\"event\":\"start\",\"t\":1.0,\"pid\":9,\"tid\":9,\"seed\":1,\"program\":\"/bin/p\"}\n"
    for (i = 0; i < n; i++)
        printf "{\"event\":\"fault\",\"t\":%d.5,\"pid\":9,\"tid\":9,\"rule\":\"rule-%d\",\"call\":\"read\",\"action\":\"eof\",\"errno\":null}\n", i + 1, i
    printf "{\"event\":\"fault\",\"t\":2.5,\"pid\":9,\"tid\":9,\"rule\":\"rule-7\",\"call\":\"recv\",\"action\":\"eof\",\"errno\":null}\n"
}' > rules.jsonl
report_within "$RULES rules, --json" --json rules.jsonl
json_is "$RULES rules" 'r["events"] == '$((RULES + 2))' and r["faults"] == '$((RULES + 1))' and
    len(r["rules"]) == '$RULES' and r["rules"][7]["name"] == "rule-7" and
    r["rules"][7]["by_call"] == {"read": 1, "recv": 1} and
    (r["rules"][7]["first"], r["rules"][7]["last"]) == (D("1.5"), D("7.5")) and
    r["rules"][-1]["first"] == D("'$((RULES - 1))'.5") and r["span"] == D("'$((RULES - 1))'.5")'

# ---- times: before 1970, and near the ends of 64-bit nanoseconds ----------------------------
ev() {  # ev T PID RULE: a fault line at time T
    printf '{"event":"fault","t":%s,"pid":%s,"tid":%s,"rule":"%s","call":"write","action":"error","errno":"EIO"}\n' \
        "$1" "$2" "$2" "$3"
}
ev -1.5 1 neg > neg.jsonl
report_within "a time before 1970" --json neg.jsonl
json_is "a time before 1970" 'r["first_t"] == D("-1.5") and r["span"] == 0 and r["faults"] == 1'
ev -0.25 1 neg > neg0.jsonl
report_within "a time just before 1970" --json neg0.jsonl
json_is "a time just before 1970" 'r["first_t"] == D("-0.25") and r["faults"] == 1'

{
    ev -9100000000.25 1 low
    ev 9100000000.75 1 high
    ev 1e9 1 exp               # an exponent: 1,000,000,000 s
    ev 9300000000 1 beyond     # beyond 64-bit nanoseconds: skipped
    ev -9300000000 1 beyond
    ev 1e400 1 beyond
    ev NaN 1 nan
    ev Infinity 1 nan
    ev -Infinity 1 nan
} > far.jsonl
report_within "times at ±9.1e9 s" --json far.jsonl
json_is "times at ±9.1e9 s" 'r["first_t"] == D("-9100000000.25") and
    r["span"] == D("18200000001.0") and r["faults"] == 3 and r["lines"] == 9 and
    r["skipped"]["not_json"] + r["skipped"]["not_event"] == 6 and
    [(x["name"], x["first"]) for x in r["rules"]] ==
        [("low", 0), ("high", D("18200000001.0")), ("exp", D("10100000000.25"))]'
report_within "times at ±9.1e9 s, text" far.jsonl
expect_contains "times at ±9.1e9 s, text" "$OUT" "  high: 1 fault, first +18200000001.000s, last +18200000001.000s"

# ---- duplicate keys, a 64-bit seed, lines that are not objects -----------------------------
{
    echo '{"event":"start","t":5,"pid":3,"tid":3,"seed":18446744073709551615,"program":"/bin/a","program":"/bin/b"}'
    echo '{"event":"fault","t":6,"pid":3,"tid":3,"rule":"first","rule":"last","call":"read","action":"eof","errno":null}'
    echo '[{"event":"fault"}]'
    echo '"event"'
    echo '12'
    echo 'null'
} > odd.jsonl
report_within "duplicate keys" --json odd.jsonl
json_is "duplicate keys" 'r["processes"] == [{"pid": 3, "parent": None, "program": "/bin/b",
    "seed": 18446744073709551615, "faults": 1}] and [x["name"] for x in r["rules"]] == ["last"] and
    r["skipped"] == {"not_json": 0, "not_event": 4}'
