"""The exception hierarchy of jitguard.

Every error jitguard raises is a :class:`Error` carrying a stable, machine-readable ``reason``
(a short snake_case string such as ``"expired"``) that callers match on; the message is for people.
Messages never contain token contents, key material or unmasked PII.

C++ errors (``absl::Status`` with a domain and a reason) are turned into these classes in one
place: the extension's exception translator calls :func:`error_class_for_domain`.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Type

__all__ = [
    "Error",
    "ConfigError",
    "MaskError",
    "TokenError",
    "PolicyError",
    "GrantError",
    "ApprovalError",
    "AuditError",
    "AccessDenied",
    "ApprovalRequired",
    "error_class_for_domain",
]


class Error(Exception):
    """Base class of every jitguard error.

    Attributes:
        reason: stable snake_case reason, e.g. ``"bad_signature"``.
        code: the canonical status code name (``"unauthenticated"``, ``"permission_denied"``, ...).
    """

    def __init__(self, message: str = "", reason: str = "internal", code: str = "unknown") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} (reason: {self.reason})" if self.message else self.reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class ConfigError(Error):
    """Invalid options or configuration."""


class MaskError(Error):
    """The masker could not be built or could not process the input."""


class TokenError(Error):
    """A bearer token was rejected (``expired``, ``bad_signature``, ``audience``, ...)."""


class PolicyError(Error):
    """A policy document is invalid; ``location`` names the offending element."""

    @property
    def location(self) -> str:
        # Policy errors are worded "<location>: <problem>".
        head, sep, _ = self.message.partition(": ")
        return head if sep else ""


class GrantError(Error):
    """A grant could not be issued or was rejected (``replayed``, ``expired``, ``scope``, ...)."""


class ApprovalError(Error):
    """An approval transition was refused (``self_approval``, ``not_an_approver``, ...)."""


class AuditError(Error):
    """The audit sink could not write, or a log failed verification."""


class AccessDenied(Error):
    """The request is not admitted. ``rules`` lists the deciding rule ids."""

    def __init__(self, message: str = "", reason: str = "denied", code: str = "permission_denied",
                 rules: Optional[list] = None, decision: Any = None) -> None:
        super().__init__(message, reason, code)
        self.rules = list(rules or [])
        self.decision = decision


class ApprovalRequired(Error):
    """The request needs a human approval first; ``ticket`` is the filed approval ticket."""

    def __init__(self, message: str = "", reason: str = "approval_required",
                 code: str = "failed_precondition", ticket: Any = None, decision: Any = None) -> None:
        super().__init__(message, reason, code)
        self.ticket = ticket
        self.decision = decision


_BY_DOMAIN: Dict[str, Type[Error]] = {
    "internal": Error,
    "config": ConfigError,
    "mask": MaskError,
    "token": TokenError,
    "policy": PolicyError,
    "grant": GrantError,
    "approval": ApprovalError,
    "audit": AuditError,
    "access": AccessDenied,
}


def error_class_for_domain(domain: str) -> Type[Error]:
    """The exception class for a C++ error domain (``Error`` for an unknown one)."""
    return _BY_DOMAIN.get(domain, Error)
