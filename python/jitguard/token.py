"""Bearer-token verification: OIDC/JWT access tokens checked against a JWKS (or PEM keys).

>>> v = jitguard.TokenVerifier(jwks=jwks_json, issuer="https://idp.example", audience="api://app")
>>> ident = v.verify(token)            # raises jitguard.TokenError(.reason) when rejected
>>> ident.subject, ident.groups

Keys can also come from the identity provider itself: ``TokenVerifier(jwks=JwksClient(...), ...)``
fetches the JWKS over HTTPS (OIDC discovery or a JWKS URL), refreshes it periodically in a background
thread and when a token names a key id it does not know yet (rate-limited, one fetch shared by every
waiting thread), and keeps the last good keys when a refresh fails. ``JwksClient`` is the C++
fetching KeySource (``jitguard::JwksKeySource``); nothing of it is written again in Python.

Verification runs in C++ with the GIL released; see include/jitguard/token.h for the security model
and docs/tokens.md for the reasons a token can be rejected.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

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
        if self._client is not None:
            # The first keys (raises TokenError "jwks_unavailable" when they cannot be fetched); the
            # C++ verifier follows the client's key source from then on.
            self._client.jwks()
            jwks_text = ""
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
            jwks=jwks_text, pem_keys=pems, hmac_keys=hmacs, issuers=issuers, audiences=audiences,
            audience_policy=audience_policy, algorithms=_as_list(algorithms, "algorithms"),
            leeway=float(leeway), groups_claim=groups_claim, require_exp=bool(require_exp),
            max_lifetime=None if max_lifetime is None else float(max_lifetime),
            required_claims=list(required_claims), typ=_as_list(typ, "typ"),
            max_token_size=int(max_token_size), cache_size=int(cache_size),
            require_subject=bool(require_subject),
            key_source=None if self._client is None else self._client._core)

    def verify(self, token: Union[str, bytes], now: Optional[float] = None) -> Identity:
        """Verifies ``token`` (at Unix time ``now``, default the clock) and returns the identity.

        Raises :class:`jitguard.TokenError` with ``.reason`` one of ``malformed``, ``too_large``,
        ``bad_signature``, ``unknown_key``, ``algorithm``, ``crit``, ``expired``,
        ``not_yet_valid``, ``issuer``, ``audience``, ``claims``, ``typ``.
        """
        if now is None:
            now = time.time()
        # With a JwksClient the C++ verifier installs its new keys and asks it once about an
        # unknown kid (rate-limited, shared, bounded wait): see include/jitguard/token.h.
        return Identity(*self._core.verify(token, now))

    def verify_jws(self, jws: Union[str, bytes]) -> bytes:
        """Checks only the JWS (strict parsing, key, algorithm, signature) and returns the payload."""
        return self._core.verify_jws(jws)

    def update_keys(self, jwks: _Keys) -> None:
        """Replaces the JWKS keys atomically; a JWKS that yields no usable key changes nothing."""
        self._core.update_keys(_jwks_text(jwks))

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

class JwksClient:
    """Fetches an identity provider's JWKS, for :class:`TokenVerifier` (the C++ JwksKeySource).

    Args:
        url: the JWKS URL (``https://idp/.well-known/jwks.json``), or an OIDC discovery document URL
            (ending in ``/.well-known/openid-configuration``).
        issuer: instead of ``url``: the issuer; its discovery document is read from
            ``<issuer>/.well-known/openid-configuration`` and must name the same issuer.
        refresh_interval: seconds after which the keys are fetched again (default 3600).
        min_refresh_interval: at most one refresh for an unknown kid per this many seconds (default
            30); also the retry delay after a failed fetch.
        timeout: per-document timeout in seconds: name resolution, connect, TLS and response.
        max_bytes: largest response accepted.
        ca_file: PEM file of extra trust anchors besides the system store.
        background_refresh: True (default): a background thread refreshes the keys when they are
            due and runs the unknown-kid refreshes (a request waits for the one it triggered at most
            ``timeout``). False: nothing runs on its own; :meth:`poll` refreshes when due, on the
            calling thread (for tests and single-threaded tools).
        clock: a monotonic clock in seconds for the refresh decisions (tests); only with
            ``background_refresh=False``.

    HTTPS only (plain HTTP only for loopback addresses), the server certificate verified, redirects
    never followed, responses larger than ``max_bytes`` refused. A failed refresh keeps the last
    good keys (see ``last_error``). Thread-safe: concurrent refreshes collapse into one fetch.
    """

    def __init__(self, url: Optional[str] = None, *, issuer: Optional[str] = None,
                 refresh_interval: float = 3600.0, min_refresh_interval: float = 30.0,
                 timeout: float = 5.0, max_bytes: int = 1 << 20, ca_file: Optional[str] = None,
                 background_refresh: bool = True,
                 clock: Optional[Callable[[], float]] = None) -> None:
        if (url is None) == (issuer is None):
            raise ConfigError("JwksClient: give exactly one of url or issuer", reason="bad_value")
        self._timeout = float(timeout)
        self._core = _core.JwksKeySource.create(
            url or "", issuer or "", float(refresh_interval), float(min_refresh_interval),
            self._timeout, int(max_bytes), ca_file or "", bool(background_refresh), clock)

    def jwks(self) -> str:
        """The current JWKS text. Without keys yet, waits for the first fetch (fetching it on this
        thread when ``background_refresh=False``); else refreshes first when they are due (on this
        thread, only when ``background_refresh=False``: the background thread does it otherwise).

        Raises TokenError(reason="jwks_unavailable") when no JWKS was ever fetched successfully.
        """
        # A discovery URL costs two documents, each within the timeout.
        return self._core.jwks(2 * self._timeout + 1)

    def poll(self) -> None:
        """Refreshes in the calling thread when the keys are due; returns at once when they are
        fresh or another thread is already fetching (what the background thread runs)."""
        self._core.poll()

    def refresh(self) -> bool:
        """Fetches now (sharing a fetch already in flight). True when the keys changed."""
        return bool(self._core.refresh())

    def refresh_for_unknown_kid(self) -> bool:
        """The refresh a verifier asks for when a token names an unknown kid: at most one per
        ``min_refresh_interval``, and shared by every thread asking meanwhile. True when the keys
        changed."""
        return bool(self._core.refresh_for_unknown_kid())

    @property
    def version(self) -> int:
        """Grows whenever the keys change (0: none yet)."""
        return int(self._core.version)

    @property
    def fetches(self) -> int:
        """Fetch attempts of the JWKS document so far."""
        return int(self._core.fetches)

    @property
    def last_error(self) -> Optional[str]:
        """Why the last fetch failed; None after a success."""
        return self._core.last_error or None
