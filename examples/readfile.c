/*
 * readfile.c — reads files the deployment granted (e.g. a sealed /data mount).
 *
 *   readfile [PATH...]        write each file's content to stdout, in order
 *                             (no PATH: /data/hello.txt)
 *   readfile --list DIR       print DIR's entries, one per line, sorted
 *                             bytewise ("." and ".." left out); may be mixed
 *                             with PATHs and appear several times
 *
 * Stops at the first failure with a message on stderr (strerror) and
 *   exit 2 when the error is EIO — what the platform reports when a sealed
 *            file fails its integrity check, so tests can tell that apart;
 *   exit 1 for any other error (ENOENT, ENOTCAPABLE, EACCES, ...).
 *
 * Used in tests of read-only data mounts, of path confinement, and of
 * tamper detection (a modified sealed file must yield exit 2, not data).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, const char *path, int err) {
    fprintf(stderr, "readfile: %s %s: %s\n", what, path, strerror(err));
    return err == EIO ? 2 : 1;
}

static int write_all(int fd, const char *p, size_t n) {
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

static int cat_file(const char *path) {
    static char buf[64 * 1024];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("open", path, errno);
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            close(fd);
            return fail("read", path, err);
        }
        if (r == 0) break;
        if (write_all(1, buf, (size_t)r) != 0) {
            int err = errno;
            close(fd);
            return fail("write stdout for", path, err);
        }
    }
    close(fd);
    return 0;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *path) {
    DIR *d = opendir(path);
    if (d == NULL) return fail("opendir", path, errno);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0) rc = fail("readdir", path, errno);
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (grown == NULL) { rc = fail("list", path, ENOMEM); break; }
            names = grown;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) { rc = fail("list", path, ENOMEM); break; }
        n++;
    }
    closedir(d);
    if (rc == 0) {
        qsort(names, n, sizeof *names, cmp_names);
        for (size_t i = 0; i < n; i++) printf("%s\n", names[i]);
        if (fflush(stdout) != 0) rc = fail("write stdout for", path, errno);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) return cat_file("/data/hello.txt");
    for (int i = 1; i < argc; i++) {
        int rc;
        if (strcmp(argv[i], "--list") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "readfile: --list needs a directory\n");
                return 1;
            }
            rc = list_dir(argv[++i]);
        } else {
            rc = cat_file(argv[i]);
        }
        if (rc != 0) return rc;
    }
    return 0;
}
