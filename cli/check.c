/* faultline check: validate config files with the shim's own reader and print the rules as it
 * understood them; --list-calls prints the call table the shim is built from. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "events.h"

static int check_main(int argc, char **argv);

const struct fl_cli_verb fl_cli_check = {
    .name = "check",
    .summary = "validate config files; print the rules as understood",
    .usage = "faultline check [--list-calls] [file ...]",
    .options =
        "  --list-calls   print every call: its classes, the actions it takes, its variants\n"
        "  -h, --help     this help\n"
        "Each file is checked alone, as FAULTLINE_CONFIG; the exit status is 1 when one is\n"
        "invalid.\n",
    .main = check_main,
};

#define LABEL "  %-13s"     /* "  probability  " */
#define WRAP  78            /* columns a wrapped list stays within */

/* ---- values as a config writes them --------------------------------------------------------- */

/* A duration in the largest of s, ms, us, ns that divides it exactly: "200ms", "90s", "0". */
static const char *fmt_duration(uint64_t ns, char *buf, size_t cap)
{
    static const struct { const char *unit; uint64_t ns; } units[] = {
        {"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1},
    };

    if (ns == 0)
        return "0";
    for (size_t i = 0;; i++)
        if (ns % units[i].ns == 0) {
            snprintf(buf, cap, "%llu%s", (unsigned long long)(ns / units[i].ns), units[i].unit);
            return buf;
        }
}

/* A peer pattern in the form the config takes and the event log writes: "127.0.0.1:5432",
 * "[::1]:80", "10.0.0.0/8", "*:443", "localhost", "unix:/run/x.sock". */
static const char *fmt_peer(const struct fl_peer *p, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN + 2] = "", bits[8] = "", port[8] = "";
    bool v6 = p->family == AF_INET6;

    if (p->kind == FL_PEER_UNIX) {
        snprintf(buf, cap, "unix:%s", p->unix_path);
        return buf;
    }
    if (p->family && p->port && p->prefix == (v6 ? 128 : 32)) {
        struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons(p->port)};
        struct sockaddr_in sa4 = {.sin_family = AF_INET, .sin_port = htons(p->port)};
        memcpy(v6 ? (void *)&sa6.sin6_addr : (void *)&sa4.sin_addr, p->addr, v6 ? 16 : 4);
        if (fl_fmt_peer(v6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa4, buf, cap))
            return buf;
    }
    if (p->any_host)
        strcpy(host, "*");
    else if (p->localhost)
        strcpy(host, "localhost");
    else if (v6)
        host[0] = '[', inet_ntop(AF_INET6, p->addr, host + 1, INET6_ADDRSTRLEN),
        strcat(host, "]");
    else
        inet_ntop(AF_INET, p->addr, host, sizeof host);
    if (p->family && p->prefix != (v6 ? 128 : 32))
        snprintf(bits, sizeof bits, "/%d", p->prefix);
    if (p->port)
        snprintf(port, sizeof port, ":%u", (unsigned)p->port);
    snprintf(buf, cap, "%s%s%s", host, bits, port);
    return buf;
}

/* The shortest decimal that reads back as the same double: 0.1, 0.25, 1. */
static const char *fmt_double(double v, char *buf, size_t cap)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

static const char *yes_no(bool b)
{
    return b ? "true" : "false";
}

static const char *fmt_kind(enum fl_fd_kind k)
{
    switch (k) {
    case FL_FD_FILE: return "file";
    case FL_FD_SOCKET: return "socket";
    case FL_FD_PIPE: return "pipe";
    case FL_FD_TTY: return "tty";
    default: return "any";
    }
}

/* The action and its argument: "error ENOSPC", "partial 50%", "corrupt 2 bits", "kill
 * SIGKILL", "eof", "drop", "delay". */
