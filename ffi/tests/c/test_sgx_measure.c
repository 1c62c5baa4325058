/*
 * C tests of the sgx-measure C ABI, linked against the built library (the enclave build: no std,
 * no allocator, so a call that allocated could not even link).
 *
 * usage: test_sgx_measure [CASE_FILE]
 *   CASE_FILE lines: "<bundle path> <entries path> <expected: 64 hex digits | status code> <configid hex>"
 *   SGXM_EXPECTED_VERSION: the version sgxm_version() must return (pkg-config --modversion).
 *
 * Every function is called, with NULL pointers, truncated and corrupted bundles, hostile entries;
 * outputs must be written only on success; with or without scratch memory, the answer is the same.
 * Stack use of sgxm_mrenclave_append is measured on a painted thread stack, and its time on the
 * largest case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sgx_measure.h"

static int failures;
#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

static void hex(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno)); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const uint8_t SENTINEL = 0xA5;

static int untouched(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) if (b[i] != SENTINEL) return 0;
    return 1;
}

/* The resumable hasher: a known record sequence, save/restore in the middle, NULLs. */
static void test_hasher(void) {
    sgxm_hasher h, h2;
    uint8_t chunk[256], out[32], state[SGXM_HASHER_STATE_LEN], state2[SGXM_HASHER_STATE_LEN];
    char hx[65];
    for (int i = 0; i < 256; i++) chunk[i] = (uint8_t)i;
    CHECK(sgxm_hasher_init(&h) == SGXM_OK, "init");
    CHECK(sgxm_hasher_ecreate(&h, 4, 0x10000000) == SGXM_OK, "ecreate");
    CHECK(sgxm_hasher_eadd(&h, 0x1000, 0x201) == SGXM_OK, "eadd");
    CHECK(sgxm_hasher_save(&h, state) == SGXM_OK, "save");
    CHECK(sgxm_hasher_init(&h2) == SGXM_OK, "init2");
    CHECK(sgxm_hasher_restore(&h2, state, sizeof state) == SGXM_OK, "restore");
    CHECK(sgxm_hasher_save(&h2, state2) == SGXM_OK && memcmp(state, state2, sizeof state) == 0, "save/restore");
    CHECK(sgxm_hasher_eextend(&h2, 0x1000, chunk) == SGXM_OK, "eextend");
    CHECK(sgxm_hasher_eadd(&h2, 0x2000, 0x207) == SGXM_OK, "eadd2");
    memset(out, SENTINEL, sizeof out);
    CHECK(sgxm_hasher_finish(&h2, out) == SGXM_OK, "finish");
    hex(out, 32, hx);
    /* SHA-256 of the four 64-byte records plus the 256-byte chunk (computed independently). */
    CHECK(strcmp(hx, "e78b94731281d19395b1182bfecf5cbf6ecc80b8bc51054caa7bbe8416db8224") == 0, "mrenclave %s", hx);

    CHECK(sgxm_hasher_init(NULL) == SGXM_ERR_NULL_ARGUMENT, "init NULL");
    CHECK(sgxm_hasher_ecreate(NULL, 4, 1) == SGXM_ERR_NULL_ARGUMENT, "ecreate NULL");
    CHECK(sgxm_hasher_eadd(NULL, 0, 0) == SGXM_ERR_NULL_ARGUMENT, "eadd NULL");
    CHECK(sgxm_hasher_eextend(NULL, 0, chunk) == SGXM_ERR_NULL_ARGUMENT, "eextend NULL hasher");
    CHECK(sgxm_hasher_eextend(&h, 0, NULL) == SGXM_ERR_NULL_ARGUMENT, "eextend NULL chunk");
    CHECK(sgxm_hasher_save(NULL, state) == SGXM_ERR_NULL_ARGUMENT, "save NULL");
    CHECK(sgxm_hasher_save(&h, NULL) == SGXM_ERR_NULL_ARGUMENT, "save NULL out");
    CHECK(sgxm_hasher_restore(NULL, state, sizeof state) == SGXM_ERR_NULL_ARGUMENT, "restore NULL");
    CHECK(sgxm_hasher_restore(&h, NULL, sizeof state) == SGXM_ERR_NULL_ARGUMENT, "restore NULL state");
    CHECK(sgxm_hasher_restore(&h, state, sizeof state - 1) == SGXM_ERR_BAD_STATE_LENGTH, "restore short");
    memset(out, SENTINEL, sizeof out);
    CHECK(sgxm_hasher_finish(NULL, out) == SGXM_ERR_NULL_ARGUMENT && untouched(out, 32), "finish NULL");
    CHECK(sgxm_hasher_finish(&h, NULL) == SGXM_ERR_NULL_ARGUMENT, "finish NULL out");
}

