"""The whole request path in one call: :class:`Guard`.

    guard = jitguard.Guard.from_file("jitguard.json")       # or Guard(config_dict)
    adm = guard.admit(token, model="gpt-x", dataset="claims", operation="infer", prompt=prompt)
    for out in guard.mask_stream(adm, model_chunks):        # masked with the admission's profile
        send(out)                                            # ... and audited when the stream ends

A :class:`Guard` is the C++ ``jitguard::Guard`` (the one C++ servers such as
``examples/guarded_server`` link) with a Python face: ``admit`` verifies the bearer token, evaluates
the policy, files or consumes an approval ticket, issues a short-lived single-use grant and audits
every step with the prompt masked, all in C++ with the GIL released. This module only converts: it
turns the C++ refusal into :class:`~jitguard.AccessDenied` (``.reason``, ``.rules``, the rule's
message), :class:`~jitguard.ApprovalRequired` (carrying the filed ``.ticket``) or the component's
error (:class:`~jitguard.TokenError`, :class:`~jitguard.ApprovalError`, ...), and supplies what a
JSON file cannot: a Python callable as the audit sink. Configuration mistakes raise
:class:`~jitguard.ConfigError` naming the key.

A Guard is safe to share between threads; a :class:`ResponseGuard` / :class:`SseMasker` belongs to
one response.

The configuration (JSON file or dict)::

    {
      "tokens":    {"jwks": {...} | "jwks_file": "jwks.json" | "jwks_url": "https://...",
                    "issuer": "https://idp", "audience": "inference", "groups_claim": "groups",
                    "leeway": 60, "algorithms": ["RS256", "ES256"],
                    "refresh_interval": 3600, "min_refresh_interval": 30, "timeout": 5,
                    "max_bytes": 1048576, "ca_file": "ca.pem"},   # the last five: jwks_url only
      "policy":    {"document": {...}} | {"file": "policy.json"},
      "grants":    {"signing_key": "<secret or PEM>" | "signing_key_file": "grant.pem" | "signing_key_env": "VAR",
                    "issuer": "jitguard", "key_id": null, "replay": "memory" | "redis://..."},
      "approvals": {"backend": "memory" | "redis", "url": "redis://...", "ttl": 3600},
      "audit":     {"file": "audit.jsonl", "hmac_key": "...", "fsync": "batch", "async": false}
                 | {"postgres": "postgresql://..."} | {"callback": <callable, dict configs only>},
      "masking":   {"hash_key": "...", "custom": [...], "terms": {...}, "json_keys": [...]}
    }

``tokens.jwks_url`` (a JWKS URL or an OIDC discovery URL): the C++ Guard fetches the keys itself over
HTTPS (OpenSSL; the system trust store plus ``ca_file``; plain http only to loopback) when it is
built, again in a background thread every ``refresh_interval`` seconds and, at most once per
``min_refresh_interval`` seconds, when a token names a key it does not know (the request waits for
that fetch at most ``timeout``); a failed refresh keeps the last good keys (the same C++ key source
as :class:`~jitguard.JwksClient`, which a :class:`~jitguard.TokenVerifier` uses).
``audit.callback``: each audit event (a dict, content already masked) is passed to the callable on
the writing thread.

Mask profiles come from the policy (``mask_profiles`` in the policy document); the ``masking``
section supplies what every profile shares (hash key, custom rules, term lists).

Response bodies (:meth:`Guard.mask_sse`, :meth:`Guard.body_masker`, :meth:`Guard.mask_response_json`)
are masked default-deny over their structure: every string value except a short list of structural
members with their shape; data that is not JSON is masked as text (docs/security.md).
"""
from __future__ import annotations

import codecs
import json
import os
from dataclasses import dataclass, field
from typing import Any, AsyncIterable, AsyncIterator, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from . import _core
from .errors import AccessDenied, ApprovalRequired, ConfigError, Error, error_class_for_domain
from .mask import _adrain, _drain
from .policy import Decision
from .token import Identity

__all__ = ["Guard", "Admission", "ResponseGuard", "SseMasker"]


