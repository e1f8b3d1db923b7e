/* Tries to leave the preopened directories; one line per attempt with the errno name. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include "common.h"

static void raw(__wasi_fd_t dir, const char *path) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(dir, 0, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    printf("path_open(%u, \"%s\"): %s\n", dir, path, e == 0 ? "OK" : errno_name(e));
    if (e == 0) (void)__wasi_fd_close(fd);
}

int main(void) {
    SHOW("open /etc/passwd", open("/etc/passwd", O_RDONLY));
    SHOW("open /tmp/../etc/passwd", open("/tmp/../etc/passwd", O_RDONLY));
    SHOW("open /tmp/../../etc/passwd", open("/tmp/../../etc/passwd", O_RDONLY));
    SHOW("mkdir /tmp/sub", mkdir("/tmp/sub", 0755));
    int sub = open("/tmp/sub", O_RDONLY | O_DIRECTORY);
    SHOW("open /tmp/sub", sub);
    SHOW("openat(sub, ../x)", openat(sub, "../x", O_RDONLY));
    SHOW("openat(sub, .)", openat(sub, ".", O_RDONLY | O_DIRECTORY));
    SHOW("openat(sub, /etc)", openat(sub, "/etc", O_RDONLY));
    SHOW("symlink", symlink("/etc/passwd", "/tmp/link"));
    SHOW("link", link("/tmp/sub", "/tmp/link2"));
    int f = open("/tmp/file", O_CREAT | O_WRONLY, 0644);
    close(f);
    char buf[64];
    SHOW("readlink file", readlink("/tmp/file", buf, sizeof buf));
    SHOW("readlink missing", readlink("/tmp/missing", buf, sizeof buf));
    raw(3, "..");
    raw(3, "../x");
    raw(3, "/etc/passwd");
    raw(3, "sub/../../x");
    raw(3, "./sub/./../..");
    raw(3, "sub/..");
    raw(3, "");
    return 0;
}
