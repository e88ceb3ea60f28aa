#!/usr/bin/env bash
# Reach: faults land in coreutils cp and cat copying between regular files. GNU cp (9.x, after
# a failed FICLONE) and cat (9.x, stdout a regular file) copy with copy_file_range; whether they
# do here is checked first (strace, else a dry-run rule), and each part is skipped if not.
# - copy_file_range = EIO or ENOSPC: cp prints its own "cp: error copying 'SRC' to 'DST':
#   <strerror>", cat its own "cat: SRC: <strerror>", both exit 1.
# - partial = 65536 on copy_file_range: the copy takes many short calls (all logged as
#   partial) and the result is byte-identical to the source.
# - copy_file_range = EXDEV, ENOSYS or EOPNOTSUPP: cp and cat fall back to read/write (the
#   reads of the source are seen by a dry-run rule) and the copy is byte-identical; also when
#   the error comes after some bytes were already copied.
# - No rules: same files, same output, same exit status as without the shim.
. "$FL_ROOT/tests/integration/lib.sh"
need cp cat cmp
python_bin

# 1 MiB and a bit, so that 64 KiB steps need 17 calls.
head -c 1049000 /dev/urandom > src.bin

# uses_cfr SHELL-COMMAND: the command calls copy_file_range. strace, when it works here, tells
# without the shim (so that a shim that misses the call fails the test instead of skipping
# it); otherwise a dry-run rule logs it.
uses_cfr() {
    rm -f probe.strace probe.jsonl
    if command -v strace >/dev/null 2>&1 &&
        strace -f -qq -e trace=copy_file_range -o probe.strace sh -c "$1" >/dev/null 2>&1 &&
        [ -f probe.strace ]; then
        grep -q 'copy_file_range(' probe.strace
        return
    fi
    FAULTLINE_LOG="$PWD/probe.jsonl" \
        under_shim 'rules=({name="probe"; calls=["copy_file_range"]; error="EIO"; dry_run=true;});' \
        sh -c "$1" >/dev/null 2>&1 || return 1
    [ "$(jsonl count --where event=fault --where rule=probe probe.jsonl)" -ge 1 ]
}

# reads_src LOG: how many reads of src.bin the dry-run rule "rd" saw.
reads_src() {
    jsonl count --where event=fault --where rule=rd --where call=read "$1"
}
RD='{name="rd"; calls=["read"]; path="*/src.bin"; error="EIO"; dry_run=true;}'

