"""jitguard.TokenVerifier from Python: identity, rejections with reasons, rotation, GIL release."""
from __future__ import annotations

import json
import threading
import time

import pytest

import jitguard
from test_token_support import AUDIENCE, ISSUER, NOW, Key, b64, default_claims, jwks, wall_clock_claims


@pytest.fixture(scope="module")
def es():
    return Key("ES256", "es-1")


@pytest.fixture(scope="module")
def rs():
    return Key("RS256", "rs-1")


@pytest.fixture(scope="module")
def verifier(es, rs):
    return jitguard.TokenVerifier(jwks=jwks(es, rs), issuer=ISSUER, audience=AUDIENCE)


def reason(v, token, now=NOW):
    with pytest.raises(jitguard.TokenError) as e:
        v.verify(token, now=now)
    assert isinstance(e.value, jitguard.Error)
    return e.value.reason


def test_identity(verifier, es):
    ident = verifier.verify(es.mint(), now=NOW)
    assert isinstance(ident, jitguard.Identity)
    assert ident.subject == "alice"
    assert ident.issuer == ISSUER
    assert ident.groups == ["eng", "ml"]
    assert ident.expires_at == NOW + 300
    assert ident.token_id == "tok-1"
    assert ident.claims["aud"] == AUDIENCE
    assert json.loads(ident.claims_json) == ident.claims
    assert "alice" in repr(ident)


@pytest.mark.parametrize("kind", ["RS256", "PS256", "ES256", "EdDSA"])
def test_every_asymmetric_algorithm(kind):
    key = Key(kind, "k")
    v = jitguard.TokenVerifier(jwks=json.dumps(jwks(key)), issuer=ISSUER, audience=AUDIENCE)
    assert v.verify(key.mint(), now=NOW).subject == "alice"


def test_hmac_secret_and_pem_keys(es):
    hs = Key("HS256", "h", secret=b"s" * 32)
    v = jitguard.TokenVerifier(hmac_secret=b"s" * 32, issuer=ISSUER, audience=AUDIENCE)
    assert v.verify(hs.mint(), now=NOW).subject == "alice"
    with pytest.raises(jitguard.TokenError) as e:
        jitguard.TokenVerifier(hmac_secret=b"short", issuer=ISSUER, audience=AUDIENCE)
    assert e.value.reason == "bad_key"
    pem = jitguard.TokenVerifier(pem_keys=[es.public_pem()], issuer=ISSUER, audience=AUDIENCE,
                                 algorithms=["ES256"])
    assert pem.verify(es.mint(), now=NOW).subject == "alice"


def test_rejection_reasons(verifier, es, rs):
    assert reason(verifier, es.mint(), now=NOW + 300 + 60) == "expired"
    assert reason(verifier, es.mint(nbf=int(NOW) + 120)) == "not_yet_valid"
    assert reason(verifier, es.mint(iss="https://evil.example")) == "issuer"
    assert reason(verifier, es.mint(aud="other")) == "audience"
    assert reason(verifier, es.mint(exp=None)) == "claims"
    assert reason(verifier, es.mint(exp="soon")) == "claims"
    assert reason(verifier, es.mint(header={"kid": "unknown"})) == "unknown_key"
    assert reason(verifier, es.mint(header={"alg": "none"})) == "algorithm"
    assert reason(verifier, es.mint(header={"crit": ["x"], "x": 1})) == "crit"
    assert reason(verifier, "a.b") == "malformed"
    assert reason(verifier, "x" * 20000) == "too_large"
    token = es.mint()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert reason(verifier, forged) == "bad_signature"
    # RS -> HS confusion with the public key as the secret.
    confused = Key("HS256", "rs-1", secret=rs.public_pem().encode())
    assert reason(verifier, confused.mint(header={"alg": "HS256"})) == "algorithm"


def test_messages_never_echo_the_token(verifier, es):
    token = es.mint(sub="secret-subject-value", iss="https://evil.example")
    with pytest.raises(jitguard.TokenError) as e:
        verifier.verify(token, now=NOW)
    text = str(e.value) + repr(e.value)
    for part in token.split("."):
        assert part[:16] not in text
    assert "secret-subject-value" not in text


