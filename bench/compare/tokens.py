#!/usr/bin/env python3
"""Token verification from Python: jitguard vs PyJWT vs joserfc on the same tokens.

Every library verifies the same signed access token (signature, iss, aud, exp) with its keys parsed
once up front. jitguard runs twice: with its verified-token cache off ("uncached", every call does
the full work) and on ("cached", the hit path a server sees for a client's repeated bearer token).
PyJWT and joserfc have no cache: every call is a full verification.

    pip install -e '.[bench]'        # pyjwt, joserfc, cryptography
    python bench/compare/tokens.py [--seconds 1.0] [--markdown]

Targets (issue 4): jitguard cached >= 30x PyJWT, jitguard uncached >= 1.5x PyJWT.
"""
from __future__ import annotations

import argparse
import base64
import json
import platform
import sys
import time
from typing import Callable, Dict, List, Tuple

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import jitguard

ISSUER = "https://login.example.com/tenant-1/v2.0"
AUDIENCE = "api://inference-gateway"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n: int, length: int = 0) -> str:
    return b64(n.to_bytes(length or (n.bit_length() + 7) // 8, "big"))


def make_case(alg: str) -> Tuple[str, Dict, object]:
    """(token, public JWK, key object PyJWT accepts) for one algorithm."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "00u1a2b3c4d5e6f7g8h9", "azp": "web-client",
              "scope": "models.infer datasets.read", "groups": ["ml-engineers", "pii-reviewers"],
              "jti": "b7e4f2a0-5c1d-4e8b-9f3a-2d6c8e1f0a9b", "iat": now - 60, "nbf": now - 60,
              "exp": now + 6 * 3600}
    header = {"alg": alg, "kid": "k1", "typ": "JWT"}
    signing_input = (b64(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64(json.dumps(claims, separators=(",", ":")).encode())).encode()
    if alg == "RS256":
        priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = priv.public_key()
        n = pub.public_numbers()
        jwk = {"kty": "RSA", "n": int_b64(n.n), "e": int_b64(n.e), "kid": "k1", "alg": alg}
        sig = priv.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        key_obj: object = pub
    elif alg == "ES256":
        priv = ec.generate_private_key(ec.SECP256R1())
        pub = priv.public_key()
        n = pub.public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": int_b64(n.x, 32), "y": int_b64(n.y, 32), "kid": "k1",
               "alg": alg}
        r, s = decode_dss_signature(priv.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        key_obj = pub
    elif alg == "EdDSA":
        priv = ed25519.Ed25519PrivateKey.generate()
        pub = priv.public_key()
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": "k1", "alg": alg}
        sig = priv.sign(signing_input)
        key_obj = pub
    else:  # HS256
        secret = b"0123456789abcdef0123456789abcdef"
        jwk = {"kty": "oct", "k": b64(secret), "kid": "k1", "alg": alg}
        h = hmac.HMAC(secret, hashes.SHA256())
        h.update(signing_input)
        sig = h.finalize()
        key_obj = secret
    return signing_input.decode() + "." + b64(sig), jwk, key_obj


def batch_size(fn: Callable[[], object]) -> int:
    """Calls of fn that take about 10 ms."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 > 0.01:
            return n
        n *= 2


def rates(fns: Dict[str, Callable[[], object]], seconds: float, rounds: int = 5) -> Dict[str, float]:
    """Calls per second of each fn. The libraries take turns, round after round, and each keeps its
    best round, so a change in machine load does not favour whichever ran first."""
    sizes = {name: batch_size(fn) for name, fn in fns.items()}
    best = {name: 0.0 for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n, count, t0 = sizes[name], 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds / rounds:
                for _ in range(n):
                    fn()
                count += n
            best[name] = max(best[name], count / (time.perf_counter() - t0))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="measuring time per library and algorithm")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--algorithms", default="RS256,ES256,EdDSA,HS256")
    args = ap.parse_args()

    import jwt as pyjwt
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import KeySet
    from joserfc.jwt import JWTClaimsRegistry

    rows: List[Tuple[str, Dict[str, float]]] = []
    for alg in args.algorithms.split(","):
        token, jwk, key_obj = make_case(alg)
        jwks = {"keys": [jwk]}
        uncached = jitguard.TokenVerifier(jwks=jwks, issuer=ISSUER, audience=AUDIENCE, cache_size=0)
        cached = jitguard.TokenVerifier(jwks=jwks, issuer=ISSUER, audience=AUDIENCE)
        jose_keys = KeySet.import_key_set(jwks)
        registry = JWTClaimsRegistry(iss={"essential": True, "value": ISSUER},
                                     aud={"essential": True, "value": AUDIENCE},
                                     exp={"essential": True})

        def jose_verify() -> object:
            tok = jose_jwt.decode(token, jose_keys, algorithms=[alg])
            registry.validate(tok.claims)
            return tok.claims

        def pyjwt_verify() -> object:
            return pyjwt.decode(token, key_obj, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER,
                                options={"require": ["exp", "iss", "aud"]}, leeway=60)

        # All four must accept the token before anything is timed.
        assert uncached.verify(token).subject == cached.verify(token).subject == pyjwt_verify()["sub"]
        assert jose_verify()["sub"] == pyjwt_verify()["sub"]
        cell = rates({
            "jitguard cached": lambda: cached.verify(token),
            "jitguard uncached": lambda: uncached.verify(token),
            "PyJWT": pyjwt_verify,
            "joserfc": jose_verify,
        }, args.seconds)
        rows.append((alg, cell))

    libs = ["jitguard cached", "jitguard uncached", "PyJWT", "joserfc"]
    print(f"# Python {platform.python_version()}, PyJWT {pyjwt.__version__}, "
          f"joserfc {__import__('joserfc').__version__}, jitguard {jitguard.__version__}")
    if args.markdown:
        print("| alg | " + " | ".join(f"{lib} (verifies/s)" for lib in libs) +
              " | cached / PyJWT | uncached / PyJWT |")
        print("|---" * (len(libs) + 3) + "|")
    for alg, cell in rows:
        ratios = (cell["jitguard cached"] / cell["PyJWT"], cell["jitguard uncached"] / cell["PyJWT"])
        if args.markdown:
            print(f"| {alg} | " + " | ".join(f"{cell[lib]:,.0f}" for lib in libs) +
                  f" | {ratios[0]:.1f}x | {ratios[1]:.2f}x |")
        else:
            print(f"{alg:6} " + "  ".join(f"{lib}={cell[lib]:,.0f}/s" for lib in libs) +
                  f"  cached/PyJWT={ratios[0]:.1f}x uncached/PyJWT={ratios[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
