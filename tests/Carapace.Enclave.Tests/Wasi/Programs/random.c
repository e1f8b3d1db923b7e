/* Prints 32 bytes from getentropy (random_get) as hex. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    unsigned char b[32];
    if (getentropy(b, sizeof b) != 0) { perror("getentropy"); return 1; }
    for (size_t i = 0; i < sizeof b; i++) printf("%02x", b[i]);
    printf("\n");
    return 0;
}
