/* The call table (lib/calls.def, lib/calls.c): names, symbols, classes, actions, error kinds,
 * checked against DESIGN.md and against the libc this process runs on. */
#include <check.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* DESIGN.md, "Config file", the class table, copied as data, with the calls added since (fclose,
 * the namespace calls, fgetc getline fscanf, recvmmsg sendmmsg, the truncation and allocation
 * calls, sync, ficlone) and the class @fs. */
static const struct {
    const char *name;
    unsigned bit;
    const char *calls;
} design_classes[] = {
    {"@file", FL_CLASS_FILE,
     "open openat creat fopen fdopen freopen close fclose rename link symlink unlink mkdir "
     "rmdir ficlone"},
    {"@read", FL_CLASS_READ,
     "read pread readv preadv recv recvfrom recvmsg fread fgets fgetc getline fscanf recvmmsg"},
    {"@write", FL_CLASS_WRITE,
     "write pwrite writev pwritev send sendto sendmsg sendfile splice copy_file_range fwrite "
     "fputs fputc fprintf fflush sendmmsg ftruncate truncate fallocate posix_fallocate ficlone"},
    {"@net", FL_CLASS_NET,
     "socket connect accept bind listen shutdown send sendto sendmsg recv recvfrom recvmsg "
     "getaddrinfo recvmmsg sendmmsg"},
    {"@dns", FL_CLASS_DNS, "getaddrinfo getnameinfo gethostbyname gethostbyname_r gethostbyaddr"},
    {"@sync", FL_CLASS_SYNC, "fsync fdatasync sync_file_range syncfs msync sync"},
    {"@wait", FL_CLASS_WAIT, "poll ppoll select pselect epoll_wait epoll_pwait"},
    {"@mem", FL_CLASS_MEM,
     "malloc calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc pvalloc"},
    {"@fs", FL_CLASS_FS,
     "rename link symlink unlink mkdir rmdir ftruncate truncate fallocate posix_fallocate "
     "ficlone"},
};

/* Whether the space-separated word list `list` holds `word`. */
static int list_has(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && strncmp(p, word, n) == 0)
            return 1;
        p += w;
        p += strspn(p, " ");
    }
    return 0;
}

/* The calls of class `bit`, in table order, space-separated, into buf. */
static const char *class_members(unsigned bit, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        if (!(fl_calls[i].classes & bit))
            continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? " " : "", fl_calls[i].name);
        ck_assert_int_gt(n, 0);
        ck_assert_uint_lt(len + (size_t)n, cap);
        len += (size_t)n;
    }
    return buf;
}

/* The fl_syms row of symbol `name`, or -1. */
static int sym_by_name(const char *name)
{
    for (int i = 0; i < FL_SYM_COUNT; i++)
        if (strcmp(fl_syms[i].name, name) == 0)
            return i;
    return -1;
}

static int allows(int call, enum fl_action a)
{
    return (fl_calls[call].actions >> a) & 1;
}

static int call_id(const char *name)
{
    int id = fl_call_by_name(name);
    ck_assert_msg(id >= 0, "%s is not a call", name);
    return id;
}

/* ---- names -------------------------------------------------------------------------------- */

START_TEST(every_call_has_a_unique_name_found_by_lookup)
{
    ck_assert_int_ge(FL_CALL_COUNT, 1);
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        ck_assert_ptr_nonnull(fl_calls[i].name);
        ck_assert_uint_gt(strlen(fl_calls[i].name), 0);
        ck_assert_int_eq(fl_call_by_name(fl_calls[i].name), i);
        for (int j = i + 1; j < FL_CALL_COUNT; j++)
            ck_assert_str_ne(fl_calls[i].name, fl_calls[j].name);
    }
}
END_TEST

START_TEST(unknown_call_names_give_minus_one)
{
    static const char *const bad[] = {"", "reed", "READ", "Read", "read ", " read", "@read",
                                      "@all", "fork", "execve", "mmap", "openat2", "free"};
    for (size_t i = 0; i < COUNT(bad); i++)
        ck_assert_msg(fl_call_by_name(bad[i]) == -1, "'%s' found", bad[i]);
}
END_TEST

