# Helpers for the power-loss tests (t_power_loss_*.sh), sourced after lib.sh:
#   . "$FL_ROOT/tests/integration/power_loss.sh"
# Sets FL (the faultline command) and DW (tests/programs/durable_writer).

need_prog durable_writer
DW=$FL_PROGS/durable_writer
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
# a sanitizer runtime must come first in the program's LD_PRELOAD: faultline run keeps it first
export LD_PRELOAD="${FL_PRELOAD_FIRST:-}"

# durable_config FILE GLOB [TEXT...]: writes the config FILE tracking GLOB (durable = "GLOB";)
# with seed 1 (a run's --seed overrides it), followed by each TEXT on a line of its own (more
# globals, rules = (...);).
durable_config() {
    local file=$1 glob=$2
    shift 2
    {
        printf 'seed = 1;\ndurable = "%s";\n' "$glob"
        printf '%s\n' "$@"
    } >"$file"
}

# tree_state DIR: what DIR holds, one line per entry below it, sorted: "NAME/" for a directory,
# "NAME=CONTENT" for a file (its bytes as they are; files here hold short text), "NAME->TARGET"
# for a symlink. Nothing at all when DIR holds nothing; "(absent)" when DIR does not exist.
tree_state() {
    [ -e "$1" ] || { echo "(absent)"; return; }
    local p rel
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort) | while IFS= read -r p; do
        rel=${p#./}
        if [ -L "$1/$rel" ]; then
            echo "$rel->$(readlink "$1/$rel")"
        elif [ -d "$1/$rel" ]; then
            echo "$rel/"
        else
            echo "$rel=$(cat "$1/$rel")"
        fi
    done
}

# byte_runs FILE: FILE's bytes as runs, "C*4096 P*4096" (a run of 4096 'C' then 4096 'P');
# "(empty)" for an empty file, "(absent)" for none.
byte_runs() {
    [ -e "$1" ] || { echo "(absent)"; return; }
    [ -s "$1" ] || { echo "(empty)"; return; }
    od -An -v -c -w1 "$1" | uniq -c | awk '{ printf "%s%s*%d", sep, $2, $1; sep = " " } END { print "" }'
}

# rollback_line: the summary line faultline run printed on stderr after rolling back (from the
# last capture), empty when there was none.
rollback_line() {
    printf '%s\n' "$ERR" | grep -E '^faultline: ' | grep -iE 'power loss|roll' | tail -n 1
}
