/* Start-up, environment, fork and exit. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "durable.h"
#include "epoch.h"
#include "events.h"
#include "fdtable.h"
#include "hint.h"
#include "interpose.h"
#include "rules.h"

static struct {
    bool active;         /* the shim initialised and holds a config */
    bool summary;
    uint64_t seed;
    uint64_t forks;      /* children forked so far: the next child's seed derives from it */
    char *source;        /* config file path, or NULL */
    char *inline_text;   /* FAULTLINE_RULES as it was at start: what reload reads again */
    bool control;        /* the control socket is served */
} state;

extern char **environ;

/* A seed when none is given: 31 bits, so that it can be written back into a config as is. */
static uint64_t random_seed(void)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
        r = (uint32_t)getpid() ^ (uint32_t)(uintptr_t)&r;
    return r & 0x7fffffff;
}

/* Remove this library's own entry, and only it, from LD_PRELOAD in environ, so that exec'd
 * children run without the shim. */
static void drop_from_ld_preload(void)
{
    Dl_info info;
    char *value = getenv("LD_PRELOAD");
    if (!value || !dladdr((void *)drop_from_ld_preload, &info) || !info.dli_fname)
        return;
    const char *self = strrchr(info.dli_fname, '/');
    self = self ? self + 1 : info.dli_fname;
    char *out = malloc(strlen(value) + 1), *save = NULL;
    char *copy = strdup(value);
    if (!out || !copy)
        goto done;
    out[0] = '\0';
    for (char *tok = strtok_r(copy, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
        const char *base = strrchr(tok, '/');
        if (strcmp(base ? base + 1 : tok, self) == 0)
            continue;
        if (out[0])
            strcat(out, ":");
        strcat(out, tok);
    }
    if (out[0])
        setenv("LD_PRELOAD", out, 1);
    else
        unsetenv("LD_PRELOAD");
done:
    free(out);
    free(copy);
}

/* Whether this program is one the config's `programs` globs name (no globs: every program). */
static bool program_wanted(const struct fl_config *cfg)
{
    if (!cfg->nprograms)
        return true;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
    for (size_t i = 0; i < cfg->nprograms; i++)
        if (fnmatch(cfg->programs[i], base, 0) == 0 ||
            fnmatch(cfg->programs[i], program_invocation_short_name, 0) == 0)
            return true;
    return false;
}

/* Parse FAULTLINE_SEED; false when it is not a non-negative integer. */
static bool parse_seed(const char *text, uint64_t *seed)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-')
        return false;
    *seed = v;
    return true;
}

static bool strict_mode(void)
{
    const char *s = secure_getenv("FAULTLINE_STRICT");
    return !s || strcmp(s, "0") != 0;
}

/* A bad configuration: exit 2 before main (strict), or run with no faults. */
static void refuse(const char *msg)
{
    fl_say(msg);
    if (strict_mode())
        _exit(2);
    fl_say("FAULTLINE_STRICT=0: running with no faults");
}

/* Fork takes no lock of the shim's that its thread may hold (a signal handler may fork while
 * its thread holds one): the fd table is lock-free, the rules lock starts free in the child,
 * read sections are counted again from the forking thread's own; durability tracking's lock is
 * taken only when another thread holds it (durable.h). */
static void atfork_prepare(void)
{
    state.forks++;
    fl_durable_atfork_prepare();
}

static void atfork_parent(void)
{
    fl_durable_atfork_parent();
}

static void atfork_child(void)
{
    /* The shim's own work in the child (a per-pid log, the control socket) never meets the
     * program's rules: a fork from inside the shim is already guarded. */
    int outer = fl_guard;
    fl_guard = 1;
    fl_durable_atfork_child(); /* first: the child's writes are tracked from its first */
    fl_epoch_atfork_child();
    state.seed = fl_child_seed(state.seed, state.forks);
    state.forks = 0;
    fl_rules_atfork_child(state.seed);
    fl_hint_atfork_child();
    fl_events_atfork_child(state.seed, state.source, fl_rules_current()->nrules);
    if (state.control)
        fl_control_atfork_child(); /* last: a thread of its own, once all is reset */
    fl_guard = outer;
}

/* Read the environment and the config, and arm the rules. Leaves the shim inert on error. */
/* Export a relative path of the environment variable `name` made absolute against the working
 * directory now, so that every process of the run (a child that changed directory included)
 * reads or writes the same file. This process goes on with `value` as given: the same file,
 * and its messages name it as the user wrote it. */
static const char *absolute_for_children(const char *name, const char *value)
{
    char abs[PATH_MAX];
    if (value && *value && value[0] != '/' && strcmp(value, "stderr") != 0 &&
        fl_path_absolute(AT_FDCWD, value, abs, sizeof abs))
        setenv(name, abs, 1);
    return value;
}

/* Durability tracking, for a config with `durable`: only under faultline run, which keeps the
 * journal and rolls the files back after a power loss. Returns -1 after refusing the config. */
