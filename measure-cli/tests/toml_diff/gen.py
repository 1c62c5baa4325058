#!/usr/bin/env python3
"""Random Gramine-like TOML documents for the differential test (standard library only).

Deterministic for a given seed. Writes one JSON object per line: {"id": ..., "input": TEXT}.
Document kinds:
  structure  headers, re-opened tables, dotted keys, arrays of tables, inline tables, drawn from a
             small key pool so that re-opening, conflicts and first-mention order matter;
  values     every value form: strings with escapes / unicode / control characters, integers in
             every base, floats (random bit patterns, ties, subnormals, inf/nan/-0.0), date-times
             with offsets and 1-9 digit fractions, nested arrays and inline tables, odd keys;
  manifest   Gramine-like manifests: loader/libos/fs.mounts/sgx.trusted_files, lists of tables
             whose inline form is near the 100-code-point limit, ioctl structs with `ptr = []`;
  mutant     one of the above with a random edit (or a TOML 1.1 construct), to compare rejections.

usage: gen.py --seed N --count N [--out FILE]
"""

import argparse
import json
import random
import struct
import sys

KEY_POOL = ["a", "b", "c", "d", "x"]
UNICODE_SAMPLES = [
    "é", "ß", "中文", "日本", "😀", "🦀", "\u00a0", "\u2028", "\ufeff", "\u0085", "\u009f",
    "Ω", "ǅ", "\U0001f600", "e\u0301",
]
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]