START_TEST(symbol_names_are_not_call_names)
{
    static const char *const syms[] = {
        "pread64", "__read_chk", "__pread_chk", "__pread64_chk", "open64", "__open_2",
        "__open64_2", "openat64", "creat64", "fopen64", "printf", "vfprintf", "__printf_chk",
        "puts", "putc", "putchar", "accept4", "sendfile64", "pwrite64", "gethostbyname2",
        "gethostbyaddr_r", "__poll_chk", "fread_unlocked", "fflush_unlocked", "preadv64v2",
    };
    for (size_t i = 0; i < COUNT(syms); i++) {
        ck_assert_msg(sym_by_name(syms[i]) >= 0, "%s is not in fl_syms", syms[i]);
        ck_assert_msg(fl_call_by_name(syms[i]) == -1, "symbol %s taken as a call", syms[i]);
    }
    /* And generally: a symbol that is also a call name is that call's own symbol. */
    for (int i = 0; i < FL_SYM_COUNT; i++) {
        int id = fl_call_by_name(fl_syms[i].name);
        if (id >= 0)
            ck_assert_int_eq(id, (int)fl_syms[i].call);
    }
}
END_TEST

START_TEST(symbol_names_are_unique)
{
    for (int i = 0; i < FL_SYM_COUNT; i++) {
        ck_assert_ptr_nonnull(fl_syms[i].name);
        ck_assert_int_eq(sym_by_name(fl_syms[i].name), i);
        ck_assert_int_ge((int)fl_syms[i].call, 0);
        ck_assert_int_lt((int)fl_syms[i].call, FL_CALL_COUNT);
    }
}
END_TEST

START_TEST(variant_symbols_map_to_their_call)
{
    static const struct { const char *sym, *call; } rows[] = {
        {"pread64", "pread"},       {"__pread_chk", "pread"},     {"__pread64_chk", "pread"},
        {"__read_chk", "read"},     {"open64", "open"},           {"__open_2", "open"},
        {"__open64_2", "open"},     {"openat64", "openat"},       {"__openat_2", "openat"},
        {"creat64", "creat"},       {"fopen64", "fopen"},         {"freopen64", "freopen"},
        {"printf", "fprintf"},      {"vfprintf", "fprintf"},      {"vprintf", "fprintf"},
        {"__fprintf_chk", "fprintf"}, {"__printf_chk", "fprintf"},
        {"__vfprintf_chk", "fprintf"}, {"__vprintf_chk", "fprintf"},
        {"puts", "fputs"},          {"fputs_unlocked", "fputs"},  {"putc", "fputc"},
        {"putchar", "fputc"},       {"_IO_putc", "fputc"},        {"accept4", "accept"},
        {"sendfile64", "sendfile"}, {"pwrite64", "pwrite"},       {"preadv2", "preadv"},
        {"pwritev64v2", "pwritev"}, {"__recv_chk", "recv"},       {"__recvfrom_chk", "recvfrom"},
        {"__fread_chk", "fread"},   {"fgets_unlocked", "fgets"},  {"fwrite_unlocked", "fwrite"},
        {"fflush_unlocked", "fflush"}, {"gethostbyname2", "gethostbyname"},
        {"gethostbyname2_r", "gethostbyname_r"}, {"gethostbyaddr_r", "gethostbyaddr"},
        {"__poll_chk", "poll"},     {"__ppoll_chk", "ppoll"},
    };
    for (size_t i = 0; i < COUNT(rows); i++) {
        int s = sym_by_name(rows[i].sym);
        ck_assert_msg(s >= 0, "%s is not in fl_syms", rows[i].sym);
        ck_assert_str_eq(fl_calls[fl_syms[s].call].name, rows[i].call);
    }
}
END_TEST

START_TEST(every_call_is_interposed_under_its_own_name)
{
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        /* ficlone is a request of ioctl (FICLONE, FICLONERANGE): no symbol of its own */
        int s = sym_by_name(strcmp(fl_calls[i].name, "ficlone") ? fl_calls[i].name : "ioctl");
        ck_assert_msg(s >= 0, "no symbol %s", fl_calls[i].name);
        ck_assert_int_eq((int)fl_syms[s].call, i);
    }
}
END_TEST

