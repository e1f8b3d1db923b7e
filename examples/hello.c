/*
 * hello.c — the smallest useful Carapace function.
 *
 * Reads the whole request payload from stdin and writes it back to stdout with
 * ASCII letters upper-cased (every other byte, including UTF-8 sequences, is
 * passed through unchanged). Exit code 0 on success, 1 on an I/O error.
 *
 * Used as the "does a function run at all" example: deploy, invoke with a
 * payload, expect the same payload upper-cased.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(void) {
    static unsigned char buf[64 * 1024];
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "hello: read stdin: %s\n", strerror(errno));
            return 1;
        }
        if (r == 0) break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (unsigned char)(buf[i] - 'a' + 'A');
        if (write_all(1, buf, (size_t)r) != 0) {
            fprintf(stderr, "hello: write stdout: %s\n", strerror(errno));
            return 1;
        }
    }
    return 0;
}
