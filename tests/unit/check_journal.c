/* The durability journal (lib/journal.c): the writer driven as the shim drives it (a save before
 * each change, the change made, syncs recorded), then the rollback, which must leave every file
 * and name exactly as it was when last made durable. Real files, in a directory of their own per
 * test beside the journal (the same file system: the journal hard-links what it keeps).
 *
 * Runs under CK_FORK=no too: every test removes its directory and closes its fds. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"

#define KIB 1024

static char top[PATH_MAX];         /* the test's directory */
static char jdir[PATH_MAX + 16];   /* its journal: top/j */
static char data[PATH_MAX + 16];   /* the program's files: top/d */
static struct fl_journal J;

/* ---- fixture -------------------------------------------------------------------------------- */

static void setup(void)
{
    char tmpl[] = "/tmp/check_journal.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_ptr_nonnull(realpath(tmpl, top));
    snprintf(jdir, sizeof jdir, "%s/j", top);
    snprintf(data, sizeof data, "%s/d", top);
    ck_assert_int_eq(fl_journal_create(jdir), 0);
    ck_assert_int_eq(mkdir(data, 0755), 0);
    ck_assert_int_eq(fl_journal_open(&J, jdir), 0);
}

static void teardown(void)
{
    fl_journal_close(&J);
    ck_assert_int_eq(fl_journal_remove(top), 0);
    ck_assert_int_eq(access(top, F_OK), -1);
}

/* ---- the program's side: files and names, changed as the shim records them ------------------ */

/* data/name (or the directory data itself for ""), in one of four buffers used in turn. */
static const char *at(const char *name)
{
    static char p[4][PATH_MAX + 64];
    static unsigned next;
    char *b = p[next++ % 4];
    snprintf(b, sizeof p[0], "%s%s%s", data, *name ? "/" : "", name);
    return b;
}

/* Write the file data/name with n bytes of c, untracked: its durable state before the test. */
static void put(const char *name, char c, size_t n)
{
    char *buf = malloc(n + 1);
    memset(buf, c, n);
    int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
    close(fd);
    free(buf);
}

