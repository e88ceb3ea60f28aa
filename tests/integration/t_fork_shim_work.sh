#!/usr/bin/env bash
# The shim's own work in a forked child (its control socket, its per-pid log) never meets the
# program's rules: with control on and rules on socket (a 2 s delay) and bind (an error), a
# program that forks three children runs at once, starts a control socket in each child, and
# logs no fault at all (it never called socket or bind itself).
. "$FL_ROOT/tests/integration/lib.sh"
need cc
python_bin
mkdir -p xdg && chmod 0700 xdg
cat >forker.c <<'C'
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    for (int i = 0; i < 3; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        int st;
        waitpid(p, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
            return 1;
    }
    puts("forked 3");
    return 0;
}
C
cc -O2 -o forker forker.c || fail "cannot build the forking probe"
rules='control = true;
rules = ({name="sock"; calls=["socket"]; delay="2s";},
         {name="bind"; calls=["bind"]; error="EADDRINUSE";});'
XDG_RUNTIME_DIR=$PWD/xdg FAULTLINE_LOG=$PWD/ev.jsonl capture timeout 5 env LD_PRELOAD="$FL_LIB" \
    FAULTLINE_RULES="$rules" ./forker
expect_status "forker under control = true" 0 "$RC"
expect_eq "forker's output" "forked 3" "$OUT"
expect_not_contains "no message about the control socket" "$ERR" "no control socket"
expect_eq "faults logged" 0 "$(jsonl count --where event=fault ev.jsonl)"
expect_eq "processes that started (parent and 3 children)" 4 "$(jsonl count --where event=start ev.jsonl)"
