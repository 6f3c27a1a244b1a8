"""Helpers for the token tests: keys and token minting with `cryptography` (no jitguard code), so the
verifier is checked against an independent signer. Holds no tests itself."""
from __future__ import annotations

import base64
import json
import time
from typing import Any, Dict, Optional

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

NOW = 1_800_000_000.0
ISSUER = "https://idp.example"
AUDIENCE = "api://jitguard"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(n: int, length: Optional[int] = None) -> str:
    length = length or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(length, "big"))


class Key:
    """A private key that mints tokens and publishes its public JWK."""

    def __init__(self, kind: str, kid: str, secret: Optional[bytes] = None) -> None:
        self.kind = kind
        self.kid = kid
        if kind == "ES256":
            self.priv = ec.generate_private_key(ec.SECP256R1())
        elif kind in ("RS256", "PS256"):
            self.priv = _rsa()
        elif kind == "EdDSA":
            self.priv = ed25519.Ed25519PrivateKey.generate()
        elif kind == "HS256":
            self.secret = secret or b"k" * 32
        else:
            raise ValueError(kind)

    def jwk(self) -> Dict[str, Any]:
        if self.kind == "ES256":
            n = self.priv.public_key().public_numbers()
            return {"kty": "EC", "crv": "P-256", "x": _int_b64(n.x, 32), "y": _int_b64(n.y, 32),
                    "kid": self.kid, "use": "sig"}
        if self.kind in ("RS256", "PS256"):
            n = self.priv.public_key().public_numbers()
            return {"kty": "RSA", "n": _int_b64(n.n), "e": _int_b64(n.e), "kid": self.kid, "use": "sig"}
        if self.kind == "EdDSA":
            raw = self.priv.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": self.kid}
        return {"kty": "oct", "k": b64(self.secret), "kid": self.kid, "alg": "HS256"}

    def public_pem(self) -> str:
        return self.priv.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, data: bytes) -> bytes:
        if self.kind == "ES256":
            r, s = decode_dss_signature(self.priv.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if self.kind == "RS256":
            return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if self.kind == "PS256":
            return self.priv.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                                  hashes.SHA256())
        if self.kind == "EdDSA":
            return self.priv.sign(data)
        h = hmac.HMAC(self.secret, hashes.SHA256())
        h.update(data)
        return h.finalize()

    def mint(self, claims: Optional[Dict[str, Any]] = None, header: Optional[Dict[str, Any]] = None,
             **overrides: Any) -> str:
        body = default_claims(**overrides) if claims is None else claims
        head = {"alg": self.kind, "kid": self.kid}
        head.update(header or {})
        head = {k: v for k, v in head.items() if v is not None}
        signing_input = (b64(json.dumps(head, separators=(",", ":")).encode()) + "." +
                         b64(json.dumps(body, separators=(",", ":")).encode()))
        return signing_input + "." + b64(self.sign(signing_input.encode()))


_RSA_CACHE: list = []


def _rsa():
    # RSA key generation is slow: share one key between the tests of a run.
    if not _RSA_CACHE:
        _RSA_CACHE.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _RSA_CACHE[0]


def default_claims(**overrides: Any) -> Dict[str, Any]:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": int(NOW) - 10,
              "exp": int(NOW) + 300, "jti": "tok-1", "groups": ["eng", "ml"]}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def jwks(*keys: Key) -> Dict[str, Any]:
    return {"keys": [k.jwk() for k in keys]}


def wall_clock_claims(**overrides: Any) -> Dict[str, Any]:
    now = int(time.time())
    return default_claims(iat=now - 10, exp=now + 300, **overrides)
