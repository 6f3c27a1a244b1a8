"""The whole request path in one call: :class:`Guard`.

    guard = jitguard.Guard.from_file("jitguard.json")       # or Guard(config_dict)
    adm = guard.admit(token, model="gpt-x", dataset="claims", operation="infer", prompt=prompt)
    for out in guard.mask_stream(adm, model_chunks):        # masked with the admission's profile
        send(out)                                            # ... and audited when the stream ends

``admit`` verifies the bearer token, evaluates the policy, files or consumes an approval ticket,
issues a short-lived single-use grant and audits every step with the prompt masked. A denied request
raises :class:`~jitguard.AccessDenied` (``.reason``, ``.rules``, the rule's message); one that needs a
human raises :class:`~jitguard.ApprovalRequired` carrying the filed ``.ticket``; a rejected token
raises :class:`~jitguard.TokenError`. Configuration mistakes raise :class:`~jitguard.ConfigError`
naming the key.

A Guard is safe to share between threads: the compiled pieces (verifier, policy, maskers) are
immutable and swapped whole on reload; a :class:`ResponseGuard` belongs to one response.

The configuration (JSON file or dict)::

    {
      "tokens":    {"jwks": {...} | "jwks_file": "jwks.json" | "jwks_url": "https://...",
                    "issuer": "https://idp", "audience": "inference", "groups_claim": "groups",
                    "leeway": 60, "algorithms": ["RS256", "ES256"]},
      "policy":    {"document": {...}} | {"file": "policy.json"},
      "grants":    {"signing_key": "<secret or PEM>" | "signing_key_file": "grant.pem",
                    "issuer": "jitguard", "key_id": null, "replay": "memory" | "redis://..."},
      "approvals": {"backend": "memory" | "redis", "url": "redis://...", "ttl": 3600},
      "audit":     {"file": "audit.jsonl", "hmac_key": "...", "fsync": "batch", "async": false}
                 | {"postgres": "postgresql://..."} | {"callback": <callable, dict configs only>},
      "masking":   {"hash_key": "...", "custom": [...], "terms": {...}, "json_keys": [...]}
    }

Mask profiles come from the policy (``mask_profiles`` in the policy document); the ``masking``
section supplies what every profile shares (hash key, custom rules, term lists).
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, AsyncIterable, AsyncIterator, Callable, Dict, Iterable, Iterator, List, Optional

from .errors import AccessDenied, ApprovalError, ApprovalRequired, ConfigError, Error, TokenError
from .metrics import Metrics

__all__ = ["Guard", "NativeGuard", "Admission", "ResponseGuard", "SseMasker"]


class comp:  # noqa: N801  (a namespace: the seams to the component modules, imported lazily)
    """How the Guard reaches the components' Python APIs; one place to read what it depends on."""

    @staticmethod
    def TokenVerifier(**kwargs):  # noqa: N802
        from .token import TokenVerifier

        return TokenVerifier(**kwargs)

    @staticmethod
    def verifier_from_url(url, refresh_interval, **kwargs):
        from .token import JwksClient, TokenVerifier

        client = JwksClient(url) if refresh_interval is None else JwksClient(url, refresh_interval=refresh_interval)
        return TokenVerifier(jwks=client, **kwargs)

    @staticmethod
    def Policy(doc):  # noqa: N802
        from .policy import Policy

        return Policy(doc)

    @staticmethod
    def profile_options(policy, name: str) -> Dict[str, Any]:
        """Masker options of the policy's profile `name` ({} = every entity, label style)."""
        for profile in policy.mask_profiles or []:
            if profile["name"] == name:
                options: Dict[str, Any] = {"style": profile.get("style") or "label"}
                if not profile.get("all_entities", False):
                    options["entities"] = list(profile["entities"])
                return options
        if name == "default":
            return {}
        raise ConfigError(f"policy: mask profile {name!r} is not declared", reason="unknown_profile")

    @staticmethod
    def GrantIssuer(key, **kwargs):  # noqa: N802
        from .grant import GrantIssuer

        return GrantIssuer(key, **kwargs)

    @staticmethod
    def public_half(key: bytes) -> bytes:
        return key

    @staticmethod
    def MemoryReplayCache():  # noqa: N802
        from .grant import MemoryReplayCache

        return MemoryReplayCache()

    @staticmethod
    def RedisReplayCache(url):  # noqa: N802
        from .grant import RedisReplayCache

        return RedisReplayCache(url)

    @staticmethod
    def GrantVerifier(key, **kwargs):  # noqa: N802
        from .grant import GrantVerifier

        return GrantVerifier(key, **kwargs)

    class ApprovalStore:
        @staticmethod
        def memory():
            from .approval import ApprovalStore

            return ApprovalStore.memory()

        @staticmethod
        def redis(url):
            from .approval import ApprovalStore

            return ApprovalStore.redis(url)

    @staticmethod
    def digest(subject, model, dataset, operation, prompt) -> str:
        from .approval import request_digest

        return request_digest(subject, model, dataset, operation, prompt)

    @staticmethod
    def FileAuditSink(path, **kwargs):  # noqa: N802
        from .audit import FileAuditSink

        return FileAuditSink(path, **kwargs)

    @staticmethod
    def PostgresAuditSink(dsn, **kwargs):  # noqa: N802
        from .audit import PostgresAuditSink

        return PostgresAuditSink(dsn, **kwargs)

    @staticmethod
    def CallbackSink(fn):  # noqa: N802
        from .audit import CallbackSink

        return CallbackSink(fn)

    @staticmethod
    def AsyncAuditSink(sink, queue_size):  # noqa: N802
        from .audit import AsyncAuditSink

        return AsyncAuditSink(sink, capacity=queue_size)

    @staticmethod
    def queue_depth(sink) -> int:
        counters = getattr(sink, "counters", None)
        return int(counters()["queue_depth"]) if callable(counters) else 0

    @staticmethod
    def Masker(**kwargs):  # noqa: N802
        from .mask import Masker

        return Masker(**kwargs)

    @staticmethod
    def stream_findings(stream) -> Dict[str, int]:
        return dict(stream.counts)

    @staticmethod
    def ttl_seconds(ttl) -> int:
        # Grants are per-call credentials: at most an hour, whatever the policy allows.
        return min(3600, max(1, int(ttl)))


