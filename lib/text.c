/* A growing string; the nearest name for "did you mean". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "text.h"

static bool grow(struct fl_text *t, size_t n)
{
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + n + 1)
        cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p)
        return false;
    t->p = p;
    t->cap = cap;
    return true;
}

void fl_text_add(struct fl_text *t, const char *s, size_t n)
{
    if (!t->failed && t->len + n + 1 > t->cap)
        t->failed = !grow(t, n);
    if (t->failed)
        return;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

void fl_text_adds(struct fl_text *t, const char *s)
{
    fl_text_add(t, s, strlen(s));
}

void fl_text_vaddf(struct fl_text *t, const char *fmt, va_list ap)
{
    char buf[4096];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n > 0)
        fl_text_add(t, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void fl_text_addf(struct fl_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fl_text_vaddf(t, fmt, ap);
    va_end(ap);
}

/* ---- "did you mean" -------------------------------------------------------------------------- */

#define FL_NEAR_WORD_MAX 64   /* longest word compared */
#define FL_NEAR_MAX      2    /* largest edit distance worth a "did you mean" */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

size_t fl_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[FL_NEAR_WORD_MAX + 1];

    if (la > FL_NEAR_WORD_MAX || lb > FL_NEAR_WORD_MAX)
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

void fl_near_init(struct fl_near *n, const char *word)
{
    *n = (struct fl_near){.word = word, .best = NULL, .dist = SIZE_MAX};
}

void fl_near_try(struct fl_near *n, const char *candidate)
{
    size_t d = fl_edit_distance(n->word, candidate);
    if (d < n->dist)
        n->best = candidate, n->dist = d;
}

const char *fl_near_hint(const struct fl_near *n, char *buf, size_t size)
{
    if (!n->best || n->dist > FL_NEAR_MAX || n->dist >= strlen(n->word))
        return "";
    snprintf(buf, size, " (did you mean '%s'?)", n->best);
    return buf;
}
