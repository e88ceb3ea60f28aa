/* The config reader: libconfig text in, plain fl_rule_spec structs out, and every validation
 * message. It runs in the host's constructor: it prints nothing, never exits, frees what it
 * allocated on every path, and leaves errno as it found it. */
#include "config.h"
#include "libconfig_private.h"
#include "safefile.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* uthash, with a failed allocation reported instead of exiting the process. */
static __thread bool hash_oom;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (hash_oom = true)
#include <uthash.h>

#define FL_INLINE_NAME "FAULTLINE_RULES"
#define FL_DAY_NS      (86400ull * 1000000000ull)
#define FL_NAME_MAX    64     /* longest rule name */
#define FL_ERRNO_MAX   4095   /* errno values scanned with strerrorname_np */
#define FL_CORRUPT_MAX 64     /* most bits 'corrupt' flips in one call */
#define FL_INCLUDE_MAX 10     /* how deep @include may nest (libconfig's own limit) */

/* ---- error names ----------------------------------------------------------------------------- */

/* Names strerrorname_np does not return because they alias another errno value. */
#define FL_ERRNO_ALIASES(X) X(EWOULDBLOCK) X(EDEADLOCK) X(ENOTSUP)

/* getaddrinfo's codes (negative in glibc). */
#define FL_EAI_NAMES(X)                                                                      \
    X(EAI_AGAIN) X(EAI_NONAME) X(EAI_FAIL) X(EAI_MEMORY) X(EAI_SERVICE) X(EAI_FAMILY)        \
    X(EAI_SOCKTYPE) X(EAI_BADFLAGS) X(EAI_OVERFLOW) X(EAI_SYSTEM) X(EAI_NODATA)              \
    X(EAI_ADDRFAMILY)

struct named { const char *name; int value; };

/* Signal names sigabbrev_np does not return because they alias another signal (without SIG). */
#define FL_SIGNAL_ALIASES(X) X(IOT, SIGIOT) X(IO, SIGIO) X(CLD, SIGCLD)

#define FL_NAMED_ROW(n) {#n, n},
#define FL_SIGNAL_ROW(n, v) {#n, v},
static const struct named errno_aliases[] = {FL_ERRNO_ALIASES(FL_NAMED_ROW)};
static const struct named eai_names[] = {FL_EAI_NAMES(FL_NAMED_ROW)};
static const struct named signal_aliases[] = {FL_SIGNAL_ALIASES(FL_SIGNAL_ROW)};
#undef FL_NAMED_ROW
#undef FL_SIGNAL_ROW

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
    {"h", 3600000000000},
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

/* ---- byte counts ----------------------------------------------------------------------------- */

