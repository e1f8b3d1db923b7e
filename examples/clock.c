/*
 * clock.c — shows what time a function can see.
 *
 * Prints, one per line, in nanoseconds:
 *   realtime_ns=...        clock_gettime(CLOCK_REALTIME)
 *   monotonic_ns=...       clock_gettime(CLOCK_MONOTONIC)
 *   realtime_res_ns=...    clock_getres(CLOCK_REALTIME)
 *   monotonic_res_ns=...   clock_getres(CLOCK_MONOTONIC)
 *   slept_ns=...           monotonic time measured around nanosleep(10 ms)
 * A call that fails prints NAME=error:MESSAGE instead, and the exit code is 1
 * (0 when everything worked).
 *
 * Used in tests of the clocks the platform exposes (e.g. whether it coarsens
 * their resolution against timing side channels) and that sleeping works.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

static int show(const char *name, int rc, const struct timespec *t) {
    if (rc != 0) {
        printf("%s=error:%s\n", name, strerror(errno));
        return 1;
    }
    printf("%s=%lld\n", name, (long long)ns(t));
    return 0;
}

int main(void) {
    struct timespec t;
    int bad = 0;
    bad |= show("realtime_ns", clock_gettime(CLOCK_REALTIME, &t), &t);
    bad |= show("monotonic_ns", clock_gettime(CLOCK_MONOTONIC, &t), &t);
    bad |= show("realtime_res_ns", clock_getres(CLOCK_REALTIME, &t), &t);
    bad |= show("monotonic_res_ns", clock_getres(CLOCK_MONOTONIC, &t), &t);

    struct timespec before, after, req = {0, 10 * 1000 * 1000};
    if (clock_gettime(CLOCK_MONOTONIC, &before) != 0 || nanosleep(&req, NULL) != 0 ||
        clock_gettime(CLOCK_MONOTONIC, &after) != 0) {
        printf("slept_ns=error:%s\n", strerror(errno));
        bad = 1;
    } else {
        printf("slept_ns=%lld\n", (long long)(ns(&after) - ns(&before)));
    }
    fflush(stdout);
    return bad;
}
