/* The faultline command: one file per verb (run.c, check.c, ctl.c, ps.c, report.c, experiment.c), the
 * dispatcher and the helpers they share (main.c), and JSON reading over json-c (jsonl.c). */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctlpath.h"

/* Exit statuses every verb shares. */
enum { FL_EXIT_OK = 0, FL_EXIT_FAIL = 1, FL_EXIT_USAGE = 2 };

/* A verb: what `faultline --help` lists, what `faultline VERB --help` prints, and its entry
 * point, called with argv[0] the verb's name. */
struct fl_cli_verb {
    const char *name;
    const char *summary;    /* one line for the list of verbs */
    const char *usage;      /* "faultline run [-c file] ...": the man page's synopsis line */
    const char *options;    /* the option list --help prints after the usage line */
    int (*main)(int argc, char **argv);
};

extern const struct fl_cli_verb fl_cli_run, fl_cli_check, fl_cli_ctl, fl_cli_ps, fl_cli_report,
    fl_cli_experiment;

/* Print "faultline: " + the formatted message + newline on stderr. */
__attribute__((format(printf, 1, 2))) void fl_cli_say(const char *fmt, ...);

/* A usage error: print "faultline: VERB: message" and "usage: " + the verb's usage line on
 * stderr; returns FL_EXIT_USAGE, for `return fl_cli_usage_error(...)`. */
__attribute__((format(printf, 2, 3))) int fl_cli_usage_error(const struct fl_cli_verb *v,
                                                             const char *fmt, ...);

/* After getopt_long (run with opterr = 0 and a leading ':' in its option string) returned '?'
 * or ':': the usage error that names the option at argv[optind - 1]. Returns FL_EXIT_USAGE. */
int fl_cli_bad_option(const struct fl_cli_verb *v, int c, char **argv);

/* --help: the usage line and the options on stdout; returns FL_EXIT_OK. */
int fl_cli_help(const struct fl_cli_verb *v);

/* Reset getopt for a verb's argv (argv[0] is the verb). */
void fl_cli_getopt_reset(void);

/* Parse a process ID: a decimal integer from 1 to INT_MAX, nothing else. Returns it, or -1. */
pid_t fl_cli_parse_pid(const char *text);

/* ---- the control socket client (ctl.c), also used by ps ---------------------------------- */

enum fl_ctl_status {
    FL_CTL_OK,          /* the reply ended with "ok" */
    FL_CTL_ERROR,       /* it ended with "error: MESSAGE": MESSAGE in reply.message */
    FL_CTL_NO_PROCESS,  /* no such process */
    FL_CTL_NO_SOCKET,   /* the process has no control socket (nothing at its path) */
    FL_CTL_REFUSED,     /* a socket file is there but nobody listens (stale) */
    FL_CTL_UNSAFE,      /* the socket directory cannot be trusted: why, and the fix, in message */
    FL_CTL_FAILED,      /* anything else: the reason in reply.message */
};

struct fl_ctl_reply {
    char *lines;        /* the reply's lines before the final one, each ending in '\n'; */
    size_t len;         /* malloc'd, NUL-terminated (NULL when there were none) */
    char message[1024]; /* FL_CTL_ERROR: the server's message; FL_CTL_FAILED: the reason */
};

/* Send one request line (without its newline) to process pid's control socket and read the
 * reply, giving up after timeout_ms in all. Fills *reply (release with fl_ctl_reply_free) and
 * returns what happened. Does not print anything. */
enum fl_ctl_status fl_ctl_request(pid_t pid, const char *request, int timeout_ms,
                                  struct fl_ctl_reply *reply);

/* Whether the command may trust the socket directory dir (fl_ctl_dir_check for this user; for
 * root, a private directory of any user's, whose sockets' servers fl_ctl_request checks).
 * FL_CTL_DIR_UNSAFE: why[cap] says what is wrong and the fix. */
enum fl_ctl_dir_state fl_cli_ctl_dir_check(const char *dir, char *why, size_t cap);

/* Release reply->lines. */
void fl_ctl_reply_free(struct fl_ctl_reply *reply);

/* ---- finding processes (ps.c) ---------------------------------------------------------------- */

/* The processes with a live control socket (as faultline ps lists them) that are `program`:
 * their executable, or the first or second word of their command line (an interpreter's
 * script: "service.py" for "python3 service.py"), each as given or by its base name. Their
 * pids in *matches (malloc'd, ascending, *nmatches of them); in *seen (malloc'd) every process
 * with a socket as "PID (PROGRAM), ..." or "none", for a message naming the candidates. Returns
 * 0, or -1 with *seen saying why (the socket directory unsafe or unreadable, out of memory;
 * *seen NULL when out of memory). The caller frees *matches and *seen either way. */
int fl_ps_find(const char *program, pid_t **matches, size_t *nmatches, char **seen);

/* text[0..n) made safe to print on a terminal: tabs, newlines and valid UTF-8 kept, every other
 * control character (C0, DEL, C1) and every invalid byte written \xNN. malloc'd, NUL-terminated;
 * NULL when out of memory. */
char *fl_cli_escape(const char *text, size_t n);

#endif
