"""The jitguard demo (``make demo`` / ``jitguard demo`` / ``python -m jitguard.demo``).

It sets up a complete, self-contained deployment in a scratch directory: an identity provider key
and its JWKS, access tokens for a data scientist, a contractor, a security lead and a batch job, a
grant signing key, an audit key, a policy and a ``jitguard.json`` config. Then it drives a
:class:`jitguard.Guard` through the scenes that matter and prints a short transcript:

1. a permitted request whose streamed answer has its PII masked live (an email split across chunks);
2. a forbidden operation (the contractor asks to fine-tune on customer data);
3. a prompt that needs approval: the ticket is filed, the requester cannot approve it, a security lead
   does, and the retried request is served;
4. the data store verifies the grant once, and a replay of the same grant is refused;
5. a token for the wrong audience and a batch job's request;
6. the audit log is verified (hash chain + HMAC) and checked for raw PII; the metrics are printed.

Everything runs in-process on the real components; it needs the ``cryptography`` package only to
create the identity provider's key and sign the demo's access tokens.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

__all__ = ["run", "main", "add_arguments", "POLICY", "model_answer"]

ISSUER = "https://idp.demo.jitguard.test"
AUDIENCE = "inference"

POLICY: Dict[str, Any] = {
    "version": 1,
    "defaults": {"max_grant_ttl": "5m", "mask_profile": "standard"},
    "mask_profiles": [
        {"name": "standard", "entities": "all", "style": "label"},
        {"name": "strict", "entities": "all", "style": "redact"},
    ],
    "rules": [
        {"id": "contractors-no-training", "effect": "forbid", "groups": ["contractors"],
         "operations": ["fine_tune", "export"],
         "message": "contractors may not train on or export customer data"},
        {"id": "bulk-export-needs-approval", "effect": "require_approval",
         "prompt": {"keywords": ["export", "download", "dump"]},
         "approvers": ["security-leads"], "max_grant_ttl": "60s",
         "message": "bulk export of customer data needs a security lead's approval"},
        {"id": "data-science", "effect": "permit", "groups": ["data-scientists"],
         "models": ["support-*"], "datasets": ["support-tickets", "claims"],
         "operations": ["infer", "summarize"], "max_grant_ttl": "2m", "mask_profile": "standard"},
        {"id": "contractors-tickets", "effect": "permit", "groups": ["contractors"],
         "models": ["support-*"], "datasets": ["support-tickets"],
         "operations": ["infer", "fine_tune"], "max_grant_ttl": "60s", "mask_profile": "strict"},
        {"id": "nightly-batch", "effect": "permit", "subjects": ["svc-nightly-batch"],
         "models": ["embed-*"], "datasets": ["claims"], "operations": ["embed"], "max_grant_ttl": "15m"},
    ],
}

# What the stand-in model answers, in the chunks a tokenizer might produce. The email address and the
# phone number are split across chunks on purpose: a chunk-by-chunk regex would miss them.
_ANSWER = ["Ticket 4411 was opened by Dana Whitfield (dana.whit", "field@example.com, ",
           "phone +1 415 555 ", "0134). She reports that the refund for card ",
           "4111 1111 1111 1111 never arrived. Suggested reply: apologise and ",
           "re-issue the refund within 2 business days."]

_EXPORT_ANSWER = ["Exported 3 rows: ana@corp.example, ", "ben@corp.", "example, chi@corp.example."]


def model_answer(prompt: str) -> Iterator[str]:
    """The stand-in model: a canned, chunked answer that contains PII."""
    chunks = _EXPORT_ANSWER if "export" in prompt.lower() else _ANSWER
    for chunk in chunks:
        yield chunk


# ---- keys and tokens (the demo's identity provider) -----------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DemoIdp:
    """An ES256 identity provider: one P-256 key, its JWKS, and a token minting function."""

    def __init__(self) -> None:
        try:
            from cryptography.hazmat.primitives.asymmetric import ec
        except ImportError:  # pragma: no cover
            raise SystemExit("jitguard demo: the 'cryptography' package is needed to play the identity "
                             "provider (pip install cryptography)")
        self._ec = ec
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.kid = "demo-" + secrets.token_hex(4)
        self.jwks = {"keys": [{"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
                               "x": _b64(numbers.x.to_bytes(32, "big")),
                               "y": _b64(numbers.y.to_bytes(32, "big"))}]}

    def mint(self, subject: str, groups: List[str], *, audience: str = AUDIENCE, ttl: int = 600,
             now: Optional[float] = None) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        now = int(now if now is not None else time.time())
        header = {"alg": "ES256", "typ": "JWT", "kid": self.kid}
        claims = {"iss": ISSUER, "sub": subject, "aud": audience, "groups": groups, "iat": now,
                  "nbf": now, "exp": now + ttl, "jti": secrets.token_hex(8), "sid": "s-" + secrets.token_hex(4)}
        signing_input = (_b64(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         _b64(json.dumps(claims, separators=(",", ":")).encode()))
        der = self._key.sign(signing_input.encode(), self._ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def write_deployment(workdir: str, idp: DemoIdp) -> Dict[str, Any]:
    """Writes jwks.json, policy.json, the keys and jitguard.json into `workdir`; returns the config."""
    os.makedirs(workdir, exist_ok=True)
    grant_key = secrets.token_hex(32)
    audit_key = secrets.token_hex(32)
    hash_key = secrets.token_hex(32)

    def write(name: str, text: str, mode: int = 0o644) -> None:
        path = os.path.join(workdir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)

    write("jwks.json", json.dumps(idp.jwks, indent=2))
    write("policy.json", json.dumps(POLICY, indent=2))
    write("grant.key", grant_key, 0o600)
    write("audit.key", audit_key, 0o600)
    write("hash.key", hash_key, 0o600)
    config = {
        "tokens": {"jwks_file": "jwks.json", "issuer": ISSUER, "audience": AUDIENCE, "leeway": 30},
        "policy": {"file": "policy.json"},
        "grants": {"signing_key_file": "grant.key", "issuer": "jitguard-demo"},
        "approvals": {"backend": "memory", "ttl": 900},
        "audit": {"file": "audit.jsonl", "hmac_key_file": "audit.key", "fsync": "batch"},
        "masking": {"hash_key_file": "hash.key"},
    }
    write("jitguard.json", json.dumps(config, indent=2))
    return config


# ---- the transcript -------------------------------------------------------------------------------

class Transcript:
    def __init__(self, out: Callable[[str], None]) -> None:
        self._out = out
        self.lines: List[str] = []

    def __call__(self, text: str = "") -> None:
        self.lines.append(text)
        self._out(text)

    def scene(self, n: int, title: str) -> None:
        self("")
        self(f"[{n}] {title}")


def run(args: argparse.Namespace) -> int:
    import jitguard

    out = Transcript(lambda line: print(line, flush=True) if not args.quiet else None)
    workdir = args.workdir or tempfile.mkdtemp(prefix="jitguard-demo-")
    idp = DemoIdp()
    write_deployment(workdir, idp)
    alice = idp.mint("alice", ["data-scientists"])            # a data scientist
    bob = idp.mint("bob", ["contractors"])                    # a contractor
    carol = idp.mint("carol", ["security-leads"])             # a security lead (decides tickets)
    batch = idp.mint("svc-nightly-batch", ["batch"])          # a batch job

    out("jitguard demo: identity, policy, just-in-time grants, live masking, tamper-evident audit")
    out(f"workdir: {workdir}")
    out("identity provider: ES256 key, JWKS written; tokens minted for alice (data-scientists), "
        "bob (contractors), carol (security-leads), svc-nightly-batch (batch)")

    guard = jitguard.Guard.from_file(os.path.join(workdir, "jitguard.json"))
    out("engine: jitguard.Guard, the C++ jitguard::Guard (the one C++ servers link) through the binding")
    served: Dict[str, Any] = {}
    try:
        # 1 -------------------------------------------------------------------------------------
        out.scene(1, "alice (data scientist) asks the support model about a ticket; the answer streams")
        prompt = "Summarize ticket 4411 from the support-tickets dataset and draft a reply."
        adm = guard.admit(alice, model="support-llm", dataset="support-tickets", operation="summarize",
                          prompt=prompt)
        out(f"  admitted: rule {', '.join(adm.decision.rules)}, mask profile {adm.mask_profile}, "
            f"grant {adm.grant.id[:12]}... ttl {adm.decision.grant_ttl}s")
        pieces = []
        for piece in guard.mask_stream(adm, model_answer(prompt)):
            pieces.append(piece)
            out(f"  stream> {piece!r}")
        answer = "".join(pieces)
        raw = "".join(_ANSWER)
        out(f"  the client never saw the email: {'dana.whitfield@example.com' not in answer}")
        served["masked_answer"] = answer
        served["raw_leaked"] = any(v in answer for v in ("dana.whitfield@example.com", "4111 1111 1111 1111"))
        del raw

        # 2 -------------------------------------------------------------------------------------
        out.scene(2, "bob (contractor) asks to fine-tune the support model on customer tickets")
        try:
            guard.admit(bob, model="support-llm", dataset="support-tickets", operation="fine_tune",
                        prompt="Fine-tune on last month's tickets.")
            out("  UNEXPECTED: admitted")
            served["forbidden"] = False
        except jitguard.AccessDenied as e:
            out(f"  denied ({e.reason}) by rule {', '.join(e.rules)}: {e.message}")
            served["forbidden"] = True

        # 3 -------------------------------------------------------------------------------------
        out.scene(3, "alice asks to export customer emails: that needs a security lead's approval")
        export_prompt = "Export the contact emails of every customer in the claims dataset."
        request = dict(model="support-llm", dataset="claims", operation="infer", prompt=export_prompt)
        ticket = None
        try:
            guard.admit(alice, **request)
        except jitguard.ApprovalRequired as e:
            ticket = e.ticket
            out(f"  approval required: ticket {ticket.id} filed for approvers "
                f"{', '.join(e.decision.approvers)} ({e.message})")
        try:
            guard.decide(alice, ticket.id, approve=True)
            out("  UNEXPECTED: alice approved her own request")
        except jitguard.ApprovalError as e:
            out(f"  alice tries to approve it herself: refused ({e.reason})")
        status = guard.decide(carol, ticket.id, approve=True, comment="one-off export for GDPR request #77")
        out(f"  carol (security lead) approves with her own token; ticket status: {status}")
        adm3 = guard.admit(alice, approval=ticket.id, **request)
        answer3 = "".join(guard.mask_stream(adm3, model_answer(export_prompt)))
        out(f"  retried with the ticket: admitted (grant ttl {adm3.decision.grant_ttl}s); served: {answer3!r}")
        try:
            guard.admit(alice, approval=ticket.id, **request)
            out("  UNEXPECTED: the ticket worked twice")
        except jitguard.ApprovalError as e:
            out(f"  the same ticket again: refused ({e.reason})")
        served["approval"] = True

        # 4 -------------------------------------------------------------------------------------
        out.scene(4, "the data store checks the grant of scene 1; then someone replays it")
        verify = guard.grant_verifier.verify
        verify(str(adm.grant), dataset="support-tickets", operation="summarize")
        out(f"  first use: valid grant {adm.grant.id[:12]}... for {adm.subject} on support-tickets")
        try:
            verify(str(adm.grant), dataset="support-tickets", operation="summarize")
            out("  UNEXPECTED: the replay was accepted")
            served["replay_refused"] = False
        except jitguard.GrantError as e:
            out(f"  replay: refused ({e.reason})")
            served["replay_refused"] = e.reason == "replayed"

        # 5 -------------------------------------------------------------------------------------
        out.scene(5, "a token minted for another audience, and the nightly batch job")
        try:
            guard.admit(idp.mint("mallory", ["data-scientists"], audience="billing"), model="support-llm",
                        dataset="claims", operation="infer", prompt="hi")
            out("  UNEXPECTED: the foreign token was accepted")
        except jitguard.TokenError as e:
            out(f"  token for audience 'billing': rejected ({e.reason})")
        adm5 = guard.admit(batch, model="embed-small", dataset="claims", operation="embed",
                           prompt="embed claim 99812")
        out(f"  svc-nightly-batch embeds claims: admitted by {', '.join(adm5.decision.rules)}")
        for _ in guard.mask_stream(adm5, ["[0.12, -0.03, 0.88]"]):
            pass
    finally:
        guard.close()

    # 6 -----------------------------------------------------------------------------------------
    out.scene(6, "the audit log")
    log = os.path.join(workdir, "audit.jsonl")
    with open(os.path.join(workdir, "audit.key"), "r", encoding="utf-8") as f:
        audit_key = f.read().strip().encode()
    result = jitguard.verify_audit_log(log, hmac_key=audit_key)
    with open(log, "r", encoding="utf-8") as f:
        text = f.read()
    types: Dict[str, int] = {}
    for line in text.splitlines():
        kind = json.loads(line).get("type", "?")
        types[kind] = types.get(kind, 0) + 1
    pii = [v for v in ("dana.whitfield@example.com", "4111 1111 1111 1111", "ben@corp.example") if v in text]
    out(f"  {result.records} records, hash chain and HMAC verified: {'ok' if result.ok else 'FAILED ' + result.reason}")
    out("  " + ", ".join(f"{k} x{v}" for k, v in sorted(types.items())))
    out(f"  raw PII in the log: {'none' if not pii else 'FOUND'}")
    # Tamper with a copy to show that verification notices.
    tampered = log + ".tampered"
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace("alice", "alicf", 1)
    with open(tampered, "w", encoding="utf-8") as f:
        f.writelines(lines)
    bad = jitguard.verify_audit_log(tampered, hmac_key=audit_key)
    out(f"  a copy with one edited byte in record 2: {'ok (UNEXPECTED)' if bad.ok else 'rejected (' + bad.reason + ')'}")
    out("")
    out("metrics:")
    for line in guard.metrics_text().splitlines():
        if not line.startswith("#"):
            out("  " + line)
    ok = (result.ok and not bad.ok and not pii and served.get("forbidden") and served.get("approval")
          and served.get("replay_refused") and not served.get("raw_leaked"))
    out("")
    out("demo: " + ("every check passed" if ok else "SOMETHING WENT WRONG"))
    return 0 if ok else 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", default=None, help="where to write keys, config and the audit log "
                                                        "(default: a fresh temporary directory)")
    parser.add_argument("--build", default=None, help="the CMake build directory (accepted for make demo)")
    parser.add_argument("--quiet", action="store_true", help="print nothing; the exit status tells")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jitguard.demo", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except Exception as e:  # one clear line, never a token or a key
        from .errors import Error

        if isinstance(e, Error):
            print(f"jitguard demo: error: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
