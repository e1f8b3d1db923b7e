/* Shared by the WASI test programs: errno names for exact, locale-free output. */
#ifndef CARAPACE_TEST_COMMON_H
#define CARAPACE_TEST_COMMON_H
#include <errno.h>
#include <stdio.h>

static const char *errno_name(int e) {
    switch (e) {
    case 0: return "OK";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EFBIG: return "EFBIG";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case EMFILE: return "EMFILE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case ENOSYS: return "ENOSYS";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSUP: return "ENOTSUP";
    case EPERM: return "EPERM";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    default: {
        static char other[32];
        snprintf(other, sizeof other, "errno%d", e);
        return other;
    }
    }
}

/* Prints "LABEL: OK" when rc >= 0, else "LABEL: ENAME". */
#define SHOW(label, rc) do { int rc_ = (int)(rc); printf("%s: %s\n", (label), rc_ >= 0 ? "OK" : errno_name(errno)); } while (0)

#endif