static const char *fmt_action(const struct fl_rule_spec *r, char *buf, size_t cap)
{
    const char *name = fl_action_name(r->action);

    switch (r->action) {
    case FL_ACT_ERROR:
        snprintf(buf, cap, "%s %s", name, fl_error_name(r->error));
        break;
    case FL_ACT_PARTIAL:
        if (r->partial_pct)
            snprintf(buf, cap, "%s %u%%", name, r->partial_pct);
        else
            snprintf(buf, cap, "%s %llu byte%s", name, (unsigned long long)r->partial_bytes,
                     r->partial_bytes == 1 ? "" : "s");
        break;
    case FL_ACT_CORRUPT:
        snprintf(buf, cap, "%s %u bit%s", name, r->corrupt_bits, r->corrupt_bits == 1 ? "" : "s");
        break;
    case FL_ACT_KILL:
        snprintf(buf, cap, "%s SIG%s", name,
                 sigabbrev_np(r->kill_signal) ? sigabbrev_np(r->kill_signal) : "?");
        break;
    default:
        snprintf(buf, cap, "%s", name);
    }
    return buf;
}

/* ---- the printout --------------------------------------------------------------------------- */

/* Words after a label, wrapped under the first one. */
struct wrap {
    int col;
    bool first;
};

static void wrap_word(struct wrap *w, const char *word)
{
    int len = (int)strlen(word);

    if (!w->first && w->col + 1 + len > WRAP) {
        printf("\n%*s", 15, "");
        w->col = 15;
    } else if (!w->first) {
        putchar(' ');
        w->col++;
    }
    fputs(word, stdout);
    w->col += len;
    w->first = false;
}

static void print_calls(const struct fl_rule_spec *r)
{
    struct wrap w = {15, true};

    printf(LABEL, "calls");
    for (int id = 0; id < FL_CALL_COUNT; id++)
        if (r->calls[id / 64] & (1ull << (id % 64)))
            wrap_word(&w, fl_calls[id].name);
    putchar('\n');
}

static void print_conditions(const struct fl_rule_spec *r)
{
    char buf[512];

    if (r->path)
        printf(LABEL "%s\n", "path", r->path);
    if (r->has_peer)
        printf(LABEL "%s\n", "peer", fmt_peer(&r->peer, buf, sizeof buf));
    if (r->fd_kind != FL_FD_ANY)
        printf(LABEL "%s\n", "fd", fmt_kind(r->fd_kind));
    if (r->min_size)
        printf(LABEL "%llu\n", "min_size", (unsigned long long)r->min_size);
    if (r->max_size && r->max_size != UINT64_MAX)
        printf(LABEL "%llu\n", "max_size", (unsigned long long)r->max_size);
}

static void print_triggers(const struct fl_rule_spec *r)
{
    char buf[64];

    printf(LABEL "%llu\n", "after", (unsigned long long)r->after);
    if (r->after_bytes)
        printf(LABEL "%llu bytes\n", "after_bytes", (unsigned long long)r->after_bytes);
    printf(LABEL "%llu\n", "every", (unsigned long long)r->every);
    if (r->times)
        printf(LABEL "%llu\n", "times", (unsigned long long)r->times);
    else
        printf(LABEL "no limit\n", "times");
    printf(LABEL "%s\n", "start", fmt_duration(r->start_ns, buf, sizeof buf));
    printf(LABEL "%s\n", "duration",
           r->duration_ns ? fmt_duration(r->duration_ns, buf, sizeof buf) : "no end");
    printf(LABEL "%s\n", "probability", fmt_double(r->probability, buf, sizeof buf));
}

static void print_rule(const struct fl_rule_spec *r)
{
    char buf[128];

    printf("\nrule %s (%s:%d)\n", r->name, r->file, r->line);
    print_calls(r);
    printf(LABEL "%s\n", "enabled", yes_no(r->enabled));
    print_conditions(r);
    print_triggers(r);
    printf(LABEL "%s\n", "action", fmt_action(r, buf, sizeof buf));
    if (r->delay_ns)
        printf(LABEL "%s\n", "delay", fmt_duration(r->delay_ns, buf, sizeof buf));
    if (r->jitter_ns)
        printf(LABEL "%s\n", "jitter", fmt_duration(r->jitter_ns, buf, sizeof buf));
    printf(LABEL "%s\n", "dry_run", yes_no(r->dry_run));
}

/* The durable globs (as matched: a relative one with its leading "*" "/"), and with them how a
 * power loss keeps unsynced sectors. */
static void print_durability(const struct fl_config *cfg)
{
    struct wrap w = {15, true};
    char keep[32];

    printf(LABEL, "durable");
    for (size_t i = 0; i < cfg->ndurable; i++)
        wrap_word(&w, cfg->durable[i]);
    puts(cfg->ndurable ? "" : "none");
    if (!cfg->ndurable)
        return;
    if (cfg->torn_sector)
        printf(LABEL "sectors of %u bytes, keep %s\n", "torn", cfg->torn_sector,
               fmt_double(cfg->torn_keep, keep, sizeof keep));
    else
        printf(LABEL "none: a power loss loses every unsynced change\n", "torn");
}

