"""Just-in-time grants: short-lived, single-use tokens scoped to exactly one call.

>>> issuer = jitguard.GrantIssuer(private_key_pem)            # or an HMAC secret (bytes, >= 32)
>>> ig = issuer.issue("alice", datasets=["hr"], operations=["infer"], model="gpt-x", ttl=60)
>>> str(ig)                                                    # the token, for the data store
>>> gv = jitguard.GrantVerifier(public_key_pem, replay_cache=jitguard.RedisReplayCache(url))
>>> g = gv.verify(ig.token, dataset="hr", operation="infer")   # once; again -> GrantError("replayed")

Grants are JWS tokens with ``typ: jitguard-grant+jwt`` signed with ES256 (P-256 PEM), EdDSA
(Ed25519 PEM) or HS256 (secret of at least 32 bytes). Single use is enforced by a replay cache:
:class:`MemoryReplayCache` for one process, :class:`RedisReplayCache` for many replicas (fail closed:
when Redis cannot answer, verification raises ``GrantError(reason="replay_cache_unavailable")``).
Rejections raise :class:`jitguard.GrantError` with ``.reason``: ``replayed``, ``revoked``,
``expired``, ``not_yet_valid``, ``lifetime``, ``scope``, ``bad_signature``, ``typ``, ``issuer``,
``algorithm``, ``unknown_key``, ``malformed``, ``too_large``, ``replay_cache_unavailable``,
``replay_cache_full``. See include/jitguard/grant.h.

Key material: ``bytes`` or ``str``. PEM text (``-----BEGIN ...``) is a key; text starting with ``{``
(or a dict) is a JWKS (verifier only); anything else is an HMAC secret (pass secrets as bytes).
Times are Unix seconds (float); ``now=None`` means the clock.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _core
from .errors import ConfigError

__all__ = [
    "GrantIssuer",
    "GrantVerifier",
    "IssuedGrant",
    "Grant",
    "ReplayCache",
    "MemoryReplayCache",
    "RedisReplayCache",
]

KeyMaterial = Union[str, bytes, bytearray, memoryview, Mapping[str, Any]]
AuditTarget = Union[None, Callable[[dict], Any], Any]


def _seconds(value: Union[int, float, _dt.timedelta], name: str) -> float:
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number of seconds or a timedelta", reason="invalid_options")
    return float(value)


def _key(material: KeyMaterial) -> Tuple[str, bytes]:
    if isinstance(material, Mapping):
        return "jwks", json.dumps(material).encode()
    if isinstance(material, str):
        data = material.encode()
    elif isinstance(material, (bytes, bytearray, memoryview)):
        data = bytes(material)
    else:
        raise ConfigError("key material must be str, bytes or a JWKS dict", reason="bad_key")
    head = data.lstrip()
    if head.startswith(b"-----BEGIN"):
        return "pem", data
    if head.startswith(b"{"):
        return "jwks", data
    return "secret", data


def _audit(audit: AuditTarget) -> Any:
    """A jitguard audit sink (anything with ``write(dict)``) or a callable taking the event dict."""
    if audit is None:
        return None
    write = getattr(audit, "write", None)
    if callable(write):
        return write
    if callable(audit):
        return audit
    raise ConfigError("audit must be a sink with write(event) or a callable", reason="invalid_options")


class IssuedGrant:
    """A freshly minted grant. ``str(grant)`` is the token; ``repr`` never shows it.

    Attributes:
        token: the compact JWS (a bearer credential: do not log it).
        id: the grant id (``jti``, 32 lowercase hex characters).
        expires_at: expiry, Unix seconds.
    """

    __slots__ = ("token", "id", "expires_at")

    def __init__(self, token: str, id: str, expires_at: float) -> None:  # noqa: A002
        self.token = token
        self.id = id
        self.expires_at = expires_at

    def __str__(self) -> str:
        return self.token

    def __repr__(self) -> str:
        return f"IssuedGrant(id={self.id!r}, expires_at={self.expires_at!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IssuedGrant) and (self.token, self.id, self.expires_at) == (
            other.token, other.id, other.expires_at)

    def __hash__(self) -> int:
        return hash(self.id)


class Grant:
    """A verified grant.

    Attributes:
        id, subject, issuer: the ``jti``, ``sub`` and ``iss`` claims.
        datasets, operations: the scope (lists of str).
        model: the model the grant is for, or None (any model).
        expires_at, issued_at: Unix seconds.
        request_id, approval_id: correlation ids ("" when absent).
    """

    __slots__ = ("id", "subject", "datasets", "operations", "model", "expires_at", "issuer",
                 "issued_at", "request_id", "approval_id")

    def __init__(self, id: str, subject: str, datasets: List[str], operations: List[str],  # noqa: A002
                 model: Optional[str], expires_at: float, issuer: str = "jitguard",
                 issued_at: float = 0.0, request_id: str = "", approval_id: str = "") -> None:
        self.id = id
        self.subject = subject
        self.datasets = datasets
        self.operations = operations
        self.model = model
        self.expires_at = expires_at
        self.issuer = issuer
        self.issued_at = issued_at
        self.request_id = request_id
        self.approval_id = approval_id

    def __repr__(self) -> str:
        return (f"Grant(id={self.id!r}, subject={self.subject!r}, datasets={self.datasets!r}, "
                f"operations={self.operations!r}, model={self.model!r}, expires_at={self.expires_at!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grant) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash(self.id)


class ReplayCache:
    """Single-use state for grants (base of :class:`MemoryReplayCache` and :class:`RedisReplayCache`).

    ``mark_used`` succeeds once per id; later calls raise ``GrantError`` (``replayed`` or
    ``revoked``). Thread-safe; share one cache between all verifiers of a process.
    """

    __slots__ = ("_core",)

    def __init__(self, core: Any) -> None:
        self._core = core

    @property
    def name(self) -> str:
        """"memory" or "redis"."""
        return self._core.name

    def mark_used(self, id: str, expires_at: float, now: Optional[float] = None) -> None:  # noqa: A002
        """Records the first use of ``id`` (remembered until ``expires_at``)."""
        self._core.mark_used(id, float(expires_at), now)

    def revoke(self, id: str, expires_at: float, now: Optional[float] = None) -> None:  # noqa: A002
        """Revokes ``id`` until ``expires_at``."""
        self._core.revoke(id, float(expires_at), now)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MemoryReplayCache(ReplayCache):
    """An in-process replay cache (one process only). Bounded: when ``capacity`` live ids are held
    it refuses (``replay_cache_full``) rather than forgetting one."""

    __slots__ = ()

    def __init__(self, *, capacity: int = 1 << 20, shards: int = 16) -> None:
        super().__init__(_core.memory_replay_cache(capacity, shards))


class RedisReplayCache(ReplayCache):
    """A replay cache in Redis, shared by every replica (``redis://[[user]:password@]host[:port][/db]``).

    Each use is one ``SET key used NX PX ms``. Creating it does not connect; when Redis cannot answer
    within ``timeout`` seconds verification fails closed (``replay_cache_unavailable``).
    """

    __slots__ = ("url",)

    def __init__(self, url: str, *, timeout: float = 0.05, max_connections: int = 8,
                 key_prefix: str = "jitguard:") -> None:
        super().__init__(_core.redis_replay_cache(url, _seconds(timeout, "timeout"), max_connections,
                                                  key_prefix))
        self.url = url

    def __repr__(self) -> str:
        # The URL may hold a password: show only where it points.
        host = self.url.rsplit("@", 1)[-1]
        return f"RedisReplayCache('redis://{host.split('://', 1)[-1]}')"


class GrantIssuer:
    """Mints grants. Safe to share between threads.

    Args:
        private_key_pem_or_hmac_secret: a P-256 (ES256) or Ed25519 (EdDSA) private key in PEM, or an
            HMAC secret of at least 32 bytes (HS256).
        issuer: the ``iss`` claim.
        key_id: the ``kid`` header, or None.
        max_ttl: the longest lifetime :meth:`issue` accepts (seconds).
        audit: receives ``grant.issued`` events (a jitguard audit sink or a callable).
    """

    def __init__(self, private_key_pem_or_hmac_secret: KeyMaterial, *, issuer: str = "jitguard",
                 key_id: Optional[str] = None, max_ttl: float = 3600.0,
                 audit: AuditTarget = None) -> None:
        kind, data = _key(private_key_pem_or_hmac_secret)
        self._core = _core.GrantIssuer(kind, data, issuer, key_id or "", _seconds(max_ttl, "max_ttl"),
                                       _audit(audit))
        self.issuer = issuer

    @property
    def algorithm(self) -> str:
        """"ES256", "EdDSA" or "HS256"."""
        return self._core.algorithm

    def issue(self, subject: str, datasets: Sequence[str] = (), operations: Sequence[str] = (),
              model: Optional[str] = None, ttl: Union[float, _dt.timedelta] = 60,
              request_id: Optional[str] = None, approval_id: Optional[str] = None,
              now: Optional[float] = None) -> IssuedGrant:
        """A grant for exactly these datasets and operations (at least one), valid for ``ttl``
        seconds (rounded up to whole seconds). Raises ``GrantError("invalid_request")``."""
        token, gid, expires_at = self._core.issue(
            subject, list(datasets), list(operations), model, _seconds(ttl, "ttl"), request_id or "",
            approval_id or "", now)
        return IssuedGrant(token, gid, expires_at)

    def __repr__(self) -> str:
        return f"GrantIssuer(issuer={self.issuer!r}, algorithm={self.algorithm!r})"


class GrantVerifier:
    """Verifies grants, each at most once. Safe to share between threads.

    Args:
        public_key_pem_or_jwks_or_secret: the issuer's public key (PEM; a private PEM also works),
            a JWKS (str or dict), or the HMAC secret.
        issuer: the required ``iss``.
        replay_cache: where single use is recorded; None makes a private :class:`MemoryReplayCache`
            (use a :class:`RedisReplayCache` when several replicas verify grants).
        leeway: clock skew allowed on ``exp``/``iat`` (seconds).
        max_lifetime: grants minted for longer are refused (``lifetime``); revocations last this long.
        audit: receives ``grant.verified`` / ``grant.rejected`` / ``grant.revoked`` events.
    """

    def __init__(self, public_key_pem_or_jwks_or_secret: KeyMaterial, *, issuer: str = "jitguard",
                 replay_cache: Optional[ReplayCache] = None, leeway: float = 5.0,
                 max_lifetime: float = 3600.0, audit: AuditTarget = None) -> None:
        if replay_cache is not None and not isinstance(replay_cache, ReplayCache):
            raise ConfigError("replay_cache must be a MemoryReplayCache or RedisReplayCache",
                              reason="invalid_options")
        kind, data = _key(public_key_pem_or_jwks_or_secret)
        self._core = _core.GrantVerifier(kind, data, issuer, _seconds(leeway, "leeway"),
                                         _seconds(max_lifetime, "max_lifetime"),
                                         replay_cache._core if replay_cache is not None else None,
                                         _audit(audit))
        self.replay_cache = replay_cache if replay_cache is not None else ReplayCache(self._core.replay_cache)
        self.issuer = issuer

    def verify(self, token: Union[str, IssuedGrant], dataset: Optional[str] = None,
               operation: Optional[str] = None, model: Optional[str] = None,
               now: Optional[float] = None) -> Grant:
        """Checks ``token`` and marks it used. ``dataset``/``operation``/``model``, when given, must
        be inside the grant's scope (else ``GrantError("scope")``, and the grant stays unused)."""
        if isinstance(token, IssuedGrant):
            token = token.token
        if isinstance(token, bytes):
            token = token.decode("ascii", "replace")
        return Grant(*self._core.verify(token, dataset, operation, model, now))

    def revoke(self, grant_id: str, now: Optional[float] = None) -> None:
        """Revokes a grant by id, whether or not it was used or seen yet."""
        self._core.revoke(grant_id, now)

    def __repr__(self) -> str:
        return f"GrantVerifier(issuer={self.issuer!r}, replay_cache={self.replay_cache!r})"
