/* The event log's JSON line builder (lib/events_fmt.c): exact output, escaping, numbers, and
 * truncation that keeps the line valid JSON. DESIGN.md, "Events and summary". */
#include <arpa/inet.h>
#include <check.h>
#include <sys/un.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define GUARD 16      /* bytes past cap that must stay untouched */
#define GUARD_BYTE 0xA5

/* ---- a strict JSON checker for one line: an object of scalar members, then "\n" ----------- */

static bool utf8_seq(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    int more;
    unsigned char lo = 0x80, hi = 0xBF;
    if (*p >= 0xC2 && *p <= 0xDF)
        more = 1;
    else if (*p >= 0xE0 && *p <= 0xEF) {
        more = 2;
        if (*p == 0xE0)
            lo = 0xA0; /* no overlong forms */
        if (*p == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (*p >= 0xF0 && *p <= 0xF4) {
        more = 3;
        if (*p == 0xF0)
            lo = 0x90;
        if (*p == 0xF4)
            hi = 0x8F;
    } else
        return false;
    p++;
    for (int i = 0; i < more; i++, p++) {
        if (*p < lo || *p > hi)
            return false;
        lo = 0x80, hi = 0xBF;
    }
    *pp = p;
    return true;
}

static bool json_string(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    if (p >= end || *p++ != '"')
        return false;
    while (p < end && *p != '"') {
        if (*p == '\\') {
            p++;
            if (p >= end)
                return false;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (p + i >= end || !strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                        return false;
                p += 5;
            } else if (*p && strchr("\"\\/bfnrt", *p))
                p++;
            else
                return false;
        } else if (*p < 0x20)
            return false;
        else if (*p < 0x80)
            p++;
        else if (!utf8_seq(&p) || p > end)
            return false;
    }
    if (p >= end)
        return false;
    *pp = p + 1;
    return true;
}

static bool json_digits(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    bool any = p > *pp;
    *pp = p;
    return any;
}

static bool json_number(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (p >= end || *p < '1' || *p > '9' || !json_digits(&p, end))
        return false;
    if (p < end && *p == '.') {
        p++;
        if (!json_digits(&p, end))
            return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!json_digits(&p, end))
            return false;
    }
    *pp = p;
    return true;
}

static bool json_word(const unsigned char **pp, const unsigned char *end, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(end - *pp) < n || memcmp(*pp, w, n) != 0)
        return false;
    *pp += n;
    return true;
}

static bool json_value(const unsigned char **pp, const unsigned char *end)
{
    if (*pp >= end)
        return false;
    switch (**pp) {
    case '"': return json_string(pp, end);
    case 't': return json_word(pp, end, "true");
    case 'f': return json_word(pp, end, "false");
    case 'n': return json_word(pp, end, "null");
    default: return json_number(pp, end);
    }
}

