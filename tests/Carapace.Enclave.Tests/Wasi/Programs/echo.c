/* stdin -> stdout, byte for byte; "echo stderr" also logs the count to stderr. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[65536];

int main(int argc, char **argv) {
    long total = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0) { perror("write"); return 1; }
            off += w;
        }
        total += n;
    }
    if (n < 0) { perror("read"); return 1; }
    if (argc > 1 && strcmp(argv[1], "stderr") == 0) fprintf(stderr, "echoed %ld bytes\n", total);
    return 0;
}
