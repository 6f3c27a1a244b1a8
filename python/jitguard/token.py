"""Bearer-token verification: OIDC/JWT access tokens checked against a JWKS (or PEM keys).

>>> v = jitguard.TokenVerifier(jwks=jwks_json, issuer="https://idp.example", audience="api://app")
>>> ident = v.verify(token)            # raises jitguard.TokenError(.reason) when rejected
>>> ident.subject, ident.groups

Keys can also come from the identity provider itself: ``TokenVerifier(jwks=JwksClient(...), ...)``
fetches the JWKS over HTTPS (OIDC discovery or a JWKS URL), refreshes it periodically and when a
token names a key id it does not know yet (rate-limited, one fetch shared by every waiting thread),
and keeps the last good keys when a refresh fails.

Verification runs in C++ with the GIL released; see include/jitguard/token.h for the security model
and docs/tokens.md for the reasons a token can be rejected.
"""
from __future__ import annotations

import ipaddress
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _core
from .errors import ConfigError, TokenError

__all__ = ["Identity", "TokenVerifier", "JwksClient"]

_Keys = Union[str, bytes, Mapping[str, Any]]


class Identity:
    """Who is calling, as asserted by a verified token.

    Attributes:
        subject: the ``sub`` claim.
        issuer: the ``iss`` claim.
        groups: the groups from the configured claim (a list of str; empty when absent).
        expires_at: ``exp`` as Unix seconds (float), or None when the token has none.
        token_id: ``jti``, or "" when absent.
        claims: every claim, as a dict (parsed on first access).
        claims_json: every claim, as the JSON text the token carried.
    """

    __slots__ = ("subject", "issuer", "groups", "expires_at", "token_id", "claims_json", "_claims")

    def __init__(self, subject: str, issuer: str, groups: List[str], expires_at: Optional[float],
                 token_id: str, claims_json: str) -> None:
        self.subject = subject
        self.issuer = issuer
        self.groups = groups
        self.expires_at = expires_at
        self.token_id = token_id
        self.claims_json = claims_json
        self._claims: Optional[Dict[str, Any]] = None

    @property
    def claims(self) -> Dict[str, Any]:
        if self._claims is None:
            self._claims = json.loads(self.claims_json)
        return self._claims

    def __repr__(self) -> str:
        return (f"Identity(subject={self.subject!r}, issuer={self.issuer!r}, groups={self.groups!r}, "
                f"expires_at={self.expires_at!r}, token_id={self.token_id!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Identity):
            return NotImplemented
        return (self.subject, self.issuer, self.groups, self.expires_at, self.token_id,
                self.claims_json) == (other.subject, other.issuer, other.groups, other.expires_at,
                                      other.token_id, other.claims_json)


def _as_list(value: Union[None, str, Iterable[str]], name: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    out = list(value)
    if not all(isinstance(v, str) for v in out):
        raise ConfigError(f"{name}: must be a string or a list of strings", reason="bad_value")
    return out


def _jwks_text(jwks: _Keys) -> str:
    if isinstance(jwks, (bytes, bytearray)):
        return bytes(jwks).decode("utf-8")
    if isinstance(jwks, str):
        return jwks
    if isinstance(jwks, Mapping):
        return json.dumps(jwks)
    raise ConfigError("jwks: must be a JSON string, a dict or a JwksClient", reason="bad_value")


class TokenVerifier:
    """Verifies bearer tokens; create once, share between threads, call :meth:`verify` per request.

    Args:
        jwks: the keys: a JWKS as JSON text or a dict, or a :class:`JwksClient`. May be None when
            ``pem_keys`` or ``hmac_secret`` are given.
        issuer: accepted ``iss`` value(s), exact match.
        audience: accepted audience(s). Required unless ``audience_policy="none"``.
        algorithms: allowed algorithms (e.g. ``["RS256", "ES256"]``); None = whatever the keys admit.
        leeway: clock skew tolerated on exp/nbf/iat, in seconds.
        groups_claim: claim holding the groups: a name (``"groups"``, ``"roles"``,
            ``"cognito:groups"``) or a dotted path (``"realm_access.roles"``).
        pem_keys: PEM public keys, each a str or a ``(pem, alg, kid)`` tuple (alg/kid may be "").
        hmac_secret: an HMAC secret (bytes, >= 32 bytes) for HS256/384/512 tokens.
        require_exp: tokens without ``exp`` are rejected (default True).
        require_subject: tokens without ``sub`` are rejected (default True).
        max_lifetime: maximum ``exp - iat`` in seconds, or None.
        required_claims: claims that must be present.
        typ: accepted ``typ`` header values (e.g. ``"at+jwt"``), or None for any.
        audience_policy: ``"aud"`` (default), ``"aud_or_azp"`` (accept ``azp``/``client_id`` when the
            token has no ``aud``, as Cognito access tokens), or ``"none"``.
        max_token_size: tokens longer than this are rejected before decoding ("too_large").
        cache_size: verified tokens remembered (0 disables the cache).
    """

    def __init__(self, jwks: Union[None, _Keys, "JwksClient"] = None, *,
                 issuer: Union[str, Sequence[str], None] = None,
                 audience: Union[str, Sequence[str], None] = None,
                 algorithms: Optional[Sequence[str]] = None, leeway: float = 60.0,
                 groups_claim: str = "groups",
                 pem_keys: Optional[Sequence[Union[str, Sequence[str]]]] = None,
                 hmac_secret: Optional[bytes] = None, require_exp: bool = True,
                 require_subject: bool = True, max_lifetime: Optional[float] = None,
                 required_claims: Sequence[str] = (), typ: Union[None, str, Sequence[str]] = None,
                 audience_policy: str = "aud", max_token_size: int = 16 * 1024,
                 cache_size: int = 16384) -> None:
        self._client: Optional[JwksClient] = jwks if isinstance(jwks, JwksClient) else None
        self._client_version = -1
        self._update_lock = threading.Lock()
        self.last_update_error: Optional[str] = None
        if self._client is not None:
            jwks_text = self._client.jwks()
            self._client_version = self._client.version
        else:
            jwks_text = "" if jwks is None else _jwks_text(jwks)
        pems = []
        for entry in pem_keys or ():
            if isinstance(entry, str):
                pems.append((entry, "", ""))
            else:
                pem, alg, kid = (list(entry) + ["", ""])[:3]
                pems.append((pem, alg or "", kid or ""))
        hmacs = []
        if hmac_secret is not None:
            if isinstance(hmac_secret, str):
                hmac_secret = hmac_secret.encode("utf-8")
            hmacs.append((bytes(hmac_secret), "", ""))
        issuers = _as_list(issuer, "issuer")
        if not issuers:
            raise ConfigError("issuer: at least one issuer is required", reason="missing_key")
        audiences = _as_list(audience, "audience")
        if not audiences and audience_policy != "none":
            raise ConfigError("audience: at least one audience is required", reason="missing_key")
        if isinstance(leeway, bool) or not isinstance(leeway, (int, float)) or leeway < 0:
            raise ConfigError("leeway: must be a non-negative number of seconds", reason="bad_value")
        self._leeway = float(leeway)
        self._core = _core.TokenVerifier.create(
            jwks_text, pems, hmacs, issuers, audiences, audience_policy,
            _as_list(algorithms, "algorithms"), float(leeway), groups_claim, bool(require_exp),
            None if max_lifetime is None else float(max_lifetime), list(required_claims),
            _as_list(typ, "typ"), int(max_token_size), int(cache_size), bool(require_subject))

    def verify(self, token: Union[str, bytes], now: Optional[float] = None) -> Identity:
        """Verifies ``token`` (at Unix time ``now``, default the clock) and returns the identity.

        Raises :class:`jitguard.TokenError` with ``.reason`` one of ``malformed``, ``too_large``,
        ``bad_signature``, ``unknown_key``, ``algorithm``, ``crit``, ``expired``,
        ``not_yet_valid``, ``issuer``, ``audience``, ``claims``, ``typ``.
        """
        if now is None:
            now = time.time()
        client = self._client
        if client is not None:
            client.poll()
            if client.version != self._client_version:
                self._sync_from_client()
            synced = self._client_version
            try:
                return Identity(*self._core.verify(token, now))
            except TokenError as e:
                if e.reason != "unknown_key":
                    raise
                # A key the provider may have published since: one (rate-limited, shared) refresh.
                client.refresh_for_unknown_kid()
                if client.version != self._client_version:
                    self._sync_from_client()
                if self._client_version == synced:
                    raise
        return Identity(*self._core.verify(token, now))

    def verify_jws(self, jws: Union[str, bytes]) -> bytes:
        """Checks only the JWS (strict parsing, key, algorithm, signature) and returns the payload."""
        return self._core.verify_jws(jws)

    def update_keys(self, jwks: _Keys) -> None:
        """Replaces the JWKS keys atomically; a JWKS that yields no usable key changes nothing."""
        self._core.update_keys(_jwks_text(jwks))

    def _sync_from_client(self) -> None:
        assert self._client is not None
        with self._update_lock:
            version = self._client.version
            if version == self._client_version:
                return
            try:
                self._core.update_keys(self._client.jwks())
                self.last_update_error: Optional[str] = None
            except TokenError as e:
                # The provider published a JWKS without a usable key: keep the current keys.
                self.last_update_error = e.message
            finally:
                # A JWKS the verifier refuses is not retried on every call; the next change is.
                self._client_version = version

    @property
    def key_ids(self) -> List[str]:
        """The kids of the keys in use."""
        return list(self._core.key_ids)

    @property
    def key_count(self) -> int:
        return int(self._core.key_count)

    @property
    def key_problems(self) -> List[str]:
        """Keys of the last JWKS that were skipped or refused, and why (never key material)."""
        return list(self._core.key_problems)

    @property
    def cache_entries(self) -> int:
        return int(self._core.cache_entries)


# ---- JWKS fetching -----------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        raise urllib.error.HTTPError(req.full_url, code, "redirects are not followed", headers, fp)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, what: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url  # plain HTTP only on loopback (tests, sidecars)
    raise ConfigError(f"{what}: must be an https:// URL (http:// only for loopback)", reason="bad_url")


class JwksClient:
    """Fetches an identity provider's JWKS, for :class:`TokenVerifier`.

    Args:
        url: the JWKS URL (``https://idp/.well-known/jwks.json``), or an OIDC discovery document URL
            (ending in ``/.well-known/openid-configuration``).
        issuer: instead of ``url``: the issuer; its discovery document is read from
            ``<issuer>/.well-known/openid-configuration`` and must name the same issuer.
        refresh_interval: seconds after which the keys are refreshed on the next use (default 3600).
        min_refresh_interval: at most one refresh for an unknown kid per this many seconds (default 30).
        timeout: per-request timeout in seconds.
        max_bytes: largest response accepted.

    HTTPS only (plain HTTP only for loopback addresses), redirects are never followed, responses
    larger than ``max_bytes`` are refused. A failed refresh keeps the last good keys (see
    ``last_error``). Thread-safe: concurrent refreshes collapse into one fetch.
    """

    def __init__(self, url: Optional[str] = None, *, issuer: Optional[str] = None,
                 refresh_interval: float = 3600.0, min_refresh_interval: float = 30.0,
                 timeout: float = 5.0, max_bytes: int = 1 << 20, clock=time.monotonic) -> None:
        if (url is None) == (issuer is None):
            raise ConfigError("JwksClient: give exactly one of url or issuer", reason="bad_value")
        self._issuer = issuer.rstrip("/") if issuer else None
        if issuer is not None:
            self._discovery_url: Optional[str] = _check_url(
                self._issuer + "/.well-known/openid-configuration", "issuer")
            self._jwks_url: Optional[str] = None
        elif url.rstrip("/").endswith("/.well-known/openid-configuration"):
            self._discovery_url = _check_url(url, "url")
            self._jwks_url = None
        else:
            self._discovery_url = None
            self._jwks_url = _check_url(url, "url")
        self._refresh_interval = float(refresh_interval)
        self._min_refresh_interval = float(min_refresh_interval)
        self._timeout = float(timeout)
        self._max_bytes = int(max_bytes)
        self._clock = clock
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._fetching = False
        self._jwks: Optional[str] = None
        self._fetched_at: Optional[float] = None
        self._last_attempt: Optional[float] = None
        self._generation = 0  # completed fetch attempts
        self.version = 0  # increments whenever the keys change
        self.fetches = 0  # HTTP fetch attempts of the JWKS (for tests and metrics)
        self.last_error: Optional[str] = None

    # -- public --------------------------------------------------------------------------------

    def jwks(self) -> str:
        """The current JWKS text; fetches it first when there is none yet or it is due a refresh.

        Raises TokenError(reason="jwks_unavailable") when no JWKS was ever fetched successfully.
        """
        with self._lock:
            due = self._jwks is None or (self._clock() - (self._fetched_at or 0.0)) >= self._refresh_interval
        if due:
            self._refresh(min_interval=0.0 if self._jwks is None else self._min_refresh_interval)
        with self._lock:
            if self._jwks is None:
                raise TokenError(f"the JWKS could not be fetched ({self.last_error})",
                                 reason="jwks_unavailable", code="unavailable")
            return self._jwks

    def poll(self) -> None:
        """Refreshes in the calling thread when the keys are older than ``refresh_interval``; returns
        at once when they are fresh or another thread is already fetching."""
        fetched_at = self._fetched_at
        if fetched_at is not None and self._clock() - fetched_at < self._refresh_interval:
            return
        with self._lock:
            if self._fetching or self._jwks is None:
                return
        self._refresh(min_interval=self._min_refresh_interval)

    def refresh(self) -> bool:
        """Fetches now (sharing a fetch already in flight). True when the keys changed."""
        return self._refresh(min_interval=0.0)

    def refresh_for_unknown_kid(self) -> bool:
        """The refresh a verifier asks for when a token names an unknown kid: at most one per
        ``min_refresh_interval``, and shared by every thread asking meanwhile. True when the keys
        changed."""
        return self._refresh(min_interval=self._min_refresh_interval)

    # -- internals -----------------------------------------------------------------------------

    def _refresh(self, min_interval: float) -> bool:
        with self._lock:
            version = self.version
            if self._fetching:
                # Someone is fetching: wait for that fetch instead of starting another.
                generation = self._generation
                while self._fetching and self._generation == generation:
                    self._done.wait()
                return self.version != version
            now = self._clock()
            if (min_interval > 0 and self._last_attempt is not None
                    and now - self._last_attempt < min_interval):
                return False
            self._fetching = True
            self._last_attempt = now
        text: Optional[str] = None
        error: Optional[str] = None
        try:
            text = self._fetch_jwks()
        except Exception as e:  # noqa: BLE001  (any failure keeps the last good keys)
            error = _describe(e)
        with self._lock:
            self._fetching = False
            self._generation += 1
            if text is not None:
                self._fetched_at = self._clock()
                self.last_error = None
                if text != self._jwks:
                    self._jwks = text
                    self.version += 1
            else:
                self.last_error = error
            self._done.notify_all()
            return self.version != version

    def _get_json(self, url: str) -> Any:
        req = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "jitguard-jwks-client"})
        with self._opener.open(req, timeout=self._timeout) as resp:
            if resp.status != 200:
                raise OSError(f"HTTP {resp.status}")
            body = resp.read(self._max_bytes + 1)
        if len(body) > self._max_bytes:
            raise OSError(f"response larger than {self._max_bytes} bytes")
        try:
            return json.loads(body.decode("utf-8"))
        except ValueError:
            raise OSError("response is not JSON") from None

    def _fetch_jwks(self) -> str:
        jwks_url = self._jwks_url
        if jwks_url is None:
            assert self._discovery_url is not None
            doc = self._get_json(self._discovery_url)
            if not isinstance(doc, dict) or not isinstance(doc.get("jwks_uri"), str):
                raise OSError("the discovery document has no jwks_uri")
            if self._issuer is not None and doc.get("issuer", "").rstrip("/") != self._issuer:
                raise OSError("the discovery document names another issuer")
            jwks_url = _check_url(doc["jwks_uri"], "jwks_uri")
        with self._lock:
            self.fetches += 1
        doc = self._get_json(jwks_url)
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise OSError("the response is not a JWKS")
        return json.dumps(doc, sort_keys=True)


def _describe(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code}"
    if isinstance(e, urllib.error.URLError):
        return f"connection failed: {type(e.reason).__name__}"
    if isinstance(e, ConfigError):
        return e.message
    return str(e) or type(e).__name__
