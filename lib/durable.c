/* Durability tracking (durable.h). Skeleton: tracking is never on yet. */
#include <fcntl.h>
#include <string.h>

#include "durable.h"

uint8_t fl_durable_on;

int fl_fopen_flags(const char *mode)
{
    int flags = mode && mode[0] == 'r' ? 0 : O_CREAT;
    if (mode && mode[0] == 'w')
        flags |= O_TRUNC;
    if (mode && mode[0] == 'a')
        flags |= O_APPEND;
    bool plus = mode && strchr(mode, '+');
    flags |= mode && mode[0] == 'r' && !plus ? O_RDONLY : plus ? O_RDWR : O_WRONLY;
    return flags;
}

bool fl_track_before(struct fl_call_ctx *c)
{
    (void)c;
    return false;
}

void fl_track_after(struct fl_call_ctx *c, long result)
{
    (void)c;
    (void)result;
}
