/* Opening the files faultline reads and writes at paths another local user may have planted
 * something at: the event log and config files (and the files they @include). Shared by the
 * shim and the command; every call goes through syscall(2), never through a name the shim
 * interposes, and errno is left as it was. */
#ifndef FL_SAFEFILE_H
#define FL_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>

/* The most a config file (or a config with everything it includes) may hold, in bytes. */
#define FL_CONFIG_MAX (32u << 20)

/* Open the event log `path` to append to it, creating it (mode 0600) when missing. Refuses,
 * without blocking and without writing anything: a symbolic link at `path` (not followed), a
 * FIFO, socket, directory or block device (only a regular file or a character device such as
 * /dev/null is a log), a file owned by a user other than the caller's effective user and root,
 * and a regular file with more than one hard link. Returns the fd (O_APPEND, close-on-exec,
 * blocking, readable too when the file allows it; *regular tells whether it is a regular file),
 * or -1 with the reason in words in why[cap] (no path, no newline), for example
 * "it is a FIFO, not a regular file". */
int fl_open_log(const char *path, bool *regular, char *why, size_t cap);

/* Read the whole of the file `path`, which must be a regular file of at most `max` bytes,
 * without blocking on a FIFO or device and without reading more than max + 1 bytes. Returns 0
 * with the text (malloc'd, NUL-terminated; the caller frees it) in *text and its length in
 * *len, or -1 with the reason in words in why[cap] ("is a directory", "No such file or
 * directory", "is larger than 33554432 bytes, the most a config file may hold"). */
int fl_read_file(const char *path, size_t max, char **text, size_t *len, char *why, size_t cap);

#endif