static const struct { const char *unit; uint64_t bytes; } size_units[] = {
    {"B", 1},
    {"kB", 1000}, {"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000}, {"TB", 1000000000000},
    {"KiB", 1024}, {"MiB", 1048576}, {"GiB", 1073741824}, {"TiB", 1099511627776},
};

/* A byte count written with a unit ("1MB", "64KiB", "1.5GB", "512B"): 0 and *bytes (rounded
 * down); -1 when malformed or past 2^63 bytes. */
static int parse_size(const char *text, uint64_t *bytes)
{
    uint64_t whole = 0, frac = 0, scale = 1, mult = 0;
    const char *p = text;

    if (!is_digit(*p))
        return -1;
    for (; is_digit(*p); p++) {
        if (whole > (uint64_t)LLONG_MAX / 10)
            return -1;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.' && !is_digit(*++p))
        return -1;
    for (; is_digit(*p); p++)
        if (scale < 1000000000000ULL)
            frac = frac * 10 + (uint64_t)(*p - '0'), scale *= 10;
    for (size_t i = 0; i < FL_COUNT(size_units); i++)
        if (strcmp(size_units[i].unit, p) == 0)
            mult = size_units[i].bytes;
    if (!mult || whole > (uint64_t)LLONG_MAX / mult)
        return -1;
    unsigned __int128 total = (unsigned __int128)whole * mult + (unsigned __int128)frac * mult / scale;
    if (total > (unsigned __int128)LLONG_MAX)
        return -1;
    *bytes = (uint64_t)total;
    return 0;
}

int fl_parse_size(const char *text, uint64_t *bytes)
{
    return text ? parse_size(text, bytes) : -1;
}

/* ---- the loader and its messages ------------------------------------------------------------- */

struct name_entry;

/* From line `line` of the text libconfig reads on, the text is file `file`'s from its line
 * `file_line`: @include is expanded before libconfig sees the text (see expand_includes). */
struct segment {
    int line;
    const char *file;
    int file_line;
};

struct loader {
    struct fl_config cfg;     /* what has been read so far */
    int *name_lines;          /* per rule: line of its name (of its brace when unnamed) */
    bool *own_dry_run;        /* per rule: it gives dry_run (else it takes the global's) */
    size_t cap;               /* room in cfg.rules, name_lines and own_dry_run */
    struct name_entry *names; /* the rules' names (uthash), to refuse a duplicate */
    struct fl_diag *diag;
    const char *src;          /* the name of the text being read, for messages */
    const char *incdir;       /* directory @include is relative to, or NULL */
    bool no_include;          /* @include is refused (the text of `set`) */
    struct segment *segs;     /* where each line of the expanded text comes from */
    size_t nsegs, segcap;
    char **incnames;          /* the included files' names (the segments point into them) */
    size_t nincnames;
    int out_lines;            /* lines begun in the expanded text so far, while expanding */
    const char *rule;         /* the rule being read, for messages; NULL outside rules */
    struct fl_diag needs_durable; /* what refuses the config when durable stays unset: the */
                                  /* first power_loss rule or torn, "FILE:LINE: ..."; "" none */
};

/* The file and line that line `line` of the expanded text came from. */
static const char *locate(const struct loader *ld, int line, int *file_line)
{
    size_t lo = 0, hi = ld->nsegs;

    *file_line = line;
    if (!ld->nsegs || line <= 0)
        return ld->src;
    while (hi - lo > 1) {   /* the last segment starting at or before `line` */
        size_t mid = (lo + hi) / 2;
        if (ld->segs[mid].line <= line)
            lo = mid;
        else
            hi = mid;
    }
    *file_line = ld->segs[lo].file_line + (line - ld->segs[lo].line);
    return ld->segs[lo].file;
}

/* Copy `in` to `out` (of `size` bytes) with control characters written as libconfig escapes
 * ("\n", "\x01"): a message quotes the user's strings, and must stay one line. */
static void escape_controls(char *out, size_t size, const char *in)
{
    size_t k = 0;

    for (; *in && k + 1 < size; in++) {
        unsigned char c = (unsigned char)*in;
        char esc[8];
        size_t n = 1;
        if (c < 0x20 || c == 0x7f)
            n = (size_t)snprintf(esc, sizeof esc, c == '\n' ? "\\n" : c == '\t' ? "\\t" :
                                 c == '\r' ? "\\r" : "\\x%02x", c);
        else
            esc[0] = (char)c;
        if (k + n >= size)
            break;
        memcpy(out + k, esc, n);
        k += n;
    }
    out[k] = '\0';
}

static int failv(struct loader *ld, const char *file, int line, const char *fmt, va_list ap)
{
    char t[sizeof ld->diag->text];
    size_t size = sizeof t;
    int k = line > 0 ? snprintf(t, size, "%s:%d: ", file, line) : snprintf(t, size, "%s: ", file);

    if (k >= 0 && (size_t)k < size && ld->rule)
        k += snprintf(t + k, size - (size_t)k, "rule '%s': ", ld->rule);
    if (k >= 0 && (size_t)k < size)
        vsnprintf(t + k, size - (size_t)k, fmt, ap);
    escape_controls(ld->diag->text, sizeof ld->diag->text, t);
    k = (int)strlen(ld->diag->text);
    if ((size_t)k + 1 == sizeof ld->diag->text)   /* cut (a 10 MB key): show it was */
        memcpy(ld->diag->text + k - 3, "...", 3);
    return -1;
}

/* Write "FILE:LINE: [rule 'NAME': ]message" for setting `at` to the diagnostic; returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(struct loader *ld, const config_setting_t *at, const char *fmt, ...)
{
    int line;
    const char *file = locate(ld, (int)config_setting_source_line(at), &line);
    va_list ap;

    va_start(ap, fmt);
    failv(ld, file, line, fmt, ap);
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

/* fail_line for line `line` of the expanded text. */
__attribute__((format(printf, 3, 4)))
static int fail_at(struct loader *ld, int line, const char *fmt, ...)
{
    int file_line;
    const char *file = locate(ld, line, &file_line);
    va_list ap;

    va_start(ap, fmt);
    failv(ld, file, file_line, fmt, ap);
    va_end(ap);
    return -1;
}

static int out_of_memory(struct loader *ld)
{
    return fail_line(ld, ld->src, 0, "out of memory");
}

/* libconfig's message; `unclosed`: the line of a string the text never closes, or 0. */
static int syntax_error(struct loader *ld, const config_t *lc, int unclosed)
{
    const char *what = config_error_text(lc);

    if (unclosed && config_error_line(lc) >= unclosed && what &&
        strcmp(what, "syntax error") == 0)   /* libconfig names the end of the text: too far */
        return fail_at(ld, unclosed, "syntax error: a string opened on this line "
                       "is never closed (a '\"' is missing)");
    return fail_at(ld, config_error_line(lc), "%s", what ? what : "syntax error");
}

/* ---- key tables ------------------------------------------------------------------------------ */

struct rule_ctx {
    struct fl_rule_spec *spec;
    const config_setting_t *calls, *delay, *jitter;
    const config_setting_t *act;                    /* error partial eof corrupt drop kill */
    const config_setting_t *path, *peer, *fd, *min_size, *max_size, *after_bytes;
    bool dry_run;                                   /* given in the rule */
};

typedef int global_fn(struct loader *ld, const config_setting_t *s);
typedef int rule_fn(struct loader *ld, struct rule_ctx *r, const config_setting_t *s);

struct global_key { const char *key; global_fn *read; };
struct rule_key { const char *key; rule_fn *read; };

static global_fn read_seed, read_log, read_summary, read_children, read_control,
    read_global_dry_run, read_programs, read_durable, read_torn, read_rules;
static rule_fn read_name, read_calls, read_enabled, read_dry_run, read_path, read_peer, read_fd,
    read_min_size, read_max_size, read_probability, read_after, read_after_bytes, read_every,
    read_times,
    read_start, read_duration, read_delay, read_jitter, read_error, read_partial, read_eof,
    read_corrupt, read_drop, read_kill, read_power_loss;

static const struct global_key global_keys[] = {
    {"seed", read_seed},         {"log", read_log},         {"summary", read_summary},
    {"children", read_children}, {"control", read_control}, {"dry_run", read_global_dry_run},
    {"programs", read_programs}, {"durable", read_durable},   {"torn", read_torn},
    {"rules", read_rules},
};

static const struct rule_key rule_keys[] = {
    {"name", read_name},         {"calls", read_calls},       {"enabled", read_enabled},
    {"dry_run", read_dry_run},   {"path", read_path},         {"peer", read_peer},
    {"fd", read_fd},             {"min_size", read_min_size}, {"max_size", read_max_size},
    {"probability", read_probability}, {"after", read_after}, {"after_bytes", read_after_bytes},
    {"every", read_every},
    {"times", read_times},       {"start", read_start},       {"duration", read_duration},
    {"delay", read_delay},       {"jitter", read_jitter},     {"error", read_error},
    {"partial", read_partial},   {"eof", read_eof},           {"corrupt", read_corrupt},
    {"drop", read_drop},         {"kill", read_kill},         {"power_loss", read_power_loss},
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

static int read_global_dry_run(struct loader *ld, const config_setting_t *s)
{
    return get_bool(ld, s, &ld->cfg.dry_run);
}

static void free_strings(char **strings, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(strings[i]);
    free(strings);
}

/* The len strings of the list `s` (or `s` itself when !list), each through `copy`, in a new
 * array that replaces *dst and *ndst (inline text overrides the file). Checked beforehand. */
static int replace_strings(struct loader *ld, const config_setting_t *s, bool list, int len,
                           char *(*copy)(const char *), char ***dst, size_t *ndst)
{
    char **strings = calloc((size_t)len, sizeof *strings);

    if (!strings)
        return out_of_memory(ld);
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = list ? config_setting_get_elem(s, (unsigned)i) : s;
        if (!(strings[i] = copy(config_setting_get_string(e)))) {
            free_strings(strings, (size_t)i);
            return out_of_memory(ld);
        }
    }
    free_strings(*dst, *ndst);
    *dst = strings;
    *ndst = (size_t)len;
    return 0;
}

/* Globs on the executable's base name: every one checked before anything is allocated. */
static int read_programs(struct loader *ld, const config_setting_t *s)
{
    int len = config_setting_length(s);

    if (!config_setting_is_array(s) && !config_setting_is_list(s))
        return fail(ld, s, "'programs' must be a list of globs on the executable's base name, "
                    "such as [ \"nginx\", \"python3*\" ]");
    if (len <= 0)
        return fail(ld, s, "'programs' is empty: name at least one program, "
                    "or omit it to act in every program");
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_get_string(e);
        if (!v || !*v)
            return fail(ld, e, "'programs' must hold non-empty strings: globs on the "
                        "executable's base name, such as \"nginx\"");
        if (strchr(v, '/'))
            return fail(ld, e, "'programs' entry '%s' has a '/': the globs match the "
                        "executable's base name, such as \"nginx\"", v);
    }
    return replace_strings(ld, s, true, len, strdup, &ld->cfg.programs, &ld->cfg.nprograms);
}

/* A glob as a rule's path holds it: absolute as given, a relative one under any directory. */
static char *path_glob(const char *v)
{
    size_t size = strlen(v) + 3;
    char *glob = malloc(size);
    if (glob)
        snprintf(glob, size, "%s%s", v[0] == '/' ? "" : "*/", v);
    return glob;
}

/* Remember, once, why the config needs durable: the message refuses it if durable stays unset
 * once every source is read (the key may come later, or from the inline text). */
static void note_needs_durable(struct loader *ld, const config_setting_t *s, const char *what)
{
    struct fl_diag saved = *ld->diag;

    if (ld->needs_durable.text[0])
        return;
    fail(ld, s, "%s needs durability tracking: add the global key durable = \"/srv/data/*\", "
         "the files a power loss rolls back", what);
    ld->needs_durable = *ld->diag;
    *ld->diag = saved;
}

/* durable: one glob or a list of them, of the paths whose durability is tracked. */
static int read_durable(struct loader *ld, const config_setting_t *s)
{
    bool list = config_setting_is_array(s) || config_setting_is_list(s);
    int len = list ? config_setting_length(s) : 1;
    static const char what[] = "globs of the files and directories whose durability is "
                               "tracked, such as \"/srv/data/*\" or [ \"/srv/a/*\", \"/srv/b/*\" ]";

    if (!list && config_setting_type(s) != CONFIG_TYPE_STRING)
        return fail(ld, s, "'durable' must be a glob or a list of %s", what);
    if (len <= 0)
        return fail(ld, s, "'durable' is empty: give %s", what);
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = list ? config_setting_get_elem(s, (unsigned)i) : s;
        const char *v = config_setting_get_string(e);
        if (!v || !*v)
            return fail(ld, e, "'durable' must hold non-empty strings: %s", what);
    }
    return replace_strings(ld, s, list, len, path_glob, &ld->cfg.durable, &ld->cfg.ndurable);
}

/* torn = { sector = 512 | 4096; keep = 0.5; }: a power loss keeps some unsynced sectors. */
static int read_torn(struct loader *ld, const config_setting_t *s)
{
    static const char *const keys[] = {"sector", "keep"};
    unsigned sector = 0;
    double keep = 0.5;

    if (!config_setting_is_group(s))
        return fail(ld, s, "'torn' must be a group such as torn = { sector = 4096; keep = 0.5; }");
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *key = config_setting_name(e);
        if (strcmp(key, "sector") == 0) {
            long long v = is_int(e) ? config_setting_get_int64(e) : 0;
            if (v != 512 && v != 4096)
                return fail(ld, e, "'sector' must be 512 or 4096: the bytes a disk writes whole");
            sector = (unsigned)v;
        } else if (strcmp(key, "keep") == 0) {
            double v = config_setting_type(e) == CONFIG_TYPE_FLOAT ? config_setting_get_float(e)
                                                                    : -1;
            if (!(v > 0 && v < 1))
                return fail(ld, e, "'keep' must be a number between 0 and 1 (exclusive), such "
                            "as 0.5: the chance that an unsynced sector survives");
            keep = v;
        } else {
            struct fl_near n;
            char hint[FL_NAME_MAX + 32];
            fl_near_init(&n, key);
            for (size_t k = 0; k < FL_COUNT(keys); k++)
                fl_near_try(&n, keys[k]);
            return fail(ld, e, "unknown key '%s' in 'torn'%s: it takes sector and keep", key,
                        fl_near_hint(&n, hint, sizeof hint));
        }
    }
    if (!sector)
        return fail(ld, s, "'torn' needs 'sector': 512 or 4096");
    ld->cfg.torn_sector = sector;
    ld->cfg.torn_keep = keep;
    note_needs_durable(ld, s, "'torn'");
    return 0;
}

