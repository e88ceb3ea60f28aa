/* faultline run's parent mode (powerloss.h): where the journal goes, the program as a child
 * under this process as subreaper, and the rollback after a power loss.
 *
 * The journal must be on the tracked files' file system: a power loss is undone through hard
 * links to the files it changed, which cannot cross file systems. Each durable glob's base is
 * the directory every path it matches lies under (its longest leading part without a wildcard,
 * cut at its last '/'; the working directory for a relative glob), or its nearest existing
 * ancestor; all bases must share one file system. The journal goes in --journal DIR, else in
 * $TMPDIR (or /tmp) when that is on the same file system, else beside the first base (in its
 * parent), else in the base itself.
 *
 * The wait is one poll over a signalfd (SIGCHLD and the signals forwarded to the program's group)
 * and an inotify watch on the journal directory, which wakes the parent when a process of the run
 * writes the power-loss file: the processes the shim's kill did not reach (other process groups)
 * are killed then, whether or not the program itself has exited. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "iouring.h"
#include "journal.h"
#include "jsonl.h"
#include "powerloss.h"
#include "safefile.h"

/* ---- where the journal goes ----------------------------------------------------------------- */

/* One durable glob's base directory, as far as it exists, and its file system. */
struct base {
    const char *glob;
    char dir[PATH_MAX];
    dev_t dev;
};

/* Cut `path` at its last '/' ("/a/b" -> "/a", "/a" -> "/"). */
static void cut_last(char *path)
{
    char *slash = strrchr(path, '/');

    if (slash == path || !slash)
        path[1] = '\0', path[0] = '/';
    else
        *slash = '\0';
}

/* Fill *b for `glob` (absolute, or "*" "/" + a relative glob). -1 after saying why. */
static int find_base(const char *glob, struct base *b)
{
    size_t n = strcspn(glob, "*?[\\");
    struct stat st;

    b->glob = glob;
    while (n > 0 && glob[n - 1] != '/')
        n--;
    if (glob[0] != '/') {
        if (!getcwd(b->dir, sizeof b->dir)) {
            fl_cli_say("durable '%s': the working directory: %s", glob, strerror(errno));
            return -1;
        }
    } else {
        if (n >= sizeof b->dir) {
            fl_cli_say("durable '%s': the path is too long", glob);
            return -1;
        }
        memcpy(b->dir, glob, n);
        b->dir[n] = '\0';
        while (n > 1 && b->dir[n - 1] == '/')
            b->dir[--n] = '\0';
    }
    for (;;) {
        bool found = stat(b->dir, &st) == 0;
        if (found && S_ISDIR(st.st_mode))
            break;
        if ((!found && errno != ENOENT && errno != ENOTDIR) || strcmp(b->dir, "/") == 0) {
            fl_cli_say("durable '%s': %s: %s", glob, b->dir,
                       found ? "not a directory" : strerror(errno));
            return -1;
        }
        cut_last(b->dir);
    }
    b->dev = st.st_dev;
    return 0;
}

/* Whether the journal can be made in `dir`: a directory on file system `dev` this user may
 * write in. */
static bool usable(const char *dir, dev_t dev)
{
    struct stat st;

    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == dev &&
           access(dir, W_OK | X_OK) == 0;
}

#define HARD_LINKS "a power loss is undone with hard links, which cannot cross file systems"

/* The directory to make the journal in, for the bases b[0..n) (one file system): into
 * place[PATH_MAX]. -1 after saying why there is none and what to do. */
