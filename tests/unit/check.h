/*
 * The unit tests' one check primitive: an "ok - ..." or "not ok - ..." line
 * per check, and the closing "N passed, M failed" line that tests/run-checks.sh
 * counts.
 */
#ifndef DEEP3D_TESTS_CHECK_H
#define DEEP3D_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int passed, failed;

static void check(int cond, const char *fmt, ...)
{
    va_list ap;
    printf(cond ? "ok - " : "not ok - ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (cond)
        passed++;
    else
        failed++;
}

/* Print the closing line; the exit status of the test. */
static int check_summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif /* DEEP3D_TESTS_CHECK_H */
