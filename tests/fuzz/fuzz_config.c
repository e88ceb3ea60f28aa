/* libFuzzer target: faultline's config reader and validator (lib/config.c) on arbitrary text.
 *
 * Each input is read twice through fl_config_load: as inline text (what FAULTLINE_RULES gives)
 * and as a config file (what FAULTLINE_CONFIG and `faultline check` give), and both readings
 * must agree (but for a file that sets nothing, which only a file may not be). Besides the
 * sanitizers' own checks (memory errors, leaks, undefined behaviour, an exit() from inside the
 * parser), the target aborts when the reader breaks its contract:
 *   - a failed load returns a zeroed config and one line "NAME[:LINE]: message" naming the
 *     text that was read;
 *   - a successful load returns only rules that hold what validation promises (a valid name,
 *     some calls, probability 0..1, jitter <= delay, min_size <= max_size, something injected);
 *   - each rule's text (what `faultline ctl set` edits) reads back, through fl_config_set_key,
 *     into the same rule;
 *   - errno is left as it was;
 *   - what libconfig alone refuses is refused, and what it reads is never a syntax error (the
 *     reader hands libconfig its text with an L after integers past 32 bits).
 * @include must never read a file: while the reader runs, fopen (which libconfig uses for
 * @include, and nothing else here) fails with ENOENT. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libconfig 1.5 itself loses the buffer of a string still open at the end of the text
 * ("a = \"x" then EOF: 64 bytes) and a string token its parser refuses ("x = 1; \"\"": 1 byte),
 * also without faultline (valgrind on a plain config_read_string): not ours to find. Only what
 * its scanner allocated is exempt; settings a missing config_destroy would lose, and faultline's
 * own allocations, are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

/* ---- no file is ever included -------------------------------------------------------------- */

static FILE *(*real_fopen)(const char *, const char *);
static bool reading;           /* set while fl_config_load or fl_config_set_key runs */
static unsigned long refused;  /* fopen calls refused, for the curious (gdb) */

/* Overrides libc's (and the sanitizer runtime's weak) fopen in this program, so libconfig's
 * @include comes here. Outside the reader, libFuzzer's own fopen calls go through. */
FILE *fopen(const char *path, const char *mode)
{
    if (reading) {
        refused++;
        errno = ENOENT;
        return NULL;
    }
    if (!real_fopen)
        real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
    return real_fopen(path, mode);
}

/* ---- the file copy of the input ------------------------------------------------------------ */

/* A memfd, read through /proc/self/fd/N: no disk write per input (on a disk-backed /tmp that
 * costs more than the parse). An @include in it is relative to /proc/self/fd: "1" is the
 * fuzzer's stdout, which the reader reads when it is a regular file (make fuzz > log), and the
 * message then names that file (after_any_name). */
static char path[64];
static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
    if (!real_fopen || (fd = memfd_create("fuzz_config.conf", MFD_CLOEXEC)) < 0)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return 0;
}

static void put_file(const char *text, size_t len)
{
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, len, 0) != (ssize_t)len)
        abort();
}

/* ---- checks -------------------------------------------------------------------------------- */

#define check(cond) ((cond) ? (void)0 : fail_check(#cond, __LINE__))

static void fail_check(const char *what, int line)
{
    fprintf(stderr, "fuzz_config.c:%d: check failed: %s\n", line, what);
    abort();
}

static bool zeroed(const struct fl_config *cfg)
{
    static const struct fl_config zero;
    return memcmp(cfg, &zero, sizeof zero) == 0;
}

/* The message after "NAME:LINE: " or "NAME: ", or NULL when it does not start with NAME. */
static const char *after_name(const char *text, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(text, name, n) != 0 || text[n] != ':')
        return NULL;
    text += n + 1;
    if (*text >= '1' && *text <= '9') {
        text += strspn(text, "0123456789");
        if (*text != ':')
            return NULL;
        text++;
    }
    return *text == ' ' && text[1] ? text + 1 : NULL;
}

/* The message after "NAME:LINE: " whatever NAME is: a message about an included file names
 * that file (any file an @include reaches: relative to /proc/self/fd, "1" is the fuzzer's own
 * stdout, a regular file when its output goes to one). NULL when it has no such prefix. */
static const char *after_any_name(const char *text)
{
    for (const char *c = strchr(text, ':'); c; c = strchr(c + 1, ':')) {
        const char *d = c + 1;
        if (*d < '1' || *d > '9')
            continue;
        d += strspn(d, "0123456789");
        if (d[0] == ':' && d[1] == ' ' && d[2])
            return d + 2;
    }
    return NULL;
}

