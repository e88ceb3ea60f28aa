/* A small, strict JSON reader: a recursive descent over RFC 8259, building a tree. */
#include "jsonl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
    const char *p, *end;
    int depth;
};

static int parse_value(struct parser *ps, struct fl_json *out);

static void skip_space(struct parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool take(struct parser *ps, char c)
{
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return true;
    }
    return false;
}

static bool take_word(struct parser *ps, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

/* ---- strings -------------------------------------------------------------------------------- */

static int hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80)
        return out[0] = (char)cp, 1;
    if (cp < 0x800)
        return out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), 2;
    if (cp < 0x10000)
        return out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
               out[2] = (char)(0x80 | (cp & 0x3f)), 3;
    out[0] = (char)(0xf0 | cp >> 18), out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The length of the valid UTF-8 sequence at s (at most `left` bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
             : (s[0] & 0xf0) == 0xe0 ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f)))
        return 0;
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f)))
        return 0;
    return n;
}

/* \uXXXX, with a surrogate pair as one code point; *p is after the 'u'. */
static int parse_escape_u(const char **p, const char *stop, unsigned *cp)
{
    int hi, lo;

    if (stop - *p < 4 || (hi = hex4(*p)) < 0)
        return -1;
    *p += 4;
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return -1;
    if (hi >= 0xd800 && hi <= 0xdbff) {
        if (stop - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u' ||
            (lo = hex4(*p + 2)) < 0xdc00 || lo > 0xdfff)
            return -1;
        *p += 6;
        *cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
        return 0;
    }
    *cp = (unsigned)hi;
    return *cp ? 0 : -1;    /* no NUL inside C strings */
}

/* Decode the inside of a string, [p, stop), into o (room enough: decoding never grows it). */
static int decode_string(const char *p, const char *stop, char *o)
{
    while (p < stop) {
        unsigned char c = (unsigned char)*p;
        size_t n;
        unsigned cp;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            if (!(n = utf8_len((const unsigned char *)p, (size_t)(stop - p))))
                return -1;
            memcpy(o, p, n), o += n, p += n;
            continue;
        }
        if (++p >= stop)
            return -1;
        switch (*p++) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (parse_escape_u(&p, stop, &cp) < 0)
                return -1;
            o += put_utf8(o, cp);
            break;
        default:
            return -1;
        }
    }
    *o = '\0';
    return 0;
}

/* A string; ps->p is at its opening quote and ends after the closing one. The decoded text is
 * malloc'd into *out. */
static int parse_string(struct parser *ps, char **out)
{
    const char *start = ++ps->p;
    char *s;

    while (ps->p < ps->end && *ps->p != '"')
        ps->p += *ps->p == '\\' && ps->p + 1 < ps->end ? 2 : 1;
    if (ps->p >= ps->end || !(s = malloc((size_t)(ps->p - start) + 1)))
        return -1;
    if (decode_string(start, ps->p, s) < 0) {
        free(s);
        return -1;
    }
    ps->p++;
    *out = s;
    return 0;
}

