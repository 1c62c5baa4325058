/*
 * Times sgxm_mrenclave_append_scratch (the C ABI's verifier entry point) on one bundle and
 * canonical entry list, and counts the heap allocations made while it runs.
 *
 * usage: append_abi BUNDLE ENTRIES [RUNS]
 * prints: "<mrenclave hex> <best seconds> <scratch bytes> <allocations during the calls> <best cpu seconds>"
 *
 * The inputs and the scratch buffer are read and allocated before timing. malloc and friends are
 * interposed (this executable's definitions take precedence over libc's for the shared library
 * too) and counted while the calls run: the library must make no allocation at all.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sgx_measure.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static volatile int counting;
static volatile long allocations;

void *malloc(size_t n) { if (counting) allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { if (counting) allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { if (counting) allocations++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { if (counting) allocations++; return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { if (counting) allocations++; return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n) {
    if (counting) allocations++;
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static double clock_s(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s BUNDLE ENTRIES [RUNS]\n", argv[0]); return 2; }
    int runs = argc > 3 ? atoi(argv[3]) : 3;
    size_t bl, el, scratch_len = 0;
    uint8_t *b = read_file(argv[1], &bl), *e = read_file(argv[2], &el);
    uint32_t st = sgxm_append_scratch_size(e, el, &scratch_len);
    if (st != SGXM_OK) { fprintf(stderr, "scratch size: %s\n", sgxm_status_str(st)); return 1; }
    uint8_t *scratch = scratch_len ? malloc(scratch_len) : NULL;
    uint8_t out[32];
    double best = 1e9, best_cpu = 1e9;
    counting = 1;
    for (int i = 0; i < runs; i++) {
        double t0 = now(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        st = sgxm_mrenclave_append_scratch(b, bl, e, el, scratch, scratch_len, out, NULL);
        double t = now() - t0, c = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (t < best) best = t;
        if (c < best_cpu) best_cpu = c;
        if (st != SGXM_OK) break;
    }
    counting = 0;
    if (st != SGXM_OK) { fprintf(stderr, "append: %s\n", sgxm_status_str(st)); return 1; }
    for (int i = 0; i < 32; i++) printf("%02x", out[i]);
    printf(" %.4f %zu %ld %.4f\n", best, scratch_len, allocations, best_cpu);
    free(scratch);
    free(b);
    free(e);
    return 0;
}