class Gen:
    def __init__(self, rng):
        self.r = rng

    # ---- keys ---------------------------------------------------------------------------

    def bare_key(self):
        r = self.r
        return r.choice([
            lambda: r.choice(KEY_POOL),
            lambda: r.choice(["true", "false", "123", "1e5", "-", "_", "inf", "nan", "A-b_C"]),
            lambda: "".join(r.choice("abcXYZ019_-") for _ in range(r.randint(1, 8))),
        ])()

    def raw_text(self, max_len=12, allow_ctrl=True):
        r = self.r
        out = []
        for _ in range(r.randint(0, max_len)):
            p = r.random()
            if p < 0.6:
                out.append(r.choice("abcdefghij XYZ0123456789._-/:=[]{}#,'"))
            elif p < 0.75:
                out.append(r.choice(UNICODE_SAMPLES))
            elif p < 0.85 and allow_ctrl:
                out.append(r.choice(CONTROL))
            elif p < 0.92:
                out.append(r.choice(['"', "\\", "'"]))
            else:
                out.append(r.choice(["\t", "\n", "\r"]) if allow_ctrl else "x")
        return "".join(out)

    def basic_escaped(self, s):
        """A valid basic-string body for s, with randomly chosen escape forms."""
        r = self.r
        out = []
        short = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"',
                 "\\": "\\\\"}
        for ch in s:
            o = ord(ch)
            must = ch in '"\\' or (o < 0x20 and ch != "\t") or o == 0x7f
            if must or r.random() < 0.08:
                p = r.random()
                if ch in short and p < 0.6:
                    out.append(short[ch])
                elif p < 0.85 and o <= 0xFFFF:
                    out.append(("\\u%04X" if r.random() < 0.3 else "\\u%04x") % o)
                else:
                    out.append("\\U%08x" % o)
            else:
                out.append(ch)
        return "".join(out)

    def key_part(self):
        r = self.r
        p = r.random()
        if p < 0.7:
            return self.bare_key()
        if p < 0.9:
            s = r.choice([self.raw_text(6), r.choice(KEY_POOL), "", "a.b", "é", "tab\tkey"])
            return '"' + self.basic_escaped(s) + '"'
        s = r.choice(KEY_POOL + ["a b", "é", "", "x.y", "q\"q"])
        return "'" + s + "'"

    def key(self, max_parts=3):
        r = self.r
        parts = [self.key_part() for _ in range(r.randint(1, max_parts))]
        sep = r.choice([".", ".", " . ", ". ", "\t.\t"])
        return sep.join(parts)

    # ---- scalars ------------------------------------------------------------------------

    def string_value(self):
        r = self.r
        s = self.raw_text(r.choice([4, 12, 40]))
        kind = r.random()
        if kind < 0.55:
            return '"' + self.basic_escaped(s) + '"'
        if kind < 0.7:
            t = s.replace("'", "").replace("\n", "").replace("\r", "")
            t = "".join(c for c in t if not (ord(c) < 0x20 and c != "\t") and c != "\x7f")
            return "'" + t + "'"
        if kind < 0.85:
            body = self.basic_escaped(s.replace("\n", "\x00")).replace("\\u0000", "\n")
            if r.random() < 0.3:
                body = body + "\\" + r.choice(["", " ", "\t "]) + "\n" + r.choice(["", "  ", "\n "]) + "z"
            lead = r.choice(["", "\n"])
            tail = r.choice(["", '"', '""', '\\"'])
            return '"""' + lead + body + tail + '"""'
        t = s.replace("'''", "").replace("\r", "")
        t = "".join(c for c in t if not (ord(c) < 0x20 and c not in "\t\n") and c != "\x7f")
        if t.endswith("'"):
            t = t + "x"
        tail = r.choice(["", "'", "''"])
        return "'''" + r.choice(["", "\n"]) + t + tail + "'''"

    def int_value(self):
        r = self.r
        p = r.random()
        n = r.choice([0, 1, 7, 42, 255, 1000, 2**31, 2**53 + 1, 2**63 - 1, r.randint(0, 10**6),
                      r.randint(0, 2**63 - 1)])
        if p < 0.4:
            s = str(n)
            if r.random() < 0.3 and len(s) > 1:
                i = r.randint(1, len(s) - 1)
                s = s[:i] + "_" + s[i:]
            return r.choice(["", "+", "-"]) + s
        if p < 0.6:
            return r.choice(["0x", "0x"]) + r.choice(["%x", "%X"]) % n
        if p < 0.75:
            return "0o%o" % n
        if p < 0.85:
            return "0b" + bin(n)[2:]
        return r.choice(["-9223372036854775808", "9223372036854775807", "-0", "+0", "0",
                         "1_000_000", "0xdead_beef", "0o7_7_7", "0b1_0"])

    def float_value(self):
        r = self.r
        p = r.random()
        if p < 0.3:
            while True:
                f = struct.unpack("<d", r.getrandbits(64).to_bytes(8, "little"))[0]
                if f == f and f not in (float("inf"), float("-inf")):
                    break
            s = repr(f)
            if "e" not in s and "." not in s:
                s += ".0"
            return s
        if p < 0.45:
            # Exact ties: a multiple of 1/4, 1/2 or 1/8 with 16-17 significant digits.
            d = r.choice([2, 4, 8])
            n = r.randint(2**49, 2**54) * r.choice([1, -1])
            return "%.3f" % (n / d)
        if p < 0.6:
            return r.choice(["inf", "+inf", "-inf", "nan", "+nan", "-nan", "-0.0", "+0.0", "0.0",
                             "0e0", "-0e-0", "5e-324", "4.9e-324", "2.2250738585072014e-308",
                             "2.225073858507201e-308", "1.7976931348623157e308", "1e308",
                             "1e309", "1e-400", "1e16", "1e15", "9999999999999999.0",
                             "1E+16", "1e-5", "0.0001", "0.00001", "1_000.000_1", "3.14_15",
                             "1e1_0", "6.02e+23", "-1.5E-7"])
        if p < 0.8:
            m = r.randint(1, 10**r.randint(1, 17))
            e = r.randint(-330, 310)
            s = str(m)
            if r.random() < 0.5 and len(s) > 1:
                s = s[0] + "." + s[1:]
            return r.choice(["", "-", "+"]) + s + r.choice(["e", "E"]) + r.choice(["", "+", "-"]) + str(abs(e))
        ip = str(r.randint(0, 10**r.randint(0, 18)))
        fp = "".join(r.choice("0123456789") for _ in range(r.randint(1, 20)))
        return r.choice(["", "-"]) + ip + "." + fp

    def datetime_value(self):
        r = self.r
        y = r.choice([1, 9999, 1970, 2000, 2024, r.randint(1, 9999)])
        mo = r.randint(1, 12)
        d = r.randint(1, 28) if r.random() < 0.8 else r.randint(29, 31)
        if r.random() < 0.03:
            y = 0
        date = "%04d-%02d-%02d" % (y, mo, d)
        h, mi, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
        if r.random() < 0.03:
            s = 60
        time = "%02d:%02d:%02d" % (h, mi, s)
        if r.random() < 0.5:
            time += "." + "".join(r.choice("0123456789") for _ in range(r.randint(1, 9)))
        p = r.random()
        if p < 0.2:
            return date
        if p < 0.35:
            return time
        sep = r.choice(["T", "t", " "])
        if p < 0.55:
            return date + sep + time
        off = r.choice(["Z", "z", "-00:00", "+00:00", "+23:59", "-23:59", "+05:30", "-08:00",
                        "+%02d:%02d" % (r.randint(0, 23), r.randint(0, 59))])
        return date + sep + time + off

    def scalar(self):
        r = self.r
        return r.choice([self.string_value, self.string_value, self.int_value, self.float_value,
                         self.datetime_value, lambda: r.choice(["true", "false"])])()

    # ---- containers ---------------------------------------------------------------------

    def array_ws(self):
        r = self.r
        return r.choice(["", "", " ", "\n", "\n  ", " # c\n", "\t", "\n# comment é\n"])

    def value(self, depth=0):
        r = self.r
        p = r.random()
        if depth < 3 and p < 0.15:
            return self.array(depth + 1)
        if depth < 3 and p < 0.27:
            return self.inline_table(depth + 1)
        return self.scalar()

    def array(self, depth):
        r = self.r
        n = r.choice([0, 1, 2, 3, 5])
        items = [self.value(depth) for _ in range(n)]
        if r.random() < 0.3 and n:
            items = [self.inline_table(depth) for _ in range(n)]
        out = "[" + self.array_ws()
        for i, it in enumerate(items):
            out += it + self.array_ws()
            if i < n - 1 or r.random() < 0.3:
                out += "," + self.array_ws()
        return out + "]"

    def inline_table(self, depth):
        r = self.r
        n = r.choice([0, 1, 2, 3])
        pairs = []
        for _ in range(n):
            pairs.append(self.key(2) + r.choice([" = ", "=", " =  "]) + self.value(depth))
        if not pairs:
            return r.choice(["{}", "{ }"])
        return "{" + r.choice([" ", ""]) + r.choice([", ", ",", " , "]).join(pairs) + r.choice([" ", ""]) + "}"

    # ---- documents ----------------------------------------------------------------------

    def comment(self):
        r = self.r
        return r.choice(["", "", "", " # comment", "# é 😀", " #\t tab"])

    def structure_doc(self):
        r = self.r
        lines = []
        for _ in range(r.randint(1, 14)):
            p = r.random()
            path = ".".join(r.choice(KEY_POOL[:4]) for _ in range(r.randint(1, 3)))
            if p < 0.3:
                lines.append("[" + r.choice(["", " "]) + path + r.choice(["", " "]) + "]" + self.comment())
            elif p < 0.45:
                lines.append("[[" + path + "]]" + self.comment())
            elif p < 0.8:
                k = ".".join(r.choice(KEY_POOL) for _ in range(r.randint(1, 3)))
                lines.append(k + " = " + self.value(1) + self.comment())
            else:
                k = r.choice(KEY_POOL)
                lines.append(k + " = " + r.choice([self.inline_table(1), self.array(1)]))
            if r.random() < 0.2:
                lines.append("")
        return "\n".join(lines) + r.choice(["\n", "", "\n\n"])

    def values_doc(self):
        r = self.r
        lines = []
        for _ in range(r.randint(1, 12)):
            p = r.random()
            if p < 0.12:
                lines.append("[" + self.key(2) + "]")
            elif p < 0.18:
                lines.append("[[" + self.key(2) + "]]")
            else:
                lines.append(self.key(2) + r.choice([" = ", "=", "\t=\t"]) + self.value() + self.comment())
        return "\n".join(lines) + "\n"

    def uri(self, n):
        r = self.r
        body = "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789/._-") for _ in range(n))
        if r.random() < 0.2:
            body += r.choice(UNICODE_SAMPLES + ["\\u0001", " ", "\\\\", '\\"'])
        return "file:" + body

    def manifest_doc(self):
        r = self.r
        out = []
        # Re-opening an implicit table later moves keys in toml_edit, not in tomli.
        reopen = r.random() < 0.4
        if reopen:
            out.append("[loader.entrypoint]")
            out.append('uri = "file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"')
            out.append('sha256 = "%064x"' % r.getrandbits(256))
            out.append("[libos.x]")
            out.append("y = 1")
            out.append("[loader.more]")
        else:
            out.append("[loader]")
            out.append('entrypoint = "file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"')
        out.append('log_level = "%s"' % r.choice(["error", "warning", "debug"]))
        if r.random() < 0.5:
            out.append('argv = ["/bin/app", "--flag", "%s"]' % r.choice(["x", "é", "a b"]))
        if r.random() < 0.5:
            out.append("")
            out.append("[loader.env]")
            out.append('LD_LIBRARY_PATH = "/lib:/usr/lib"')
            out.append("MY_PASSTHROUGH = { passthrough = true }")
            out.append('PATH.value = "/bin"')
        out.append("")
        out.append("[libos]")
        out.append('entrypoint = "/app"')
        out.append("")
        mounts = []
        for _ in range(r.randint(0, 4)):
            parts = ['path = "/%s"' % self.uri(r.randint(0, 30))[5:], 'uri = "%s"' % self.uri(r.randint(0, 40))]
            if r.random() < 0.3:
                parts.insert(0, 'type = "%s"' % r.choice(["tmpfs", "encrypted", "chroot"]))
            if r.random() < 0.15:
                parts.append("opts = { ro = true }")
            if r.random() < 0.1:
                parts.append("extra = []")
            mounts.append("{ " + ", ".join(parts) + " }")
        if mounts or r.random() < 0.5:
            out.append("fs.mounts = [\n  " + ",\n  ".join(mounts) + ("," if mounts and r.random() < 0.5 else "") + "\n]")
        out.append("")
        out.append("[sgx]")
        out.append("debug = %s" % r.choice(["true", "false"]))
        out.append('enclave_size = "%s"' % r.choice(["256M", "1G", "64G"]))
        out.append("max_threads = %d" % r.choice([1, 4, 32]))
        style = r.random()
        n = r.choice([0, 1, 2, 3, 5, 8])
        lens = [r.choice([0, 1, 5, 6, 7, 8, 20, 60]) for _ in range(n)]
        if style < 0.4:
            items = []
            for ln in lens:
                if r.random() < 0.6:
                    items.append('{ uri = "%s", sha256 = "%s" }' % (self.uri(ln), "%064x" % r.getrandbits(256)))
                elif r.random() < 0.5:
                    items.append('{ uri = "%s" }' % self.uri(ln))
                else:
                    items.append('"%s"' % self.uri(ln))
            out.append("trusted_files = [\n  " + ",\n  ".join(items) + "\n]")
        elif style < 0.7:
            for ln in lens:
                out.append("")
                out.append("[[sgx.trusted_files]]")
                out.append('uri = "%s"' % self.uri(ln))
                if r.random() < 0.7:
                    out.append('sha256 = "%064x"' % r.getrandbits(256))
        else:
            out.append('allowed_files = [ "file:/etc/hosts", "file:%s" ]' % self.uri(r.randint(0, 10)))
        if r.random() < 0.5:
            out.append("")
            out.append("[sys.ioctl_structs]")
            for i in range(r.randint(1, 3)):
                fields = []
                for _ in range(r.randint(1, 3)):
                    f = ["size = %d" % r.choice([4, 8, 16])]
                    if r.random() < 0.5:
                        f.append(r.choice(["ptr = []", 'ptr = [ { size = 8, direction = "out" } ]',
                                           'direction = "in"', "onlyif = \"x == 1\"",
                                           "nested = { a = 1 }", "name = \"%s\"" % ("y" * r.randint(50, 90))]))
                    fields.append("{ " + ", ".join(f) + " }")
                out.append("s%d = [ %s ]" % (i, ", ".join(fields)))
        if r.random() < 0.3:
            out.append("")
            out.append("[sgx.cpu_features]")
            out.append('avx = "unspecified"')
            out.append('mpx = "disabled"')
        if reopen:
            out.append("")
            out.append("[loader]")
            out.append("insecure__use_cmdline_argv = true")
        return "\n".join(out) + "\n"

    def mutate(self, doc):
        r = self.r
        p = r.random()
        if p < 0.25:
            return r.choice([
                "a = { x = 1, }\n", "a = { x = 1,\n y = 2 }\n", "a = {\n}\n", 'a = "\\x41"\n',
                'a = "\\e"\n', "a = 07:32\n", "a = 1979-05-27T07:32Z\n", "a = 1979-05-27 07:32\n",
                "a = { # c\n}\n", "a = 9223372036854775808\n", "a = -9223372036854775809\n",
                "a = 0x8000000000000000\n", "\ufeffa = 1\n", "a = 1\r\nb = 2\r\n", "a = 1\rb = 2\n",
                "# c\r\nb = 1\n", "a = 1979-02-29\n", "a = 2000-02-29\n", "a = 1900-02-29\n",
                "a = 23:59:60\n", "a = 0000-01-01\n", 'a = """\r\nx\r\n"""\n', "[a]\n[a]\n",
                "a.b = 1\n[a]\n", "[a]\nb.c = 1\n[a.b]\n", "[[a]]\n[a]\n", "a = []\n[[a]]\n",
                "a = [{}]\n[[a]]\n", "[a.b]\n[a]\n[a.b.c]\n", "a = 1\na.b = 2\n",
                "x = { a.b = 1, a.c = 2 }\n", "x = { a = { b = 1 }, a.c = 2 }\n",
                "x = { a.b = 1, a = 2 }\n", '"" = 1\n', "'' = 1\n", "[\"\"]\n", "a = true1\n",
                "a = nan1\n", "a = +nan\n", "a = -inf\n", "a = 1__0\n", "a = 01\n", "a = 1.\n",
                "a = .1\n", "a = 1e\n", "a = 0x\n", "a = 0b2\n", "a = -0x1\n",
                "a = \"\"\"a\"\"\"\"\n", "a = \"\"\"a\"\"\"\"\"\n", "a = \"\"\"a\"\"\"\"\"\"\n",
                "a = '''a''''\n", "a = 1 # \x01\n", "a = 1 # \x7f\n", "a = \"\\ud800\"\n",
                "a = \"\\U00110000\"\n", "[ a ]\n", "[[ a ]]\n", "[ [a] ]\n", "[[a] ]\n",
            ]) + (doc if r.random() < 0.3 else "")
        chars = list(doc)
        for _ in range(r.randint(1, 3)):
            if not chars:
                break
            i = r.randrange(len(chars) + 1)
            q = r.random()
            if q < 0.4 and i < len(chars):
                del chars[i]
            elif q < 0.8:
                chars.insert(i, r.choice(list("[]{}=,.\"'\n#\\ \t_:-+0aT") + CONTROL[:3]))
            elif i < len(chars):
                j = chars.index("\n", i) if "\n" in chars[i:] else len(chars)
                chars[j:j] = chars[i:j]
        return "".join(chars)

    def doc(self):
        r = self.r
        kind = r.choices(["structure", "values", "manifest", "mutant"], [30, 35, 15, 20])[0]
        if kind == "mutant":
            base = r.choice([self.structure_doc, self.values_doc, self.manifest_doc])()
            return kind, self.mutate(base)
        return kind, {"structure": self.structure_doc, "values": self.values_doc,
                      "manifest": self.manifest_doc}[kind]()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    g = Gen(random.Random(a.seed))
    f = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8")
    for i in range(a.count):
        kind, text = g.doc()
        f.write(json.dumps({"id": "%d-%d-%s" % (a.seed, i, kind), "input": text},
                           ensure_ascii=False) + "\n")
    if f is not sys.stdout:
        f.close()


if __name__ == "__main__":
    main()