static void print_config(const char *file, const struct fl_config *cfg)
{
    struct wrap w = {15, true};

    printf("%s: %zu rule%s\n", file, cfg->nrules, cfg->nrules == 1 ? "" : "s");
    if (cfg->has_seed)
        printf(LABEL "%llu\n", "seed", (unsigned long long)cfg->seed);
    else
        printf(LABEL "random\n", "seed");
    printf(LABEL "%s\n", "log", cfg->log ? cfg->log : "none");
    printf(LABEL "%s\n", "summary", yes_no(cfg->summary));
    printf(LABEL "%s\n", "children", yes_no(cfg->children));
    printf(LABEL "%s\n", "control", yes_no(cfg->control));
    printf(LABEL "%s\n", "dry_run", yes_no(cfg->dry_run));
    printf(LABEL, "programs");
    for (size_t i = 0; i < cfg->nprograms; i++)
        wrap_word(&w, cfg->programs[i]);
    puts(cfg->nprograms ? "" : "any");
    print_durability(cfg);
    for (size_t i = 0; i < cfg->nrules; i++)
        print_rule(&cfg->rules[i]);
}

/* ---- the call table ------------------------------------------------------------------------- */

static const char *fmt_classes(unsigned classes, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = '\0';
    for (unsigned i = 0; fl_class_names[i + 1]; i++)   /* all but @all */
        if (classes & (1u << i))
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " " : "", fl_class_names[i]);
    return buf;
}

static const char *fmt_actions(unsigned actions, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int a = 0; a < FL_ACT_COUNT; a++)
        if (actions & (1u << a))
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " " : "", fl_action_name(a));
    return buf;
}

static void list_calls(void)
{
    char buf[256];
    int wc = 4, wk = 7, wa = 7;

    for (int id = 0; id < FL_CALL_COUNT; id++) {
        int l1 = (int)strlen(fl_calls[id].name);
        int l2 = (int)strlen(fmt_classes(fl_calls[id].classes, buf, sizeof buf));
        int l3 = (int)strlen(fmt_actions(fl_calls[id].actions, buf, sizeof buf));
        wc = l1 > wc ? l1 : wc, wk = l2 > wk ? l2 : wk, wa = l3 > wa ? l3 : wa;
    }
    printf("%-*s  %-*s  %-*s  %s\n", wc, "CALL", wk, "CLASSES", wa, "ACTIONS", "VARIANTS");
    for (int id = 0; id < FL_CALL_COUNT; id++) {
        int any = 0;
        printf("%-*s  ", wc, fl_calls[id].name);
        printf("%-*s  ", wk, fmt_classes(fl_calls[id].classes, buf, sizeof buf));
        printf("%-*s ", wa, fmt_actions(fl_calls[id].actions, buf, sizeof buf));
        for (int s = 0; s < FL_SYM_COUNT; s++)
            if ((int)fl_syms[s].call == id && strcmp(fl_syms[s].name, fl_calls[id].name) != 0)
                printf(" %s", fl_syms[s].name), any = 1;
        puts(any ? "" : " -");
    }
}

/* ---- the verb ------------------------------------------------------------------------------- */

static int check_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"list-calls", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool list = false, printed = false;
    int c, rc = FL_EXIT_OK;

    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return fl_cli_help(&fl_cli_check);
        if (c != 'L')
            return fl_cli_bad_option(&fl_cli_check, c, argv);
        list = true;
    }
    if (!list && optind >= argc)
        return fl_cli_usage_error(&fl_cli_check, "no file to check");
    if (list)
        list_calls(), printed = true;
    for (int i = optind; i < argc; i++) {
        struct fl_config cfg;
        struct fl_diag diag;
        if (fl_config_load(&cfg, argv[i], NULL, &diag) != 0) {
            fl_cli_say("%s", diag.text);
            rc = FL_EXIT_FAIL;
            continue;
        }
        if (printed)
            putchar('\n');
        printed = true;
        print_config(argv[i], &cfg);
        fl_config_free(&cfg);
    }
    return rc;
}