static int start_durable(const struct fl_config *cfg)
{
    const char *journal = secure_getenv("FAULTLINE_JOURNAL");
    char why[PATH_MAX + 300];
    if (!journal || !*journal) {
        refuse("durable: tracking needs faultline run, which keeps the journal and rolls the "
               "files back after a power loss (faultline run -c CONFIG -- PROGRAM)");
        return -1;
    }
    if (fl_durable_start(cfg->durable, cfg->ndurable, journal, why, sizeof why) != 0) {
        refuse(why);
        return -1;
    }
    return 0;
}

static void load(void)
{
    const char *path = absolute_for_children("FAULTLINE_CONFIG", secure_getenv("FAULTLINE_CONFIG"));
    const char *inline_text = secure_getenv("FAULTLINE_RULES");
    const char *seed_text = secure_getenv("FAULTLINE_SEED");
    const char *log = absolute_for_children("FAULTLINE_LOG", secure_getenv("FAULTLINE_LOG"));
    if (path && !*path)
        path = NULL;
    if (inline_text && !*inline_text)
        inline_text = NULL;
    if (!path && !inline_text)
        return;

    struct fl_config cfg;
    struct fl_diag diag;
    if (fl_config_load(&cfg, path, inline_text, &diag) != 0) {
        refuse(diag.text);
        return;
    }
    uint64_t seed = cfg.has_seed ? cfg.seed : random_seed();
    if (seed_text && *seed_text && !parse_seed(seed_text, &seed)) {
        char msg[200];
        snprintf(msg, sizeof msg, "FAULTLINE_SEED: '%.40s' is not a non-negative integer",
                 seed_text);
        refuse(msg);
        fl_config_free(&cfg);
        return;
    }
    if (log && *log) {
        free(cfg.log);
        cfg.log = strdup(log);
    } else if (cfg.log && cfg.log[0] != '/' && strcmp(cfg.log, "stderr") != 0) {
        /* a relative log of the config's: the same file for every process of the run */
        absolute_for_children("FAULTLINE_LOG", cfg.log);
    }
    bool wanted = program_wanted(&cfg);
    if (!wanted)
        cfg.summary = false; /* no rule can act here: no table either */
    /* A copy of stderr only for what needs one: any fd the shim holds is visible to the
     * program (/proc/self/fd, a child's pass_fds check). */
    if (cfg.summary || cfg.control || (cfg.log && strcmp(cfg.log, "stderr") == 0))
        fl_events_hold_stderr();
    char why[PATH_MAX + 100];
    if (cfg.log && fl_events_open(cfg.log, why, sizeof why) != 0) {
        refuse(why);
        fl_config_free(&cfg);
        return;
    }
    if (!cfg.children)
        drop_from_ld_preload();
    if (cfg.ndurable > 0 && start_durable(&cfg) != 0) {
        fl_config_free(&cfg);
        return;
    }

    state.seed = seed;
    state.summary = cfg.summary;
    state.control = cfg.control;
    state.source = cfg.source ? strdup(cfg.source) : NULL;
    struct fl_ruleset *rs = fl_ruleset_new(&cfg, seed);
    size_t nrules = rs ? rs->nrules : 0;
    for (size_t i = 0; rs && !wanted && i < nrules; i++)
        rs->rules[i].armed = false; /* another program: every rule stays dormant */
    fl_config_free(&cfg);
    if (!rs) {
        refuse("out of memory loading the config");
        return;
    }
    state.inline_text = inline_text ? strdup(inline_text) : NULL;
    fl_events_start(seed, state.source, nrules, NULL);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    state.active = true;
    fl_rules_publish(rs);
    fl_hint_watch(rs);
    if (state.control && fl_control_start() != 0) { /* it said why */
        if (strict_mode())
            _exit(2);
        fl_say("FAULTLINE_STRICT=0: running without a control socket");
    }
}

int fl_reload(struct fl_diag *diag)
{
    struct fl_config cfg;
    if (!state.active) {
        snprintf(diag->text, sizeof diag->text, "nothing was loaded at start");
        return -1;
    }
    if (fl_config_load(&cfg, state.source, state.inline_text, diag) != 0)
        return -1;
    bool wanted = program_wanted(&cfg);
    struct fl_ruleset *rs = fl_ruleset_new(&cfg, state.seed);
    fl_config_free(&cfg);
    if (!rs) {
        snprintf(diag->text, sizeof diag->text, "out of memory");
        return -1;
    }
    for (size_t i = 0; !wanted && i < rs->nrules; i++)
        rs->rules[i].armed = false;
    /* The old rules are freed once no call in flight can still be reading them. */
    fl_ruleset_retire(fl_rules_publish(rs));
    fl_hint_watch(rs);
    return 0;
}

__attribute__((constructor)) static void fl_init(void)
{
    if (getauxval(AT_SECURE))
        return; /* setuid/setgid: never act on the environment */
    int saved = errno;
    fl_guard = 1;
    fl_resolve_generated();
    fl_resolve_hand();
    fl_events_keep_stderr();
    load();
    fl_guard = 0;
    errno = saved;
}

__attribute__((destructor)) static void fl_fini(void)
{
    fl_durable_exit(); /* first: the buffered bytes exit flushes after the destructors */
    if (state.control)
        fl_control_stop();
    if (!state.active || !state.summary)
        return;
    int saved = errno;
    fl_guard = 1;
    fl_events_summary();
    fl_guard = 0;
    errno = saved;
}