START_TEST(every_symbol_resolves_in_this_libc)
{
    /* The shim looks each one up with dlsym(RTLD_NEXT): if this process's libc lacks one, the
     * wrapper would have no real function to call. */
    for (int i = 0; i < FL_SYM_COUNT; i++)
        ck_assert_msg(dlsym(RTLD_DEFAULT, fl_syms[i].name) != NULL, "%s: %s", fl_syms[i].name,
                      dlerror());
}
END_TEST

START_TEST(call_bitset_has_room_for_every_call)
{
    ck_assert_int_ge(FL_CALL_WORDS * 64, FL_CALL_COUNT);
    ck_assert_int_lt((FL_CALL_WORDS - 1) * 64, FL_CALL_COUNT);
}
END_TEST

/* ---- classes ------------------------------------------------------------------------------ */

START_TEST(class_names_give_their_bit)
{
    ck_assert_uint_eq(fl_class_by_name("@file"), FL_CLASS_FILE);
    ck_assert_uint_eq(fl_class_by_name("@read"), FL_CLASS_READ);
    ck_assert_uint_eq(fl_class_by_name("@write"), FL_CLASS_WRITE);
    ck_assert_uint_eq(fl_class_by_name("@net"), FL_CLASS_NET);
    ck_assert_uint_eq(fl_class_by_name("@dns"), FL_CLASS_DNS);
    ck_assert_uint_eq(fl_class_by_name("@sync"), FL_CLASS_SYNC);
    ck_assert_uint_eq(fl_class_by_name("@wait"), FL_CLASS_WAIT);
    ck_assert_uint_eq(fl_class_by_name("@mem"), FL_CLASS_MEM);
    ck_assert_uint_eq(fl_class_by_name("@all"), FL_CLASS_ALL);
}
END_TEST

START_TEST(unknown_class_names_give_zero)
{
    static const char *const bad[] = {"", "@", "net", "@NET", "@nett", "@net ", "@files",
                                      "all", "@everything", "read"};
    for (size_t i = 0; i < COUNT(bad); i++)
        ck_assert_msg(fl_class_by_name(bad[i]) == 0, "'%s' known", bad[i]);
}
END_TEST

START_TEST(class_names_are_listed_in_documentation_order)
{
    static const char *const want[] = {"@file", "@read", "@write", "@net", "@dns",
                                       "@sync", "@wait", "@mem",   "@fs",  "@all"};
    for (size_t i = 0; i < COUNT(want); i++) {
        ck_assert_ptr_nonnull(fl_class_names[i]);
        ck_assert_str_eq(fl_class_names[i], want[i]);
    }
    ck_assert_ptr_null(fl_class_names[COUNT(want)]);
}
END_TEST

START_TEST(all_class_covers_every_call)
{
    unsigned all = fl_class_by_name("@all");
    unsigned used = 0;
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        ck_assert_msg(fl_calls[i].classes & all, "%s in no class", fl_calls[i].name);
        ck_assert_uint_eq(fl_calls[i].classes & ~all, 0);
        used |= fl_calls[i].classes;
    }
    /* Every single class has calls, and @all is exactly their union. */
    ck_assert_uint_eq(used, all);
    for (size_t c = 0; c < COUNT(design_classes); c++)
        ck_assert_uint_eq(all & design_classes[c].bit, design_classes[c].bit);
}
END_TEST

START_TEST(design_class_table_calls_are_in_their_class)
{
    for (size_t c = 0; c < COUNT(design_classes); c++) {
        ck_assert_uint_eq(fl_class_by_name(design_classes[c].name), design_classes[c].bit);
        char word[64];
        for (const char *p = design_classes[c].calls; *p;) {
            size_t w = strcspn(p, " ");
            ck_assert_uint_lt(w, sizeof word);
            memcpy(word, p, w);
            word[w] = '\0';
            int id = fl_call_by_name(word);
            ck_assert_msg(id >= 0, "%s (%s) is not a call", word, design_classes[c].name);
            ck_assert_msg(fl_calls[id].classes & design_classes[c].bit, "%s not in %s", word,
                          design_classes[c].name);
            p += w;
            p += strspn(p, " ");
        }
    }
}
END_TEST

