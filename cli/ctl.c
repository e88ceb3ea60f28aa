/* faultline ctl: one command to a running process's control socket, and the client side of the
 * protocol (also used by faultline ps).
 *
 * The protocol: one request line; the reply is zero or more lines, then a final line "ok" or
 * "error: MESSAGE". */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ctlpath.h"

#define CTL_TIMEOUT_MS 10000

static int ctl_main(int argc, char **argv);

const struct fl_cli_verb fl_cli_ctl = {
    .name = "ctl",
    .summary = "send a command to a process started with control = true",
    .usage = "faultline ctl pid command [arg ...]",
    .options =
        "  -h, --help     this help\n"
        "Commands: list | stats | enable NAME | disable NAME | set NAME KEY=VALUE | reload |\n"
        "pause | resume | expire DURATION | expire off | power-loss | help. power-loss, in a run\n"
        "that tracks durability, kills every process of the run and faultline run rolls the\n"
        "files back to what was synced. The reply's lines go to stdout;\n"
        "an error reply to stderr, with exit status 1. Control characters in a reply print as\n"
        "\\xNN (tabs and newlines kept). The socket directory ($XDG_RUNTIME_DIR/faultline or\n"
        "/tmp/faultline-UID) must be this user's, mode 0700, not a link, and the socket served\n"
        "by the process's user or root: otherwise nothing is sent, and ctl says why.\n",
    .main = ctl_main,
};

/* ---- the client ----------------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or the deadline passes: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

static enum fl_ctl_status failed(struct fl_ctl_reply *r, const char *what, int err)
{
    snprintf(r->message, sizeof r->message, "%s%s%s", what, err ? ": " : "",
             err ? strerror(err) : "");
    return FL_CTL_FAILED;
}

/* Connect to `path` before the deadline; a status other than FL_CTL_OK when it cannot. */
static enum fl_ctl_status connect_to(int fd, const char *path, long long deadline,
                                     struct fl_ctl_reply *r)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof sa.sun_path)
        return failed(r, "the control socket's path is too long", 0);
    strcpy(sa.sun_path, path);
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return FL_CTL_NO_SOCKET;
        if (errno == ECONNREFUSED)
            return FL_CTL_REFUSED;
        if (errno != EAGAIN && errno != EINTR)
            return failed(r, path, errno);
        if (now_ms() >= deadline)   /* its backlog is full: try again shortly */
            return failed(r, "no reply within the time limit", 0);
        usleep(10000);
    }
    return FL_CTL_OK;
}

static enum fl_ctl_status send_all(int fd, const char *s, size_t n, long long deadline,
                                   struct fl_ctl_reply *r)
{
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w > 0) {
            s += w, n -= (size_t)w;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EPIPE || errno == ECONNRESET)
            return FL_CTL_OK;   /* it answered before reading (no free fd): read its reply */
        if (errno != EAGAIN)
            return failed(r, "cannot send the request", errno);
        if (wait_fd(fd, POLLOUT, deadline) <= 0)
            return failed(r, "no reply within the time limit", 0);
    }
    return FL_CTL_OK;
}

/* One reply line (without its newline): keep it, or end the reply. -1: not the final line. */
static int take_line(struct fl_ctl_reply *r, FILE *lines, const char *line)
{
    if (strcmp(line, "ok") == 0)
        return FL_CTL_OK;
    if (strncmp(line, "error:", 6) == 0) {
        snprintf(r->message, sizeof r->message, "%s", line + 6 + (line[6] == ' '));
        return FL_CTL_ERROR;
    }
    fprintf(lines, "%s\n", line);
    return -1;
}