/* The hasher's layout as the header declares it is the library's. */
_Static_assert(sizeof(sgxm_hasher) == SGXM_HASHER_SIZE, "sgxm_hasher size");
_Static_assert(_Alignof(sgxm_hasher) == SGXM_HASHER_ALIGN, "sgxm_hasher alignment");

/* sgxm_version, the layout check, and misaligned hashers refused with nothing written. */
static void test_version_and_layout(void) {
    const char *v = sgxm_version();
    CHECK(v != NULL && v[0] >= '0' && v[0] <= '9' && strchr(v, '.') != NULL, "version %s", v ? v : "(null)");
    const char *want = getenv("SGXM_EXPECTED_VERSION");
    if (want != NULL) CHECK(v != NULL && strcmp(v, want) == 0, "version %s, expected %s", v, want);
    CHECK(sgxm_version() == v, "version is one static string");

    CHECK(sgxm_hasher_check_layout(sizeof(sgxm_hasher), _Alignof(sgxm_hasher)) == SGXM_OK, "layout");
    CHECK(sgxm_hasher_check_layout(sizeof(sgxm_hasher) + 8, _Alignof(sgxm_hasher)) == SGXM_ERR_HASHER_LAYOUT, "size");
    CHECK(sgxm_hasher_check_layout(32, _Alignof(sgxm_hasher)) == SGXM_ERR_HASHER_LAYOUT, "old size");
    CHECK(sgxm_hasher_check_layout(sizeof(sgxm_hasher), 4) == SGXM_ERR_HASHER_LAYOUT, "alignment");

    /* A hasher at an address that is not 8-byte aligned (e.g. inside a byte buffer). */
    _Alignas(8) uint8_t buf[SGXM_HASHER_SIZE + 8];
    sgxm_hasher *odd = (sgxm_hasher *)(void *)(buf + 4);
    uint8_t state[SGXM_HASHER_STATE_LEN], out[32];
    memset(buf, SENTINEL, sizeof buf);
    CHECK(sgxm_hasher_init(odd) == SGXM_ERR_MISALIGNED_ARGUMENT && untouched(buf, sizeof buf), "init misaligned");
    CHECK(sgxm_hasher_ecreate(odd, 4, 1) == SGXM_ERR_MISALIGNED_ARGUMENT && untouched(buf, sizeof buf), "ecreate misaligned");
    CHECK(sgxm_hasher_eadd(odd, 0, 0) == SGXM_ERR_MISALIGNED_ARGUMENT, "eadd misaligned");
    memset(state, SENTINEL, sizeof state);
    CHECK(sgxm_hasher_save(odd, state) == SGXM_ERR_MISALIGNED_ARGUMENT && untouched(state, sizeof state), "save misaligned");
    CHECK(sgxm_hasher_restore(odd, state, sizeof state) == SGXM_ERR_MISALIGNED_ARGUMENT && untouched(buf, sizeof buf), "restore misaligned");
    memset(out, SENTINEL, sizeof out);
    CHECK(sgxm_hasher_finish(odd, out) == SGXM_ERR_MISALIGNED_ARGUMENT && untouched(out, sizeof out), "finish misaligned");
    /* The aligned start of the same buffer works. */
    CHECK(sgxm_hasher_init((sgxm_hasher *)(void *)buf) == SGXM_OK, "init aligned");
    CHECK(strstr(sgxm_status_str(SGXM_ERR_MISALIGNED_ARGUMENT), "aligned") != NULL, "misaligned text");
    CHECK(strstr(sgxm_status_str(SGXM_ERR_HASHER_LAYOUT), "alignment") != NULL, "layout text");
}

static void test_status_strings(void) {
    for (uint32_t s = 0; s < 1000; s++) {
        const char *m = sgxm_status_str(s);
        CHECK(m != NULL && m[0] != 0, "status %u", s);
    }
    CHECK(strcmp(sgxm_status_str(0xffffffffu), "unknown status code") == 0, "unknown code");
    CHECK(strstr(sgxm_status_str(SGXM_ERR_POLICY_REPEATS_BASE_URI), "base") != NULL, "policy text");
}

static const char *HEADER = "sgx-measure entries v1\n";

