/* The config reader: libconfig text in, plain fl_rule_spec structs out, and every validation
 * message. It runs in the host's constructor: it prints nothing, never exits, frees what it
 * allocated on every path, and leaves errno as it found it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FL_INLINE_NAME "FAULTLINE_RULES"
#define FL_DAY_NS      (86400ull * 1000000000ull)
#define FL_NAME_MAX    64     /* longest rule name */
#define FL_ERRNO_MAX   4095   /* errno values scanned with strerrorname_np */
#define FL_NEAR_MAX    2      /* largest edit distance worth a "did you mean" */

/* ---- error names ----------------------------------------------------------------------------- */

/* Names strerrorname_np does not return because they alias another errno value. */
#define FL_ERRNO_ALIASES(X) X(EWOULDBLOCK) X(EDEADLOCK) X(ENOTSUP)

/* getaddrinfo's codes (negative in glibc). */
#define FL_EAI_NAMES(X)                                                                      \
    X(EAI_AGAIN) X(EAI_NONAME) X(EAI_FAIL) X(EAI_MEMORY) X(EAI_SERVICE) X(EAI_FAMILY)        \
    X(EAI_SOCKTYPE) X(EAI_BADFLAGS) X(EAI_OVERFLOW) X(EAI_SYSTEM) X(EAI_NODATA)              \
    X(EAI_ADDRFAMILY)

struct named { const char *name; int value; };

#define FL_NAMED_ROW(n) {#n, n},
static const struct named errno_aliases[] = {FL_ERRNO_ALIASES(FL_NAMED_ROW)};
static const struct named eai_names[] = {FL_EAI_NAMES(FL_NAMED_ROW)};
#undef FL_NAMED_ROW

#define FL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

int fl_errno_by_name(const char *name)
{
    if (!name)
        return 0;
    for (int i = 1; i <= FL_ERRNO_MAX; i++) {
        const char *n = strerrorname_np(i);
        if (n && strcmp(n, name) == 0)
            return i;
    }
    for (size_t i = 0; i < FL_COUNT(errno_aliases); i++)
        if (strcmp(errno_aliases[i].name, name) == 0)
            return errno_aliases[i].value;
    return 0;
}

int fl_eai_by_name(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < FL_COUNT(eai_names); i++)
        if (strcmp(eai_names[i].name, name) == 0)
            return eai_names[i].value;
    return 0;
}

const char *fl_error_name(int error)
{
    const char *n = error > 0 ? strerrorname_np(error) : NULL;
    for (size_t i = 0; !n && error < 0 && i < FL_COUNT(eai_names); i++)
        if (eai_names[i].value == error)
            n = eai_names[i].name;
    return n ? n : "?";
}

/* ---- durations ------------------------------------------------------------------------------- */

static const struct { const char *unit; uint64_t ns; } units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static uint64_t unit_ns(const char *unit)
{
    for (size_t i = 0; i < FL_COUNT(units); i++)
        if (strcmp(units[i].unit, unit) == 0)
            return units[i].ns;
    return 0;
}

