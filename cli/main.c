/* faultline: run programs under the shim, check configs, steer running processes, read logs.
 * This file dispatches to the verbs and holds the helpers they share. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct fl_cli_verb *const verbs[] = {
    &fl_cli_run, &fl_cli_check, &fl_cli_ctl, &fl_cli_ps, &fl_cli_report, &fl_cli_experiment,
};
#define NVERBS (sizeof verbs / sizeof verbs[0])

/* "faultline: " + message + newline on stderr, after flushing stdout so that the two keep their
 * order on a terminal. */
void fl_cli_say(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("faultline: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* "faultline: VERB: message" and the usage line on stderr; returns FL_EXIT_USAGE. */
int fl_cli_usage_error(const struct fl_cli_verb *v, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "faultline: %s: ", v->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", v->usage);
    return FL_EXIT_USAGE;
}

/* The usage error for what getopt_long refused ('?' unknown, ':' missing argument), naming the
 * option as written; returns FL_EXIT_USAGE. */
int fl_cli_bad_option(const struct fl_cli_verb *v, int c, char **argv)
{
    const char *arg = argv[optind - 1];

    if (c == ':')
        return fl_cli_usage_error(v, "option '%s' needs an argument", arg);
    if (optopt && strncmp(arg, "--", 2) != 0)
        return fl_cli_usage_error(v, "unknown option '-%c'", optopt);
    return fl_cli_usage_error(v, "unknown option '%s'", arg);
}

/* The verb's usage line and options on stdout; returns FL_EXIT_OK. */
int fl_cli_help(const struct fl_cli_verb *v)
{
    printf("usage: %s\n%s", v->usage, v->options);
    return FL_EXIT_OK;
}

/* Make the next getopt_long call start a fresh scan, and keep getopt's own messages off. */
void fl_cli_getopt_reset(void)
{
    optind = 0;     /* glibc: 0 starts a fresh scan, '+' and all */
    opterr = 0;
}

/* A process ID from 1 to INT_MAX written in decimal digits only, or -1. */
pid_t fl_cli_parse_pid(const char *text)
{
    char *end;
    long v;

    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || *end || v < 1 || v > INT_MAX)
        return -1;
    return (pid_t)v;
}

/* ---- the top level ------------------------------------------------------------------------- */

#define TOP_USAGE "faultline command [arg ...]"

static void list_verbs(FILE *out)
{
    int width = 0;

    for (size_t i = 0; i < NVERBS; i++)
        if ((int)strlen(verbs[i]->name) > width)
            width = (int)strlen(verbs[i]->name);
    fprintf(out, "usage: " TOP_USAGE "\n       faultline --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < NVERBS; i++)
        fprintf(out, "  %-*s  %s\n", width, verbs[i]->name, verbs[i]->summary);
    fprintf(out, "\n'faultline COMMAND --help' describes a command; see faultline(1).\n");
}

static const struct fl_cli_verb *find_verb(const char *name)
{
    for (size_t i = 0; i < NVERBS; i++)
        if (strcmp(verbs[i]->name, name) == 0)
            return verbs[i];
    return NULL;
}

/* faultline VERB [ARG]...: the verb's exit status; 2 for a missing or unknown verb. */
int main(int argc, char **argv)
{
    const struct fl_cli_verb *v;

    if (argc < 2) {
        list_verbs(stderr);
        return FL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        list_verbs(stdout);
        return FL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("faultline %s\n", FL_VERSION);
        return FL_EXIT_OK;
    }
    if (!(v = find_verb(argv[1]))) {
        fl_cli_say("unknown command '%s': run, check, ctl, ps, report or experiment", argv[1]);
        fprintf(stderr, "usage: " TOP_USAGE "\n");
        return FL_EXIT_USAGE;
    }
    fl_cli_getopt_reset();
    return v->main(argc - 1, argv + 1);
}