/* The contents of data/name (malloc'd, NUL-terminated) and their length; NULL when missing. */
static char *contents(const char *name, size_t *len)
{
    struct stat st;
    if (stat(at(name), &st) != 0)
        return NULL;
    char *buf = malloc((size_t)st.st_size + 1);
    int fd = open(at(name), O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
    close(fd);
    buf[st.st_size] = '\0';
    *len = (size_t)st.st_size;
    return buf;
}

/* Assert data/name holds exactly the runs described: "a:100 b:20" = 100 'a' then 20 'b'
 * ("0" means the byte 0). */
static void expect(const char *name, const char *runs)
{
    size_t len, at_byte = 0;
    char *buf = contents(name, &len);
    ck_assert_msg(buf != NULL, "%s is missing", name);
    for (const char *r = runs; *r;) {
        char c = r[0] == '0' ? '\0' : r[0];
        size_t n = strtoul(r + 2, (char **)&r, 10);
        while (*r == ' ')
            r++;
        for (size_t i = 0; i < n; i++, at_byte++)
            ck_assert_msg(at_byte < len && buf[at_byte] == c,
                          "%s: byte %zu is %d, expected '%c' (%s)", name, at_byte,
                          at_byte < len ? buf[at_byte] : -1, c, runs);
    }
    ck_assert_msg(len == at_byte, "%s: %zu bytes, expected %zu (%s)", name, len, at_byte, runs);
    free(buf);
}

static bool exists(const char *name)
{
    struct stat st;
    return lstat(at(name), &st) == 0;
}

static struct stat stat_of_fd(int fd)
{
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    return st;
}

static struct stat stat_of(const char *name)
{
    struct stat st;
    ck_assert_int_eq(lstat(at(name), &st), 0);
    return st;
}

static int open_rw(const char *name)
{
    int fd = open(at(name), O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    return fd;
}

/* Link the file at fd into ino/ and save [off, off + len) before a change, lock held. */
static void save(int fd, const char *name, off_t off, uint64_t len)
{
    struct stat st = stat_of_fd(fd);
    ck_assert_int_eq(fl_journal_inode(&J, fd, st.st_dev, st.st_ino, at(name)), 0);
    ck_assert_int_eq(fl_journal_save(&J, fd, st.st_dev, st.st_ino, off, len, st.st_size), 0);
}

/* pwrite n bytes of c at off, tracked. */
static void tracked_write(int fd, const char *name, char c, size_t n, off_t off)
{
    char *buf = malloc(n);
    memset(buf, c, n);
    fl_journal_lock(&J);
    save(fd, name, off, n);
    ck_assert_int_eq(pwrite(fd, buf, n, off), (ssize_t)n);
    fl_journal_unlock(&J);
    free(buf);
}

/* ftruncate to len, tracked (what is cut off, or what is added). */
static void tracked_truncate(int fd, const char *name, off_t len)
{
    off_t size = stat_of_fd(fd).st_size;
    fl_journal_lock(&J);
    if (len < size)
        save(fd, name, len, (uint64_t)(size - len));
    else
        save(fd, name, size, (uint64_t)(len - size));
    ck_assert_int_eq(ftruncate(fd, len), 0);
    fl_journal_unlock(&J);
}

/* fsync, recorded: the whole file durable. */
static void file_sync(int fd)
{
    struct stat st = stat_of_fd(fd);
    ck_assert_int_eq(fsync(fd), 0);
    fl_journal_lock(&J);
    ck_assert_int_eq(fl_journal_durable(&J, st.st_dev, st.st_ino, 0, UINT64_MAX), 0);
    fl_journal_unlock(&J);
}

/* A range made durable (an O_DSYNC write, sync_file_range with WAIT_AFTER). */
static void range_sync(int fd, off_t off, uint64_t len)
{
    struct stat st = stat_of_fd(fd);
    fl_journal_lock(&J);
    ck_assert_int_eq(fl_journal_durable(&J, st.st_dev, st.st_ino, off, len), 0);
    fl_journal_unlock(&J);
}

/* fsync of the directory data/dir ("" for data), recorded. */
static void dir_sync(const char *dir)
{
    struct stat st = stat_of(dir);
    fl_journal_lock(&J);
    ck_assert_int_eq(fl_journal_dir_durable(&J, st.st_dev, st.st_ino), 0);
    fl_journal_unlock(&J);
}

/* Split data/path into its directory's absolute path and its last name. */
static void split(const char *path, char *dir, const char **name)
{
    const char *slash = strrchr(path, '/');
    snprintf(dir, PATH_MAX, "%s", at(""));
    if (slash) {
        size_t n = strlen(dir);
        snprintf(dir + n, PATH_MAX - n, "/%.*s", (int)(slash - path), path);
        *name = slash + 1;
    } else {
        *name = path;
    }
}

/* Record that data/path is about to change from `was`. */
static void entry(const char *path, enum fl_entry_was was, mode_t mode)
{
    char dir[PATH_MAX];
    const char *name;
    struct stat st;
    split(path, dir, &name);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(fl_journal_entry(&J, dir, st.st_dev, st.st_ino, name, was, mode), 0);
}

/* Create data/path (a file, opened read-write), tracked. */
static int tracked_create(const char *path)
{
    fl_journal_lock(&J);
    entry(path, FL_ENTRY_ABSENT, 0);
    int fd = open(at(path), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    fl_journal_unlock(&J);
    return fd;
}

static void tracked_unlink(const char *path)
{
    fl_journal_lock(&J);
    entry(path, FL_ENTRY_FILE, 0);
    ck_assert_int_eq(unlink(at(path)), 0);
    fl_journal_unlock(&J);
}

static void tracked_mkdir(const char *path, mode_t mode)
{
    fl_journal_lock(&J);
    entry(path, FL_ENTRY_ABSENT, 0);
    ck_assert_int_eq(mkdir(at(path), mode), 0);
    fl_journal_unlock(&J);
}

static void tracked_rmdir(const char *path)
{
    fl_journal_lock(&J);
    entry(path, FL_ENTRY_DIR, stat_of(path).st_mode);
    ck_assert_int_eq(rmdir(at(path)), 0);
    fl_journal_unlock(&J);
}

/* Record a rename of data/from to data/to, what data/to is now telling its `was`; renamed
 * unless `record_only` (a process killed between the record and the call). */
static void record_rename(const char *from, const char *to, bool record_only)
{
    char odir[PATH_MAX], ndir[PATH_MAX];
    const char *oname, *nname;
    struct stat os, ns, t;
    split(from, odir, &oname);
    split(to, ndir, &nname);
    ck_assert_int_eq(stat(odir, &os), 0);
    ck_assert_int_eq(stat(ndir, &ns), 0);
    enum fl_entry_was was = lstat(at(to), &t) != 0  ? FL_ENTRY_ABSENT
                            : S_ISDIR(t.st_mode)    ? FL_ENTRY_DIR
                                                    : FL_ENTRY_FILE;
    fl_journal_lock(&J);
    ck_assert_int_eq(fl_journal_rename(&J, odir, os.st_dev, os.st_ino, oname, ndir, ns.st_dev,
                                       ns.st_ino, nname, was, was == FL_ENTRY_DIR ? t.st_mode : 0),
                     0);
    if (!record_only)
        ck_assert_int_eq(rename(at(from), at(to)), 0);
    fl_journal_unlock(&J);
}

static void tracked_rename(const char *from, const char *to)
{
    record_rename(from, to, false);
}

/* Roll back (o NULL: nothing torn); asserts success without a failed undo. */
static struct fl_rollback_summary rollback(const struct fl_rollback_opts *o)
{
    struct fl_rollback_summary s;
    char why[512] = "x";
    ck_assert_msg(fl_journal_rollback(jdir, o, &s, why, sizeof why) == 0, "rollback: %s", why);
    ck_assert_msg(s.failed == 0, "rollback: %s", why);
    ck_assert_str_eq(why, "");
    return s;
}

/* How many entries the journal's subdirectory sub holds. */
static int entries_in(const char *sub)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", jdir, sub);
    DIR *d = opendir(p);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static off_t size_of_journal_file(const char *name)
{
    char p[PATH_MAX + 64];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", jdir, name);
    ck_assert_int_eq(stat(p, &st), 0);
    return st.st_size;
}

/* ---- saves: data and sizes ------------------------------------------------------------------- */

START_TEST(overwrite_in_the_middle_is_undone)
{
    put("f", 'a', 1000);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 400);
    expect("f", "a:400 b:100 a:500");
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "a:1000");
    ck_assert_uint_eq(s.writes_undone, 1);
    ck_assert_uint_eq(s.bytes_restored, 100);
    ck_assert_uint_eq(s.sizes_restored, 0);
    ck_assert_uint_eq(s.records, 2); /* the file's link, the save */
    close(fd);
}
END_TEST

START_TEST(append_is_undone)
{
    put("f", 'a', 100);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 50, 100);
    tracked_write(fd, "f", 'c', 50, 150);
    expect("f", "a:100 b:50 c:50");
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "a:100");
    ck_assert_uint_eq(s.writes_undone, 2);
    ck_assert_uint_eq(s.bytes_restored, 0);
    ck_assert_uint_eq(s.sizes_restored, 2);
    close(fd);
}
END_TEST