static int unknown_global(struct loader *ld, const config_setting_t *s)
{
    const char *key = config_setting_name(s);
    struct fl_near n;
    char hint[FL_NAME_MAX + 32];

    if (is_rule_key(key))
        return fail(ld, s, "'%s' is a rule key: put it inside a rule, rules = ( { ... } )", key);
    fl_near_init(&n, key);
    for (size_t i = 0; i < FL_COUNT(global_keys); i++)
        fl_near_try(&n, global_keys[i].key);
    return fail(ld, s, "unknown key '%s'%s", key, fl_near_hint(&n, hint, sizeof hint));
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

/* A rule's name in the loader's set of names: which rule has it. */
struct name_entry {
    size_t rule;
    UT_hash_handle hh;        /* keyed by the rule's name (ld->cfg.rules[rule].name) */
};

/* Forget the set of names. */
static void forget_names(struct loader *ld)
{
    struct name_entry *e, *tmp;
    HASH_ITER(hh, ld->names, e, tmp) {
        HASH_DEL(ld->names, e);
        free(e);
    }
}

/* The rule `r` (just appended) must not reuse an earlier rule's name: a hash set, so that a
 * config of 100,000 rules does not take 5e9 comparisons. */
static int check_duplicate(struct loader *ld, size_t r, const config_setting_t *at)
{
    const struct fl_rule_spec *rules = ld->cfg.rules;
    struct name_entry *e;

    HASH_FIND_STR(ld->names, rules[r].name, e);
    if (!e) {
        if (!(e = malloc(sizeof *e)))
            return out_of_memory(ld);
        e->rule = r;
        hash_oom = false;
        HASH_ADD_KEYPTR(hh, ld->names, rules[r].name, strlen(rules[r].name), e);
        if (hash_oom) {
            free(e);
            return out_of_memory(ld);
        }
        return 0;
    }
    size_t i = e->rule;
    if (strcmp(rules[i].file, rules[r].file) == 0)
        return fail(ld, at, "duplicate rule name (first defined at line %d)", ld->name_lines[i]);
    return fail(ld, at, "duplicate rule name (first defined at %s:%d)", rules[i].file,
                ld->name_lines[i]);
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
    locate(ld, (int)config_setting_source_line(s ? s : group), &ld->name_lines[r]);
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
    struct fl_near n;
    char hint[FL_NAME_MAX + 32];

    fl_near_init(&n, name);
    if (name[0] == '@') {
        for (size_t i = 0; fl_class_names[i]; i++)
            fl_near_try(&n, fl_class_names[i]);
        return fail(ld, at, "unknown class '%s'%s", name, fl_near_hint(&n, hint, sizeof hint));
    }
    for (size_t i = 0; i < FL_SYM_COUNT; i++)      /* a libc symbol stands for its call */
        if (strcmp(fl_syms[i].name, name) == 0)
            n.best = fl_calls[fl_syms[i].call].name, n.dist = 0;
    for (size_t i = 0; n.dist && i < FL_CALL_COUNT; i++)
        fl_near_try(&n, fl_calls[i].name);
    return fail(ld, at, "unknown call '%s'%s", name, fl_near_hint(&n, hint, sizeof hint));
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

static int read_dry_run(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    r->dry_run = true;
    return get_bool(ld, s, &r->spec->dry_run);
}

/* The integer value of `s` in *v when it is one from min to max. */
static bool int_in(const config_setting_t *s, long long min, long long max, long long *v)
{
    if (!is_int(s))
        return false;
    *v = config_setting_get_int64(s);
    return *v >= min && *v <= max;
}

/* An integer >= min into *out; the message ends with `hint`. */
static int get_count(struct loader *ld, const config_setting_t *s, long long min,
                     const char *hint, uint64_t *out)
{
    long long v;

    if (!int_in(s, min, LLONG_MAX, &v))
        return fail(ld, s, "'%s' must be an integer >= %lld%s", config_setting_name(s), min,
                    hint);
    *out = (uint64_t)v;
    return 0;
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
                    "ns us ms s m h, such as \"200ms\" or \"1.5s\")", key, v);
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

static int read_start(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    return get_duration(ld, s, &r->spec->start_ns);
}

static int read_duration(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    if (get_duration(ld, s, &r->spec->duration_ns) < 0)
        return -1;
    if (!r->spec->duration_ns)
        return fail(ld, s, "'duration' is 0: omit it for no end");
    return 0;
}

/* ---- rules: triggers ------------------------------------------------------------------------- */

static int read_after(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    return get_count(ld, s, 0, "", &r->spec->after);
}

static int get_size(struct loader *ld, const config_setting_t *s, long long min, uint64_t *out);

static int read_after_bytes(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    r->after_bytes = s;
    return get_size(ld, s, 1, &r->spec->after_bytes);
}

static int read_every(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    return get_count(ld, s, 1, "", &r->spec->every);
}

static int read_times(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    return get_count(ld, s, 1, " (omit it for no limit)", &r->spec->times);
}

/* ---- rules: matchers ------------------------------------------------------------------------- */

/* A glob not starting with '/' matches in any directory: it is stored as "*" "/" GLOB. */
static int read_path(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    const char *v = config_setting_get_string(s);
    char *glob;

    if (!v || !*v)
        return fail(ld, s, "'path' must be a non-empty string: a glob such as "
                    "\"/srv/data/*.db\"");
    if (!(glob = path_glob(v)))
        return out_of_memory(ld);
    free(r->spec->path);
    r->spec->path = glob;
    r->path = s;
    return 0;
}

static const struct { const char *name; enum fl_fd_kind kind; } fd_kinds[] = {
    {"file", FL_FD_FILE}, {"socket", FL_FD_SOCKET}, {"pipe", FL_FD_PIPE}, {"tty", FL_FD_TTY},
    {"any", FL_FD_ANY},
};

static int read_fd(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    const char *v = config_setting_get_string(s);
    struct fl_near n;
    char hint[FL_NAME_MAX + 32];

    if (!v)
        return fail(ld, s, "'fd' must be a string: file, socket, pipe, tty or any");
    for (size_t i = 0; i < FL_COUNT(fd_kinds); i++) {
        if (strcmp(fd_kinds[i].name, v) == 0) {
            r->spec->fd_kind = fd_kinds[i].kind;
            r->fd = s;
            return 0;
        }
    }
    fl_near_init(&n, v);
    for (size_t i = 0; i < FL_COUNT(fd_kinds); i++)
        fl_near_try(&n, fd_kinds[i].name);
    return fail(ld, s, "unknown fd kind '%s'%s: write file, socket, pipe, tty or any", v,
                fl_near_hint(&n, hint, sizeof hint));
}

/* A byte count: an integer >= min, or a string with a unit ("64KiB", "1MB"). */
static int get_size(struct loader *ld, const config_setting_t *s, long long min, uint64_t *out)
{
    const char *v = config_setting_get_string(s);
    uint64_t bytes;

    if (!v)
        return get_count(ld, s, min, " (bytes), or a size with a unit such as \"64KiB\"", out);
    if (parse_size(v, &bytes) != 0 || bytes < (uint64_t)min)
        return fail(ld, s, "'%s' is not a size: '%.40s' (write a byte count such as 4096, or a "
                    "number and a unit among B kB MB GB TB KiB MiB GiB TiB, such as \"64KiB\" "
                    "or \"1.5MB\"%s)", config_setting_name(s), v, min > 0 ? ", at least 1 byte" : "");
    *out = bytes;
    return 0;
}

static int read_min_size(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    r->min_size = s;
    return get_size(ld, s, 0, &r->spec->min_size);
}

static int read_max_size(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    r->max_size = s;
    return get_size(ld, s, 0, &r->spec->max_size);
}

/* ---- rules: peers ---------------------------------------------------------------------------- */

#define FL_PEER_FORMS \
    "\"host:port\", \"*:port\", \"10.0.0.0/8\", \"[::1]:80\" or \"unix:/run/x.sock\""

/* Whether `t` is made only of characters in `set` (and is not empty). */
static bool only(const char *t, const char *set)
{
    return *t && strspn(t, set) == strlen(t);
}

/* A decimal number of at most `digits` digits from lo to hi, or -1. */
static long number_in(const char *t, size_t digits, long lo, long hi)
{
    long v;

    if (!only(t, "0123456789") || strlen(t) > digits)
        return -1;
    v = strtol(t, NULL, 10);
    return v >= lo && v <= hi ? v : -1;
}

/* Why an address that inet_pton refused is wrong. */
static int bad_host(struct loader *ld, const config_setting_t *s, const char *host, bool v6)
{
    const char *v = config_setting_get_string(s);

    if (v6)
        return fail(ld, s, "'peer' has an invalid IPv6 address: '%s'", v);
    if (only(host, "0123456789."))
        return fail(ld, s, "'peer' has an invalid IPv4 address: '%s'", v);
    if (only(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-"))
        return fail(ld, s, "'peer' names host '%s': write its IP address, \"*\" or "
                    "\"localhost\" (a config never makes the shim resolve a name)", host);
    return fail(ld, s, "'peer' is not a peer: '%s' (write " FL_PEER_FORMS ")", v);
}

/* The address must have no bit set past its prefix: "10.1.0.0/8" is refused, not masked. */
static int check_host_bits(struct loader *ld, const config_setting_t *s, struct fl_peer *p)
{
    int bytes = p->family == AF_INET ? 4 : 16;
    uint8_t net[16] = {0};
    char text[INET6_ADDRSTRLEN];

    for (int i = 0; i < bytes; i++) {
        int keep = p->prefix - i * 8;     /* bits of byte i inside the prefix */
        if (keep >= 8)
            net[i] = p->addr[i];
        else if (keep > 0)
            net[i] = p->addr[i] & (uint8_t)(0xff << (8 - keep));
    }
    if (memcmp(net, p->addr, (size_t)bytes) == 0)
        return 0;
    inet_ntop(p->family, net, text, sizeof text);
    return fail(ld, s, "'peer' has host bits set past its /%d prefix: '%s' "
                "(the network is %s/%d)", p->prefix, config_setting_get_string(s), text,
                p->prefix);
}

/* "host", "host:port", "host/bits", "host/bits:port" with an IPv4 host, "*" or "localhost";
 * "[v6]", "[v6]:port", "[v6]/bits", "[v6]/bits:port"; a bare "v6" or "v6/bits" (no port). */
static int parse_inet_peer(struct loader *ld, const config_setting_t *s, struct fl_peer *p)
{
    const char *v = config_setting_get_string(s);
    char t[256], *host = t, *bits = NULL, *port = NULL, *c;
    bool v6 = false;
    long n;

    if (strlen(v) >= sizeof t)
        return fail(ld, s, "'peer' is not a peer: '%s' (write " FL_PEER_FORMS ")", v);
    strcpy(t, v);
    if (t[0] == '[') {                               /* [v6]/bits:port */
        if (!(c = strchr(t, ']')))
            return fail(ld, s, "'peer' is not a peer: '%s' (write " FL_PEER_FORMS ")", v);
        *c++ = '\0';
        host = t + 1, v6 = true;
        if (*c == '/')
            bits = ++c, c += strcspn(c, ":");
        if (*c == ':')
            *c++ = '\0', port = c;
        else if (*c)
            return fail(ld, s, "'peer' is not a peer: '%s' (write " FL_PEER_FORMS ")", v);
    } else if ((c = strchr(t, ':')) && strchr(c + 1, ':')) {   /* bare v6/bits */
        v6 = true;
        if ((c = strchr(t, '/')))
            *c = '\0', bits = c + 1;
    } else {                                         /* v4/bits:port */
        if (c)
            *c = '\0', port = c + 1;
        if ((c = strchr(t, '/')))
            *c = '\0', bits = c + 1;
    }

    if (!v6 && strcmp(host, "*") == 0)
        p->any_host = true;
    else if (!v6 && strcmp(host, "localhost") == 0)
        p->localhost = true;
    else if (inet_pton(v6 ? AF_INET6 : AF_INET, host, p->addr) == 1)
        p->family = v6 ? AF_INET6 : AF_INET, p->prefix = v6 ? 128 : 32;
    else
        return bad_host(ld, s, host, v6);

    if (bits && !p->family)
        return fail(ld, s, "'peer' takes a /prefix only after an IP address: '%s'", v);
    if (bits && (n = number_in(bits, 3, 0, p->prefix)) < 0)
        return fail(ld, s, "'peer' has an invalid prefix: '%s' (%s takes /0 to /%d)", v,
                    v6 ? "IPv6" : "IPv4", p->prefix);
    if (bits)
        p->prefix = (int)n;
    if (p->family && check_host_bits(ld, s, p) < 0)
        return -1;
    if (p->family == AF_INET6 && p->prefix >= 96 &&
        memcmp(p->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
        /* ::ffff:a.b.c.d: the shim sees such a peer as IPv4, so store it as one */
        memmove(p->addr, p->addr + 12, 4);
        memset(p->addr + 4, 0, 12);
        p->family = AF_INET, p->prefix -= 96;
    }
    if (port && (n = number_in(port, 5, 1, 65535)) < 0)
        return fail(ld, s, "'peer' has an invalid port: '%s' (write 1 to 65535, or no port "
                    "for any)", v);
    p->port = port ? (uint16_t)n : 0;
    return 0;
}

static int read_peer(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    const char *v = config_setting_get_string(s);
    struct fl_peer *p = &r->spec->peer;

    if (!v || !*v)
        return fail(ld, s, "'peer' must be a non-empty string such as \"127.0.0.1:5432\", "
                    "\"*:443\", \"10.0.0.0/8\", \"[::1]:80\" or \"unix:/run/x.sock\"");
    free(p->unix_path);
    *p = (struct fl_peer){.kind = FL_PEER_INET};
    r->peer = s;
    if (strncmp(v, "unix:", 5) == 0) {
        if (!v[5])
            return fail(ld, s, "'peer' has no socket path after 'unix:' (write "
                        "\"unix:/run/x.sock\", a glob)");
        p->kind = FL_PEER_UNIX;
        if (!(p->unix_path = strdup(v + 5)))
            return out_of_memory(ld);
    } else if (parse_inet_peer(ld, s, p) < 0) {
        return -1;
    }
    r->spec->has_peer = true;
    return 0;
}

/* ---- rules: actions -------------------------------------------------------------------------- */

/* Record the action key `s`: a rule takes at most one of error partial eof corrupt drop kill. */
static int set_action(struct loader *ld, struct rule_ctx *r, const config_setting_t *s,
                      enum fl_action a)
{
    if (r->act)
        return fail(ld, s, "'%s' and '%s' exclude each other: delay combines with one of them, "
                    "the others with nothing", config_setting_name(r->act),
                    config_setting_name(s));
    r->act = s;
    r->spec->action = a;
    return 0;
}

static int unknown_error(struct loader *ld, const config_setting_t *s, const char *name)
{
    struct fl_near n;
    char hint[FL_NAME_MAX + 32];

    fl_near_init(&n, name);
    for (int i = 1; i <= FL_ERRNO_MAX; i++)
        if (strerrorname_np(i))
            fl_near_try(&n, strerrorname_np(i));
    for (size_t i = 0; i < FL_COUNT(errno_aliases); i++)
        fl_near_try(&n, errno_aliases[i].name);
    for (size_t i = 0; i < FL_COUNT(eai_names); i++)
        fl_near_try(&n, eai_names[i].name);
    return fail(ld, s, "unknown %s name '%s'%s", strncmp(name, "EAI_", 4) ? "errno" : "EAI",
                name, fl_near_hint(&n, hint, sizeof hint));
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
    return set_action(ld, r, s, FL_ACT_ERROR);
}

/* "N%" with N from 1 to 99, or an integer >= 1 (bytes). */
static int read_partial(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    const char *v = config_setting_get_string(s);
    char text[32], digits[4];
    long long bytes = 0;
    long pct = -1;

    if (!v && !is_int(s))
        return fail(ld, s, "'partial' must be a share such as \"50%%\" or a byte count "
                    "such as 512");
    if (v) {
        size_t len = strlen(v);
        uint64_t sized;
        if (len >= 2 && len <= sizeof digits && v[len - 1] == '%') {
            snprintf(digits, sizeof digits, "%.*s", (int)(len - 1), v);
            pct = number_in(digits, 2, 1, 99);
        } else if (parse_size(v, &sized) == 0) {
            bytes = (long long)sized;
        }
    } else if (!int_in(s, 1, LLONG_MAX, &bytes)) {
        bytes = 0;
    }
    if (pct < 0 && bytes < 1) {
        if (v)
            snprintf(text, sizeof text, "'%.20s%s'", v, strlen(v) > 20 ? "..." : "");
        else
            snprintf(text, sizeof text, "%lld", config_setting_get_int64(s));
        return fail(ld, s, "'partial' is %s: write a share from \"1%%\" to \"99%%\" of what "
                    "was asked, such as \"50%%\", or a byte count >= 1, such as 512 or "
                    "\"4KiB\"", text);
    }
    r->spec->partial_pct = pct > 0 ? (uint32_t)pct : 0;
    r->spec->partial_bytes = pct > 0 ? 0 : (uint64_t)bytes;
    return set_action(ld, r, s, FL_ACT_PARTIAL);
}

/* eof and drop are flags: true, or the key left out. */
static int get_true(struct loader *ld, const config_setting_t *s)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return fail(ld, s, "'%s' must be true", config_setting_name(s));
    if (!config_setting_get_bool(s))
        return fail(ld, s, "'%s' = false injects nothing: omit it", config_setting_name(s));
    return 0;
}

static int read_eof(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    return get_true(ld, s) < 0 ? -1 : set_action(ld, r, s, FL_ACT_EOF);
}

static int read_drop(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    return get_true(ld, s) < 0 ? -1 : set_action(ld, r, s, FL_ACT_DROP);
}

static int read_corrupt(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    long long v;

    if (!int_in(s, 1, FL_CORRUPT_MAX, &v))
        return fail(ld, s, "'corrupt' must be a number of bits to flip from 1 to %d",
                    FL_CORRUPT_MAX);
    r->spec->corrupt_bits = (uint32_t)v;
    return set_action(ld, r, s, FL_ACT_CORRUPT);
}

int fl_signal_by_name(const char *name)
{
    const char *bare = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;

    for (int i = 1; i < NSIG; i++)
        if (sigabbrev_np(i) && strcmp(sigabbrev_np(i), bare) == 0)
            return i;
    for (size_t i = 0; i < FL_COUNT(signal_aliases); i++)
        if (strcmp(signal_aliases[i].name, bare) == 0)
            return signal_aliases[i].value;
    return 0;
}

const char *fl_signal_hint(const char *name, char *buf, size_t size)
{
    bool sig = strncasecmp(name, "SIG", 3) == 0;
    struct fl_near n;

    fl_near_init(&n, sig ? name + 3 : name);
    for (int i = 1; i < NSIG; i++)
        if (sigabbrev_np(i))
            fl_near_try(&n, sigabbrev_np(i));
    for (size_t i = 0; i < FL_COUNT(signal_aliases); i++)
        fl_near_try(&n, signal_aliases[i].name);
    if (!*fl_near_hint(&n, buf, size))
        return "";
    snprintf(buf, size, " (did you mean '%s%s'?)", sig ? "SIG" : "", n.best); /* as written */
    return buf;
}

static int unknown_signal(struct loader *ld, const config_setting_t *s, const char *name)
{
    char hint[FL_NAME_MAX + 32];

    return fail(ld, s, "unknown signal name '%s'%s", name, fl_signal_hint(name, hint, sizeof hint));
}

static int read_kill(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    const char *v = config_setting_get_string(s);
    int sig;

    if (!v)
        return fail(ld, s, "'kill' must be a signal name such as \"SIGKILL\" or \"KILL\"");
    if (!(sig = fl_signal_by_name(v)))
        return unknown_signal(ld, s, v);
    r->spec->kill_signal = sig;
    return set_action(ld, r, s, FL_ACT_KILL);
}

static int read_power_loss(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    if (get_true(ld, s) < 0)
        return -1;
    note_needs_durable(ld, s, "'power_loss'");
    return set_action(ld, r, s, FL_ACT_POWER_LOSS);
}

static int unknown_rule_key(struct loader *ld, const config_setting_t *s)
{
    const char *key = config_setting_name(s);
    struct fl_near n;
    char hint[FL_NAME_MAX + 32];

    if (is_global_key(key))
        return fail(ld, s, "'%s' is a global key: put it outside 'rules'", key);
    fl_near_init(&n, key);
    for (size_t i = 0; i < FL_COUNT(rule_keys); i++)
        fl_near_try(&n, rule_keys[i].key);
    return fail(ld, s, "unknown key '%s'%s", key, fl_near_hint(&n, hint, sizeof hint));
}

static int read_rule_key(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    for (size_t i = 0; i < FL_COUNT(rule_keys); i++)
        if (strcmp(rule_keys[i].key, config_setting_name(s)) == 0)
            return rule_keys[i].read(ld, r, s);
    return unknown_rule_key(ld, s);
}

/* ---- rules: what fits which call ------------------------------------------------------------- */

/* What a call shows a rule besides its name, so which matchers can test it:
 *   FL_HAS_PATH  the path it opens (open openat creat fopen freopen) or names (rename link
 *                symlink unlink mkdir rmdir truncate), or the one its fd was opened with (every
 *                call on one fd);
 *   FL_HAS_PEER  the peer of the socket its fd is: calls on one fd, not those that open a path;
 *   FL_HAS_SIZE  the bytes asked (@read, @write) or allocated (@mem).
 * socket, msync, sync, poll, ppoll, select, pselect and the @dns calls act on no one fd: none.
 * ftruncate, fallocate, posix_fallocate, getline and fscanf ask for no byte count.
 * epoll_wait and epoll_pwait act on the epoll fd. The action masks are in calls.def. */
enum { FL_HAS_PATH = 1u << 0, FL_HAS_PEER = 1u << 1, FL_HAS_SIZE = 1u << 2 };

static unsigned call_has(int id)
{
    unsigned cls = fl_calls[id].classes;

    switch (id) {
    case FL_CALL_open: case FL_CALL_openat: case FL_CALL_creat: case FL_CALL_fopen:
    case FL_CALL_freopen: case FL_CALL_rename: case FL_CALL_link: case FL_CALL_symlink:
    case FL_CALL_unlink: case FL_CALL_mkdir: case FL_CALL_rmdir: case FL_CALL_truncate:
        return FL_HAS_PATH;
    case FL_CALL_ftruncate: case FL_CALL_fallocate: case FL_CALL_posix_fallocate:
    case FL_CALL_getline: case FL_CALL_fscanf:         /* one fd, no byte count asked */
        return FL_HAS_PATH | FL_HAS_PEER;
    case FL_CALL_socket: case FL_CALL_msync: case FL_CALL_sync:
        return 0;
    case FL_CALL_epoll_wait: case FL_CALL_epoll_pwait:
        return FL_HAS_PATH | FL_HAS_PEER;
    }
    if (cls & (FL_CLASS_DNS | FL_CLASS_WAIT))          /* getaddrinfo is in @net too */
        return 0;
    if (cls & FL_CLASS_MEM)
        return FL_HAS_SIZE;
    if (cls & (FL_CLASS_READ | FL_CLASS_WRITE))
        return FL_HAS_PATH | FL_HAS_PEER | FL_HAS_SIZE;
    return FL_HAS_PATH | FL_HAS_PEER;                  /* close fdopen @net @sync: one fd */
}

/* NULL when the rule fits call `id`, else what the call cannot do: "take 'partial'", "fail
 * with X", "be matched by 'path'"; *why says why, for a message about the call named alone. */
static const char *misfit(const struct rule_ctx *r, int id, char *buf, size_t size,
                          const char **why)
{
    const struct fl_rule_spec *spec = r->spec;
    const struct fl_call_info *c = &fl_calls[id];
    unsigned has = call_has(id);

    *why = "";
    if (r->act && !(c->actions & (1u << spec->action))) {
        snprintf(buf, size, "take '%s'", fl_action_name(spec->action));
        return buf;
    }
    if (spec->delay_ns && !(c->actions & FL_ACT(DELAY)))
        return "take 'delay'";
    if (spec->error < 0 && c->errors == FL_ERR_ERRNO) {
        *why = " (EAI_* errors fit only the resolver calls, @dns)";
        snprintf(buf, size, "fail with %s", fl_error_name(spec->error));
        return buf;
    }
    if (r->path && !(has & FL_HAS_PATH)) {
        *why = " (it has neither a path nor a fd)";
        return "be matched by 'path'";
    }
    if (r->peer && !(has & FL_HAS_PEER)) {
        *why = " (only calls on a fd have a peer)";
        return "be matched by 'peer'";
    }
    if ((r->min_size || r->max_size) && !(has & FL_HAS_SIZE)) {
        *why = " (only @read, @write and @mem calls have a size)";
        return r->min_size ? "be matched by 'min_size'" : "be matched by 'max_size'";
    }
    if (r->after_bytes && !(has & FL_HAS_SIZE)) {
        *why = " (only @read, @write and @mem calls move bytes)";
        return "count bytes for 'after_bytes'";
    }
    return NULL;
}

static void set_call(struct fl_rule_spec *spec, int id)
{
    spec->calls[id / 64] |= 1ull << (id % 64);
}

/* Add the calls of class `cls` that the rule fits (its actions and its matchers); -1 when none
 * does. */
static int add_class(struct loader *ld, struct rule_ctx *r, const config_setting_t *at,
                     const char *cls)
{
    unsigned bit = fl_class_by_name(cls);
    const char *what = NULL, *why;
    char buf[64], first[64];
    bool any = false;

    for (int id = 0; id < FL_CALL_COUNT; id++) {
        if (!(fl_calls[id].classes & bit))
            continue;
        const char *w = misfit(r, id, buf, sizeof buf, &why);
        if (!w)
            set_call(r->spec, id), any = true;
        else if (!what)
            snprintf(first, sizeof first, "%s", w), what = first;
    }
    return any ? 0 : fail(ld, at, "no call in '%s' can %s", cls, what ? what : "be matched");
}

static int add_calls(struct loader *ld, struct rule_ctx *r, const config_setting_t *s)
{
    char buf[64];

    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_get_string(e), *what, *why;
        int id = fl_call_by_name(v);
        if (id < 0) {
            if (add_class(ld, r, e, v) < 0)
                return -1;
        } else if ((what = misfit(r, id, buf, sizeof buf, &why))) {
            return fail(ld, e, "call '%s' cannot %s%s", v, what, why);
        } else {
            set_call(r->spec, id);
        }
    }
    return 0;
}

/* What only the whole rule can tell: calls given, jitter with delay, sizes in order, a peer on
 * a socket, something injected, and calls it fits. */
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
    if (spec->min_size > spec->max_size)
        return fail(ld, r->min_size, "'min_size' (%llu) must not exceed 'max_size' (%llu)",
                    (unsigned long long)spec->min_size, (unsigned long long)spec->max_size);
    if (r->peer && spec->fd_kind != FL_FD_ANY && spec->fd_kind != FL_FD_SOCKET)
        return fail(ld, r->peer, "'peer' needs a socket: it cannot match fd = \"%s\"",
                    config_setting_get_string(r->fd));
    if (!r->act && !spec->delay_ns) {
        ld->rule = NULL;
        return fail(ld, group, "rule '%s' injects nothing: give it error, delay, partial, eof, "
                    "corrupt, drop, kill or power_loss", name);
    }
    if (!r->act)
        spec->action = FL_ACT_DELAY;
    return add_calls(ld, r, r->calls);
}

/* ---- rules: the list ------------------------------------------------------------------------- */

static int grow_rules(struct loader *ld)
{
    size_t cap = ld->cap ? ld->cap * 2 : 8;
    struct fl_rule_spec *rules = realloc(ld->cfg.rules, cap * sizeof *rules);
    int *lines;
    bool *own;

    if (!rules)
        return -1;
    ld->cfg.rules = rules;
    if (!(lines = realloc(ld->name_lines, cap * sizeof *lines)))
        return -1;
    ld->name_lines = lines;
    if (!(own = realloc(ld->own_dry_run, cap * sizeof *own)))
        return -1;
    ld->own_dry_run = own;
    ld->cap = cap;
    return 0;
}

/* Append a rule with its defaults; NULL when out of memory. */
static struct fl_rule_spec *new_rule(struct loader *ld, const config_setting_t *group)
{
    const char *file;
    struct fl_rule_spec *spec;

    if (ld->cfg.nrules == ld->cap && grow_rules(ld) < 0)
        return NULL;
    spec = &ld->cfg.rules[ld->cfg.nrules++];
    *spec = (struct fl_rule_spec){.enabled = true, .probability = 1.0, .fd_kind = FL_FD_ANY,
                                  .max_size = UINT64_MAX, .every = 1};
    file = locate(ld, (int)config_setting_source_line(group), &spec->line);
    return (spec->file = strdup(file)) ? spec : NULL;
}

/* ---- rules as text: what `set` edits ---------------------------------------------------------- */

/* A setting's value in libconfig syntax. */
static void add_value(struct fl_text *t, const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT: fl_text_addf(t, "%d", config_setting_get_int(s)); break;
    case CONFIG_TYPE_INT64: fl_text_addf(t, "%lldL", config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: fl_text_addf(t, "%.17g", config_setting_get_float(s)); break;
    case CONFIG_TYPE_BOOL: fl_text_addf(t, "%s", config_setting_get_bool(s) ? "true" : "false"); break;
    case CONFIG_TYPE_STRING:
        fl_text_adds(t, "\"");
        for (const char *c = config_setting_get_string(s); *c; c++) {
            if (*c == '"' || *c == '\\')
                fl_text_adds(t, "\\");
            if ((unsigned char)*c < 0x20)
                fl_text_addf(t, "\\x%02x", (unsigned char)*c);
            else
                fl_text_add(t, c, 1);
        }
        fl_text_adds(t, "\"");
        break;
    default: { /* array, list, group */
        int type = config_setting_type(s);
        fl_text_adds(t, type == CONFIG_TYPE_ARRAY ? "[" : type == CONFIG_TYPE_LIST ? "(" : "{");
        for (int i = 0; i < config_setting_length(s); i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (type == CONFIG_TYPE_GROUP)
                fl_text_addf(t, " %s = ", config_setting_name(e));
            else if (i)
                fl_text_adds(t, ", ");
            add_value(t, e);
            if (type == CONFIG_TYPE_GROUP)
                fl_text_adds(t, ";");
        }
        fl_text_adds(t, type == CONFIG_TYPE_ARRAY ? "]" : type == CONFIG_TYPE_LIST ? ")" : " }");
    }
    }
}

/* The rule's text, its name included even when the file gave none; NULL when out of memory. */
static char *rule_text(const config_setting_t *group, const char *name)
{
    struct fl_text t = {0};
    fl_text_adds(&t, "{ name = \"");
    fl_text_add(&t, name, strlen(name));
    fl_text_adds(&t, "\";");
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *e = config_setting_get_elem(group, (unsigned)i);
        if (strcmp(config_setting_name(e), "name") == 0)
            continue;
        fl_text_addf(&t, " %s = ", config_setting_name(e));
        add_value(&t, e);
        fl_text_adds(&t, ";");
    }
    fl_text_adds(&t, " }");
    if (t.failed) {
        free(t.p);
        return NULL;
    }
    return t.p;
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
    ld->own_dry_run[ld->cfg.nrules - 1] = r.dry_run;
    if (!(r.spec->text = rule_text(group, r.spec->name)))
        return out_of_memory(ld);
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

/* ---- integers past 32 bits ------------------------------------------------------------------- */

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || is_digit(c) || c == '-' || c == '_';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Past the rest of a float ("5", ".5e-3"): digits, dots, exponents. */
static const char *skip_float(const char *p)
{
    while (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E' ||
           ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
        p++;
    return p;
}

/* When p is at a string or a comment as libconfig's scanner reads them (a string with its
 * escapes; # or // to the end of the line; a block comment), the place just past it, its
 * newlines counted into *line; NULL when p is at neither. *open_string is set when a string runs
 * to the end of the text unclosed. */
static const char *skip_string_or_comment(const char *p, int *line, bool *open_string)
{
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            *line += *p == '\n';
        }
        *open_string = !*p;
        return p + (*p == '"');
    }
    if (*p == '#' || (p[0] == '/' && p[1] == '/'))
        return p + strcspn(p, "\n");
    if (p[0] == '/' && p[1] == '*') {
        const char *end = strstr(p + 2, "*/"), *past = end ? end + 2 : p + strlen(p);
        for (; p < past; p++)
            *line += *p == '\n';
        return past;
    }
    return NULL;
}

/* As config.h says. libconfig 1.5 reads an integer written without an L suffix in 32 bits and
 * wraps it silently (seed = 4294967296 was 0, max_size = 10000000000 was 1410065408), as every
 * version does a hex one past 0x7fffffff; later versions promote decimal ones to 64 bits. The
 * scan skips what libconfig's scanner does not read as a number: strings, comments and names. */
int fl_config_widen_integers(const char *text, char **out, int *unclosed, int *bad_line,
                             char *why, size_t cap)
{
    struct fl_text t = {0};
    const char *p = text, *done = text;
    int line = 1;

    *out = NULL;
    *unclosed = 0;
    while (*p) {
        const char *past;
        int first = line;
        bool open_string = false;
        if ((past = skip_string_or_comment(p, &line, &open_string))) {
            if (open_string)
                *unclosed = first;
            p = past;
        } else if (is_name_start(*p)) {
            while (is_name_char(*p))
                p++;
        } else if (*p == '.' && is_digit(p[1])) {          /* a float such as .5e10 */
            p = skip_float(p + 1);
        } else if (is_digit(*p) || ((*p == '-' || *p == '+') && is_digit(p[1]))) {
            const char *start = p;
            bool hex = false, wide;
            if (*p == '-' || *p == '+')
                p++;
            if (p == start && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2])) {
                hex = true;
                for (p += 2; is_hex(*p); p++)
                    ;
            } else {
                while (is_digit(*p))
                    p++;
                if (*p == '.' || ((*p == 'e' || *p == 'E') &&
                                  (is_digit(p[1]) || ((p[1] == '-' || p[1] == '+') &&
                                                      is_digit(p[2]))))) {
                    p = skip_float(p);                     /* a float: as it is */
                    continue;
                }
            }
            wide = *p == 'L';
            errno = 0;
            unsigned long long u = hex ? strtoull(start, NULL, 16) : 0;
            long long v = hex ? 0 : strtoll(start, NULL, 10);
            if (errno == ERANGE || (hex && u > LLONG_MAX)) {
                free(t.p);
                *bad_line = line;
                snprintf(why, cap, "integer %.*s does not fit in 64 bits (%lld to %lld)",
                         (int)(p - start), start, LLONG_MIN, LLONG_MAX);
                return -1;
            }
            if (!wide && (hex ? u > INT_MAX : v > INT_MAX || v < INT_MIN)) {
                fl_text_add(&t, done, (size_t)(p - done));
                fl_text_adds(&t, "L");
                done = p;
            }
        } else {
            line += *p == '\n';
            p++;
        }
    }
    if (done == text)
        return 0;
    fl_text_adds(&t, done);
    if (t.failed) {
        free(t.p);
        *bad_line = 0;
        snprintf(why, cap, "out of memory");
        return -1;
    }
    *out = t.p;
    return 0;
}

