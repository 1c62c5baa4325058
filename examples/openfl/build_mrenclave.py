#!/usr/bin/env python3
"""The enclave build step of an OpenFL-style Gramine image, without scraping text.

OpenFL's openfl-docker/gramine_app/Makefile signs the enclave and learns MRENCLAVE from the last
line gramine-sgx-sign prints:

    gramine-sgx-sign --key $(SGX_SIGNER_KEY) --manifest fx.manifest --output fx.manifest.sgx \\
        | tail -n 1 | tr -d ' ' | xargs -I {} echo "fx.mr_enclave={}"

(and BigDL PPML cuts it out of gramine-sgx-get-token's output with `cut -c 13-77`). Here the same
signing is one call that returns structured values, byte-identical to gramine-sgx-sign's
.manifest.sgx and .sig, and the identity is printed as JSON for the next step of the build:

    build_mrenclave.py --manifest fx.manifest --libpal libpal.so --key enclave-key.pem \\
        --output fx.manifest.sgx > fx.identity.json
"""
import argparse
import json
import sys

import sgx_measure


def main(argv=None):
    ap = argparse.ArgumentParser(description="Sign an enclave; print its identity as JSON.")
    ap.add_argument("--manifest", required=True, help="the .manifest (gramine-manifest output)")
    ap.add_argument("--libpal", required=True, help="Gramine's sgx/libpal.so")
    ap.add_argument("--key", required=True, help="RSA-3072 signing key (PEM, exponent 3)")
    ap.add_argument("--output", required=True, help="the .manifest.sgx to write")
    ap.add_argument("--sigfile", help="the .sig to write (default: Gramine's)")
    ap.add_argument("--date", default="today", help="SIGSTRUCT date (YYYY-MM-DD or today)")
    ap.add_argument("--gramine", default="1.9", help="Gramine version (default 1.9)")
    ap.add_argument("--libos-sha256", help="SHA-256 of libsysdb.so, on a machine without Gramine")
    a = ap.parse_args(argv)
    try:
        signed = sgx_measure.sign(a.manifest, libpal=a.libpal, key=a.key, output=a.output,
                                  sigfile=a.sigfile, date=a.date, gramine=a.gramine,
                                  libos_sha256=a.libos_sha256)
    except sgx_measure.Error as e:
        print(f"build_mrenclave: {e} [{e.code}]", file=sys.stderr)
        return 1
    s = signed.sigstruct
    json.dump({
        "mr_enclave": signed.mrenclave,
        "mr_signer": signed.mrsigner,
        "isv_prod_id": s.isvprodid,
        "isv_svn": s.isvsvn,
        "debug": s.debug,
        "manifest_sgx": str(signed.manifest_sgx),
        "sig": str(signed.sig),
    }, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