START_TEST(truncate_shorter_is_undone)
{
    put("f", 'a', 10 * KIB);
    int fd = open_rw("f");
    tracked_truncate(fd, "f", 100);
    expect("f", "a:100");
    rollback(NULL);
    expect("f", "a:10240");
    close(fd);
}
END_TEST

START_TEST(truncate_longer_is_undone)
{
    put("f", 'a', 100);
    int fd = open_rw("f");
    tracked_truncate(fd, "f", 10 * KIB);
    tracked_write(fd, "f", 'b', 10, 5000);
    rollback(NULL);
    expect("f", "a:100");
    close(fd);
}
END_TEST

START_TEST(write_after_fsync_is_undone_and_the_synced_one_kept)
{
    put("f", 'a', 1000);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 1000, 0);
    tracked_write(fd, "f", 'b', 500, 1000);
    file_sync(fd);
    tracked_write(fd, "f", 'c', 100, 200);
    tracked_write(fd, "f", 'c', 100, 1500);
    tracked_truncate(fd, "f", 50);
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "b:1500");
    ck_assert_uint_eq(s.writes_undone, 3);
    ck_assert_uint_eq(s.durable_skipped, 2);
    close(fd);
}
END_TEST

/* An O_DSYNC-like write stays; the older unsynced write it overlaps is undone around it. */
START_TEST(durable_range_stays_while_older_saves_around_it_are_undone)
{
    put("f", 'a', 1000);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 1000, 0);
    tracked_write(fd, "f", 'c', 200, 400);
    range_sync(fd, 400, 200);
    tracked_write(fd, "f", 'd', 1000, 0); /* newer than the sync: undone everywhere */
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "a:400 c:200 a:400");
    ck_assert_uint_eq(s.durable_skipped, 1);
    ck_assert_uint_eq(s.writes_undone, 2);
    close(fd);
}
END_TEST

/* A durable range beyond the old size keeps the size up to its end; what lay between the old
 * size and the range, never synced, reads as the hole it was. */
START_TEST(durable_range_past_the_old_size_keeps_the_size_to_its_end)
{
    put("f", 'a', 100);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 100);
    tracked_write(fd, "f", 'c', 100, 200);
    range_sync(fd, 200, 100);
    rollback(NULL);
    expect("f", "a:100 0:100 c:100");
    close(fd);
}
END_TEST

/* Two fds save the same range in turn: undone newest first, the oldest content comes back. */
START_TEST(two_saves_of_one_range_are_undone_newest_first)
{
    put("f", 'a', 300);
    int one = open_rw("f"), two = open_rw("f");
    tracked_write(one, "f", 'b', 100, 100);
    tracked_write(two, "f", 'c', 100, 100);
    tracked_write(one, "f", 'd', 50, 150);
    expect("f", "a:100 c:50 d:50 a:100");
    rollback(NULL);
    expect("f", "a:300");
    close(one);
    close(two);
}
END_TEST

/* A program that opens write-only: the old bytes are read through the journal's link. */
START_TEST(write_only_fd_is_saved_through_the_inode_link)
{
    put("f", 'a', 1000);
    int fd = open(at("f"), O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tracked_write(fd, "f", 'b', 100, 900);
    tracked_write(fd, "f", 'b', 100, 1000);
    rollback(NULL);
    expect("f", "a:1000");
    close(fd);
}
END_TEST

/* A change by path (truncate(2)): the shim holds only an O_PATH fd, which reads nothing. */
START_TEST(path_only_fd_is_linked_and_saved_through_the_inode_link)
{
    put("f", 'a', 1000);
    int fd = open(at("f"), O_PATH | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    fl_journal_lock(&J);
    save(fd, "f", 10, 990);
    ck_assert_int_eq(truncate(at("f"), 10), 0);
    fl_journal_unlock(&J);
    rollback(NULL);
    expect("f", "a:1000");
    close(fd);
}
END_TEST

/* A large change (beyond one copy buffer, and not a multiple of it) is saved and undone whole. */
START_TEST(large_overwrite_is_undone_whole)
{
    size_t n = 1000 * KIB + 7;
    put("f", 'a', n);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', n + 5, 0);
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "a:1024007");
    ck_assert_uint_eq(s.bytes_restored, n);
    close(fd);
}
END_TEST

static int chown_to_nobody(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return lchown(path, 65534, 65534);
}

/* A file made read-only after it was written (as git makes its objects): its write is undone
 * all the same, and it keeps its mode. The mode binds only a user without root's override: run
 * as nobody when the test runs as root. */
START_TEST(read_only_file_is_undone_and_keeps_its_mode)
{
    put("f", 'a', 100);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 0);
    close(fd);
    ck_assert_int_eq(chmod(at("f"), 0444), 0);
    if (geteuid() == 0) {
        ck_assert_int_eq(nftw(top, chown_to_nobody, 16, FTW_PHYS), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            struct fl_rollback_summary s;
            char why[512];
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(3);
            if (fl_journal_rollback(jdir, NULL, &s, why, sizeof why) != 0 || s.failed != 0) {
                fprintf(stderr, "rollback as nobody: %s\n", why);
                _exit(1);
            }
            _exit(0);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    } else {
        rollback(NULL);
    }
    expect("f", "a:100");
    ck_assert_int_eq(stat_of("f").st_mode & 07777, 0444);
}
END_TEST

/* ---- entries --------------------------------------------------------------------------------- */

START_TEST(created_file_vanishes_without_a_directory_sync)
{
    int fd = tracked_create("new");
    tracked_write(fd, "new", 'b', 100, 0);
    file_sync(fd); /* its data, not its name */
    struct fl_rollback_summary s = rollback(NULL);
    ck_assert(!exists("new"));
    ck_assert_uint_eq(s.names_undone, 1);
    close(fd);
}
END_TEST

START_TEST(created_file_stays_empty_after_a_directory_sync)
{
    int fd = tracked_create("new");
    dir_sync("");
    tracked_write(fd, "new", 'b', 100, 0);
    struct fl_rollback_summary s = rollback(NULL);
    expect("new", "");
    ck_assert_uint_eq(s.names_undone, 0);
    ck_assert_uint_eq(s.durable_skipped, 1);
    close(fd);
}
END_TEST

START_TEST(created_file_stays_whole_after_file_and_directory_syncs)
{
    int fd = tracked_create("new");
    tracked_write(fd, "new", 'b', 100, 0);
    file_sync(fd);
    dir_sync("");
    rollback(NULL);
    expect("new", "b:100");
    close(fd);
}
END_TEST

START_TEST(unlink_is_undone_with_the_content_kept)
{
    put("f", 'a', 500);
    tracked_unlink("f");
    ck_assert(!exists("f"));
    ck_assert_int_eq(entries_in("keep"), 1);
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "a:500");
    ck_assert_uint_eq(s.names_undone, 1);
    ck_assert_int_eq(entries_in("keep"), 0); /* moved back, not copied */
}
END_TEST

