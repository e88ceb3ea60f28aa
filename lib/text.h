/* A growing string (malloc), for texts the shim builds off the fast path: a rule's libconfig
 * text, a control reply; and the "did you mean" of every reader's messages. */
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

/* The Levenshtein distance between a and b ignoring ASCII case; SIZE_MAX when either is longer
 * than 64 bytes (too long to be a typo worth a hint). */
size_t fl_edit_distance(const char *a, const char *b);

/* The candidate nearest to a word, for "unknown key 'seeed' (did you mean 'seed'?)":
 *   struct fl_near n; fl_near_init(&n, word); for each name: fl_near_try(&n, name);
 *   fail("unknown key '%s'%s", word, fl_near_hint(&n, buf, sizeof buf)); */
struct fl_near {
    const char *word;
    const char *best;   /* the nearest candidate so far, or NULL */
    size_t dist;
};

void fl_near_init(struct fl_near *n, const char *word);
/* Remember candidate when it is nearer than the best so far (the first of equals wins). */
void fl_near_try(struct fl_near *n, const char *candidate);
/* " (did you mean 'x'?)" in buf when the best candidate is within 2 edits (and fewer than the
 * word's length); else "". Returns buf or "". */
const char *fl_near_hint(const struct fl_near *n, char *buf, size_t size);

#endif
