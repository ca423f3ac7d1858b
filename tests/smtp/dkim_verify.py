#!/usr/bin/python3
"""Verifies a message's DKIM signature with dkimpy (Debian's python3-dkim), independently of MimeKit that signed it.

    dkim_verify.py EML_FILE SELECTOR DOMAIN PUBLIC_KEY_BASE64

The public key is what DNS would publish at SELECTOR._domainkey.DOMAIN (the base64 of the SubjectPublicKeyInfo);
no DNS is asked. Prints "pass" and exits 0 when the signature verifies, else prints "fail" (with dkimpy's reason) and exits 1.
"""
import sys

import dkim


def main():
    eml, selector, domain, public_key = sys.argv[1:5]
    expected = f"{selector}._domainkey.{domain}.".encode()

    def dns(name, timeout=5):
        if name != expected:
            print(f"asked for {name!r}, not {expected!r}", file=sys.stderr)
            return None
        return f"v=DKIM1; k=rsa; p={public_key}".encode()

    with open(eml, "rb") as f:
        message = f.read()
    verifier = dkim.DKIM(message)
    try:
        ok = verifier.verify(dnsfunc=dns)
    except dkim.DKIMException as error:
        print(f"fail: {error}")
        return 1
    print("pass" if ok else "fail: the signature does not match")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
