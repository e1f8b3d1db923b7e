/*
 * escape.c — tries everything a shielded function must NOT be able to do.
 *
 *   escape [GRANTED_ENV_NAME...]
 *
 * Prints one line per attempt:
 *   ATTEMPT: denied (REASON)   REASON is the errno name (ENOENT, ENOTCAPABLE,
 *                              EBADF, ...), or "unset" for an environment
 *                              variable that is not there, or "virtual" for a
 *                              getcwd() that only returns the libc's own
 *                              emulated "/" (it says nothing about the host)
 *   ATTEMPT: ALLOWED           the sandbox let it through
 *   ATTEMPT: granted           an environment variable named on the command
 *                              line (so the deployment granted it) is readable
 * Values that were read are never printed. Exit 0 when every attempt was
 * denied (or granted), 1 when anything was ALLOWED.
 *
 * Attempts: reading host files (/etc/passwd, via "..", via /proc), escaping a
 * granted directory with ".." or a symlink, creating a file in "/", raw WASI
 * path_open with ".." and absolute paths on every pre-opened directory,
 * sockets (WASI preview 1 has no socket(): the only socket entry points are
 * sock_accept/sock_recv on inherited descriptors, tried through wasi-libc's
 * accept()/recv()), reading HOME/PATH/SECRET and any other environment,
 * listing "/", and getcwd.
 *
 * Used in the isolation tests: run with no pre-opened directories except an
 * ephemeral /tmp (and optionally a read-only /data) and expect exit 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

static int allowed_count;

static const char *errno_name(int e) {
    static const struct { int code; const char *name; } names[] = {
#define N(x) {x, #x},
        N(E2BIG) N(EACCES) N(EADDRINUSE) N(EADDRNOTAVAIL) N(EAFNOSUPPORT) N(EAGAIN) N(EALREADY)
        N(EBADF) N(EBADMSG) N(EBUSY) N(ECANCELED) N(ECHILD) N(ECONNABORTED) N(ECONNREFUSED)
        N(ECONNRESET) N(EDEADLK) N(EDESTADDRREQ) N(EDOM) N(EDQUOT) N(EEXIST) N(EFAULT) N(EFBIG)
        N(EHOSTUNREACH) N(EIDRM) N(EILSEQ) N(EINPROGRESS) N(EINTR) N(EINVAL) N(EIO) N(EISCONN)
        N(EISDIR) N(ELOOP) N(EMFILE) N(EMLINK) N(EMSGSIZE) N(EMULTIHOP) N(ENAMETOOLONG)
        N(ENETDOWN) N(ENETRESET) N(ENETUNREACH) N(ENFILE) N(ENOBUFS) N(ENODEV) N(ENOENT)
        N(ENOEXEC) N(ENOLCK) N(ENOLINK) N(ENOMEM) N(ENOMSG) N(ENOPROTOOPT) N(ENOSPC) N(ENOSYS)
        N(ENOTCONN) N(ENOTDIR) N(ENOTEMPTY) N(ENOTRECOVERABLE) N(ENOTSOCK) N(ENOTSUP) N(ENOTTY)
        N(ENXIO) N(EOVERFLOW) N(EOWNERDEAD) N(EPERM) N(EPIPE) N(EPROTO) N(EPROTONOSUPPORT)
        N(EPROTOTYPE) N(ERANGE) N(EROFS) N(ESPIPE) N(ESRCH) N(ESTALE) N(ETIMEDOUT) N(ETXTBSY)
        N(EXDEV)
#ifdef ENOTCAPABLE
        N(ENOTCAPABLE)
#endif
#undef N
    };
    static char unknown[24];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == e) return names[i].name;
    snprintf(unknown, sizeof unknown, "errno %d", e);
    return unknown;
}

static void denied(const char *what, const char *reason) { printf("%s: denied (%s)\n", what, reason); }
static void allowed(const char *what) { printf("%s: ALLOWED\n", what); allowed_count++; }
/* rc < 0 means the call failed with errno; anything else means it worked. */
static void report(const char *what, int rc, int err) {
    if (rc < 0) denied(what, errno_name(err));
    else allowed(what);
}

static void try_open(const char *what, const char *path, int flags) {
    int fd = open(path, flags, 0644);
    int err = errno;
    report(what, fd, err);
    if (fd >= 0) close(fd);
}

static void try_list(const char *what, const char *path) {
    DIR *d = opendir(path);
    int err = errno;
    report(what, d ? 0 : -1, err);
    if (d) closedir(d);
}

/* Create a file in "/" under a random name (so a leftover from an earlier run cannot
 * turn into a misleading EEXIST); removed again if the sandbox let it through. */