/* ---- numbers, arrays, objects --------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_number(struct parser *ps, struct fl_json *out)
{
    const char *start = ps->p;

    take(ps, '-');
    if (take(ps, '0'))
        ;
    else if (ps->p < ps->end && is_digit(*ps->p))
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    else
        return -1;
    if (take(ps, '.')) {
        if (ps->p >= ps->end || !is_digit(*ps->p))
            return -1;
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    }
    if (take(ps, 'e') || take(ps, 'E')) {
        if (!take(ps, '+'))
            take(ps, '-');
        if (ps->p >= ps->end || !is_digit(*ps->p))
            return -1;
        while (ps->p < ps->end && is_digit(*ps->p))
            ps->p++;
    }
    out->type = FL_JSON_NUMBER;
    return (out->text = strndup(start, (size_t)(ps->p - start))) ? 0 : -1;
}

/* Make room for one more member. */
static int grow(struct fl_json *v, size_t *cap, bool keys)
{
    if (v->n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    struct fl_json *items = realloc(v->items, c * sizeof *items);
    if (!items)
        return -1;
    v->items = items;
    if (keys) {
        char **k = realloc(v->keys, c * sizeof *k);
        if (!k)
            return -1;
        v->keys = k;
    }
    *cap = c;
    return 0;
}

static int parse_array(struct parser *ps, struct fl_json *out)
{
    size_t cap = 0;

    out->type = FL_JSON_ARRAY;
    ps->p++;
    skip_space(ps);
    if (take(ps, ']'))
        return 0;
    do {
        if (grow(out, &cap, false) < 0)
            return -1;
        if (parse_value(ps, &out->items[out->n]) < 0) {
            fl_json_free(&out->items[out->n]);
            return -1;
        }
        out->n++;
        skip_space(ps);
    } while (take(ps, ','));
    return take(ps, ']') ? 0 : -1;
}

static int parse_object(struct parser *ps, struct fl_json *out)
{
    size_t cap = 0;
    char *key;

    out->type = FL_JSON_OBJECT;
    ps->p++;
    skip_space(ps);
    if (take(ps, '}'))
        return 0;
    do {
        skip_space(ps);
        if (ps->p >= ps->end || *ps->p != '"' || parse_string(ps, &key) < 0)
            return -1;
        if (fl_json_get(out, key) || grow(out, &cap, true) < 0) {
            free(key);
            return -1;
        }
        out->keys[out->n] = key;
        out->items[out->n] = (struct fl_json){0};
        out->n++;
        skip_space(ps);
        if (!take(ps, ':') || parse_value(ps, &out->items[out->n - 1]) < 0)
            return -1;
        skip_space(ps);
    } while (take(ps, ','));
    return take(ps, '}') ? 0 : -1;
}

static int parse_value(struct parser *ps, struct fl_json *out)
{
    int rc;

    *out = (struct fl_json){0};
    skip_space(ps);
    if (ps->p >= ps->end)
        return -1;
    if (++ps->depth > MAX_DEPTH)
        return -1;
    switch (*ps->p) {
    case '{': rc = parse_object(ps, out); break;
    case '[': rc = parse_array(ps, out); break;
    case '"':
        out->type = FL_JSON_STRING;
        rc = parse_string(ps, &out->text);
        break;
    case 't': out->type = FL_JSON_BOOL, out->boolean = true; rc = take_word(ps, "true") - 1; break;
    case 'f': out->type = FL_JSON_BOOL; rc = take_word(ps, "false") - 1; break;
    case 'n': rc = take_word(ps, "null") - 1; break;
    default: rc = parse_number(ps, out);
    }
    ps->depth--;
    return rc;
}

/* Exactly one strict JSON value in text[0..len): 0 and the tree in *out, or -1 with *out
 * empty. */
int fl_json_parse(const char *text, size_t len, struct fl_json *out)
{
    struct parser ps = {text, text + len, 0};

    if (parse_value(&ps, out) == 0) {
        skip_space(&ps);
        if (ps.p == ps.end)
            return 0;
    }
    fl_json_free(out);
    return -1;
}

/* Release a tree from fl_json_parse and empty *v. */
void fl_json_free(struct fl_json *v)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->keys)
            free(v->keys[i]);
        fl_json_free(&v->items[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    *v = (struct fl_json){0};
}

/* ---- access --------------------------------------------------------------------------------- */

/* Object v's member `key`, or NULL. */
const struct fl_json *fl_json_get(const struct fl_json *v, const char *key)
{
    if (!v || v->type != FL_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return &v->items[i];
    return NULL;
}

/* Object v's member `key` when it is a string, or NULL. */
const char *fl_json_str(const struct fl_json *v, const char *key)
{
    const struct fl_json *m = fl_json_get(v, key);

    return m && m->type == FL_JSON_STRING ? m->text : NULL;
}

/* Object v's member `key` as a whole number within int64_t into *out; false otherwise. */
bool fl_json_int(const struct fl_json *v, const char *key, int64_t *out)
{
    const struct fl_json *m = fl_json_get(v, key);
    char *end;
    long long n;

    if (!m || m->type != FL_JSON_NUMBER)
        return false;
    errno = 0;
    n = strtoll(m->text, &end, 10);
    if (errno || *end) {    /* a fraction or an exponent: whole only if it says so */
        double d = strtod(m->text, NULL);
        if (!(d > -9.2e18 && d < 9.2e18) || d != (double)(long long)d)
            return false;
        n = (long long)d;
    }
    *out = n;
    return true;
}

/* Object v's member `key`, seconds, as nanoseconds into *out (exact to nine decimals); false
 * when it is not a number in range. */
bool fl_json_time_ns(const struct fl_json *v, const char *key, int64_t *out)
{
    const struct fl_json *m = fl_json_get(v, key);
    const char *t, *dot;
    int64_t sec = 0, frac = 0, scale = 1000000000;

    if (!m || m->type != FL_JSON_NUMBER)
        return false;
    t = m->text;
    if (t[0] == '-' || strpbrk(t, "eE")) {   /* not as the shim writes it: go through double */
        double d = strtod(t, NULL) * 1e9;
        if (!(d > -9.2e18 && d < 9.2e18))
            return false;
        *out = (int64_t)d;
        return true;
    }
    for (; is_digit(*t); t++) {
        if (sec > (INT64_MAX / 1000000000 - 9) / 10)
            return false;
        sec = sec * 10 + (*t - '0');
    }
    if ((dot = t)[0] == '.')
        for (t = dot + 1; is_digit(*t); t++)
            if (scale > 1)
                scale /= 10, frac += (*t - '0') * scale;
    *out = sec * 1000000000 + frac;
    return true;
}

/* ---- writing -------------------------------------------------------------------------------- */

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
