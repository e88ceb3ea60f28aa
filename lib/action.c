/* The slow path: decide, sleep, fail, record. */
#include <errno.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "action.h"
#include "events.h"
#include "real.h"

/* Sleep `ns` on the monotonic clock, to the end even when signals interrupt it. */
static void sleep_ns(uint64_t ns)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ns / 1000000000u);
    until.tv_nsec += (long)(ns % 1000000000u);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
}

/* The call fails with the rule's error. */
static void fail(struct fl_call_ctx *c)
{
    fl_events_fault(c, -1);
    if (c->stream)
        c->stream->_flags |= _IO_ERR_SEEN;
}

enum fl_step fl_begin(struct fl_call_ctx *c)
{
    if (fl_guard)
        return FL_PASS;
    int saved = errno;
    fl_guard = 1;
    enum fl_step step = FL_PASS;
    if (fl_rules_decide(&c->m, &c->v)) {
        if (c->v.delay_ns)
            sleep_ns(c->v.delay_ns);
        step = c->v.action == FL_ACT_ERROR ? FL_FAIL : FL_RUN;
        if (step == FL_FAIL)
            fail(c);
    }
    fl_guard = 0;
    errno = step == FL_FAIL && c->v.error > 0 ? c->v.error : saved;
    return step;
}

void fl_after(struct fl_call_ctx *c, long result)
{
    int saved = errno;
    fl_guard = 1;
    fl_events_fault(c, result);
    fl_guard = 0;
    errno = saved;
}

size_t fl_iov_len(const struct iovec *iov, size_t cnt)
{
    size_t n = 0;
    for (size_t i = 0; iov && i < cnt; i++)
        if (__builtin_add_overflow(n, iov[i].iov_len, &n))
            return SIZE_MAX;
    return n;
}