/* Written through an fd after its name is gone: the name and the old content both come back. */
START_TEST(unlinked_file_written_after_comes_back_with_its_old_content)
{
    put("f", 'a', 500);
    int fd = open_rw("f");
    tracked_unlink("f");
    tracked_write(fd, "f", 'b', 500, 0);
    rollback(NULL);
    expect("f", "a:500");
    close(fd);
}
END_TEST

/* A name taken by unlink and made again, both undone: the original file is back. */
START_TEST(unlink_then_create_at_the_same_name_is_undone)
{
    put("f", 'a', 10);
    tracked_unlink("f");
    int fd = tracked_create("f");
    tracked_write(fd, "f", 'b', 20, 0);
    rollback(NULL);
    expect("f", "a:10");
    close(fd);
}
END_TEST

/* A keep/N that a record never written left behind (a kill between the link and the record)
 * does not stop the next one. */
START_TEST(stale_keep_link_is_replaced)
{
    put("f", 'a', 10);
    put("stale", 's', 10);
    char keep[PATH_MAX + 64];
    snprintf(keep, sizeof keep, "%s/keep/%lld", jdir, (long long)size_of_journal_file("log"));
    ck_assert_int_eq(link(at("stale"), keep), 0);
    tracked_unlink("f");
    rollback(NULL);
    expect("f", "a:10");
}
END_TEST

START_TEST(rename_over_an_existing_file_is_undone)
{
    put("a", 'a', 10);
    put("b", 'b', 20);
    tracked_rename("a", "b");
    expect("b", "a:10");
    struct fl_rollback_summary s = rollback(NULL);
    expect("a", "a:10");
    expect("b", "b:20");
    ck_assert_uint_eq(s.names_undone, 1);
}
END_TEST

/* The four cases of a rename between two directories, by which of them was synced after it. */
static void rename_across(bool sync_old, bool sync_new)
{
    ck_assert_int_eq(mkdir(at("old"), 0755), 0);
    ck_assert_int_eq(mkdir(at("new"), 0755), 0);
    put("old/x", 'x', 10);
    put("new/y", 'y', 20);
    tracked_rename("old/x", "new/y");
    if (sync_old)
        dir_sync("old");
    if (sync_new)
        dir_sync("new");
    rollback(NULL);
}

START_TEST(rename_with_no_directory_synced_is_undone)
{
    rename_across(false, false);
    expect("old/x", "x:10");
    expect("new/y", "y:20");
}
END_TEST

START_TEST(rename_with_only_the_new_directory_synced_leaves_both_names)
{
    rename_across(false, true);
    expect("old/x", "x:10");
    expect("new/y", "x:10");
    ck_assert_uint_eq(stat_of("old/x").st_ino, stat_of("new/y").st_ino);
}
END_TEST

START_TEST(rename_with_only_the_old_directory_synced_loses_the_file)
{
    rename_across(true, false);
    ck_assert(!exists("old/x"));
    expect("new/y", "y:20");
}
END_TEST

START_TEST(rename_with_both_directories_synced_stays)
{
    rename_across(true, true);
    ck_assert(!exists("old/x"));
    expect("new/y", "x:10");
}
END_TEST

START_TEST(rename_to_a_free_name_and_back_is_undone)
{
    put("a", 'a', 10);
    tracked_rename("a", "b");
    tracked_rename("b", "c");
    rollback(NULL);
    expect("a", "a:10");
    ck_assert(!exists("b"));
    ck_assert(!exists("c"));
}
END_TEST

/* A process killed between the rename's record and the rename: nothing moves. */
START_TEST(rename_recorded_but_never_made_moves_nothing)
{
    put("a", 'a', 10);
    put("b", 'b', 20);
    record_rename("a", "b", true);
    struct fl_rollback_summary s = rollback(NULL);
    ck_assert_uint_eq(s.names_undone, 0);
    expect("a", "a:10");
    expect("b", "b:20");
}
END_TEST

START_TEST(directory_rename_over_an_empty_directory_is_undone)
{
    ck_assert_int_eq(mkdir(at("d"), 0755), 0);
    ck_assert_int_eq(mkdir(at("e"), 0700), 0);
    put("d/x", 'x', 5);
    tracked_rename("d", "e");
    rollback(NULL);
    expect("d/x", "x:5");
    ck_assert(S_ISDIR(stat_of("e").st_mode));
    ck_assert_int_eq(stat_of("e").st_mode & 07777, 0700);
    ck_assert(!exists("e/x"));
}
END_TEST

