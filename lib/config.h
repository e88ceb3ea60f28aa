/* The config reader: libconfig text in, plain structs out. Nothing outside config.c sees
 * libconfig types. */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calls.h"

/* One rule as written in the config, validated. */
struct fl_rule_spec {
    char *name;                       /* unique, [A-Za-z0-9_.:-]+ */
    char *file;                       /* where it was written: file name ("FAULTLINE_RULES" for */
    int line;                         /* inline text) and line of the rule's opening brace */
    uint64_t calls[FL_CALL_WORDS];    /* bitset of enum fl_call_id it covers */
    bool enabled;                     /* default true; false: dormant until enabled */
    double probability;               /* 0..1, default 1 */
    int error;                        /* 0 none; > 0 an errno; < 0 an EAI_* code */
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

/* Release what fl_config_load allocated and zero *cfg. Safe on a zeroed config. */
void fl_config_free(struct fl_config *cfg);

/* Parse a duration such as "200ms", "1.5s", "2m", "0": a number and a unit among ns us ms s m.
 * Returns 0 and the nanoseconds in *ns, or -1 when malformed or larger than a day. */
int fl_parse_duration(const char *text, uint64_t *ns);

/* The errno value of a name ("ENOSPC", also "EWOULDBLOCK" and other aliases), or 0 when
 * unknown. */
int fl_errno_by_name(const char *name);

/* The EAI_* code (negative) of a name ("EAI_AGAIN"), or 0 when unknown. */
int fl_eai_by_name(const char *name);

/* The name of an error as stored in fl_rule_spec.error: "ENOSPC" or "EAI_AGAIN"; "?" if
 * unknown. Never allocates. */
const char *fl_error_name(int error);

#endif