static void try_create_in_root(void) {
    unsigned char rnd[8];
    char path[64];
    if (getentropy(rnd, sizeof rnd) != 0) memset(rnd, 0x5a, sizeof rnd);
    snprintf(path, sizeof path, "/carapace-escape-%02x%02x%02x%02x%02x%02x%02x%02x",
             rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    int err = errno;
    report("create a file in /", fd, err);
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
}

/* Plant a symlink inside the writable /tmp pointing outside, then follow it. */
static void try_symlink(const char *what, const char *target) {
    const char *link = "/tmp/.carapace-escape-link";
    unlink(link);
    if (symlink(target, link) != 0) {
        denied(what, errno_name(errno));
        return;
    }
    try_open(what, link, O_RDONLY);
    unlink(link);
}

/* Raw WASI path_open on every pre-opened directory, bypassing libc's path handling. */
static void try_raw_path_open(void) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) continue;
        if (ps.tag != __WASI_PREOPENTYPE_DIR) continue;
        char dir[256] = "?";
        size_t len = ps.u.dir.pr_name_len;
        if (len < sizeof dir && __wasi_fd_prestat_dir_name(fd, (uint8_t *)dir, len) == 0) dir[len] = '\0';
        static const char *const paths[] = {"../../../../etc/passwd", "/etc/passwd", ".."};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            char what[400];
            snprintf(what, sizeof what, "path_open(fd %u \"%s\", \"%s\")", (unsigned)fd, dir, paths[i]);
            __wasi_fd_t out;
            __wasi_errno_t e = __wasi_path_open(fd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, paths[i], 0,
                                                __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, 0, &out);
            report(what, e == 0 ? 0 : -1, e);
            if (e == 0) (void)__wasi_fd_close(out);
        }
    }
}

static void try_sockets(void) {
    char buf[16];
    int s = accept(3, NULL, NULL);
    report("accept(fd 3)", s, errno);
    if (s >= 0) close(s);
    ssize_t r = recv(3, buf, sizeof buf, 0);
    report("recv(fd 3)", r < 0 ? -1 : 0, errno);
    int first_ok = -1, last_err = EBADF;
    for (int fd = 3; fd < 64; fd++) {
        int c = accept(fd, NULL, NULL);
        if (c >= 0) { first_ok = fd; close(c); break; }
        last_err = errno;
    }
    report("accept(any fd 3..63)", first_ok >= 0 ? 0 : -1, last_err);
}

static int is_granted(const char *name, int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

static void try_env(int argc, char **argv) {
    static const char *const vars[] = {"HOME", "PATH", "SECRET"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "getenv(%s)", vars[i]);
        if (getenv(vars[i]) == NULL) denied(what, "unset");
        else if (is_granted(vars[i], argc, argv)) printf("%s: granted\n", what);
        else allowed(what);
    }
    /* Any variable at all that was not granted (e.g. the host's environment leaking in). */
    int leaked = 0;
    if (environ != NULL) {
        for (char **e = environ; *e != NULL; e++) {
            const char *eq = strchr(*e, '=');
            size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
            char name[256];
            if (n >= sizeof name) { leaked = 1; break; }
            memcpy(name, *e, n);
            name[n] = '\0';
            if (!is_granted(name, argc, argv)) { leaked = 1; break; }
        }
    }
    if (leaked) allowed("environ (ungranted variables)");
    else denied("environ (ungranted variables)", "unset");
}

static void try_getcwd(void) {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL) denied("getcwd", errno_name(errno));
    else if (strcmp(cwd, "/") == 0) denied("getcwd", "virtual");
    else allowed("getcwd");
    try_list("opendir(cwd)", ".");
}

int main(int argc, char **argv) {
    try_open("open /etc/passwd", "/etc/passwd", O_RDONLY);
    try_open("open ../../etc/passwd", "../../etc/passwd", O_RDONLY);
    try_open("open /data/../../etc/passwd", "/data/../../etc/passwd", O_RDONLY);
    try_open("open /tmp/../etc/passwd", "/tmp/../etc/passwd", O_RDONLY);
    try_open("open /proc/self/environ", "/proc/self/environ", O_RDONLY);
    try_create_in_root();
    try_symlink("symlink /tmp -> /etc/passwd", "/etc/passwd");
    try_symlink("symlink /tmp -> ../etc/passwd", "../etc/passwd");
    try_raw_path_open();
    try_sockets();
    try_env(argc, argv);
    try_list("list /", "/");
    try_list("list /tmp/..", "/tmp/..");
    try_getcwd();
    fflush(stdout);
    return allowed_count == 0 ? 0 : 1;
}