START_TEST(mkdir_with_files_inside_is_undone_as_a_tree)
{
    tracked_mkdir("t", 0755);
    tracked_mkdir("t/sub", 0755);
    int fd = tracked_create("t/sub/f");
    tracked_write(fd, "t/sub/f", 'b', 100, 0);
    file_sync(fd);
    dir_sync("t/sub");
    dir_sync("t"); /* all but data itself: t's creation is lost, and all it holds with it */
    ck_assert_int_eq(symlink("/", at("t/link-to-root")), 0); /* untracked: removed, not followed */
    struct fl_rollback_summary s = rollback(NULL);
    ck_assert(!exists("t"));
    ck_assert_uint_eq(s.names_undone, 1);
    ck_assert_int_eq(access("/", F_OK), 0);
    close(fd);
}
END_TEST

START_TEST(rmdir_is_undone_with_its_mode)
{
    ck_assert_int_eq(mkdir(at("d"), 0700), 0);
    ck_assert_int_eq(chmod(at("d"), 0751), 0);
    tracked_rmdir("d");
    ck_assert(!exists("d"));
    rollback(NULL);
    struct stat st = stat_of("d");
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0751);
}
END_TEST

START_TEST(rmdir_after_a_directory_sync_stays)
{
    ck_assert_int_eq(mkdir(at("d"), 0700), 0);
    tracked_rmdir("d");
    dir_sync("");
    rollback(NULL);
    ck_assert(!exists("d"));
}
END_TEST

/* ---- the journal itself ---------------------------------------------------------------------- */

START_TEST(all_durable_empties_the_journal)
{
    put("f", 'a', 100);
    put("g", 'g', 100);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 0);
    tracked_unlink("g");
    ck_assert_int_gt(size_of_journal_file("log"), 0);
    ck_assert_int_gt(size_of_journal_file("data"), 0);
    ck_assert_int_eq(entries_in("ino"), 1);
    ck_assert_int_eq(entries_in("keep"), 1);
    fl_journal_lock(&J);
    ck_assert_int_eq(fl_journal_all_durable(&J), 0);
    fl_journal_unlock(&J);
    ck_assert_int_eq(size_of_journal_file("log"), 0);
    ck_assert_int_eq(size_of_journal_file("data"), 0);
    ck_assert_int_eq(entries_in("ino"), 0);
    ck_assert_int_eq(entries_in("keep"), 0);
    tracked_write(fd, "f", 'c', 10, 0); /* after the sync: undone back to it */
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "b:100");
    ck_assert(!exists("g"));
    ck_assert_uint_eq(s.records, 2);
    close(fd);
}
END_TEST

/* The last record cut short by a kill: ignored (its change is not undone), the rest is. */
START_TEST(record_cut_short_at_the_end_is_ignored)
{
    put("f", 'a', 1000);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 0);
    tracked_write(fd, "f", 'c', 100, 500);
    off_t size = size_of_journal_file("log");
    char log[PATH_MAX + 64];
    snprintf(log, sizeof log, "%s/log", jdir);
    ck_assert_int_eq(truncate(log, size - 3), 0);
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "a:500 c:100 a:400");
    ck_assert_uint_eq(s.records, 2);
    close(fd);
}
END_TEST

/* Flip one byte of the log at `at`. */
static void damage_log(off_t at)
{
    char log[PATH_MAX + 64], c;
    snprintf(log, sizeof log, "%s/log", jdir);
    int fd = open(log, O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, &c, 1, at), 1);
    c ^= 0x10;
    ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

START_TEST(record_with_a_bad_sum_at_the_end_is_ignored)
{
    put("f", 'a', 1000);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 0);
    off_t last = size_of_journal_file("log");
    tracked_write(fd, "f", 'c', 100, 500);
    damage_log(last + 40); /* its offset */
    struct fl_rollback_summary s = rollback(NULL);
    expect("f", "a:500 c:100 a:400");
    ck_assert_uint_eq(s.records, 2);
    close(fd);
}
END_TEST

START_TEST(damaged_record_in_the_middle_is_an_error_and_nothing_is_undone)
{
    put("f", 'a', 1000);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 0);
    off_t second = size_of_journal_file("log");
    tracked_write(fd, "f", 'c', 100, 500);
    tracked_write(fd, "f", 'd', 100, 800);
    damage_log(second + 40);
    struct fl_rollback_summary s;
    char why[512], want[PATH_MAX + 128];
    ck_assert_int_eq(fl_journal_rollback(jdir, NULL, &s, why, sizeof why), -1);
    snprintf(want, sizeof want, "journal %s/log: record 3 at byte %lld is damaged", jdir,
             (long long)second);
    ck_assert_str_eq(why, want);
    expect("f", "b:100 a:400 c:100 a:200 d:100 a:100");
    close(fd);
}
END_TEST

START_TEST(missing_journal_is_an_error_naming_it)
{
    char why[512], want[PATH_MAX + 128];
    ck_assert_int_eq(fl_journal_remove(jdir), 0);
    ck_assert_int_eq(fl_journal_rollback(jdir, NULL, NULL, why, sizeof why), -1);
    snprintf(want, sizeof want, "journal %s: No such file or directory", jdir);
    ck_assert_str_eq(why, want);
}
END_TEST

