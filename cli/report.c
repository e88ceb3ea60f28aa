/* faultline report: what event logs hold. Per process, per rule (by call, action, errno), the
 * control commands, and a timeline a person can read at a glance; or the same counts as one
 * JSON object. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hash table that cannot grow leaves the new element out and says so here (uthash would
 * exit otherwise): the report then ends in "out of memory", status 1, as any allocation does. */
static bool hash_oom;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) (hash_oom = true)
#include <uthash.h>

#include "cli.h"
#include "jsonl.h"

#define COLUMNS   60    /* of the timeline */
#define NAME_MAX_SHOWN 24

static int report_main(int argc, char **argv);

const struct fl_cli_verb fl_cli_report = {
    .name = "report",
    .summary = "summarise event logs: per process, rule, call, action; over time",
    .usage = "faultline report [--json] log ...",
    .options =
        "  --json         one JSON object with the same counts\n"
        "  -h, --help     this help\n"
        "A log of - is the standard input. Lines that are not events are counted and skipped;\n"
        "a key given twice in a line counts with its last value.\n",
    .main = report_main,
};

/* ---- what the logs hold --------------------------------------------------------------------- */

/* Every lookup is a hash table (uthash), and every list grows by doubling: reading is linear in
 * the logs' size whatever they hold (a line with many keys, many processes, many rules). Times
 * are int64_t nanoseconds; differences between them are taken in 128 bits. */

struct count {
    char *name;
    uint64_t n;
    UT_hash_handle hh;
};

struct rule {
    char *name;
    uint64_t faults, dry_run;
    struct count *calls, *actions, *errnos;     /* hash tables by name */
    int64_t first, last;            /* ns since the epoch */
    int64_t *times;                 /* of every fault, for the timeline */
    size_t ntimes, cap;
    UT_hash_handle hh;              /* in report.rules, in order of first fault */
};

struct proc {
    int64_t pid, parent;            /* parent: -1 when not a forked child */
    char *program, *seed;           /* NULL: no start line seen; seed as written */
    uint64_t faults;
    UT_hash_handle hh;              /* in report.procs, in order of first event */
};

struct control {
    int64_t t, pid;
    char *command;                  /* NULL when the line has none */
    int ok;                         /* 1, 0, or -1 unknown */
};

/* A power loss (durability tracking): the process that declared it, why, and what faultline run's
 * rollback then did. --power-loss-at-exit declares none: its rollback line stands alone. */
struct power_loss {
    int64_t t, pid;
    char *why;                      /* NULL when the line has none */
    bool rolled;                    /* a rollback line followed */
    int ok;                         /* the rollback's: 1, 0, or -1 unknown */
    int64_t writes, bytes, sizes, names, durable, failed;   /* -1: not in the line */
};

struct report {
    size_t logs, lines, events, not_json, not_event;
    bool any_time;
    int64_t first, last;
    struct rule *rules;             /* hash table by name */
    struct proc *procs;             /* hash table by pid */
    struct control *ctl;
    size_t nctl, ctl_cap;
    struct power_loss *pl;
    size_t npl, pl_cap;
    bool oom;
};

/* Room for one more element in *v (of `size` bytes each); false when out of memory. */
static bool room(void **v, size_t n, size_t *cap, size_t size)
{
    void *p;

    if (n < *cap)
        return true;
    if (!(p = realloc(*v, (*cap ? *cap * 2 : 8) * size)))
        return false;
    *v = p;
    *cap = *cap ? *cap * 2 : 8;
    return true;
}

static bool count_add(struct count **c, const char *name)
{
    struct count *e;

    HASH_FIND_STR(*c, name, e);
    if (e)
        return ++e->n, true;
    if (!(e = calloc(1, sizeof *e)) || !(e->name = strdup(name))) {
        free(e);
        return false;
    }
    e->n = 1;
    HASH_ADD_KEYPTR(hh, *c, e->name, strlen(e->name), e);
    return !hash_oom;
}