def stream_findings(stream) -> Dict[str, int]:
    """Findings per entity of a finished jitguard MaskStream."""
    return comp.stream_findings(stream)


@dataclass(frozen=True)
class Admission:
    """An admitted request: who, what was decided, the grant to present at the data store.

    ``grant`` is the :class:`~jitguard.IssuedGrant` (``str(grant)`` is the token);
    ``mask_profile`` names the profile that masks this request's prompt and response.
    """

    identity: Any
    decision: Any
    grant: Any
    mask_profile: str
    session_id: str
    request_id: str
    model: str = ""
    dataset: str = ""
    operation: str = ""
    approval_ticket: Optional[str] = None
    # The C++ admission behind it when a NativeGuard admitted the request.
    _native: Any = field(default=None, compare=False, repr=False)

    @property
    def subject(self) -> str:
        return self.identity.subject


# ---- configuration --------------------------------------------------------------------------------

_SECTIONS = ("tokens", "policy", "grants", "approvals", "audit", "masking")


def _section(config: Dict[str, Any], name: str, required: bool = True) -> Dict[str, Any]:
    value = config.get(name)
    if value is None:
        if required:
            raise ConfigError(f"{name}: missing", reason="missing_key")
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: must be an object", reason="bad_value")
    return value


def _read_text(path: str, key: str, base: str) -> str:
    full = path if os.path.isabs(path) else os.path.join(base, path)
    try:
        with open(full, "r", encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise ConfigError(f"{key}: cannot read {path!r} ({e.strerror})", reason="unreadable_file") from None


def _secret(section: Dict[str, Any], key: str, base: str, name: str, required: bool) -> Optional[bytes]:
    """A secret given inline (``key``), in a file (``key_file``) or in an environment variable
    (``key_env``)."""
    if section.get(key) is not None:
        value = section[key]
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{name}.{key}: must be a non-empty string", reason="bad_value")
        return value.encode()
    if section.get(f"{key}_file") is not None:
        return _read_text(str(section[f"{key}_file"]), f"{name}.{key}_file", base).strip().encode()
    if section.get(f"{key}_env") is not None:
        value = os.environ.get(str(section[f"{key}_env"]))
        if not value:
            raise ConfigError(f"{name}.{key}_env: the environment variable is not set", reason="missing_key")
        return value.encode()
    if required:
        raise ConfigError(f"{name}.{key}: missing", reason="missing_key")
    return None


def _check_keys(section: Dict[str, Any], name: str, allowed: Iterable[str]) -> None:
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise ConfigError(f"{name}.{unknown[0]}: unknown key", reason="unknown_key")


# ---- the guard ------------------------------------------------------------------------------------

class Guard:
    """Token → policy → approval → grant → masked, audited response; see the module docstring."""

    def __init__(self, config: Dict[str, Any], *, base_dir: Optional[str] = None) -> None:
        if not isinstance(config, dict):
            raise ConfigError("config: must be an object", reason="bad_value")
        unknown = sorted(set(config) - set(_SECTIONS))
        if unknown:
            raise ConfigError(f"{unknown[0]}: unknown section", reason="unknown_key")
        self._base = base_dir or os.getcwd()
        self._lock = threading.Lock()
        self._closed = False
        self._masking = self._build_masking(_section(config, "masking", required=False))
        self._audit = self._build_audit(_section(config, "audit"))
        self.metrics = Metrics(queue_depth=self._audit_queue_depth)
        try:
            self._verifier = self._build_tokens(_section(config, "tokens"))
            self._policy_source = self._build_policy_source(_section(config, "policy"))
            self._policy = self._load_policy()
            self._issuer, self.grant_verifier = self._build_grants(_section(config, "grants"))
            self.approvals, self._approval_ttl = self._build_approvals(_section(config, "approvals", required=False))
            self._maskers: Dict[str, Any] = {}
            self._default_masker = self._masker_for("default")
        except BaseException:
            self._close_audit()
            raise

    @classmethod
    def from_file(cls, path: str) -> "Guard":
        """Builds a Guard from a JSON file; relative paths inside are relative to the file."""
        text = _read_text(path, "config", os.getcwd())
        try:
            config = json.loads(text)
        except ValueError as e:
            raise ConfigError(f"config: not valid JSON ({e.msg} at line {e.lineno})", reason="bad_json") from None
        return cls(config, base_dir=os.path.dirname(os.path.abspath(path)))

    # -- building ----------------------------------------------------------------------------------

    def _build_tokens(self, s: Dict[str, Any]) -> Any:
        _check_keys(s, "tokens", ("jwks", "jwks_file", "jwks_url", "issuer", "audience", "groups_claim",
                                  "leeway", "algorithms", "refresh_interval"))
        for key in ("issuer", "audience"):
            if not s.get(key):
                raise ConfigError(f"tokens.{key}: missing", reason="missing_key")
        leeway = s.get("leeway", 60.0)
        if not isinstance(leeway, (int, float)) or leeway < 0:
            raise ConfigError("tokens.leeway: must be a non-negative number of seconds", reason="bad_value")
        kwargs = dict(issuer=s["issuer"], audience=s["audience"], algorithms=s.get("algorithms"),
                      leeway=float(leeway), groups_claim=s.get("groups_claim", "groups"))
        sources = [k for k in ("jwks", "jwks_file", "jwks_url") if s.get(k) is not None]
        if len(sources) != 1:
            raise ConfigError("tokens.jwks: give exactly one of jwks, jwks_file, jwks_url", reason="missing_key"
                              if not sources else "conflicting_keys")
        try:
            if "jwks_url" in sources:
                return comp.verifier_from_url(s["jwks_url"], s.get("refresh_interval"), **kwargs)
            jwks = s["jwks"] if "jwks" in sources else _read_text(s["jwks_file"], "tokens.jwks_file", self._base)
            return comp.TokenVerifier(jwks=jwks, **kwargs)
        except ConfigError:
            raise
        except Error as e:
            raise ConfigError(f"tokens.{sources[0]}: {e.message}", reason=e.reason) from None

    def _build_policy_source(self, s: Dict[str, Any]) -> Callable[[], Any]:
        _check_keys(s, "policy", ("document", "file"))
        if ("document" in s) == ("file" in s):
            raise ConfigError("policy: give exactly one of document, file", reason="missing_key")
        if "document" in s:
            doc = s["document"]
            return lambda: doc
        path = s["file"]
        return lambda: _read_text(path, "policy.file", self._base)

    def _load_policy(self) -> Any:
        try:
            return comp.Policy(self._policy_source())
        except ConfigError:
            raise
        except Error as e:
            raise ConfigError(f"policy: {e.message}", reason=e.reason) from None

    def _build_grants(self, s: Dict[str, Any]):
        _check_keys(s, "grants", ("signing_key", "signing_key_file", "signing_key_env", "verify_key",
                                  "verify_key_file", "issuer", "key_id", "replay"))
        key = _secret(s, "signing_key", self._base, "grants", required=True)
        verify_key = _secret(s, "verify_key", self._base, "grants", required=False)
        issuer_name = s.get("issuer", "jitguard")
        replay = s.get("replay", "memory")
        try:
            issuer = comp.GrantIssuer(key, issuer=issuer_name, key_id=s.get("key_id"))
            if verify_key is None:
                verify_key = comp.public_half(key)
            if replay == "memory":
                cache = comp.MemoryReplayCache()
            elif isinstance(replay, str) and replay.startswith(("redis://", "rediss://", "unix://")):
                cache = comp.RedisReplayCache(replay)
            else:
                raise ConfigError("grants.replay: 'memory' or a redis:// URL", reason="bad_value")
            verifier = comp.GrantVerifier(verify_key, issuer=issuer_name, replay_cache=cache, audit=self._audit)
        except ConfigError:
            raise
        except Error as e:
            raise ConfigError(f"grants.signing_key: {e.message}", reason=e.reason) from None
        return issuer, verifier

    def _build_approvals(self, s: Dict[str, Any]):
        _check_keys(s, "approvals", ("backend", "url", "ttl"))
        backend = s.get("backend", "memory")
        ttl = s.get("ttl", 3600)
        if not isinstance(ttl, (int, float)) or ttl <= 0:
            raise ConfigError("approvals.ttl: must be a positive number of seconds", reason="bad_value")
        if backend == "memory":
            return comp.ApprovalStore.memory(), float(ttl)
        if backend == "redis":
            if not s.get("url"):
                raise ConfigError("approvals.url: missing (backend is redis)", reason="missing_key")
            try:
                return comp.ApprovalStore.redis(s["url"]), float(ttl)
            except Error as e:
                raise ConfigError(f"approvals.url: {e.message}", reason=e.reason) from None
        raise ConfigError("approvals.backend: 'memory' or 'redis'", reason="bad_value")

    def _build_audit(self, s: Dict[str, Any]) -> Any:
        _check_keys(s, "audit", ("file", "hmac_key", "hmac_key_file", "hmac_key_env", "fsync", "async",
                                 "queue_size", "postgres", "table", "writer_id", "callback"))
        targets = [k for k in ("file", "postgres", "callback") if s.get(k) is not None]
        if len(targets) != 1:
            raise ConfigError("audit: give exactly one of file, postgres, callback",
                              reason="missing_key" if not targets else "conflicting_keys")
        hmac_key = _secret(s, "hmac_key", self._base, "audit", required=False)
        try:
            if targets == ["file"]:
                path = s["file"] if os.path.isabs(s["file"]) else os.path.join(self._base, s["file"])
                fsync = s.get("fsync", "batch")
                if fsync not in ("batch", "always", "never"):
                    raise ConfigError("audit.fsync: 'batch', 'always' or 'never'", reason="bad_value")
                sink = comp.FileAuditSink(path, hmac_key=hmac_key, fsync=fsync)
            elif targets == ["postgres"]:
                sink = comp.PostgresAuditSink(s["postgres"], table=s.get("table", "jitguard_audit"),
                                              writer_id=s.get("writer_id"), hmac_key=hmac_key)
            else:
                if not callable(s["callback"]):
                    raise ConfigError("audit.callback: must be callable", reason="bad_value")
                sink = comp.CallbackSink(s["callback"])
            if s.get("async", False):
                sink = comp.AsyncAuditSink(sink, queue_size=int(s.get("queue_size", 4096)))
            return sink
        except ConfigError:
            raise
        except Error as e:
            raise ConfigError(f"audit.{targets[0]}: {e.message}", reason=e.reason) from None

    def _build_masking(self, s: Dict[str, Any]) -> Dict[str, Any]:
        _check_keys(s, "masking", ("hash_key", "hash_key_file", "hash_key_env", "custom", "terms", "json_keys"))
        shared: Dict[str, Any] = {}
        key = _secret(s, "hash_key", self._base if hasattr(self, "_base") else os.getcwd(), "masking", False)
        if key is not None:
            shared["hash_key"] = key
        for name in ("custom", "terms", "json_keys"):
            if s.get(name) is not None:
                shared[name] = s[name]
        return shared

    def _audit_queue_depth(self) -> int:
        return comp.queue_depth(self._audit)

    # -- masking -----------------------------------------------------------------------------------

    def _masker_for(self, profile: str) -> Any:
        """One Masker per profile, built once. Profiles are defined by the policy document."""
        profile = profile or "default"
        masker = self._maskers.get(profile)
        if masker is not None:
            return masker
        with self._lock:
            masker = self._maskers.get(profile)
            if masker is None:
                options = dict(self._masking)
                options.update(comp.profile_options(self._policy, profile))
                try:
                    masker = comp.Masker(**options)
                except Error as e:
                    raise ConfigError(f"masking: profile {profile!r}: {e.message}", reason=e.reason) from None
                self._maskers[profile] = masker
        return masker

    def masker(self, admission: Optional[Admission] = None) -> Any:
        """The Masker of the admission's profile (the default profile without one)."""
        return self._masker_for(admission.mask_profile if admission else "default")

    def mask_text(self, admission: Admission, text: str) -> str:
        """Masks a whole text (e.g. a prompt) with the admission's profile."""
        return self._masker_for(admission.mask_profile).mask(text)

    # -- the request path --------------------------------------------------------------------------

    def reload_policy(self) -> None:
        """Re-reads the policy (file or document); a bad policy raises and changes nothing."""
        policy = self._load_policy()
        with self._lock:
            self._policy = policy
            self._maskers = {}
        self._default_masker = self._masker_for("default")

    def audit(self, record: Dict[str, Any]) -> None:
        """Writes one record to the audit sink (content must already be masked)."""
        record.setdefault("time", time.time())
        self._audit.write(record)

    def admit(self, bearer_token: str, model: str = "", dataset: str = "", operation: str = "infer",
              prompt: str = "", attributes: Optional[Dict[str, Any]] = None, approval: Optional[str] = None,
              *, session_id: Optional[str] = None, now: Optional[float] = None) -> Admission:
        """Runs token → policy → approval → grant for one request; see the module docstring."""
        request_id = uuid.uuid4().hex
        attributes = dict(attributes or {})
        base = {"request_id": request_id, "model": model, "dataset": dataset, "operation": operation}
        try:
            identity = self._verifier.verify(bearer_token, now=now)
        except TokenError as e:
            self.metrics.add("token_rejections", e.reason)
            self.audit({"type": "token.rejected", **base, "reason": e.reason})
            raise
        session = session_id or str(identity.claims.get("sid") or identity.token_id or request_id)
        who = {"subject": identity.subject, "session_id": session, **base}
        masked_prompt = self._default_masker.mask(prompt) if prompt else ""

        policy = self._policy
        decision = policy.evaluate(subject=identity.subject, groups=list(identity.groups), model=model,
                                   dataset=dataset, operation=operation, prompt=prompt, attributes=attributes)
        effect = decision.effect
        self.metrics.add("decisions", effect)
        self.audit({"type": "policy.decision", **who, "groups": list(identity.groups), "decision": effect,
                    "rules": list(decision.rules), "reason": decision.reason, "prompt": masked_prompt})

        if effect == "deny":
            message = decision.message or "; ".join(decision.reasons) or "the policy denies this request"
            raise AccessDenied(message, reason=decision.reason, rules=list(decision.rules), decision=decision)

        digest = comp.digest(identity.subject, model, dataset, operation, prompt)
        ticket_id = None
        if effect == "approval_required":
            if not approval:
                reason_text = decision.message or "; ".join(decision.reasons) or "this request needs an approval"
                ticket = self.approvals.request(identity.subject, digest, reason_text,
                                                list(decision.approvers), self._approval_ttl)
                self.metrics.add("approvals", "requested")
                self.audit({"type": "approval.requested", **who, "ticket_id": ticket.id, "decision": effect,
                            "approvers": list(decision.approvers), "rules": list(decision.rules)})
                raise ApprovalRequired(reason_text, ticket=ticket, decision=decision)
            try:
                self.approvals.consume(approval, digest, now=now)
            except ApprovalError as e:
                self.audit({"type": "approval.consumed", **who, "ticket_id": approval, "decision": "refused",
                            "reason": e.reason})
                raise
            ticket_id = approval
            self.metrics.add("approvals", "consumed")
            self.audit({"type": "approval.consumed", **who, "ticket_id": approval, "decision": "consumed"})
        elif effect != "permit":
            raise AccessDenied(f"unknown policy effect {effect!r}", reason="policy_error", decision=decision)

        ttl = comp.ttl_seconds(decision.grant_ttl)
        grant = self._issuer.issue(identity.subject, datasets=[dataset] if dataset else [],
                                   operations=[operation], model=model or None, ttl=ttl, request_id=request_id,
                                   approval_id=ticket_id, now=now)
        self.metrics.add("grants")
        self.audit({"type": "grant.issued", **who, "decision": effect, "rules": list(decision.rules),
                    "grant_id": grant.id, "expires_at": grant.expires_at, "ticket_id": ticket_id or ""})
        profile = decision.mask_profile or "default"
        self.audit({"type": "inference.request", **who, "mask_profile": profile,
                    "prompt": self._masker_for(profile).mask(prompt) if prompt else ""})
        return Admission(identity=identity, decision=decision, grant=grant, mask_profile=profile,
                         session_id=session, request_id=request_id, model=model, dataset=dataset,
                         operation=operation, approval_ticket=ticket_id)

    def decide(self, approver_token: str, ticket_id: str, approve: bool = True, comment: str = "",
               *, now: Optional[float] = None) -> str:
        """Records an approver's verdict on a ticket; the approver is identified by their own access
        token, verified like any other. Returns the ticket's status afterwards."""
        try:
            approver = self._verifier.verify(approver_token, now=now)
        except TokenError as e:
            self.metrics.add("token_rejections", e.reason)
            self.audit({"type": "token.rejected", "reason": e.reason, "ticket_id": ticket_id})
            raise
        try:
            self.approvals.decide(ticket_id, approver.subject, list(approver.groups), approve=approve,
                                  comment=comment, now=now)
        except ApprovalError as e:
            self.audit({"type": "approval.decided", "ticket_id": ticket_id, "approver": approver.subject,
                        "decision": "refused", "reason": e.reason})
            raise
        self.audit({"type": "approval.decided", "ticket_id": ticket_id, "approver": approver.subject,
                    "decision": "approved" if approve else "denied"})
        return self.approvals.status(ticket_id, now=now)

    # -- responses ---------------------------------------------------------------------------------

    def response(self, admission: Admission) -> "ResponseGuard":
        """A push-style masker for one response; ``finish()`` writes ``inference.response``."""
        return ResponseGuard(self, admission)

    def mask_stream(self, admission: Admission, chunks: Iterable[str]) -> Iterator[str]:
        """Masks a stream of text chunks; the audit record is written when the stream ends."""
        rg = self.response(admission)
        try:
            for chunk in chunks:
                out = rg.write(chunk)
                if out:
                    yield out
        finally:
            tail = rg.finish()
        if tail:
            yield tail

    async def amask_stream(self, admission: Admission, chunks: AsyncIterable[str]) -> AsyncIterator[str]:
        """:meth:`mask_stream` for async iterables."""
        rg = self.response(admission)
        try:
            async for chunk in chunks:
                out = rg.write(chunk)
                if out:
                    yield out
        finally:
            tail = rg.finish()
        if tail:
            yield tail

    def sse_masker(self, admission: Admission) -> "SseMasker":
        return SseMasker(self.response(admission))

    def mask_sse(self, admission: Admission, byte_chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Masks an OpenAI-style SSE byte stream event by event (values split across events are
        still caught); the audit record is written when the stream ends."""
        sse = self.sse_masker(admission)
        try:
            for chunk in byte_chunks:
                out = sse.feed(chunk)
                if out:
                    yield out
        finally:
            tail = sse.finish()
        if tail:
            yield tail

    def mask_response_json(self, admission: Admission, body: bytes) -> bytes:
        """Masks a non-streaming chat/completions JSON body: every choice's text; a body that is not
        JSON is masked as text (fail closed)."""
        rg = self.response(admission)
        try:
            doc = json.loads(body)
        except ValueError:
            out = rg.write(body.decode("utf-8", "replace")) + rg.finish()
            return out.encode()
        for index, choice in enumerate(doc.get("choices") or [] if isinstance(doc, dict) else []):
            if not isinstance(choice, dict):
                continue
            message = choice.get("message")
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                message["content"] = rg.write(message["content"], index) + rg.end_channel(index)
            if isinstance(choice.get("text"), str):
                choice["text"] = rg.write(choice["text"], index) + rg.end_channel(index)
        rg.finish()
        if isinstance(doc, dict) and "choices" in doc:
            return json.dumps(doc).encode()
        # Not a chat/completions body: mask every string in it.
        return self._masker_for(admission.mask_profile).mask_json(body.decode("utf-8", "replace")).encode()

    # -- lifecycle ---------------------------------------------------------------------------------

    def metrics_text(self) -> str:
        """Counters in Prometheus text exposition format."""
        return self.metrics.text()

    def flush(self) -> None:
        self._audit.flush()

    def _close_audit(self) -> None:
        if getattr(self, "_audit", None) is not None:
            self._audit.close()

    def close(self) -> None:
        """Flushes and closes the audit sink."""
        if not self._closed:
            self._closed = True
            self._close_audit()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class ResponseGuard:
    """Masks one response with its admission's profile and audits it when finished.

    ``write(text, channel=0)`` returns what is safe to send now (a value that may continue in the next
    chunk is held back); ``finish()`` returns the rest and writes ``inference.response`` with the
    masked text and the finding counts. Channels are independent texts of one response (the choices
    of an ``n > 1`` completion). Belongs to one response; not thread-safe.
    """

    def __init__(self, guard: Guard, admission: Admission) -> None:
        self._guard = guard
        self._admission = admission
        self._masker = guard._masker_for(admission.mask_profile)
        self._streams: Dict[int, Any] = {}
        self._texts: Dict[int, List[str]] = {}
        self._findings: Dict[str, int] = {}
        self._finished = False

    def _stream(self, channel: int) -> Any:
        s = self._streams.get(channel)
        if s is None:
            s = self._streams[channel] = self._masker.stream()
            self._texts[channel] = []
        return s

    def write(self, text: str, channel: int = 0) -> str:
        if self._finished:
            raise Error("the response is already finished", reason="finished")
        out = self._stream(channel).write(text)
        self._texts[channel].append(out)
        return out

    def end_channel(self, channel: int = 0) -> str:
        """Ends one channel and returns its held tail."""
        s = self._streams.get(channel)
        if s is None or isinstance(s, _Finished):
            return ""
        tail = s.finish()
        self._texts[channel].append(tail)
        for entity, n in comp.stream_findings(s).items():
            self._findings[entity] = self._findings.get(entity, 0) + n
        self._streams[channel] = _Finished()
        return tail

    def finish(self) -> str:
        """Returns the held tail of channel 0 (every channel is ended) and writes the audit record."""
        if self._finished:
            return ""
        tail = ""
        for channel in sorted(self._streams):
            rest = self.end_channel(channel)
            if channel == 0:
                tail = rest
        self._finished = True
        for entity, n in self._findings.items():
            self._guard.metrics.add("findings", entity, n)
        adm = self._admission
        texts = ["".join(self._texts[c]) for c in sorted(self._texts)]
        self._guard.audit({"type": "inference.response", "request_id": adm.request_id,
                           "session_id": adm.session_id, "subject": adm.subject, "model": adm.model,
                           "dataset": adm.dataset, "mask_profile": adm.mask_profile,
                           "response": texts[0] if len(texts) == 1 else "\n".join(texts),
                           "findings": dict(sorted(self._findings.items()))})
        return tail

    @property
    def findings(self) -> Dict[str, int]:
        return dict(self._findings)


class _Finished:
    def finish(self) -> str:
        return ""

    def write(self, text: str) -> str:
        raise Error("the response channel is already finished", reason="finished")


class SseMasker:
    """Push-style masking of an OpenAI-style Server-Sent Events byte stream.

    ``feed(bytes)`` returns the complete events received so far with every choice's text
    (``delta.content``, ``text``, ``message.content``) masked; a value split across events is held
    back and released, masked, in a later event. Before ``data: [DONE]`` (or at ``finish()``), the
    held tail of each choice goes out in one more event shaped like the last one. Events that are not
    JSON are masked as text. Comments and other fields pass through.
    """

    def __init__(self, response: ResponseGuard) -> None:
        self._rg = response
        self._pending = b""
        self._template: Dict[int, Dict[str, Any]] = {}
        self._flushed = False

    def feed(self, data: bytes) -> bytes:
        self._pending += data.replace(b"\r\n", b"\n")
        out: List[bytes] = []
        while True:
            end = self._pending.find(b"\n\n")
            if end < 0:
                break
            event, self._pending = self._pending[:end], self._pending[end + 2:]
            out.append(self._event(event))
        return b"".join(out)

    def finish(self) -> bytes:
        out = b""
        if self._pending.strip():
            out += self._event(self._pending.rstrip(b"\n"))
        self._pending = b""
        out += self._flush_tails()
        self._rg.finish()
        return out

    def _flush_tails(self) -> bytes:
        if self._flushed:
            return b""
        self._flushed = True
        out = []
        for channel in sorted(self._template):
            tail = self._rg.end_channel(channel)
            if tail:
                doc = self._template[channel]
                _set_choice_text(doc, tail)
                out.append(b"data: " + json.dumps(doc).encode() + b"\n\n")
        return b"".join(out)

    def _event(self, event: bytes) -> bytes:
        data_lines = []
        other = []
        for line in event.split(b"\n"):
            if line.startswith(b"data:"):
                value = line[5:]
                data_lines.append(value[1:] if value.startswith(b" ") else value)
            else:
                other.append(line)
        if not data_lines:
            return event + b"\n\n"
        data = b"\n".join(data_lines)
        head = b"".join(line + b"\n" for line in other if line)
        if data.strip() == b"[DONE]":
            return self._flush_tails() + head + b"data: [DONE]\n\n"
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            masked = self._rg._masker.mask(data.decode("utf-8", "replace"))
            return head + b"".join(b"data: " + line.encode() + b"\n" for line in masked.split("\n")) + b"\n"
        for choice in doc.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            channel = choice.get("index", 0) if isinstance(choice.get("index", 0), int) else 0
            text = _choice_text(choice)
            if text is None:
                continue
            masked = self._rg.write(text, channel)
            _set_text(choice, masked)
            template = json.loads(json.dumps(doc))
            template["choices"] = [_empty_choice(choice)]
            self._template[channel] = template
        return head + b"data: " + json.dumps(doc).encode() + b"\n\n"


def _choice_text(choice: Dict[str, Any]) -> Optional[str]:
    for holder in ("delta", "message"):
        part = choice.get(holder)
        if isinstance(part, dict) and isinstance(part.get("content"), str):
            return part["content"]
    if isinstance(choice.get("text"), str):
        return choice["text"]
    return None


def _set_text(choice: Dict[str, Any], text: str) -> None:
    for holder in ("delta", "message"):
        part = choice.get(holder)
        if isinstance(part, dict) and isinstance(part.get("content"), str):
            part["content"] = text
            return
    choice["text"] = text


def _empty_choice(choice: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"index": choice.get("index", 0)}
    if isinstance(choice.get("delta"), dict):
        out["delta"] = {"content": ""}
    elif isinstance(choice.get("message"), dict):
        out["message"] = {"content": ""}
    else:
        out["text"] = ""
    out["finish_reason"] = None
    return out


def _set_choice_text(doc: Dict[str, Any], text: str) -> None:
    _set_text(doc["choices"][0], text)


# ---- the C++ Guard ---------------------------------------------------------------------------------

class NativeGuard:
    """The C++ ``jitguard::Guard`` (the one C++ servers such as ``examples/guarded_server`` run),
    with the :class:`Guard` interface: the same configuration, the same decisions, errors, audit
    records and metrics, and every step in C++ with the GIL released.

    Differences from :class:`Guard`: ``audit.callback`` and ``tokens.jwks_url`` are not available
    (the C++ Guard takes its JWKS from ``jwks`` / ``jwks_file``); approvals are decided through
    :meth:`decide` (with the approver's token) and grants checked through :meth:`verify_grant`.
    """

    def __init__(self, config: Dict[str, Any], *, base_dir: Optional[str] = None) -> None:
        from . import _core

        if not isinstance(config, dict):
            raise ConfigError("config: must be an object", reason="bad_value")
        self._g = _core._NativeGuard.from_config_json(json.dumps(config), base_dir or os.getcwd())
        self._closed = False

    @classmethod
    def from_file(cls, path: str) -> "NativeGuard":
        from . import _core

        self = cls.__new__(cls)
        text = _read_text(path, "config", os.getcwd())
        self._g = _core._NativeGuard.from_config_json(text, os.path.dirname(os.path.abspath(path)))
        self._closed = False
        return self

    def admit(self, bearer_token: str, model: str = "", dataset: str = "", operation: str = "infer",
              prompt: str = "", attributes: Optional[Dict[str, Any]] = None, approval: Optional[str] = None,
              *, session_id: Optional[str] = None, now: Optional[float] = None) -> Admission:
        """As :meth:`Guard.admit`."""
        from .errors import error_class_for_domain
        from .grant import IssuedGrant

        native, refusal = self._g.admit(bearer_token, model, dataset, operation, prompt, dict(attributes or {}),
                                        approval or "", session_id or "", now)
        if refusal is not None:
            decision = _NativeDecision(refusal["effect"], refusal["reason"], refusal["rules"], [], 0, "",
                                       refusal["approvers"], refusal["message"])
            if refusal["reason"] == "approval_required":
                raise ApprovalRequired(refusal["message"], ticket=_NativeTicket(refusal["ticket_id"],
                                                                               refusal["approvers"]),
                                       decision=decision)
            if refusal["domain"] == "access":
                raise AccessDenied(refusal["message"], reason=refusal["reason"], rules=refusal["rules"],
                                   decision=decision)
            raise error_class_for_domain(refusal["domain"])(refusal["message"], reason=refusal["reason"])
        identity = _NativeIdentity(native.subject, native.issuer, list(native.groups), native.token_id)
        decision = _NativeDecision(native.effect, native.reason, list(native.rules), list(native.reasons),
                                   native.grant_ttl, native.mask_profile, list(native.approvers), native.message)
        grant = IssuedGrant(native.grant, native.grant_id, native.grant_expires_at)
        adm = Admission(identity=identity, decision=decision, grant=grant, mask_profile=native.mask_profile,
                        session_id=native.session_id, request_id=native.request_id, model=native.model,
                        dataset=native.dataset, operation=native.operation,
                        approval_ticket=native.approval_ticket or None, _native=native)
        return adm

    @staticmethod
    def _native(adm: Admission) -> Any:
        if adm._native is None:
            raise Error("not an admission of a NativeGuard", reason="bad_admission")
        return adm._native

    def decide(self, approver_token: str, ticket_id: str, approve: bool = True, comment: str = "",
               *, now: Optional[float] = None) -> str:
        """As :meth:`Guard.decide`."""
        return self._g.decide(approver_token, ticket_id, bool(approve), comment, now)

    def verify_grant(self, grant: Any, dataset: str = "", operation: str = "", *,
                     now: Optional[float] = None) -> None:
        """Checks a grant once where the data store is called (raises GrantError)."""
        self._g.verify_grant(str(grant), dataset or "", operation or "", now)

    def mask_text(self, admission: Admission, text: str) -> str:
        return self._g.mask_prompt(self._native(admission), text)

    def mask_stream(self, admission: Admission, chunks: Iterable[str]) -> Iterator[str]:
        """As :meth:`Guard.mask_stream`; the C++ ResponseGuard writes ``inference.response``."""
        import codecs

        rg = self._g.new_response(self._native(admission), False)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in chunks:
                out = decoder.decode(rg.write(chunk.encode()))
                if out:
                    yield out
        finally:
            tail = decoder.decode(rg.finish(), final=True)
        if tail:
            yield tail

    def mask_sse(self, admission: Admission, byte_chunks: Iterable[bytes]) -> Iterator[bytes]:
        """As :meth:`Guard.mask_sse` (an event that is not JSON raises MaskError: fail closed)."""
        rg = self._g.new_response(self._native(admission), True)
        try:
            for chunk in byte_chunks:
                out = rg.write(bytes(chunk))
                if out:
                    yield out
        finally:
            tail = rg.finish()
        if tail:
            yield tail

    # The pieces JitGuardMiddleware uses, so the middleware runs on the C++ engine too.

    def response(self, admission: Admission) -> "_NativeText":
        """A push-style text masker for one response (``write``/``finish``)."""
        return _NativeText(self._g.new_response(self._native(admission), False))

    def sse_masker(self, admission: Admission) -> "_NativeSse":
        """A push-style SSE masker for one response (``feed``/``finish``)."""
        return _NativeSse(self._g.new_response(self._native(admission), True))

    def mask_response_json(self, admission: Admission, body: bytes) -> bytes:
        """As :meth:`Guard.mask_response_json` (one audited response per choice)."""
        try:
            doc = json.loads(body)
        except ValueError:
            rg = self.response(admission)
            return (rg.write(body.decode("utf-8", "replace")) + rg.finish()).encode()
        if not isinstance(doc, dict) or "choices" not in doc:
            rg = self.response(admission)
            return (rg.write(body.decode("utf-8", "replace")) + rg.finish()).encode()
        for choice in doc.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            message = choice.get("message")
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                rg = self.response(admission)
                message["content"] = rg.write(message["content"]) + rg.finish()
            if isinstance(choice.get("text"), str):
                rg = self.response(admission)
                choice["text"] = rg.write(choice["text"]) + rg.finish()
        return json.dumps(doc).encode()

    def reload_policy(self) -> None:
        self._g.reload_policy()

    def metrics_text(self) -> str:
        return self._g.metrics_text()

    def flush(self) -> None:
        """Makes every audit record written so far durable."""
        self._g.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._g.close()

    def __enter__(self) -> "NativeGuard":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass(frozen=True)
class _NativeIdentity:
    subject: str
    issuer: str
    groups: List[str]
    token_id: str


@dataclass(frozen=True)
class _NativeDecision:
    effect: str
    reason: str
    rules: List[str]
    reasons: List[str]
    grant_ttl: int
    mask_profile: str
    approvers: List[str]
    message: str


@dataclass(frozen=True)
class _NativeTicket:
    id: str
    approver_groups: List[str] = field(default_factory=list)


class _NativeText:
    def __init__(self, rg: Any) -> None:
        import codecs

        self._rg = rg
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(self, text: str) -> str:
        return self._decoder.decode(self._rg.write(text.encode()))

    def finish(self) -> str:
        if self._rg.finished:
            return ""
        return self._decoder.decode(self._rg.finish(), final=True)


class _NativeSse:
    def __init__(self, rg: Any) -> None:
        self._rg = rg

    def feed(self, data: bytes) -> bytes:
        return self._rg.write(bytes(data))

    def finish(self) -> bytes:
        return b"" if self._rg.finished else self._rg.finish()
