/* Reading JSON for the command (the event log's lines, the control socket's replies) through
 * json-c, and a JSON string writer. The shim never links this: it writes its lines by hand. */
#ifndef FL_CLI_JSONL_H
#define FL_CLI_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* Parse the len bytes at text as exactly one JSON value (whitespace around it allowed): json-c's
 * strict mode, which is RFC 8259's grammar but also takes NaN, Infinity, "1." and control
 * characters inside strings; valid UTF-8; nesting at most 64 deep. A key given twice keeps its last value, as in Python's json module.
 * Returns 0 and the value in *out, owned by the caller (release with json_object_put; JSON's
 * null is NULL), or -1 when the text is not JSON, is longer than INT_MAX bytes, or memory ran
 * out. */
int fl_json_parse(const char *text, size_t len, struct json_object **out);

/* The member `key` of object v, or NULL (also when v is not an object). Borrowed from v. */
struct json_object *fl_json_get(const struct json_object *v, const char *key);

/* The string member `key` of v, or NULL when absent, not a string, or holding a NUL. Borrowed
 * from v. */
const char *fl_json_str(const struct json_object *v, const char *key);

/* The boolean member `key` of v in *out: false when absent or not a boolean. */
bool fl_json_bool(const struct json_object *v, const char *key, bool *out);

/* The member `key` of v as a whole number in *out: false when absent, not a number or not
 * whole. An integer beyond int64_t's range is clamped to it (json-c reads it so). */
bool fl_json_int(const struct json_object *v, const char *key, int64_t *out);

/* The member `key` of v, a non-negative integer, as decimal text (such as a 64-bit seed,
 * exactly), or NULL. Borrowed from v until v is changed or released. */
const char *fl_json_uint_text(const struct json_object *v, const char *key);

/* The member `key` of v, a number of seconds such as 1795562357.478932365 or -1.5 or 2e-9, in
 * nanoseconds: exact to nine decimals, further decimals truncated toward zero. False when
 * absent, not a finite number, or beyond what int64_t holds in nanoseconds (about 292 years
 * either side of 1970). */
bool fl_json_time_ns(const struct json_object *v, const char *key, int64_t *out);

/* Write s as a JSON string, quotes included. */
void fl_json_put_string(FILE *f, const char *s);

#endif