/* fl_config_widen_integers, its message written for the loader. */
static int promote_integers(struct loader *ld, const char *text, char **out, int *unclosed)
{
    char why[160];
    int bad_line;

    if (fl_config_widen_integers(text, out, unclosed, &bad_line, why, sizeof why) == 0)
        return 0;
    return bad_line ? fail_at(ld, bad_line, "%s", why) : out_of_memory(ld);
}

/* ---- @include -------------------------------------------------------------------------------- */

/* @include is expanded here, before libconfig sees the text, so that libconfig's scanner never
 * opens a file itself: it would block on a FIFO, read /dev/zero until memory runs out, and call
 * exit(2) on a directory (libconfig 1.5 has no hook to open included files for it). Each file
 * is read with fl_read_file, as the config file is: a regular file of at most FL_CONFIG_MAX
 * bytes. The directive is found as libconfig's scanner finds it: at the start of a line after
 * blanks, outside strings and comments, `@include "FILE"` with \" for a quote in FILE; the rest
 * of its line is read after the file's text. A relative FILE is relative to the directory of
 * the config file (for FAULTLINE_RULES, the working directory), at any depth of nesting, as
 * libconfig's include directory is. Messages name the file and line each text came from. */

/* The expanded text so far, and the line it is at. */
static void put(struct loader *ld, struct fl_text *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ld->out_lines += s[i] == '\n';
    fl_text_add(out, s, n);
}

