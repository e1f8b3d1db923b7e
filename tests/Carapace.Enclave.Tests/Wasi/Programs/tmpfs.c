/* Exercises /tmp through stdio, POSIX calls and dirent; one line per step. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static int cmp(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static void list(const char *dir) {
    static char names[64][80];
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) { printf("opendir %s: %s\n", dir, errno_name(errno)); return; }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        snprintf(names[n++], sizeof names[0], "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    printf("list %s:", dir);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
}

int main(void) {
    struct stat st;
    char line[64];

    FILE *f = fopen("/tmp/a.txt", "w");
    SHOW("fopen w", f ? 0 : -1);
    fputs("hello world\n", f);
    SHOW("fclose", fclose(f));

    f = fopen("/tmp/a.txt", "r");
    if (fgets(line, sizeof line, f)) printf("read: %s", line);
    fseek(f, 6, SEEK_SET);
    printf("tell=%ld\n", ftell(f));
    if (fgets(line, sizeof line, f)) printf("read at 6: %s", line);
    fclose(f);

    f = fopen("/tmp/a.txt", "a");
    fputs("again\n", f);
    fclose(f);
    SHOW("stat", stat("/tmp/a.txt", &st));
    printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode) ? 1 : 0);

    int fd = open("/tmp/a.txt", O_RDWR);
    SHOW("open rdwr", fd);
    printf("pwrite=%zd\n", pwrite(fd, "HELLO", 5, 0));
    printf("end=%lld\n", (long long)lseek(fd, 0, SEEK_END));
    SHOW("ftruncate", ftruncate(fd, 5));
    fstat(fd, &st);
    printf("size after truncate=%lld\n", (long long)st.st_size);
    lseek(fd, 0, SEEK_SET);
    memset(line, 0, sizeof line);
    printf("read=%zd '%s'\n", read(fd, line, sizeof line - 1), line);
    close(fd);

    SHOW("mkdir d", mkdir("/tmp/d", 0755));
    SHOW("mkdir d again", mkdir("/tmp/d", 0755));
    f = fopen("/tmp/d/b.txt", "w");
    fputs("b", f);
    fclose(f);
    SHOW("rename a -> d/c", rename("/tmp/a.txt", "/tmp/d/c.txt"));
    SHOW("stat a", stat("/tmp/a.txt", &st));
    list("/tmp");
    list("/tmp/d");
    SHOW("rename d/b over d/c", rename("/tmp/d/b.txt", "/tmp/d/c.txt"));
    f = fopen("/tmp/d/c.txt", "r");
    memset(line, 0, sizeof line);
    if (f && fgets(line, sizeof line, f)) printf("c now: %s\n", line);
    if (f) fclose(f);
    SHOW("mkdir e", mkdir("/tmp/e", 0755));
    SHOW("rename e -> d (non-empty)", rename("/tmp/e", "/tmp/d"));
    SHOW("rename d -> d/sub", rename("/tmp/d", "/tmp/d/sub"));
    SHOW("rmdir d (non-empty)", rmdir("/tmp/d"));
    SHOW("unlink d", unlink("/tmp/d"));
    SHOW("rmdir d/c.txt", rmdir("/tmp/d/c.txt"));
    SHOW("unlink d/c.txt", unlink("/tmp/d/c.txt"));
    SHOW("rmdir d", rmdir("/tmp/d"));
    SHOW("rename e -> f", rename("/tmp/e", "/tmp/f"));
    list("/tmp");
    SHOW("rmdir f", rmdir("/tmp/f"));

    SHOW("stat /tmp", stat("/tmp", &st));
    printf("tmp dir=%d\n", S_ISDIR(st.st_mode) ? 1 : 0);
    SHOW("open /tmp for write", open("/tmp", O_WRONLY));
    fd = open("/tmp/x", O_CREAT | O_EXCL | O_WRONLY, 0644);
    SHOW("creat excl", fd);
    close(fd);
    SHOW("creat excl again", open("/tmp/x", O_CREAT | O_EXCL | O_WRONLY, 0644));
    SHOW("stat x/", stat("/tmp/x/", &st));
    SHOW("open missing", open("/tmp/missing", O_RDONLY));
    SHOW("open x/y", open("/tmp/x/y", O_RDONLY));

    fd = open("/tmp/x", O_RDWR);
    write(fd, "keep", 4);
    SHOW("unlink open x", unlink("/tmp/x"));
    lseek(fd, 0, SEEK_SET);
    memset(line, 0, sizeof line);
    printf("read after unlink=%zd '%s'\n", read(fd, line, sizeof line - 1), line);
    close(fd);

    SHOW("mkdir many", mkdir("/tmp/many", 0755));
    for (int i = 0; i < 300; i++) {
        char name[128];
        snprintf(name, sizeof name, "/tmp/many/file-with-a-rather-long-name-%03d", i);
        int c = open(name, O_CREAT | O_WRONLY, 0644);
        if (c < 0) { printf("create %d: %s\n", i, errno_name(errno)); return 1; }
        close(c);
    }
    DIR *d = opendir("/tmp/many");
    int count = 0, dots = 0;
    long sum = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) { dots++; continue; }
        count++;
        sum += atol(e->d_name + strlen("file-with-a-rather-long-name-"));
    }
    closedir(d);
    printf("many: count=%d dots=%d sum=%ld\n", count, dots, sum);
    printf("done\n");
    return 0;
}
