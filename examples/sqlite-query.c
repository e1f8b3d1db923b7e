/*
 * sqlite-query.c — runs SQL against a SQLite database file: the real SQLite library (the amalgamation shipped in
 * the npm `sqlite3` package, fetched by build.sh), compiled unchanged for WASI.
 *
 *   sqlite-query [--readonly] [--time] [--db PATH] [SQL...]
 *
 *   --db PATH     the database file (default: $SQLITE_DB); created if missing unless --readonly
 *   --readonly    open it read-only (SQLITE_OPEN_READONLY): a database in a read-only place must work like this
 *   --time        after each SQL argument, print "time N MICROSECONDS" on stderr (N counts from 1; monotonic clock)
 *   SQL...        each argument is run in order (several statements each allowed); with none, stdin is the SQL
 *
 * Result rows go to stdout, one per line, columns separated by '|', NULL as an empty string (sqlite3's list mode).
 *
 * Exit codes: 0 success; 1 SQLite failed (stderr: "sqlite-query: PATH: MESSAGE (code C, extended E, errno N)",
 * where errno is the last OS error SQLite saw, e.g. 29 EIO); 2 bad usage.
 *
 * Used in tests of real programs on shielded images: a database read read-only from the image, one written in the
 * image's in-enclave overlay, one in /tmp; and in `carapace bench runtime` (a query over a shielded database against
 * the same database in /tmp, timed with --time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite3.h"

static int print_row(void *unused, int columns, char **values, char **names) {
    (void)unused;
    (void)names;
    for (int i = 0; i < columns; i++) {
        if (i > 0) fputc('|', stdout);
        if (values[i] != NULL) fputs(values[i], stdout);
    }
    fputc('\n', stdout);
    return 0;
}

static char *read_stdin(void) {
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) return NULL;
    for (;;) {
        if (len + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, stdin);
        len += n;
        if (n == 0) break;
    }
    if (ferror(stdin)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int usage(const char *why) {
    fprintf(stderr, "sqlite-query: %s\nusage: sqlite-query [--readonly] [--time] [--db PATH] [SQL...]\n", why);
    return 2;
}

static int fail(sqlite3 *db, const char *path, const char *message) {
    fprintf(stderr, "sqlite-query: %s: %s (code %d, extended %d, errno %d)\n", path,
            message != NULL ? message : sqlite3_errmsg(db), sqlite3_errcode(db), sqlite3_extended_errcode(db),
            sqlite3_system_errno(db));
    return 1;
}

int main(int argc, char **argv) {
    const char *path = getenv("SQLITE_DB");
    int readonly = 0, timed = 0, first_sql = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--readonly") == 0) {
            readonly = 1;
        } else if (strcmp(argv[i], "--time") == 0) {
            timed = 1;
        } else if (strcmp(argv[i], "--db") == 0) {
            if (++i == argc) return usage("--db needs a PATH");
            path = argv[i];
        } else if (strncmp(argv[i], "--", 2) == 0) {
            return usage("unknown option");
        } else {
            first_sql = i;
            break;
        }
    }
    if (path == NULL || path[0] == '\0') return usage("no database: give --db PATH or set SQLITE_DB");

    sqlite3 *db = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        int code = fail(db, path, NULL);
        sqlite3_close(db);
        return code;
    }
    sqlite3_extended_result_codes(db, 1);

    char *from_stdin = NULL;
    int count = argc - first_sql;
    if (count == 0) {
        from_stdin = read_stdin();
        if (from_stdin == NULL) {
            sqlite3_close(db);
            fprintf(stderr, "sqlite-query: cannot read the SQL from stdin\n");
            return 1;
        }
        count = 1;
    }

    int status = 0;
    for (int n = 0; n < count && status == 0; n++) {
        const char *sql = from_stdin != NULL ? from_stdin : argv[first_sql + n];
        char *error = NULL;
        long long start = now_us();
        if (sqlite3_exec(db, sql, print_row, NULL, &error) != SQLITE_OK) {
            status = fail(db, path, error);
        } else if (timed) {
            fprintf(stderr, "time %d %lld\n", n + 1, now_us() - start);
        }
        sqlite3_free(error);
    }
    free(from_stdin);
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "sqlite-query: cannot write the result\n");
        status = 1;
    }
    if (sqlite3_close(db) != SQLITE_OK && status == 0) status = fail(db, path, NULL);
    return status;
}
