#!/usr/bin/env bash
# With a fixed seed and probability 0.5, the same program gets the same faults run after run;
# another seed gives another sequence; the seed may come from the config or FAULTLINE_SEED
# (which wins); and a rule's draws depend only on the seed and its own name: adding another
# rule (before or after it, on a call the program also makes) does not change them.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog stdio_writer
python_bin
W="$FL_PROGS/stdio_writer"
N=64

fputs_rule='{ name = "coin"; calls = [ "fputs" ]; error = "EIO"; probability = 0.5; }'
other_rule='{ name = "other"; calls = [ "fwrite" ]; error = "ENOSPC"; probability = 0.5; }'

# failures RULES [ENV...]: the rounds in which fputs failed, space-separated; the log's fault
# lines without t/pid/tid go to last.log.
failures() {
    local rules=$1
    shift
    rm -f ev.jsonl
    env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$rules" FAULTLINE_LOG="$PWD/ev.jsonl" "$@" \
        "$W" -n $N -c fputs,fwrite out.txt 2>err.txt
    jsonl fields --where event=fault ev.jsonl -- rule call symbol fd action asked "done" errno \
        delay_ns >last.log
    grep -o '^stdio_writer: [0-9]* fputs failed' err.txt | awk '{print $2}' | tr '\n' ' '
}

a1=$(failures "rules = ( $fputs_rule );" FAULTLINE_SEED=42)
cp last.log a1.log
a2=$(failures "rules = ( $fputs_rule );" FAULTLINE_SEED=42)
note "seed 42: $a1"
expect_eq "seed 42, second run" "$a1" "$a2"
expect_same_file "seed 42, the logs' fault lines" a1.log last.log
n=$(echo $a1 | wc -w)
[ "$n" -ge 10 ] && [ "$n" -le 54 ] || fail "probability 0.5 over $N calls gave $n faults"
expect_eq "fault lines for seed 42" "$n" "$(grep -c . a1.log)"

b=$(failures "rules = ( $fputs_rule );" FAULTLINE_SEED=43)
expect_ne "seed 43 against seed 42" "$a1" "$b"

# The seed from the config, and FAULTLINE_SEED over it.
c=$(failures "seed = 42; rules = ( $fputs_rule );")
expect_eq "seed = 42 in the config" "$a1" "$c"
c=$(failures "seed = 7; rules = ( $fputs_rule );" FAULTLINE_SEED=42)
expect_eq "FAULTLINE_SEED=42 over seed = 7" "$a1" "$c"
c=$(failures "seed = 7; rules = ( $fputs_rule );")
expect_ne "seed = 7 against seed 42" "$a1" "$c"

# Another rule, before or after, drawing on every fwrite call, changes nothing for "coin".
d=$(failures "rules = ( $other_rule, $fputs_rule );" FAULTLINE_SEED=42)
expect_eq "another rule listed first" "$a1" "$d"
grep -q '^other	fwrite' last.log || fail "the other rule never fired: $(cat last.log)"
e=$(failures "rules = ( $fputs_rule, $other_rule );" FAULTLINE_SEED=42)
expect_eq "another rule listed after" "$a1" "$e"
grep '^coin' last.log >coin.log
expect_same_file "the coin rule's fault lines beside another rule" a1.log coin.log

# The rule's own name is part of its stream.
f=$(failures "rules = ( ${fputs_rule/\"coin\"/\"coin2\"} );" FAULTLINE_SEED=42)
expect_ne "same seed, another rule name" "$a1" "$f"

# Without a seed, the seed used is logged, and giving it back reproduces the run.
r1=$(failures "rules = ( $fputs_rule );")
seed=$(jsonl fields --where event=start ev.jsonl -- seed)
expect_match "logged seed" "$seed" '^[0-9]+$'
r2=$(failures "rules = ( $fputs_rule );" FAULTLINE_SEED="$seed")
expect_eq "replaying logged seed $seed" "$r1" "$r2"
