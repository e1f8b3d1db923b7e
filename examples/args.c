/*
 * args.c — shows exactly which arguments and environment a function was given.
 *
 * Prints, one per line:
 *   argc=N
 *   argv[I]=VALUE        for I = 0 .. argc-1
 *   env=NAME=VALUE       for each environment variable, in the order given
 * Exit 0.
 *
 * Used in tests of args/env granting: only what the deployment manifest lists
 * may appear, nothing from the host's own environment.
 */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    if (environ != NULL)
        for (char **e = environ; *e != NULL; e++) printf("env=%s\n", *e);
    return fflush(stdout) == 0 ? 0 : 1;
}