/* From the expanded text's current line on, the text is `file`'s from its line `file_line`. */
static int add_segment(struct loader *ld, const char *file, int file_line)
{
    struct segment *more;

    if (ld->nsegs && ld->segs[ld->nsegs - 1].line == ld->out_lines)
        ld->nsegs--;   /* nothing came from the previous one */
    if (ld->nsegs == ld->segcap) {
        size_t cap = ld->segcap ? ld->segcap * 2 : 8;
        if (!(more = realloc(ld->segs, cap * sizeof *more)))
            return out_of_memory(ld);
        ld->segs = more, ld->segcap = cap;
    }
    ld->segs[ld->nsegs++] = (struct segment){ld->out_lines, file, file_line};
    return 0;
}

static void forget_segments(struct loader *ld)
{
    for (size_t i = 0; i < ld->nincnames; i++)
        free(ld->incnames[i]);
    free(ld->incnames);
    free(ld->segs);
    ld->incnames = NULL, ld->segs = NULL;
    ld->nincnames = ld->nsegs = ld->segcap = 0;
}

/* A text with a NUL byte is no config: the message names `name` and the NUL's line. */
static int refuse_nul(struct loader *ld, const char *name, const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    int line = 1;

    if (!nul)
        return 0;
    for (const char *c = text; c < nul; c++)
        line += *c == '\n';
    return fail_line(ld, name, line, "the config has a NUL byte: it is not a text file");
}

