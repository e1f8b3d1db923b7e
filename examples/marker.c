/*
 * marker.c — memory-hygiene probe: does anything from one invocation survive
 * into the next?
 *
 * MARKER may be given on standard input instead of as an argument ("marker
 * write" / "marker probe" with no MARKER), and with no arguments at all the
 * whole request comes from stdin as "write:MARKER" or "probe:MARKER". Then it
 * is invocation data, not part of the function's measured arguments, and one
 * deployed function can both write and probe — which is how the enclave's
 * memory-hygiene test uses it. It is read with raw read() into a static
 * buffer and wiped, so no stdio buffer keeps a copy.
 *
 *   marker write MARKER   copies MARKER 1000 times into a heap buffer (kept
 *                         alive until exit) and into /tmp/marker.txt, then
 *                         prints "written"; exit 0 (1 if /tmp is not writable,
 *                         after still filling the heap)
 *   marker probe MARKER   scans all of its own linear memory — every byte from
 *                         address 0 to memory.size * 64 KiB, with volatile
 *                         reads — and then /tmp/marker.txt for MARKER; prints
 *                         "found memory" and/or "found tmp", or "clean";
 *                         exit 0 when clean, 1 when found
 *
 * The probe must not find its own copy of MARKER: right after start-up it
 * keeps only a bit-inverted copy, wipes the argv string, and compares
 * memory against the inverted bytes one at a time. The file is checked after
 * the memory scan, since reading it brings the marker into memory.
 *
 * Used in tests that a fresh (or recycled) instance never sees a previous
 * invocation's heap or /tmp: run "write M", then "probe M", expect "clean".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPIES 1000
#define MAX_MARKER 4096
static const char *const tmp_path = "/tmp/marker.txt";

static unsigned char inverted[MAX_MARKER]; /* ~MARKER, so it never matches itself */
static size_t marker_len;
static char *volatile keep_alive;          /* stops the compiler from dropping the heap copies */
static volatile uintptr_t zero_address;    /* 0, but opaque to the optimizer */

static void take_marker(char *arg) {
    marker_len = strlen(arg);
    for (size_t i = 0; i < marker_len; i++) inverted[i] = (unsigned char)~(unsigned char)arg[i];
    for (size_t i = 0; i < marker_len; i++) ((volatile char *)arg)[i] = 0;
}

static int matches_at(const volatile unsigned char *p) {
    for (size_t j = 0; j < marker_len; j++)
        if (p[j] != (unsigned char)~inverted[j]) return 0;
    return 1;
}

static int cmd_write(void) {
    char *heap = malloc(COPIES * marker_len + 1);
    if (heap == NULL) {
        fprintf(stderr, "marker: out of memory\n");
        return 1;
    }
    for (size_t c = 0; c < COPIES; c++)
        for (size_t j = 0; j < marker_len; j++) heap[c * marker_len + j] = (char)~inverted[j];
    heap[COPIES * marker_len] = '\0';
    keep_alive = heap;

    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        fprintf(stderr, "marker: open %s: %s\n", tmp_path, strerror(errno));
        return 1;
    }
    size_t left = COPIES * marker_len;
    const char *p = heap;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "marker: write %s: %s\n", tmp_path, strerror(errno));
            close(fd);
            return 1;
        }
        p += w;
        left -= (size_t)w;
    }
    close(fd);
    puts("written");
    return 0;
}

static int scan_memory(void) {
    uint64_t size = (uint64_t)__builtin_wasm_memory_size(0) * 65536;
    const volatile unsigned char *base = (const volatile unsigned char *)zero_address;
    unsigned char first = (unsigned char)~inverted[0];
    for (uint64_t i = 0; i + marker_len <= size; i++)
        if (base[i] == first && matches_at(base + i)) return 1;
    return 0;
}

static int scan_tmp(void) {
    int fd = open(tmp_path, O_RDONLY);
    if (fd < 0) return 0; /* no file: nothing left behind */
    static unsigned char buf[64 * 1024];
    size_t have = 0;     /* bytes kept from the previous chunk (marker_len - 1 at most) */
    int found = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        have += (size_t)r;
        size_t i = 0;
        for (; i + marker_len <= have; i++)
            if (matches_at(buf + i)) { found = 1; break; }
        if (found) break;
        memmove(buf, buf + i, have - i);
        have -= i;
    }
    close(fd);
    return found;
}

static char stdin_marker[MAX_MARKER + 2];

/* Reads MARKER from stdin (without a trailing newline) into stdin_marker; 0 on success. */
static int read_marker_from_stdin(void) {
    size_t have = 0;
    for (;;) {
        ssize_t r = read(0, stdin_marker + have, sizeof stdin_marker - 1 - have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        have += (size_t)r;
        if (have == sizeof stdin_marker - 1) break;
    }
    while (have > 0 && (stdin_marker[have - 1] == '\n' || stdin_marker[have - 1] == '\r')) have--;
    stdin_marker[have] = '\0';
    return have == 0 || have > MAX_MARKER ? -1 : 0;
}

int main(int argc, char **argv) {
    int probe;
    char *marker;
    if (argc == 1) {
        /* "write:MARKER" or "probe:MARKER" on stdin */
        if (read_marker_from_stdin() != 0 ||
            (strncmp(stdin_marker, "write:", 6) != 0 && strncmp(stdin_marker, "probe:", 6) != 0) || stdin_marker[6] == '\0') {
            fprintf(stderr, "usage: echo write:MARKER | marker   (or probe:MARKER)\n");
            return 2;
        }
        probe = stdin_marker[0] == 'p';
        marker = stdin_marker + 6;
    } else {
        int from_stdin = argc == 2;
        if (argc > 3 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "probe") != 0) ||
            (!from_stdin && (argv[2][0] == '\0' || strlen(argv[2]) > MAX_MARKER)) ||
            (from_stdin && read_marker_from_stdin() != 0)) {
            fprintf(stderr, "usage: marker write|probe [MARKER] (1..%d bytes; read from stdin when not given)\n", MAX_MARKER);
            return 2;
        }
        probe = strcmp(argv[1], "probe") == 0;
        marker = from_stdin ? stdin_marker : argv[2];
    }
    take_marker(marker);
    if (probe) memset(stdin_marker, 0, 6); /* the mode prefix is not secret, but keep the buffer clean */
    if (!probe) return cmd_write();

    int in_memory = scan_memory();
    int in_tmp = scan_tmp();
    if (in_memory) puts("found memory");
    if (in_tmp) puts("found tmp");
    if (!in_memory && !in_tmp) puts("clean");
    return in_memory || in_tmp ? 1 : 0;
}