static void test_hostile_entries(const uint8_t *bundle, size_t blen) {
    struct { const char *entries; uint32_t status; } cases[] = {
        {"", SGXM_ERR_ENTRIES_BAD_HEADER},
        {"sgx-measure entries v2\n", SGXM_ERR_ENTRIES_BAD_HEADER},
        {"sgx-measure entries v1\nfile:/data/a\tab", SGXM_ERR_ENTRIES_MISSING_FINAL_NEWLINE},
        {"sgx-measure entries v1\nfile:/data/a ab\n", SGXM_ERR_ENTRIES_BAD_SEPARATOR},
        {"sgx-measure entries v1\nfile:/data/%41\tab\n", SGXM_ERR_ENTRIES_BAD_ESCAPE},
        {"sgx-measure entries v1\nfile:/data/a\rb\tab\n", SGXM_ERR_ENTRIES_UNESCAPED},
        {"sgx-measure entries v1\n\tab\n", SGXM_ERR_ENTRIES_EMPTY_URI},
        {"sgx-measure entries v1\nfile:/data/\xff\tab\n", SGXM_ERR_ENTRIES_NOT_UTF8},
    };
    uint8_t out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, SENTINEL, sizeof out);
        uint32_t st = sgxm_mrenclave_append(bundle, blen, (const uint8_t *)cases[i].entries,
                                            strlen(cases[i].entries), out);
        CHECK(st == cases[i].status && untouched(out, 32), "entries case %zu: status %u (%s)", i, st,
              sgxm_status_str(st));
    }
    CHECK(sgxm_mrenclave_append(NULL, blen, (const uint8_t *)HEADER, strlen(HEADER), out) == SGXM_ERR_NULL_ARGUMENT, "NULL bundle");
    CHECK(sgxm_mrenclave_append(bundle, blen, NULL, 0, out) == SGXM_ERR_NULL_ARGUMENT, "NULL entries");
    CHECK(sgxm_mrenclave_append(bundle, blen, (const uint8_t *)HEADER, strlen(HEADER), NULL) == SGXM_ERR_NULL_ARGUMENT, "NULL out");
    uint8_t cfg[64];
    memset(cfg, SENTINEL, sizeof cfg);
    CHECK(sgxm_configid(NULL, 0, cfg) == SGXM_ERR_NULL_ARGUMENT && untouched(cfg, 64), "configid NULL");
    CHECK(sgxm_configid((const uint8_t *)HEADER, strlen(HEADER), NULL) == SGXM_ERR_NULL_ARGUMENT, "configid NULL out");
    CHECK(sgxm_configid((const uint8_t *)"nope\n", 5, cfg) == SGXM_ERR_ENTRIES_BAD_HEADER && untouched(cfg, 64), "configid bad");
}

/* Every truncation of a bundle is refused without writing; corruptions never crash. The layout's
 * enclave size and thread count (bytes 28..44 of a bundle, which starts with its layout section)
 * are not corrupted: a larger enclave legitimately takes longer to measure, up to minutes for the
 * largest size accepted. */
static void test_damaged_bundle(const uint8_t *bundle, size_t blen, const uint8_t *entries, size_t elen) {
    uint8_t out[32];
    size_t step = blen > 4096 ? blen / 4096 : 1;
    for (size_t n = 0; n < blen; n += step) {
        memset(out, SENTINEL, sizeof out);
        uint32_t st = sgxm_mrenclave_append(bundle, n, entries, elen, out);
        CHECK(st != SGXM_OK && untouched(out, 32), "truncated to %zu: status %u", n, st);
    }
    uint8_t *copy = malloc(blen);
    /* SGXM_CORRUPTIONS bounds the sweep (valgrind runs use a few dozen). */
    size_t sweeps = getenv("SGXM_CORRUPTIONS") ? strtoul(getenv("SGXM_CORRUPTIONS"), NULL, 10) : 2048;
    if (sweeps == 0) sweeps = 1;
    size_t cstep = blen > sweeps ? blen / sweeps : 1;
    for (size_t i = 0; i < blen; i += cstep) {
        if (i >= 28 && i < 44) continue;
        memcpy(copy, bundle, blen);
        copy[i] ^= 0x41;
        memset(out, SENTINEL, sizeof out);
        uint32_t st = sgxm_mrenclave_append(copy, blen, entries, elen, out);
        CHECK(st != SGXM_OK ? untouched(out, 32) : 1, "corrupted byte %zu: output written on failure", i);
    }
    free(copy);
}

/* sgxm_append_scratch_size and sgxm_mrenclave_append_scratch: the scratch changes the time, never
 * the answer. A generated list of 6,000 URIs (above the 1,280 records the stack holds) in
 * ascending and shuffled order, with and without a repeated URI, against the no-scratch call. */