/* When `p` (at the start of a line) is an @include line, its file name (malloc'd, \" read as
 * a quote) in *path and where the line goes on in *rest; 0 when it is none, -1 with the
 * message written when it is one but malformed. */
static int include_line(struct loader *ld, const char *name, int line, const char *p,
                        char **path, const char **rest)
{
    struct fl_text t = {0};

    *path = NULL;
    p += strspn(p, " \t");
    if (strncmp(p, "@include", 8) != 0)
        return 0;
    p += 8;
    if (!strchr(" \t", *p) || !*p || p[strspn(p, " \t")] != '"')
        return fail_line(ld, name, line, "@include must be followed by a file name in double "
                         "quotes: @include \"rules.conf\"");
    p += strspn(p, " \t") + 1;
    fl_text_adds(&t, "");
    for (; *p && *p != '"' && *p != '\n'; p++) {
        if (p[0] == '\\' && p[1] == '"')
            p++;
        fl_text_add(&t, p, 1);
    }
    if (*p != '"') {
        free(t.p);
        return fail_line(ld, name, line, "@include: the file name is never closed (a '\"' "
                         "is missing)");
    }
    if (t.failed) {
        free(t.p);
        return out_of_memory(ld);
    }
    *path = t.p;
    *rest = p + 1;
    return 1;
}

