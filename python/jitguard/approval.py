"""Human approvals bound to one request.

>>> store = jitguard.ApprovalStore.redis("redis://127.0.0.1:6379/0")   # or .memory()
>>> digest = jitguard.request_digest("alice", "gpt-x", "hr", "export", prompt)
>>> t = store.request("alice", digest, "quarterly audit", ["security"], ttl=1800)
>>> store.decide(t.id, "bob", ["security"], approve=True, comment="ok")
>>> store.status(t.id)                  # "approved"
>>> store.consume(t.id, digest)         # once, within the access window; again -> ApprovalError

Rules (``ApprovalError.reason``): ``self_approval``, ``not_an_approver``, ``duplicate_approver``,
``already_decided`` (any denial is final; a decided ticket stays decided), ``expired`` (pending past
its ttl, or approved past its access window), ``not_approved``, ``denied``, ``already_consumed``,
``digest_mismatch``, ``not_found``, ``invalid_request``, ``approval_store_unavailable``. In Redis
every transition is atomic (WATCH/MULTI/EXEC), so two replicas cannot both consume one approval.
Times are Unix seconds (float); ``now=None`` means the clock. See include/jitguard/approval.h.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _core
from .errors import ConfigError
from .grant import _audit, _seconds

__all__ = ["ApprovalStore", "ApprovalTicket", "ApprovalDecision", "request_digest", "APPROVAL_STATES"]

APPROVAL_STATES = ("pending", "approved", "denied", "expired", "consumed")


def request_digest(subject: str, model: Optional[str], dataset: Optional[str], operation: Optional[str],
                   prompt: Optional[str]) -> str:
    """The lowercase hex SHA-256 of a canonical, length-prefixed encoding of one request (None counts
    as ""), so an approval covers exactly this request."""
    return _core.request_digest(subject or "", model or "", dataset or "", operation or "", prompt or "")


class ApprovalDecision:
    """One recorded decision: ``approver``, ``groups``, ``approve`` (bool), ``at``, ``comment``."""

    __slots__ = ("approver", "groups", "approve", "at", "comment")

    def __init__(self, approver: str, groups: List[str], approve: bool, at: float, comment: str) -> None:
        self.approver = approver
        self.groups = groups
        self.approve = approve
        self.at = at
        self.comment = comment

    def __repr__(self) -> str:
        return (f"ApprovalDecision(approver={self.approver!r}, approve={self.approve!r}, "
                f"at={self.at!r})")


class ApprovalTicket:
    """A ticket, with ``state`` as of the call that returned it.

    Attributes:
        id, subject, request_digest, reason, approver_groups, min_approvals,
        created_at, expires_at (pending deadline), access_window (seconds), decided_at and
        consumed_at (None until then), state, decisions (list of :class:`ApprovalDecision`).
    """

    __slots__ = ("id", "subject", "request_digest", "reason", "approver_groups", "min_approvals",
                 "created_at", "expires_at", "access_window", "decided_at", "consumed_at", "state",
                 "decisions")

    def __init__(self, d: Dict[str, Any]) -> None:
        for k in self.__slots__:
            if k != "decisions":
                setattr(self, k, d[k])
        self.decisions = [ApprovalDecision(**x) for x in d["decisions"]]

    def __repr__(self) -> str:
        return (f"ApprovalTicket(id={self.id!r}, subject={self.subject!r}, state={self.state!r}, "
                f"decisions={len(self.decisions)})")


def _id(ticket: Union[str, ApprovalTicket]) -> str:
    return ticket.id if isinstance(ticket, ApprovalTicket) else ticket


class ApprovalStore:
    """Where approval tickets live; make one with :meth:`memory` or :meth:`redis`. Thread-safe."""

    __slots__ = ("_core",)

    def __init__(self, core: Any) -> None:
        if core is None or not hasattr(core, "consume"):
            raise ConfigError("use ApprovalStore.memory() or ApprovalStore.redis(url)",
                              reason="invalid_options")
        self._core = core

    @classmethod
    def memory(cls, *, capacity: int = 100000, retention: float = 86400.0,
               audit: Any = None) -> "ApprovalStore":
        """An in-process store (one process only). ``retention``: seconds a ticket is kept after
        its last deadline; ``audit``: a jitguard audit sink or a callable taking event dicts."""
        return cls(_core.memory_approval_store(capacity, _seconds(retention, "retention"), _audit(audit)))

    @classmethod
    def redis(cls, url: str, *, timeout: float = 0.05, max_connections: int = 8,
              key_prefix: str = "jitguard:", retention: float = 86400.0,
              audit: Any = None) -> "ApprovalStore":
        """A store in Redis shared by every replica. Does not connect until used; when Redis cannot
        answer, operations raise ``ApprovalError("approval_store_unavailable")``."""
        return cls(_core.redis_approval_store(url, _seconds(timeout, "timeout"), max_connections,
                                              key_prefix, _seconds(retention, "retention"), _audit(audit)))

    @property
    def name(self) -> str:
        """"memory" or "redis"."""
        return self._core.name

    def request(self, subject: str, request_digest: str, reason: str, approver_groups: Sequence[str],
                ttl: Union[float, _dt.timedelta] = 1800.0, min_approvals: int = 1,
                access_window: Union[float, _dt.timedelta] = 600.0,
                now: Optional[float] = None) -> ApprovalTicket:
        """Files a pending ticket for the request with ``request_digest``; it expires after ``ttl``
        seconds; once approved it is usable for ``access_window`` seconds."""
        return ApprovalTicket(self._core.request(
            subject, request_digest, reason, list(approver_groups), _seconds(ttl, "ttl"), min_approvals,
            _seconds(access_window, "access_window"), now))

    def decide(self, id: Union[str, ApprovalTicket], approver_subject: str,  # noqa: A002
               approver_groups: Sequence[str], approve: bool = True, comment: str = "",
               now: Optional[float] = None) -> ApprovalTicket:
        """Records one approver's decision (``approve=False`` denies, finally)."""
        return ApprovalTicket(self._core.decide(_id(id), approver_subject, list(approver_groups),
                                                bool(approve), comment, now))

    def get(self, id: Union[str, ApprovalTicket], now: Optional[float] = None) -> ApprovalTicket:  # noqa: A002
        """The ticket (raises ``ApprovalError("not_found")``)."""
        return ApprovalTicket(self._core.get(_id(id), now))

    def status(self, id: Union[str, ApprovalTicket], now: Optional[float] = None) -> str:  # noqa: A002
        """``pending``, ``approved``, ``denied``, ``expired`` or ``consumed``."""
        return self._core.get(_id(id), now)["state"]

    def consume(self, id: Union[str, ApprovalTicket], request_digest: str,  # noqa: A002
                now: Optional[float] = None) -> ApprovalTicket:
        """Uses an approved ticket for the request with ``request_digest``: succeeds exactly once."""
        return ApprovalTicket(self._core.consume(_id(id), request_digest, now))

    def __repr__(self) -> str:
        return f"ApprovalStore.{self.name}()"
