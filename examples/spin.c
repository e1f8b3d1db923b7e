/*
 * spin.c — a function that never finishes.
 *
 * Loops forever incrementing a volatile counter (a volatile access is an
 * observable side effect, so the compiler may not delete the loop or assume it
 * terminates). It makes no host calls, so only the platform's own time limit
 * (epoch/fuel interruption) can stop it. Never exits.
 *
 * Used in tests of invocation timeouts and of killing a runaway function
 * without harming the enclave.
 */
int main(void) {
    static volatile unsigned long counter;
    for (;;) counter++;
}