static int by_count(const struct count *x, const struct count *y)
{
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The rule named `name`, added when new; NULL when out of memory. */
static struct rule *find_rule(struct report *r, const char *name)
{
    struct rule *rule;

    HASH_FIND_STR(r->rules, name, rule);
    if (rule)
        return rule;
    if (!(rule = calloc(1, sizeof *rule)) || !(rule->name = strdup(name))) {
        free(rule);
        return NULL;
    }
    HASH_ADD_KEYPTR(hh, r->rules, rule->name, strlen(rule->name), rule);
    return hash_oom ? NULL : rule;
}

/* The process `pid`, added when new; NULL when out of memory. */
static struct proc *find_proc(struct report *r, int64_t pid)
{
    struct proc *p;

    HASH_FIND(hh, r->procs, &pid, sizeof pid, p);
    if (p)
        return p;
    if (!(p = calloc(1, sizeof *p)))
        return NULL;
    p->pid = pid, p->parent = -1;
    HASH_ADD(hh, r->procs, pid, sizeof p->pid, p);
    return hash_oom ? NULL : p;
}

/* t - first, in nanoseconds: never overflows (both are int64_t). */
static __int128 ns_since(int64_t first, int64_t t)
{
    return (__int128)t - first;
}

/* ---- reading -------------------------------------------------------------------------------- */

/* A start line: the process began, or executed another program (then the latest one counts). */
static int on_start(const struct json_object *e, struct proc *p)
{
    const char *seed = fl_json_uint_text(e, "seed"), *program = fl_json_str(e, "program");
    const char *parent = fl_json_str(e, "parent");
    int64_t ppid;

    if (program) {
        free(p->program);
        if (!(p->program = strdup(program)))
            return -1;
    }
    if (seed) {
        free(p->seed);
        if (!(p->seed = strdup(seed)))
            return -1;
    }
    if (parent && fl_cli_parse_pid(parent) > 0)
        p->parent = fl_cli_parse_pid(parent);
    else if (fl_json_int(e, "parent", &ppid) && ppid > 0)
        p->parent = ppid;
    return 0;
}

static int on_fault(struct report *r, const struct json_object *e, struct proc *p, int64_t t)
{
    const char *name = fl_json_str(e, "rule"), *call = fl_json_str(e, "call");
    const char *action = fl_json_str(e, "action"), *err = fl_json_str(e, "errno");
    bool dry = false;
    struct rule *rule;

    if (!name || !call || !action)
        return 1;
    if (!(rule = find_rule(r, name)))
        return -1;
    if (!rule->faults || t < rule->first)
        rule->first = t;
    if (!rule->faults || t > rule->last)
        rule->last = t;
    rule->faults++;
    rule->dry_run += fl_json_bool(e, "dry_run", &dry) && dry;
    p->faults++;
    if (!count_add(&rule->calls, call) || !count_add(&rule->actions, action) ||
        (err && !count_add(&rule->errnos, err)))
        return -1;
    if (!room((void **)&rule->times, rule->ntimes, &rule->cap, sizeof *rule->times))
        return -1;
    rule->times[rule->ntimes++] = t;
    return 0;
}

static int on_control(struct report *r, const struct json_object *e, int64_t pid, int64_t t)
{
    const char *command = fl_json_str(e, "command");
    bool ok;
    struct control *c;

    if (!room((void **)&r->ctl, r->nctl, &r->ctl_cap, sizeof *r->ctl))
        return -1;
    c = &r->ctl[r->nctl++];
    *c = (struct control){.t = t, .pid = pid, .ok = fl_json_bool(e, "ok", &ok) ? ok : -1};
    return command && !(c->command = strdup(command)) ? -1 : 0;
}

/* A power_loss line: a new power loss. */
static int on_power_loss(struct report *r, const struct json_object *e, int64_t pid, int64_t t)
{
    const char *why = fl_json_str(e, "why");
    struct power_loss *pl;

    if (!room((void **)&r->pl, r->npl, &r->pl_cap, sizeof *r->pl))
        return -1;
    pl = &r->pl[r->npl++];
    *pl = (struct power_loss){.t = t, .pid = pid, .ok = -1};
    return why && !(pl->why = strdup(why)) ? -1 : 0;
}

/* A rollback line: what faultline run undid after the newest power loss with the same why (or
 * after one declared at exit, which has no power_loss line of its own). */
static int on_rollback(struct report *r, const struct json_object *e, int64_t pid, int64_t t)
{
    const char *why = fl_json_str(e, "why");
    struct power_loss *pl = NULL;
    bool ok;

    for (size_t i = r->npl; i-- > 0 && !pl;)
        if (!r->pl[i].rolled && (!why || !r->pl[i].why || strcmp(why, r->pl[i].why) == 0))
            pl = &r->pl[i];
    if (!pl) {
        if (on_power_loss(r, e, pid, t) < 0)
            return -1;
        pl = &r->pl[r->npl - 1];
    }
    pl->rolled = true;
    pl->ok = fl_json_bool(e, "ok", &ok) ? ok : -1;
    int64_t *fields[] = {&pl->writes, &pl->bytes, &pl->sizes, &pl->names, &pl->durable,
                         &pl->failed};
    const char *keys[] = {"writes_undone", "bytes_restored", "sizes_restored", "names_undone",
                          "durable_skipped", "failed"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!fl_json_int(e, keys[i], fields[i]))
            *fields[i] = -1;
    return 0;
}

/* One event: 0 taken, 1 not an event (also a time beyond int64_t nanoseconds), -1 out of
 * memory. */
static int on_event(struct report *r, const struct json_object *e)
{
    const char *kind = fl_json_str(e, "event");
    int64_t t, pid;
    struct proc *p;

    if (!kind || !fl_json_time_ns(e, "t", &t) || !fl_json_int(e, "pid", &pid))
        return 1;
    if (strcmp(kind, "fault") == 0 && (!fl_json_str(e, "rule") || !fl_json_str(e, "call") ||
                                       !fl_json_str(e, "action")))
        return 1;
    if (!(p = find_proc(r, pid)))
        return -1;
    if (!r->any_time || t < r->first)
        r->first = t;
    if (!r->any_time || t > r->last)
        r->last = t;
    r->any_time = true;
    r->events++;
    if (strcmp(kind, "start") == 0)
        return on_start(e, p);
    if (strcmp(kind, "fault") == 0)
        return on_fault(r, e, p, t);
    if (strcmp(kind, "control") == 0)
        return on_control(r, e, pid, t);
    if (strcmp(kind, "power_loss") == 0)
        return on_power_loss(r, e, pid, t);
    if (strcmp(kind, "rollback") == 0)
        return on_rollback(r, e, pid, t);
    return 0;   /* an event of a kind this version does not know: counted, no more */
}

static void read_line(struct report *r, const char *line, size_t len)
{
    struct json_object *v;
    int rc;

    r->lines++;
    if (fl_json_parse(line, len, &v) < 0) {
        r->not_json++;
        return;
    }
    rc = json_object_is_type(v, json_type_object) ? on_event(r, v) : 1;
    if (rc > 0)
        r->not_event++;
    else if (rc < 0)
        r->oom = true;
    json_object_put(v);
}

/* Read one log; -1 after saying why it cannot be read. */
static int read_log(struct report *r, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    if (!f) {
        fl_cli_say("%s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n - (line[n - 1] == '\n');
        read_line(r, line, len);
    }
    if (ferror(f)) {
        fl_cli_say("%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    r->logs++;
    return rc;
}

/* ---- the timeline --------------------------------------------------------------------------- */

/* The column of time t: 0 to COLUMNS - 1 from the first event to the last. */
static size_t column(const struct report *r, int64_t t)
{
    __int128 span = ns_since(r->first, r->last);
    size_t col = span > 0 ? (size_t)(ns_since(r->first, t) * COLUMNS / span) : 0;

    return col < COLUMNS ? col : COLUMNS - 1;
}

static void bin_times(const struct report *r, const struct rule *rule, uint64_t bins[COLUMNS])
{
    memset(bins, 0, COLUMNS * sizeof *bins);
    for (size_t i = 0; i < rule->ntimes; i++)
        bins[column(r, rule->times[i])]++;
}

/* ' ' none; then '.', ':', '*', '#' by quarters of the busiest column. */
static char mark(uint64_t n, uint64_t max)
{
    static const char marks[] = " .:*#";

    return n ? marks[(4 * n + max - 1) / max] : ' ';
}

/* "2.05ms": three significant digits in the largest fitting unit. */
static const char *fmt_span(double ns, char *buf, size_t cap)
{
    static const struct { const char *unit; double ns; } units[] = {
        {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1},
    };
    size_t i = 0;

    while (i + 1 < sizeof units / sizeof units[0] && ns < units[i].ns)
        i++;
    snprintf(buf, cap, "%.3g%s", ns / units[i].ns, units[i].unit);
    return buf;
}

static const char *since(const struct report *r, int64_t t, char *buf, size_t cap)
{
    snprintf(buf, cap, "+%.3fs", (double)ns_since(r->first, t) / 1e9);
    return buf;
}

static void print_legend(uint64_t max)
{
    static const char marks[] = ".:*#";
    bool any = false;

    printf("  ");
    for (uint64_t level = 1; level <= 4; level++) {
        uint64_t lo = (level - 1) * max / 4 + 1, hi = level * max / 4;
        if (lo > hi)
            continue;
        printf("%s'%c' %" PRIu64, any ? ", " : "", marks[level - 1], lo);
        if (hi > lo)
            printf("-%" PRIu64, hi);
        any = true;
    }
    printf(" fault%s a column\n", max == 1 ? "" : "s");
}

/* Binned twice (once for the busiest column, once to print) rather than held for every rule. */
static void print_timeline(const struct report *r)
{
    uint64_t bins[COLUMNS], max = 0;
    char a[32], b[32], width[32];
    int w = 9;      /* "(control)" */

    for (const struct rule *rule = r->rules; rule; rule = rule->hh.next) {
        int l = (int)strlen(rule->name);
        w = l > w ? (l > NAME_MAX_SHOWN ? NAME_MAX_SHOWN : l) : w;
        bin_times(r, rule, bins);
        for (int c = 0; c < COLUMNS; c++)
            max = bins[c] > max ? bins[c] : max;
    }
    printf("\ntimeline: %s to %s, %s a column\n", since(r, r->first, a, sizeof a),
           since(r, r->last, b, sizeof b),
           fmt_span((double)ns_since(r->first, r->last) / COLUMNS, width, sizeof width));
    for (const struct rule *rule = r->rules; rule; rule = rule->hh.next) {
        bin_times(r, rule, bins);
        printf("  %-*.*s |", w, w, rule->name);
        for (int c = 0; c < COLUMNS; c++)
            putchar(mark(bins[c], max));
        printf("| %" PRIu64 "\n", rule->faults);
    }
    if (r->nctl) {
        char row[COLUMNS + 1];
        memset(row, ' ', COLUMNS), row[COLUMNS] = '\0';
        for (size_t i = 0; i < r->nctl; i++)
            row[column(r, r->ctl[i].t)] = '^';
        printf("  %-*s |%s| %zu\n", w, "(control)", row, r->nctl);
    }
    printf("  %-*s  %-*s%s\n", w, "", COLUMNS - 7, since(r, r->first, a, sizeof a),
           since(r, r->last, b, sizeof b));
    if (max)
        print_legend(max);
}

/* ---- text ----------------------------------------------------------------------------------- */

static void print_counts(const char *label, struct count **c)
{
    if (!*c)
        return;
    HASH_SORT(*c, by_count);
    printf("    %-9s", label);
    for (const struct count *e = *c; e; e = e->hh.next)
        printf(" %s=%" PRIu64, e->name, e->n);
    putchar('\n');
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static void print_processes(const struct report *r)
{
    int wpid = 3, wparent = 6, wseed = 4, wfaults = 6;
    char parent[24];

    for (const struct proc *p = r->procs; p; p = p->hh.next) {
        wpid = max_int(wpid, snprintf(NULL, 0, "%" PRId64, p->pid));
        wparent = max_int(wparent, snprintf(NULL, 0, "%" PRId64, p->parent));
        wseed = max_int(wseed, p->seed ? (int)strlen(p->seed) : 1);
        wfaults = max_int(wfaults, snprintf(NULL, 0, "%" PRIu64, p->faults));
    }
    printf("\nprocesses\n  %-*s  %-*s  %-*s  %*s  %s\n", wpid, "PID", wparent, "PARENT", wseed,
           "SEED", wfaults, "FAULTS", "PROGRAM");
    for (const struct proc *p = r->procs; p; p = p->hh.next) {
        snprintf(parent, sizeof parent, p->parent > 0 ? "%" PRId64 : "-", p->parent);
        printf("  %-*" PRId64 "  %-*s  %-*s  %*" PRIu64 "  %s\n", wpid, p->pid, wparent, parent,
               wseed, p->seed ? p->seed : "?", wfaults, p->faults,
               p->program ? p->program : "? (no start line)");
    }
}

static void print_rules(struct report *r)
{
    char a[32], b[32];

    if (!r->rules)
        return;
    printf("\nrules\n");
    for (struct rule *rule = r->rules; rule; rule = rule->hh.next) {
        printf("  %s: %" PRIu64 " %s", rule->name, rule->faults,
               plural(rule->faults, "fault", "faults"));
        if (rule->dry_run)
            printf(" (%" PRIu64 " in a dry run)", rule->dry_run);
        printf(", first %s, last %s\n", since(r, rule->first, a, sizeof a),
               since(r, rule->last, b, sizeof b));
        print_counts("calls", &rule->calls);
        print_counts("actions", &rule->actions);
        print_counts("errno", &rule->errnos);
    }
}

static void print_control(const struct report *r)
{
    char a[32];

    if (!r->nctl)
        return;
    printf("\ncontrol commands\n");
    for (size_t i = 0; i < r->nctl; i++)
        printf("  %s  pid %-8" PRId64 " %s%s\n", since(r, r->ctl[i].t, a, sizeof a),
               r->ctl[i].pid, r->ctl[i].command ? r->ctl[i].command : "?",
               r->ctl[i].ok == 0 ? "  (failed)" : "");
}

/* "12 writes", "1 write", or "? writes" when the rollback line had no such count. */
static const char *count_of(int64_t n, const char *one, const char *many, char *buf, size_t cap)
{
    if (n < 0)
        snprintf(buf, cap, "? %s", many);
    else
        snprintf(buf, cap, "%" PRId64 " %s", n, n == 1 ? one : many);
    return buf;
}

static void print_power_losses(const struct report *r)
{
    char a[32], w[48], b[48], z[48], n[48], d[48], f[48];

    if (!r->npl)
        return;
    printf("\npower losses\n");
    for (size_t i = 0; i < r->npl; i++) {
        const struct power_loss *pl = &r->pl[i];
        printf("  %s  pid %-8" PRId64 " %s\n", since(r, pl->t, a, sizeof a), pl->pid,
               pl->why ? pl->why : "?");
        if (!pl->rolled) {
            printf("        no rollback in the logs\n");
            continue;
        }
        printf("        rolled back %s (%s), %s, %s; %s already durable",
               count_of(pl->writes, "write", "writes", w, sizeof w),
               count_of(pl->bytes, "byte", "bytes", b, sizeof b),
               count_of(pl->sizes, "size", "sizes", z, sizeof z),
               count_of(pl->names, "name", "names", n, sizeof n),
               count_of(pl->durable, "record was", "records were", d, sizeof d));
        if (pl->failed > 0)
            printf("; %s", count_of(pl->failed, "undo failed", "undos failed", f, sizeof f));
        else if (pl->ok == 0)
            printf("; failed");
        printf("\n");
    }
}

static uint64_t total_faults(const struct report *r)
{
    uint64_t faults = 0;

    for (const struct rule *rule = r->rules; rule; rule = rule->hh.next)
        faults += rule->faults;
    return faults;
}

static void print_text(struct report *r)
{
    uint64_t faults = total_faults(r);
    size_t nprocs = HASH_COUNT(r->procs);

    printf("%zu %s, %zu %s: %zu %s, %" PRIu64 " %s, %zu control %s\n", r->logs,
           plural(r->logs, "log", "logs"), r->events, plural(r->events, "event", "events"),
           nprocs, plural(nprocs, "process", "processes"), faults,
           plural(faults, "fault", "faults"), r->nctl, plural(r->nctl, "command", "commands"));
    if (r->not_json)
        printf("%zu %s skipped: not JSON\n", r->not_json,
               plural(r->not_json, "line", "lines"));
    if (r->not_event)
        printf("%zu %s skipped: not a faultline event\n", r->not_event,
               plural(r->not_event, "line", "lines"));
    if (!r->events)
        return;
    print_processes(r);
    print_rules(r);
    print_control(r);
    print_power_losses(r);
    print_timeline(r);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static void json_counts(const char *key, struct count **c)
{
    HASH_SORT(*c, by_count);
    printf(",\"%s\":{", key);
    for (const struct count *e = *c; e; e = e->hh.next) {
        printf("%s", e != *c ? "," : "");
        fl_json_put_string(stdout, e->name);
        printf(":%" PRIu64, e->n);
    }
    putchar('}');
}

/* ns nanoseconds as exact seconds, signed: "-1.500000000". */
static void json_seconds(__int128 ns)
{
    unsigned __int128 u = ns < 0 ? -(unsigned __int128)ns : (unsigned __int128)ns;

    printf("%s%" PRIu64 ".%09" PRIu64, ns < 0 ? "-" : "", (uint64_t)(u / 1000000000),
           (uint64_t)(u % 1000000000));
}

/* Seconds since the first event, exactly: "0.003000000". */
static void json_since(const struct report *r, const char *key, int64_t t)
{
    printf(",\"%s\":", key);
    json_seconds(ns_since(r->first, t));
}

static void json_rule(const struct report *r, struct rule *rule)
{
    uint64_t bins[COLUMNS];

    printf("{\"name\":");
    fl_json_put_string(stdout, rule->name);
    printf(",\"faults\":%" PRIu64 ",\"dry_run\":%" PRIu64, rule->faults, rule->dry_run);
    json_since(r, "first", rule->first);
    json_since(r, "last", rule->last);
    json_counts("by_call", &rule->calls);
    json_counts("by_action", &rule->actions);
    json_counts("by_errno", &rule->errnos);
    bin_times(r, rule, bins);
    printf(",\"timeline\":[");
    for (int c = 0; c < COLUMNS; c++) {
        if (c)
            putchar(',');
        if (bins[c])
            printf("%" PRIu64, bins[c]);
        else
            putchar('0');   /* most columns: 100,000 rules print 6,000,000 of them */
    }
    printf("]}");
}

static void json_process(const struct proc *p)
{
    printf("{\"pid\":%" PRId64 ",\"parent\":", p->pid);
    if (p->parent > 0)
        printf("%" PRId64, p->parent);
    else
        printf("null");
    printf(",\"program\":");
    if (p->program)
        fl_json_put_string(stdout, p->program);
    else
        printf("null");
    printf(",\"seed\":%s,\"faults\":%" PRIu64 "}", p->seed ? p->seed : "null", p->faults);
}

static void json_control(const struct report *r, const struct control *c)
{
    printf("{\"pid\":%" PRId64, c->pid);
    json_since(r, "t", c->t);
    printf(",\"command\":");
    if (c->command)
        fl_json_put_string(stdout, c->command);
    else
        printf("null");
    printf(",\"ok\":%s}", c->ok < 0 ? "null" : c->ok ? "true" : "false");
}

static void json_count(const char *key, int64_t n)
{
    if (n < 0)
        printf(",\"%s\":null", key);
    else
        printf(",\"%s\":%" PRId64, key, n);
}

static void json_power_loss(const struct report *r, const struct power_loss *pl)
{
    printf("{\"pid\":%" PRId64, pl->pid);
    json_since(r, "t", pl->t);
    printf(",\"why\":");
    if (pl->why)
        fl_json_put_string(stdout, pl->why);
    else
        printf("null");
    if (!pl->rolled) {
        printf(",\"rollback\":null}");
        return;
    }
    printf(",\"rollback\":{\"ok\":%s", pl->ok < 0 ? "null" : pl->ok ? "true" : "false");
    json_count("writes_undone", pl->writes);
    json_count("bytes_restored", pl->bytes);
    json_count("sizes_restored", pl->sizes);
    json_count("names_undone", pl->names);
    json_count("durable_skipped", pl->durable);
    json_count("failed", pl->failed);
    printf("}}");
}

static void print_json(struct report *r)
{
    printf("{\"logs\":%zu,\"lines\":%zu,\"events\":%zu,\"faults\":%" PRIu64
           ",\"skipped\":{\"not_json\":%zu,\"not_event\":%zu}",
           r->logs, r->lines, r->events, total_faults(r), r->not_json, r->not_event);
    if (r->any_time) {
        printf(",\"first_t\":");
        json_seconds(r->first);
        json_since(r, "span", r->last);
    } else {
        printf(",\"first_t\":null,\"span\":null");
    }
    printf(",\"processes\":[");
    for (const struct proc *p = r->procs; p; p = p->hh.next)
        printf("%s", p != r->procs ? "," : ""), json_process(p);
    printf("],\"rules\":[");
    for (struct rule *rule = r->rules; rule; rule = rule->hh.next)
        printf("%s", rule != r->rules ? "," : ""), json_rule(r, rule);
    printf("],\"control\":[");
    for (size_t i = 0; i < r->nctl; i++)
        printf("%s", i ? "," : ""), json_control(r, &r->ctl[i]);
    printf("],\"power_losses\":[");
    for (size_t i = 0; i < r->npl; i++)
        printf("%s", i ? "," : ""), json_power_loss(r, &r->pl[i]);
    printf("]}\n");
}

/* ---- the verb ------------------------------------------------------------------------------- */

static void free_counts(struct count **c)
{
    struct count *e, *tmp;

    HASH_ITER(hh, *c, e, tmp) {
        HASH_DEL(*c, e);
        free(e->name);
        free(e);
    }
}

static void free_report(struct report *r)
{
    struct rule *rule, *rtmp;
    struct proc *p, *ptmp;

    HASH_ITER(hh, r->rules, rule, rtmp) {
        HASH_DEL(r->rules, rule);
        free_counts(&rule->calls);
        free_counts(&rule->actions);
        free_counts(&rule->errnos);
        free(rule->name);
        free(rule->times);
        free(rule);
    }
    HASH_ITER(hh, r->procs, p, ptmp) {
        HASH_DEL(r->procs, p);
        free(p->program);
        free(p->seed);
        free(p);
    }
    for (size_t i = 0; i < r->nctl; i++)
        free(r->ctl[i].command);
    free(r->ctl);
    for (size_t i = 0; i < r->npl; i++)
        free(r->pl[i].why);
    free(r->pl);
}

static int report_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct report r = {0};
    bool json = false;
    int c, rc = FL_EXIT_OK;

    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return fl_cli_help(&fl_cli_report);
        if (c != 'j')
            return fl_cli_bad_option(&fl_cli_report, c, argv);
        json = true;
    }
    if (optind >= argc)
        return fl_cli_usage_error(&fl_cli_report, "no log to read");
    for (int i = optind; i < argc; i++)
        if (read_log(&r, argv[i]) < 0)
            rc = FL_EXIT_FAIL;
    if (r.oom) {
        fl_cli_say("out of memory");
        rc = FL_EXIT_FAIL;
    }
    if (json)
        print_json(&r);
    else
        print_text(&r);
    free_report(&r);
    return rc;
}
