/*
 * fsbench.c — times 4 KiB reads of the same bytes from three places, with the guest's own monotonic clock:
 *
 *   fsbench [--rounds R] [--random N] IMAGE_FILE COPY_UP_FILE TMP_FILE
 *
 *   IMAGE_FILE     a file of the shielded image, read as it is (every block decrypted and verified by the enclave)
 *   COPY_UP_FILE   another image file with the same bytes: opened once for writing first, which copies it up into
 *                  the image's in-enclave overlay, so its reads come from enclave memory ("overlay")
 *   TMP_FILE       where a copy of IMAGE_FILE is written first (e.g. in /tmp, enclave memory), then read ("tmp")
 *   --rounds R     passes over the three (default 5); the order of the three rotates from round to round
 *   --random N     random reads per pass (default: as many as the file has 4 KiB blocks)
 *
 * Round 0 is one sequential read of IMAGE_FILE before anything else reads it: the first read of every block (the
 * enclave keeps verified blocks in a bounded cache, so later rounds may be served from it). Then, per round, a pass
 * of a kind is one sequential read of the whole file (open, read() 4 KiB at a time, close) and N pread()s of
 * 4 KiB at block-aligned offsets drawn from the same fixed pseudo-random sequence for every kind. Setup (the copy-up
 * and the copy to TMP_FILE) is timed separately. Output, one line each, times in microseconds:
 *
 *   setup copy-up US
 *   setup tmp-copy US
 *   image seq 0 BYTES US CHECK
 *   KIND seq ROUND BYTES US CHECK
 *   KIND rand ROUND READS US CHECK
 *
 * where KIND is image, overlay or tmp and CHECK sums one word of every block read: equal CHECKs for one kind of pass
 * show that the three places returned the same bytes.
 *
 * Exit codes: 0 success; 1 a call failed (stderr: what, path, strerror); 2 bad usage.
 * Used by `carapace bench runtime` (the file-shield section), run through the real enclave with the image mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static char buf[BLOCK];

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int fail(const char *what, const char *path) {
    fprintf(stderr, "fsbench: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

static uint32_t word(const char *p) {
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Copies from to to (created or truncated) in 64 KiB pieces. */
static int copy(const char *from, const char *to) {
    static char piece[64 * 1024];
    int in = open(from, O_RDONLY);
    if (in < 0) return fail("open", from);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) {
        close(in);
        return fail("create", to);
    }
    for (;;) {
        ssize_t r = read(in, piece, sizeof piece);
        if (r < 0) {
            close(in);
            close(out);
            return fail("read", from);
        }
        if (r == 0) break;
        for (ssize_t done = 0; done < r;) {
            ssize_t w = write(out, piece + done, (size_t)(r - done));
            if (w < 0) {
                close(in);
                close(out);
                return fail("write", to);
            }
            done += w;
        }
    }
    close(in);
    if (close(out) != 0) return fail("close", to);
    return 0;
}

static int sequential(const char *path, long long *bytes, long long *us, uint32_t *check) {
    long long start = now_us();
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("open", path);
    long long total = 0;
    uint32_t sum = 0;
    for (;;) {
        ssize_t r = read(fd, buf, BLOCK);
        if (r < 0) {
            close(fd);
            return fail("read", path);
        }
        if (r == 0) break;
        if (r >= 4) sum += word(buf);
        total += r;
    }
    close(fd);
    *us = now_us() - start;
    *bytes = total;
    *check = sum;
    return 0;
}

static int random_reads(const char *path, long long blocks, long long reads, long long *us, uint32_t *check) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("open", path);
    uint64_t x = 0x9E3779B97F4A7C15ull; /* xorshift64: the same offsets for every kind */
    uint32_t sum = 0;
    long long start = now_us();
    for (long long i = 0; i < reads; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        off_t at = (off_t)(x % (uint64_t)blocks) * BLOCK;
        ssize_t r = pread(fd, buf, BLOCK, at);
        if (r < 0) {
            close(fd);
            return fail("pread", path);
        }
        if (r >= 4) sum += word(buf);
    }
    *us = now_us() - start;
    close(fd);
    *check = sum;
    return 0;
}

static int usage(const char *why) {
    fprintf(stderr, "fsbench: %s\nusage: fsbench [--rounds R] [--random N] IMAGE_FILE COPY_UP_FILE TMP_FILE\n", why);
    return 2;
}

int main(int argc, char **argv) {
    long rounds = 5, random = -1;
    int i = 1;
    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        if (i + 1 == argc) return usage("an option needs a value");
        char *end;
        long v = strtol(argv[i + 1], &end, 10);
        if (*end != '\0' || v < 1 || v > 10000000) return usage("a count must be 1..10000000");
        if (strcmp(argv[i], "--rounds") == 0) {
            rounds = v;
        } else if (strcmp(argv[i], "--random") == 0) {
            random = v;
        } else {
            return usage("unknown option");
        }
        i += 2;
    }
    if (argc - i != 3) return usage("give IMAGE_FILE COPY_UP_FILE TMP_FILE");
    const char *paths[3] = {argv[i], argv[i + 1], argv[i + 2]};
    static const char *const kinds[3] = {"image", "overlay", "tmp"};

    /* Round 0: the first read of every block of IMAGE_FILE, before anything else reads it. */
    long long bytes, us;
    uint32_t check;
    if (sequential(paths[0], &bytes, &us, &check) != 0) return 1;
    printf("image seq 0 %lld %lld %u\n", bytes, us, check);
    long long blocks = (bytes + BLOCK - 1) / BLOCK;
    if (blocks == 0) return usage("IMAGE_FILE is empty");
    if (random < 0) random = (long)blocks;

    long long start = now_us();
    int fd = open(paths[1], O_RDWR); /* opening an image file for writing copies it up into the overlay */
    if (fd < 0) return fail("open for writing", paths[1]);
    close(fd);
    printf("setup copy-up %lld\n", now_us() - start);
    start = now_us();
    if (copy(paths[0], paths[2]) != 0) return 1;
    printf("setup tmp-copy %lld\n", now_us() - start);

    for (long r = 1; r <= rounds; r++) {
        for (int k = 0; k < 3; k++) {
            int kind = (int)((k + r) % 3);
            if (sequential(paths[kind], &bytes, &us, &check) != 0) return 1;
            printf("%s seq %ld %lld %lld %u\n", kinds[kind], r, bytes, us, check);
            if (random_reads(paths[kind], blocks, random, &us, &check) != 0) return 1;
            printf("%s rand %ld %ld %lld %u\n", kinds[kind], r, random, us, check);
        }
    }
    if (fflush(stdout) != 0) return fail("write", "stdout");
    return 0;
}
