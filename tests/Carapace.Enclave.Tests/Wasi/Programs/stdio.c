/* What the standard descriptors look like: isatty, fstat/lseek on stdin, access modes, rewinding stdin. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

int main(void) {
    printf("isatty: %d %d %d\n", isatty(0), isatty(1), isatty(2));
    struct stat st;
    SHOW("fstat 0", fstat(0, &st));
    printf("stdin regular=%d size=%lld\n", S_ISREG(st.st_mode) ? 1 : 0, (long long)st.st_size);
    printf("stdin mode=%s\n", (fcntl(0, F_GETFL) & O_ACCMODE) == O_RDONLY ? "rdonly" : "other");
    printf("stdout mode=%s\n", (fcntl(1, F_GETFL) & O_ACCMODE) == O_WRONLY ? "wronly" : "other");
    char a[4] = {0}, b[4] = {0};
    ssize_t n1 = read(0, a, 3);
    printf("lseek 0 end=%lld\n", (long long)lseek(0, 0, SEEK_END));
    printf("lseek 0 set=%lld\n", (long long)lseek(0, 0, SEEK_SET));
    ssize_t n2 = read(0, b, 3);
    printf("reread same=%d (%zd %zd)\n", n1 == n2 && memcmp(a, b, 3) == 0, n1, n2);
    SHOW("lseek 1", lseek(1, 0, SEEK_CUR));
    SHOW("write 0", write(0, "x", 1));
    SHOW("read 1", read(1, a, 1));
    SHOW("fsync 1", fsync(1));
    return 0;
}