/* Read reply lines until the final one. */
static enum fl_ctl_status read_reply(int fd, long long deadline, struct fl_ctl_reply *r)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    FILE *lines = open_memstream(&r->lines, &r->len);
    int st = -1;

    if (!lines)
        return failed(r, "out of memory", 0);
    while (st < 0) {
        char *nl;
        if (cap - len < 4096) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (!p) {
                st = failed(r, "out of memory", 0);
                break;
            }
            buf = p;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (wait_fd(fd, POLLIN, deadline) <= 0)
                st = failed(r, "no reply within the time limit", 0);
            continue;
        }
        if (n <= 0) {
            st = n == 0 ? failed(r, "the connection closed before the reply ended", 0)
                        : failed(r, "cannot read the reply", errno);
            break;
        }
        len += (size_t)n;
        buf[len] = '\0';
        while (st < 0 && (nl = memchr(buf, '\n', len))) {
            *nl = '\0';
            if (nl > buf && nl[-1] == '\r')
                nl[-1] = '\0';
            st = take_line(r, lines, buf);
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
        }
    }
    free(buf);
    fclose(lines);
    if (r->lines && !r->len) {
        free(r->lines);
        r->lines = NULL;
    }
    return (enum fl_ctl_status)st;
}

/* Whether uid may serve pid's socket: root, or one of pid's uids (real, effective, saved, fs,
 * from /proc/PID/status; else the owner of /proc/PID). */
static bool trusted_server(pid_t pid, uid_t uid)
{
    char path[64], line[256];
    bool found = false, ok = uid == 0;
    struct stat st;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "re"))) {
        while (!found && fgets(line, sizeof line, f)) {
            unsigned long u[4];
            if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2], &u[3]) == 4) {
                found = true;
                for (int i = 0; i < 4; i++)
                    ok |= u[i] == (unsigned long)uid;
            }
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    if (!found && stat(path, &st) == 0)
        ok |= st.st_uid == uid;
    return ok;
}

/* The server on fd must run as pid's user or root, or it is someone else's listening there. */
static enum fl_ctl_status check_server(int fd, pid_t pid, const char *path,
                                       struct fl_ctl_reply *r)
{
    struct ucred cred;
    socklen_t len = sizeof cred;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return failed(r, "cannot tell who serves the control socket", errno);
    if (trusted_server(pid, cred.uid))
        return FL_CTL_OK;
    snprintf(r->message, sizeof r->message, "%s is served by uid %u (pid %d), neither process "
             "%d's user nor root: not trusted, nothing sent (remove the socket)", path,
             (unsigned)cred.uid, (int)cred.pid, (int)pid);
    return FL_CTL_FAILED;
}

enum fl_ctl_dir_state fl_cli_ctl_dir_check(const char *dir, char *why, size_t cap)
{
    enum fl_ctl_dir_state st = fl_ctl_dir_check(dir, getuid(), why, cap);
    struct stat sb;
    char ignored[800];

    /* Root may steer another user's processes: a private directory of that user's will do,
     * since each socket's server is then checked against its process's user. */
    if (st == FL_CTL_DIR_UNSAFE && getuid() == 0 && lstat(dir, &sb) == 0 &&
        fl_ctl_dir_check(dir, sb.st_uid, ignored, sizeof ignored) == FL_CTL_DIR_OK)
        return FL_CTL_DIR_OK;
    return st;
}

/* One request to pid's control socket, its reply in *r (lines before the final one; the error
 * message or the reason of a failure). The socket directory is checked as the shim checks it,
 * and the server's credentials before anything is sent. Never prints; waits at most
 * timeout_ms in all. */
enum fl_ctl_status fl_ctl_request(pid_t pid, const char *request, int timeout_ms,
                                  struct fl_ctl_reply *r)
{
    char path[512], dir[256], *line;
    long long deadline = now_ms() + timeout_ms;
    enum fl_ctl_status st;
    int fd;

    memset(r, 0, sizeof *r);
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return FL_CTL_NO_PROCESS;
    if (!fl_ctl_dir(dir, sizeof dir) || !fl_ctl_socket(pid, path, sizeof path))
        return failed(r, "the control socket's path is too long", 0);
    switch (fl_cli_ctl_dir_check(dir, r->message, sizeof r->message)) {
    case FL_CTL_DIR_OK: break;
    case FL_CTL_DIR_MISSING: return FL_CTL_NO_SOCKET;
    default: return FL_CTL_UNSAFE;
    }
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
        return failed(r, "socket", errno);
    if ((st = connect_to(fd, path, deadline, r)) == FL_CTL_OK &&
        (st = check_server(fd, pid, path, r)) == FL_CTL_OK) {
        if (asprintf(&line, "%s\n", request) < 0) {
            st = failed(r, "out of memory", 0);
        } else {
            st = send_all(fd, line, strlen(line), deadline, r);
            free(line);
        }
    }
    if (st == FL_CTL_OK)
        st = read_reply(fd, deadline, r);
    close(fd);
    if (st == FL_CTL_FAILED && strcmp(r->message, "no reply within the time limit") == 0)
        snprintf(r->message, sizeof r->message, "no reply within %d s",
                 (timeout_ms + 999) / 1000);
    return st;
}

