#!/usr/bin/env python3
"""Random Gramine-like TOML documents for the toml 0.10.2 differential test (stdlib only).

Deterministic for a given seed. Writes one JSON object per line: {"id": ..., "input": TEXT}.
Document kinds:
  manifest  manifests as Gramine v1.0-v1.3 users wrote them: [libos] / [loader] / [fs] / [sgx]
            with dotted keys, inline `fs.mounts` tables, trusted files as a list of strings, of
            inline tables, as [[sgx.trusted_files]] blocks or in the old table form, thread_num,
            nonpie_binary, remote attestation keys, comments, odd spacing, multi-line arrays;
  values    every value form toml 0.10.2 reads: strings with escapes, quotes, unicode and control
            characters, literal and multi-line strings, integers in every base, floats,
            booleans, dates, times, nested arrays and inline tables, quoted and dotted keys;
  mutant    one of the above with a random edit (rejections and quirks must match too).

usage: gen.py --seed N --count N [--out FILE]
"""

import argparse
import json
import random
import sys

UNI = ["é", "ß", "日本語", "😀", "\u00a0", "\u2028", "\ufeff", "Ω", "e\u0301", "\u0085"]
PATH_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-./"


class Gen:
    def __init__(self, r):
        self.r = r

    def ws(self):
        return self.r.choice(["", " ", " ", " ", "  ", "\t"])

    def comment(self):
        r = self.r
        if r.random() < 0.15:
            return self.ws() + "# " + r.choice(["note", "a = 1", "[x]", "\"quoted\"", "é", "'"])
        return ""

    def path(self):
        r = self.r
        parts = ["".join(r.choice(PATH_CHARS[:36]) for _ in range(r.randint(1, 8)))
                 for _ in range(r.randint(1, 4))]
        p = "/".join(parts)
        if r.random() < 0.3:
            p = "/" + r.choice(["usr/lib", "lib/x86_64-linux-gnu", "etc", "data"]) + "/" + p
        if r.random() < 0.1:
            p += r.choice(["/", " with space", "ü", "#x", "=y", ",z", "[1]", "'q", "{b}"])
        return p

    def text(self, n=10, ctrl=True):
        r = self.r
        out = []
        for _ in range(r.randint(0, n)):
            p = r.random()
            if p < 0.6:
                out.append(r.choice("abcXYZ019 ._-/:=[]{}#,"))
            elif p < 0.75:
                out.append(r.choice(UNI))
            elif p < 0.85:
                out.append(r.choice(["'", '"', "\\"]))
            elif ctrl:
                out.append(r.choice(["\t", "\n", "\x01", "\x7f", "\r", "\x1f"]))
            else:
                out.append("x")
        return "".join(out)

    def basic(self, s):
        r = self.r
        esc = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"',
               "\\": "\\\\"}
        out = []
        for ch in s:
            o = ord(ch)
            if ch in '"\\' or o < 0x20 or o == 0x7f or r.random() < 0.05:
                if ch in esc and r.random() < 0.7:
                    out.append(esc[ch])
                elif o <= 0xFFFF:
                    out.append(("\\u%04X" if r.random() < 0.3 else "\\u%04x") % o)
                else:
                    out.append("\\U%08x" % o)
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'

    def string(self):
        r = self.r
        p = r.random()
        if p < 0.55:
            return self.basic(self.text())
        if p < 0.7:
            return "'" + self.text(ctrl=False).replace("'", "").replace("\n", "") + "'"
        if p < 0.8:
            return '"""' + r.choice(["", "\n"]) + self.text().replace('"""', "") .replace("\\", "/") + '"""'
        if p < 0.88:
            return "'''" + r.choice(["", "\n"]) + self.text().replace("'''", "").replace("\r", "") + "'''"
        return self.basic(r.choice(["file:" + self.path(), "", "none", "dcap", "epid", "256M"]))

    def integer(self):
        r = self.r
        return r.choice([
            lambda: str(r.randint(-1000, 100000)),
            lambda: str(r.randint(0, 512)),
            lambda: "+" + str(r.randint(0, 99)),
            lambda: "1_000",
            lambda: "0x%x" % r.randint(0, 0xffff),
            lambda: "0o%o" % r.randint(0, 0o777),
            lambda: "0b%s" % bin(r.randint(0, 31))[2:],
            lambda: "0x_1f",
            lambda: "007",
            lambda: str(r.randint(-2**63, 2**63 - 1)),
            lambda: "9223372036854775808",
        ])()

    def floating(self):
        r = self.r
        return r.choice([
            lambda: repr(r.uniform(-1e6, 1e6)),
            lambda: "%de%d" % (r.randint(1, 9), r.randint(-20, 20)),
            lambda: "%d.%dE+%d" % (r.randint(0, 9), r.randint(0, 99), r.randint(0, 400)),
            lambda: r.choice(["inf", "-inf", "+inf", "nan", "-nan", "-0.0", "0.0", "1.", ".5", "1e", "3.14_15"]),
        ])()

    def datetime(self):
        r = self.r
        d = "%04d-%02d-%02d" % (r.randint(1, 2100), r.randint(1, 12), r.randint(1, 31))
        t = "%02d:%02d:%02d" % (r.randint(0, 25), r.randint(0, 59), r.randint(0, 59))
        frac = r.choice(["", ".5", ".123", ".123456", ".1234567"])
        off = r.choice(["", "Z", "z", "+01:00", "-07:30", "+00:00"])
        return r.choice([d, d + "T" + t + frac + off, d + " " + t + off, t + frac, d + "T" + t])

    def scalar(self):
        r = self.r
        p = r.random()
        if p < 0.5:
            return self.string()
        if p < 0.65:
            return self.integer()
        if p < 0.75:
            return r.choice(["true", "false", "True"])
        if p < 0.85:
            return self.floating()
        return self.datetime()

    def array(self, depth):
        r = self.r
        kind = r.random()
        n = r.randint(0, 5)
        if kind < 0.4:
            items = [self.string() for _ in range(n)]
        elif kind < 0.55:
            items = [self.integer() for _ in range(n)]
        elif kind < 0.7 and depth < 2:
            items = [self.inline(depth + 1) for _ in range(n)]
        elif kind < 0.8 and depth < 2:
            items = [self.array(depth + 1) for _ in range(n)]
        else:
            items = [self.value(depth + 1) for _ in range(n)]
        sep = r.choice([", ", ",", " , "])
        trailing = r.choice(["", ",", ", "])
        if r.random() < 0.35 and items:
            body = "\n".join("  " + it + "," + self.comment() for it in items)
            return "[\n" + body + "\n" + r.choice(["", "  "]) + "]"
        return "[" + self.ws() + sep.join(items) + (trailing if items else "") + self.ws() + "]"

    def inline(self, depth):
        r = self.r
        n = r.randint(0, 3)
        pairs = []
        for _ in range(n):
            v = self.value(depth + 1) if depth < 2 else self.scalar()
            pairs.append(self.key() + " = " + v.replace("\n", " "))
        return "{" + self.ws() + ", ".join(pairs) + self.ws() + "}"

    def value(self, depth=0):
        r = self.r
        p = r.random()
        if p < 0.6 or depth > 2:
            return self.scalar()
        if p < 0.85:
            return self.array(depth)
        return self.inline(depth)

    def key(self):
        r = self.r
        return r.choice([
            lambda: r.choice(["a", "b", "c", "path", "uri", "type", "sha256", "x-y", "A_1", "123"]),
            lambda: '"' + r.choice(["a b", "a.b", "é", "", "x=y", "q'"]) + '"',
            lambda: "'" + r.choice(["lit", "a.b", "sp ace"]) + "'",
            lambda: r.choice(["a", "b"]) + "." + r.choice(["c", "d", '"e f"']),
            lambda: "naïve",
        ])()

    def header(self):
        r = self.r
        name = r.choice(["t", "a", "b", "a.b", "fs", "sgx", "loader.env", '"q k"', "x . y", "t.u.v"])
        if r.random() < 0.25:
            return "[[" + r.choice(["aot", "a.aot", "sgx.trusted_files", "t"]) + "]]"
        return "[" + self.ws() + name + self.ws() + "]"

    def values_doc(self):
        r = self.r
        lines = []
        for _ in range(r.randint(1, 12)):
            p = r.random()
            if p < 0.2:
                lines.append(self.header() + self.comment())
            elif p < 0.25:
                lines.append(self.comment().strip() or "")
            else:
                lines.append(self.key() + self.ws() + "=" + self.ws() + self.value() + self.comment())
        return "\n".join(lines) + r.choice(["\n", "", "\n\n"])

    def tf_entry(self, inline_ok=True):
        r = self.r
        uri = "file:" + self.path()
        sha = "%064x" % r.getrandbits(256)
        if inline_ok and r.random() < 0.5:
            return "{ uri = %s, sha256 = \"%s\" }" % (self.basic(uri), sha)
        return self.basic(uri)

    def manifest_doc(self):
        r = self.r
        out = []
        if r.random() < 0.5:
            out.append("# Gramine manifest" + r.choice(["", " (generated)"]))
        out.append("[libos]")
        out.append("entrypoint = " + self.basic("/usr/bin/" + r.choice(["python3", "app", "java"])))
        out.append("")
        out.append("[loader]")
        out.append("entrypoint = \"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\"")
        out.append("log_level = " + r.choice(['"error"', '"debug"', "'warning'"]))
        out.append("argv0_override = " + self.basic(r.choice(["python3", "app"])))
        if r.random() < 0.5:
            out.append("insecure__use_cmdline_argv = true")
        if r.random() < 0.5:
            out.append("preload = " + self.basic("file:" + self.path()))
        for _ in range(r.randint(0, 3)):
            out.append("env." + r.choice(["LD_LIBRARY_PATH", "PATH", "HOME", "OMP_NUM_THREADS"]) + " = " + self.basic(self.path()))
        out.append("")
        out.append("[fs]")
        if r.random() < 0.6:
            mounts = [
                "{ path = %s, uri = %s%s }" % (self.basic("/" + self.path()), self.basic("file:" + self.path()),
                                               r.choice(["", ", type = \"chroot\""]))
                for _ in range(r.randint(1, 4))
            ]
            if r.random() < 0.5:
                out.append("mounts = [\n" + "".join("  " + m + ",\n" for m in mounts) + "]")
            else:
                out.append("mounts = [" + ", ".join(mounts) + "]")
        else:
            for i in range(r.randint(1, 3)):
                out.append("mount.m%d.type = \"chroot\"" % i)
                out.append("mount.m%d.path = %s" % (i, self.basic("/" + self.path())))
                out.append("mount.m%d.uri = %s" % (i, self.basic("file:" + self.path())))
        out.append("")
        out.append("[sgx]")
        out.append("enclave_size = " + self.basic(r.choice(["256M", "1G", "16G", "0x10000000", "512M"])))
        out.append("thread_num = " + str(r.choice([1, 4, 16, 512])))
        for k in ["nonpie_binary", "debug", "require_avx", "support_exinfo", "enable_stats"]:
            if r.random() < 0.3:
                out.append("%s = %s" % (k, r.choice(["true", "false", "1", "0"])))
        if r.random() < 0.4:
            out.append("remote_attestation = " + r.choice(["true", "false", '"none"', '"dcap"', '"epid"']))
            if r.random() < 0.5:
                out.append("ra_client_spid = \"%032X\"" % r.getrandbits(128))
                out.append("ra_client_linkable = " + r.choice(["true", "false"]))
        if r.random() < 0.3:
            out.append("isvprodid = %d" % r.randint(0, 65535))
            out.append("isvsvn = %d" % r.randint(0, 65535))
        style = r.random()
        n = r.randint(0, 6)
        if style < 0.35:
            entries = [self.tf_entry(inline_ok=False) for _ in range(n)]
            out.append("trusted_files = [\n" + "".join("  " + e + "," + self.comment() + "\n" for e in entries) + "]")
        elif style < 0.55:
            entries = [self.tf_entry() for _ in range(n)]
            out.append("trusted_files = [" + ", ".join(entries) + "]")
        elif style < 0.7:
            for i in range(n):
                out.append("trusted_files.f%d = %s" % (i, self.basic("file:" + self.path())))
        if r.random() < 0.5:
            out.append("allowed_files = [" + ", ".join(self.basic("file:" + self.path()) for _ in range(r.randint(0, 3))) + "]")
        if style >= 0.7:
            for _ in range(n):
                out.append("")
                out.append("[[sgx.trusted_files]]")
                out.append("uri = " + self.basic("file:" + self.path()))
                if r.random() < 0.7:
                    out.append("sha256 = \"%064x\"" % r.getrandbits(256))
        if r.random() < 0.3:
            out.append("")
            out.append("[sgx.unknown_future_key]")
            out.append("a = 1")
        return "\n".join(out) + "\n"

    def mutate(self, doc):
        r = self.r
        if not doc:
            return doc
        i = r.randrange(len(doc))
        op = r.random()
        if op < 0.3:
            return doc[:i] + doc[i + 1:]
        if op < 0.6:
            return doc[:i] + r.choice(list("\"'[]{}=,#\\\n .")) + doc[i:]
        if op < 0.8:
            lines = doc.split("\n")
            j = r.randrange(len(lines))
            lines.insert(j, lines[j])
            return "\n".join(lines)
        return doc.replace("\n", "\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out")
    a = ap.parse_args()
    r = random.Random(a.seed)
    g = Gen(r)
    out = open(a.out, "w", encoding="utf-8") if a.out else sys.stdout
    for n in range(a.count):
        p = r.random()
        if p < 0.45:
            kind, doc = "manifest", g.manifest_doc()
        elif p < 0.8:
            kind, doc = "values", g.values_doc()
        else:
            kind = "mutant"
            doc = g.mutate(g.manifest_doc() if r.random() < 0.5 else g.values_doc())
        out.write(json.dumps({"id": "%d-%d-%s" % (a.seed, n, kind), "input": doc},
                             ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
