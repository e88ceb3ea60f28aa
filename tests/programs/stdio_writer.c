/* stdio_writer: writes lines through each stdio output function and reports every failure.
 *
 *   stdio_writer [-n COUNT] [-c FUNCS] [-x] [FILE]
 *
 * Writes to FILE (created/truncated), or to standard output when no FILE is given. For each of
 * COUNT rounds (default 1) it calls each function in FUNCS once (default: all of them, in this
 * order): fwrite fprintf fputs putc fputc printf puts putchar. Everything goes through stdout:
 * with a FILE, stdout is reopened on it (freopen), so that printf, puts and putchar land there too.
 *
 * Used by the integration tests (tests/integration/t_stdio_failures.sh, t_event_log.sh,
 * t_seed_determinism.sh, t_summary.sh, ...) and by `make demo`.
 *
 * On a failure it reports on stderr, without stdio (dprintf is not interposed and does not go
 * through the stderr FILE, which a rule on a stdio call could hit):
 *   stdio_writer: ROUND FUNC failed: ERRNONAME (strerror) ferror=1
 * then clears the stream's error flag and goes on. A failure that leaves ferror() unset is a
 * broken stdio contract: it is reported ("ferror not set") and the exit status becomes 3.
 * At the end: "stdio_writer: CALLS calls, FAILED failed" on stderr.
 *
 * Exit status: 0 all calls succeeded; 10 + index of the first function that failed (fwrite=10,
 * fprintf=11, fputs=12, putc=13, fputc=14, printf=15, puts=16, putchar=17); 3 a failure without
 * ferror set; 4 FILE could not be opened; 5 the final fflush/fclose failed; 2 usage.
 *
 * The calls are written so that gcc -O2 keeps each one as the named call (no printf->puts or
 * fputs->fputc rewriting): formats carry a %d, strings are longer than one byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = {"fwrite", "fprintf", "fputs", "putc",
                                    "fputc",  "printf",  "puts",  "putchar"};
#define NFUNCS (sizeof names / sizeof names[0])

static int func_index(const char *name, size_t len)
{
    for (size_t i = 0; i < NFUNCS; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return (int)i;
    return -1;
}

static void usage(void)
{
    dprintf(2, "usage: stdio_writer [-n COUNT] [-c FUNC,FUNC...] [-x] [FILE]\n"
               "  FUNCs: fwrite fprintf fputs putc fputc printf puts putchar\n"
               "  -x: close fd 2 just before exiting (for summary tests)\n");
    exit(2);
}

/* One call of function `f` for round `round` on `out` (stdout for printf, puts, putchar): the line is "ROUND FUNC\n". Returns
 * true on success. Each function writes its whole line (putc and friends a character at a
 * time). */
static int one_call(int f, int round, FILE *out)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%d %s\n", round, names[f]);
    switch (f) {
    case 0: /* fwrite */
        return fwrite(line, 1, (size_t)n, out) == (size_t)n;
    case 1: /* fprintf */
        return fprintf(out, "%d %s\n", round, names[f]) == n;
    case 2: /* fputs */
        return fputs(line, out) != EOF;
    case 3: /* putc */
        for (int i = 0; i < n; i++)
            if (putc(line[i], out) == EOF)
                return 0;
        return 1;
    case 4: /* fputc */
        for (int i = 0; i < n; i++)
            if (fputc(line[i], out) == EOF)
                return 0;
        return 1;
    case 5: /* printf */
        return printf("%d %s\n", round, names[f]) == n;
    case 6: /* puts: adds the newline itself */
        line[n - 1] = '\0';
        return puts(line) != EOF;
    case 7: /* putchar */
        for (int i = 0; i < n; i++)
            if (putchar(line[i]) == EOF)
                return 0;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long count = 1;
    int order[64], norder = 0, close_stderr = 0, opt;

    while ((opt = getopt(argc, argv, "n:c:x")) != -1) {
        switch (opt) {
        case 'n': {
            char *end;
            count = strtol(optarg, &end, 10);
            if (*end || count < 0 || count > 1000000)
                usage();
            break;
        }
        case 'c':
            for (const char *p = optarg; *p;) {
                size_t len = strcspn(p, ",");
                int f = func_index(p, len);
                if (f < 0 || norder == (int)(sizeof order / sizeof order[0]))
                    usage();
                order[norder++] = f;
                p += len;
                if (*p == ',')
                    p++;
            }
            break;
        case 'x':
            close_stderr = 1;
            break;
        default:
            usage();
        }
    }
    if (argc - optind > 1)
        usage();
    if (norder == 0)
        for (size_t i = 0; i < NFUNCS; i++)
            order[norder++] = (int)i;

    if (optind < argc && !freopen(argv[optind], "w", stdout)) {
        dprintf(2, "stdio_writer: cannot open %s: %s\n", argv[optind], strerror(errno));
        return 4;
    }

    int status = 0;
    long calls = 0, failed = 0;
    for (long round = 1; round <= count; round++) {
        for (int k = 0; k < norder; k++) {
            int f = order[k];
            FILE *stream = stdout;
            calls++;
            errno = 0;
            if (one_call(f, (int)round, stream))
                continue;
            int e = errno;
            int flagged = ferror(stream) != 0;
            failed++;
            const char *ename = strerrorname_np(e);
            dprintf(2, "stdio_writer: %ld %s failed: %s (%s) ferror=%d\n", round, names[f],
                    ename ? ename : "0", strerror(e), flagged);
            if (!flagged) {
                dprintf(2, "stdio_writer: %s failed but ferror not set\n", names[f]);
                status = 3;
            } else if (status == 0) {
                status = 10 + f;
            }
            clearerr(stream);
        }
    }
    dprintf(2, "stdio_writer: %ld calls, %ld failed\n", calls, failed);
    if (fflush(stdout) != 0) {
        dprintf(2, "stdio_writer: final flush failed: %s\n", strerror(errno));
        if (status == 0)
            status = 5;
    }
    if (close_stderr)
        close(2);
    return status;
}
