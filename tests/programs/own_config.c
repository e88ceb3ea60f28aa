/* own_config: a host program that defines and exports libconfig's names for functions of its
 * own, as lighttpd does (config_init, config_read); built with -rdynamic so that they are in
 * its dynamic symbol table, where ordinary dynamic linking would bind a preloaded library's
 * calls (and libconfig's calls to itself) to them.
 *
 *   own_config PATH
 *
 * Writes "data\n" to PATH (O_WRONLY | O_CREAT | O_TRUNC) with write(2) and prints "write ok" or
 * "write ERRNO" (as ENOSPC). Then calls its own config_init and config_destroy, which print
 * "own config_init" and "own config_destroy". Any of its libconfig names reached from elsewhere
 * (the shim, libconfig) prints "own_config: NAME called from outside" on stderr and exits 3
 * (before main, if that is where it happens). Exit status 0 whatever write returned; 2 on usage
 * errors. Used by tests/integration/t_host_exports_libconfig.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Not libconfig's types: the host's own config, as lighttpd's is its own. */
struct host_config {
    int magic;
};

static int in_main;   /* set while main calls its own functions */

static void outside(const char *name)
{
    if (in_main)
        return;
    static const char pre[] = "own_config: ", post[] = " called from outside\n";
    (void)!write(2, pre, sizeof pre - 1);
    (void)!write(2, name, strlen(name));
    (void)!write(2, post, sizeof post - 1);
    _exit(3);
}

void config_init(struct host_config *c);
void config_destroy(struct host_config *c);
int config_read(struct host_config *c, FILE *f);
int config_read_string(struct host_config *c, const char *s);
void *config_lookup(struct host_config *c, const char *path);
void *config_setting_add(void *parent, const char *name, int type);
int config_setting_length(const void *s);
const char *config_setting_get_string(const void *s);

void config_init(struct host_config *c)
{
    outside("config_init");
    c->magic = 42;
    puts("own config_init");
}

void config_destroy(struct host_config *c)
{
    outside("config_destroy");
    c->magic = 0;
    puts("own config_destroy");
}

int config_read(struct host_config *c, FILE *f)
{
    (void)c, (void)f;
    outside("config_read");
    return -1;
}

int config_read_string(struct host_config *c, const char *s)
{
    (void)c, (void)s;
    outside("config_read_string");
    return -1;
}

void *config_lookup(struct host_config *c, const char *path)
{
    (void)c, (void)path;
    outside("config_lookup");
    return NULL;
}

void *config_setting_add(void *parent, const char *name, int type)
{
    (void)parent, (void)name, (void)type;
    outside("config_setting_add");
    return NULL;
}

int config_setting_length(const void *s)
{
    (void)s;
    outside("config_setting_length");
    return -1;
}

const char *config_setting_get_string(const void *s)
{
    (void)s;
    outside("config_setting_get_string");
    return NULL;
}

int main(int argc, char **argv)
{
    struct host_config c;

    if (argc != 2) {
        fprintf(stderr, "usage: own_config PATH\n");
        return 2;
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "own_config: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    ssize_t n = write(fd, "data\n", 5);
    printf("write %s\n", n == 5 ? "ok" : n < 0 ? strerrorname_np(errno) : "short");
    close(fd);
    in_main = 1;
    config_init(&c);
    config_destroy(&c);
    in_main = 0;
    return 0;
}
