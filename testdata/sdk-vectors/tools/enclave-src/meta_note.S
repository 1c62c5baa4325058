/* The note that `sgx_sign` writes its metadata into: an ELF note named "sgx_metadata", type 1,
 * whose descriptor is METADATA_SIZE zero bytes (0x5000 up to SDK 2.23, 0x6000 from 2.24), in a
 * non-allocated section ".note.sgxmeta". Written for this test corpus. */
#ifndef METADATA_SIZE
#error "METADATA_SIZE"
#endif
#ifndef NOTE_NAME
#define NOTE_NAME "sgx_metadata"
#endif
    .section ".note.sgxmeta", "", @note
    .p2align 2
    .long 2f - 1f           /* name size, NUL included */
    .long 3f - 2f           /* descriptor size */
    .long 1                 /* type */
1:  .asciz NOTE_NAME        /* the SDK does not pad the name: the descriptor follows at once */
2:  .fill METADATA_SIZE, 1, 0
3:  .p2align 2
    .section .note.GNU-stack, "", @progbits