static int expand(struct loader *ld, const char *text, const char *name, int depth,
                  struct fl_text *out);

/* Put the text of the file an @include on line `line` of `name` gives as `path`. */
static int include_file(struct loader *ld, const char *name, int line, const char *path,
                        int depth, struct fl_text *out)
{
    char why[256], *inc, *text, **more;
    size_t len;
    int rc;

    if (ld->no_include)
        return fail_line(ld, name, line, "@include is not allowed here");
    if (depth >= FL_INCLUDE_MAX)
        return fail_line(ld, name, line, "@include nested more than %d deep (does a file "
                         "include itself?)", FL_INCLUDE_MAX);
    if (path[0] != '/' && ld->incdir) {
        size_t n = strlen(ld->incdir) + strlen(path) + 2;
        if ((inc = malloc(n)))
            snprintf(inc, n, "%s/%s", ld->incdir, path);
    } else {
        inc = strdup(path);
    }
    if (!inc || !(more = realloc(ld->incnames, (ld->nincnames + 1) * sizeof *more))) {
        free(inc);
        return out_of_memory(ld);
    }
    ld->incnames = more;
    ld->incnames[ld->nincnames++] = inc;
    if (fl_read_file(inc, FL_CONFIG_MAX, &text, &len, why, sizeof why) < 0)
        return fail_line(ld, name, line, "cannot read include file '%s': %s", path, why);
    if (refuse_nul(ld, inc, text, len) < 0) {
        free(text);
        return -1;
    }
    rc = expand(ld, text, inc, depth + 1, out);
    free(text);
    if (rc == 0 && out->len && out->p[out->len - 1] != '\n')
        put(ld, out, "\n", 1);   /* the including line goes on on a line of its own */
    return rc < 0 ? -1 : add_segment(ld, name, line);
}

/* Put `text`, the text of `name`, in *out with each @include line replaced by its file's text. */
static int expand(struct loader *ld, const char *text, const char *name, int depth,
                  struct fl_text *out)
{
    const char *p = text, *done = text, *rest = NULL;
    bool line_start = true;
    int line = 1, rc;
    char *path;

    if (add_segment(ld, name, 1) < 0)
        return -1;
    while (*p) {
        if (line_start && (rc = include_line(ld, name, line, p, &path, &rest)) != 0) {
            if (rc < 0)
                return -1;
            put(ld, out, done, (size_t)(p - done));
            rc = include_file(ld, name, line, path, depth, out);
            free(path);
            if (rc < 0)
                return -1;
            if (out->len > FL_CONFIG_MAX)
                return fail_line(ld, ld->src, 0, "with the files it includes, the config is "
                                 "larger than %u bytes, the most it may hold", FL_CONFIG_MAX);
            p = done = rest;
        }
        line_start = false;
        bool open_string = false;
        const char *past = skip_string_or_comment(p, &line, &open_string);
        if (past) {
            p = past;
        } else if (*p) {
            line_start = *p == '\n';
            line += line_start;
            p++;
        }
    }
    put(ld, out, done, (size_t)(p - done));
    return out->failed ? out_of_memory(ld) : 0;
}