def test_options(es):
    v = jitguard.TokenVerifier(jwks=jwks(es), issuer=[ISSUER, "https://other"], audience=["x", AUDIENCE],
                               groups_claim="realm_access.roles", leeway=0, typ="at+jwt",
                               required_claims=["scope"], max_lifetime=3600)
    good = es.mint(realm_access={"roles": ["kc-admin"]}, scope="read", header={"typ": "at+jwt"})
    assert v.verify(good, now=NOW).groups == ["kc-admin"]
    assert reason(v, es.mint(scope="read")) == "typ"
    assert reason(v, es.mint(header={"typ": "at+jwt"})) == "claims"
    assert reason(v, es.mint(scope="read", header={"typ": "at+jwt"}), now=NOW + 300) == "expired"
    cognito = jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience="client-123",
                                     audience_policy="aud_or_azp", groups_claim="cognito:groups")
    tok = es.mint(aud=None, client_id="client-123", **{"cognito:groups": ["pool-admins"]})
    assert cognito.verify(tok, now=NOW).groups == ["pool-admins"]
    optional = jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE, require_exp=False)
    assert optional.verify(es.mint(exp=None), now=NOW).expires_at is None


def test_bad_configuration(es):
    with pytest.raises(jitguard.ConfigError):
        jitguard.TokenVerifier(jwks=jwks(es), audience=AUDIENCE)
    with pytest.raises(jitguard.ConfigError):
        jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER)
    with pytest.raises(jitguard.ConfigError):
        jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE, leeway=-1)
    with pytest.raises(jitguard.TokenError) as e:
        jitguard.TokenVerifier(jwks="{not json", issuer=ISSUER, audience=AUDIENCE)
    assert e.value.reason == "bad_key"
    with pytest.raises(jitguard.TokenError) as e:
        jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE, algorithms=["none"])
    assert e.value.reason == "config"


def test_update_keys_rotates_and_a_bad_update_changes_nothing(es, rs):
    v = jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE)
    assert v.key_ids == ["es-1"]
    assert reason(v, rs.mint()) == "unknown_key"
    v.update_keys(jwks(es, rs))
    assert sorted(v.key_ids) == ["es-1", "rs-1"]
    assert v.verify(rs.mint(), now=NOW).subject == "alice"
    for bad in ("{", {"keys": []}, {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}):
        with pytest.raises(jitguard.TokenError):
            v.update_keys(bad)
    assert sorted(v.key_ids) == ["es-1", "rs-1"]
    v.update_keys(json.dumps(jwks(rs)))
    assert reason(v, es.mint()) == "unknown_key"


def test_cache_rechecks_time(es):
    v = jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE)
    token = es.mint()
    assert v.verify(token, now=NOW).subject == "alice"
    assert v.cache_entries == 1
    assert v.verify(token, now=NOW).subject == "alice"
    assert reason(v, token, now=NOW + 400) == "expired"


def test_default_clock_is_now(es):
    v = jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE)
    assert v.verify(es.mint(wall_clock_claims())).subject == "alice"
    past = int(time.time()) - 3600
    assert reason(v, es.mint(iat=past - 60, exp=past), now=None) == "expired"


def test_bytes_tokens_and_verify_jws(es):
    v = jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE)
    assert v.verify(es.mint().encode(), now=NOW).subject == "alice"
    signing_input = b64(json.dumps({"alg": "ES256", "kid": "es-1"}).encode()) + "." + b64(b"not json")
    jws = signing_input + "." + b64(es.sign(signing_input.encode()))
    assert v.verify_jws(jws) == b"not json"
    assert reason(v, jws) == "malformed"


def test_verify_releases_the_gil(es):
    # With the GIL released in C++, a pure-Python thread keeps running while other threads verify.
    v = jitguard.TokenVerifier(jwks=jwks(es), issuer=ISSUER, audience=AUDIENCE, cache_size=0)
    tokens = [es.mint(sub=f"u{i}") for i in range(8)]
    stop = threading.Event()
    errors = []

    def work():
        try:
            while not stop.is_set():
                for t in tokens:
                    v.verify(t, now=NOW)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    ticks = 0
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        ticks += 1
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert ticks > 1000


def test_concurrent_verify_and_rotation(es, rs):
    v = jitguard.TokenVerifier(jwks=jwks(es, rs), issuer=ISSUER, audience=AUDIENCE, cache_size=16)
    es_tokens = [es.mint(sub=f"e{i}") for i in range(4)]
    rs_token = rs.mint()
    failures = []
    stop = threading.Event()

    def work():
        while not stop.is_set():
            for t in es_tokens:
                try:
                    v.verify(t, now=NOW)
                except jitguard.TokenError as e:
                    failures.append(e.reason)
            try:
                v.verify(rs_token, now=NOW)
            except jitguard.TokenError as e:
                if e.reason != "unknown_key":
                    failures.append(e.reason)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(100):
        v.update_keys(jwks(es) if i % 2 else jwks(es, rs))
    stop.set()
    for t in threads:
        t.join()
    assert failures == []