/* Whether s[0..n) is exactly one JSON object of scalar members followed by a newline. */
static bool valid_json_line(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    if (n < 3 || end[-1] != '\n' || *p++ != '{')
        return false;
    end--; /* the newline */
    if (*p == '}')
        return p + 1 == end;
    for (;;) {
        if (!json_string(&p, end) || p >= end || *p++ != ':' || !json_value(&p, end))
            return false;
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == '}' && p + 1 == end;
    }
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* A builder over a buffer with guard bytes after cap. */
struct line {
    struct fl_jbuf b;
    size_t cap;
    char buf[512 + GUARD];
    char text[512 + 1];   /* the finished line, NUL-terminated */
    size_t len;
};

static void line_init(struct line *l, size_t cap)
{
    ck_assert_uint_le(cap, sizeof l->buf - GUARD);
    memset(l->buf, GUARD_BYTE, sizeof l->buf);
    l->cap = cap;
    fl_jbuf_init(&l->b, l->buf, cap);
}

/* End the line, check it stayed inside cap and is valid JSON, and NUL-terminate a copy. */
static const char *line_end(struct line *l)
{
    l->len = fl_jbuf_end(&l->b);
    ck_assert_uint_le(l->len, l->cap);
    for (size_t i = l->cap; i < l->cap + GUARD; i++)
        ck_assert_msg((unsigned char)l->buf[i] == GUARD_BYTE, "wrote past cap at %zu", i);
    memcpy(l->text, l->buf, l->len);
    l->text[l->len] = '\0';
    if (l->len)
        ck_assert_msg(valid_json_line(l->text, l->len), "not valid JSON: %s", l->text);
    return l->text;
}

/* ---- exact output ------------------------------------------------------------------------- */

START_TEST(empty_object_is_braces_and_newline)
{
    struct line l;
    line_init(&l, 64);
    ck_assert_str_eq(line_end(&l), "{}\n");
    ck_assert_uint_eq(l.len, 3);
}
END_TEST

START_TEST(string_members_are_quoted_and_comma_separated)
{
    struct line l;
    line_init(&l, 128);
    fl_jbuf_str(&l.b, "rule", "db-refused");
    fl_jbuf_str(&l.b, "call", "connect");
    fl_jbuf_str(&l.b, "empty", "");
    ck_assert_str_eq(line_end(&l),
                     "{\"rule\":\"db-refused\",\"call\":\"connect\",\"empty\":\"\"}\n");
    ck_assert_uint_eq(l.len, strlen(l.text));
}
END_TEST

START_TEST(string_escapes_quotes_and_backslashes)
{
    struct line l;
    line_init(&l, 128);
    fl_jbuf_str(&l.b, "path", "C:\\dir\\\"quoted\" name\\");
    ck_assert_str_eq(line_end(&l), "{\"path\":\"C:\\\\dir\\\\\\\"quoted\\\" name\\\\\"}\n");
}
END_TEST

START_TEST(string_escapes_control_characters)
{
    struct line l;
    line_init(&l, 256);
    fl_jbuf_str(&l.b, "s", "a\nb\tc\rd\x01\x1f\x7f" "e\b\f");
    ck_assert_str_eq(line_end(&l), "{\"s\":\"a\\u000ab\\u0009c\\u000dd\\u0001\\u001f\\u007f"
                                   "e\\u0008\\u000c\"}\n");
}
END_TEST

START_TEST(string_keeps_utf8_as_is)
{
    /* JSON text is UTF-8: multi-byte characters need no escaping and must not be mangled. */
    static const char text[] = "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 /tmp/\xd0\xb4\xd0\xb1";
    struct line l;
    line_init(&l, 128);
    fl_jbuf_str(&l.b, "path", text);
    ck_assert_str_eq(line_end(&l), "{\"path\":\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 "
                                   "/tmp/\xd0\xb4\xd0\xb1\"}\n");
}
END_TEST

START_TEST(string_replaces_bytes_that_are_not_utf8)
{
    /* Linux paths may hold any byte: a stray byte, a truncated sequence, an overlong form and a
     * surrogate each become U+FFFD, so that the line stays valid UTF-8 JSON. */
    struct line l;
    line_init(&l, 128);
    fl_jbuf_str(&l.b, "path", "/tmp/\xff\xfe.db \xc3 \xc0\xaf \xed\xa0\x80 ok\xc3\xa9");
    ck_assert_str_eq(line_end(&l), "{\"path\":\"/tmp/\\ufffd\\ufffd.db \\ufffd \\ufffd\\ufffd "
                                   "\\ufffd\\ufffd\\ufffd ok\xc3\xa9\"}\n");
}
END_TEST

START_TEST(peers_are_written_as_the_config_writes_them)
{
    char buf[160];
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(5432)};
    inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
    ck_assert_str_eq(fl_fmt_peer((struct sockaddr *)&in, buf, sizeof buf), "127.0.0.1:5432");
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
    inet_pton(AF_INET6, "::1", &in6.sin6_addr);
    ck_assert_str_eq(fl_fmt_peer((struct sockaddr *)&in6, buf, sizeof buf), "[::1]:80");
    struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/run/x.sock"};
    ck_assert_str_eq(fl_fmt_peer((struct sockaddr *)&un, buf, sizeof buf), "unix:/run/x.sock");
    struct sockaddr_un ab = {.sun_family = AF_UNIX, .sun_path = "\0hidden"};
    ck_assert_str_eq(fl_fmt_peer((struct sockaddr *)&ab, buf, sizeof buf), "unix:@hidden");
    ck_assert_ptr_null(fl_fmt_peer((struct sockaddr *)&in, buf, 8)); /* does not fit */
    struct sockaddr_un unnamed = {.sun_family = AF_UNIX};
    ck_assert_ptr_null(fl_fmt_peer((struct sockaddr *)&unnamed, buf, sizeof buf));
    struct sockaddr other = {.sa_family = AF_PACKET};
    ck_assert_ptr_null(fl_fmt_peer(&other, buf, sizeof buf));
}
END_TEST

