/* LD_PRELOAD shim written for this corpus: time() returns $FIXED_TIME (seconds since the epoch)
 * so that sgx_sign, which dates SIGSTRUCT with the current UTC day, writes a fixed date.
 *   gcc -shared -fPIC -O2 fixed_time.c -o fixed_time.so */
#include <stdlib.h>
#include <time.h>

time_t time(time_t *t)
{
    const char *s = getenv("FIXED_TIME");
    time_t v = s ? (time_t)strtoll(s, NULL, 10) : 1767268800; /* 2026-01-01 12:00:00 UTC */
    if (t)
        *t = v;
    return v;
}