START_TEST(table_class_members_are_in_the_design_class_table)
{
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        int listed = 0;
        for (size_t c = 0; c < COUNT(design_classes); c++) {
            int in_table = (fl_calls[i].classes & design_classes[c].bit) != 0;
            int in_design = list_has(design_classes[c].calls, fl_calls[i].name);
            ck_assert_msg(in_table == in_design, "%s: table says %d, DESIGN.md says %d for %s",
                          fl_calls[i].name, in_table, in_design, design_classes[c].name);
            listed |= in_design;
        }
        ck_assert_msg(listed, "%s is in no DESIGN.md class", fl_calls[i].name);
    }
}
END_TEST

START_TEST(file_class_is_the_open_close_and_namespace_calls)
{
    char buf[1024];
    ck_assert_str_eq(class_members(FL_CLASS_FILE, buf, sizeof buf),
                     "open openat creat fopen fdopen freopen close fclose rename link symlink "
                     "unlink mkdir rmdir ficlone");
}
END_TEST

/* A namespace call covers its *at forms: the rules see the name resolved against the dirfd. */
START_TEST(namespace_calls_cover_their_at_forms)
{
    static const char *const pairs[][2] = {
        {"renameat", "rename"}, {"renameat2", "rename"}, {"linkat", "link"},
        {"symlinkat", "symlink"}, {"unlinkat", "unlink"}, {"mkdirat", "mkdir"},
        {"truncate64", "truncate"}, {"ftruncate64", "ftruncate"}, {"fallocate64", "fallocate"},
        {"posix_fallocate64", "posix_fallocate"}, {"getdelim", "getline"},
        {"__getdelim", "getline"}, {"getc", "fgetc"}, {"_IO_getc", "fgetc"},
        {"getchar", "fgetc"}, {"getc_unlocked", "fgetc"}, {"getchar_unlocked", "fgetc"},
        {"fgetc_unlocked", "fgetc"}, {"scanf", "fscanf"}, {"vfscanf", "fscanf"},
        {"vscanf", "fscanf"}, {"__isoc99_fscanf", "fscanf"}, {"__isoc99_scanf", "fscanf"},
        {"__isoc99_vfscanf", "fscanf"}, {"__isoc99_vscanf", "fscanf"},
    };
    for (size_t i = 0; i < COUNT(pairs); i++) {
        int s = sym_by_name(pairs[i][0]);
        ck_assert_msg(s >= 0, "%s is not in fl_syms", pairs[i][0]);
        ck_assert_str_eq(fl_calls[fl_syms[s].call].name, pairs[i][1]);
        ck_assert_int_eq(fl_call_by_name(pairs[i][0]), -1);
    }
}
END_TEST

START_TEST(sync_takes_no_error)
{
    int sync = call_id("sync");
    ck_assert(!allows(sync, FL_ACT_ERROR));
    ck_assert(allows(sync, FL_ACT_DELAY) && allows(sync, FL_ACT_KILL));
    ck_assert(allows(sync, FL_ACT_DROP));
    ck_assert_uint_eq(fl_calls[sync].classes, FL_CLASS_SYNC);
}
END_TEST

START_TEST(dns_class_is_exactly_the_resolver_calls)
{
    char buf[1024];
    ck_assert_str_eq(class_members(FL_CLASS_DNS, buf, sizeof buf),
                     "getaddrinfo getnameinfo gethostbyname gethostbyname_r gethostbyaddr");
}
END_TEST

START_TEST(mem_class_is_the_nine_allocators)
{
    char buf[1024];
    ck_assert_str_eq(class_members(FL_CLASS_MEM, buf, sizeof buf),
                     "malloc calloc realloc reallocarray posix_memalign aligned_alloc memalign "
                     "valloc pvalloc");
}
END_TEST

START_TEST(getaddrinfo_is_in_net_and_dns_only)
{
    ck_assert_uint_eq(fl_calls[call_id("getaddrinfo")].classes, FL_CLASS_NET | FL_CLASS_DNS);
    ck_assert_uint_eq(fl_calls[call_id("getnameinfo")].classes, FL_CLASS_DNS);
}
END_TEST