START_TEST(null_string_value_writes_null)
{
    struct line l;
    line_init(&l, 64);
    fl_jbuf_str(&l.b, "peer", NULL);
    fl_jbuf_null(&l.b, "errno");
    ck_assert_str_eq(line_end(&l), "{\"peer\":null,\"errno\":null}\n");
}
END_TEST

START_TEST(booleans_are_true_and_false)
{
    struct line l;
    line_init(&l, 64);
    fl_jbuf_bool(&l.b, "yes", true);
    fl_jbuf_bool(&l.b, "no", false);
    ck_assert_str_eq(line_end(&l), "{\"yes\":true,\"no\":false}\n");
}
END_TEST

START_TEST(signed_integers_cover_negative_and_extremes)
{
    struct line l;
    line_init(&l, 256);
    fl_jbuf_i64(&l.b, "zero", 0);
    fl_jbuf_i64(&l.b, "fd", 5);
    fl_jbuf_i64(&l.b, "done", -1);
    fl_jbuf_i64(&l.b, "neg", -4096);
    fl_jbuf_i64(&l.b, "min", INT64_MIN);
    fl_jbuf_i64(&l.b, "max", INT64_MAX);
    ck_assert_str_eq(line_end(&l), "{\"zero\":0,\"fd\":5,\"done\":-1,\"neg\":-4096,"
                                   "\"min\":-9223372036854775808,"
                                   "\"max\":9223372036854775807}\n");
}
END_TEST

START_TEST(unsigned_integers_cover_zero_and_uint64_max)
{
    struct line l;
    line_init(&l, 256);
    fl_jbuf_u64(&l.b, "zero", 0);
    fl_jbuf_u64(&l.b, "asked", 4096);
    fl_jbuf_u64(&l.b, "ten", 10);
    fl_jbuf_u64(&l.b, "max", UINT64_MAX);
    ck_assert_str_eq(line_end(&l), "{\"zero\":0,\"asked\":4096,\"ten\":10,"
                                   "\"max\":18446744073709551615}\n");
}
END_TEST

START_TEST(time_has_nine_fractional_digits)
{
    struct line l;
    line_init(&l, 256);
    fl_jbuf_time(&l.b, "a", 1700000000, 5);
    fl_jbuf_time(&l.b, "b", 0, 0);
    fl_jbuf_time(&l.b, "c", 12, 999999999);
    fl_jbuf_time(&l.b, "d", 1, 123456789);
    fl_jbuf_time(&l.b, "e", 3, 100000000);
    ck_assert_str_eq(line_end(&l), "{\"a\":1700000000.000000005,\"b\":0.000000000,"
                                   "\"c\":12.999999999,\"d\":1.123456789,\"e\":3.100000000}\n");
}
END_TEST

START_TEST(design_event_line_is_built_exactly)
{
    struct line l;
    line_init(&l, 512);
    fl_jbuf_time(&l.b, "t", 1718000000, 250000000);
    fl_jbuf_i64(&l.b, "pid", 4242);
    fl_jbuf_i64(&l.b, "tid", 4243);
    fl_jbuf_str(&l.b, "rule", "short-writes");
    fl_jbuf_str(&l.b, "call", "write");
    fl_jbuf_i64(&l.b, "fd", 5);
    fl_jbuf_str(&l.b, "path", "/srv/data/a \"b\".db");
    fl_jbuf_str(&l.b, "action", "partial");
    fl_jbuf_u64(&l.b, "asked", 4096);
    fl_jbuf_i64(&l.b, "done", 2048);
    fl_jbuf_null(&l.b, "errno");
    fl_jbuf_u64(&l.b, "delay_ns", 0);
    ck_assert_str_eq(line_end(&l),
                     "{\"t\":1718000000.250000000,\"pid\":4242,\"tid\":4243,"
                     "\"rule\":\"short-writes\",\"call\":\"write\",\"fd\":5,"
                     "\"path\":\"/srv/data/a \\\"b\\\".db\",\"action\":\"partial\","
                     "\"asked\":4096,\"done\":2048,\"errno\":null,\"delay_ns\":0}\n");
}
END_TEST

/* ---- truncation --------------------------------------------------------------------------- */

