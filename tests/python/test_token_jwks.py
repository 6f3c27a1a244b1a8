"""jitguard.JwksClient against a real HTTP server on 127.0.0.1 (http.server in a thread).

The client is the C++ JwksKeySource. Tests that move a fake clock run it with
``background_refresh=False`` and call ``poll()`` where the background thread would refresh.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import jitguard
from test_token_support import AUDIENCE, ISSUER, NOW, Key, jwks


class IdP:
    """A tiny identity provider: discovery document, JWKS, and knobs to misbehave."""

    def __init__(self) -> None:
        self.jwks = {"keys": []}
        self.jwks_status = 200
        self.jwks_delay = 0.0
        self.jwks_hits = 0
        self.discovery_issuer = None  # defaults to the server's own base URL
        self.lock = threading.Lock()
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status, body, ctype="application/json"):
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                if self.path == "/.well-known/openid-configuration":
                    issuer = idp.discovery_issuer or idp.base
                    self._send(200, json.dumps({"issuer": issuer, "jwks_uri": idp.base + "/jwks.json"}))
                elif self.path == "/jwks.json":
                    with idp.lock:
                        idp.jwks_hits += 1
                    if idp.jwks_delay:
                        time.sleep(idp.jwks_delay)
                    if idp.jwks_status != 200:
                        self._send(idp.jwks_status, "{}")
                    else:
                        self._send(200, json.dumps(idp.jwks))
                elif self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", idp.base + "/jwks.json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/huge":
                    self._send(200, json.dumps({"keys": [], "pad": "x" * 200_000}))
                elif self.path == "/notjson":
                    self._send(200, "<html>")
                else:
                    self._send(404, "{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def idp():
    server = IdP()
    yield server
    server.close()


@pytest.fixture(scope="module")
def keys():
    return Key("ES256", "k1"), Key("ES256", "k2")


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_jwks_url_and_verifier(idp, keys):
    k1, _ = keys
    idp.jwks = jwks(k1)
    client = jitguard.JwksClient(idp.base + "/jwks.json")
    v = jitguard.TokenVerifier(jwks=client, issuer=ISSUER, audience=AUDIENCE)
    assert v.verify(k1.mint(), now=NOW).subject == "alice"
    assert idp.jwks_hits == 1


def test_discovery_by_issuer_and_by_url(idp, keys):
    k1, _ = keys
    idp.jwks = jwks(k1)
    by_issuer = jitguard.JwksClient(issuer=idp.base)
    assert json.loads(by_issuer.jwks())["keys"][0]["kid"] == "k1"
    by_url = jitguard.JwksClient(idp.base + "/.well-known/openid-configuration")
    assert json.loads(by_url.jwks())["keys"][0]["kid"] == "k1"
    # A discovery document for another issuer is refused.
    idp.discovery_issuer = "https://someone-else.example"
    impostor = jitguard.JwksClient(issuer=idp.base)
    with pytest.raises(jitguard.TokenError) as e:
        impostor.jwks()
    assert e.value.reason == "jwks_unavailable"
    assert "issuer" in impostor.last_error


def test_unknown_kid_refreshes_once_rate_limited_and_collapsed(idp, keys):
    k1, k2 = keys
    idp.jwks = jwks(k1)
    clock = FakeClock()
    client = jitguard.JwksClient(idp.base + "/jwks.json", min_refresh_interval=30, clock=clock,
                                 background_refresh=False)
    v = jitguard.TokenVerifier(jwks=client, issuer=ISSUER, audience=AUDIENCE)
    assert idp.jwks_hits == 1
    # The provider rotates in k2; the first k2 token triggers one refresh and verifies.
    idp.jwks = jwks(k1, k2)
    clock.t += 31
    assert v.verify(k2.mint(), now=NOW).subject == "alice"
    assert idp.jwks_hits == 2
    # Tokens with a kid nobody has: refresh at most once per interval.
    stranger = Key("ES256", "k3")
    for _ in range(5):
        with pytest.raises(jitguard.TokenError) as e:
            v.verify(stranger.mint(), now=NOW)
        assert e.value.reason == "unknown_key"
    assert idp.jwks_hits == 2  # still inside the 30 s window after the k2 refresh
    clock.t += 31
    with pytest.raises(jitguard.TokenError):
        v.verify(stranger.mint(), now=NOW)
    assert idp.jwks_hits == 3
    # Many threads hitting an unknown kid at once share one fetch.
    clock.t += 31
    idp.jwks_delay = 0.3
    k4 = Key("ES256", "k4")
    idp.jwks = jwks(k1, k2, k4)
    results = []

    def worker():
        try:
            results.append(v.verify(k4.mint(), now=NOW).subject)
        except jitguard.TokenError as e:
            results.append(e.reason)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["alice"] * 8
    assert idp.jwks_hits == 4


def test_failed_refresh_keeps_the_last_good_keys(idp, keys):
    k1, k2 = keys
    idp.jwks = jwks(k1)
    clock = FakeClock()
    client = jitguard.JwksClient(idp.base + "/jwks.json", refresh_interval=60, min_refresh_interval=1,
                                 clock=clock, background_refresh=False)
    v = jitguard.TokenVerifier(jwks=client, issuer=ISSUER, audience=AUDIENCE)
    idp.jwks_status = 500
    clock.t += 120  # due for a periodic refresh, which fails
    client.poll()
    assert v.verify(k1.mint(), now=NOW).subject == "alice"
    assert client.last_error == "HTTP 500"
    # Garbage that parses as a JWKS with no usable key is refused by the verifier: k1 still works.
    idp.jwks_status = 200
    idp.jwks = {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "bad"}]}
    clock.t += 120
    client.poll()
    assert client.last_error is None
    assert v.verify(k1.mint(), now=NOW).subject == "alice"
    assert v.key_ids == ["k1"]
    # Recovery: the next good JWKS is picked up.
    idp.jwks = jwks(k2)
    clock.t += 120
    client.poll()
    assert v.verify(k2.mint(), now=NOW).subject == "alice"


def test_transport_rules(idp):
    with pytest.raises(jitguard.ConfigError):
        jitguard.JwksClient("http://idp.example/jwks.json")  # plain HTTP off loopback
    with pytest.raises(jitguard.ConfigError):
        jitguard.JwksClient("ftp://127.0.0.1/jwks.json")
    with pytest.raises(jitguard.ConfigError):
        jitguard.JwksClient()
    redirect = jitguard.JwksClient(idp.base + "/redirect")
    with pytest.raises(jitguard.TokenError):
        redirect.jwks()
    assert redirect.last_error == "redirects are not followed"
    huge = jitguard.JwksClient(idp.base + "/huge", max_bytes=64 * 1024)
    with pytest.raises(jitguard.TokenError):
        huge.jwks()
    assert "larger" in huge.last_error
    notjson = jitguard.JwksClient(idp.base + "/notjson")
    with pytest.raises(jitguard.TokenError):
        notjson.jwks()
    missing = jitguard.JwksClient(idp.base + "/missing")
    with pytest.raises(jitguard.TokenError):
        missing.jwks()
    assert missing.last_error == "HTTP 404"


def test_verifier_creation_fails_when_the_jwks_is_unreachable():
    client = jitguard.JwksClient("http://127.0.0.1:9/jwks.json", timeout=1)
    with pytest.raises(jitguard.TokenError) as e:
        jitguard.TokenVerifier(jwks=client, issuer=ISSUER, audience=AUDIENCE)
    assert e.value.reason == "jwks_unavailable"


def test_background_refresh_without_a_request(idp, keys):
    k1, k2 = keys
    idp.jwks = jwks(k1)
    client = jitguard.JwksClient(idp.base + "/jwks.json", refresh_interval=0.2)
    v = jitguard.TokenVerifier(jwks=client, issuer=ISSUER, audience=AUDIENCE)
    assert v.verify(k1.mint(), now=NOW).subject == "alice"
    # The provider rotates; nobody calls the client: its thread fetches the new set.
    idp.jwks = jwks(k2)
    deadline = time.monotonic() + 20
    while json.loads(client.jwks())["keys"][0]["kid"] != "k2":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.fetches >= 2
    assert v.verify(k2.mint(), now=NOW).subject == "alice"


def test_a_clock_needs_caller_driven_refresh(idp):
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.JwksClient(idp.base + "/jwks.json", clock=FakeClock())
    assert e.value.reason == "bad_value"