static bool valid_name(const char *name)
{
    size_t len = strlen(name);
    return len >= 1 && len <= 64 &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") == len;
}

static void check_rule(const struct fl_rule_spec *r)
{
    bool any = false;

    check(r->name && valid_name(r->name));
    check(r->file && r->text && r->line >= 1);
    for (int w = 0; w < FL_CALL_WORDS; w++)
        any |= r->calls[w] != 0;
    check(any);
    check(r->probability >= 0 && r->probability <= 1);
    check(r->every >= 1);
    check(r->min_size <= r->max_size);
    check(r->jitter_ns <= r->delay_ns);
    check(r->action < FL_ACT_COUNT);
    check(r->action != FL_ACT_DELAY || r->delay_ns > 0);
    check(r->action != FL_ACT_ERROR || r->error != 0);
    check(r->action != FL_ACT_PARTIAL || (r->partial_pct >= 1 && r->partial_pct <= 99) ||
          (r->partial_pct == 0 && r->partial_bytes >= 1));
    check(r->action != FL_ACT_CORRUPT || (r->corrupt_bits >= 1 && r->corrupt_bits <= 64));
    check(r->action != FL_ACT_KILL || r->kill_signal > 0);
    check(!r->path || r->path[0] == '/' || r->path[0] == '*');
    check(!r->has_peer || r->peer.kind != FL_PEER_UNIX || (r->peer.unix_path && *r->peer.unix_path));
}

/* Two specs of one rule agree (the source file and line aside: `set` reads text of its own). */
static void check_same_rule(const struct fl_rule_spec *a, const struct fl_rule_spec *b)
{
    check(strcmp(a->name, b->name) == 0);
    check(memcmp(a->calls, b->calls, sizeof a->calls) == 0);
    check(a->enabled == b->enabled);
    check(a->probability == b->probability);
    check((!a->path && !b->path) || (a->path && b->path && strcmp(a->path, b->path) == 0));
    check(a->has_peer == b->has_peer);
    if (a->has_peer) {
        check(a->peer.kind == b->peer.kind && a->peer.any_host == b->peer.any_host &&
              a->peer.localhost == b->peer.localhost && a->peer.family == b->peer.family &&
              memcmp(a->peer.addr, b->peer.addr, sizeof a->peer.addr) == 0 &&
              a->peer.prefix == b->peer.prefix && a->peer.port == b->peer.port);
        check((!a->peer.unix_path && !b->peer.unix_path) ||
              (a->peer.unix_path && b->peer.unix_path &&
               strcmp(a->peer.unix_path, b->peer.unix_path) == 0));
    }
    check(a->fd_kind == b->fd_kind);
    check(a->min_size == b->min_size && a->max_size == b->max_size);
    check(a->after == b->after && a->every == b->every && a->times == b->times);
    check(a->start_ns == b->start_ns && a->duration_ns == b->duration_ns);
    check(a->action == b->action && a->error == b->error);
    check(a->partial_pct == b->partial_pct && a->partial_bytes == b->partial_bytes);
    check(a->corrupt_bits == b->corrupt_bits && a->kill_signal == b->kill_signal);
    check(a->delay_ns == b->delay_ns && a->jitter_ns == b->jitter_ns);
}

/* The rule's text reads back into the same rule: set `enabled` to what it already is. */
static void check_round_trip(const struct fl_rule_spec *r)
{
    struct fl_rule_spec back;
    struct fl_diag diag;

    reading = true;
    int rc = fl_config_set_key(r->text, "enabled", r->enabled ? "true" : "false", &back, &diag);
    reading = false;
    if (rc != 0) {
        fprintf(stderr, "rule text does not read back: %s\n  text: %s\n", diag.text, r->text);
        abort();
    }
    check_same_rule(r, &back);
    fl_rule_spec_free(&back);
}

static void check_failed(const struct fl_config *cfg, const struct fl_diag *diag, const char *name,
                         bool includes)
{
    check(zeroed(cfg));
    check(memchr(diag->text, '\0', sizeof diag->text) != NULL);
    check(after_name(diag->text, name) != NULL || (includes && after_any_name(diag->text)));
    check(strchr(diag->text, '\n') == NULL);
}

/* The input being read, inline and as a file. */
static const char *input = "";

