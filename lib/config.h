/* The config reader: libconfig text in, plain structs out. Nothing outside config.c sees
 * libconfig types. */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calls.h"

/* What kind of object a fd is. */
enum fl_fd_kind { FL_FD_ANY, FL_FD_FILE, FL_FD_SOCKET, FL_FD_PIPE, FL_FD_TTY, FL_FD_OTHER };

/* A peer pattern: "host:port", "*:port", "host", "10.0.0.0/8", "10.0.0.0/8:5432",
 * "[::1]:80", "::1", "unix:/run/x.sock". Hosts are IP literals or "localhost" (127.0.0.0/8 and
 * ::1): a config never makes the shim resolve a name. */
struct fl_peer {
    enum { FL_PEER_INET, FL_PEER_UNIX } kind;
    bool any_host;                    /* "*" */
    bool localhost;                   /* "localhost": 127.0.0.0/8 or ::1 */
    int family;                       /* AF_INET or AF_INET6 when a literal is given */
    uint8_t addr[16];                 /* network byte order; IPv4 in the first 4 bytes */
    int prefix;                       /* CIDR bits: 32 / 128 for a single host */
    uint16_t port;                    /* host byte order; 0: any port */
    char *unix_path;                  /* FL_PEER_UNIX: fnmatch glob on the socket's path */
};

/* One rule as written in the config, validated. */
struct fl_rule_spec {
    char *name;                       /* unique, [A-Za-z0-9_.:-]+ */
    char *file;                       /* where it was written: file name ("FAULTLINE_RULES" for */
    int line;                         /* inline text) and line of the rule's opening brace */
    char *text;                       /* the rule as libconfig text, "{ name = ...; ... }": */
                                      /* what `set` edits and validates again */
    uint64_t calls[FL_CALL_WORDS];    /* bitset of enum fl_call_id it covers */
    bool enabled;                     /* default true; false: dormant until enabled */
    double probability;               /* 0..1, default 1 */
    bool dry_run;                     /* decide and log, inject nothing (or the global) */

    /* which calls match: every condition given must hold */
    char *path;                       /* fnmatch glob, NULL: any; one not starting with '/' */
                                      /* is stored with "*" + "/" before it (any directory) */
    bool has_peer;
    struct fl_peer peer;
    enum fl_fd_kind fd_kind;          /* default FL_FD_ANY */
    uint64_t min_size;                /* default 0 */
    uint64_t max_size;                /* 0 or UINT64_MAX: no limit */

    /* when a matching call is hit */
    uint64_t after;                   /* let the first `after` matching calls pass; default 0 */
    uint64_t after_bytes;             /* let the first `after_bytes` bytes of matching calls */
                                      /* pass (the call that goes past them is the first */
                                      /* candidate); 0 for none */
    uint64_t every;                   /* then every `every`-th is a candidate; default 1 */
    uint64_t times;                   /* at most this many injections; 0: no limit */
    uint64_t start_ns;                /* window start after arming; default 0 */
    uint64_t duration_ns;             /* window length; 0: no end */

    /* what is injected: `action` plus an optional delay */
    enum fl_action action;            /* ERROR PARTIAL EOF CORRUPT DROP KILL, or DELAY alone */
    int error;                        /* ERROR: > 0 an errno; < 0 an EAI_* code */
    uint32_t partial_pct;             /* PARTIAL as a share: 1..99 (percent of what was asked) */
    uint64_t partial_bytes;           /* PARTIAL as a byte count >= 1 (when partial_pct is 0) */
    uint32_t corrupt_bits;            /* CORRUPT: bits to flip, >= 1 */
    int kill_signal;                  /* KILL: the signal number */
    uint64_t delay_ns;                /* 0 none */
    uint64_t jitter_ns;               /* only with delay_ns; jitter_ns <= delay_ns */
};

/* A whole configuration: the file's, then the inline rules', merged. */
struct fl_config {
    bool has_seed;
    uint64_t seed;
    char *log;                        /* NULL: no event log; "stderr": the copy of stderr */
    bool summary;                     /* default false */
    bool children;                    /* default true */
    bool control;                     /* default false */
    bool dry_run;                     /* default false: every rule decides and logs only */
    char **programs;                  /* globs on the executable's base name; NULL: any */
    size_t nprograms;
    char **durable;                   /* durability tracking: globs of the paths it covers */
    size_t ndurable;                  /* (stored as rule paths are); NULL, 0: no tracking */
    unsigned torn_sector;             /* 0: a power loss loses every unsynced change; 512 or */
                                      /* 4096: unsynced sectors of that size may survive */
    double torn_keep;                 /* with torn_sector: the chance one does (default 0.5) */
    char *source;                     /* the config file's path, or NULL */
    struct fl_rule_spec *rules;
    size_t nrules;
};