/* An undo that cannot be done is counted and described; the others are still done. */
START_TEST(failed_undo_is_counted_and_described_and_the_rest_done)
{
    put("f", 'a', 100);
    put("g", 'a', 100);
    int f = open_rw("f"), g = open_rw("g");
    tracked_write(f, "f", 'b', 100, 0);
    tracked_write(g, "g", 'b', 100, 0);
    /* f's link replaced by a directory: it cannot be opened for writing. */
    struct stat st = stat_of_fd(f);
    char link[PATH_MAX + 64];
    snprintf(link, sizeof link, "%s/ino/%llu-%llu", jdir, (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    ck_assert_int_eq(unlink(link), 0);
    ck_assert_int_eq(mkdir(link, 0700), 0);
    struct fl_rollback_summary s;
    char why[PATH_MAX * 2], want[PATH_MAX * 2];
    ck_assert_int_eq(fl_journal_rollback(jdir, NULL, &s, why, sizeof why), 0);
    ck_assert_uint_eq(s.failed, 1);
    snprintf(want, sizeof want, "%s (%s): open: Is a directory", at("f"), link);
    ck_assert_str_eq(why, want);
    expect("f", "b:100");
    expect("g", "a:100");
    close(f);
    close(g);
}
END_TEST

START_TEST(power_loss_is_declared_and_read_back)
{
    char why[64] = "untouched";
    ck_assert(!fl_journal_lost_power(jdir, why, sizeof why));
    ck_assert_str_eq(why, "untouched");
    ck_assert_int_eq(fl_journal_power_loss(&J, "rule 'pl' at fsync #3\nsecond line"), 0);
    ck_assert(fl_journal_lost_power(jdir, why, sizeof why));
    ck_assert_str_eq(why, "rule 'pl' at fsync #3");
    ck_assert(fl_journal_lost_power(jdir, NULL, 0));
    char small[5];
    ck_assert(fl_journal_lost_power(jdir, small, sizeof small));
    ck_assert_str_eq(small, "rule");
}
END_TEST

START_TEST(create_refuses_a_directory_that_holds_something)
{
    ck_assert_int_eq(fl_journal_create(jdir), -1);
    ck_assert_int_eq(errno, EEXIST);
    char empty[PATH_MAX + 64];
    snprintf(empty, sizeof empty, "%s/e", top);
    ck_assert_int_eq(mkdir(empty, 0755), 0);
    ck_assert_int_eq(fl_journal_create(empty), 0);
    struct stat st;
    ck_assert_int_eq(stat(empty, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
}
END_TEST

START_TEST(open_of_a_missing_journal_fails_with_every_fd_closed)
{
    struct fl_journal j;
    char missing[PATH_MAX + 64];
    snprintf(missing, sizeof missing, "%s/none", top);
    ck_assert_int_eq(fl_journal_open(&j, missing), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(j.dirfd, -1);
    ck_assert_int_eq(j.logfd, -1);
    ck_assert_int_eq(j.datafd, -1);
    ck_assert_int_eq(j.lockfd, -1);
}
END_TEST

START_TEST(relative_journal_path_is_kept_absolute)
{
    struct fl_journal j;
    ck_assert_int_eq(chdir(top), 0);
    ck_assert_int_eq(fl_journal_open(&j, "j"), 0);
    ck_assert_str_eq(j.dir, jdir);
    fl_journal_close(&j);
    ck_assert_int_eq(chdir("/"), 0);
}
END_TEST

/* Wait until pid is blocked waiting for a POSIX lock (/proc/locks lists it after "->"). */
static void wait_until_blocked_on_a_lock(pid_t pid)
{
    char want[32], line[256];
    snprintf(want, sizeof want, " %d ", (int)pid);
    for (;;) {
        FILE *f = fopen("/proc/locks", "re");
        ck_assert_ptr_nonnull(f);
        bool found = false;
        while (!found && fgets(line, sizeof line, f))
            found = strstr(line, "->") && strstr(line, want);
        fclose(f);
        if (found)
            return;
        sched_yield();
    }
}

START_TEST(lock_excludes_a_forked_child_until_released)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    fl_journal_lock(&J);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) { /* as the shim's fork handler does: a handle of its own */
        struct fl_journal c;
        fl_journal_close(&J);
        if (fl_journal_open(&c, jdir) != 0)
            _exit(2);
        fl_journal_lock(&c);
        if (write(p[1], "L", 1) != 1)
            _exit(3);
        fl_journal_unlock(&c);
        _exit(0);
    }
    close(p[1]);
    wait_until_blocked_on_a_lock(pid);
    char c;
    ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    ck_assert_int_eq(read(p[0], &c, 1), -1); /* blocked: it has not passed the lock */
    ck_assert_int_eq(errno, EAGAIN);
    fl_journal_unlock(&J);
    ck_assert_int_eq(fcntl(p[0], F_SETFL, 0), 0);
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    ck_assert_int_eq(c, 'L');
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(p[0]);
}
END_TEST

START_TEST(remove_takes_the_journal_with_everything_in_it)
{
    put("f", 'a', 100);
    tracked_unlink("f");
    ck_assert_int_eq(fl_journal_power_loss(&J, "test"), 0);
    ck_assert_int_eq(fl_journal_remove(jdir), 0);
    ck_assert_int_eq(access(jdir, F_OK), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- torn writes ----------------------------------------------------------------------------- */

#define TORN_SIZE (64 * KIB)

/* Overwrite data/f (64 KiB of 'a', durable) with 'b', unsynced, and roll back with o: returns
 * the kept sectors as a string of '1' (all 'b') and '0' (all 'a'), asserting each is one or the
 * other. */
static void torn_overwrite(const struct fl_rollback_opts *o, char *pattern,
                           struct fl_rollback_summary *s)
{
    put("f", 'a', TORN_SIZE);
    fl_journal_lock(&J);
    ck_assert_int_eq(fl_journal_all_durable(&J), 0);
    fl_journal_unlock(&J);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', TORN_SIZE, 0);
    close(fd);
    *s = rollback(o);
    size_t len;
    char *buf = contents("f", &len);
    ck_assert_uint_eq(len, TORN_SIZE);
    unsigned sectors = TORN_SIZE / o->sector;
    for (unsigned i = 0; i < sectors; i++) {
        const char *sec = buf + (size_t)i * o->sector;
        pattern[i] = sec[0] == 'b' ? '1' : '0';
        for (unsigned k = 0; k < o->sector; k++)
            ck_assert_msg(sec[k] == sec[0] && (sec[0] == 'a' || sec[0] == 'b'),
                          "sector %u byte %u is '%c', its first '%c'", i, k, sec[k], sec[0]);
    }
    pattern[sectors] = '\0';
    free(buf);
}

static unsigned count_of(const char *pattern, char c)
{
    unsigned n = 0;
    for (; *pattern; pattern++)
        n += *pattern == c;
    return n;
}

START_TEST(torn_overwrite_keeps_some_sectors_whole_and_loses_the_others_whole)
{
    struct fl_rollback_opts o = {.sector = 512, .keep = 0.5, .seed = 42};
    struct fl_rollback_summary s;
    char pattern[TORN_SIZE / 512 + 1];
    torn_overwrite(&o, pattern, &s);
    unsigned kept = count_of(pattern, '1'), lost = count_of(pattern, '0');
    ck_assert_uint_gt(kept, 0);
    ck_assert_uint_gt(lost, 0);
    ck_assert_uint_eq(s.sectors_kept, kept);
    ck_assert_uint_eq(s.bytes_restored, (uint64_t)lost * 512);
}
END_TEST

START_TEST(torn_with_the_same_seed_keeps_the_same_sectors)
{
    struct fl_rollback_opts o = {.sector = 4096, .keep = 0.5, .seed = 7};
    struct fl_rollback_summary s;
    char first[TORN_SIZE / 512 + 1], again[TORN_SIZE / 512 + 1], other[TORN_SIZE / 512 + 1];
    torn_overwrite(&o, first, &s);
    torn_overwrite(&o, again, &s); /* the same file: the same inode */
    ck_assert_str_eq(first, again);
    /* A file made afresh (the old one kept under another name, so that its inode number is not
     * reused): the run repeated on new files tears the same sectors. */
    ck_assert_int_eq(rename(at("f"), at("f.before")), 0);
    torn_overwrite(&o, again, &s);
    ck_assert_str_eq(first, again);
    o.seed = 8;
    torn_overwrite(&o, other, &s);
    ck_assert_str_ne(first, other);
    ck_assert_uint_eq(strlen(first), 16);
}
END_TEST

START_TEST(torn_with_keep_near_one_keeps_almost_all)
{
    struct fl_rollback_opts o = {.sector = 512, .keep = 0.999, .seed = 42};
    struct fl_rollback_summary s;
    char pattern[TORN_SIZE / 512 + 1];
    torn_overwrite(&o, pattern, &s);
    ck_assert_uint_ge(count_of(pattern, '1'), 126);
    o.keep = 0.0;
    torn_overwrite(&o, pattern, &s);
    ck_assert_uint_eq(count_of(pattern, '1'), 0);
    ck_assert_uint_eq(s.sectors_kept, 0);
}
END_TEST

/* A sector written by two records is all newest or all as synced, never a mix of the two. */
START_TEST(torn_sector_written_twice_is_all_newest_or_all_old)
{
    struct fl_rollback_opts o = {.sector = 512, .keep = 0.5, .seed = 3};
    put("f", 'a', TORN_SIZE);
    int fd = open_rw("f");
    for (off_t off = 0; off < TORN_SIZE; off += 512) {
        tracked_write(fd, "f", 'b', 256, off);
        tracked_write(fd, "f", 'c', 256, off + 256);
    }
    struct fl_rollback_summary s = rollback(&o);
    size_t len;
    char *buf = contents("f", &len);
    ck_assert_uint_eq(len, TORN_SIZE);
    unsigned kept = 0;
    for (size_t i = 0; i < TORN_SIZE / 512; i++) {
        char *sec = buf + i * 512;
        bool newest = sec[0] == 'b' && sec[256] == 'c';
        kept += newest;
        for (unsigned k = 0; k < 512; k++)
            ck_assert(sec[k] == (newest ? (k < 256 ? 'b' : 'c') : 'a'));
    }
    ck_assert_uint_eq(s.sectors_kept, kept);
    ck_assert_uint_gt(kept, 0);
    ck_assert_uint_lt(kept, TORN_SIZE / 512);
    free(buf);
    close(fd);
}
END_TEST

/* An append, torn: the size ends with the last sector kept, and a sector lost inside it reads
 * as zeros (it did not exist before). */
START_TEST(torn_append_ends_at_the_last_kept_sector)
{
    struct fl_rollback_opts o = {.sector = 512, .keep = 0.5, .seed = 42};
    put("f", 'a', 1024);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', TORN_SIZE, 1024);
    struct fl_rollback_summary s = rollback(&o);
    size_t len;
    char *buf = contents("f", &len);
    ck_assert_uint_eq(len % 512, 0);
    ck_assert_uint_gt(len, 1024);
    ck_assert_int_eq(buf[len - 1], 'b'); /* the last sector is a kept one */
    unsigned kept = 0, zero = 0;
    for (size_t i = 1024; i < len; i += 512) {
        kept += buf[i] == 'b';
        zero += buf[i] == '\0';
        for (size_t k = 0; k < 512; k++)
            ck_assert_int_eq(buf[i + k], buf[i]);
    }
    ck_assert_uint_eq(kept + zero, (len - 1024) / 512);
    ck_assert_uint_gt(zero, 0);
    ck_assert_uint_le(kept, s.sectors_kept);
    for (size_t i = 0; i < 1024; i++)
        ck_assert_int_eq(buf[i], 'a');
    free(buf);
    close(fd);
}
END_TEST

/* A change the file no longer holds at all (cut by something untracked): no sector of it is
 * drawn. */
START_TEST(torn_draws_nothing_past_the_end_of_the_file)
{
    struct fl_rollback_opts o = {.sector = 512, .keep = 1.0, .seed = 42};
    put("f", 'a', 1050);
    int fd = open_rw("f");
    tracked_write(fd, "f", 'b', 100, 1100);
    ck_assert_int_eq(ftruncate(fd, 1050), 0);
    struct fl_rollback_summary s = rollback(&o);
    ck_assert_uint_eq(s.sectors_kept, 0);
    expect("f", "a:1050");
    close(fd);
}
END_TEST

static Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *saves = tcase_create("saves");
    /* real files, up to a megabyte a test: slow under a sanitizer on a busy machine */
    tcase_set_timeout(saves, 60);
    tcase_add_checked_fixture(saves, setup, teardown);
    tcase_add_test(saves, overwrite_in_the_middle_is_undone);
    tcase_add_test(saves, append_is_undone);
    tcase_add_test(saves, truncate_shorter_is_undone);
    tcase_add_test(saves, truncate_longer_is_undone);
    tcase_add_test(saves, write_after_fsync_is_undone_and_the_synced_one_kept);
    tcase_add_test(saves, durable_range_stays_while_older_saves_around_it_are_undone);
    tcase_add_test(saves, durable_range_past_the_old_size_keeps_the_size_to_its_end);
    tcase_add_test(saves, two_saves_of_one_range_are_undone_newest_first);
    tcase_add_test(saves, write_only_fd_is_saved_through_the_inode_link);
    tcase_add_test(saves, path_only_fd_is_linked_and_saved_through_the_inode_link);
    tcase_add_test(saves, large_overwrite_is_undone_whole);
    tcase_add_test(saves, read_only_file_is_undone_and_keeps_its_mode);
    suite_add_tcase(s, saves);

    TCase *entries = tcase_create("entries");
    tcase_set_timeout(entries, 60);
    tcase_add_checked_fixture(entries, setup, teardown);
    tcase_add_test(entries, created_file_vanishes_without_a_directory_sync);
    tcase_add_test(entries, created_file_stays_empty_after_a_directory_sync);
    tcase_add_test(entries, created_file_stays_whole_after_file_and_directory_syncs);
    tcase_add_test(entries, unlink_is_undone_with_the_content_kept);
    tcase_add_test(entries, unlinked_file_written_after_comes_back_with_its_old_content);
    tcase_add_test(entries, unlink_then_create_at_the_same_name_is_undone);
    tcase_add_test(entries, stale_keep_link_is_replaced);
    tcase_add_test(entries, rename_over_an_existing_file_is_undone);
    tcase_add_test(entries, rename_with_no_directory_synced_is_undone);
    tcase_add_test(entries, rename_with_only_the_new_directory_synced_leaves_both_names);
    tcase_add_test(entries, rename_with_only_the_old_directory_synced_loses_the_file);
    tcase_add_test(entries, rename_with_both_directories_synced_stays);
    tcase_add_test(entries, rename_to_a_free_name_and_back_is_undone);
    tcase_add_test(entries, rename_recorded_but_never_made_moves_nothing);
    tcase_add_test(entries, directory_rename_over_an_empty_directory_is_undone);
    tcase_add_test(entries, mkdir_with_files_inside_is_undone_as_a_tree);
    tcase_add_test(entries, rmdir_is_undone_with_its_mode);
    tcase_add_test(entries, rmdir_after_a_directory_sync_stays);
    suite_add_tcase(s, entries);

    TCase *journal = tcase_create("journal");
    tcase_set_timeout(journal, 60);
    tcase_add_checked_fixture(journal, setup, teardown);
    tcase_add_test(journal, all_durable_empties_the_journal);
    tcase_add_test(journal, record_cut_short_at_the_end_is_ignored);
    tcase_add_test(journal, record_with_a_bad_sum_at_the_end_is_ignored);
    tcase_add_test(journal, damaged_record_in_the_middle_is_an_error_and_nothing_is_undone);
    tcase_add_test(journal, missing_journal_is_an_error_naming_it);
    tcase_add_test(journal, failed_undo_is_counted_and_described_and_the_rest_done);
    tcase_add_test(journal, power_loss_is_declared_and_read_back);
    tcase_add_test(journal, create_refuses_a_directory_that_holds_something);
    tcase_add_test(journal, open_of_a_missing_journal_fails_with_every_fd_closed);
    tcase_add_test(journal, relative_journal_path_is_kept_absolute);
    tcase_add_test(journal, lock_excludes_a_forked_child_until_released);
    tcase_add_test(journal, remove_takes_the_journal_with_everything_in_it);
    suite_add_tcase(s, journal);

    TCase *torn = tcase_create("torn");
    tcase_set_timeout(torn, 60);
    tcase_add_checked_fixture(torn, setup, teardown);
    tcase_add_test(torn, torn_overwrite_keeps_some_sectors_whole_and_loses_the_others_whole);
    tcase_add_test(torn, torn_with_the_same_seed_keeps_the_same_sectors);
    tcase_add_test(torn, torn_with_keep_near_one_keeps_almost_all);
    tcase_add_test(torn, torn_sector_written_twice_is_all_newest_or_all_old);
    tcase_add_test(torn, torn_append_ends_at_the_last_kept_sector);
    tcase_add_test(torn, torn_draws_nothing_past_the_end_of_the_file);
    suite_add_tcase(s, torn);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(journal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
