"""The exception hierarchy of jitguard.

Every error jitguard raises is a :class:`Error` carrying a stable, machine-readable ``reason``
(a short snake_case string such as ``"expired"``) that callers match on; the message is for people.
Messages never contain token contents, key material or unmasked PII.

C++ errors (``absl::Status`` with a domain, a reason and structured fields) are turned into these
classes in one place: the extension's exception translator calls :func:`error_class_for_domain` and
hands the reason, the status code, the domain and the fields over as values, never as text to parse.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type

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
        domain: the component that raised it (``"token"``, ``"policy"``, ...).
        fields: structured details as text values, e.g. a policy error's ``{"location": ...,
            "line": ..., "column": ...}``; empty when the error has none.
    """

    domain_name = "internal"

    def __init__(self, message: str = "", reason: str = "internal", code: str = "unknown", *,
                 domain: Optional[str] = None, fields: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.code = code
        self.domain = domain if domain is not None else self.domain_name
        self.fields: Dict[str, str] = dict(fields or {})

    def __str__(self) -> str:
        return f"{self.message} (reason: {self.reason})" if self.message else self.reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class ConfigError(Error):
    """Invalid options or configuration."""

    domain_name = "config"


class MaskError(Error):
    """The masker could not be built or could not process the input."""

    domain_name = "mask"


class TokenError(Error):
    """A bearer token was rejected (``expired``, ``bad_signature``, ``audience``, ...)."""

    domain_name = "token"


class PolicyError(Error):
    """A policy document is invalid. ``location`` names the offending element
    (``rules[3].prompt.patterns[0]``, ``document``); for JSON text, ``line`` and ``column`` (1-based)
    say where it is, else they are None. All three come from the error's ``fields``."""

    domain_name = "policy"

    @property
    def location(self) -> str:
        return self.fields.get("location", "")

    @property
    def line(self) -> Optional[int]:
        return _int_field(self.fields, "line")

    @property
    def column(self) -> Optional[int]:
        return _int_field(self.fields, "column")


def _int_field(fields: Mapping[str, str], name: str) -> Optional[int]:
    value = fields.get(name)
    return int(value) if value is not None and value.isdigit() else None


class GrantError(Error):
    """A grant could not be issued or was rejected (``replayed``, ``expired``, ``scope``, ...)."""

    domain_name = "grant"


class ApprovalError(Error):
    """An approval transition was refused (``self_approval``, ``not_an_approver``, ...)."""

    domain_name = "approval"


class AuditError(Error):
    """The audit sink could not write, or a log failed verification."""

    domain_name = "audit"


class AccessDenied(Error):
    """The request is not admitted. ``rules`` lists the deciding rule ids."""

    domain_name = "access"

    def __init__(self, message: str = "", reason: str = "denied", code: str = "permission_denied",
                 rules: Optional[list] = None, decision: Any = None, *, domain: Optional[str] = None,
                 fields: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(message, reason, code, domain=domain, fields=fields)
        self.rules = list(rules or [])
        self.decision = decision


class ApprovalRequired(Error):
    """The request needs a human approval first; ``ticket`` is the filed approval ticket."""

    domain_name = "access"

    def __init__(self, message: str = "", reason: str = "approval_required",
                 code: str = "failed_precondition", ticket: Any = None, decision: Any = None, *,
                 domain: Optional[str] = None, fields: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(message, reason, code, domain=domain, fields=fields)
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