/* The length of the valid UTF-8 sequence at s (n bytes left) that is not a C1 control, or 0. */
static size_t utf8_printable(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    uint32_t cp;

    if (!len || s[0] > 0xf4 || len > n)
        return 0;
    cp = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return len;
}

char *fl_cli_escape(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    char *out = malloc(4 * n + 1), *o = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t len = s[i] >= 0x80 ? utf8_printable(s + i, n - i) : 0;
        if (len) {
            memcpy(o, s + i, len);
            o += len, i += len;
        } else if ((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\t' || s[i] == '\n') {
            *o++ = (char)s[i++];
        } else {
            o += sprintf(o, "\\x%02x", s[i++]);
        }
    }
    *o = '\0';
    return out;
}

/* Print text on f with control characters escaped (fl_cli_escape). */
static void put_escaped(FILE *f, const char *text)
{
    char *safe = fl_cli_escape(text, strlen(text));

    fputs(safe ? safe : "(reply not shown: out of memory)\n", f);
    free(safe);
}

/* Release the reply's lines; the message stays readable. */
void fl_ctl_reply_free(struct fl_ctl_reply *r)
{
    free(r->lines);
    r->lines = NULL;
    r->len = 0;
}

/* ---- the verb ------------------------------------------------------------------------------- */

/* The words joined by single spaces; NULL (after a usage error) when one holds a line break. */
static char *join_words(char **words, int n)
{
    size_t len = 1;
    char *line;

    for (int i = 0; i < n; i++) {
        if (strpbrk(words[i], "\r\n")) {
            fl_cli_usage_error(&fl_cli_ctl, "a command is one line: '%s' holds a line break",
                               words[i]);
            return NULL;
        }
        len += strlen(words[i]) + 1;
    }
    if (!(line = malloc(len)))
        return NULL;
    line[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(line, " ");
        strcat(line, words[i]);
    }
    return line;
}

static int ctl_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fl_ctl_reply reply;
    enum fl_ctl_status st;
    char *request;
    pid_t pid;
    int c;

    while ((c = getopt_long(argc, argv, "+:h", longs, NULL)) != -1) {
        if (c == 'h')
            return fl_cli_help(&fl_cli_ctl);
        return fl_cli_bad_option(&fl_cli_ctl, c, argv);
    }
    if (argc - optind < 2)
        return fl_cli_usage_error(&fl_cli_ctl, argc - optind ? "no command to send"
                                                             : "no process ID and command");
    if ((pid = fl_cli_parse_pid(argv[optind])) < 0)
        return fl_cli_usage_error(&fl_cli_ctl, "'%s' is not a process ID", argv[optind]);
    if (!(request = join_words(argv + optind + 1, argc - optind - 1)))
        return FL_EXIT_USAGE;
    st = fl_ctl_request(pid, request, CTL_TIMEOUT_MS, &reply);
    free(request);
    if (reply.lines)
        put_escaped(stdout, reply.lines);
    fl_ctl_reply_free(&reply);
    switch (st) {
    case FL_CTL_OK:
        return FL_EXIT_OK;
    case FL_CTL_NO_PROCESS:
        fl_cli_say("no process %d", (int)pid);
        break;
    case FL_CTL_NO_SOCKET:
    case FL_CTL_REFUSED:
        fl_cli_say("process %d has no control socket (start it with control = true or "
                   "faultline run --control)", (int)pid);
        break;
    case FL_CTL_UNSAFE:
        fl_cli_say("process %d has no control socket: the socket directory is unsafe, so no "
                   "process can serve one there: %s", (int)pid, reply.message);
        break;
    default: {
        char *safe = fl_cli_escape(reply.message, strlen(reply.message));
        fl_cli_say("%d: %s", (int)pid, safe ? safe : "?");
        free(safe);
    }
    }
    return FL_EXIT_FAIL;
}