/* Load `text` (NUL-terminated) with `path` or inline, checking errno and the contract. */
static int load(struct fl_config *cfg, struct fl_diag *diag, const char *file, const char *text)
{
    int rc;

    memset(cfg, 0x5a, sizeof *cfg);
    errno = 4242;
    reading = true;
    rc = fl_config_load(cfg, file, text, diag);
    reading = false;
    check(errno == 4242);
    check(rc == 0 || rc == -1);
    if (rc != 0)
        check_failed(cfg, diag, file ? file : "FAULTLINE_RULES",
                     strstr(input, "@include") != NULL);
    return rc;
}

/* Whether libconfig alone reads `text`. */
static bool libconfig_reads(const char *text)
{
    config_t lc;
    int ok;

    config_init(&lc);
    reading = true;
    ok = config_read_string(&lc, text);
    reading = false;
    config_destroy(&lc);
    return ok == CONFIG_TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fl_config a, b;
    struct fl_diag da, db;
    char *text = malloc(size + 1);
    size_t len;
    int ra, rb;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    len = strlen(text);   /* inline text ends at a NUL; the file gets the same bytes */
    input = text;

    ra = load(&a, &da, NULL, text);
    if (!libconfig_reads(text))
        check(ra != 0);
    else if (ra != 0)
        check(strncmp(after_name(da.text, "FAULTLINE_RULES"), "syntax error", 12) != 0);
    put_file(text, len);
    rb = load(&b, &db, path, NULL);
    if (ra == 0 && rb != 0) {
        /* only a file must set something: text that sets nothing reads as no rules inline */
        check(strcmp(after_name(db.text, path), "the config file is empty (no settings): write "
                     "rules = ( { ... } ), or rules = () for none") == 0);
        check(a.nrules == 0 && !a.has_seed && !a.log && !a.programs);
        fl_config_free(&a);
    } else if (ra != 0 && (!after_name(da.text, "FAULTLINE_RULES") || !after_name(db.text, path))) {
        /* a message about an included file: inline and file resolve a relative @include
         * against different directories, so each may reach a different file */
        check(rb != 0 || strstr(text, "@include"));
        if (rb == 0)
            fl_config_free(&b);
    } else if (ra != 0) {
        check(rb != 0);
        /* the same ":LINE: message" after the name of the text read (as far as both go: a
         * message is cut at the size of struct fl_diag, and then ends with "...") */
        const char *ma = da.text + strlen("FAULTLINE_RULES"), *mb = db.text + strlen(path);
        size_t na = strlen(ma), nb = strlen(mb), full = sizeof da.text - 1;
        /* an @include is relative to the file's directory (here /proc/self/fd, where "3" may
         * be any fd of the fuzzer's) and, inline, to the working directory: both fail, each for
         * the reason what its directory holds gives */
        if (strstr(text, "@include"))
            ;
        else if (strlen(da.text) < full && strlen(db.text) < full)
            check(na == nb && strcmp(ma, mb) == 0);
        else
            check(strncmp(ma, mb, (na < nb ? na : nb) - 3) == 0);
    } else {
        check(a.nrules == b.nrules && a.has_seed == b.has_seed && a.seed == b.seed);
        check(a.summary == b.summary && a.children == b.children && a.control == b.control &&
              a.dry_run == b.dry_run && a.nprograms == b.nprograms);
        check(!a.source && b.source && strcmp(b.source, path) == 0);
        check((!a.log && !b.log) || (a.log && b.log && strcmp(a.log, b.log) == 0));
        check(!a.nprograms == !a.programs);
        for (size_t i = 0; i < a.nprograms; i++)
            check(a.programs[i] && *a.programs[i] && !strchr(a.programs[i], '/') &&
                  strcmp(a.programs[i], b.programs[i]) == 0);
        for (size_t i = 0; i < a.nrules; i++) {
            check_rule(&a.rules[i]);
            check(strcmp(a.rules[i].file, "FAULTLINE_RULES") == 0);
            check(strcmp(b.rules[i].file, path) == 0);
            check(a.rules[i].line == b.rules[i].line);
            check(strcmp(a.rules[i].text, b.rules[i].text) == 0);
            check(a.rules[i].dry_run == b.rules[i].dry_run);
            check_same_rule(&a.rules[i], &b.rules[i]);
            check_round_trip(&a.rules[i]);
        }
        fl_config_free(&a);
        fl_config_free(&b);
    }

    if (len < 64) {   /* a duration's parser on its own */
        uint64_t ns = 0;
        if (fl_parse_duration(text, &ns) == 0)
            check(ns <= 86400ull * 1000000000ull);
    }
    free(text);
    return 0;
}
