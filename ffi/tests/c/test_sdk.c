/*
 * C tests of sgxm_sdk_mrenclave (Intel SGX SDK enclaves), linked against the built library.
 *
 * usage: test_sdk CASE_FILE
 *   CASE_FILE lines: "<enclave path> <sdk_version> <flags> <expected: 64 hex digits | status>
 *                     <config: - | Name=value,Name=value,...>"
 *   (made by ffi/tests/run.sh from testdata/sdk-vectors: what Intel's sgx_sign computed).
 *
 * The configuration goes through the struct, field by field, by its XML element name. Outputs
 * must be written only on success; NULL pointers and bad arguments are refused; every call runs
 * on a 64 KiB thread stack.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const struct {
    const char *name;
    size_t offset;
    uint64_t bit;
} PARAMS[] = {
    {"ProdID", offsetof(sgxm_sdk_config, prod_id), SGXM_SDK_PARAM_PROD_ID},
    {"ISVSVN", offsetof(sgxm_sdk_config, isv_svn), SGXM_SDK_PARAM_ISV_SVN},
    {"ReleaseType", offsetof(sgxm_sdk_config, release_type), SGXM_SDK_PARAM_RELEASE_TYPE},
    {"IntelSigned", offsetof(sgxm_sdk_config, intel_signed), SGXM_SDK_PARAM_INTEL_SIGNED},
    {"ProvisionKey", offsetof(sgxm_sdk_config, provision_key), SGXM_SDK_PARAM_PROVISION_KEY},
    {"LaunchKey", offsetof(sgxm_sdk_config, launch_key), SGXM_SDK_PARAM_LAUNCH_KEY},
    {"DisableDebug", offsetof(sgxm_sdk_config, disable_debug), SGXM_SDK_PARAM_DISABLE_DEBUG},
    {"HW", offsetof(sgxm_sdk_config, hw), SGXM_SDK_PARAM_HW},
    {"TCSNum", offsetof(sgxm_sdk_config, tcs_num), SGXM_SDK_PARAM_TCS_NUM},
    {"TCSMaxNum", offsetof(sgxm_sdk_config, tcs_max_num), SGXM_SDK_PARAM_TCS_MAX_NUM},
    {"TCSMinPool", offsetof(sgxm_sdk_config, tcs_min_pool), SGXM_SDK_PARAM_TCS_MIN_POOL},
    {"TCSPolicy", offsetof(sgxm_sdk_config, tcs_policy), SGXM_SDK_PARAM_TCS_POLICY},
    {"StackMaxSize", offsetof(sgxm_sdk_config, stack_max_size), SGXM_SDK_PARAM_STACK_MAX_SIZE},
    {"StackMinSize", offsetof(sgxm_sdk_config, stack_min_size), SGXM_SDK_PARAM_STACK_MIN_SIZE},
    {"HeapMaxSize", offsetof(sgxm_sdk_config, heap_max_size), SGXM_SDK_PARAM_HEAP_MAX_SIZE},
    {"HeapMinSize", offsetof(sgxm_sdk_config, heap_min_size), SGXM_SDK_PARAM_HEAP_MIN_SIZE},
    {"HeapInitSize", offsetof(sgxm_sdk_config, heap_init_size), SGXM_SDK_PARAM_HEAP_INIT_SIZE},
    {"ReservedMemMaxSize", offsetof(sgxm_sdk_config, reserved_mem_max_size), SGXM_SDK_PARAM_RESERVED_MEM_MAX_SIZE},
    {"ReservedMemMinSize", offsetof(sgxm_sdk_config, reserved_mem_min_size), SGXM_SDK_PARAM_RESERVED_MEM_MIN_SIZE},
    {"ReservedMemInitSize", offsetof(sgxm_sdk_config, reserved_mem_init_size), SGXM_SDK_PARAM_RESERVED_MEM_INIT_SIZE},
    {"ReservedMemExecutable", offsetof(sgxm_sdk_config, reserved_mem_executable), SGXM_SDK_PARAM_RESERVED_MEM_EXECUTABLE},
    {"MiscSelect", offsetof(sgxm_sdk_config, misc_select), SGXM_SDK_PARAM_MISC_SELECT},
    {"MiscMask", offsetof(sgxm_sdk_config, misc_mask), SGXM_SDK_PARAM_MISC_MASK},
    {"EnableKSS", offsetof(sgxm_sdk_config, enable_kss), SGXM_SDK_PARAM_ENABLE_KSS},
    {"ISVFAMILYID_H", offsetof(sgxm_sdk_config, isv_family_id_h), SGXM_SDK_PARAM_ISV_FAMILY_ID_H},
    {"ISVFAMILYID_L", offsetof(sgxm_sdk_config, isv_family_id_l), SGXM_SDK_PARAM_ISV_FAMILY_ID_L},
    {"ISVEXTPRODID_H", offsetof(sgxm_sdk_config, isv_ext_prod_id_h), SGXM_SDK_PARAM_ISV_EXT_PROD_ID_H},
    {"ISVEXTPRODID_L", offsetof(sgxm_sdk_config, isv_ext_prod_id_l), SGXM_SDK_PARAM_ISV_EXT_PROD_ID_L},
    {"EnclaveImageAddress", offsetof(sgxm_sdk_config, enclave_image_address), SGXM_SDK_PARAM_ENCLAVE_IMAGE_ADDRESS},
    {"ELRangeStartAddress", offsetof(sgxm_sdk_config, elrange_start_address), SGXM_SDK_PARAM_ELRANGE_START_ADDRESS},
    {"ELRangeSize", offsetof(sgxm_sdk_config, elrange_size), SGXM_SDK_PARAM_ELRANGE_SIZE},
    {"PKRU", offsetof(sgxm_sdk_config, pkru), SGXM_SDK_PARAM_PKRU},
    {"AMX", offsetof(sgxm_sdk_config, amx), SGXM_SDK_PARAM_AMX},
    {"UserRegionSize", offsetof(sgxm_sdk_config, user_region_size), SGXM_SDK_PARAM_USER_REGION_SIZE},
    {"EnableAEXNotify", offsetof(sgxm_sdk_config, enable_aex_notify), SGXM_SDK_PARAM_ENABLE_AEX_NOTIFY},
    {"EnableIPPFIPS", offsetof(sgxm_sdk_config, enable_ipp_fips), SGXM_SDK_PARAM_ENABLE_IPP_FIPS},
    {"EnableOSSLFIPS", offsetof(sgxm_sdk_config, enable_ossl_fips), SGXM_SDK_PARAM_ENABLE_OSSL_FIPS},
};

static void hex(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
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

/* "Name=value,Name=value" into the struct; the values are unsigned numbers (strtoull base 0). */
static int parse_config(char *spec, sgxm_sdk_config *c) {
    CHECK(sgxm_sdk_config_init(c) == SGXM_OK, "config_init");
    for (char *item = strtok(spec, ","); item; item = strtok(NULL, ",")) {
        char *eq = strchr(item, '=');
        if (!eq) return 0;
        *eq = 0;
        size_t i = 0;
        while (i < sizeof PARAMS / sizeof PARAMS[0] && strcmp(PARAMS[i].name, item) != 0) i++;
        if (i == sizeof PARAMS / sizeof PARAMS[0]) { fprintf(stderr, "unknown parameter %s\n", item); exit(2); }
        *(uint64_t *)((char *)c + PARAMS[i].offset) = strtoull(eq + 1, NULL, 0);
        c->present |= PARAMS[i].bit;
    }
    return 1;
}