START_TEST(socket_reads_and_writes_are_in_net_too)
{
    static const char *const rd[] = {"recv", "recvfrom", "recvmsg"};
    static const char *const wr[] = {"send", "sendto", "sendmsg"};
    for (size_t i = 0; i < COUNT(rd); i++)
        ck_assert_uint_eq(fl_calls[call_id(rd[i])].classes, FL_CLASS_READ | FL_CLASS_NET);
    for (size_t i = 0; i < COUNT(wr); i++)
        ck_assert_uint_eq(fl_calls[call_id(wr[i])].classes, FL_CLASS_WRITE | FL_CLASS_NET);
    ck_assert_uint_eq(fl_calls[call_id("read")].classes, FL_CLASS_READ);
    ck_assert_uint_eq(fl_calls[call_id("write")].classes, FL_CLASS_WRITE);
}
END_TEST

START_TEST(design_class_table_names_every_call)
{
    /* The union of the table's rows is the whole call list: no call is undocumented. */
    int n = 0;
    for (int i = 0; i < FL_CALL_COUNT; i++)
        for (size_t c = 0; c < COUNT(design_classes); c++)
            if (list_has(design_classes[c].calls, fl_calls[i].name)) {
                n++;
                break;
            }
    ck_assert_int_eq(n, FL_CALL_COUNT);
}
END_TEST

/* ---- actions ------------------------------------------------------------------------------ */

START_TEST(actions_masks_name_only_known_actions)
{
    for (int i = 0; i < FL_CALL_COUNT; i++)
        ck_assert_uint_eq(fl_calls[i].actions & ~((1u << FL_ACT_COUNT) - 1), 0);
}
END_TEST

START_TEST(error_delay_and_kill_are_allowed_on_every_call)
{
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        ck_assert_msg(allows(i, FL_ACT_ERROR) == (i != call_id("sync")), "error on %s",
                      fl_calls[i].name); /* sync returns nothing and cannot fail */
        ck_assert_msg(allows(i, FL_ACT_DELAY), "delay on %s", fl_calls[i].name);
        ck_assert_msg(allows(i, FL_ACT_KILL), "kill on %s", fl_calls[i].name);
    }
}
END_TEST

/* fputc and fgetc move one byte, and fflush, getline, fscanf, the calls that size a file and
 * ficlone ask for no byte count: nothing to shorten. */
static int uncounted(int call)
{
    static const char *const names[] = {"fputc",     "fflush",   "fgetc",     "getline",
                                        "fscanf",    "ftruncate", "truncate", "fallocate",
                                        "posix_fallocate", "ficlone"};
    for (size_t i = 0; i < COUNT(names); i++)
        if (call == call_id(names[i]))
            return 1;
    return 0;
}

/* Calls that size a file, and ficlone (the file system shares blocks): no bytes pass through
 * the program, so there is nothing to drop or corrupt. */
static int sizes_a_file(int call)
{
    return call == call_id("ftruncate") || call == call_id("truncate") ||
           call == call_id("fallocate") || call == call_id("posix_fallocate") ||
           call == call_id("ficlone");
}

START_TEST(partial_is_allowed_on_reads_and_writes_only)
{
    ck_assert(allows(call_id("read"), FL_ACT_PARTIAL));
    ck_assert(allows(call_id("write"), FL_ACT_PARTIAL));
    ck_assert(allows(call_id("recv"), FL_ACT_PARTIAL));
    ck_assert(allows(call_id("send"), FL_ACT_PARTIAL));
    ck_assert(allows(call_id("fwrite"), FL_ACT_PARTIAL));
    ck_assert(allows(call_id("fprintf"), FL_ACT_PARTIAL));
    ck_assert(allows(call_id("sendfile"), FL_ACT_PARTIAL));
    ck_assert(!allows(call_id("connect"), FL_ACT_PARTIAL));
    ck_assert(!allows(call_id("malloc"), FL_ACT_PARTIAL));
    ck_assert(!allows(call_id("open"), FL_ACT_PARTIAL));
    ck_assert(!allows(call_id("fsync"), FL_ACT_PARTIAL));
    /* fputc moves one byte and fflush has no count: nothing to shorten. */
    ck_assert(!allows(call_id("fputc"), FL_ACT_PARTIAL));
    ck_assert(!allows(call_id("fflush"), FL_ACT_PARTIAL));
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        int rw = (fl_calls[i].classes & (FL_CLASS_READ | FL_CLASS_WRITE)) != 0;
        ck_assert_msg(allows(i, FL_ACT_PARTIAL) == (rw && !uncounted(i)), "partial on %s",
                      fl_calls[i].name);
    }
}
END_TEST

