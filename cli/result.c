/* Building an experiment's result, as the batch and service runner (experiment.c) and the live
 * shape (live.c) both do: the order of the groups, rule names, fault counts, the timeline, run
 * directories removed, and the result released. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"

/* As experiment.h says: ABBA for two groups; for three a Latin square (each group in each
 * position equally often over three pairs), reversed every other square. */
enum fl_exp_group fl_exp_group_at(bool aa, unsigned pair, unsigned slot)
{
    static const enum fl_exp_group three[3] = {FL_GROUP_CONTROL, FL_GROUP_EXPERIMENT, FL_GROUP_AA};

    if (!aa)
        return (pair % 2 == 0) == (slot == 0) ? FL_GROUP_CONTROL : FL_GROUP_EXPERIMENT;
    if ((pair / 3) % 2)
        slot = 2 - slot;
    return three[(slot + pair) % 3];
}

/* As experiment.h says. */
long fl_exp_rule_index(struct fl_exp_result *result, const char *name)
{
    char **grown, *copy;

    for (size_t i = 0; i < result->nrules; i++)
        if (strcmp(result->rules[i], name) == 0)
            return (long)i;
    if (!(copy = strdup(name)))
        return -1;
    if (!(grown = realloc(result->rules, (result->nrules + 1) * sizeof *grown))) {
        free(copy);
        return -1;
    }
    result->rules = grown;
    grown[result->nrules] = copy;
    return (long)result->nrules++;
}

/* As experiment.h says. */
int fl_exp_count_add(struct fl_exp_count **counts, size_t *ncounts, const char *rule,
                     const char *action, uint64_t n)
{
    struct fl_exp_count *grown;

    for (size_t i = 0; i < *ncounts; i++)
        if (strcmp((*counts)[i].rule, rule) == 0 && strcmp((*counts)[i].action, action) == 0) {
            (*counts)[i].n += n;
            return 0;
        }
    if (!(grown = realloc(*counts, (*ncounts + 1) * sizeof *grown)))
        return -1;
    *counts = grown;
    grown[*ncounts] = (struct fl_exp_count){.rule = strdup(rule), .action = strdup(action), .n = n};
    if (!grown[*ncounts].rule || !grown[*ncounts].action) {
        free(grown[*ncounts].rule);
        free(grown[*ncounts].action);
        return -1;
    }
    (*ncounts)++;
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const struct fl_exp_fault *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* As experiment.h says. */
void fl_exp_faults_sort(struct fl_exp_result *result, size_t first)
{
    if (first < result->nfaults)
        qsort(result->faults + first, result->nfaults - first, sizeof *result->faults, by_time);
}

/* As experiment.h says. */
struct fl_exp_run *fl_exp_run_new(struct fl_exp_result *result)
{
    struct fl_exp_run *runs = realloc(result->runs, (result->nruns + 1) * sizeof *runs);

    if (!runs)
        return NULL;
    result->runs = runs;
    memset(&runs[result->nruns], 0, sizeof *runs);
    runs[result->nruns].index = (unsigned)result->nruns;
    return &runs[result->nruns++];
}

/* nftw's callback: remove one entry; what cannot be removed is left, and the walk goes on. */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* As experiment.h says. */
void fl_exp_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* As experiment.h says. */
void fl_exp_result_free(struct fl_exp_result *result)
{
    for (size_t i = 0; i < result->nruns; i++) {
        struct fl_exp_run *run = &result->runs[i];
        free(run->out);
        free(run->samples);
        free(run->after_output);
        free(run->log);
        for (size_t j = 0; j < run->ncounts; j++) {
            free(run->counts[j].rule);
            free(run->counts[j].action);
        }
        free(run->counts);
    }
    free(result->runs);
    for (size_t i = 0; i < result->nrules; i++)
        free(result->rules[i]);
    free(result->rules);
    free(result->faults);
    for (size_t i = 0; i < result->ninjected; i++) {
        free(result->injected[i].rule);
        free(result->injected[i].action);
    }
    free(result->injected);
    free(result->verdicts);
    memset(result, 0, sizeof *result);
}
