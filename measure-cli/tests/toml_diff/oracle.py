#!/usr/bin/env python3
"""Runs documents through tomli and tomli_w (whichever versions this interpreter has).

Reads gen.py's JSON lines (or a corpus being built) and adds, per document:
  "tree": canonical text of tomli's value tree (key order included), or
  "error": tomli's error message when it rejects the document,
and "<field>": tomli_w.dumps() of the tree (field given by --field, e.g. w1 or w04).
The text is first decoded as Gramine reads manifests (universal newlines).
An existing "tree" must match this interpreter's (the two writers share one tomli).

usage: oracle.py --field w1 < in.jsonl > out.jsonl
"""

import argparse
import datetime
import json
import sys

import tomli
import tomli_w


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
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return "d" + str(v)
    raise TypeError(type(v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--field", required=True)
    a = ap.parse_args()
    for line in sys.stdin:
        rec = json.loads(line)
        text = rec["input"].replace("\r\n", "\n").replace("\r", "\n")
        try:
            data = tomli.loads(text)
        except tomli.TOMLDecodeError as e:
            err = "tomli: " + str(e)
            if "tree" in rec or rec.get("error", err) != err:
                raise SystemExit("tomli results differ between interpreters: " + rec["id"])
            rec["error"] = err
            print(json.dumps(rec, ensure_ascii=False))
            continue
        except RecursionError:
            rec["error"] = "tomli: RecursionError"
            print(json.dumps(rec, ensure_ascii=False))
            continue
        tree = canon(data)
        if rec.get("tree", tree) != tree:
            raise SystemExit("tomli results differ between interpreters: " + rec["id"])
        rec["tree"] = tree
        try:
            rec[a.field] = tomli_w.dumps(data)
        except (RecursionError, ValueError, TypeError) as e:
            rec[a.field + "_error"] = "%s: %s" % (type(e).__name__, e)
        print(json.dumps(rec, ensure_ascii=False))


if __name__ == "__main__":
    main()
