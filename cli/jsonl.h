/* A small, strict JSON reader for the event log's lines and the control socket's replies, and a
 * JSON string writer. No external library. */
#ifndef FL_CLI_JSONL_H
#define FL_CLI_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum fl_json_type { FL_JSON_NULL, FL_JSON_BOOL, FL_JSON_NUMBER, FL_JSON_STRING, FL_JSON_ARRAY,
                    FL_JSON_OBJECT };

/* A parsed value. Strings are decoded UTF-8 without NULs; a number keeps its text. */
struct fl_json {
    enum fl_json_type type;
    bool boolean;               /* FL_JSON_BOOL */
    char *text;                 /* FL_JSON_STRING: the string; FL_JSON_NUMBER: as written */
    size_t n;                   /* FL_JSON_ARRAY, FL_JSON_OBJECT: how many members */
    struct fl_json *items;      /* their values */
    char **keys;                /* FL_JSON_OBJECT: their keys, all distinct */
};

/* Parse the len bytes at text as exactly one JSON value (whitespace around it allowed). Strict:
 * RFC 8259 grammar, valid UTF-8, no duplicate keys, nesting at most 64 deep, and no \u0000.
 * Returns 0 and fills *out (release with fl_json_free), or -1 and leaves *out empty. */
int fl_json_parse(const char *text, size_t len, struct fl_json *out);

/* Release what fl_json_parse allocated. Safe on an empty value. */
void fl_json_free(struct fl_json *v);

/* The member `key` of object v, or NULL (also when v is not an object). */
const struct fl_json *fl_json_get(const struct fl_json *v, const char *key);

/* The string member `key` of v, or NULL when absent or not a string. */
const char *fl_json_str(const struct fl_json *v, const char *key);

/* The member `key` of v as a whole number in *out: false when absent, not a number, not whole,
 * or out of int64_t's range. */
bool fl_json_int(const struct fl_json *v, const char *key, int64_t *out);

/* The member `key` of v, a number of seconds such as 1795562357.478932365, in nanoseconds
 * (exactly, for up to nine decimals): false when absent or not a number in range. */
bool fl_json_time_ns(const struct fl_json *v, const char *key, int64_t *out);

/* Write s as a JSON string, quotes included. */
void fl_json_put_string(FILE *f, const char *s);

#endif