@dataclass(frozen=True)
class Admission:
    """An admitted request: who, what was decided, the grant to present at the data store.

    ``grant`` is the :class:`~jitguard.IssuedGrant` (``str(grant)`` is the token);
    ``mask_profile`` names the profile that masks this request's prompt and response.
    """

    identity: Identity
    decision: Decision
    grant: Any
    mask_profile: str
    session_id: str
    request_id: str
    model: str = ""
    dataset: str = ""
    operation: str = ""
    approval_ticket: Optional[str] = None
    _native: Any = field(default=None, compare=False, repr=False)  # the C++ Admission

    @property
    def subject(self) -> str:
        return self.identity.subject


# ---- configuration --------------------------------------------------------------------------------

def _no_duplicates(pairs: List[Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigError(f"config: duplicate key {key!r}", reason="bad_json")
        out[key] = value
    return out


def _read_config(path: str) -> Dict[str, Any]:
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(f"config: cannot read {path!r} ({e.strerror})", reason="unreadable_file") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as e:
        raise ConfigError(f"config: not valid JSON ({e.msg} at line {e.lineno})", reason="bad_json") from None


# ---- the guard ------------------------------------------------------------------------------------

class Guard:
    """Token → policy → approval → grant → masked, audited response; see the module docstring."""

    def __init__(self, config: Dict[str, Any], *, base_dir: Optional[str] = None) -> None:
        if not isinstance(config, dict):
            raise ConfigError("config: must be an object", reason="bad_value")
        config = dict(config)
        sink = None
        audit = config.get("audit")
        if isinstance(audit, dict) and audit.get("callback") is not None:
            from .audit import CallbackSink

            audit = dict(audit)
            callback = audit.pop("callback")
            if not callable(callback):
                raise ConfigError("audit.callback: must be callable", reason="bad_value")
            if any(audit.get(k) is not None for k in ("file", "postgres")):
                raise ConfigError("audit: give exactly one of file, postgres, callback", reason="conflicting_keys")
            sink = CallbackSink(callback)._s
            config["audit"] = audit
        try:
            text = json.dumps(config)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"config: not JSON-serializable ({e})", reason="bad_value") from None
        self._g = _core._NativeGuard.from_config_json(text, base_dir or os.getcwd(), sink)
        self._closed = False
        self.approvals = _approval_store(self._g.approvals())
        grants = config.get("grants")
        self.grant_verifier = _grant_verifier(self._g.grant_verifier(),
                                              grants.get("issuer", "jitguard") if isinstance(grants, dict) else "")
        self.metrics = Metrics(self)

    @classmethod
    def from_file(cls, path: str) -> "Guard":
        """Builds a Guard from a JSON file; relative paths inside are relative to the file."""
        return cls(_read_config(path), base_dir=os.path.dirname(os.path.abspath(path)))

    # -- the request path --------------------------------------------------------------------------

    def admit(self, bearer_token: str, model: str = "", dataset: str = "", operation: str = "infer",
              prompt: str = "", attributes: Optional[Dict[str, Any]] = None, approval: Optional[str] = None,
              *, session_id: Optional[str] = None, now: Optional[float] = None) -> Admission:
        """Runs token → policy → approval → grant for one request; see the module docstring."""
        from .grant import IssuedGrant

        native, refusal = self._g.admit(bearer_token, model, dataset, operation, prompt, dict(attributes or {}),
                                        approval or "", session_id or "", now)
        if refusal is not None:
            decision = refusal["decision"]
            if refusal["domain"] == "access" and refusal["reason"] == "approval_required":
                ticket = self.approvals.get(refusal["ticket_id"], now=now)
                raise ApprovalRequired(refusal["message"], ticket=ticket, decision=decision)
            if refusal["domain"] == "access":
                raise AccessDenied(refusal["message"], reason=refusal["reason"], rules=list(decision.rules),
                                   decision=decision)
            raise error_class_for_domain(refusal["domain"])(refusal["message"], reason=refusal["reason"])
        return Admission(identity=Identity(*native.identity), decision=native.decision,
                         grant=IssuedGrant(native.grant, native.grant_id, native.grant_expires_at),
                         mask_profile=native.mask_profile, session_id=native.session_id,
                         request_id=native.request_id, model=native.model, dataset=native.dataset,
                         operation=native.operation, approval_ticket=native.approval_ticket or None,
                         _native=native)

    def decide(self, approver_token: str, ticket_id: str, approve: bool = True, comment: str = "",
               *, now: Optional[float] = None) -> str:
        """Records an approver's verdict on a ticket; the approver is identified by their own access
        token, verified like any other. Returns the ticket's status afterwards."""
        return self._g.decide(approver_token, str(getattr(ticket_id, "id", ticket_id)), bool(approve), comment,
                              now)

    def permitted_models(self, bearer_token: str, models: Sequence[str], dataset: str = "",
                         operation: str = "infer", *, now: Optional[float] = None) -> List[str]:
        """The models of ``models`` (order kept) that the token's bearer may use for ``operation`` on
        ``dataset``: the token is verified as in ``admit`` (raises TokenError), then each model is a
        policy decision on an empty prompt, listed unless denied. Nothing is filed or granted; for
        model listings such as ``/v1/models``."""
        return self._g.permitted_models(bearer_token, [str(m) for m in models], dataset, operation, now)

    def verify_grant(self, grant: Any, dataset: str = "", operation: str = "", *,
                     now: Optional[float] = None) -> None:
        """Checks a grant once where the data store is called (raises GrantError); as
        ``grant_verifier.verify`` without the Grant."""
        self._g.verify_grant(str(grant), dataset or "", operation or "", now)

    # -- masking -----------------------------------------------------------------------------------

    def mask_text(self, admission: Admission, text: str) -> str:
        """Masks a whole text (e.g. a prompt) with the admission's profile."""
        return self._g.mask_prompt(_native(admission), text)

    def mask_request_body(self, admission: Admission, body: bytes) -> bytes:
        """A request body (OpenAI / Ollama JSON) masked with the admission's profile, default-deny
        over its structure: every text the model will read (message content in every form, tool-call
        arguments, tool results, prompt, input). Invalid JSON raises MaskError."""
        return self._g.mask_request_body(_native(admission), bytes(body))

    def response(self, admission: Admission) -> "ResponseGuard":
        """A push-style masker of text chunks for one response; ``finish()`` writes ``inference.response``."""
        return ResponseGuard(self._g.new_response(_native(admission), "text"))

    def sse_masker(self, admission: Admission) -> "SseMasker":
        """A push-style masker of SSE bytes for one response; ``finish()`` writes ``inference.response``."""
        return SseMasker(self._g.new_response(_native(admission), "sse"))

    def body_masker(self, admission: Admission, framing: str) -> "SseMasker":
        """A push-style masker of a response body (``framing``: ``"sse"``, ``"ndjson"`` or
        ``"json"``), default-deny over its structure; ``finish()`` writes ``inference.response``."""
        return SseMasker(self._g.new_response(_native(admission), framing))

    def mask_stream(self, admission: Admission, chunks: Iterable[str]) -> Iterator[str]:
        """Masks a stream of text chunks; the audit record is written when the stream ends."""
        rg = self.response(admission)
        return _drain(rg.write, rg.finish, chunks)

    def amask_stream(self, admission: Admission,
                     chunks: Union[AsyncIterable[str], Iterable[str]]) -> AsyncIterator[str]:
        """:meth:`mask_stream` for async (or plain) iterables."""
        rg = self.response(admission)
        return _adrain(rg.write, rg.finish, chunks)

    def mask_sse(self, admission: Admission, byte_chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Masks an OpenAI-style SSE byte stream event by event (values split across events are still
        caught); the audit record is written when the stream ends. Default deny over the events'
        structure; data that is not JSON is masked as text. An event over the size limit raises
        MaskError("response_too_large") and the stream takes no more input."""
        sse = self.sse_masker(admission)
        return _drain(sse.feed, sse.finish, byte_chunks)

    def mask_response_json(self, admission: Admission, body: bytes) -> bytes:
        """Masks a non-streaming JSON answer, default-deny over its structure (every string value
        except the structural members; a body that is not JSON is masked as text); writes one
        ``inference.response`` with every choice's masked text."""
        masker = self.body_masker(admission, "json")
        return masker.feed(body) + masker.finish()

    # -- lifecycle ---------------------------------------------------------------------------------

    def reload_policy(self) -> None:
        """Re-reads the policy (file or document); a bad policy raises and changes nothing."""
        self._g.reload_policy()

    def update_keys(self, jwks: Any) -> None:
        """Replaces the token keys (a JWKS as text or dict); a bad JWKS raises and changes nothing."""
        self._g.update_keys(jwks if isinstance(jwks, str) else json.dumps(jwks))

    def metrics_text(self) -> str:
        """Counters in Prometheus text exposition format."""
        return self._g.metrics_text()

    def flush(self) -> None:
        """Makes every audit record written so far durable."""
        self._g.flush()

    def close(self) -> None:
        """Flushes and closes the audit sink; later requests fail (fail closed)."""
        if not self._closed:
            self._closed = True
            self._g.close()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _native(admission: Admission) -> Any:
    if not isinstance(admission, Admission) or admission._native is None:
        raise Error("not an admission of this Guard", reason="bad_admission")
    return admission._native


def _approval_store(core: Any) -> Any:
    from .approval import ApprovalStore

    return ApprovalStore(core)


def _grant_verifier(core: Any, issuer: str) -> Any:
    from .grant import GrantVerifier, ReplayCache

    verifier = GrantVerifier.__new__(GrantVerifier)
    verifier._core = core
    verifier.replay_cache = ReplayCache(core.replay_cache)
    verifier.issuer = issuer
    return verifier


class Metrics:
    """The Guard's counters as values (handed over by the binding, not parsed from text):
    ``value("decisions" | "token_rejections" | "findings" | "approvals" | "grants", label)``."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def value(self, counter: str, label: str = "") -> int:
        counters = self._guard._g.metrics()
        if counter not in counters:
            raise KeyError(counter)
        values = counters[counter]
        if label == "" and "" not in values:
            return sum(values.values())  # an unlabelled counter is the total of its labels
        return int(values.get(label, 0))

    def values(self) -> Dict[str, Dict[str, int]]:
        """Every counter: name -> label -> count."""
        return {name: dict(labels) for name, labels in self._guard._g.metrics().items()}


class ResponseGuard:
    """Masks one response's text chunks with its admission's profile (the C++ ResponseGuard).

    ``write(text)`` returns what is safe to send now (a value that may continue in the next chunk is
    held back); ``finish()`` returns the rest and writes ``inference.response`` with the masked text
    and the finding counts. Belongs to one response; not thread-safe.
    """

    def __init__(self, native: Any) -> None:
        self._rg = native
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(self, text: str) -> str:
        return self._decoder.decode(self._rg.write(text.encode()))

    def finish(self) -> str:
        if self._rg.finished:
            return ""
        return self._decoder.decode(self._rg.finish(), final=True)

    def abort(self) -> None:
        """Ends a response the client will not receive in full: the held text is dropped (never
        sent, never recorded) and ``inference.response`` records what was sent, decision
        ``aborted``."""
        if not self._rg.finished:
            self._rg.abort()

    @property
    def findings(self) -> Dict[str, int]:
        """Findings so far, per entity."""
        return dict(self._rg.counts)


class SseMasker:
    """Masks one response body (the C++ ResponseGuard for SSE, NDJSON or JSON), default-deny over
    its structure (see :class:`jitguard.SseMaskStream`).

    ``feed(bytes)`` returns what may be sent now; a value split across events is held back and
    released, masked, in a later event. An event over the size cap raises MaskError and the
    response refuses further input.
    """

    def __init__(self, native: Any) -> None:
        self._rg = native

    def feed(self, data: bytes) -> bytes:
        return self._rg.write(bytes(data))

    def finish(self) -> bytes:
        return b"" if self._rg.finished else self._rg.finish()

    def abort(self) -> None:
        """See :meth:`ResponseGuard.abort`."""
        if not self._rg.finished:
            self._rg.abort()

    @property
    def findings(self) -> Dict[str, int]:
        return dict(self._rg.counts)
