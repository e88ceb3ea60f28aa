#!/usr/bin/env bash
# An injected delay stands for a slow call, and a signal during it ends it as signal(7) says
# the real call would end: poll (never restarted) fails with EINTR even under SA_RESTART; a read
# of a pipe fails with EINTR when the handler lacks SA_RESTART and goes on (and reads) when it
# has it; a read of a regular file completes. The fault line says the delay that really
# elapsed. A delay on a call with a timeout is capped by it, and the call returns its timeout
# result. A thread that leaves during a delay (siglongjmp out of a handler, pthread_cancel, a
# C++ exception) still gets its fault line, and the shim goes on acting on that thread.
. "$FL_ROOT/tests/integration/lib.sh"
need_prog signal_probe
python_bin
P="$FL_PROGS/signal_probe"
slow='rules=({name="slow"; calls=["read", "@wait"]; delay="3s";},
             {name="null"; calls=["write"]; path="/dev/null"; error="EIO";});'

# probe MODE SIGNAL_MS [TIMEOUT_MS]: the probe under the rules above, with a fresh log.
probe() {
    rm -f ev.jsonl
    FAULTLINE_LOG=$PWD/ev.jsonl capture timeout 20 env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$slow" "$P" "$@"
    expect_status "signal_probe $*" 0 "$RC"
}
field() { jsonl fields --where event=fault --where rule=slow ev.jsonl -- "$@"; }

# poll on an empty pipe, forever; SIGALRM (SA_RESTART) after 200 ms: EINTR at once. The delay
# logged is what elapsed: at least the 200 ms before the signal, well short of the 3 s asked.
probe poll 200
expect_match "poll under a delay, interrupted" "$OUT" '^result=-1 errno=EINTR '
expect_eq "poll's fault line" "poll	-1	EINTR	true" "$(field call done errno interrupted)"
d=$(field delay_ns)
expect_ge "delay logged (ns)" 200000000 "$d"
[ "$d" -lt 3000000000 ] || fail "the interrupted delay is logged as $d ns, the whole 3 s"

# read of a pipe holding a byte, handler without SA_RESTART: EINTR.
probe read 200
expect_match "read, handler without SA_RESTART" "$OUT" '^result=-1 errno=EINTR '
expect_eq "read's fault line" "read	-1	EINTR" "$(field call done errno)"

# The same with SA_RESTART: the kernel restarts the read, the delay goes on, the byte comes.
probe read-restart 200
expect_match "read, handler with SA_RESTART" "$OUT" '^result=1 errno=- '
expect_eq "restarted read's fault line" "1	null	3000000000" "$(field done errno delay_ns)"

# A regular file: disk reads are not interrupted; the call completes.
probe file 200
expect_match "read of a file" "$OUT" '^result=1 errno=- '

# The call's own timeout caps the delay: poll(300 ms) on a pipe that holds a byte returns 0
# (the slow peer's data is not there in time), not 1 after 3.3 s; select likewise, with its
# set cleared. A timeout longer than the delay leaves the call its result.
probe poll-ready 0 300
expect_match "poll(300) under a 3 s delay" "$OUT" '^result=0 errno=- '
expect_eq "capped delay's fault line" "0	300000000" "$(field done delay_ns)"
probe select-ready 0 300
expect_match "select(300 ms) under a 3 s delay" "$OUT" '^result=0 errno=- .* set=0$'
rm -f ev.jsonl
slow='rules=({name="slow"; calls=["@wait"]; delay="100ms";});'
probe poll-ready 0 5000
expect_match "poll(5 s) under a 100 ms delay" "$OUT" '^result=1 errno=- '

# siglongjmp out of a handler during the delay: the fault has its line ("done": null) and the
# shim still acts on the thread (the write to /dev/null fails with EIO).
slow='rules=({name="slow"; calls=["read"]; delay="3s";},
             {name="null"; calls=["write"]; path="/dev/null"; error="EIO";});'
probe longjmp 200
expect_match "siglongjmp out of a delayed read" "$OUT" '^result=-2 '
expect_contains "after siglongjmp, the next fault lands" "$OUT" "after: result=-1 errno=EIO"
expect_eq "the left delay's line" "read	null	true" "$(field call done unfinished)"

# pthread_cancel during the delay: the thread ends, the fault has its line.
probe cancel 200
expect_match "cancelled during a delayed read" "$OUT" '^result=1 '
expect_eq "the cancelled delay's line" "read	null	true" "$(field call done unfinished)"

# A C++ exception thrown by a handler during the delay: caught by the program, the fault has
# its line, the shim goes on.
if command -v g++ >/dev/null 2>&1; then
    cat >throw.cc <<'CC'
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>
static void on_alarm(int) { throw std::runtime_error("alarm"); }
int main() {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGALRM, &sa, nullptr);
    int p[2];
    if (pipe(p) || write(p[1], "x", 1) != 1) return 2;
    char c;
    try {
        struct itimerval it = {{0, 0}, {0, 200000}};
        setitimer(ITIMER_REAL, &it, nullptr);
        long r = read(p[0], &c, 1);
        printf("read returned %ld\n", r);
    } catch (const std::exception &e) {
        printf("caught %s\n", e.what());
    }
    int fd = open("/dev/null", O_WRONLY);
    printf("after: write returned %ld\n", (long)write(fd, "y", 1));
    return 0;
}
CC
    g++ -O2 -fnon-call-exceptions -o throw throw.cc || fail "g++ could not build the exception probe"
    probe_cc() {
        rm -f ev.jsonl
        FAULTLINE_LOG=$PWD/ev.jsonl capture timeout 20 env LD_PRELOAD="$FL_LIB" FAULTLINE_RULES="$slow" ./throw
    }
    probe_cc
    expect_status "exception probe" 0 "$RC"
    expect_eq "exception out of a delayed read" "caught alarm
after: write returned -1" "$OUT"
    expect_eq "the delay left by an exception" "read	null	true" "$(field call done unfinished)"
else
    note "g++ missing: the exception case is not run"
fi
