#!/usr/bin/env python3
"""The participant check of OpenFL-style attestation, without slicing bytes.

OpenFL's openfl/utilities/attestation/attestation_utils.py takes a participant's passport
({"quote": base64, "runtime_data": base64 of its certificate}) and reads MRENCLAVE by position:

    def fetch_mrenclave_from_quote(quote):
        decoded_quote = base64.b64decode(quote)
        return decoded_quote[112:144].hex()

Offset 112 is MRENCLAVE only in a v3 or v4 quote (a v5 quote has a body descriptor first), the
report data is never compared with the certificate the enclave put there, and the expected
MRENCLAVE has to come from somewhere else; nothing checks that the quote is genuine. Here, in
one call: the quote (any version) is verified with stored collateral (its signature, the QE
report, the PCK certificate chain to Intel's root, CRLs, TCB info, QE identity, TCB status),
REPORTDATA must start with SHA-256 of the certificate (what AttestationManager.gen_sgx_quote
writes to /dev/attestation/user_report_data), and the identity must be the enclave the algorithm
owner's base bundle plus this data owner's entries describe (append policy, MRENCLAVE, MRSIGNER,
product, version, debug flag).

    participant_check.py --passport passport.json --bundle base.bundle \\
        --entries owner1.toml --collateral collateral.json \\
        --mrsigner HEX --isvprodid 7 --min-isvsvn 3

(collateral: `sgx-measure collateral fetch --quote QUOTE --pccs URL -o collateral.json`, once per
platform.) Prints the verdict as JSON; exit status 0 only if no check failed.
"""
import argparse
import base64
import json
import sys

import sgx_measure


def fetch_identity_from_quote(quote_b64):
    """The enclave identity in a quote of any version (replaces fetch_mrenclave_from_quote)."""
    quote = sgx_measure.parse_evidence(base64.b64decode(quote_b64))
    if not isinstance(quote, sgx_measure.Quote):
        raise sgx_measure.ParseError("the passport holds a REPORT, not a quote", code="evidence")
    return quote


def check_participant(passport, bundle, entries, *, collateral, trust_root=None, now=None,
                      mrsigner=None, isvprodid=None, min_isvsvn=None):
    """Verifies a participant's passport: its quote is genuine (verified with `collateral`),
    comes from the enclave of `bundle` plus the data owner's `entries`, and is bound to the
    certificate it came with."""
    quote = fetch_identity_from_quote(passport["quote"])
    cert = base64.b64decode(passport["runtime_data"])
    return sgx_measure.verify(
        bundle=bundle,
        entries=entries,
        quote=quote,
        collateral=collateral,
        trust_root=trust_root,
        now=now,
        report_data_sha256=cert,
        mrsigner=mrsigner,
        isvprodid=isvprodid,
        min_isvsvn=min_isvsvn,
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description="Verify an OpenFL participant's passport.")
    ap.add_argument("--passport", required=True,
                    help='JSON {"quote": base64, "runtime_data": base64 certificate}')
    ap.add_argument("--bundle", required=True, help="the algorithm owner's base bundle")
    ap.add_argument("--entries", required=True, help="the data owner's published entries")
    ap.add_argument("--collateral", required=True, help="the platform's collateral (JSON)")
    ap.add_argument("--trust-root", help="root CA certificate (default: Intel's SGX Root CA)")
    ap.add_argument("--now", help="time of verification (Unix seconds or RFC 3339; default: now)")
    ap.add_argument("--mrsigner", help="expected MRSIGNER (64 hex digits)")
    ap.add_argument("--isvprodid", type=int, help="expected ISVPRODID")
    ap.add_argument("--min-isvsvn", type=int, help="minimum ISVSVN")
    a = ap.parse_args(argv)
    try:
        with open(a.passport) as f:
            passport = json.load(f)
        verdict = check_participant(passport, sgx_measure.Bundle.load(a.bundle), a.entries,
                                    collateral=a.collateral, trust_root=a.trust_root, now=a.now,
                                    mrsigner=a.mrsigner, isvprodid=a.isvprodid,
                                    min_isvsvn=a.min_isvsvn)
    except sgx_measure.Error as e:
        print(f"participant_check: {e} [{e.code}]", file=sys.stderr)
        return 2
    print(verdict.to_json())
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
