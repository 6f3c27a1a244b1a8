"""Grants from Python: every algorithm, single use (threads, processes, Redis), scope, expiry,
revocation, typ confusion, fail-closed on a Redis outage. Real keys (cryptography), a real
redis-server (fixtures/redis.py)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

import jitguard
from jitguard import GrantError

NOW = 1_800_000_000.0
SECRET = b"0123456789abcdef0123456789abcdef-python"


def _pems(key):
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


P256 = _pems(ec.generate_private_key(ec.SECP256R1()))
ED25519 = _pems(ed25519.Ed25519PrivateKey.generate())
KEYS = {"ES256": P256, "EdDSA": ED25519, "HS256": (SECRET, SECRET)}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hs256(header: dict, payload: dict, secret: bytes = SECRET) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(sig)}"


def _pair(alg, cache=None, **kwargs):
    private, public = KEYS[alg]
    return (jitguard.GrantIssuer(private, **kwargs.get("issuer_kwargs", {})),
            jitguard.GrantVerifier(public, replay_cache=cache))


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "HS256"])
def test_issue_verify_once(alg):
    issuer, verifier = _pair(alg)
    assert issuer.algorithm == alg
    ig = issuer.issue("alice", datasets=["hr"], operations=["infer"], model="gpt-x", ttl=60,
                      request_id="r1", now=NOW)
    assert str(ig) == ig.token
    assert ig.token not in repr(ig) and ig.id in repr(ig)
    assert len(ig.id) == 32 and ig.expires_at == NOW + 60
    header = json.loads(_unb64(ig.token.split(".")[0]))
    assert header == {"alg": alg, "typ": "jitguard-grant+jwt"}

    g = verifier.verify(ig, dataset="hr", operation="infer", now=NOW + 1)
    assert (g.id, g.subject, g.datasets, g.operations, g.model, g.expires_at) == (
        ig.id, "alice", ["hr"], ["infer"], "gpt-x", NOW + 60)
    assert (g.issuer, g.issued_at, g.request_id, g.approval_id) == ("jitguard", NOW, "r1", "")
    with pytest.raises(GrantError) as e:
        verifier.verify(ig.token, now=NOW + 2)
    assert e.value.reason == "replayed"
    assert e.value.code == "permission_denied"


def test_scope_expiry_and_revocation():
    issuer, verifier = _pair("ES256")
    ig = issuer.issue("alice", datasets=["hr"], operations=["infer"], model="gpt-x", now=NOW)
    for kwargs in ({"dataset": "payroll"}, {"operation": "export"}, {"model": "other"}):
        with pytest.raises(GrantError) as e:
            verifier.verify(ig.token, now=NOW, **kwargs)
        assert e.value.reason == "scope"
    with pytest.raises(GrantError) as e:
        verifier.verify(ig.token, now=NOW + 65)  # exp + 5 s leeway
    assert e.value.reason == "expired"
    # None of the refusals spent it.
    assert verifier.verify(ig.token, dataset="hr", now=NOW).id == ig.id

    other = issuer.issue("alice", datasets=["hr"], operations=["infer"], now=NOW)
    verifier.revoke(other.id, now=NOW)
    with pytest.raises(GrantError) as e:
        verifier.verify(other.token, now=NOW)
    assert e.value.reason == "revoked"


def test_typ_confusion_both_ways():
    issuer, verifier = _pair("HS256")
    ig = issuer.issue("alice", datasets=["hr"], operations=["infer"], now=NOW)
    claims = json.loads(_unb64(ig.token.split(".")[1]))
    # An access token (same key, same claims, another typ) is not a grant.
    for header in ({"alg": "HS256", "typ": "at+jwt"}, {"alg": "HS256"}):
        with pytest.raises(GrantError) as e:
            verifier.verify(_hs256(header, claims), now=NOW)
        assert e.value.reason == "typ"
    # A grant is not an access token: a typ-checking verifier refuses it, and even one that does
    # not check typ refuses it for want of an audience.
    strict = jitguard.TokenVerifier(hmac_secret=SECRET, issuer="jitguard", audience="api", typ="at+jwt")
    with pytest.raises(jitguard.TokenError) as e:
        strict.verify(ig.token, now=NOW)
    assert e.value.reason == "typ"
    lax = jitguard.TokenVerifier(hmac_secret=SECRET, issuer="jitguard", audience="api")
    with pytest.raises(jitguard.TokenError) as e:
        lax.verify(ig.token, now=NOW)
    assert e.value.reason == "audience"


def test_bad_input_and_keys():
    issuer, verifier = _pair("EdDSA")
    for token, reason in (("", "malformed"), ("a.b.c", "malformed"), ("x" * 9000, "too_large")):
        with pytest.raises(GrantError) as e:
            verifier.verify(token, now=NOW)
        assert e.value.reason == reason
    ig = issuer.issue("alice", operations=["infer"], now=NOW)
    with pytest.raises(GrantError) as e:
        jitguard.GrantVerifier(ED25519[1], issuer="other").verify(ig.token, now=NOW)
    assert e.value.reason == "issuer"
    with pytest.raises(GrantError) as e:
        jitguard.GrantVerifier(_pems(ed25519.Ed25519PrivateKey.generate())[1]).verify(ig.token, now=NOW)
    assert e.value.reason == "bad_signature"
    with pytest.raises(GrantError) as e:
        issuer.issue("alice", operations=[], now=NOW)
    assert e.value.reason == "invalid_request"
    for bad in (b"short", _pems(rsa.generate_private_key(65537, 2048))[0],
                _pems(ec.generate_private_key(ec.SECP384R1()))[0], {"keys": []}):
        with pytest.raises(GrantError) as e:
            jitguard.GrantIssuer(bad)
        assert e.value.reason == "bad_key"


def test_jwks_dict_verifies():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    pub = serialization.load_pem_public_key(ED25519[1].encode())
    assert isinstance(pub, Ed25519PublicKey)
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": "k1"}]}
    ig = jitguard.GrantIssuer(ED25519[0], key_id="k1").issue("alice", operations=["infer"], now=NOW)
    assert jitguard.GrantVerifier(jwks).verify(ig.token, now=NOW).subject == "alice"


def test_audit_callable_sees_events_without_the_token():
    events = []
    issuer = jitguard.GrantIssuer(SECRET, audit=events.append)
    verifier = jitguard.GrantVerifier(SECRET, audit=events.append)
    ig = issuer.issue("alice", datasets=["hr"], operations=["infer"], approval_id="t" * 32, now=NOW)
    verifier.verify(ig.token, dataset="hr", now=NOW)
    with pytest.raises(GrantError):
        verifier.verify(ig.token, now=NOW)
    assert [e["type"] for e in events] == ["grant.issued", "grant.verified", "grant.rejected"]
    assert events[0]["grant_id"] == ig.id and events[0]["ticket_id"] == "t" * 32
    assert events[2]["reason"] == "replayed" and events[2]["time"] == NOW
    blob = json.dumps(events)
    assert ig.token.split(".")[2] not in blob and ig.token.split(".")[1] not in blob


def _race(verifier, token, threads=8):
    results = []
    barrier = threading.Barrier(threads)

    def run():
        barrier.wait()
        try:
            verifier.verify(token, now=NOW)
            results.append("ok")
        except GrantError as e:
            results.append(e.reason)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sorted(results)


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_eight_threads_one_winner(backend, redis_server):
    cache = jitguard.MemoryReplayCache() if backend == "memory" else jitguard.RedisReplayCache(
        redis_server.url, timeout=0.5)
    issuer, verifier = _pair("ES256", cache)
    for _ in range(10):
        token = issuer.issue("alice", operations=["infer"], now=NOW).token
        assert _race(verifier, token) == ["ok"] + ["replayed"] * 7


def test_two_processes_share_redis(redis_server):
    issuer, _ = _pair("HS256")
    token = issuer.issue("alice", datasets=["hr"], operations=["infer"], now=NOW).token
    child = (
        "import jitguard, sys\n"
        f"v = jitguard.GrantVerifier({SECRET!r}, replay_cache=jitguard.RedisReplayCache({redis_server.url!r}))\n"
        f"print(v.verify({token!r}, dataset='hr', now={NOW!r}).id)\n")
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    here = jitguard.GrantVerifier(SECRET, replay_cache=jitguard.RedisReplayCache(redis_server.url))
    with pytest.raises(GrantError) as e:
        here.verify(token, dataset="hr", now=NOW)
    assert e.value.reason == "replayed"


def test_redis_outage_fails_closed_then_recovers(fresh_redis_server):
    issuer, verifier = _pair("EdDSA", jitguard.RedisReplayCache(fresh_redis_server.url))
    assert verifier.replay_cache.name == "redis"
    verifier.verify(issuer.issue("alice", operations=["infer"], now=NOW).token, now=NOW)
    fresh_redis_server.stop()
    token = issuer.issue("alice", operations=["infer"], now=NOW).token
    with pytest.raises(GrantError) as e:
        verifier.verify(token, now=NOW)
    assert e.value.reason == "replay_cache_unavailable"
    assert e.value.code == "unavailable"
    fresh_redis_server.restart()
    assert verifier.verify(token, now=NOW).subject == "alice"
    with pytest.raises(GrantError) as e:
        verifier.verify(token, now=NOW)
    assert e.value.reason == "replayed"


def test_replay_cache_objects():
    cache = jitguard.MemoryReplayCache(capacity=2, shards=1)
    assert cache.name == "memory"
    cache.mark_used("a", NOW + 60, now=NOW)
    cache.mark_used("b", NOW + 60, now=NOW)
    with pytest.raises(GrantError) as e:
        cache.mark_used("c", NOW + 60, now=NOW)
    assert e.value.reason == "replay_cache_full"
    with pytest.raises(GrantError) as e:
        cache.mark_used("a", NOW + 60, now=NOW)
    assert e.value.reason == "replayed"
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.RedisReplayCache("http://nope")
    assert e.value.reason == "invalid_url"
    assert "secret" not in repr(jitguard.RedisReplayCache("redis://:secret@127.0.0.1:6379/0"))
