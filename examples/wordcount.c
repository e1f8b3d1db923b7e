/*
 * wordcount.c — `wc` for the request payload.
 *
 * Reads stdin to the end and prints one line "LINES WORDS BYTES\n", e.g.
 * "3 12 64\n", the numbers `LC_ALL=C wc` prints (without its padding):
 * LINES counts '\n' bytes; BYTES counts every byte; WORDS counts words as GNU
 * wc does in the C locale — white space (space, \t, \n, \v, \f, \r) ends a
 * word, a printable ASCII byte (0x21..0x7e) starts one, and any other byte
 * (control bytes, bytes >= 0x80) neither starts nor ends a word. For plain
 * text that is simply "runs of non-blank bytes". Exit 0, or 1 on a read error.
 *
 * Used in tests as a function whose output is a small deterministic digest of
 * a payload of any size (streaming, constant memory).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int main(void) {
    static unsigned char buf[64 * 1024];
    unsigned long long lines = 0, words = 0, bytes = 0;
    int in_word = 0;
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "wordcount: read stdin: %s\n", strerror(errno));
            return 1;
        }
        if (r == 0) break;
        bytes += (unsigned long long)r;
        for (ssize_t i = 0; i < r; i++) {
            unsigned char c = buf[i];
            if (c == '\n') lines++;
            if (is_space(c)) {
                in_word = 0;
            } else if (c > ' ' && c < 0x7f && !in_word) {
                in_word = 1;
                words++;
            }
        }
    }
    printf("%llu %llu %llu\n", lines, words, bytes);
    return fflush(stdout) == 0 ? 0 : 1;
}
