#!/usr/bin/env python3
"""Describes malformed enclaves derived from DIR/basic.so (written for this corpus): each
changes one field that sgx_sign checks. Writes DIR/derived.json:
{name: {"from": "basic", "patches": [[file offset, byte count, little-endian value], ...],
        "truncate": length (optional)}}; apply.py (or the Rust tests) makes the files.
Usage: patch_elf.py DIR"""
import json
import struct
import sys
from pathlib import Path


def parse(b):
    phoff, shoff = struct.unpack_from("<QQ", b, 32)
    phnum, shnum, shstrndx = struct.unpack_from("<HHH", b, 56)[0], *struct.unpack_from("<HH", b, 60)
    phdrs = [(phoff + 56 * i, *struct.unpack_from("<IIQQQQQQ", b, phoff + 56 * i)) for i in range(phnum)]
    shdrs = [(shoff + 64 * i, *struct.unpack_from("<IIQQQQIIQQ", b, shoff + 64 * i)) for i in range(shnum)]
    strtab = shdrs[shstrndx][5]
    names = {}
    for s in shdrs:
        end = b.index(b"\0", strtab + s[1])
        names[b[strtab + s[1]:end].decode()] = s
    return phdrs, names


def main(d):
    d = Path(d)
    src = (d / "basic.so").read_bytes()
    phdrs, sections = parse(src)
    loads = [p for p in phdrs if p[1] == 1]
    dyn = next(p for p in phdrs if p[1] == 2)

    spec = {}

    def out(name, patches, data=None):
        size = {"<B": 1, "<H": 2, "<I": 4, "<Q": 8, "<q": 8}
        entry = {"from": "basic", "patches": [[off, size[fmt], val & (2 ** 64 - 1)] for off, fmt, val in patches]}
        if data is not None:
            entry["truncate"] = len(data)
        spec[name] = entry

    out("exec", [(16, "<H", 2)])                                  # ET_EXEC
    out("class32", [(4, "<B", 1)])                                # ELFCLASS32
    out("machine", [(18, "<H", 3)])                               # EM_386
    out("phentsize", [(54, "<H", 32)])
    out("misaligned", [(loads[1][0] + 48, "<Q", 0x10)])           # p_align 16
    out("overlap", [(loads[1][0] + 16, "<Q", loads[0][4] + 0x100)])  # p_vaddr inside segment 0
    out("noperm", [(loads[2][0] + 4, "<I", 0)])                  # p_flags 0
    out("no-dynamic", [(dyn[0], "<I", 0)])                        # PT_DYNAMIC -> PT_NULL
    out("truncated", [], src[: len(src) * 3 // 5])
    # DT_RELA -> DT_REL in the dynamic section.
    tags = [(dyn[3] + 16 * i, struct.unpack_from("<q", src, dyn[3] + 16 * i)[0]) for i in range(64)]
    rela_tag = next(off for off, t in tags if t == 7)
    out("dt-rel", [(rela_tag, "<q", 17)])
    # The first .rela.dyn entry's type -> R_X86_64_PC32.
    rela = sections[".rela.dyn"]
    out("bad-reloc", [(rela[5] + 8, "<I", 2)])
    # The metadata note's descriptor size no longer matches the section size.
    note = sections[".note.sgxmeta"]
    descsz = struct.unpack_from("<I", src, note[5] + 4)[0]
    out("note-size", [(note[5] + 4, "<I", descsz + 4)])
    # .dynsym with sh_entsize 0.
    out("dynsym-entsize0", [(sections[".dynsym"][0] + 56, "<Q", 0)])
    # No section headers at all (e_shnum 0): sgx_sign finds no .dynsym.
    out("no-sections", [(60, "<H", 0)])
    (d / "derived.json").write_text("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in spec.items()) + "\n}" + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
