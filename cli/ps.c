/* faultline ps: the processes with a live control socket, from the socket directory and each
 * one's `stats` reply; sockets left by dead processes are removed. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ctlpath.h"
#include "jsonl.h"

/* A live process answers at once; one that does not is shown, not waited for. */
#define PS_TIMEOUT_MS 2000

static int ps_main(int argc, char **argv);

const struct fl_cli_verb fl_cli_ps = {
    .name = "ps",
    .summary = "list the processes with a live control socket",
    .usage = "faultline ps",
    .options =
        "  -h, --help     this help\n"
        "One row per process: its pid, program, rules armed (of all its rules) and faults\n"
        "injected so far. Sockets left by processes that are gone are removed. The socket\n"
        "directory must be this user's, mode 0700, and each socket served by its process's\n"
        "user (or root): anything else is refused. Control characters print as \\xNN.\n",
    .main = ps_main,
};

struct row {
    pid_t pid;
    char program[4096];
    char armed[48];
    char injected[24];
};

/* The socket directory's entries that name a process: "PID.sock", ascending. */
static int scan(const char *dir, pid_t **pids, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;

    *pids = NULL, *n = 0;
    if (!d)
        return errno == ENOENT ? 0 : -1;
    while ((e = readdir(d))) {
        char digits[16];
        size_t len = strlen(e->d_name);
        pid_t pid;
        if (len < 6 || len - 5 >= sizeof digits || strcmp(e->d_name + len - 5, ".sock") != 0)
            continue;
        snprintf(digits, sizeof digits, "%.*s", (int)(len - 5), e->d_name);
        if ((pid = fl_cli_parse_pid(digits)) < 0)
            continue;
        if (*n == cap) {
            pid_t *p = realloc(*pids, (cap = cap ? cap * 2 : 16) * sizeof *p);
            if (!p)
                break;
            *pids = p;
        }
        (*pids)[(*n)++] = pid;
    }
    closedir(d);
    return 0;
}

static int by_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

    return (x > y) - (x < y);
}

/* Remove the socket of a process that is gone (only a socket, only in our directory). */
static void remove_stale(pid_t pid)
{
    char path[512];
    struct stat st;

    if (fl_ctl_socket(pid, path, sizeof path) && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
}

/* Fill the row from a stats reply: {"pid":N,"program":"...","paused":false,"seed":N,
 * "rules":[{"name":"x","state":"armed","injected":N,...},...]}. */
static int fill_row(struct row *r, const char *line)
{
    struct json_object *v, *rules;
    size_t armed = 0, nrules;
    int64_t injected = 0, n;
    bool paused = false;

    if (!line || fl_json_parse(line, strcspn(line, "\n"), &v) < 0)
        return -1;
    rules = fl_json_get(v, "rules");
    if (!fl_json_str(v, "program") || !json_object_is_type(rules, json_type_array)) {
        json_object_put(v);
        return -1;
    }
    nrules = json_object_array_length(rules);
    for (size_t i = 0; i < nrules; i++) {
        const struct json_object *rule = json_object_array_get_idx(rules, i);
        const char *state = fl_json_str(rule, "state");
        armed += state && strcmp(state, "armed") == 0;
        injected += fl_json_int(rule, "injected", &n) ? n : 0;
    }
    fl_json_bool(v, "paused", &paused);
    char *program = fl_cli_escape(fl_json_str(v, "program"), strlen(fl_json_str(v, "program")));
    snprintf(r->program, sizeof r->program, "%s", program ? program : "?");
    free(program);
    snprintf(r->armed, sizeof r->armed, "%zu/%zu%s", armed, nrules, paused ? " (paused)" : "");    snprintf(r->injected, sizeof r->injected, "%" PRId64, injected);
    json_object_put(v);
    return 0;
}

/* Ask one process for its stats: 1 a row to show, 0 none (gone, its socket removed). */
static int probe(pid_t pid, struct row *r)
{
    struct fl_ctl_reply reply;
    enum fl_ctl_status st = fl_ctl_request(pid, "stats", PS_TIMEOUT_MS, &reply);

    if (st == FL_CTL_REFUSED) {    /* maybe between bind and listen: ask once more */
        fl_ctl_reply_free(&reply);
        usleep(50000);
        st = fl_ctl_request(pid, "stats", PS_TIMEOUT_MS, &reply);
    }
    *r = (struct row){.pid = pid, .program = "?", .armed = "?", .injected = "?"};
    switch (st) {
    case FL_CTL_NO_PROCESS:
    case FL_CTL_REFUSED:
        remove_stale(pid);
        /* fall through */
    case FL_CTL_NO_SOCKET:
        fl_ctl_reply_free(&reply);
        return 0;
    case FL_CTL_OK:
        if (fill_row(r, reply.lines) < 0)
            fl_cli_say("%d: the stats reply is not what was expected", (int)pid);
        break;
    default: {
        char *safe = fl_cli_escape(reply.message, strlen(reply.message));
        fl_cli_say("%d: %s", (int)pid, safe ? safe : "?");
        free(safe);
    }
    }
    fl_ctl_reply_free(&reply);
    return 1;
}

/* Whether word, a path or a name, is `program` or ends in "/" + program. */
static bool names(const char *word, const char *program)
{
    size_t lw = strlen(word), lp = strlen(program);

    return strcmp(word, program) == 0 ||
           (lw > lp && word[lw - lp - 1] == '/' && strcmp(word + lw - lp, program) == 0);
}

/* Whether process pid (its executable `exe`, as its stats reply gives it) is `program`: the
 * executable, or the first or second word of its command line (an interpreter's script), each
 * as a path or by its base name. */
static bool program_matches(pid_t pid, const char *exe, const char *program)
{
    char path[64], cmdline[8192];
    size_t len = 0;
    FILE *f;

    if (names(exe, program))
        return true;
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    if ((f = fopen(path, "re"))) {
        len = fread(cmdline, 1, sizeof cmdline - 1, f);
        fclose(f);
    }
    cmdline[len] = '\0';
    for (size_t at = 0, word = 0; at < len && word < 2; at += strlen(cmdline + at) + 1, word++)
        if (names(cmdline + at, program))
            return true;
    return false;
}

/* The processes with a live socket that are `program` (see cli.h), and every candidate seen. */
int fl_ps_find(const char *program, pid_t **matches, size_t *nmatches, char **seen)
{
    char dir[256], why[800];
    pid_t *pids = NULL;
    size_t n = 0, seen_len = 0;
    FILE *list;
    int rc = -1;

    *matches = NULL, *nmatches = 0, *seen = NULL;
    if (!(list = open_memstream(seen, &seen_len)))
        return -1;
    if (!fl_ctl_dir(dir, sizeof dir)) {
        fputs("the socket directory's path is too long", list);
    } else if (fl_cli_ctl_dir_check(dir, why, sizeof why) == FL_CTL_DIR_UNSAFE) {
        fprintf(list, "the socket directory is unsafe: %s", why);
    } else if (scan(dir, &pids, &n) < 0) {
        fprintf(list, "%s: %s", dir, strerror(errno));
    } else if (n && !(*matches = calloc(n, sizeof **matches))) {
        fputs("out of memory", list);
    } else {
        rc = 0;
        if (n)
            qsort(pids, n, sizeof *pids, by_pid);
        for (size_t i = 0; i < n; i++) {
            struct row r;
            if (!probe(pids[i], &r))
                continue;
            fprintf(list, "%s%d (%s)", ftell(list) ? ", " : "", (int)r.pid, r.program);
            if (program_matches(r.pid, r.program, program))
                (*matches)[(*nmatches)++] = r.pid;
        }
        if (!ftell(list))
            fputs("none", list);
    }
    fclose(list);
    free(pids);
    return rc;
}

static int width(const char *head, const struct row *rows, size_t n, size_t off)
{
    int w = (int)strlen(head);

    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen((const char *)&rows[i] + off);
        w = l > w ? l : w;
    }
    return w;
}