START_TEST(eof_is_allowed_on_reads_only)
{
    for (int i = 0; i < FL_CALL_COUNT; i++)
        ck_assert_msg(allows(i, FL_ACT_EOF) == ((fl_calls[i].classes & FL_CLASS_READ) != 0 &&
                                                i != call_id("recvmmsg")),
                      "eof on %s", fl_calls[i].name); /* recvmmsg counts messages */
    ck_assert(!allows(call_id("write"), FL_ACT_EOF));
    ck_assert(!allows(call_id("accept"), FL_ACT_EOF));
}
END_TEST

/* The kernel moves these bytes from one fd to another; none pass through the program. */
static int kernel_transfer(int call)
{
    return call == call_id("sendfile") || call == call_id("splice") ||
           call == call_id("copy_file_range");
}

START_TEST(drop_is_allowed_on_writes_and_syncs_only)
{
    /* A dropped kernel transfer would have to fake the source offset too: the table (calls.h
     * FL_ACTS_XFER) leaves drop out for them. */
    for (int i = 0; i < FL_CALL_COUNT; i++) {
        int ws = (fl_calls[i].classes & (FL_CLASS_WRITE | FL_CLASS_SYNC)) != 0;
        ck_assert_msg(allows(i, FL_ACT_DROP) == (ws && !kernel_transfer(i) && !sizes_a_file(i)),
                      "drop on %s",
                      fl_calls[i].name);
    }
    ck_assert(!allows(call_id("sendfile"), FL_ACT_DROP));
    ck_assert(allows(call_id("fsync"), FL_ACT_DROP));
    ck_assert(allows(call_id("fflush"), FL_ACT_DROP));
    ck_assert(allows(call_id("send"), FL_ACT_DROP));
    ck_assert(!allows(call_id("read"), FL_ACT_DROP));
    ck_assert(!allows(call_id("connect"), FL_ACT_DROP));
}
END_TEST

START_TEST(corrupt_is_allowed_only_where_bytes_pass_through_the_program)
{
    for (int i = 0; i < FL_CALL_COUNT; i++)
        if (!(fl_calls[i].classes & (FL_CLASS_READ | FL_CLASS_WRITE)))
            ck_assert_msg(!allows(i, FL_ACT_CORRUPT), "corrupt on %s", fl_calls[i].name);
    ck_assert(allows(call_id("read"), FL_ACT_CORRUPT));
    ck_assert(allows(call_id("write"), FL_ACT_CORRUPT));
    ck_assert(allows(call_id("fputc"), FL_ACT_CORRUPT));
    for (int i = 0; i < FL_CALL_COUNT; i++)
        if (kernel_transfer(i))
            ck_assert_msg(!allows(i, FL_ACT_CORRUPT), "corrupt on %s", fl_calls[i].name);
    ck_assert(!allows(call_id("fflush"), FL_ACT_CORRUPT));
}
END_TEST

START_TEST(action_names_match_the_config_keys)
{
    ck_assert_str_eq(fl_action_name(FL_ACT_ERROR), "error");
    ck_assert_str_eq(fl_action_name(FL_ACT_DELAY), "delay");
    ck_assert_str_eq(fl_action_name(FL_ACT_PARTIAL), "partial");
    ck_assert_str_eq(fl_action_name(FL_ACT_EOF), "eof");
    ck_assert_str_eq(fl_action_name(FL_ACT_CORRUPT), "corrupt");
    ck_assert_str_eq(fl_action_name(FL_ACT_DROP), "drop");
    ck_assert_str_eq(fl_action_name(FL_ACT_KILL), "kill");
    ck_assert_str_eq(fl_action_name(FL_ACT_COUNT), "?");
    ck_assert_str_eq(fl_action_name((enum fl_action)-1), "?");
}
END_TEST

/* ---- error kinds and helpers -------------------------------------------------------------- */

