/* Reading JSON with json-c: one strict parse per text, and typed access to an object's
 * members; numbers of seconds read exactly from their text. Writing JSON strings. */
#include "jsonl.h"

#include <limits.h>
#include <string.h>

#define MAX_DEPTH 64

/* Exactly one strict JSON value in text[0..len): 0 and *out (NULL for null), or -1. */
int fl_json_parse(const char *text, size_t len, struct json_object **out)
{
    struct json_tokener *tok;
    struct json_object *v;
    enum json_tokener_error err;

    *out = NULL;
    if (len >= INT_MAX || !(tok = json_tokener_new_ex(MAX_DEPTH)))
        return -1;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    v = json_tokener_parse_ex(tok, text, (int)len);
    err = json_tokener_get_error(tok);
    if (err == json_tokener_success && json_tokener_get_parse_end(tok) != len) {
        err = json_tokener_error_parse_unexpected;  /* a NUL byte ended it early */
    } else if (err == json_tokener_continue) {
        v = json_tokener_parse_ex(tok, "", 1);      /* all read; the end finishes a bare number */
        err = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    if (err != json_tokener_success) {
        json_object_put(v);
        return -1;
    }
    *out = v;
    return 0;
}

/* Object v's member `key`, or NULL. */
struct json_object *fl_json_get(const struct json_object *v, const char *key)
{
    struct json_object *m;

    return v && json_object_object_get_ex(v, key, &m) ? m : NULL;
}

/* Object v's member `key` when it is a string without NULs, or NULL. */
const char *fl_json_str(const struct json_object *v, const char *key)
{
    struct json_object *m = fl_json_get(v, key);
    const char *s;

    if (!m || !json_object_is_type(m, json_type_string))
        return NULL;
    s = json_object_get_string(m);
    return strlen(s) == (size_t)json_object_get_string_len(m) ? s : NULL;
}

/* Object v's member `key` when it is a boolean, into *out. */
bool fl_json_bool(const struct json_object *v, const char *key, bool *out)
{
    struct json_object *m = fl_json_get(v, key);

    if (!m || !json_object_is_type(m, json_type_boolean))
        return false;
    *out = json_object_get_boolean(m);
    return true;
}

/* Object v's member `key` as a whole number within int64_t into *out; false otherwise. */
bool fl_json_int(const struct json_object *v, const char *key, int64_t *out)
{
    struct json_object *m = fl_json_get(v, key);
    double d;

    if (m && json_object_is_type(m, json_type_int)) {
        *out = json_object_get_int64(m);
        return true;
    }
    if (!m || !json_object_is_type(m, json_type_double))
        return false;
    d = json_object_get_double(m);      /* 5.0 or 1e3: whole if it says so */
    if (!(d > -9.2e18 && d < 9.2e18) || d != (double)(int64_t)d)
        return false;
    *out = (int64_t)d;
    return true;
}

/* Object v's member `key` as the decimal text of a non-negative integer, or NULL. */
const char *fl_json_uint_text(const struct json_object *v, const char *key)
{
    struct json_object *m = fl_json_get(v, key);
    const char *t;

    if (!m || !json_object_is_type(m, json_type_int))
        return NULL;
    t = json_object_get_string(m);
    return t[0] >= '0' && t[0] <= '9' ? t : NULL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal -?D+(.D*)?([eE][+-]?D+)? times 1e9, truncated toward zero, into *out; false when
 * it is not such a number or out of int64_t's range. Digits beyond what 128 bits hold are
 * dropped (from a fraction) or counted as a power of ten (from the whole part). */
static bool decimal_ns(const char *s, int64_t *out)
{
    const unsigned __int128 cap = (unsigned __int128)1 << 120;
    unsigned __int128 v = 0;
    bool neg = *s == '-';
    long scale = 9, exp = 0, esign = 1;

    s += neg;
    if (!is_digit(*s))
        return false;       /* NaN, Infinity */
    for (; is_digit(*s); s++)
        if (v < cap)
            v = v * 10 + (unsigned)(*s - '0');
        else
            scale++;
    if (*s == '.')
        for (s++; is_digit(*s); s++)
            if (v < cap)
                v = v * 10 + (unsigned)(*s - '0'), scale--;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            esign = *s++ == '-' ? -1 : 1;
        if (!is_digit(*s))
            return false;
        for (; is_digit(*s); s++)
            exp = exp < 100000 ? exp * 10 + (*s - '0') : exp;
    }
    if (*s)
        return false;
    for (scale += esign * exp; scale < 0 && v; scale++)
        v /= 10;
    for (; scale > 0 && v; scale--)
        if ((v *= 10) > INT64_MAX)
            return false;
    if (v > INT64_MAX)
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* Object v's member `key`, seconds, as nanoseconds into *out (exact to nine decimals); false
 * when it is not a finite number in range. */
bool fl_json_time_ns(const struct json_object *v, const char *key, int64_t *out)
{
    struct json_object *m = fl_json_get(v, key);

    if (!m || !(json_object_is_type(m, json_type_int) || json_object_is_type(m, json_type_double)))
        return false;
    return decimal_ns(json_object_get_string(m), out);   /* a double keeps the text as written */
}

/* s as a JSON string literal on f: quotes, backslashes and control characters escaped. */
void fl_json_put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c == '\t')
            fputs("\\t", f);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}
