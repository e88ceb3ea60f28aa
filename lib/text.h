/* A growing string (malloc), for texts the shim builds off the fast path: a rule's libconfig
 * text, a control reply. */
#ifndef FL_TEXT_H
#define FL_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct fl_text {
    char *p;          /* NUL-terminated once anything was added; NULL before */
    size_t len, cap;
    bool failed;      /* an allocation failed: the text is incomplete */
};

/* Append n bytes of s, the string s, or printf-formatted text (at most 4 KiB a call). */
void fl_text_add(struct fl_text *t, const char *s, size_t n);
void fl_text_adds(struct fl_text *t, const char *s);
void fl_text_addf(struct fl_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fl_text_vaddf(struct fl_text *t, const char *fmt, va_list ap);

#endif
