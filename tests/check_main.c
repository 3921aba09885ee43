/* check_main.c - one Check runner for every unit suite, so the last line it
 * prints is the summary of them all. A suite is a `Suite *NAME_suite(void)` in
 * tests/test_NAME.c; it is declared weak here, so a suite joins the run just
 * by being linked in. CK_RUN_SUITE=name runs one. */
#include <check.h>
#include <stdlib.h>

#define SUITES(X) X(rng) X(data) X(node) X(config) X(nn) X(train) X(ckpt) X(pruner) X(sampler) X(sched) X(store) X(sweep)
#define DECLARE(name) Suite *name##_suite(void) __attribute__((weak));
SUITES(DECLARE)

int main(void) {
    SRunner *sr = srunner_create(NULL);
#define ADD(name) if (name##_suite) srunner_add_suite(sr, name##_suite());
    SUITES(ADD)
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