static void print_table(const struct row *rows, size_t n)
{
    int wp = 3, wprog = width("PROGRAM", rows, n, offsetof(struct row, program));
    int warm = width("RULES ARMED", rows, n, offsetof(struct row, armed));

    for (size_t i = 0; i < n; i++) {
        int l = snprintf(NULL, 0, "%d", (int)rows[i].pid);
        wp = l > wp ? l : wp;
    }
    printf("%-*s  %-*s  %-*s  %s\n", wp, "PID", wprog, "PROGRAM", warm, "RULES ARMED",
           "FAULTS INJECTED");
    for (size_t i = 0; i < n; i++)
        printf("%-*d  %-*s  %-*s  %s\n", wp, (int)rows[i].pid, wprog, rows[i].program, warm,
               rows[i].armed, rows[i].injected);
}

static int ps_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char dir[256], why[800];
    pid_t *pids;
    struct row *rows;
    size_t n, shown = 0;
    int c;

    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return fl_cli_help(&fl_cli_ps);
        return fl_cli_bad_option(&fl_cli_ps, c, argv);
    }
    if (optind < argc)
        return fl_cli_usage_error(&fl_cli_ps, "unexpected argument '%s'", argv[optind]);
    if (fl_ctl_dir(dir, sizeof dir) &&
        fl_cli_ctl_dir_check(dir, why, sizeof why) == FL_CTL_DIR_UNSAFE) {
        fl_cli_say("the socket directory is unsafe, so no process serves a socket there: %s",
                   why);
        return FL_EXIT_FAIL;
    }
    if (!fl_ctl_dir(dir, sizeof dir) || scan(dir, &pids, &n) < 0) {
        fl_cli_say("%s: %s", fl_ctl_dir(dir, sizeof dir) ? dir : "socket directory",
                   strerror(errno));
        return FL_EXIT_FAIL;
    }
    if (n)
        qsort(pids, n, sizeof *pids, by_pid);
    if (!(rows = calloc(n ? n : 1, sizeof *rows))) {
        free(pids);
        fl_cli_say("out of memory");
        return FL_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++)
        shown += (size_t)probe(pids[i], &rows[shown]);
    print_table(rows, shown);
    free(rows);
    free(pids);
    return FL_EXIT_OK;
}