# ---- cp ------------------------------------------------------------------------------------------
cp_ran=0
if uses_cfr 'cp src.bin probe-cp.bin'; then
    cp_ran=1
    # No rules: as without the shim.
    capture cp src.bin bare-cp.bin
    expect_status "cp without the shim" 0 "$RC"
    bare_out=$OUT bare_err=$ERR
    capture under_shim '' cp src.bin shim-cp.bin
    expect_status "cp under the shim, no rules" 0 "$RC"
    expect_eq "cp stdout, no rules" "$bare_out" "$OUT"
    expect_eq "cp stderr, no rules" "$bare_err" "$ERR"
    expect_same_file "cp's copy, no rules" src.bin shim-cp.bin
    expect_same_file "cp's copy, no rules, vs bare" bare-cp.bin shim-cp.bin

    # Errors cp reports.
    for e in EIO:"Input/output error" ENOSPC:"No space left on device"; do
        errno=${e%%:*} text=${e#*:}
        rules="rules=({name=\"cfr\"; calls=[\"copy_file_range\"]; path=\"*/err-cp.bin\"; error=\"$errno\";});"
        rm -f err-cp.bin
        FAULTLINE_LOG="$PWD/cp-$errno.jsonl" capture under_shim "$rules" cp src.bin err-cp.bin
        expect_status "cp with copy_file_range=$errno" 1 "$RC"
        expect_eq "cp's message, copy_file_range=$errno" \
            "cp: error copying 'src.bin' to 'err-cp.bin': $text" "$ERR"
        expect_eq "cp's fault, $errno" "cfr	copy_file_range	error	$errno" \
            "$(jsonl fields --where event=fault "cp-$errno.jsonl" -- rule call action errno)"
        cmp -s src.bin err-cp.bin && fail "cp with copy_file_range=$errno: the copy is complete"
    done

    # Short transfers: many calls, same file.
    rules='rules=({name="short"; calls=["copy_file_range"]; partial=65536;});'
    FAULTLINE_LOG="$PWD/cp-partial.jsonl" capture under_shim "$rules" cp src.bin part-cp.bin
    expect_status "cp with partial copy_file_range" 0 "$RC"
    expect_eq "cp's stderr, partial" "" "$ERR"
    expect_same_file "cp's copy, partial copy_file_range" src.bin part-cp.bin
    expect_ge "cp's partial copy_file_range calls" 17 \
        "$(jsonl count --where event=fault --where rule=short --where action=partial cp-partial.jsonl)"
    expect_eq "most bytes in one partial copy_file_range" 65536 \
        "$(jsonl fields --where event=fault cp-partial.jsonl -- "done" | sort -n | tail -n 1)"

    # Errors on which cp falls back to read/write.
    for errno in EXDEV ENOSYS EOPNOTSUPP; do
        rules="rules=({name=\"cfr\"; calls=[\"copy_file_range\"]; error=\"$errno\";}, $RD);"
        FAULTLINE_LOG="$PWD/cp-fb-$errno.jsonl" capture under_shim "$rules" cp src.bin fb-cp-$errno.bin
        expect_status "cp with copy_file_range=$errno" 0 "$RC"
        expect_eq "cp's stderr, copy_file_range=$errno" "" "$ERR"
        expect_same_file "cp's copy after falling back from $errno" src.bin fb-cp-$errno.bin
        expect_ge "copy_file_range=$errno faults" 1 \
            "$(jsonl count --where event=fault --where rule=cfr "cp-fb-$errno.jsonl")"
        expect_ge "cp's reads of the source after $errno" 1 "$(reads_src "cp-fb-$errno.jsonl")"
    done

    # ... also after three short copies: the rest goes by read/write.
    rules="rules=({name=\"late\"; calls=[\"copy_file_range\"]; after=3; times=1; error=\"EXDEV\";},
                  {name=\"short\"; calls=[\"copy_file_range\"]; partial=65536;}, $RD);"
    FAULTLINE_LOG="$PWD/cp-late.jsonl" capture under_shim "$rules" cp src.bin late-cp.bin
    expect_status "cp with EXDEV after three short copies" 0 "$RC"
    expect_same_file "cp's copy, EXDEV after three short copies" src.bin late-cp.bin
    expect_eq "short copies before EXDEV" 3 \
        "$(jsonl count --where event=fault --where rule=short cp-late.jsonl)"
    expect_eq "EXDEV faults" 1 "$(jsonl count --where event=fault --where rule=late cp-late.jsonl)"
    expect_ge "cp's reads of the source after a late EXDEV" 1 "$(reads_src cp-late.jsonl)"
else
    echo "-- cp does not call copy_file_range here (it may clone the file instead): cp part left out"
fi

# ---- cat -----------------------------------------------------------------------------------------
cat_to() { # DST
    cat src.bin > "$1"
}
if uses_cfr 'cat src.bin > probe-cat.bin'; then
    capture cat_to bare-cat.bin
    expect_status "cat without the shim" 0 "$RC"
    bare_err=$ERR
    capture under_shim '' cat_to shim-cat.bin
    expect_status "cat under the shim, no rules" 0 "$RC"
    expect_eq "cat stderr, no rules" "$bare_err" "$ERR"
    expect_same_file "cat's copy, no rules" src.bin shim-cat.bin

    for e in EIO:"Input/output error" ENOSPC:"No space left on device"; do
        errno=${e%%:*} text=${e#*:}
        rules="rules=({name=\"cfr\"; calls=[\"copy_file_range\"]; path=\"*/err-cat.bin\"; error=\"$errno\";});"
        FAULTLINE_LOG="$PWD/cat-$errno.jsonl" capture under_shim "$rules" cat_to err-cat.bin
        expect_status "cat with copy_file_range=$errno" 1 "$RC"
        expect_eq "cat's message, copy_file_range=$errno" "cat: src.bin: $text" "$ERR"
        expect_eq "cat's fault, $errno" "cfr	copy_file_range	error	$errno" \
            "$(jsonl fields --where event=fault "cat-$errno.jsonl" -- rule call action errno)"
    done

    rules='rules=({name="short"; calls=["copy_file_range"]; partial=65536;});'
    FAULTLINE_LOG="$PWD/cat-partial.jsonl" capture under_shim "$rules" cat_to part-cat.bin
    expect_status "cat with partial copy_file_range" 0 "$RC"
    expect_same_file "cat's copy, partial copy_file_range" src.bin part-cat.bin
    expect_ge "cat's partial copy_file_range calls" 17 \
        "$(jsonl count --where event=fault --where rule=short --where action=partial cat-partial.jsonl)"

    for errno in EXDEV ENOSYS EOPNOTSUPP; do
        rules="rules=({name=\"cfr\"; calls=[\"copy_file_range\"]; error=\"$errno\";}, $RD);"
        FAULTLINE_LOG="$PWD/cat-fb-$errno.jsonl" capture under_shim "$rules" cat_to fb-cat-$errno.bin
        expect_status "cat with copy_file_range=$errno" 0 "$RC"
        expect_same_file "cat's copy after falling back from $errno" src.bin fb-cat-$errno.bin
        expect_ge "cat's reads of the source after $errno" 1 "$(reads_src "cat-fb-$errno.jsonl")"
    done

    rules="rules=({name=\"late\"; calls=[\"copy_file_range\"]; after=3; times=1; error=\"EXDEV\";},
                  {name=\"short\"; calls=[\"copy_file_range\"]; partial=65536;}, $RD);"
    FAULTLINE_LOG="$PWD/cat-late.jsonl" capture under_shim "$rules" cat_to late-cat.bin
    expect_status "cat with EXDEV after three short copies" 0 "$RC"
    expect_same_file "cat's copy, EXDEV after three short copies" src.bin late-cat.bin
    expect_ge "cat's reads of the source after a late EXDEV" 1 "$(reads_src cat-late.jsonl)"
elif [ $cp_ran = 0 ]; then
    skip "neither cp nor cat calls copy_file_range here"
else
    echo "-- cat does not call copy_file_range here: cat part left out"
fi