struct call {
    const uint8_t *enclave;
    size_t len;
    const sgxm_sdk_config *config;
    uint32_t version, flags, status, version_out;
    uint8_t out[32];
};

static void *call(void *arg) {
    struct call *c = arg;
    c->status = sgxm_sdk_mrenclave(c->enclave, c->len, c->config, c->version, c->flags, c->out, &c->version_out);
    return NULL;
}

/* On a 64 KiB stack: sgxm_sdk_mrenclave needs far less, and must not need more. */
static void call_small_stack(struct call *c) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t t;
    if (pthread_create(&t, &attr, call, c) != 0) exit(2);
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
}

static void test_arguments(const uint8_t *enclave, size_t len) {
    uint8_t out[32];
    uint32_t v = 0;
    memset(out, 0xA5, sizeof out);
    CHECK(sgxm_sdk_mrenclave(NULL, len, NULL, 0, 0, out, &v) == SGXM_ERR_NULL_ARGUMENT, "NULL enclave");
    CHECK(sgxm_sdk_mrenclave(enclave, len, NULL, 0, 0, NULL, &v) == SGXM_ERR_NULL_ARGUMENT, "NULL output");
    CHECK(sgxm_sdk_mrenclave(enclave, len, NULL, 219, 0, out, &v) == SGXM_ERR_SDK_BAD_ARGUMENT, "version 2.19");
    CHECK(sgxm_sdk_mrenclave(enclave, len, NULL, 0, 0x100, out, &v) == SGXM_ERR_SDK_BAD_ARGUMENT, "unknown flag");
    CHECK(sgxm_sdk_config_init(NULL) == SGXM_ERR_NULL_ARGUMENT, "config_init NULL");
    sgxm_sdk_config c;
    sgxm_sdk_config_init(&c);
    c.present = (uint64_t)1 << 40;
    CHECK(sgxm_sdk_mrenclave(enclave, len, &c, 0, 0, out, &v) == SGXM_ERR_SDK_CONFIG_UNKNOWN_PARAMETER, "bit 40");
    /* Truncations of a good enclave are refused cleanly, never crash. */
    for (size_t n = 0; n < len; n += len / 97 + 1)
        CHECK(sgxm_sdk_mrenclave(enclave, n, NULL, 0, 0, out, &v) != SGXM_OK, "truncated to %zu", n);
    for (size_t i = 0; i < sizeof out; i++) CHECK(out[i] == 0xA5, "output written on failure");
    CHECK(v == 0, "version written on failure");
    CHECK(strstr(sgxm_status_str(SGXM_ERR_SDK_VERSION_MISMATCH), "SDK") != NULL, "status string");
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: test_sdk CASE_FILE\n"); return 2; }
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 2; }
    char path[4096], want[128], spec[4096];
    unsigned version, flags;
    int n = 0;
    while (fscanf(f, "%4095s %u %u %127s %4095s", path, &version, &flags, want, spec) == 5) {
        size_t len;
        uint8_t *enclave = read_file(path, &len);
        sgxm_sdk_config config;
        int with_config = strcmp(spec, "-") != 0 && parse_config(spec, &config);
        struct call c = {enclave, len, with_config ? &config : NULL, version, flags, 0, 0, {0}};
        memset(c.out, 0xA5, sizeof c.out);
        call_small_stack(&c);
        char hx[65];
        hex(c.out, 32, hx);
        if (strlen(want) == 64) {
            CHECK(c.status == SGXM_OK && strcmp(hx, want) == 0, "%s: status %u (%s), mrenclave %s, want %s", path,
                  c.status, sgxm_status_str(c.status), hx, want);
            CHECK(version == 0 || c.version_out == version, "%s: version %u", path, c.version_out);
            printf("  %-28s SDK %u  %s\n", strrchr(path, '/') + 1, c.version_out, hx);
        } else {
            uint32_t st = (uint32_t)strtoul(want, NULL, 10);
            int untouched = 1;
            for (size_t i = 0; i < 32; i++) untouched &= c.out[i] == 0xA5;
            CHECK(c.status == st && untouched && c.version_out == 0, "%s: status %u (%s), want %u", path, c.status,
                  sgxm_status_str(c.status), st);
            printf("  %-28s refused: %s\n", strrchr(path, '/') + 1, sgxm_status_str(c.status));
        }
        if (n == 0) test_arguments(enclave, len);
        free(enclave);
        n++;
    }
    fclose(f);
    CHECK(n > 0, "no cases");
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("SDK C ABI tests passed (%d cases)\n", n);
    return 0;
}
