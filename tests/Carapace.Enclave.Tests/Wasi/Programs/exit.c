/* exit.c exit N | return N | trap */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3 && !(argc == 2 && strcmp(argv[1], "trap") == 0)) return 99;
    printf("before\n");
    if (strcmp(argv[1], "exit") == 0) exit(atoi(argv[2]));
    if (strcmp(argv[1], "return") == 0) return atoi(argv[2]);
    if (strcmp(argv[1], "trap") == 0) { fflush(stdout); __builtin_trap(); }
    return 98;
}