/* The members of a test line, each added by one call. */
static void add_member(struct fl_jbuf *b, int i)
{
    switch (i) {
    case 0: fl_jbuf_time(b, "t", 1718000000, 1); break;
    case 1: fl_jbuf_i64(b, "pid", -77); break;
    case 2: fl_jbuf_str(b, "rule", "r\"1\\\n"); break;
    case 3: fl_jbuf_str(b, "path", "/a/long/path/\x01\x02\x03/with/\"escapes\"/\xc3\xa9"); break;
    case 4: fl_jbuf_bool(b, "ok", true); break;
    case 5: fl_jbuf_u64(b, "asked", UINT64_MAX); break;
    case 6: fl_jbuf_null(b, "errno"); break;
    case 7: fl_jbuf_str(b, "s", NULL); break;
    default: ck_abort_msg("no member %d", i);
    }
}
#define NMEMBERS 8

/* Each member's own text (`"key":value`), from a line holding it alone. */
static void member_texts(char texts[NMEMBERS][128])
{
    for (int i = 0; i < NMEMBERS; i++) {
        struct line l;
        line_init(&l, 256);
        add_member(&l.b, i);
        const char *t = line_end(&l);
        ck_assert_uint_gt(l.len, 4);
        ck_assert_uint_lt(l.len - 3, 128);
        memcpy(texts[i], t + 1, l.len - 3); /* strip "{" and "}\n" */
        texts[i][l.len - 3] = '\0';
    }
}

START_TEST(every_buffer_size_gives_whole_members_and_valid_json)
{
    static char texts[NMEMBERS][128];
    member_texts(texts);
    struct line full;
    line_init(&full, 512);
    for (int i = 0; i < NMEMBERS; i++)
        add_member(&full.b, i);
    line_end(&full);

    for (size_t cap = 4; cap <= full.len + 4; cap++) {
        struct line l;
        line_init(&l, cap);
        for (int i = 0; i < NMEMBERS; i++)
            add_member(&l.b, i);
        const char *t = line_end(&l);
        ck_assert_uint_ge(l.len, 3);
        ck_assert_int_eq(t[0], '{');
        ck_assert_str_eq(t + l.len - 2, "}\n");
        if (cap >= full.len) {
            ck_assert_str_eq(t, full.text);
            continue;
        }
        ck_assert_str_ne(t, full.text);
        /* Walk the members in order: what is there is whole, in order, and before the first
         * one left out every member is present; that one did not fit. */
        const char *p = t + 1;
        size_t used = 1;
        bool cut = false;
        for (int i = 0; i < NMEMBERS; i++) {
            size_t n = strlen(texts[i]), sep = p == t + 1 ? 0 : 1;
            bool here = strncmp(p + sep, texts[i], n) == 0 && (p[sep + n] == ',' ||
                                                                p[sep + n] == '}');
            if (sep && here)
                ck_assert_int_eq(p[0], ',');
            if (here) {
                p += sep + n;
                used += sep + n;
            } else if (!cut) {
                ck_assert_msg(used + sep + n + 2 > cap, "cap %zu: member %d left out but fits",
                              cap, i);
                cut = true;
            }
        }
        ck_assert_msg(cut, "cap %zu: shorter than the full line yet nothing left out", cap);
        ck_assert_str_eq(p, "}\n");
    }
}
END_TEST

START_TEST(member_that_does_not_fit_is_left_out_whole)
{
    /* Room for {"a":1, and part of the string member, not all of it. */
    struct line l;
    line_init(&l, 24);
    fl_jbuf_u64(&l.b, "a", 1);
    fl_jbuf_str(&l.b, "path", "\n\n\n\n\n\n");
    ck_assert_str_eq(line_end(&l), "{\"a\":1}\n");
    ck_assert_uint_eq(l.len, 8);
}
END_TEST

START_TEST(first_member_that_does_not_fit_leaves_an_empty_object)
{
    struct line l;
    line_init(&l, 10);
    fl_jbuf_str(&l.b, "rule", "too-long-for-ten");
    ck_assert_str_eq(line_end(&l), "{}\n");
}
END_TEST

START_TEST(exact_fit_keeps_every_byte)
{
    /* {"k":"v"}\n is 10 bytes: a cap of 10 holds it, 9 does not. */
    struct line l;
    line_init(&l, 10);
    fl_jbuf_str(&l.b, "k", "v");
    ck_assert_str_eq(line_end(&l), "{\"k\":\"v\"}\n");
    line_init(&l, 9);
    fl_jbuf_str(&l.b, "k", "v");
    ck_assert_str_eq(line_end(&l), "{}\n");
}
END_TEST

