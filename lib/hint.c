/* Summary hints: rules that matched nothing because the program makes a sibling call. */
#include <string.h>
#include <unistd.h>

#include "hint.h"
#include "real.h"

uint8_t fl_watched[FL_CALL_COUNT];
uint8_t fl_used[FL_CALL_COUNT];

/* A family: raw calls, and the stdio calls that do the same work without reaching them (glibc's
 * stdio writes and reads through internal functions no preload sees). */
struct family {
    const char *what;                 /* "writes", "reads" */
    const char *cls;                  /* the class that holds both */
    enum fl_call_id raw[4];
    enum fl_call_id stdio[5];         /* those that move bytes (not fflush: every program */
                                      /* calls it at exit, written through stdio or not) */
    size_t nstdio;
};

static const struct family families[] = {
    {"writes", "@write", {FL_CALL_write, FL_CALL_pwrite, FL_CALL_writev, FL_CALL_pwritev},
     {FL_CALL_fwrite, FL_CALL_fputs, FL_CALL_fputc, FL_CALL_fprintf}, 4},
    {"reads", "@read", {FL_CALL_read, FL_CALL_pread, FL_CALL_readv, FL_CALL_preadv},
     {FL_CALL_fread, FL_CALL_fgets, FL_CALL_fgetc, FL_CALL_getline, FL_CALL_fscanf}, 5},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool covers(const struct fl_rule_spec *s, enum fl_call_id c)
{
    return s->calls[c / 64] >> (c % 64) & 1;
}

/* The first raw call of family f the rule covers, or -1 when it covers one of its stdio calls
 * too (then nothing is hidden from it) or none. */
static int hidden_raw(const struct fl_rule_spec *s, const struct family *f)
{
    int raw = -1;
    for (size_t i = 0; i < f->nstdio; i++)
        if (covers(s, f->stdio[i]))
            return -1;
    for (size_t i = 0; i < COUNT(f->raw) && raw < 0; i++)
        if (covers(s, f->raw[i]))
            raw = (int)f->raw[i];
    return raw;
}

void fl_hint_watch(const struct fl_ruleset *rs)
{
    for (size_t r = 0; rs && r < rs->nrules; r++)
        for (size_t f = 0; f < COUNT(families); f++)
            if (hidden_raw(rs->rules[r].spec, &families[f]) >= 0)
                for (size_t i = 0; i < families[f].nstdio; i++)
                    __atomic_store_n(&fl_watched[families[f].stdio[i]], 1, __ATOMIC_RELAXED);
}

void fl_hint_atfork_child(void)
{
    memset(fl_used, 0, sizeof fl_used);
}

static void write_line(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = fl_real_write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void hint_row(const struct fl_rule *r, void *arg)
{
    int fd = *(int *)arg;
    if (r->matched)
        return;
    for (size_t f = 0; f < COUNT(families); f++) {
        int raw = hidden_raw(r->spec, &families[f]);
        char used[128] = "";
        size_t n = 0;
        for (size_t i = 0; raw >= 0 && i < families[f].nstdio; i++) {
            enum fl_call_id c = families[f].stdio[i];
            if (__atomic_load_n(&fl_used[c], __ATOMIC_RELAXED) && n < sizeof used)
                n += (size_t)snprintf(used + n, sizeof used - n, "%s%s", n ? ", " : "",
                                      fl_calls[c].name);
        }
        if (!n)
            continue;
        char line[512];
        int len = snprintf(line, sizeof line,
                           "faultline: rule '%s' matched nothing: this program %s through stdio "
                           "(%s), which a rule on %s does not see; add them, or \"%s\", to its "
                           "calls\n",
                           r->spec->name, families[f].what, used, fl_calls[raw].name,
                           families[f].cls);
        if (len > 0)
            write_line(fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
    }
}

void fl_hint_summary(int fd)
{
    fl_rules_each(hint_row, &fd);
}
