/* Writes 64 KiB chunks to /tmp/fill until a write fails; prints how far it got and why. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

static char chunk[65536];

int main(void) {
    memset(chunk, 'z', sizeof chunk);
    int fd = open("/tmp/fill", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { printf("open: %s\n", errno_name(errno)); return 1; }
    long total = 0;
    for (;;) {
        ssize_t w = write(fd, chunk, sizeof chunk);
        if (w < 0) { printf("stopped at %ld: %s\n", total, errno_name(errno)); break; }
        total += w;
    }
    FILE *f = fopen("/tmp/more", "w");
    int rc = f ? fputs("more", f) : -1;
    int closed = f ? fclose(f) : -1;
    printf("stdio: fputs=%s fclose=%s\n", rc >= 0 ? "OK" : errno_name(errno), closed == 0 ? "OK" : errno_name(errno));
    SHOW("ftruncate 0", ftruncate(fd, 0));
    SHOW("write at the old offset", write(fd, chunk, 100)); /* the offset is still 196608: the file would need 196708 bytes */
    SHOW("rewind", lseek(fd, 0, SEEK_SET));
    SHOW("write after truncate", write(fd, chunk, 100));
    close(fd);
    return 0;
}
