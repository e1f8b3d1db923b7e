/*
 * notes.c — writes into its image: appends stdin to a file, then prints the file.
 *
 *   notes [PATH]      append stdin to PATH (default /data/notes.txt; created if
 *                     missing), then write PATH's whole content to stdout
 *
 * With a shielded image the write lands in the invocation's in-enclave overlay:
 * the image on the host never changes, and the next invocation starts from the
 * image again (so its output is the image's content plus its own input only).
 * Exit 1 with a message on stderr (strerror) when a call fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
    fprintf(stderr, "notes: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/data/notes.txt";
    char buf[4096];

    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return fail("open", path);
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        if (write(fd, buf, (size_t)n) != n) return fail("write", path);
    }
    if (n < 0) return fail("read stdin for", path);
    close(fd);

    fd = open(path, O_RDONLY);
    if (fd < 0) return fail("reopen", path);
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        if (write(1, buf, (size_t)n) != n) return fail("print", path);
    }
    if (n < 0) return fail("read", path);
    close(fd);
    return 0;
}
