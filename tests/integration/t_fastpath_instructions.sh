# The pass-through path's cost in instructions, counted by callgrind (deterministic, unlike
# time). tests/bench/fastpath.c runs N malloc(64)+free pairs, or N write(2)s of 64 B to
# /dev/null, for N = 100000 and N = 200000; the difference of the two counts over 100000 is the
# cost of one iteration without start-up. Run bare, with the shim and no rules, and with the
# shim and 1000 rules on other calls (getnameinfo, msync).
#
# Measured (Debian 12, gcc 12, -O2; callgrind Ir per iteration):
#   malloc+free pair: bare 139, shim +16 (no rules), +16 (1000 rules on other calls)
#   write to /dev/null: bare 17, shim +8 (no rules), +8 (1000 rules on other calls)
# Budgets, a small margin above that: +18 per malloc+free pair, +10 per write (a register saved
# and restored on the fast path, as before every branch was a tail call, costs 4 more). 1000
# rules on other calls must cost what no rules cost, within 1 instruction per call.
# A rule on the measured call that matches and does not fire (probability 1e-6, dry run) takes
# the slow path: describing the call, its conditions, one atomic count and its draw, inside an
# epoch read section (two sequentially consistent adds, a fence and a validation load: what lets
# reload and set free the rules they replace) and a guard that a siglongjmp or pthread_cancel out
# of the shim clears (a glibc cleanup buffer pushed and popped). Measured +390 per malloc+free
# pair and +397 per write (+301 and +307 before the read section, +50, and the guard's cleanup
# buffer, +27); budget +410 each (a lock taken per decision would cost about 50 more).
# (callgrind, unlike memcheck, does not replace malloc: the shim's wrapper is what is counted.)
. "$FL_ROOT/tests/integration/lib.sh"

need valgrind cc
not_under_sanitizer "callgrind counts the instrumented shim"

BUDGET_MALLOC=18
BUDGET_WRITE=10
BUDGET_ARMED=410
N1=100000
N2=200000

cc -std=gnu11 -O2 -o fastpath "$FL_ROOT/tests/bench/fastpath.c" || fail "cannot build fastpath.c"

"$FL_ROOT/tests/bench/other-rules.sh" >rules1000.conf

# One rule on both measured calls that matches every call and (almost) never fires.
ARMED='seed = 7; rules = ({ name = "armed"; calls = [ "malloc", "write" ]; probability = 0.000001; dry_run = true; delay = "1ms"; });'

# ir VARIANT WORKLOAD N: instructions collected by callgrind for the whole process.
ir() {
    local -a pre=(env)
    case $1 in
    fl) pre=(env LD_PRELOAD="$FL_LIB_FILE") ;;
    fl1000) pre=(env LD_PRELOAD="$FL_LIB_FILE" FAULTLINE_CONFIG="$FL_TMP/rules1000.conf" FAULTLINE_STRICT=1) ;;
    flarmed) pre=(env LD_PRELOAD="$FL_LIB_FILE" FAULTLINE_RULES="$ARMED" FAULTLINE_STRICT=1) ;;
    esac
    local out n
    out=$("${pre[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null ./fastpath "$2" "$3" 2>&1)
    n=$(printf '%s\n' "$out" | sed -n 's/.*Collected : *\([0-9][0-9]*\).*/\1/p' | tail -n 1)
    [ -n "$n" ] || fail "callgrind ($1 $2 $3) reported no count: $(printf '%s' "$out" | tail -n 5)"
    echo "$n"
}

# per_call VARIANT WORKLOAD: instructions per iteration, start-up removed (two decimals).
per_call() {
    local a b
    a=$(ir "$1" "$2" $N1) || exit 1
    b=$(ir "$1" "$2" $N2) || exit 1
    awk -v a="$a" -v b="$b" -v d=$((N2 - N1)) 'BEGIN { printf "%.2f\n", (b - a) / d }'
}

# le A B: A <= B, as numbers
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

for w in malloc write; do
    bare=$(per_call bare $w) || exit 1
    fl=$(per_call fl $w) || exit 1
    fl1000=$(per_call fl1000 $w) || exit 1
    extra=$(awk -v a="$fl" -v b="$bare" 'BEGIN { printf "%.2f", a - b }')
    extra1000=$(awk -v a="$fl1000" -v b="$bare" 'BEGIN { printf "%.2f", a - b }')
    note "$w: bare $bare, shim $fl (+$extra), shim with 1000 rules $fl1000 (+$extra1000) instructions per call"
    echo "$w: bare $bare, shim +$extra, 1000 rules on other calls +$extra1000 instructions per call"
    budget=$BUDGET_MALLOC
    [ $w = write ] && budget=$BUDGET_WRITE
    le "$extra" "$budget" || fail "$w: the pass-through path costs +$extra instructions per call, budget $budget"
    le "$extra1000" "$budget" || fail "$w: with 1000 rules on other calls +$extra1000 instructions per call, budget $budget"
    diff=$(awk -v a="$fl1000" -v b="$fl" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.2f", d }')
    le "$diff" 1 || fail "$w: 1000 rules on other calls change the cost by $diff instructions per call (no rules: $fl, 1000 rules: $fl1000)"
    armed=$(per_call flarmed $w) || exit 1
    extra_armed=$(awk -v a="$armed" -v b="$bare" 'BEGIN { printf "%.2f", a - b }')
    echo "$w: a matching rule that does not fire +$extra_armed instructions per call"
    le "$extra_armed" "$BUDGET_ARMED" || fail "$w: a matching rule that does not fire costs +$extra_armed instructions per call, budget $BUDGET_ARMED"
    le 100 "$extra_armed" || fail "$w: a matching rule costs only +$extra_armed instructions per call: is the rule deciding at all?"
done
exit 0