/* 0 and *ns; -1 when malformed; -2 when longer than a day. */
static int parse_duration(const char *text, uint64_t *ns)
{
    uint64_t whole = 0, frac = 0, scale = 1, mult, total;
    const char *p = text;

    if (strcmp(text, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (!is_digit(*p))
        return -1;
    for (; is_digit(*p); p++)
        if (whole <= FL_DAY_NS)          /* past a day it only has to stay past a day */
            whole = whole * 10 + (uint64_t)(*p - '0');
    if (*p == '.' && !is_digit(*++p))
        return -1;
    for (; is_digit(*p); p++)
        if (scale < 1000000000)          /* nanoseconds of a second: 9 digits are plenty */
            frac = frac * 10 + (uint64_t)(*p - '0'), scale *= 10;
    if (!(mult = unit_ns(p)))
        return -1;
    if (whole > FL_DAY_NS / mult)
        return -2;
    total = whole * mult + (uint64_t)((unsigned __int128)frac * mult / scale);
    if (total > FL_DAY_NS)
        return -2;
    *ns = total;
    return 0;
}

int fl_parse_duration(const char *text, uint64_t *ns)
{
    return text && parse_duration(text, ns) == 0 ? 0 : -1;
}

/* ---- "did you mean" -------------------------------------------------------------------------- */

struct near {
    const char *word;
    const char *best;
    size_t dist;
};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Levenshtein distance ignoring case; SIZE_MAX for names too long to be worth it. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[FL_NAME_MAX + 1];

    if (la > FL_NAME_MAX || lb > FL_NAME_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (lower(a[i - 1]) != lower(b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

static void near_init(struct near *n, const char *word)
{
    *n = (struct near){.word = word, .best = NULL, .dist = SIZE_MAX};
}

static void near_try(struct near *n, const char *candidate)
{
    size_t d = edit_distance(n->word, candidate);
    if (d < n->dist)
        n->best = candidate, n->dist = d;
}

/* " (did you mean 'x'?)" when a candidate came close enough, else "". */
static const char *near_hint(const struct near *n, char *buf, size_t size)
{
    if (!n->best || n->dist > FL_NEAR_MAX || n->dist >= strlen(n->word))
        return "";
    snprintf(buf, size, " (did you mean '%s'?)", n->best);
    return buf;
}

/* ---- the loader and its messages ------------------------------------------------------------- */

struct loader {
    struct fl_config cfg;     /* what has been read so far */
    int *name_lines;          /* per rule: line of its name (of its brace when unnamed) */
    size_t cap;               /* room in cfg.rules and name_lines */
    struct fl_diag *diag;
    const char *src;          /* the name of the text being read, for messages */
    const char *incdir;       /* directory @include is relative to, or NULL */
    const char *rule;         /* the rule being read, for messages; NULL outside rules */
};

/* The name a message gives to a file libconfig reports: NULL is the text being read; an
 * included file is shown with the directory it was found in. */
static void show_file(const struct loader *ld, const char *lcfile, char *buf, size_t size)
{
    size_t dl = ld->incdir ? strlen(ld->incdir) : 0;

    if (!lcfile)
        snprintf(buf, size, "%s", ld->src);
    else if (!ld->incdir || lcfile[0] == '/' ||
             (strncmp(lcfile, ld->incdir, dl) == 0 && lcfile[dl] == '/'))
        snprintf(buf, size, "%s", lcfile);
    else
        snprintf(buf, size, "%s/%s", ld->incdir, lcfile);
}

static int failv(struct loader *ld, const char *file, int line, const char *fmt, va_list ap)
{
    char *t = ld->diag->text;
    size_t size = sizeof ld->diag->text;
    int k = line > 0 ? snprintf(t, size, "%s:%d: ", file, line) : snprintf(t, size, "%s: ", file);

    if (k >= 0 && (size_t)k < size && ld->rule)
        k += snprintf(t + k, size - (size_t)k, "rule '%s': ", ld->rule);
    if (k >= 0 && (size_t)k < size)
        vsnprintf(t + k, size - (size_t)k, fmt, ap);
    return -1;
}

/* Write "FILE:LINE: [rule 'NAME': ]message" for setting `at` to the diagnostic; returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(struct loader *ld, const config_setting_t *at, const char *fmt, ...)
{
    char file[PATH_MAX];
    va_list ap;

    show_file(ld, config_setting_source_file(at), file, sizeof file);
    va_start(ap, fmt);
    failv(ld, file, (int)config_setting_source_line(at), fmt, ap);
    va_end(ap);
    return -1;
}

/* Write "FILE:LINE: message", or "FILE: message" when line is 0; returns -1. */
__attribute__((format(printf, 4, 5)))
static int fail_line(struct loader *ld, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    failv(ld, file, line, fmt, ap);
    va_end(ap);
    return -1;
}

static int out_of_memory(struct loader *ld)
{
    return fail_line(ld, ld->src, 0, "out of memory");
}

static int syntax_error(struct loader *ld, const config_t *lc)
{
    char file[PATH_MAX];

    show_file(ld, config_error_file(lc), file, sizeof file);
    return fail_line(ld, file, config_error_line(lc), "%s",
                     config_error_text(lc) ? config_error_text(lc) : "syntax error");
}

/* ---- key tables ------------------------------------------------------------------------------ */

struct rule_ctx {
    struct fl_rule_spec *spec;
    const config_setting_t *calls, *delay, *jitter;
};

typedef int global_fn(struct loader *ld, const config_setting_t *s);
typedef int rule_fn(struct loader *ld, struct rule_ctx *r, const config_setting_t *s);

struct global_key { const char *key; global_fn *read; };
struct rule_key { const char *key; rule_fn *read; };

static global_fn read_seed, read_log, read_summary, read_children, read_control, read_rules;
static rule_fn read_name, read_calls, read_enabled, read_probability, read_error, read_delay,
    read_jitter;

static const struct global_key global_keys[] = {
    {"seed", read_seed},         {"log", read_log},         {"summary", read_summary},
    {"children", read_children}, {"control", read_control}, {"rules", read_rules},
};

static const struct rule_key rule_keys[] = {
    {"name", read_name},   {"calls", read_calls}, {"enabled", read_enabled},
    {"probability", read_probability}, {"error", read_error}, {"delay", read_delay},
    {"jitter", read_jitter},
};

static bool is_rule_key(const char *key)
{
    for (size_t i = 0; i < FL_COUNT(rule_keys); i++)
        if (strcmp(rule_keys[i].key, key) == 0)
            return true;
    return false;
}

static bool is_global_key(const char *key)
{
    for (size_t i = 0; i < FL_COUNT(global_keys); i++)
        if (strcmp(global_keys[i].key, key) == 0)
            return true;
    return false;
}

/* ---- global keys ----------------------------------------------------------------------------- */

static bool is_int(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

static int get_bool(struct loader *ld, const config_setting_t *s, bool *out)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return fail(ld, s, "'%s' must be true or false", config_setting_name(s));
    *out = config_setting_get_bool(s);
    return 0;
}

static int read_seed(struct loader *ld, const config_setting_t *s)
{
    long long v = is_int(s) ? config_setting_get_int64(s) : -1;

    if (v < 0)
        return fail(ld, s, "'seed' must be an integer from 0 to %lld", LLONG_MAX);
    ld->cfg.has_seed = true;
    ld->cfg.seed = (uint64_t)v;
    return 0;
}

static int read_log(struct loader *ld, const config_setting_t *s)
{
    const char *v = config_setting_get_string(s);
    char *copy;

    if (!v || !*v)
        return fail(ld, s, "'log' must be a non-empty string: a path (%%p = pid) or \"stderr\"");
    if (!(copy = strdup(v)))
        return out_of_memory(ld);
    free(ld->cfg.log);
    ld->cfg.log = copy;
    return 0;
}

static int read_summary(struct loader *ld, const config_setting_t *s)
{
    return get_bool(ld, s, &ld->cfg.summary);
}

static int read_children(struct loader *ld, const config_setting_t *s)
{
    return get_bool(ld, s, &ld->cfg.children);
}

static int read_control(struct loader *ld, const config_setting_t *s)
{
    return get_bool(ld, s, &ld->cfg.control);
}

static int unknown_global(struct loader *ld, const config_setting_t *s)
{
    const char *key = config_setting_name(s);
    struct near n;
    char hint[FL_NAME_MAX + 32];

    if (is_rule_key(key))
        return fail(ld, s, "'%s' is a rule key: put it inside a rule, rules = ( { ... } )", key);
    near_init(&n, key);
    for (size_t i = 0; i < FL_COUNT(global_keys); i++)
        near_try(&n, global_keys[i].key);
    return fail(ld, s, "unknown key '%s'%s", key, near_hint(&n, hint, sizeof hint));
}

static int read_global(struct loader *ld, const config_setting_t *s)
{
    for (size_t i = 0; i < FL_COUNT(global_keys); i++)
        if (strcmp(global_keys[i].key, config_setting_name(s)) == 0)
            return global_keys[i].read(ld, s);
    return unknown_global(ld, s);
}

/* ---- rules: names ---------------------------------------------------------------------------- */

static bool valid_name(const char *name)
{
    size_t len = strlen(name);

    if (len < 1 || len > FL_NAME_MAX)
        return false;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789_.:-") == len;
}

/* The rule `r` (just appended) must not reuse an earlier rule's name. */
static int check_duplicate(struct loader *ld, size_t r, const config_setting_t *at)
{
    const struct fl_rule_spec *rules = ld->cfg.rules;

    for (size_t i = 0; i < r; i++) {
        if (strcmp(rules[i].name, rules[r].name) != 0)
            continue;
        if (strcmp(rules[i].file, rules[r].file) == 0)
            return fail(ld, at, "duplicate rule name (first defined at line %d)",
                        ld->name_lines[i]);
        return fail(ld, at, "duplicate rule name (first defined at %s:%d)", rules[i].file,
                    ld->name_lines[i]);
    }
    return 0;
}

/* Name rule `r` from its `name` key, or "ruleN" after its place in the merged list. */
static int name_rule(struct loader *ld, size_t r, const config_setting_t *group)
{
    const config_setting_t *s = config_setting_get_member(group, "name");
    const char *v = s ? config_setting_get_string(s) : NULL;
    char dflt[32];

    if (s && !v)
        return fail(ld, s, "'name' must be a string such as \"db-refused\"");
    if (v && !valid_name(v))
        return fail(ld, s, "invalid rule name '%s': use 1 to %d characters among "
                    "A-Z a-z 0-9 _ . : -", v, FL_NAME_MAX);
    snprintf(dflt, sizeof dflt, "rule%zu", r + 1);
    if (!(ld->cfg.rules[r].name = strdup(v ? v : dflt)))
        return out_of_memory(ld);
    ld->name_lines[r] = (int)config_setting_source_line(s ? s : group);
    ld->rule = ld->cfg.rules[r].name;
    return check_duplicate(ld, r, s ? s : group);
}

static int read_name(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    (void)ld, (void)r, (void)s;   /* read first, by name_rule */
    return 0;
}

/* ---- rules: calls ---------------------------------------------------------------------------- */

static int unknown_call(struct loader *ld, const config_setting_t *at, const char *name)
{
    struct near n;
    char hint[FL_NAME_MAX + 32];

    near_init(&n, name);
    if (name[0] == '@') {
        for (size_t i = 0; fl_class_names[i]; i++)
            near_try(&n, fl_class_names[i]);
        return fail(ld, at, "unknown class '%s'%s", name, near_hint(&n, hint, sizeof hint));
    }
    for (size_t i = 0; i < FL_SYM_COUNT; i++)      /* a libc symbol stands for its call */
        if (strcmp(fl_syms[i].name, name) == 0)
            n.best = fl_calls[fl_syms[i].call].name, n.dist = 0;
    for (size_t i = 0; n.dist && i < FL_CALL_COUNT; i++)
        near_try(&n, fl_calls[i].name);
    return fail(ld, at, "unknown call '%s'%s", name, near_hint(&n, hint, sizeof hint));
}

static int read_calls(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    int len = config_setting_length(s);

    if (!config_setting_is_array(s) && !config_setting_is_list(s))
        return fail(ld, s, "'calls' must be a list of call names and classes, "
                    "such as [ \"connect\", \"@dns\" ]");
    if (len == 0)
        return fail(ld, s, "'calls' is empty: name at least one call or class");
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_get_string(e);
        if (!v)
            return fail(ld, e, "'calls' must hold strings: call names and classes, "
                        "such as [ \"connect\", \"@dns\" ]");
        if (fl_call_by_name(v) < 0 && !fl_class_by_name(v))
            return unknown_call(ld, e, v);
    }
    r->calls = s;
    return 0;
}

/* ---- rules: scalars -------------------------------------------------------------------------- */

static int read_enabled(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    return get_bool(ld, s, &r->spec->enabled);
}

static int read_probability(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    double p = -1;

    if (is_int(s))
        p = (double)config_setting_get_int64(s);
    else if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
        p = config_setting_get_float(s);
    if (!(p >= 0 && p <= 1))
        return fail(ld, s, "'probability' must be a number from 0 to 1");
    r->spec->probability = p;
    return 0;
}

static int unknown_error(struct loader *ld, const config_setting_t *s, const char *name)
{
    struct near n;
    char hint[FL_NAME_MAX + 32];

    near_init(&n, name);
    for (int i = 1; i <= FL_ERRNO_MAX; i++)
        if (strerrorname_np(i))
            near_try(&n, strerrorname_np(i));
    for (size_t i = 0; i < FL_COUNT(errno_aliases); i++)
        near_try(&n, errno_aliases[i].name);
    for (size_t i = 0; i < FL_COUNT(eai_names); i++)
        near_try(&n, eai_names[i].name);
    return fail(ld, s, "unknown %s name '%s'%s", strncmp(name, "EAI_", 4) ? "errno" : "EAI",
                name, near_hint(&n, hint, sizeof hint));
}

static int read_error(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    const char *v = config_setting_get_string(s);
    int e;

    if (!v)
        return fail(ld, s, "'error' must be a string such as \"ECONNREFUSED\" or \"EAI_AGAIN\"");
    e = strncmp(v, "EAI_", 4) == 0 ? fl_eai_by_name(v) : fl_errno_by_name(v);
    if (!e)
        return unknown_error(ld, s, v);
    r->spec->error = e;
    return 0;
}

static int get_duration(struct loader *ld, const config_setting_t *s, uint64_t *ns)
{
    const char *key = config_setting_name(s), *v = config_setting_get_string(s);
    int rc;

    if (!v)
        return fail(ld, s, "'%s' must be a string with a unit, such as \"200ms\"", key);
    rc = parse_duration(v, ns);
    if (rc == -2)
        return fail(ld, s, "'%s' is longer than 24 hours: '%s'", key, v);
    if (rc < 0)
        return fail(ld, s, "'%s' is not a duration: '%s' (write a number and a unit among "
                    "ns us ms s m, such as \"200ms\" or \"1.5s\")", key, v);
    return 0;
}

static int read_delay(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    r->delay = s;
    return get_duration(ld, s, &r->spec->delay_ns);
}

static int read_jitter(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    r->jitter = s;
    return get_duration(ld, s, &r->spec->jitter_ns);
}

static int unknown_rule_key(struct loader *ld, const config_setting_t *s)
{
    const char *key = config_setting_name(s);
    struct near n;
    char hint[FL_NAME_MAX + 32];

    if (is_global_key(key))
        return fail(ld, s, "'%s' is a global key: put it outside 'rules'", key);
    near_init(&n, key);
    for (size_t i = 0; i < FL_COUNT(rule_keys); i++)
        near_try(&n, rule_keys[i].key);
    return fail(ld, s, "unknown key '%s'%s", key, near_hint(&n, hint, sizeof hint));
}

static int read_rule_key(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    for (size_t i = 0; i < FL_COUNT(rule_keys); i++)
        if (strcmp(rule_keys[i].key, config_setting_name(s)) == 0)
            return rule_keys[i].read(ld, r, s);
    return unknown_rule_key(ld, s);
}

/* ---- rules: what fits which call ------------------------------------------------------------- */

/* NULL when the rule's actions fit call `id`, else what the call cannot do: "fail with X",
 * "take 'delay'". */
static const char *misfit(const struct fl_rule_spec *spec, int id, char *buf, size_t size)
{
    const struct fl_call_info *c = &fl_calls[id];

    if (spec->error && !(c->actions & FL_ACT(ERROR)))
        return "take 'error'";
    if (spec->delay_ns && !(c->actions & FL_ACT(DELAY)))
        return "take 'delay'";
    if (spec->error < 0 && c->errors == FL_ERR_ERRNO) {
        snprintf(buf, size, "fail with %s", fl_error_name(spec->error));
        return buf;
    }
    return NULL;
}

static void set_call(struct fl_rule_spec *spec, int id)
{
    spec->calls[id / 64] |= 1ull << (id % 64);
}

/* Add the calls of class `cls` that the rule's actions fit; -1 when none does. */
static int add_class(struct loader *ld, struct fl_rule_spec *spec, const config_setting_t *at,
                     const char *cls)
{
    unsigned bit = fl_class_by_name(cls);
    const char *why = NULL;
    char buf[64];
    bool any = false;

    for (int id = 0; id < FL_CALL_COUNT; id++) {
        if (!(fl_calls[id].classes & bit))
            continue;
        const char *w = misfit(spec, id, buf, sizeof buf);
        if (!w)
            set_call(spec, id), any = true;
        else if (!why)
            why = w;
    }
    return any ? 0 : fail(ld, at, "no call in '%s' can %s", cls, why ? why : "be matched");
}

static int add_calls(struct loader *ld, struct fl_rule_spec *spec, const config_setting_t *s)
{
    char buf[64];

    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_get_string(e), *why;
        int id = fl_call_by_name(v);
        if (id < 0) {
            if (add_class(ld, spec, e, v) < 0)
                return -1;
        } else if ((why = misfit(spec, id, buf, sizeof buf))) {
            return fail(ld, e, "call '%s' cannot %s%s", v, why, spec->error < 0
                        ? " (EAI_* errors fit only the resolver calls, @dns)" : "");
        } else {
            set_call(spec, id);
        }
    }
    return 0;
}

/* What only the whole rule can tell: calls given, jitter with delay, something injected. */
static int check_rule(struct loader *ld, struct rule_ctx *r, const config_setting_t *group)
{
    struct fl_rule_spec *spec = r->spec;
    const char *name = ld->rule;

    if (!r->calls)
        return fail(ld, group, "'calls' is missing: name the calls to break, "
                    "such as calls = [ \"connect\" ]");
    if (r->jitter && !r->delay)
        return fail(ld, r->jitter, "'jitter' needs 'delay': it varies the delay");
    if (r->jitter && spec->jitter_ns > spec->delay_ns)
        return fail(ld, r->jitter, "'jitter' (%s) must not exceed 'delay' (%s)",
                    config_setting_get_string(r->jitter), config_setting_get_string(r->delay));
    if (!spec->error && !spec->delay_ns) {
        ld->rule = NULL;
        return fail(ld, group, "rule '%s' injects nothing: give it error or delay", name);
    }
    return add_calls(ld, spec, r->calls);
}

/* ---- rules: the list ------------------------------------------------------------------------- */

static int grow_rules(struct loader *ld)
{
    size_t cap = ld->cap ? ld->cap * 2 : 8;
    struct fl_rule_spec *rules = realloc(ld->cfg.rules, cap * sizeof *rules);
    int *lines;

    if (!rules)
        return -1;
    ld->cfg.rules = rules;
    if (!(lines = realloc(ld->name_lines, cap * sizeof *lines)))
        return -1;
    ld->name_lines = lines;
    ld->cap = cap;
    return 0;
}

/* Append a rule with its defaults; NULL when out of memory. */
static struct fl_rule_spec *new_rule(struct loader *ld, const config_setting_t *group)
{
    char file[PATH_MAX];
    struct fl_rule_spec *spec;

    if (ld->cfg.nrules == ld->cap && grow_rules(ld) < 0)
        return NULL;
    spec = &ld->cfg.rules[ld->cfg.nrules++];
    *spec = (struct fl_rule_spec){.enabled = true, .probability = 1.0};
    show_file(ld, config_setting_source_file(group), file, sizeof file);
    spec->line = (int)config_setting_source_line(group);
    return (spec->file = strdup(file)) ? spec : NULL;
}

static int read_rule(struct loader *ld, const config_setting_t *group)
{
    struct rule_ctx r = {0};

    if (!config_setting_is_group(group))
        return fail(ld, group, "each rule must be a group: rules = ( { calls = [ ... ]; ... } )");
    if (!(r.spec = new_rule(ld, group)))
        return out_of_memory(ld);
    if (name_rule(ld, ld->cfg.nrules - 1, group) < 0)
        return -1;
    for (int i = 0; i < config_setting_length(group); i++)
        if (read_rule_key(ld, &r, config_setting_get_elem(group, (unsigned)i)) < 0)
            return -1;
    return check_rule(ld, &r, group);
}

static int read_rules(struct loader *ld, const config_setting_t *s)
{
    int len = config_setting_length(s);

    if (!config_setting_is_list(s) && !(config_setting_is_array(s) && len == 0))
        return fail(ld, s, "'rules' must be a list of rules: rules = ( { ... }, { ... } )");
    for (int i = 0; i < len; i++) {
        int rc = read_rule(ld, config_setting_get_elem(s, (unsigned)i));
        ld->rule = NULL;
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- sources --------------------------------------------------------------------------------- */

static int read_root(struct loader *ld, const config_t *lc)
{
    const config_setting_t *root = config_root_setting(lc);

    for (int i = 0; i < config_setting_length(root); i++)
        if (read_global(ld, config_setting_get_elem(root, (unsigned)i)) < 0)
            return -1;
    return 0;
}

/* Parse with libconfig from `f` or else from `text`, then read the settings. */
static int read_source(struct loader *ld, FILE *f, const char *text)
{
    config_t lc;
    int rc;

    config_init(&lc);
    config_set_auto_convert(&lc, 0);
    if (ld->incdir)
        config_set_include_dir(&lc, ld->incdir);
    if (f ? config_read(&lc, f) : config_read_string(&lc, text))
        rc = read_root(ld, &lc);
    else
        rc = syntax_error(ld, &lc);
    config_destroy(&lc);
    return rc;
}

/* Open `path` for reading; NULL (with the message written) when it cannot be read. */
static FILE *open_config(struct loader *ld, const char *path)
{
    struct stat st;
    FILE *f = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

    if (fd < 0) {
        fail_line(ld, path, 0, "cannot read config: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        err = EISDIR;
    else if (!(f = fdopen(fd, "r")))
        err = errno;
    if (err) {
        close(fd);
        fail_line(ld, path, 0, "cannot read config: %s",
                  err == EISDIR ? "is a directory" : strerror(err));
        return NULL;
    }
    return f;
}

static int read_file(struct loader *ld, const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    FILE *f;
    int rc;

    if (!(f = open_config(ld, path)))
        return -1;
    if (slash) {   /* @include is relative to the config file's directory */
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        ld->incdir = dir;
    }
    ld->src = path;
    rc = read_source(ld, f, NULL);
    ld->incdir = NULL;
    fclose(f);
    return rc;
}

static int read_inline(struct loader *ld, const char *text)
{
    ld->src = FL_INLINE_NAME;
    return read_source(ld, NULL, text);
}

int fl_config_load(struct fl_config *cfg, const char *path, const char *inline_text,
                   struct fl_diag *diag)
{
    struct loader ld = {.cfg = {.children = true}, .diag = diag};
    int saved = errno, rc = 0;

    diag->text[0] = '\0';
    if (path && read_file(&ld, path) < 0)
        rc = -1;
    else if (inline_text && read_inline(&ld, inline_text) < 0)
        rc = -1;
    else if (path && !(ld.cfg.source = strdup(path)))
        rc = fail_line(&ld, path, 0, "out of memory");
    free(ld.name_lines);
    if (rc < 0)
        fl_config_free(&ld.cfg);
    *cfg = ld.cfg;
    errno = saved;
    return rc;
}

void fl_config_free(struct fl_config *cfg)
{
    for (size_t i = 0; i < cfg->nrules; i++) {
        free(cfg->rules[i].name);
        free(cfg->rules[i].file);
    }
    free(cfg->rules);
    free(cfg->log);
    free(cfg->source);
    memset(cfg, 0, sizeof *cfg);
}
