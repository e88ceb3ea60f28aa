/* faultline run: validate the config, preload the shim and exec the program.
 *
 * The options become the shim's environment: -c FAULTLINE_CONFIG (made absolute), -s
 * FAULTLINE_SEED, -l FAULTLINE_LOG, and -e, --summary, --control and --dry-run the inline text
 * FAULTLINE_RULES:
 *
 *   summary = true;
 *   rules = (
 *   { name = "e1"; BODY
 *   },
 *   { BODY-WITH-ITS-OWN-NAME
 *   }
 *   );
 *
 * (the newline after each BODY ends a comment the body may finish with). When FAULTLINE_RULES
 * is already set, its text is kept and the options' text is merged into it through libconfig,
 * since libconfig refuses a setting given twice: both are parsed, the options' global settings
 * replace those of the same name, the -e rules are appended to its `rules` list (made when it
 * has none), and the result is written back as libconfig text (comments and layout are lost,
 * @include is expanded, floats keep 15 significant digits). Everything is validated with the
 * shim's own reader before anything runs; then faultline execs the program, so that the exit
 * status is the program's own.
 *
 * A config with `durable` (durability tracking) needs a parent to roll the files back after a
 * power loss: faultline then makes the journal, forks, and stays the program's parent
 * (powerloss.c); the child execs the program as above. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libconfig.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "ctlpath.h"
#include "events.h"
#include "powerloss.h"
#include "preload.h"
#include "safefile.h"

static int run_main(int argc, char **argv);

const struct fl_cli_verb fl_cli_run = {
    .name = "run",
    .summary = "run a program with faults injected (power losses too)",
    .usage = "faultline run [-c file] [-e rule]... [-s seed] [-l log] [--summary] [--control] "
             "[--dry-run] [--power-loss-at-exit] [--journal dir] [--keep-journal] [-q] [--] "
             "command [arg ...]",
    .options =
        "  -c, --config FILE   the config file (FAULTLINE_CONFIG)\n"
        "  -e, --rule RULE     one rule's body, such as 'calls=[\"write\"]; error=\"ENOSPC\"';\n"
        "                      named e1, e2... by position unless it has a name; repeatable\n"
        "  -s, --seed SEED     the seed, a non-negative integer (FAULTLINE_SEED)\n"
        "  -l, --log LOG       the event log: a path (%p = pid) or \"stderr\" (FAULTLINE_LOG)\n"
        "      --summary       a per-rule table on stderr when the program exits\n"
        "      --control       listen on a control socket (faultline ctl, faultline ps); its\n"
        "                      directory is checked first (this user's, mode 0700)\n"
        "      --dry-run       decide and log, inject nothing\n"
        "With durability tracking (the config's durable globs), faultline stays the program's\n"
        "parent, and after a power loss rolls the files back to what was synced:\n"
        "      --power-loss-at-exit  a power loss when the program exits\n"
        "      --journal DIR   make the journal in DIR (on the tracked files' file system);\n"
        "                      default: $TMPDIR or /tmp if there, else beside the files\n"
        "      --keep-journal  keep the journal afterwards, and say where it is\n"
        "  -q, --quiet         no line saying what a power loss rolled back\n"
        "  -h, --help          this help\n"
        "The config is validated before the program starts; the exit status is the program's\n"
        "(128 + N for signal N; 137 after a power loss killed it).\n",
    .main = run_main,
};

struct run_opts {
    const char *config;         /* -c */
    const char **rules;         /* -e bodies */
    size_t nrules;
    const char *seed;           /* -s */
    const char *log;            /* -l */
    bool summary, control, dry_run;
    const char *journal;        /* --journal */
    bool at_exit, keep_journal, quiet;  /* --power-loss-at-exit, --keep-journal, -q */
    char **cmd;                 /* the program and its arguments */
};

/* ---- the inline text ------------------------------------------------------------------------ */

/* Whether `body` (the inside of a rule's braces) needs a name: false when it gives its own, and
 * when it does not parse (a name added in front would only hide the syntax error, which the
 * validation reports). */
static bool needs_name(const char *body)
{
    config_t lc;
    char *text;
    bool needs = false;

    if (asprintf(&text, "r = {\n%s\n};", body) < 0)
        return false;
    config_init(&lc);
    if (config_read_string(&lc, text)) {
        const config_setting_t *r = config_lookup(&lc, "r");
        needs = r && !config_setting_get_member(r, "name");
    }
    config_destroy(&lc);
    free(text);
    return needs;
}

