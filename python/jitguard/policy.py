"""The policy engine: permit / deny / approval_required per request, with the deciding rules, the
grant lifetime and the masking profile. The language reference is docs/policy.md.

>>> p = Policy({"version": 1, "rules": [{"id": "ds", "effect": "permit", "groups": ["ds"]}]})
>>> p.evaluate(subject="alice", groups=["ds"], model="llama-3", operation="infer").effect
'permit'

A :class:`Policy` is immutable and may be shared between threads; ``evaluate`` releases the GIL.
A :class:`PolicyStore` swaps in a reloaded policy atomically; a reload that fails keeps the old one.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _core
from .errors import PolicyError

__all__ = ["Policy", "PolicyStore", "Decision", "PolicyError"]

Decision = _core.Decision

PolicyDocument = Union[str, bytes, Mapping[str, Any]]


def _to_text(doc: PolicyDocument) -> Tuple[str, bool]:
    """The policy as JSON text, and whether that text was generated (so positions mean nothing)."""
    if isinstance(doc, bytes):
        return doc.decode("utf-8"), False
    if isinstance(doc, str):
        return doc, False
    if isinstance(doc, Mapping):
        try:
            return json.dumps(doc, allow_nan=False, ensure_ascii=False), True
        except (TypeError, ValueError) as e:
            raise PolicyError(f"document: not representable as JSON ({e})", reason="invalid_json",
                              code="invalid_argument", fields={"location": "document"}) from None
    raise TypeError(f"a policy is a JSON str or a dict, not {type(doc).__name__}")


def _compile(doc: PolicyDocument, version: Optional[str]) -> Any:
    text, generated = _to_text(doc)
    return _core._policy_create(text, version or "", generated)


def _request(subject: str, groups: Optional[Iterable[str]], model: str, dataset: str, operation: str,
             prompt: str, attributes: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    return dict(subject=subject, groups=list(groups or ()), model=model, dataset=dataset,
                operation=operation, prompt=prompt, attributes=dict(attributes or {}))


class Policy:
    """A validated, compiled policy.

    Args:
        doc: the policy as JSON text or as a dict. Errors raise :class:`jitguard.PolicyError` whose
            ``location`` names the element (``rules[3].prompt.patterns[0]``); for text input
            ``line`` and ``column`` say where it is.
        version: the snapshot's version string; by default ``sha256:`` and 16 hex digits of the text.
    """

    __slots__ = ("_p",)

    def __init__(self, doc: PolicyDocument, *, version: Optional[str] = None) -> None:
        self._p = _compile(doc, version)

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike], *, version: Optional[str] = None) -> "Policy":
        """Loads a policy from a JSON file."""
        with open(path, "rb") as f:
            return cls(f.read(), version=version)

    @classmethod
    def _wrap(cls, compiled: Any) -> "Policy":
        p = cls.__new__(cls)
        p._p = compiled
        return p

    def evaluate(self, *, subject: str = "", groups: Optional[Iterable[str]] = None, model: str = "",
                 dataset: str = "", operation: str = "", prompt: str = "",
                 attributes: Optional[Mapping[str, Any]] = None) -> Decision:
        """Decides one request; never raises for a well-typed request (anything odd fails closed).

        ``attributes`` values may be str, int, float, bool, None or a list of scalars.
        """
        return self._p._evaluate(subject, groups if type(groups) is list else list(groups or ()), model, dataset,
                                 operation, prompt, attributes if type(attributes) is dict else dict(attributes or {}))

    def explain(self, *, subject: str = "", groups: Optional[Iterable[str]] = None, model: str = "",
                dataset: str = "", operation: str = "", prompt: str = "",
                attributes: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """The decision plus every rule's trace:
        ``{"decision": Decision, "rules": [{"id", "effect", "matched", "conditions": [{"condition",
        "outcome" ("matched" | "not_matched" | "unevaluable"), "detail"}]}]}``."""
        return self._p.explain(**_request(subject, groups, model, dataset, operation, prompt, attributes))

    @property
    def version(self) -> str:
        return self._p.version

    @property
    def rule_count(self) -> int:
        return self._p.rule_count

    @property
    def mask_profiles(self) -> List[Dict[str, Any]]:
        """The declared masking profiles, least strict first (``entities`` expanded for "all")."""
        return self._p.mask_profiles

    def mask_profile(self, name: str) -> Optional[Dict[str, Any]]:
        """The profile called ``name``, or None."""
        return next((p for p in self._p.mask_profiles if p["name"] == name), None)

    def __repr__(self) -> str:
        return f"Policy(version={self.version!r}, rules={self.rule_count})"


class PolicyStore:
    """The current policy, reloadable at runtime. Readers never wait for a reload; a reload compiles
    the new document first and swaps it in only if it is valid, so a bad reload changes nothing."""

    __slots__ = ("_s",)

    def __init__(self, doc: Union[PolicyDocument, Policy], *, version: Optional[str] = None) -> None:
        initial = doc._p if isinstance(doc, Policy) else _compile(doc, version)
        self._s = _core._PolicyStore(initial)

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike], *, version: Optional[str] = None) -> "PolicyStore":
        with open(path, "rb") as f:
            return cls(f.read(), version=version)

    def reload(self, doc: Union[PolicyDocument, Policy], *, version: Optional[str] = None) -> str:
        """Makes ``doc`` current and returns its version; raises PolicyError (keeping the old policy)."""
        if isinstance(doc, Policy):
            self._s.swap(doc._p)
            return self.version
        text, generated = _to_text(doc)
        self._s.reload(text, version or "", generated)
        return self.version

    def reload_file(self, path: Union[str, os.PathLike], *, version: Optional[str] = None) -> str:
        with open(path, "rb") as f:
            return self.reload(f.read(), version=version)

    @property
    def policy(self) -> Policy:
        """The current snapshot (unchanged by later reloads)."""
        return Policy._wrap(self._s.snapshot())

    @property
    def version(self) -> str:
        return self._s.version

    def evaluate(self, *, subject: str = "", groups: Optional[Iterable[str]] = None, model: str = "",
                 dataset: str = "", operation: str = "", prompt: str = "",
                 attributes: Optional[Mapping[str, Any]] = None) -> Decision:
        """Policy.evaluate on the current snapshot."""
        return self._s._evaluate(subject, groups if type(groups) is list else list(groups or ()), model, dataset,
                                 operation, prompt, attributes if type(attributes) is dict else dict(attributes or {}))

    def explain(self, **request: Any) -> Dict[str, Any]:
        return self.policy.explain(**request)

    def __repr__(self) -> str:
        return f"PolicyStore(version={self.version!r})"
