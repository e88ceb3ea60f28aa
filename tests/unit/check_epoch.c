/* Epoch-based reclamation (lib/epoch.c): an object retired while a read section is open is not
 * freed until that section and every older one have left; nested sections; a forked child
 * counts only its own thread's sections; threads reading while others retire never see a freed
 * object. Each test runs in its own process (CK_FORK), so the global epoch starts fresh only
 * there: tests compare with fl_epoch_pending and the freed flags, never absolute epochs. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "epoch.h"

struct obj {
    struct fl_epoch_node node;
    int *freed;                       /* set when freed */
    int value;
};

static void obj_free(struct fl_epoch_node *node)
{
    struct obj *o = (struct obj *)node;
    if (o->freed)
        *o->freed = 1;
    o->value = -1; /* poison: a reader seeing it read after free */
    free(o);
}

static struct obj *obj_new(int *freed)
{
    struct obj *o = calloc(1, sizeof *o);
    ck_assert_ptr_nonnull(o);
    o->freed = freed;
    o->value = 42;
    return o;
}

/* Reclaim until nothing is freed any more. */
static void drain(void)
{
    while (fl_epoch_reclaim() > 0)
        ;
    fl_epoch_reclaim();
}

START_TEST(retired_with_no_reader_is_freed_at_once)
{
    int freed = 0;
    fl_epoch_retire(&obj_new(&freed)->node, obj_free, true);
    ck_assert_int_eq(freed, 1);
    ck_assert_uint_eq(fl_epoch_pending(), 0);
}
END_TEST

START_TEST(not_signal_safe_waits_for_reclaim)
{
    int freed = 0;
    fl_epoch_retire(&obj_new(&freed)->node, obj_free, false);
    ck_assert_int_eq(freed, 0); /* retire frees only signal-safe objects */
    ck_assert_uint_eq(fl_epoch_pending(), 1);
    drain();
    ck_assert_int_eq(freed, 1);
    ck_assert_uint_eq(fl_epoch_pending(), 0);
}
END_TEST

START_TEST(open_section_keeps_retired_object)
{
    int freed = 0;
    unsigned t = fl_epoch_enter();
    fl_epoch_retire(&obj_new(&freed)->node, obj_free, false);
    for (int i = 0; i < 10; i++)
        fl_epoch_reclaim();
    ck_assert_int_eq(freed, 0);
    ck_assert_uint_le(fl_epoch_now(), 1 + 1); /* E cannot pass the section's epoch + 1 */
    fl_epoch_leave(t);
    drain();
    ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(section_opened_after_retire_does_not_hold_it)
{
    int freed = 0;
    fl_epoch_retire(&obj_new(&freed)->node, obj_free, false);
    /* a section opened now cannot reach the object; it must not keep it for ever either once
     * it leaves */
    unsigned t = fl_epoch_enter();
    fl_epoch_reclaim();
    fl_epoch_leave(t);
    drain();
    ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(nested_sections_hold_until_the_outer_leaves)
{
    int freed = 0;
    unsigned outer = fl_epoch_enter();
    unsigned inner = fl_epoch_enter(); /* as a signal handler inside a section would */
    fl_epoch_retire(&obj_new(&freed)->node, obj_free, false);
    fl_epoch_leave(inner);
    for (int i = 0; i < 10; i++)
        fl_epoch_reclaim();
    ck_assert_int_eq(freed, 0);
    fl_epoch_leave(outer);
    drain();
    ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(objects_free_in_retire_order_of_epochs)
{
    int a = 0, b = 0;
    unsigned t1 = fl_epoch_enter();
    fl_epoch_retire(&obj_new(&a)->node, obj_free, false); /* held by t1 */
    fl_epoch_leave(t1);
    unsigned t2 = fl_epoch_enter();
    fl_epoch_retire(&obj_new(&b)->node, obj_free, false); /* held by t2 */
    fl_epoch_reclaim();
    fl_epoch_reclaim();
    ck_assert_int_eq(b, 0);
    fl_epoch_leave(t2);
    drain();
    ck_assert_int_eq(a, 1);
    ck_assert_int_eq(b, 1);
}
END_TEST

static int gate[2], held[2];

/* A thread that sits in a read section until told to leave. */
static void *sitter(void *arg)
{
    (void)arg;
    char c;
    unsigned t = fl_epoch_enter();
    ck_assert_int_eq(write(held[1], "x", 1), 1);
    ck_assert_int_eq(read(gate[0], &c, 1), 1);
    fl_epoch_leave(t);
    return NULL;
}

START_TEST(fork_child_counts_only_its_own_sections)
{
    pthread_t th;
    char c;
    ck_assert_int_eq(pipe(gate), 0);
    ck_assert_int_eq(pipe(held), 0);
    pthread_create(&th, NULL, sitter, NULL);
    ck_assert_int_eq(read(held[0], &c, 1), 1); /* another thread is in a section */
    unsigned mine = fl_epoch_enter(); /* the forking thread's own: kept in the child */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        fl_epoch_atfork_child();
        int freed = 0;
        fl_epoch_retire(&obj_new(&freed)->node, obj_free, false);
        for (int i = 0; i < 10; i++)
            fl_epoch_reclaim();
        int kept = freed == 0;  /* my own section still holds it */
        fl_epoch_leave(mine);
        drain();                /* the other thread's section is gone with it */
        _exit(kept && freed == 1 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fl_epoch_leave(mine);
    ck_assert_int_eq(write(gate[1], "x", 1), 1);
    pthread_join(th, NULL);
}
END_TEST

static volatile int stop_readers;
static struct obj *_Atomic shared;

static void *reader(void *arg)
{
    long *bad = arg;
    while (!stop_readers) {
        unsigned t = fl_epoch_enter();
        struct obj *o = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
        for (int i = 0; i < 50; i++)
            if (o->value != 42)
                (*bad)++;
        fl_epoch_leave(t);
    }
    return NULL;
}

START_TEST(readers_never_see_a_freed_object)
{
    pthread_t th[3];
    long bad[3] = {0};
    __atomic_store_n(&shared, obj_new(NULL), __ATOMIC_RELEASE);
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, reader, &bad[i]);
    for (int n = 0; n < 20000; n++) {
        struct obj *old = __atomic_exchange_n(&shared, obj_new(NULL), __ATOMIC_ACQ_REL);
        fl_epoch_retire(&old->node, obj_free, n % 2 == 0);
        if (n % 64 == 0)
            fl_epoch_reclaim();
    }
    stop_readers = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(bad[0] + bad[1] + bad[2], 0);
    drain();
    ck_assert_uint_eq(fl_epoch_pending(), 0);
    obj_free(&shared->node);
}
END_TEST

static Suite *epoch_suite(void)
{
    Suite *s = suite_create("epoch");
    TCase *order = tcase_create("order");
    tcase_add_test(order, retired_with_no_reader_is_freed_at_once);
    tcase_add_test(order, not_signal_safe_waits_for_reclaim);
    tcase_add_test(order, open_section_keeps_retired_object);
    tcase_add_test(order, section_opened_after_retire_does_not_hold_it);
    tcase_add_test(order, nested_sections_hold_until_the_outer_leaves);
    tcase_add_test(order, objects_free_in_retire_order_of_epochs);
    suite_add_tcase(s, order);
    TCase *fork_case = tcase_create("fork");
    tcase_add_test(fork_case, fork_child_counts_only_its_own_sections);
    suite_add_tcase(s, fork_case);
    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, readers_never_see_a_freed_object);
    suite_add_tcase(s, threads);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(epoch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
