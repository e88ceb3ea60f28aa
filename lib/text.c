/* A growing string. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