START_TEST(buffers_too_small_for_an_object_give_nothing)
{
    for (size_t cap = 0; cap <= 3; cap++) {
        struct line l;
        line_init(&l, cap);
        fl_jbuf_str(&l.b, "k", "v");
        fl_jbuf_u64(&l.b, "n", 1);
        ck_assert_uint_eq(fl_jbuf_end(&l.b), 0);
        for (size_t i = cap; i < cap + GUARD; i++)
            ck_assert_int_eq((unsigned char)l.buf[i], GUARD_BYTE);
    }
    /* 4 bytes: the smallest line, an empty object. */
    struct line l;
    line_init(&l, 4);
    fl_jbuf_u64(&l.b, "n", 1);
    ck_assert_str_eq(line_end(&l), "{}\n");
}
END_TEST

/* ---- fl_fmt_u64 --------------------------------------------------------------------------- */

static void check_fmt(uint64_t v, const char *want)
{
    char buf[32];
    memset(buf, GUARD_BYTE, sizeof buf);
    size_t n = fl_fmt_u64(buf, v);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_mem_eq(buf, want, n);
    for (size_t i = n; i < sizeof buf; i++)
        ck_assert_int_eq((unsigned char)buf[i], GUARD_BYTE);
}

START_TEST(fmt_u64_formats_decimal_without_terminator)
{
    check_fmt(0, "0");
    check_fmt(1, "1");
    check_fmt(9, "9");
    check_fmt(10, "10");
    check_fmt(4096, "4096");
    check_fmt(1000000000, "1000000000");
    check_fmt(10000000000000000000ull, "10000000000000000000");
    check_fmt(UINT64_MAX, "18446744073709551615");
}
END_TEST

/* ---- the checker itself ------------------------------------------------------------------- */

START_TEST(json_checker_rejects_broken_lines)
{
    static const char *const bad[] = {
        "{}",           "{\"a\":1}",      "{\"a\":1,}\n",   "{\"a\"1}\n",   "{\"a\":01}\n",
        "{\"a\":1.}\n", "{\"a\":\"\x01\"}\n", "{\"a\":\"\\x\"}\n",
        "{\"a\":\"\\u12\"}\n",
        "{\"a\":tru}\n", "{\"a\":\"\xff\"}\n", "{\"a\":\"\xc3\"}\n", "{\"a\":-}\n",
        "{a:1}\n",      "{\"a\":1}}\n",   "{\"a\":\"x}\n",
    };
    static const char *const good[] = {
        "{}\n", "{\"a\":-0.5e+3,\"b\":\"\\u00e9\\n\xc3\xa9\",\"c\":null,\"d\":false}\n",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        ck_assert_msg(!valid_json_line(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
    for (size_t i = 0; i < COUNT(good); i++)
        ck_assert_msg(valid_json_line(good[i], strlen(good[i])), "rejected %s", good[i]);
}
END_TEST

static Suite *events_suite(void)
{
    Suite *s = suite_create("events");
    TCase *exact = tcase_create("exact");
    tcase_add_test(exact, empty_object_is_braces_and_newline);
    tcase_add_test(exact, string_members_are_quoted_and_comma_separated);
    tcase_add_test(exact, string_escapes_quotes_and_backslashes);
    tcase_add_test(exact, string_escapes_control_characters);
    tcase_add_test(exact, string_keeps_utf8_as_is);
    tcase_add_test(exact, string_replaces_bytes_that_are_not_utf8);
    tcase_add_test(exact, peers_are_written_as_the_config_writes_them);
    tcase_add_test(exact, null_string_value_writes_null);
    tcase_add_test(exact, booleans_are_true_and_false);
    tcase_add_test(exact, signed_integers_cover_negative_and_extremes);
    tcase_add_test(exact, unsigned_integers_cover_zero_and_uint64_max);
    tcase_add_test(exact, time_has_nine_fractional_digits);
    tcase_add_test(exact, design_event_line_is_built_exactly);
    suite_add_tcase(s, exact);

    TCase *trunc = tcase_create("truncation");
    tcase_add_test(trunc, every_buffer_size_gives_whole_members_and_valid_json);
    tcase_add_test(trunc, member_that_does_not_fit_is_left_out_whole);
    tcase_add_test(trunc, first_member_that_does_not_fit_leaves_an_empty_object);
    tcase_add_test(trunc, exact_fit_keeps_every_byte);
    tcase_add_test(trunc, buffers_too_small_for_an_object_give_nothing);
    suite_add_tcase(s, trunc);

    TCase *num = tcase_create("numbers");
    tcase_add_test(num, fmt_u64_formats_decimal_without_terminator);
    tcase_add_test(num, json_checker_rejects_broken_lines);
    suite_add_tcase(s, num);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(events_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
