/*
 * echo.c — answers with its request, unchanged, and an exit code of the deployer's choice.
 *
 * Copies stdin to stdout byte for byte, writes two log lines to stderr ("echo: start" and
 * "echo: N bytes"), and exits with the number in the environment variable ECHO_EXIT (0 when it
 * is unset or not a number in 0..255).
 *
 * Used in tests of OpenWhisk's result rules: a result object with an "error" field is an
 * application error whatever the exit code, and a function that exits non-zero keeps the error
 * object it printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exit_code(void) {
    const char *text = getenv("ECHO_EXIT");
    if (text == NULL || *text == '\0') return 0;
    char *end = NULL;
    long value = strtol(text, &end, 10);
    return (*end == '\0' && value >= 0 && value <= 255) ? (int)value : 0;
}

int main(void) {
    static unsigned char buf[64 * 1024];
    unsigned long total = 0;
    fprintf(stderr, "echo: start\n");
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "echo: read stdin: %s\n", strerror(errno));
            return 1;
        }
        if (r == 0) break;
        total += (unsigned long)r;
        if (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r) {
            fprintf(stderr, "echo: write stdout: %s\n", strerror(errno));
            return 1;
        }
    }
    fprintf(stderr, "echo: %lu bytes\n", total);
    if (fflush(stdout) != 0) return 1;
    return exit_code();
}