/* A diagnostic: "FILE:LINE: message" (no "faultline: " prefix, no newline). */
struct fl_diag {
    char text[1024];
};

/* Read the config file `path` (NULL: none) and then the inline config text `inline_text` (NULL:
 * none; its diagnostics name the file "FAULTLINE_RULES"), whose rules are appended to the file's.
 * Global keys given inline override the file's. On success returns 0 and fills *cfg, which the
 * caller releases with fl_config_free. On the first error returns -1, leaves *cfg empty and
 * writes the message to *diag. Allocates with malloc; not async-signal-safe. */
int fl_config_load(struct fl_config *cfg, const char *path, const char *inline_text,
                   struct fl_diag *diag);

/* Change one key of a rule at run time: `rule_text` is a rule's text (fl_rule_spec.text),
 * `key` a rule key and `value` its new value in libconfig syntax ("0.5", "\"ENOSPC\"",
 * "[\"read\"]"), or a bare word, read as a string (ENOSPC, 200ms, 1MB). The rule is read again
 * whole, with every check the config file gets: on success returns 0, the new rule in *out
 * (release with fl_rule_spec_free) and what was understood in *diag ("error = \"ENOSPC\""); on
 * error returns -1 with "set: message" in *diag. A rule's name cannot change. Setting an action
 * replaces the rule's action; setting `delay` keeps it. */
int fl_config_set_key(const char *rule_text, const char *key, const char *value,
                      struct fl_rule_spec *out, struct fl_diag *diag);

/* Release the strings of one rule spec and zero it. */
void fl_rule_spec_free(struct fl_rule_spec *spec);

/* libconfig text made safe from libconfig 1.5's 32-bit integers: an L after each integer that
 * needs 64 bits (which libconfig would wrap silently), and an integer past 64 bits refused.
 * Returns 0 with *out NULL when nothing needs an L, or 0 with the new text (malloc'd) in *out;
 * -1 with why[cap] and *bad_line the line (0 when out of memory). *unclosed: the line of a
 * string the text never closes, or 0. */
int fl_config_widen_integers(const char *text, char **out, int *unclosed, int *bad_line,
                             char *why, size_t cap);

/* Release what fl_config_load allocated and zero *cfg. Safe on a zeroed config. */
void fl_config_free(struct fl_config *cfg);

/* Parse a duration such as "200ms", "1.5s", "2m", "0": a number and a unit among ns us ms s m h.
 * Returns 0 and the nanoseconds in *ns, or -1 when malformed or larger than a day. */
int fl_parse_duration(const char *text, uint64_t *ns);

/* Parse a byte count with a unit such as "64KiB", "1.5MB", "512B" (B kB KB MB GB TB KiB MiB
 * GiB TiB). Returns 0 and the bytes (rounded down) in *bytes, or -1 when malformed or past
 * 2^63 bytes. */
int fl_parse_size(const char *text, uint64_t *bytes);

/* The number of a signal by its name with or without "SIG" ("SIGKILL", "KILL", also the
 * aliases IOT, IO and CLD), or 0 when unknown. */
int fl_signal_by_name(const char *name);

/* For an unknown signal name: " (did you mean 'SIGTERM'?)" (with "SIG" when the name has it)
 * in buf when a signal's name is near, else "". Returns buf or "". */
const char *fl_signal_hint(const char *name, char *buf, size_t size);

/* The errno value of a name ("ENOSPC", also "EWOULDBLOCK" and other aliases), or 0 when
 * unknown. */
int fl_errno_by_name(const char *name);

/* The EAI_* code (negative) of a name ("EAI_AGAIN"), or 0 when unknown. */
int fl_eai_by_name(const char *name);

/* The name of an error as stored in fl_rule_spec.error: "ENOSPC" or "EAI_AGAIN"; "?" if
 * unknown. Never allocates. */
const char *fl_error_name(int error);

#endif
