/* What a function can and cannot do on the read-only /data (and an integrity failure on /data/bad.bin). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

int main(void) {
    char buf[64] = {0};
    FILE *f = fopen("/data/hello.txt", "r");
    if (f && fgets(buf, sizeof buf, f)) printf("hello: %s", buf);
    if (f) fclose(f);
    SHOW("open wronly", open("/data/hello.txt", O_WRONLY));
    SHOW("open rdwr", open("/data/hello.txt", O_RDWR));
    SHOW("open trunc", open("/data/hello.txt", O_RDONLY | O_TRUNC));
    SHOW("create", open("/data/new.txt", O_CREAT | O_WRONLY, 0644));
    SHOW("create rdonly", open("/data/new.txt", O_CREAT | O_RDONLY, 0644));
    SHOW("open existing with O_CREAT", open("/data/hello.txt", O_CREAT | O_RDONLY, 0644));
    SHOW("fopen w", fopen("/data/hello.txt", "w") ? 0 : -1);
    SHOW("fopen a", fopen("/data/hello.txt", "a") ? 0 : -1);
    SHOW("mkdir", mkdir("/data/sub", 0755));
    SHOW("mkdir existing", mkdir("/data/dir", 0755));
    SHOW("unlink", unlink("/data/hello.txt"));
    SHOW("unlink missing", unlink("/data/missing"));
    SHOW("rmdir", rmdir("/data/dir"));
    SHOW("rename", rename("/data/hello.txt", "/data/x.txt"));
    SHOW("rename to /tmp", rename("/data/hello.txt", "/tmp/x.txt"));
    DIR *d = opendir("/data");
    printf("list:");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) printf(" %s", e->d_name);
    printf("\n");
    if (d) closedir(d);
    int fd = open("/data/bad.bin", O_RDONLY);
    SHOW("open bad", fd);
    SHOW("read bad", read(fd, buf, sizeof buf));
    return 0;
}