/* libconfig is loaded privately (libconfig_private.h), when a config is first read. */
static int load_libconfig(struct loader *ld)
{
    char why[sizeof ld->diag->text];

    if (fl_libconfig_open(why, sizeof why) == 0)
        return 0;
    return fail_line(ld, ld->src, 0, "%s", why);
}

/* Parse `text` with libconfig, then read the settings; `file`: it is a config file's text. */
static int read_source(struct loader *ld, const char *text, bool file)
{
    config_t lc;
    struct fl_text all = {0};
    char *wide = NULL;
    int rc, unclosed;

    ld->out_lines = 1;
    if (load_libconfig(ld) < 0)
        return -1;
    if (expand(ld, text, ld->src, 0, &all) < 0) {
        forget_segments(ld);
        free(all.p);
        return -1;
    }
    text = all.p ? all.p : "";
    if (promote_integers(ld, text, &wide, &unclosed) < 0) {
        forget_segments(ld);
        free(all.p);
        return -1;
    }
    config_init(&lc);
    config_set_auto_convert(&lc, 0);
    if (!config_read_string(&lc, wide ? wide : text))
        rc = syntax_error(ld, &lc, unclosed);
    else if (file && config_setting_length(config_root_setting(&lc)) == 0)
        /* an empty file (or only comments) is more likely the wrong file than a wish for no
         * faults: a fault-injection run that injects nothing must not pass unnoticed */
        rc = fail_line(ld, ld->src, 0, "the config file is empty (no settings): write "
                       "rules = ( { ... } ), or rules = () for none");
    else
        rc = read_root(ld, &lc);
    config_destroy(&lc);
    forget_segments(ld);
    free(wide);
    free(all.p);
    return rc;
}

/* Read the config file `path` whole (libconfig scans a string in one pass, where from a FILE
 * its scanner starts a token again at every 8 KiB refill: a 10 MB line took a minute), checked
 * as every file the reader opens is (fl_read_file), and then its settings. */
static int read_file(struct loader *ld, const char *path)
{
    char dir[PATH_MAX], why[256];
    const char *slash = strrchr(path, '/');
    char *text;
    size_t len;
    int rc;

    ld->src = path;
    if (fl_read_file(path, FL_CONFIG_MAX, &text, &len, why, sizeof why) < 0)
        return fail_line(ld, path, 0, "cannot read config: %s", why);
    if (refuse_nul(ld, path, text, len) < 0) {
        free(text);
        return -1;
    }
    if (slash) {   /* @include is relative to the config file's directory */
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        ld->incdir = dir;
    }
    rc = read_source(ld, text, true);
    ld->incdir = NULL;
    free(text);
    return rc;
}

static int read_inline(struct loader *ld, const char *text)
{
    ld->src = FL_INLINE_NAME;
    return read_source(ld, text, false);
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
    else if (ld.needs_durable.text[0] && !ld.cfg.ndurable) {
        *diag = ld.needs_durable;
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < ld.cfg.nrules; i++)   /* the global, once it is final */
        if (!ld.own_dry_run[i])
            ld.cfg.rules[i].dry_run = ld.cfg.dry_run;
    free(ld.name_lines);
    free(ld.own_dry_run);
    forget_names(&ld);
    if (rc < 0)
        fl_config_free(&ld.cfg);
    *cfg = ld.cfg;
    errno = saved;
    return rc;
}

void fl_rule_spec_free(struct fl_rule_spec *spec)
{
    free(spec->name);
    free(spec->file);
    free(spec->text);
    free(spec->path);
    free(spec->peer.unix_path);
    memset(spec, 0, sizeof *spec);
}

void fl_config_free(struct fl_config *cfg)
{
    for (size_t i = 0; i < cfg->nrules; i++)
        fl_rule_spec_free(&cfg->rules[i]);
    free(cfg->rules);
    free_strings(cfg->programs, cfg->nprograms);
    free_strings(cfg->durable, cfg->ndurable);
    free(cfg->log);
    free(cfg->source);
    memset(cfg, 0, sizeof *cfg);
}

/* The keys that choose the action: setting one replaces the rule's action. */
static bool is_action_key(const char *key)
{
    static const char *const keys[] = {"error",     "partial", "eof",       "corrupt",
                                       "drop",      "kill",    "power_loss"};
    for (size_t i = 0; i < FL_COUNT(keys); i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

/* Whether a `set` value is one bare word that libconfig would not read unquoted: letters,
 * digits and . _ - : % / * +, not a number or a boolean already. */
static bool bare_word(const char *v)
{
    if (!*v || strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
        return false;
    for (const char *p = v; *p; p++)
        if (!(is_digit(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              strchr("._-:%/*+", *p)))
            return false;
    return true;
}

int fl_config_set_key(const char *rule_text_in, const char *key, const char *value,
                      struct fl_rule_spec *out, struct fl_diag *diag)
{
    config_t lc;
    struct fl_text t = {0};
    struct fl_config cfg;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (strcmp(key, "name") == 0) {
        snprintf(diag->text, sizeof diag->text, "set: a rule's name cannot change");
        return -1;
    }
    char why[sizeof diag->text - 8];
    if (fl_libconfig_open(why, sizeof why) < 0) {
        snprintf(diag->text, sizeof diag->text, "set: %s", why);
        return -1;
    }
    config_init(&lc);
    fl_text_adds(&t, "r = ");
    fl_text_add(&t, rule_text_in, strlen(rule_text_in));
    fl_text_adds(&t, ";");
    if (t.failed || config_read_string(&lc, t.p) != CONFIG_TRUE) {
        snprintf(diag->text, sizeof diag->text, "set: the rule's text does not read back");
        goto done;
    }
    const config_setting_t *group = config_lookup(&lc, "r");
    t.len = 0;
    fl_text_adds(&t, "rules = ( {");
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *e = config_setting_get_elem(group, (unsigned)i);
        const char *k = config_setting_name(e);
        if (strcmp(k, key) == 0 || (is_action_key(key) && is_action_key(k)))
            continue;
        fl_text_addf(&t, " %s = ", k);
        add_value(&t, e);
        fl_text_adds(&t, ";");
    }
    fl_text_addf(&t, " %s = ", key);
    size_t value_at = t.len;
    fl_text_add(&t, value, strlen(value));
    fl_text_adds(&t, "; } );");
    if (t.failed) {
        snprintf(diag->text, sizeof diag->text, "set: out of memory");
        goto done;
    }
    /* A bare word (error=EIO, delay=200ms, min_size=1MB) is a string: when the value does not
     * read as written, it is read again quoted. */
    bool quoted = false;
    struct loader ld;
    for (;;) {
        ld = (struct loader){.cfg = {.children = true}, .diag = diag, .no_include = true};
        ld.src = "set";
        diag->text[0] = '\0';
        if (read_source(&ld, t.p, false) == 0 && ld.cfg.nrules == 1)
            break;
        if (quoted || !bare_word(value))
            break;
        free(ld.name_lines);
        free(ld.own_dry_run);
        forget_names(&ld);
        fl_config_free(&ld.cfg);
        quoted = true;
        t.len = value_at;
        fl_text_addf(&t, "\"%s\"; } );", value);
        if (t.failed) {
            snprintf(diag->text, sizeof diag->text, "set: out of memory");
            goto done;
        }
    }
    if (ld.cfg.nrules == 1 && diag->text[0] == '\0') {
        cfg = ld.cfg;
        *out = cfg.rules[0];
        memset(&cfg.rules[0], 0, sizeof cfg.rules[0]);
        /* what was understood, for the reply */
        snprintf(diag->text, sizeof diag->text, "%s = %s%s%s", key, quoted ? "\"" : "", value,
                 quoted ? "\"" : "");
        rc = 0;
    } else if (ld.cfg.nrules != 1 && diag->text[0] == '\0') {
        snprintf(diag->text, sizeof diag->text, "set: '%s' is not a rule key", key);
    }
    free(ld.name_lines);
    free(ld.own_dry_run);
    forget_names(&ld);
    fl_config_free(&ld.cfg);
done:
    free(t.p);
    config_destroy(&lc);
    return rc;
}
