/*
 * memhog.c — finds out how much memory a function really gets.
 *
 *   memhog [LIMIT_MIB]
 *
 * Allocates 1 MiB blocks with malloc, writing to every 4 KiB page of each so
 * the memory is really committed, until malloc fails or LIMIT_MIB blocks are
 * held (no limit: until malloc fails; wasm32 cannot exceed 4 GiB anyway).
 * Prints "N MiB\n" with the number of blocks obtained, then
 *   exit 0 when the limit was reached,
 *   exit 3 when malloc failed first (the host's memory limit was hit),
 *   exit 1 on a bad argument.
 *
 * Used in tests of the per-function memory limit (memory.grow must fail
 * cleanly at the limit instead of the host running out) and of isolation.
 */
#include <stdio.h>
#include <stdlib.h>

/* Every block is stored here (a volatile global) so the allocations cannot be elided. */
void *volatile memhog_last;

int main(int argc, char **argv) {
    long limit = -1;
    if (argc > 1) {
        char *end;
        limit = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || limit < 0) {
            fprintf(stderr, "memhog: bad limit '%s' (MiB, a non-negative integer)\n", argv[1]);
            return 1;
        }
    }
    const size_t block = 1024 * 1024;
    long got = 0;
    int failed = 0;
    while (limit < 0 || got < limit) {
        unsigned char *p = malloc(block);
        if (p == NULL) {
            failed = 1;
            break;
        }
        for (size_t off = 0; off < block; off += 4096) ((volatile unsigned char *)p)[off] = (unsigned char)(got + 1);
        ((volatile unsigned char *)p)[block - 1] = 1;
        memhog_last = p;
        got++;
    }
    printf("%ld MiB\n", got);
    fflush(stdout);
    return failed ? 3 : 0;
}
