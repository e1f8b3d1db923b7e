/*
 * hostcall.c — measures the cost of a host call.
 *
 *   hostcall [N]     (default 100000)
 *
 * Calls write(1, "x", 1) N times — each is one WASI fd_write host call (no
 * stdio buffering) — so the response is N bytes of 'x'. Exit 0, or 1 when a
 * write fails or N is bad.
 *
 * Used in benchmarks of the host-call rate (time / N) and in tests that
 * stdout is collected completely.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = 100000;
    if (argc > 1) {
        char *end;
        n = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || n < 0) {
            fprintf(stderr, "hostcall: bad count '%s'\n", argv[1]);
            return 1;
        }
    }
    for (long i = 0; i < n; i++) {
        ssize_t w = write(1, "x", 1);
        if (w != 1) {
            if (w < 0 && errno == EINTR) { i--; continue; }
            fprintf(stderr, "hostcall: write %ld failed: %s\n", i, w < 0 ? strerror(errno) : "short write");
            return 1;
        }
    }
    return 0;
}
