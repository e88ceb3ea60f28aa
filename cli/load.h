/* The load of a service or live experiment: one command run many times, each execution one
 * sample (its latency, and whether it exited 0 within its timeout). */
#ifndef FL_CLI_LOAD_H
#define FL_CLI_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "experiment.h"

/* Checked while the load runs, at least every 100 ms and after each execution: return true to
 * stop it at once, with why[cap] saying why (the service died, a deadline passed). */
typedef bool fl_load_stop_fn(void *arg, char *why, size_t cap);

/* The environment every command of a run gets: the command's own environment, spec->env, and
 * FAULTLINE_RUN_DIR, FAULTLINE_RUN, FAULTLINE_GROUP and FAULTLINE_EXPERIMENT; then `shim`
 * ("NAME=VALUE" strings such as LD_PRELOAD and FAULTLINE_RULES, NULL-terminated; NULL for
 * none). malloc'd, NULL-terminated; release with fl_load_env_free. NULL when out of memory. */
char **fl_load_env(const struct fl_exp_spec *spec, const struct fl_exp_run *run,
                   const char *run_dir, char *const *shim);
void fl_load_env_free(char **env);

/* Run load->cmd as load says (count executions, or starting them until duration has passed;
 * at most concurrency at once; each past load->timeout_ns killed and failed) with environment
 * env in spec->dir (when env holds FAULTLINE_SEED, execution k gets fl_stats_run_seed(run->seed,
 * k) in its place, so that the processes of a faulted load draw different faults), appending a
 * sample per execution to run->samples (t measured from t0, a
 * CLOCK_MONOTONIC time in seconds). duration_ns, when not 0, overrides the load's own count and
 * duration (a live window). Aborts when the success rate over the last stop->window_ns falls
 * below stop->success_floor, or when should_stop says so. Returns 0 when it ran out, 1 when it
 * was stopped (why[cap] says why), -1 on an error (why[cap]). */
int fl_load_run(const struct fl_exp_spec *spec, char *const *env, double t0,
                uint64_t duration_ns, struct fl_exp_run *run, fl_load_stop_fn *should_stop,
                void *arg, char *why, size_t cap);

#endif
