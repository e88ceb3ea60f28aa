/* Run-time control: the commands a game-day facilitator sends (faultline ctl, socat, the
 * in-process API) and the socket that serves them. */
#ifndef FL_CONTROL_H
#define FL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "text.h"

/* A reply being built: lines, the last one "ok" or "error: ...". */
struct fl_reply {
    struct fl_text text;
    bool failed;      /* the command failed: the reply ends in "error: ..." */
    bool power_loss;  /* power-loss: once the reply is delivered, the caller declares it */
};                    /* (fl_control_power_loss) */

/* Run one command line ("enable db-refused", "set x probability=0.5", "stats", ...) and write
 * its whole reply into *out, ending in "ok\n" or "error: ...\n". Call with fl_guard set.
 * Release out->text.p with free. */
void fl_control_run(const char *line, struct fl_reply *out);

/* Declare the power loss a power-loss command asked for (out->power_loss), once its reply is
 * delivered: every process of the run dies, this one with them. Does not return. */
void fl_control_power_loss(void);

/* Start serving the control socket of this process ($XDG_RUNTIME_DIR/faultline/PID.sock or
 * /tmp/faultline-UID/PID.sock, directory 0700 and this user's, socket 0600) on a thread of its
 * own, which serves up to 16 clients at once. Holds two fds of the shim's own (close-on-exec,
 * spared from the program's close): the listening socket and a reserve fd on /dev/null, spent
 * to tell a client that the process has no free fd. Returns 0, or -1 after saying why on
 * stderr (an unsafe directory: what is wrong with it and the fix). */
int fl_control_start(void);

/* After fork, in the child: the parent's socket is not the child's; serve one of its own. */
void fl_control_atfork_child(void);

/* At exit: remove this process's socket. */
void fl_control_stop(void);

/* Read the config again (the file and FAULTLINE_RULES as they were at start, and the same seed)
 * and put its rules in place of the current ones, or, on any error, keep the current ones and
 * return -1 with the reason in *diag. Defined in init.c. */
struct fl_diag;
int fl_reload(struct fl_diag *diag);

#endif
