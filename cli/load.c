/* The load of a service or live experiment (load.h): the command started again and again, at
 * most `concurrency` executions at once, each one sample. One poll() over the running
 * executions' pidfds drives it all: no threads. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "load.h"
#include "stats.h"

extern char **environ;

/* The shim's settings a command inherits from faultline's own environment would bring rules into
 * a process that must run without them: they are dropped, and set again only through `shim`. */
static const char *const inherited_shim[] = {
    "FAULTLINE_CONFIG=", "FAULTLINE_RULES=", "FAULTLINE_SEED=", "FAULTLINE_LOG=",
};

/* Set the "NAME=VALUE" entry in env[0..*n) (replacing the one of the same NAME), taking a copy.
 * -1 when out of memory. */
static int env_put(char ***env, size_t *n, size_t *cap, const char *entry)
{
    size_t name_len = strcspn(entry, "=");
    char *copy = strdup(entry);

    if (!copy)
        return -1;
    for (size_t i = 0; i < *n; i++)
        if (strncmp((*env)[i], entry, name_len + 1) == 0) {
            free((*env)[i]);
            (*env)[i] = copy;
            return 0;
        }
    if (*n + 2 > *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 64;
        char **grown = realloc(*env, grown_cap * sizeof *grown);
        if (!grown) {
            free(copy);
            return -1;
        }
        *env = grown;
        *cap = grown_cap;
    }
    (*env)[(*n)++] = copy;
    (*env)[*n] = NULL;
    return 0;
}

/* The environment of one run's commands, as load.h says. */
char **fl_load_env(const struct fl_exp_spec *spec, const struct fl_exp_run *run,
                   const char *run_dir, char *const *shim)
{
    char **env = NULL, entry[4200];
    size_t n = 0, cap = 0;
    bool ok = true;

    for (char **e = environ; ok && *e; e++) {
        bool drop = false;
        for (size_t i = 0; i < sizeof inherited_shim / sizeof *inherited_shim; i++)
            drop |= strncmp(*e, inherited_shim[i], strlen(inherited_shim[i])) == 0;
        if (!drop)
            ok = env_put(&env, &n, &cap, *e) == 0;
    }
    for (size_t i = 0; ok && i < spec->nenv; i++)
        ok = env_put(&env, &n, &cap, spec->env[i]) == 0;
    snprintf(entry, sizeof entry, "FAULTLINE_RUN_DIR=%s", run_dir);
    ok = ok && env_put(&env, &n, &cap, entry) == 0;
    snprintf(entry, sizeof entry, "FAULTLINE_RUN=%u", run->index);
    ok = ok && env_put(&env, &n, &cap, entry) == 0;
    snprintf(entry, sizeof entry, "FAULTLINE_GROUP=%s", fl_exp_group_name(run->group));
    ok = ok && env_put(&env, &n, &cap, entry) == 0;
    snprintf(entry, sizeof entry, "FAULTLINE_EXPERIMENT=%s", spec->path ? spec->path : "");
    ok = ok && env_put(&env, &n, &cap, entry) == 0;
    for (char *const *s = shim; ok && s && *s; s++)
        ok = env_put(&env, &n, &cap, *s) == 0;
    if (!ok || !env) {
        fl_load_env_free(env);
        return NULL;
    }
    return env;
}

/* Release an environment fl_load_env made. */
void fl_load_env_free(char **env)
{
    for (char **e = env; e && *e; e++)
        free(*e);
    free(env);
}

/* One execution under way. */
struct execution {
    struct fl_child child;
    double t;                   /* its start, seconds since t0 */
};

/* Append a sample to run->samples; -1 when out of memory. */
static int add_sample(struct fl_exp_run *run, double t, double latency, bool ok)
{
    struct fl_exp_sample *grown = realloc(run->samples, (run->nsamples + 1) * sizeof *grown);

    if (!grown)
        return -1;
    run->samples = grown;
    run->samples[run->nsamples++] = (struct fl_exp_sample){.t = t, .latency = latency, .ok = ok};
    return 0;
}

/* Whether the success rate over the samples that started in the last stop->window_ns fell below
 * stop->success_floor (why[cap] then says so). The rate is judged once the window holds at least
 * ten samples, or the load has run a whole window: one early failure alone is no rate. */
static bool below_floor(const struct fl_exp_spec *spec, const struct fl_exp_run *run, double now,
                        double load_start, char *why, size_t cap)
{
    double window = (double)spec->stop.window_ns / 1e9;
    size_t in = 0, ok = 0;

    if (spec->stop.success_floor < 0 || window <= 0)
        return false;
    for (size_t i = run->nsamples; i-- > 0 && run->samples[i].t >= now - window;) {
        in++;
        ok += run->samples[i].ok;
    }
    if (in == 0 || (in < 10 && now - load_start < window))
        return false;
    if ((double)ok / (double)in >= spec->stop.success_floor)
        return false;
    snprintf(why, cap, "the success rate over the last %g s fell to %.0f%%, below the floor of "
             "%.0f%%", window, 100.0 * (double)ok / (double)in, 100 * spec->stop.success_floor);
    return true;
}

