/* JSON lines without printf or malloc: safe in any context the shim runs in. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include "events.h"

#define TAIL 2 /* room kept for "}\n" */

void fl_jbuf_init(struct fl_jbuf *b, char *buf, size_t cap)
{
    b->p = buf;
    b->cap = cap;
    b->len = 0;
    b->first = true;
    if (cap > TAIL + 1)
        b->p[b->len++] = '{';
}

static bool put(struct fl_jbuf *b, const char *s, size_t n)
{
    if (b->len + n + TAIL > b->cap)
        return false;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

/* Open a member: `,"key":`. Returns false, writing nothing, when it does not fit. */
static bool key(struct fl_jbuf *b, const char *k, size_t *mark)
{
    *mark = b->len;
    if ((!b->first && !put(b, ",", 1)) || !put(b, "\"", 1) || !put(b, k, strlen(k)) ||
        !put(b, "\":", 2)) {
        b->len = *mark;
        return false;
    }
    return true;
}

/* Finish a member, or take it back whole when it did not fit. */
static void done(struct fl_jbuf *b, size_t mark, bool ok)
{
    if (ok)
        b->first = false;
    else
        b->len = mark;
}

size_t fl_fmt_u64(char *buf, uint64_t v)
{
    char tmp[21];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10));
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
             : (s[0] & 0xf0) == 0xe0 ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f)))
        return 0; /* overlong, or a UTF-16 surrogate */
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f)))
        return 0; /* overlong, or beyond U+10FFFF */
    return n;
}

/* Write s as the inside of a JSON string. Bytes that are not UTF-8 (paths may hold any) become
 * U+FFFD, so that every line stays valid JSON. */
static bool put_escaped(struct fl_jbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        char esc[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
        size_t n = utf8_len(c);
        bool ok;
        if (*c == '"' || *c == '\\')
            ok = put(b, "\\", 1) && put(b, (const char *)c, 1);
        else if (*c < 0x20 || *c == 0x7f)
            ok = put(b, esc, sizeof esc);
        else if (n == 0)
            ok = put(b, "\\ufffd", 6);
        else
            ok = put(b, (const char *)c, n);
        if (!ok)
            return false;
        c += n ? n : 1;
    }
    return true;
}

void fl_jbuf_str(struct fl_jbuf *b, const char *k, const char *value)
{
    size_t mark;
    if (!key(b, k, &mark))
        return;
    bool ok = value ? put(b, "\"", 1) && put_escaped(b, value) && put(b, "\"", 1)
                    : put(b, "null", 4);
    done(b, mark, ok);
}

void fl_jbuf_u64(struct fl_jbuf *b, const char *k, uint64_t value)
{
    char num[21];
    size_t mark;
    if (key(b, k, &mark))
        done(b, mark, put(b, num, fl_fmt_u64(num, value)));
}

void fl_jbuf_i64(struct fl_jbuf *b, const char *k, int64_t value)
{
    char num[22];
    size_t mark, n = 0;
    uint64_t mag = (uint64_t)value;
    if (value < 0) {
        num[n++] = '-';
        mag = -mag;
    }
    n += fl_fmt_u64(num + n, mag);
    if (key(b, k, &mark))
        done(b, mark, put(b, num, n));
}

void fl_jbuf_time(struct fl_jbuf *b, const char *k, int64_t sec, long nsec)
{
    char num[32];
    size_t mark, n = fl_fmt_u64(num, (uint64_t)sec);
    num[n++] = '.';
    for (long div = 100000000; div >= 1; div /= 10)
        num[n++] = (char)('0' + nsec / div % 10);
    if (key(b, k, &mark))
        done(b, mark, put(b, num, n));
}

void fl_jbuf_bool(struct fl_jbuf *b, const char *k, bool value)
{
    size_t mark;
    if (key(b, k, &mark))
        done(b, mark, value ? put(b, "true", 4) : put(b, "false", 5));
}

void fl_jbuf_null(struct fl_jbuf *b, const char *k)
{
    size_t mark;
    if (key(b, k, &mark))
        done(b, mark, put(b, "null", 4));
}

size_t fl_jbuf_end(struct fl_jbuf *b)
{
    if (b->cap <= TAIL + 1)
        return 0;
    b->p[b->len++] = '}';
    b->p[b->len++] = '\n';
    return b->len;
}

/* Append s to buf[*len] within cap (keeping room for the NUL); false when it does not fit. */
static bool cat(char *buf, size_t *len, size_t cap, const char *s, size_t n)
{
    if (*len + n >= cap)
        return false;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return true;
}

const char *fl_fmt_peer(const struct sockaddr *sa, char *buf, size_t cap)
{
    char addr[INET6_ADDRSTRLEN], port[8];
    size_t len = 0;
    bool ok = cap > 0;
    if (ok)
        buf[0] = '\0';
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
        bool v6 = sa->sa_family == AF_INET6;
        const void *a = v6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                           : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
        uint16_t p = ntohs(v6 ? ((const struct sockaddr_in6 *)sa)->sin6_port
                              : ((const struct sockaddr_in *)sa)->sin_port);
        inet_ntop(sa->sa_family, a, addr, sizeof addr);
        ok = ok && (!v6 || cat(buf, &len, cap, "[", 1)) &&
             cat(buf, &len, cap, addr, strlen(addr)) && (!v6 || cat(buf, &len, cap, "]", 1)) &&
             cat(buf, &len, cap, ":", 1) && cat(buf, &len, cap, port, fl_fmt_u64(port, p));
    } else if (sa->sa_family == AF_UNIX) {
        const char *path = ((const struct sockaddr_un *)sa)->sun_path;
        size_t max = sizeof((const struct sockaddr_un *)sa)->sun_path;
        bool abstract = path[0] == '\0'; /* the name after the NUL, shown with '@' as ss(8) */
        if (abstract && path[1] == '\0')
            return NULL; /* unnamed (socketpair): nothing to say */
        ok = ok && cat(buf, &len, cap, abstract ? "unix:@" : "unix:", abstract ? 6 : 5) &&
             cat(buf, &len, cap, path + abstract, strnlen(path + abstract, max - abstract));
    } else {
        ok = false;
    }
    return ok ? buf : NULL;
}