static void test_scratch(const uint8_t *bundle, size_t blen) {
    enum { N = 6000 };
    static char list[N * 96 + 64]; /* 85 bytes a line */
    static uint32_t order[N];
    for (uint32_t i = 0; i < N; i++) order[i] = i;
    uint8_t out[32], out2[32];
    for (int variant = 0; variant < 4; variant++) {
        int shuffled = variant & 1, repeat = variant & 2;
        uint32_t rng = 12345;
        for (uint32_t i = 0; i < N; i++) order[i] = i;
        if (shuffled)
            for (uint32_t i = N - 1; i > 0; i--) {
                rng = rng * 1103515245u + 12345u;
                uint32_t j = (rng >> 8) % (i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        if (repeat) order[N - 7] = order[1500];
        size_t len = (size_t)sprintf(list, "%s", HEADER);
        for (uint32_t i = 0; i < N; i++)
            len += (size_t)sprintf(list + len, "file:/data/x/%06u\t%064u\n", order[i], order[i]);
        size_t need = 12345;
        CHECK(sgxm_append_scratch_size((const uint8_t *)list, len, &need) == SGXM_OK, "scratch size");
        size_t want_need = (shuffled || repeat) ? (size_t)N * SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY : 0;
        CHECK(need == want_need, "variant %d: scratch size %zu, want %zu", variant, need, want_need);
        uint32_t idx = 0xffffffffu, idx2 = 0xffffffffu;
        memset(out, SENTINEL, sizeof out);
        uint32_t st = sgxm_mrenclave_append_ex(bundle, blen, (const uint8_t *)list, len, out, &idx);
        /* Unaligned scratch of every interesting size: none, a few records, all of them. */
        size_t sizes[] = {0, 5 * SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY, 2000 * SGXM_APPEND_SCRATCH_BYTES_PER_ENTRY + 3, need};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            uint8_t *scratch = malloc(sizes[k] + 1);
            memset(out2, SENTINEL, sizeof out2);
            idx2 = 0xffffffffu;
            uint32_t st2 = sgxm_mrenclave_append_scratch(bundle, blen, (const uint8_t *)list, len,
                                                         sizes[k] ? scratch + 1 : NULL, sizes[k], out2, &idx2);
            CHECK(st2 == st && idx2 == idx && memcmp(out, out2, 32) == 0, "variant %d, scratch %zu: status %u/%u, entry %u/%u",
                  variant, sizes[k], st2, st, idx2, idx);
            free(scratch);
        }
        if (repeat) {
            CHECK(st == SGXM_ERR_POLICY_DUPLICATE && idx == N - 7 && untouched(out, 32), "variant %d: status %u (%s), entry %u",
                  variant, st, sgxm_status_str(st), idx);
        } else {
            CHECK(st == SGXM_OK, "variant %d: status %u (%s)", variant, st, sgxm_status_str(st));
        }
    }
    size_t n;
    CHECK(sgxm_append_scratch_size(NULL, 0, &n) == SGXM_ERR_NULL_ARGUMENT, "scratch size NULL");
    CHECK(sgxm_append_scratch_size((const uint8_t *)HEADER, strlen(HEADER), NULL) == SGXM_ERR_NULL_ARGUMENT, "scratch size NULL out");
    CHECK(sgxm_append_scratch_size((const uint8_t *)"x\n", 2, &n) == SGXM_ERR_ENTRIES_BAD_HEADER, "scratch size bad list");
    CHECK(sgxm_mrenclave_append_scratch(bundle, blen, (const uint8_t *)HEADER, strlen(HEADER), NULL, 24, out, NULL) ==
              SGXM_ERR_NULL_ARGUMENT, "NULL scratch with a length");
    CHECK(sgxm_mrenclave_append_scratch(bundle, blen, (const uint8_t *)HEADER, strlen(HEADER), NULL, 0, NULL, NULL) ==
              SGXM_ERR_NULL_ARGUMENT, "NULL out");
}

struct run { const uint8_t *b; size_t bl; const uint8_t *e; size_t el; uint8_t out[32]; uint32_t st; };

static void *run_append(void *arg) {
    struct run *r = arg;
    r->st = sgxm_mrenclave_append(r->b, r->bl, r->e, r->el, r->out);
    return NULL;
}

#define STACK_SIZE (1024 * 1024)
static size_t max_stack_used;

/* Runs the call on a thread whose stack is painted first; returns the bytes it touched. */
static size_t stack_used(struct run *r) {
    void *stack = NULL;
    if (posix_memalign(&stack, 4096, STACK_SIZE) != 0) exit(2);
    memset(stack, 0xCD, STACK_SIZE);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, STACK_SIZE);
    pthread_t t;
    if (pthread_create(&t, &attr, run_append, r) != 0) exit(2);
    pthread_join(t, NULL);
    size_t untouched_bytes = 0;
    while (untouched_bytes < STACK_SIZE && ((uint8_t *)stack)[untouched_bytes] == 0xCD) untouched_bytes++;
    free(stack);
    pthread_attr_destroy(&attr);
    return STACK_SIZE - untouched_bytes;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_cases(const char *case_file) {
    FILE *f = fopen(case_file, "r");
    if (!f) { perror(case_file); exit(2); }
    char bpath[4096], epath[4096], want[128], want_cfg[160];
    int n = 0, first = 1;
    while (fscanf(f, "%4095s %4095s %127s %159s", bpath, epath, want, want_cfg) == 4) {
        size_t bl, el;
        uint8_t *b = read_file(bpath, &bl), *e = read_file(epath, &el);
        struct run r = {b, bl, e, el, {0}, 0};
        memset(r.out, SENTINEL, sizeof r.out);
        /* valgrind treats the painted stack as freed memory once the thread ends: skip the probe. */
        size_t used = 0;
        if (getenv("SGXM_NO_STACK_PROBE")) run_append(&r); else used = stack_used(&r);
        if (used > max_stack_used) max_stack_used = used;
        char hx[65];
        if (strlen(want) == 64) {
            hex(r.out, 32, hx);
            CHECK(r.st == SGXM_OK && strcmp(hx, want) == 0, "%s + %s: status %u (%s), mrenclave %s, want %s", bpath,
                  epath, r.st, sgxm_status_str(r.st), hx, want);
            /* Time the call (best of 5; SGXM_NO_TIMING skips it under sanitizers). */
            double best = 1e9;
            for (int i = 0; i < (getenv("SGXM_NO_TIMING") ? 0 : 5); i++) {
                double t0 = now();
                run_append(&r);
                double t = now() - t0;
                if (t < best) best = t;
            }
            printf("  %-40s %8.2f ms  stack %zu bytes\n", strrchr(epath, '/') ? strrchr(epath, '/') + 1 : epath, best * 1e3, used);
        } else {
            uint32_t st_want = (uint32_t)strtoul(want, NULL, 10);
            uint32_t idx = 0xffffffffu;
            uint8_t out[32];
            memset(out, SENTINEL, sizeof out);
            uint32_t st = sgxm_mrenclave_append_ex(b, bl, e, el, out, &idx);
            CHECK(st == st_want && untouched(out, 32), "%s + %s: status %u (%s), want %u", bpath, epath, st, sgxm_status_str(st), st_want);
            printf("  %-40s refused: %s (entry %u)\n", strrchr(epath, '/') ? strrchr(epath, '/') + 1 : epath, sgxm_status_str(st), idx);
        }
        {
            /* The same answer with the scratch sgxm_append_scratch_size asks for. */
            size_t need = 0;
            CHECK(sgxm_append_scratch_size(e, el, &need) == SGXM_OK, "scratch size of %s", epath);
            uint8_t *scratch = malloc(need + 1), o1[32], o2[32];
            uint32_t i1 = 0xffffffffu, i2 = 0xffffffffu;
            memset(o1, SENTINEL, sizeof o1);
            memset(o2, SENTINEL, sizeof o2);
            uint32_t s1 = sgxm_mrenclave_append_ex(b, bl, e, el, o1, &i1);
            uint32_t s2 = sgxm_mrenclave_append_scratch(b, bl, e, el, scratch, need, o2, &i2);
            CHECK(s1 == s2 && i1 == i2 && memcmp(o1, o2, 32) == 0, "%s with %zu bytes of scratch: status %u/%u", epath, need, s2, s1);
            free(scratch);
        }
        uint8_t cfg[64];
        CHECK(sgxm_configid(e, el, cfg) == SGXM_OK, "configid of %s", epath);
        char cfghex[129];
        hex(cfg, 64, cfghex);
        CHECK(strcmp(cfghex, want_cfg) == 0, "configid of %s: %s, want %s", epath, cfghex, want_cfg);
        if (first) {
            test_hostile_entries(b, bl);
            test_damaged_bundle(b, bl, e, el);
            test_scratch(b, bl);
            first = 0;
        }
        free(b);
        free(e);
        n++;
    }
    fclose(f);
    CHECK(n > 0, "no cases in %s", case_file);
    printf("  %d cases; maximum stack used by sgxm_mrenclave_append: %zu bytes\n", n, max_stack_used);
}

int main(int argc, char **argv) {
    test_version_and_layout();
    test_hasher();
    test_status_strings();
    if (argc > 1) run_cases(argv[1]);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("C ABI tests passed\n");
    return 0;
}