/* Kill every execution still running (they are no samples: the load was stopped). */
static void kill_all(struct execution *running, size_t *nrunning)
{
    struct fl_child_status st;

    for (size_t i = 0; i < *nrunning; i++) {
        fl_child_stop(&running[i].child, SIGKILL, 0, &st);
        fl_child_release(&running[i].child);
    }
    *nrunning = 0;
}

/* Each execution of a faulted load is a process of its own, which would draw the same faults
 * from the same FAULTLINE_SEED: execution k gets fl_stats_run_seed(run->seed, k) instead, in
 * the copy *shim_env of env whose FAULTLINE_SEED entry points at seed_entry. Returns the index
 * of that entry, or -1 when env has none (the load runs without the shim, or out of memory:
 * then every execution gets env as it is). */
static ssize_t seed_slot(char *const *env, char ***shim_env)
{
    size_t n = 0;
    ssize_t slot = -1;

    *shim_env = NULL;
    for (; env && env[n]; n++)
        if (strncmp(env[n], "FAULTLINE_SEED=", 15) == 0)
            slot = (ssize_t)n;
    if (slot < 0 || !(*shim_env = malloc((n + 1) * sizeof **shim_env)))
        return -1;
    memcpy(*shim_env, env, (n + 1) * sizeof **shim_env);
    return slot;
}

/* Run the load as load.h says. */
int fl_load_run(const struct fl_exp_spec *spec, char *const *env, double t0,
                uint64_t duration_ns, struct fl_exp_run *run, fl_load_stop_fn *should_stop,
                void *arg, char *why, size_t cap)
{
    const struct fl_exp_load *load = &spec->load;
    unsigned concurrency = load->concurrency ? load->concurrency : 1;
    uint64_t duration = duration_ns ? duration_ns : load->duration_ns;
    unsigned count = duration_ns ? 0 : load->count;
    double start = fl_child_now() - t0, timeout = (double)load->timeout_ns / 1e9;
    double end = duration ? start + (double)duration / 1e9 : INFINITY;
    struct execution *running = calloc(concurrency, sizeof *running);
    struct pollfd *fds = calloc(concurrency, sizeof *fds);
    struct fl_child_spec cs = {.argv = load->cmd.argv, .env = env, .dir = spec->dir,
                               .out_fd = -1, .err_fd = -1};
    size_t nrunning = 0;
    unsigned started = 0;
    int rc = 0;
    char **seeded_env, seed_entry[48];
    ssize_t seed_at = seed_slot(env, &seeded_env);

    if (seed_at >= 0) {
        seeded_env[seed_at] = seed_entry;
        cs.env = seeded_env;
    }

    if (!running || !fds) {
        snprintf(why, cap, "out of memory");
        rc = -1;
        goto out;
    }
    if (!load->cmd.argv) {
        snprintf(why, cap, "the experiment has no load command");
        rc = -1;
        goto out;
    }
    for (;;) {
        double now = fl_child_now() - t0;
        bool more = count ? started < count : now < end;

        if (should_stop && should_stop(arg, why, cap)) {
            rc = 1;
            break;
        }
        if (below_floor(spec, run, now, start, why, cap)) {
            rc = 1;
            break;
        }
        while (more && nrunning < concurrency) {
            struct execution *e = &running[nrunning];
            snprintf(seed_entry, sizeof seed_entry, "FAULTLINE_SEED=%" PRIu64,
                     fl_stats_run_seed(run->seed, started));
            if (fl_child_start(&cs, &e->child, why, cap) < 0) {
                rc = -1;
                goto out;
            }
            e->t = fl_child_now() - t0;
            nrunning++;
            started++;
            more = count ? started < count : e->t < end;
        }
        if (nrunning == 0)
            break;
        /* wait for an exit, the first execution's timeout, or 100 ms, whichever comes first */
        double wait = 0.1;
        for (size_t i = 0; i < nrunning; i++) {
            fds[i] = (struct pollfd){.fd = running[i].child.pidfd, .events = POLLIN};
            if (timeout > 0)
                wait = fmin(wait, running[i].t + timeout - now);
        }
        if (poll(fds, nrunning, wait <= 0 ? 0 : (int)ceil(wait * 1000)) < 0 && errno != EINTR) {
            snprintf(why, cap, "cannot wait for the load: %s", strerror(errno));
            rc = -1;
            break;
        }
        now = fl_child_now() - t0;
        for (size_t i = 0; i < nrunning;) {
            struct execution *e = &running[i];
            struct fl_child_status st;
            bool late = timeout > 0 && now >= e->t + timeout, ok;
            if (fl_child_wait(&e->child, 0, &st)) {
                ok = st.status == 0 && (timeout <= 0 || st.wall <= timeout);
            } else if (late) {
                fl_child_stop(&e->child, SIGKILL, 0, &st);
                ok = false;
            } else {
                i++;
                continue;
            }
            if (add_sample(run, e->t, st.wall, ok) < 0) {
                snprintf(why, cap, "out of memory");
                rc = -1;
            }
            fl_child_release(&e->child);
            running[i] = running[--nrunning];
        }
        if (rc < 0)
            break;
    }
out:
    if (running)
        kill_all(running, &nrunning);
    free(running);
    free(fds);
    free(seeded_env);
    return rc;
}