/* The text the options stand for, or "" when they give none. malloc'd; NULL when out of
 * memory. */
static char *options_text(const struct run_opts *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        return NULL;
    if (o->summary)
        fputs("summary = true;\n", f);
    if (o->control)
        fputs("control = true;\n", f);
    if (o->dry_run)
        fputs("dry_run = true;\n", f);
    if (o->nrules)
        fputs("rules = (\n", f);
    for (size_t i = 0; i < o->nrules; i++) {
        if (needs_name(o->rules[i]))
            fprintf(f, "{ name = \"e%zu\"; %s\n}", i + 1, o->rules[i]);
        else
            fprintf(f, "{ %s\n}", o->rules[i]);
        fputs(i + 1 < o->nrules ? ",\n" : "\n);\n", f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- validation ----------------------------------------------------------------------------- */

/* Build FAULTLINE_RULES from the options and what it held, and validate it with the config
 * file `path` into *cfg (left zeroed when there is neither). Returns 0 and the text to export
 * (malloc'd; NULL for none) in *out, or -1 after printing why it is refused. */
static int build_inline(const struct run_opts *o, const char *path, char **out,
                        struct fl_config *cfg)
{
    const char *existing = getenv("FAULTLINE_RULES");
    char *ours = options_text(o), *text;
    struct fl_config tmp;

    *out = NULL;
    if (!ours) {
        fl_cli_say("out of memory");
        return -1;
    }
    if (!*ours) {
        free(ours);
        ours = NULL;
    }
    if (existing && !*existing)
        existing = NULL;
    if (existing && ours) {
        /* the text already there first, so that its messages carry its own line numbers */
        if (fl_preload_validate(path, existing, &tmp) < 0)
            goto refuse;
        fl_config_free(&tmp);
        if (!(text = fl_preload_merge_text(existing, ours))) {
            if (fl_preload_validate(path, ours, &tmp) == 0) {
                fl_config_free(&tmp);
                fl_cli_say("FAULTLINE_RULES: cannot add the options' settings to it");
            }
            goto refuse;
        }
        free(ours);
    } else if (ours) {
        text = ours;
    } else {
        text = existing ? strdup(existing) : NULL;
        if (existing && !text) {
            fl_cli_say("out of memory");
            return -1;
        }
    }
    if ((path || text) && fl_preload_validate(path, text, cfg) < 0) {
        free(text);
        return -1;
    }
    *out = text;
    return 0;
refuse:
    free(ours);
    return -1;
}

/* FAULTLINE_SEED as the shim reads it: digits only, within 64 bits. */
static bool valid_seed(const char *text)
{
    char *end;

    if (!text[0] || strspn(text, "0123456789") != strlen(text))
        return false;
    errno = 0;
    (void)strtoull(text, &end, 10);
    return errno == 0 && !*end;
}

/* The event log must open as the shim will open it (fl_open_log: no link, no FIFO, no other
 * user's file), checked before the program starts, %p expanded to the program's pid `pid`
 * (faultline's own when it execs the program). Creating it early changes nothing: the shim
 * appends. */
static int check_log(const char *spec, pid_t pid)
{
    char path[PATH_MAX], why[256];
    size_t n = 0;
    bool regular;
    int fd;

    if (!spec || !*spec || strcmp(spec, "stderr") == 0)
        return 0;
    for (const char *s = spec; *s && n < sizeof path - 24; s++) {
        if (s[0] == '%' && s[1] == 'p')
            n += (size_t)snprintf(path + n, sizeof path - n, "%d", (int)pid), s++;
        else if (s[0] == '%' && s[1] == '%')
            path[n++] = '%', s++;
        else
            path[n++] = *s;
    }
    path[n] = '\0';
    if ((fd = fl_open_log(path, &regular, why, sizeof why)) < 0) {
        fl_cli_say("%s: cannot open event log: %s", path, why);
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- the library ---------------------------------------------------------------------------- */

/* ---- the program ---------------------------------------------------------------------------- */

/* The file execvp would run for `cmd`, or NULL when it finds none; malloc'd. */
static char *resolve_command(const char *cmd)
{
    const char *path = getenv("PATH");
    char dflt[256];

    if (strchr(cmd, '/'))
        return strdup(cmd);
    if (!path) {
        confstr(_CS_PATH, dflt, sizeof dflt);
        path = dflt;
    }
    for (const char *p = path;; p++) {
        size_t len = strcspn(p, ":");
        char *file;
        struct stat st;
        if (asprintf(&file, "%.*s%s%s", (int)len, p, len ? "/" : "", cmd) < 0)
            return NULL;
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
            return file;
        free(file);
        p += len;
        if (!*p)
            return NULL;
    }
}

/* What the command knows of an executable from its ELF headers. */
struct elf_facts {
    bool is_elf;
    bool is_static;     /* no program interpreter: statically linked */
    bool is_go;         /* built by Go (a .go.buildinfo section): file and network I/O
                         * bypass the C library even when dynamically linked (cgo) */
};

/* The ELF facts of a mapped file of `size` bytes, for one ELF class (Ehdr, Phdr, Shdr). */
#define ELF_FACTS(Ehdr, Phdr, Shdr)                                                            \
    do {                                                                                       \
        const Ehdr *eh = (const Ehdr *)map;                                                    \
        if (size < sizeof *eh)                                                                 \
            break;                                                                             \
        f->is_elf = true;                                                                      \
        if (eh->e_phentsize == sizeof(Phdr) &&                                                 \
            eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Phdr) <= size) {                      \
            f->is_static = true;                                                               \
            for (unsigned i = 0; i < eh->e_phnum; i++)                                         \
                if (((const Phdr *)(map + eh->e_phoff))[i].p_type == PT_INTERP)                \
                    f->is_static = false;                                                      \
        }                                                                                      \
        if (eh->e_shentsize != sizeof(Shdr) || eh->e_shstrndx >= eh->e_shnum ||                \
            eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Shdr) > size)                         \
            break;                                                                             \
        const Shdr *sh = (const Shdr *)(map + eh->e_shoff), *names = &sh[eh->e_shstrndx];      \
        if (names->sh_offset + (uint64_t)names->sh_size > size)                                \
            break;                                                                             \
        for (unsigned i = 0; i < eh->e_shnum; i++) {                                           \
            uint64_t at = sh[i].sh_name;                                                       \
            static const char go[] = ".go.buildinfo";                                          \
            if (at + sizeof go <= names->sh_size &&                                            \
                memcmp(map + names->sh_offset + at, go, sizeof go) == 0)                       \
                f->is_go = true;                                                               \
        }                                                                                      \
    } while (0)

/* Read the ELF facts of `file`: false when it cannot be read; a script is not ELF. */
static bool elf_facts(const char *file, struct elf_facts *f)
{
    struct stat st;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    memset(f, 0, sizeof *f);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (map == MAP_FAILED)
        return false;
    if (size >= EI_NIDENT && memcmp(map, ELFMAG, SELFMAG) == 0) {
        if (map[EI_CLASS] == ELFCLASS64)
            ELF_FACTS(Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr);
        else if (map[EI_CLASS] == ELFCLASS32)
            ELF_FACTS(Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr);
    }
    if (map)
        munmap((void *)map, size);
    return true;
}

/* Say when the shim cannot reach into the program: statically linked, built by Go, or
 * set-user-ID / set-group-ID to someone else (the shim stays inert under AT_SECURE). Never
 * refuses. */
static void warn_unreachable(const char *cmd)
{
    char *file = resolve_command(cmd);
    struct elf_facts elf;
    struct stat st;

    if (!file)
        return;     /* execvp will say it */
    if (elf_facts(file, &elf) && elf.is_go)
        fl_cli_say("warning: %s is a Go program: its file and network I/O bypass the C library, "
                   "so no faults can be injected into it (only its C code, through cgo, is "
                   "reached)", cmd);
    else if (elf.is_static)
        fl_cli_say("warning: %s is statically linked: no faults can be injected into it", cmd);
    if (stat(file, &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid != getuid())
        fl_cli_say("warning: %s is set-user-ID: the shim stays inert in it", cmd);
    else if (stat(file, &st) == 0 && (st.st_mode & S_ISGID) && st.st_gid != getgid())
        fl_cli_say("warning: %s is set-group-ID: the shim stays inert in it", cmd);
    free(file);
}

/* ---- the verb ------------------------------------------------------------------------------- */

#define WANT_HELP (-1)

/* Fill *o from the command line: 0, WANT_HELP, or FL_EXIT_USAGE after saying why. */
static int parse_options(int argc, char **argv, struct run_opts *o)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'}, {"rule", required_argument, NULL, 'e'},
        {"seed", required_argument, NULL, 's'},   {"log", required_argument, NULL, 'l'},
        {"summary", no_argument, NULL, 'S'},      {"control", no_argument, NULL, 'C'},
        {"dry-run", no_argument, NULL, 'D'},      {"help", no_argument, NULL, 'h'},
        {"power-loss-at-exit", no_argument, NULL, 'P'},
        {"journal", required_argument, NULL, 'J'}, {"keep-journal", no_argument, NULL, 'K'},
        {"quiet", no_argument, NULL, 'q'},        {NULL, 0, NULL, 0},
    };
    int c;

    /* '+': options end at the program's name, which may be followed by its own options */
    while ((c = getopt_long(argc, argv, "+:c:e:s:l:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'e': o->rules[o->nrules++] = optarg; break;
        case 's': o->seed = optarg; break;
        case 'l': o->log = optarg; break;
        case 'S': o->summary = true; break;
        case 'C': o->control = true; break;
        case 'D': o->dry_run = true; break;
        case 'P': o->at_exit = true; break;
        case 'J': o->journal = optarg; break;
        case 'K': o->keep_journal = true; break;
        case 'q': o->quiet = true; break;
        case 'h': return WANT_HELP;
        default: return fl_cli_bad_option(&fl_cli_run, c, argv);
        }
    }
    if (o->seed && !valid_seed(o->seed))
        return fl_cli_usage_error(&fl_cli_run, "-s takes a non-negative integer, not '%s'",
                                  o->seed);
    if (o->log && !*o->log)
        return fl_cli_usage_error(&fl_cli_run, "-l takes a path or \"stderr\", not ''");
    if (o->config && !*o->config)
        return fl_cli_usage_error(&fl_cli_run, "-c takes a file, not ''");
    if (o->journal && !*o->journal)
        return fl_cli_usage_error(&fl_cli_run, "--journal takes a directory, not ''");
    if (optind >= argc)
        return fl_cli_usage_error(&fl_cli_run, "no command to run");
    o->cmd = argv + optind;
    return 0;
}

/* `path` made absolute against the working directory (malloc'd; NULL and errno on failure),
 * with its symbolic links left as they are: the shim then reads @include files from the
 * directory `faultline check PATH` reads them from, the directory of the path as given. */
static char *absolute(const char *path)
{
    char cwd[PATH_MAX], *out;

    if (path[0] == '/')
        return strdup(path);
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    if (asprintf(&out, "%s/%s", cwd, path) < 0)
        return NULL;
    return out;
}

/* LD_PRELOAD with the shim in front of what it held (behind a sanitizer runtime). */
static int set_preload(const char *lib)
{
    char *value = fl_preload_value(lib, getenv("LD_PRELOAD"));
    int rc = value ? setenv("LD_PRELOAD", value, 1) : -1;

    free(value);
    return rc;
}

/* Export the shim's environment; -1 after printing why it cannot be. */
static int set_environment(const struct run_opts *o, const char *inline_text, const char *lib)
{
    char *config = NULL;
    int rc = 0;

    if (o->config && !(config = absolute(o->config))) {
        fl_cli_say("%s: %s", o->config, strerror(errno));
        return -1;
    }
    if ((config && setenv("FAULTLINE_CONFIG", config, 1) != 0) ||
        (inline_text && setenv("FAULTLINE_RULES", inline_text, 1) != 0) ||
        (o->seed && setenv("FAULTLINE_SEED", o->seed, 1) != 0) ||
        (o->log && setenv("FAULTLINE_LOG", o->log, 1) != 0) || set_preload(lib) != 0) {
        fl_cli_say("cannot set the environment: %s", strerror(errno));
        rc = -1;
    }
    free(config);
    return rc;
}

/* The config file to read: -c, else the FAULTLINE_CONFIG already set (NULL: none). */
static const char *config_path(const struct run_opts *o)
{
    const char *env = getenv("FAULTLINE_CONFIG");

    return o->config ? o->config : env && *env ? env : NULL;
}

/* With control on, the socket directory the shim will use, checked as the shim will check it:
 * -1 after saying what is wrong and the fix (the program would exit 2 before main). */
static int check_control(void)
{
    char dir[256], why[800];

    if (!fl_ctl_dir(dir, sizeof dir)) {
        fl_cli_say("no control socket: its path is too long (set XDG_RUNTIME_DIR to a shorter "
                   "one)");
        return -1;
    }
    if (fl_ctl_dir_check(dir, getuid(), why, sizeof why) != FL_CTL_DIR_UNSAFE)
        return 0;
    fl_cli_say("no control socket: %s", why);
    return -1;
}

/* The event log the shim will write: -l, else FAULTLINE_LOG, else the config's (NULL: none). */
static const char *log_spec(const struct run_opts *o, const struct fl_config *cfg)
{
    const char *env = getenv("FAULTLINE_LOG");

    return o->log ? o->log : env && *env ? env : cfg->log;
}

/* The options that only a run with durability tracking takes: -1 after saying so when the
 * config tracks nothing. */
static int check_tracking_options(const struct run_opts *o, const struct fl_config *cfg)
{
    const char *opt = o->at_exit ? "--power-loss-at-exit" : o->journal ? "--journal"
                    : o->keep_journal ? "--keep-journal" : NULL;

    if (!opt || cfg->ndurable)
        return 0;
    fl_cli_say("%s needs durability tracking: the config tracks no file (add durable = "
               "\"/srv/data/*\", the files a power loss rolls back, to the config or to "
               "FAULTLINE_RULES; see faultline.conf(5))", opt);
    return -1;
}

/* Everything the shim will read, checked as it will check it: the config (into *cfg, which the
 * caller frees), the seed, the log (here only when faultline execs the program: a tracked run
 * checks it once the program's pid is known), the control socket's directory. */
static int check_all(const struct run_opts *o, char **inline_text, struct fl_config *cfg)
{
    const char *env_seed = getenv("FAULTLINE_SEED");
    int rc = 0;

    if (build_inline(o, config_path(o), inline_text, cfg) < 0)
        return -1;
    if (!o->seed && env_seed && *env_seed && !valid_seed(env_seed)) {
        fl_cli_say("FAULTLINE_SEED: '%.40s' is not a non-negative integer", env_seed);
        rc = -1;
    } else if (config_path(o) || *inline_text) {   /* else the shim stays idle */
        if (!cfg->ndurable)
            rc = check_log(log_spec(o, cfg), getpid());
        if (rc == 0 && cfg->control)
            rc = check_control();
    }
    if (rc == 0)
        rc = check_tracking_options(o, cfg);
    if (rc < 0) {
        fl_config_free(cfg);
        free(*inline_text);
        *inline_text = NULL;
    }
    return rc;
}

/* Replace this process with the program; returns only when it cannot be run, with the status
 * a shell gives then (127 not found, 126 not executable), after saying why. */
static int exec_program(char **cmd)
{
    int err;

    warn_unreachable(cmd[0]);
    fflush(NULL);
    execvp(cmd[0], cmd);
    err = errno;
    fl_cli_say("%s: %s", cmd[0], strerror(err));
    return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

/* A run with durability tracking: the journal, the program as a child, the rollback after a
 * power loss (powerloss.h). Returns the exit status. */
static int run_tracked(const struct run_opts *o, const struct fl_config *cfg)
{
    const char *seed = getenv("FAULTLINE_SEED");
    struct fl_power_opts popts = {
        .journal_in = o->journal, .at_exit = o->at_exit, .keep_journal = o->keep_journal,
        .quiet = o->quiet, .seed = seed && *seed ? seed : NULL,
    };
    struct fl_power_run run;
    pid_t pid;

    if (fl_power_prepare(&run, cfg, &popts) < 0 || (pid = fl_power_start(&run)) < 0)
        return FL_EXIT_USAGE;
    if (pid == 0)
        _exit(exec_program(o->cmd));
    if (check_log(log_spec(o, cfg), pid) < 0) {
        fl_power_abandon(&run);
        return FL_EXIT_USAGE;
    }
    return fl_power_finish(&run, log_spec(o, cfg));
}

static int run_main(int argc, char **argv)
{
    const char *rules[argc > 0 ? argc : 1];
    struct run_opts o = {.rules = rules};
    struct fl_config cfg = {0};
    char *inline_text = NULL, *lib;
    int rc = parse_options(argc, argv, &o);

    if (rc == WANT_HELP)
        return fl_cli_help(&fl_cli_run);
    if (rc)
        return rc;
    if (check_all(&o, &inline_text, &cfg) < 0)
        return FL_EXIT_USAGE;
    if (!(lib = fl_preload_find_library()) || set_environment(&o, inline_text, lib) < 0) {
        free(lib);
        free(inline_text);
        fl_config_free(&cfg);
        return FL_EXIT_USAGE;
    }
    free(lib);
    free(inline_text);
    if (cfg.ndurable) {
        rc = run_tracked(&o, &cfg);
        fl_config_free(&cfg);
        return rc;
    }
    fl_config_free(&cfg);
    return exec_program(o.cmd);
}