static int journal_place(const struct fl_power_opts *o, const struct base *b, size_t n,
                         char *place)
{
    const char *tmp = getenv("TMPDIR");
    struct stat st;
    char parent[PATH_MAX];

    for (size_t i = 1; i < n; i++)
        if (b[i].dev != b[0].dev) {
            fl_cli_say("durable '%s' and '%s' are on two file systems (%s and %s): " HARD_LINKS
                       " (track the files of one file system per run)",
                       b[0].glob, b[i].glob, b[0].dir, b[i].dir);
            return -1;
        }
    if (o->journal_in) {
        if (stat(o->journal_in, &st) != 0) {
            fl_cli_say("--journal %s: %s", o->journal_in, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            fl_cli_say("--journal %s: not a directory", o->journal_in);
            return -1;
        }
        if (st.st_dev != b[0].dev) {
            fl_cli_say("--journal %s is on another file system than %s (durable '%s'): "
                       HARD_LINKS " (give --journal a directory on the file system of %s)",
                       o->journal_in, b[0].dir, b[0].glob, b[0].dir);
            return -1;
        }
        snprintf(place, PATH_MAX, "%s", o->journal_in);
        return 0;
    }
    if (!tmp || tmp[0] != '/')
        tmp = "/tmp";
    snprintf(parent, sizeof parent, "%s", b[0].dir);
    cut_last(parent);
    if (usable(tmp, b[0].dev))
        snprintf(place, PATH_MAX, "%s", tmp);
    else if (usable(parent, b[0].dev))
        snprintf(place, PATH_MAX, "%s", parent);
    else if (usable(b[0].dir, b[0].dev))
        snprintf(place, PATH_MAX, "%s", b[0].dir);
    else {
        fl_cli_say("no place for the journal: %s is on another file system than %s (durable "
                   "'%s'), and neither %s nor %s can be written: " HARD_LINKS " (run with "
                   "--journal DIR on the file system of %s)",
                   tmp, b[0].dir, b[0].glob, parent, b[0].dir, b[0].dir);
        return -1;
    }
    return 0;
}

/* Make the journal in `place`: r->journal, absolute. -1 after saying why. */
static int make_journal(struct fl_power_run *r, const char *place)
{
    char tmpl[PATH_MAX];
    bool root = strcmp(place, "/") == 0;

    if (snprintf(tmpl, sizeof tmpl, "%s/faultline-journal.XXXXXX", root ? "" : place) >=
            (int)sizeof tmpl ||
        !mkdtemp(tmpl)) {
        fl_cli_say("cannot make the journal in %s: %s", place,
                   errno ? strerror(errno) : "the path is too long");
        return -1;
    }
    if (!realpath(tmpl, r->journal) || fl_journal_create(r->journal) != 0) {
        fl_cli_say("cannot make the journal %s: %s", tmpl, strerror(errno));
        rmdir(tmpl);
        return -1;
    }
    return 0;
}

/* ---- preparing ------------------------------------------------------------------------------ */

/* The run's seed: the one FAULTLINE_SEED or the config fixes, or one chosen and exported. */
static int choose_seed(struct fl_power_run *r, const struct fl_config *cfg)
{
    char text[24];
    uint32_t drawn;

    if (r->o.seed) {
        r->seed = strtoull(r->o.seed, NULL, 10);
        return 0;
    }
    if (cfg->has_seed) {
        r->seed = cfg->seed;
        return 0;
    }
    if (getrandom(&drawn, sizeof drawn, 0) != (ssize_t)sizeof drawn)
        drawn = (uint32_t)time(NULL) ^ (uint32_t)getpid();
    r->seed = drawn;
    r->seed_chosen = true;
    snprintf(text, sizeof text, "%" PRIu64, r->seed);
    if (setenv("FAULTLINE_SEED", text, 1) != 0) {
        fl_cli_say("cannot set the environment: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Prepare as powerloss.h says. */
int fl_power_prepare(struct fl_power_run *r, const struct fl_config *cfg,
                     const struct fl_power_opts *opts)
{
    struct base *b = calloc(cfg->ndurable, sizeof *b);
    char place[PATH_MAX];
    int rc = -1;

    memset(r, 0, sizeof *r);
    r->o = *opts;
    r->go_fd = r->tty_fd = -1;
    r->torn_sector = cfg->torn_sector;
    r->torn_keep = cfg->torn_keep;
    if (!b) {
        fl_cli_say("out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->ndurable; i++)
        if (find_base(cfg->durable[i], &b[i]) < 0)
            goto out;
    if (journal_place(opts, b, cfg->ndurable, place) < 0 || choose_seed(r, cfg) < 0 ||
        make_journal(r, place) < 0)
        goto out;
    if (setenv("FAULTLINE_JOURNAL", r->journal, 1) != 0) {
        fl_cli_say("cannot set the environment: %s", strerror(errno));
        fl_journal_remove(r->journal);
        goto out;
    }
    rc = 0;
out:
    free(b);
    return rc;
}

/* ---- the terminal --------------------------------------------------------------------------- */

/* The controlling terminal, when this process's group is its foreground group; else -1. */
static int foreground_tty(void)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

    if (fd >= 0 && tcgetpgrp(fd) != getpgrp()) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Make `pgrp` the terminal's foreground group (SIGTTOU blocked: this process may be in the
 * background by now). */
static void give_terminal(int tty, pid_t pgrp)
{
    sigset_t ttou, old;

    if (tty < 0)
        return;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old);
    tcsetpgrp(tty, pgrp);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- starting ------------------------------------------------------------------------------- */

/* The signals the parent takes through its signalfd: SIGCHLD, and those it forwards. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void watched_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaddset(set, forwarded[i]);
}

/* In the child: wait until the parent closes its end of `go` (EOF). */
static void wait_for_go(int go)
{
    char c;

    while (read(go, &c, 1) < 0 && errno == EINTR)
        ;
    close(go);
}

/* Start as powerloss.h says. */
pid_t fl_power_start(struct fl_power_run *r)
{
    sigset_t watched;
    int go[2], err;
    pid_t pid;

    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 || pipe2(go, O_CLOEXEC) != 0) {
        fl_cli_say("cannot start the program: %s", strerror(errno));
        fl_journal_remove(r->journal);
        return -1;
    }
    r->tty_fd = foreground_tty();
    watched_signals(&watched);
    sigprocmask(SIG_BLOCK, &watched, &r->old_mask);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        char pgid[24], why[256];
        close(go[1]);
        setpgid(0, 0);
        snprintf(pgid, sizeof pgid, "%d", (int)getpid());
        setenv("FAULTLINE_RUN_PGID", pgid, 1);
        wait_for_go(go[0]);
        if (fl_refuse_io_uring(why, sizeof why) != 0) {
            fl_cli_say("%s", why);
            _exit(FL_EXIT_USAGE);
        }
        if (r->tty_fd >= 0)
            close(r->tty_fd);
        sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
        return 0;
    }
    err = errno;
    close(go[0]);
    if (pid < 0) {
        close(go[1]);
        sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
        fl_cli_say("cannot start the program: %s", strerror(err));
        fl_journal_remove(r->journal);
        return -1;
    }
    setpgid(pid, pid);      /* also here: the child has not run yet, the group exists now */
    give_terminal(r->tty_fd, pid);
    r->child = pid;
    r->go_fd = go[1];
    return pid;
}

/* Abandon as powerloss.h says. */
void fl_power_abandon(struct fl_power_run *r)
{
    kill(r->child, SIGKILL);
    close(r->go_fd);
    while (waitpid(r->child, NULL, 0) < 0 && errno == EINTR)
        ;
    give_terminal(r->tty_fd, getpgrp());
    fl_journal_remove(r->journal);
}

/* ---- waiting -------------------------------------------------------------------------------- */

/* What the wait saw. */
struct outcome {
    bool ended;         /* the program (the main child) has exited */
    int status;         /* then its status: 128 + N for signal N */
};

static int decode(int st)
{
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* The program was stopped from the terminal (^Z): stop this process too, so that the shell sees
 * the job stop; when continued, hand the terminal back if the job is in the foreground, and
 * continue the program. */
static void follow_stop(struct fl_power_run *r)
{
    give_terminal(r->tty_fd, getpgrp());
    kill(getpid(), SIGSTOP);
    if (tcgetpgrp(r->tty_fd) == getpgrp())
        give_terminal(r->tty_fd, r->child);
    kill(-r->child, SIGCONT);
}

/* Declare the power loss --power-loss-at-exit asks for. */
static void declare_at_exit(struct fl_power_run *r, int status)
{
    struct fl_journal j;
    char why[128];

    snprintf(why, sizeof why, "faultline run --power-loss-at-exit: the program exited with "
             "status %d", status);
    if (fl_journal_open(&j, r->journal) != 0 || fl_journal_power_loss(&j, why) != 0)
        fl_cli_say("cannot declare the power loss in %s: %s", r->journal, strerror(errno));
    fl_journal_close(&j);
}

/* Reap every child that has exited. Returns 1 when none is left, 0 otherwise. */
static int reap(struct fl_power_run *r, struct outcome *out)
{
    int st;

    for (;;) {
        pid_t pid = waitpid(-1, &st, WNOHANG | (r->tty_fd >= 0 ? WUNTRACED : 0));
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            return 1;
        if (pid == 0)
            return 0;
        if (pid != r->child || out->ended)
            continue;
        if (WIFSTOPPED(st)) {
            follow_stop(r);
            continue;
        }
        out->ended = true;
        out->status = decode(st);
        give_terminal(r->tty_fd, getpgrp());
    }
}

/* Forward the signals waiting in the signalfd to the program's process group. */
static void forward(int sfd, pid_t pgrp)
{
    struct signalfd_siginfo si;

    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
        if (si.ssi_signo != SIGCHLD)
            kill(-pgrp, (int)si.ssi_signo);
}

/* Wait until every process of the run is gone (false) or a power loss is declared (true). */
static bool wait_run(struct fl_power_run *r, struct outcome *out)
{
    sigset_t watched;
    int sfd, ifd;
    bool lost = false;
    char buf[4096];

    watched_signals(&watched);
    sfd = signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK);
    ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ifd >= 0 && inotify_add_watch(ifd, r->journal, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        close(ifd);
        ifd = -1;
    }
    close(r->go_fd);        /* the program starts now */
    r->go_fd = -1;
    for (;;) {
        bool ended = out->ended;
        int gone = reap(r, out);
        if ((lost = fl_journal_lost_power(r->journal, NULL, 0)))
            break;
        if (!ended && out->ended && r->o.at_exit) {
            declare_at_exit(r, out->status);
            lost = true;
            break;
        }
        if (gone)
            break;
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = ifd, .events = POLLIN}};
        /* without a signalfd or an inotify watch, or when poll fails, look again in 100 ms */
        if (poll(p, 2, sfd < 0 || ifd < 0 ? 100 : -1) < 0 && errno != EINTR)
            poll(NULL, 0, 100);
        if (sfd >= 0)
            forward(sfd, r->child);
        while (ifd >= 0 && read(ifd, buf, sizeof buf) > 0)
            ;
    }
    if (sfd >= 0)
        close(sfd);
    if (ifd >= 0)
        close(ifd);
    return lost;
}

/* ---- the power loss ------------------------------------------------------------------------- */

/* The parent of process `pid` from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512], *close_paren;
    ssize_t n;
    int fd, ppid;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* "PID (COMM) S PPID ...": COMM may hold anything, ')' too: the last ')' ends it */
    if (!(close_paren = strrchr(buf, ')')) || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
        return -1;
    return ppid;
}

/* SIGKILL every process whose chain of parents leads to this one. */
static void kill_descendants(void)
{
    struct { pid_t pid, ppid; } *procs = NULL;
    size_t n = 0, cap = 0;
    pid_t self = getpid();
    DIR *d = opendir("/proc");
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        pid_t pid = fl_cli_parse_pid(e->d_name), ppid;
        if (pid <= 0 || (ppid = parent_of(pid)) < 0)
            continue;
        if (n == cap) {
            void *grown = realloc(procs, (cap = cap ? 2 * cap : 256) * sizeof *procs);
            if (!grown)
                break;
            procs = grown;
        }
        procs[n].pid = pid, procs[n].ppid = ppid, n++;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        pid_t up = procs[i].ppid;
        for (size_t hops = 0; up > 1 && up != self && hops < n; hops++) {
            size_t k = 0;
            while (k < n && procs[k].pid != up)
                k++;
            up = k < n ? procs[k].ppid : 0;
        }
        if (up == self)
            kill(procs[i].pid, SIGKILL);
    }
    free(procs);
}

