#!/usr/bin/env bash
# A bad configuration stops the program before main: exit status 2, a one-line message
# "faultline: FILE:LINE: ..." on stderr naming the file (or FAULTLINE_RULES) and the line,
# and nothing on stdout (cat never ran). With FAULTLINE_STRICT=0 the program runs normally,
# with a warning and no faults.
. "$FL_ROOT/tests/integration/lib.sh"
need cat true

printf 'the file\n' > data.txt

# bad NAME EXPECTED_STDERR_REGEX ENV...: cat data.txt and true under ENV must both stop.
bad() {
    local name=$1 re=$2
    shift 2
    capture env LD_PRELOAD="$FL_LIB" "$@" cat data.txt
    expect_status "$name: cat's exit status" 2 "$RC"
    expect_eq "$name: cat's stdout (main must not run)" "" "$OUT"
    expect_eq "$name: one line on stderr" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    expect_match "$name: message" "$ERR" "$re"
    capture env LD_PRELOAD="$FL_LIB" "$@" true
    expect_status "$name: true's exit status" 2 "$RC"
}

cat > unknown-key.cfg <<'CFG'
seed = 1;
rules = (
  { calls = [ "write" ]; error = "EIO"; probabilty = 0.5; }
);
CFG
bad "unknown rule key" \
    "^faultline: $PWD/unknown-key.cfg:3: .*unknown key 'probabilty' \(did you mean 'probability'\?\)$" \
    FAULTLINE_CONFIG="$PWD/unknown-key.cfg"

printf 'seed = 1;\nsumary = true;\n' > unknown-global.cfg
bad "unknown global key" "^faultline: $PWD/unknown-global.cfg:2: unknown key 'sumary'" \
    FAULTLINE_CONFIG="$PWD/unknown-global.cfg"

cat > syntax.cfg <<'CFG'
seed = 1;
rules = (
  { calls = [ "write" ;
    error = "EIO"; }
);
CFG
bad "syntax error" "^faultline: $PWD/syntax.cfg:[34]: .*syntax error" \
    FAULTLINE_CONFIG="$PWD/syntax.cfg"

cat > errno.cfg <<'CFG'
rules = (
  { name = "x";
    calls = [ "write" ];
    error = "ENOSUCH"; }
);
CFG
bad "unknown errno" "^faultline: $PWD/errno.cfg:4: .*unknown errno name 'ENOSUCH'" \
    FAULTLINE_CONFIG="$PWD/errno.cfg"

printf 'rules = ( { calls = [ "wrte" ]; error = "EIO"; } );\n' > call.cfg
bad "unknown call" "^faultline: $PWD/call.cfg:1: .*unknown call 'wrte' \(did you mean 'write'\?\)" \
    FAULTLINE_CONFIG="$PWD/call.cfg"

bad "inline rules" "^faultline: FAULTLINE_RULES:1: .*'probability' must be a number from 0 to 1" \
    FAULTLINE_RULES='rules=({calls=["write"]; error="EIO"; probability=1.5;});'

bad "EAI error on a non-resolver call" "^faultline: FAULTLINE_RULES:1: .*connect.*EAI_AGAIN" \
    FAULTLINE_RULES='rules=({calls=["connect"]; error="EAI_AGAIN";});'

bad "duplicate rule name" "^faultline: FAULTLINE_RULES:2: .*duplicate rule name" \
    FAULTLINE_RULES='rules=({name="a"; calls=["write"]; error="EIO";},
{name="a"; calls=["read"]; error="EIO";});'

# A missing file has no line to point at: FILE then the reason (a line number is allowed).
bad "missing file" \
    "^faultline: $PWD/missing.cfg(:[0-9]+)?: .*(No such file or directory)" \
    FAULTLINE_CONFIG="$PWD/missing.cfg"

bad "bad FAULTLINE_SEED" "^faultline: .*FAULTLINE_SEED.*'abc'" \
    FAULTLINE_RULES='rules=({calls=["fsync"]; error="EIO";});' FAULTLINE_SEED=abc

bad "event log cannot be opened" "^faultline: .*$PWD/no/such/dir/ev.jsonl.*No such file or directory" \
    FAULTLINE_RULES='rules=({calls=["fsync"]; error="EIO";});' \
    FAULTLINE_LOG="$PWD/no/such/dir/ev.jsonl"

# FAULTLINE_STRICT=0: the program runs, unharmed, after a warning.
for cfg in unknown-key.cfg syntax.cfg errno.cfg missing.cfg; do
    rules_file="$PWD/$cfg"
    capture env LD_PRELOAD="$FL_LIB" FAULTLINE_STRICT=0 FAULTLINE_CONFIG="$rules_file" \
        cat data.txt
    expect_status "FAULTLINE_STRICT=0, $cfg" 0 "$RC"
    expect_eq "FAULTLINE_STRICT=0, $cfg: output" "the file" "$OUT"
    expect_match "FAULTLINE_STRICT=0, $cfg: warning" "$ERR" "^faultline: $rules_file"
done
# ... and with no faults: the (bad) config's valid-looking write rule must not fire.
printf 'rules = ( { calls = [ "write" ]; error = "EIO"; }, { calls = [ "nope" ]; error = "EIO"; } );\n' \
    > half.cfg
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_STRICT=0 FAULTLINE_CONFIG="$PWD/half.cfg" \
    cat < <(printf 'piped\n')
expect_status "FAULTLINE_STRICT=0 with a half-valid config" 0 "$RC"
expect_eq "FAULTLINE_STRICT=0 with a half-valid config: output" "piped" "$OUT"

# A good config still works after all that (the harness is not broken).
capture env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES='rules=({calls=["fsync"]; error="EIO";});' \
    cat data.txt
expect_status "a valid config" 0 "$RC"
expect_eq "a valid config: output" "the file" "$OUT"
expect_eq "a valid config: stderr" "" "$ERR"
