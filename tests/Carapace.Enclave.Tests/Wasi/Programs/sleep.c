/* sleep.c MS: nanosleep for MS milliseconds, then prints how long it took (monotonic, ms). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 0;
    struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = nanosleep(&req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long took = ((long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec)) / 1000000;
    printf("rc=%d took_ms=%lld\n", rc, took);
    return 0;
}
