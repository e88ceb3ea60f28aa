/* faultline's in-process API: a program or test harness that has libfaultline.so loaded
 * (preloaded, or linked with -lfaultline) steers its own faults with it. Every function is
 * thread-safe and returns 0 on success, -1 on failure. With no config loaded every call fails.
 * See faultline(3). */
#ifndef FAULTLINE_H
#define FAULTLINE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Run one control command, as `faultline ctl PID COMMAND` would: "list", "stats",
 * "enable NAME", "disable NAME", "set NAME KEY=VALUE", "reload", "pause", "resume", "help".
 * The reply, without its final "ok" line (with its "error: ..." line on failure), is copied
 * into reply[size] when reply is not NULL, cut short if it does not fit. */
int faultline_command(const char *command, char *reply, size_t size);

/* Arm or disarm the rule called name (arming restarts its start/duration window). */
int faultline_enable(const char *name);
int faultline_disable(const char *name);

/* Change one key of a rule, validated like the config file: ("db", "probability=0.5"). */
int faultline_set(const char *name, const char *key_value);

/* Hold every rule, or let them go again. */
int faultline_pause(void);
int faultline_resume(void);

/* Read the config again; on any error the current rules stay. */
int faultline_reload(void);

/* The counters of the rule called name: calls that matched it, faults it injected. */
int faultline_counters(const char *name, unsigned long long *matched,
                       unsigned long long *injected);

#ifdef __cplusplus
}
#endif

#endif
