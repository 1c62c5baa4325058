/*
 * A verifier's check of a data owner's entries through the sgx-measure C ABI: the MRENCLAVE of
 * the base bundle's enclave with the entries appended (append policy enforced) and the entries'
 * CONFIGID. This is the code an enclave runs to decide which enclave identity to trust; here it
 * is a host program that reads the two files, linked with the same library
 * (target/enclave/libsgx_measure.a: no std, no allocator, no CPUID).
 *
 * Build and run (from the repository root, after ffi/build-enclave.sh):
 *   cc -std=c11 -O2 -Iffi/include examples/federation/verifier.c target/enclave/libsgx_measure.a -o verifier
 *   ./verifier base.bundle owner1.list
 *
 * ENTRIES must be the canonical entry list (`sgx-measure entries convert F --to list`). The
 * bundle must be the one the algorithm owner published: check its SHA-256 against the pinned
 * value before trusting the result (the library computes no plain SHA-256 of a file).
 *
 * Prints "mrenclave <64 hex>" and "configid <128 hex>"; on an error prints the status and, for
 * policy and entry-list errors, the offending entry, and exits 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sgx_measure.h"

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return NULL; }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) { fclose(f); return NULL; }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        unsigned char *grown = realloc(buf, cap);
        if (!grown) free(buf);
        buf = grown;
    }
    int err = ferror(f);
    fclose(f);
    if (err) { fprintf(stderr, "%s: read error\n", path); free(buf); return NULL; }
    *len = n;
    return buf;
}

static void print_hex(const char *label, const uint8_t *b, size_t n) {
    printf("%s ", label);
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s BUNDLE ENTRIES.list\n", argv[0]);
        return 2;
    }
    size_t bundle_len = 0, entries_len = 0;
    unsigned char *bundle = read_file(argv[1], &bundle_len);
    unsigned char *entries = read_file(argv[2], &entries_len);
    if (!bundle || !entries) return 2;

    uint8_t mrenclave[32], configid[64];
    uint32_t failing = 0;
    uint32_t st = sgxm_mrenclave_append_ex(bundle, bundle_len, entries, entries_len, mrenclave, &failing);
    if (st != SGXM_OK) {
        fprintf(stderr, "refused: %s (status %u", sgxm_status_str(st), (unsigned)st);
        if (st >= SGXM_ERR_POLICY_NOTHING_MAY_BE_APPENDED && st <= SGXM_ERR_POLICY_DUPLICATE)
            fprintf(stderr, ", entry %u", (unsigned)failing);
        else if (st >= SGXM_ERR_ENTRIES_BAD_HEADER && st <= SGXM_ERR_ENTRIES_TOO_MANY)
            fprintf(stderr, ", line %u", (unsigned)failing);
        fprintf(stderr, ")\n");
        return 1;
    }
    st = sgxm_configid(entries, entries_len, configid);
    if (st != SGXM_OK) {
        fprintf(stderr, "configid: %s (status %u)\n", sgxm_status_str(st), (unsigned)st);
        return 1;
    }
    print_hex("mrenclave", mrenclave, sizeof mrenclave);
    print_hex("configid", configid, sizeof configid);
    free(bundle);
    free(entries);
    return 0;
}