/* Kill every process of the run and reap them all. */
static void kill_run(struct fl_power_run *r, struct outcome *out)
{
    int st;

    kill(-r->child, SIGKILL);
    for (;;) {
        kill_descendants();
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            break;
        if (pid == r->child && !out->ended) {
            out->ended = true;
            out->status = decode(st);
        }
    }
    give_terminal(r->tty_fd, getpgrp());
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The line that says what the rollback did, after "power loss (WHY): ". */
static void say_rollback(const struct fl_power_run *r, const char *why,
                         const struct fl_rollback_summary *s)
{
    char torn[160] = "", seed[48] = "";

    if (r->torn_sector)
        snprintf(torn, sizeof torn, "; kept %" PRIu64 " %s of %u bytes (keep %g, seed %" PRIu64
                 ")", s->sectors_kept, plural(s->sectors_kept, "sector", "sectors"),
                 r->torn_sector, r->torn_keep, r->seed);
    else if (r->seed_chosen)
        snprintf(seed, sizeof seed, "; seed %" PRIu64, r->seed);
    fl_cli_say("power loss (%s): rolled back %" PRIu64 " %s (%" PRIu64 " %s), %" PRIu64 " %s, "
               "%" PRIu64 " %s; %" PRIu64 " %s already durable%s%s",
               why, s->writes_undone, plural(s->writes_undone, "write", "writes"),
               s->bytes_restored, plural(s->bytes_restored, "byte", "bytes"),
               s->sizes_restored, plural(s->sizes_restored, "size", "sizes"),
               s->names_undone, plural(s->names_undone, "name", "names"),
               s->durable_skipped, plural(s->durable_skipped, "record was", "records were"),
               torn, seed);
}

/* The event log's path for the program's pid: %p expanded, %% one %. */
static void log_path(const char *spec, pid_t pid, char *path, size_t cap)
{
    size_t n = 0;

    for (const char *s = spec; *s && n + 24 < cap; s++) {
        if (s[0] == '%' && s[1] == 'p')
            n += (size_t)snprintf(path + n, cap - n, "%d", (int)pid), s++;
        else if (s[0] == '%' && s[1] == '%')
            path[n++] = '%', s++;
        else
            path[n++] = *s;
    }
    path[n] = '\0';
}

/* Append {"event":"rollback",...} to the event log, as one write. */
static void log_rollback(const struct fl_power_run *r, const char *spec, const char *why,
                         const struct fl_rollback_summary *s, const char *error)
{
    char path[PATH_MAX], trouble[256], *line = NULL;
    size_t len = 0;
    struct timespec now;
    bool regular;
    FILE *f;
    int fd;

    if (!spec || !*spec || strcmp(spec, "stderr") == 0)
        return;
    log_path(spec, r->child, path, sizeof path);
    if ((fd = fl_open_log(path, &regular, trouble, sizeof trouble)) < 0) {
        fl_cli_say("%s: cannot open event log: %s", path, trouble);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    if (!(f = open_memstream(&line, &len))) {
        close(fd);
        return;
    }
    /* pid and tid: the program's, whose log this is (faultline report counts the line there) */
    fprintf(f, "{\"event\":\"rollback\",\"t\":%lld.%09ld,\"pid\":%d,\"tid\":%d,"
            "\"run_pid\":%d,\"why\":",
            (long long)now.tv_sec, now.tv_nsec, (int)r->child, (int)r->child, (int)getpid());
    fl_json_put_string(f, why);
    fputs(",\"journal\":", f);
    fl_json_put_string(f, r->journal);
    fprintf(f, ",\"ok\":%s", error ? "false" : "true");
    if (error) {
        fputs(",\"error\":", f);
        fl_json_put_string(f, error);
    }
    fprintf(f, ",\"records\":%" PRIu64 ",\"writes_undone\":%" PRIu64 ",\"bytes_restored\":%"
            PRIu64 ",\"sizes_restored\":%" PRIu64 ",\"names_undone\":%" PRIu64
            ",\"durable_skipped\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"seed\":%" PRIu64,
            s->records, s->writes_undone, s->bytes_restored, s->sizes_restored, s->names_undone,
            s->durable_skipped, s->failed, r->seed);
    if (r->torn_sector)
        fprintf(f, ",\"torn_sector\":%u,\"torn_keep\":%.17g,\"sectors_kept\":%" PRIu64,
                r->torn_sector, r->torn_keep, s->sectors_kept);
    fputs("}\n", f);
    if (fclose(f) == 0 && write(fd, line, len) != (ssize_t)len)
        fl_cli_say("%s: cannot write the rollback to the event log: %s", path, strerror(errno));
    free(line);
    close(fd);
}

/* Roll the files back and say so. Returns 0, or -1 when the rollback failed (said). */
static int roll_back(struct fl_power_run *r, const char *log)
{
    struct fl_rollback_opts opts = {
        .sector = r->torn_sector, .keep = r->torn_keep, .seed = r->seed,
    };
    struct fl_rollback_summary s = {0};
    char why[1024] = "", error[1024] = "";
    size_t n;

    if (!fl_journal_lost_power(r->journal, why, sizeof why) || !why[0])
        snprintf(why, sizeof why, "no reason recorded");
    n = strcspn(why, "\n");
    why[n] = '\0';
    if (fl_journal_rollback(r->journal, &opts, &s, error, sizeof error) != 0) {
        if (!error[0])
            snprintf(error, sizeof error, "%s", strerror(errno));
        log_rollback(r, log, why, &s, error);
        fl_cli_say("power loss (%s): the rollback failed, nothing was undone: %s; the journal "
                   "is kept in %s", why, error, r->journal);
        return -1;
    }
    if (s.failed) {
        log_rollback(r, log, why, &s, error);
        fl_cli_say("power loss (%s): %" PRIu64 " %s of the rollback failed, the first: %s; the "
                   "journal is kept in %s", why, s.failed, plural(s.failed, "undo", "undos"),
                   error, r->journal);
        return -1;
    }
    log_rollback(r, log, why, &s, NULL);
    if (!r->o.quiet)
        say_rollback(r, why, &s);
    return 0;
}

/* Finish as powerloss.h says. */
int fl_power_finish(struct fl_power_run *r, const char *log)
{
    struct outcome out = {0};

    if (wait_run(r, &out)) {        /* else every process of the run is gone */
        kill_run(r, &out);
        if (roll_back(r, log) < 0)
            return FL_EXIT_RUN_FAILED;
    }
    if (r->o.keep_journal) {
        if (!r->o.quiet)
            fl_cli_say("the journal is kept in %s", r->journal);
    } else if (fl_journal_remove(r->journal) != 0) {
        fl_cli_say("cannot remove the journal %s: %s", r->journal, strerror(errno));
    }
    if (r->tty_fd >= 0)
        close(r->tty_fd);
    return out.status;
}
