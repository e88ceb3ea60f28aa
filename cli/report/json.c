/* The journal (--json): the whole result as one JSON object, built with json-c. Its layout is
 * documented in faultline-experiment(5); replay reads file.path, file.sha256 and each run's
 * group, pair and seed. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "format.h"

static const char *const shape_names[] = {"batch", "service", "live"};
static const char *const control_names[] = {"dry-run", "bare"};

/* A number, or JSON null when it is NaN or infinite. Written with the fewest digits that read
 * back as the same double. */
static struct json_object *number(double v)
{
    if (!isfinite(v))
        return NULL;
    char text[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    return json_object_new_double_s(v, text);
}

/* A string made valid UTF-8, or null for NULL. */
static struct json_object *text_of(const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *clean = fl_utf8_clean(s, len);
    if (!clean)
        return NULL;
    struct json_object *o = json_object_new_string(clean);
    free(clean);
    return o;
}

static struct json_object *string(const char *s)
{
    return s ? text_of(s, strlen(s)) : NULL;
}

static void put(struct json_object *obj, const char *key, struct json_object *value)
{
    json_object_object_add(obj, key, value);
}

static struct json_object *pair_of(struct json_object *a, struct json_object *b)
{
    struct json_object *arr = json_object_new_array();
    if (arr) {
        json_object_array_add(arr, a);
        json_object_array_add(arr, b);
    }
    return arr;
}

static struct json_object *counts(const struct fl_exp_count *c, size_t n)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; arr && i < n; i++) {
        struct json_object *o = json_object_new_object();
        put(o, "rule", string(c[i].rule));
        put(o, "action", string(c[i].action));
        put(o, "n", json_object_new_uint64(c[i].n));
        json_object_array_add(arr, o);
    }
    return arr;
}

static struct json_object *samples(const struct fl_exp_run *run)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; arr && i < run->nsamples; i++) {
        const struct fl_exp_sample *s = &run->samples[i];
        struct json_object *one = pair_of(number(s->t), number(s->latency));
        json_object_array_add(one, json_object_new_boolean(s->ok));
        json_object_array_add(arr, one);
    }
    return arr;
}

static struct json_object *run_object(const struct fl_exp_run *run)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    put(o, "index", json_object_new_int64(run->index));
    put(o, "group", json_object_new_string(fl_exp_group_name(run->group)));
    put(o, "pair", json_object_new_int64(run->pair));
    put(o, "seed", json_object_new_uint64(run->seed));
    put(o, "start", number(run->start));
    put(o, "end", number(run->end));
    put(o, "exit_status", run->exit_status < 0 ? NULL : json_object_new_int(run->exit_status));
    put(o, "wall", number(run->wall));
    put(o, "cpu", number(run->cpu));
    put(o, "peak_rss", run->peak_rss ? json_object_new_uint64(run->peak_rss) : NULL);
    put(o, "out", text_of(run->out, run->out_len));
    put(o, "out_truncated", json_object_new_boolean(run->out_truncated));
    put(o, "samples", samples(run));
    put(o, "after_status", run->after_status < 0 ? NULL : json_object_new_int(run->after_status));
    put(o, "after_output", string(run->after_output));
    put(o, "log", string(run->log));
    put(o, "faults", json_object_new_uint64(run->faults));
    put(o, "counts", counts(run->counts, run->ncounts));
    return o;
}

static struct json_object *check_object(const struct fl_exp_verdict *v)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    put(o, "name", v->check ? string(v->check->name) : NULL);
    put(o, "metric", v->check ? json_object_new_string(fl_exp_metric_name(v->check->metric)) : NULL);
    put(o, "verdict", json_object_new_string(fl_verdict_name(v->verdict)));
    put(o, "control", number(v->control));
    put(o, "experiment", number(v->experiment));
    put(o, "diff", number(v->diff));
    put(o, "ci", pair_of(number(v->ci_low), number(v->ci_high)));
    put(o, "limits", pair_of(number(v->limit_low), number(v->limit_high)));
    put(o, "p_value", number(v->p_value));
    put(o, "test", string(v->test));
    put(o, "n", pair_of(json_object_new_int64(v->n_control), json_object_new_int64(v->n_experiment)));
    put(o, "needed", json_object_new_int64(v->needed));
    put(o, "aa_noisy", json_object_new_boolean(v->aa_noisy));
    put(o, "reason", string(v->reason));
    return o;
}

static struct json_object *journal(const struct fl_exp_result *r)
{
    const struct fl_exp_spec *spec = r->spec;
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    put(o, "faultline_experiment", json_object_new_int(1));
    put(o, "version", json_object_new_string(FL_VERSION));
    put(o, "name", string(fl_report_name(r)));
    struct json_object *file = json_object_new_object();
    put(file, "path", spec ? string(spec->path) : NULL);
    put(file, "sha256", spec && spec->sha256[0] ? string(spec->sha256) : NULL);
    put(o, "file", file);
    put(o, "shape", spec ? json_object_new_string(shape_names[spec->shape]) : NULL);
    put(o, "seed", spec ? json_object_new_uint64(spec->seed) : NULL);
    put(o, "runs_per_group", spec ? json_object_new_int64(spec->runs) : NULL);
    put(o, "aa", json_object_new_boolean(spec && spec->aa));
    put(o, "control", spec ? json_object_new_string(control_names[spec->control]) : NULL);
    put(o, "started", number(r->started));
    put(o, "duration", number(r->duration));
    put(o, "exit_status", json_object_new_int(r->exit_status));
    put(o, "verdict", json_object_new_string(fl_report_verdict(r)));
    put(o, "abort_reason", r->abort_reason[0] ? string(r->abort_reason) : NULL);
    put(o, "faults_injected", json_object_new_uint64(r->faults_injected));
    put(o, "injected", counts(r->injected, r->ninjected));
    struct json_object *runs = json_object_new_array();
    for (size_t i = 0; runs && i < r->nruns; i++)
        json_object_array_add(runs, run_object(&r->runs[i]));
    put(o, "runs", runs);
    struct json_object *checks = json_object_new_array();
    for (size_t i = 0; checks && i < r->nverdicts; i++)
        json_object_array_add(checks, check_object(&r->verdicts[i]));
    put(o, "checks", checks);
    struct json_object *timeline = json_object_new_array();
    for (size_t i = 0; timeline && i < r->nfaults; i++) {
        const struct fl_exp_fault *f = &r->faults[i];
        struct json_object *one = pair_of(number(f->t), json_object_new_int64(f->rule));
        json_object_array_add(one, json_object_new_int64(f->run));
        json_object_array_add(timeline, one);
    }
    put(o, "timeline", timeline);
    struct json_object *rules = json_object_new_array();
    for (size_t i = 0; rules && i < r->nrules; i++)
        json_object_array_add(rules, string(r->rules[i]));
    put(o, "rules", rules);
    return o;
}

int fl_write_json(FILE *f, const struct fl_exp_result *r)
{
    struct json_object *o = journal(r);
    if (!o)
        return -1;
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = text ? 0 : -1;
    if (text) {
        fputs(text, f);
        fputc('\n', f);
    }
    json_object_put(o);
    return rc || ferror(f) ? -1 : 0;
}