START_TEST(resolver_calls_report_errors_in_their_own_codes)
{
    ck_assert_int_eq(fl_calls[call_id("getaddrinfo")].errors, FL_ERR_EAI);
    ck_assert_int_eq(fl_calls[call_id("getnameinfo")].errors, FL_ERR_EAI);
    ck_assert_int_eq(fl_calls[call_id("gethostbyname")].errors, FL_ERR_HERRNO);
    ck_assert_int_eq(fl_calls[call_id("gethostbyname_r")].errors, FL_ERR_HERRNO);
    ck_assert_int_eq(fl_calls[call_id("gethostbyaddr")].errors, FL_ERR_HERRNO);
    int other = 0;
    for (int i = 0; i < FL_CALL_COUNT; i++)
        if (!(fl_calls[i].classes & FL_CLASS_DNS)) {
            ck_assert_msg(fl_calls[i].errors == FL_ERR_ERRNO, "%s", fl_calls[i].name);
            other++;
        }
    ck_assert_int_eq(other, FL_CALL_COUNT - 5);
}
END_TEST

START_TEST(mul_sat_multiplies_or_saturates)
{
    ck_assert_uint_eq(fl_mul_sat(0, SIZE_MAX), 0);
    ck_assert_uint_eq(fl_mul_sat(3, 4), 12);
    ck_assert_uint_eq(fl_mul_sat(SIZE_MAX, 1), SIZE_MAX);
    ck_assert_uint_eq(fl_mul_sat(SIZE_MAX / 2 + 1, 2), SIZE_MAX);
    size_t half = (size_t)1 << (sizeof(size_t) * 4); /* half * half == SIZE_MAX + 1 */
    ck_assert_uint_eq(fl_mul_sat(half, half), SIZE_MAX);
    ck_assert_uint_eq(fl_mul_sat(half, half - 1), half * (half - 1));
}
END_TEST

static Suite *calls_suite(void)
{
    Suite *s = suite_create("calls");
    TCase *names = tcase_create("names");
    tcase_add_test(names, every_call_has_a_unique_name_found_by_lookup);
    tcase_add_test(names, unknown_call_names_give_minus_one);
    tcase_add_test(names, symbol_names_are_not_call_names);
    tcase_add_test(names, symbol_names_are_unique);
    tcase_add_test(names, variant_symbols_map_to_their_call);
    tcase_add_test(names, every_call_is_interposed_under_its_own_name);
    tcase_add_test(names, every_symbol_resolves_in_this_libc);
    tcase_add_test(names, call_bitset_has_room_for_every_call);
    suite_add_tcase(s, names);

    TCase *classes = tcase_create("classes");
    tcase_add_test(classes, class_names_give_their_bit);
    tcase_add_test(classes, unknown_class_names_give_zero);
    tcase_add_test(classes, class_names_are_listed_in_documentation_order);
    tcase_add_test(classes, all_class_covers_every_call);
    tcase_add_test(classes, design_class_table_calls_are_in_their_class);
    tcase_add_test(classes, table_class_members_are_in_the_design_class_table);
    tcase_add_test(classes, file_class_is_the_open_close_and_namespace_calls);
    tcase_add_test(classes, namespace_calls_cover_their_at_forms);
    tcase_add_test(classes, dns_class_is_exactly_the_resolver_calls);
    tcase_add_test(classes, mem_class_is_the_nine_allocators);
    tcase_add_test(classes, getaddrinfo_is_in_net_and_dns_only);
    tcase_add_test(classes, socket_reads_and_writes_are_in_net_too);
    tcase_add_test(classes, design_class_table_names_every_call);
    suite_add_tcase(s, classes);

    TCase *actions = tcase_create("actions");
    tcase_add_test(actions, actions_masks_name_only_known_actions);
    tcase_add_test(actions, error_delay_and_kill_are_allowed_on_every_call);
    tcase_add_test(actions, sync_takes_no_error);
    tcase_add_test(actions, partial_is_allowed_on_reads_and_writes_only);
    tcase_add_test(actions, eof_is_allowed_on_reads_only);
    tcase_add_test(actions, drop_is_allowed_on_writes_and_syncs_only);
    tcase_add_test(actions, corrupt_is_allowed_only_where_bytes_pass_through_the_program);
    tcase_add_test(actions, action_names_match_the_config_keys);
    suite_add_tcase(s, actions);

    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, resolver_calls_report_errors_in_their_own_codes);
    tcase_add_test(errors, mul_sat_multiplies_or_saturates);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(calls_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
