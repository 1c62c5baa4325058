#!/usr/bin/env python3
"""Runs documents through the Python `toml` library (the version this interpreter has: 0.10.2).

Reads gen.py's JSON lines and adds, per document:
  "tree": canonical text of toml.loads' value tree (key order included), or
  "error": the exception toml.loads raised ("TomlDecodeError: ...", "IndexError: ...", ...),
  "dump": toml.dumps() of the tree, or "dump_error" when it raises.
The text is first decoded as Gramine reads manifests (universal newlines).

usage: oracle.py < in.jsonl > out.jsonl
"""

import datetime
import json
import sys

import toml


def canon(v):
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canon(x)
                              for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, bool):
        return "b1" if v else "b0"
    if isinstance(v, int):
        return "i" + str(v)
    if isinstance(v, float):
        return "f" + repr(v)
    if isinstance(v, str):
        return "s" + json.dumps(v, ensure_ascii=False)
    if isinstance(v, datetime.datetime):
        off = v.utcoffset()
        tz = "n" if off is None else str(int(off.total_seconds()) // 60)
        return "dt%04d-%02d-%02dT%02d:%02d:%02d.%06d@%s" % (
            v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, tz)
    if isinstance(v, datetime.date):
        return "da%04d-%02d-%02d" % (v.year, v.month, v.day)
    if isinstance(v, datetime.time):
        return "t%02d:%02d:%02d.%06d" % (v.hour, v.minute, v.second, v.microsecond)
    raise TypeError(type(v))


def main():
    assert toml.__version__ == "0.10.2", toml.__version__
    for line in sys.stdin:
        rec = json.loads(line)
        text = rec["input"].replace("\r\n", "\n").replace("\r", "\n")
        try:
            data = toml.loads(text)
        except Exception as e:  # every exception is a rejection, as in gramine-sgx-sign
            rec["error"] = "%s: %s" % (type(e).__name__, e)
            print(json.dumps(rec, ensure_ascii=False))
            continue
        try:
            rec["tree"] = canon(data)
        except (TypeError, UnicodeEncodeError) as e:
            rec["error"] = "unrepresentable: %s" % e
            print(json.dumps(rec, ensure_ascii=False))
            continue
        try:
            rec["dump"] = toml.dumps(data)
            rec["dump"].encode("utf-8")
        except Exception as e:
            rec.pop("dump", None)
            rec["dump_error"] = "%s: %s" % (type(e).__name__, e)
        print(json.dumps(rec, ensure_ascii=False))


if __name__ == "__main__":
    main()
