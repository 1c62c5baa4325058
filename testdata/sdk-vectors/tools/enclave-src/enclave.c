/* A minimal stand-in for an Intel SGX SDK enclave, written for this test corpus: no SDK runtime,
 * only what `sgx_sign` looks at. It defines the exported `g_global_data` block that the signer
 * patches (first word: the SDK version the enclave claims to be built with), the entry symbol
 * `enclave_entry`, the `SGX_TSTDC_VERSION_` string the SDK embeds, and data whose bytes end up
 * in the measured pages. Variants are selected with -D flags (see build-enclaves.sh). */

#include <stdint.h>

#ifndef GD_SIZE
#error "GD_SIZE: size of the SDK's global data block (1760 up to SDK 2.24, 1768 from 2.25)"
#endif
#ifndef SDK_VERSION_UINT
#error "SDK_VERSION_UINT: (major << 32) | (minor << 16) | revision"
#endif
#ifndef SDK_VERSION_STR
#error "SDK_VERSION_STR: e.g. \"2.22.100.3\""
#endif

#define EXPORT __attribute__((visibility("default"), used))

/* The block `sgx_sign` overwrites with its layout template before measuring. Its first word
 * must hold the signer's own SDK version. The SDK puts it in `.nipd`; so do we. */
struct global_data {
    uint64_t sdk_version;
    uint64_t words[9];
    uint8_t rest[GD_SIZE - 80];
};
#ifndef NO_GLOBAL_DATA
EXPORT volatile struct global_data g_global_data __attribute__((section(".nipd"))) = {
    SDK_VERSION_UINT, {1, 2, 3, 4, 5, 6, 0, 0, 0}, {0}};
#endif

EXPORT const char sgx_tstdc_version[] = "SGX_TSTDC_VERSION_" SDK_VERSION_STR;

/* Read-only and initialised data with recognisable bytes. */
EXPORT const uint32_t table[64] = {
    0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89,
    0x452821e6, 0x38d01377, 0xbe5466cf, 0x34e90c6c, 0xc0ac29b7, 0xc97c50dd, 0x3f84d5b5, 0xb5470917,
};
EXPORT uint64_t counter = 0x0123456789abcdefULL;
EXPORT char message[] = "sgx-measure SDK test enclave";

#ifdef BSS_SIZE
EXPORT uint8_t big_bss[BSS_SIZE];
#endif

#ifdef TLS_DATA
/* PT_TLS: initialised TLS (.tdata) and zero TLS (.tbss), optionally over-aligned. */
#ifndef TLS_ALIGN
#define TLS_ALIGN 8
#endif
EXPORT __thread uint64_t tls_counter __attribute__((aligned(TLS_ALIGN))) = 0x1111222233334444ULL;
EXPORT __thread uint8_t tls_buf[TLS_DATA] = {1, 2, 3, 4};
#ifdef TLS_BSS
EXPORT __thread uint8_t tls_zero[TLS_BSS];
#endif
#endif

#if defined(TLS_DATA) || defined(RELOCS)
/* General-dynamic TLS accesses call __tls_get_addr; an enclave cannot import it, so it defines
 * it (the SDK's runtime does too). */
struct tls_index { uint64_t module, offset; };
EXPORT void *__tls_get_addr(struct tls_index *ti) { return (void *)(uintptr_t)ti->offset; }
#endif

#ifdef RELOCS
/* Dynamic relocations of every type `sgx_sign` accepts: RELATIVE (a local pointer), GLOB_DAT
 * (an exported variable read through the GOT), JUMP_SLOT (an exported function called through
 * the PLT with lazy binding), 64 (a data pointer to an exported symbol), TPOFF64 (initial-exec
 * TLS), DTPMOD64/DTPOFF64 (general-dynamic TLS). */
EXPORT __thread uint64_t tls_ie __attribute__((tls_model("initial-exec"))) = 7;
EXPORT __thread uint64_t tls_gd __attribute__((tls_model("global-dynamic"))) = 9;
static uint64_t local_value = 42;
EXPORT uint64_t *local_ptr = &local_value;
EXPORT uint64_t *exported_ptr = &counter;
EXPORT __attribute__((noinline)) uint64_t helper(uint64_t x) { return x * 3 + counter; }
EXPORT uint64_t use_relocs(void) { return helper(*local_ptr) + *exported_ptr + tls_ie + tls_gd; }
#endif

#ifdef UNDEF
extern uint64_t not_defined_anywhere(void);
EXPORT uint64_t call_undefined(void) { return not_defined_anywhere(); }
#endif

#ifdef INIT_SECTION
__attribute__((section(".init"), used)) static void in_init(void) {}
#endif

#ifdef TEXTREL
/* An absolute address in code: a relocation against .text (a text relocation). */
EXPORT uint64_t textrel(void) {
    uint64_t v;
    __asm__ volatile("movabs $counter, %0" : "=r"(v));
    return v;
}
#endif

#ifdef RODATA_RELOC
/* A pointer to an exported symbol in a read-only section: the loader has to write a read-only
 * page (DT_TEXTREL), so sgx_sign measures that page as writable. It is not in an executable
 * section, so it is not a "text relocation" that sgx_sign refuses. */
__asm__(".section .rodata.ptr,\"a\"\n"
        ".globl ro_pointer\n"
        ".type ro_pointer, @object\n"
        ".size ro_pointer, 8\n"
        "ro_pointer: .quad counter\n"
        ".previous\n");
#endif

#ifdef RWX_DATA
__attribute__((section(".rwxsec"), used)) uint8_t rwx_area[300] = {0x90, 0x90, 0xc3};
#endif

#ifndef ENTRY_NAME
#define ENTRY_NAME enclave_entry
#endif
EXPORT void ENTRY_NAME(void) {
    counter += message[0];
#ifdef TLS_DATA
    tls_counter += 1;
#endif
#ifdef BSS_SIZE
    big_bss[BSS_SIZE - 1] = 1;
#endif
}
