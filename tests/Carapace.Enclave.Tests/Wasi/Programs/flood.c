/* flood.c N: writes N bytes of 'y' to stdout with write(), 1000 at a time; reports the first failure on stderr. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 0, done = 0;
    char chunk[1000];
    memset(chunk, 'y', sizeof chunk);
    while (done < n) {
        size_t want = (size_t)(n - done < 1000 ? n - done : 1000);
        ssize_t w = write(1, chunk, want);
        if (w < 0) {
            fprintf(stderr, "write failed after %ld bytes: %s\n", done, errno_name(errno));
            return 1;
        }
        done += w;
    }
    fprintf(stderr, "wrote %ld\n", done);
    return 0;
}
