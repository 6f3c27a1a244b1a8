"""jitguard: authorization, just-in-time grants, streaming PII masking and tamper-evident audit,
inside the inference server.

The public names are listed in ``__all__``; see DESIGN.md for the contract.
"""
from . import _core  # noqa: F401  (fails early if the extension is missing)
from ._version import __version__
from .errors import (
    AccessDenied,
    ApprovalError,
    ApprovalRequired,
    AuditError,
    ConfigError,
    Error,
    GrantError,
    MaskError,
    PolicyError,
    TokenError,
)

__all__ = [
    "__version__",
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
]

# Component APIs (each module adds its names to __all__ below).

# --- mask ---
from .mask import (  # noqa: E402
    ENTITIES,
    Finding,
    Masker,
    MaskStream,
    SseMaskStream,
    amask_sse,
    amask_stream,
    mask_sse,
    mask_stream,
)

__all__ += ["ENTITIES", "Finding", "Masker", "MaskStream", "SseMaskStream", "mask_stream",
            "amask_stream", "mask_sse", "amask_sse"]

# --- token ---
from .token import Identity, JwksClient, TokenVerifier  # noqa: E402

__all__ += ["Identity", "JwksClient", "TokenVerifier"]

# --- policy ---
from .policy import Decision, Policy, PolicyStore  # noqa: E402

__all__ += ["Policy", "PolicyStore", "Decision"]

# --- audit ---
from .audit import (  # noqa: E402
    AsyncAuditSink,
    AuditCheckpoint,
    AuditSink,
    AuditTableVerifyResult,
    AuditVerifyResult,
    CallbackSink,
    FileAuditSink,
    PostgresAuditSink,
    TeeSink,
    audit_log_files,
    read_audit_log,
    verify_audit_log,
    verify_audit_table,
)

__all__ += ["AuditSink", "FileAuditSink", "PostgresAuditSink", "AsyncAuditSink", "TeeSink", "CallbackSink",
            "AuditCheckpoint", "AuditVerifyResult", "AuditTableVerifyResult", "verify_audit_log",
            "verify_audit_table", "read_audit_log", "audit_log_files"]

# --- grant ---
from .grant import (  # noqa: E402
    Grant,
    GrantIssuer,
    GrantVerifier,
    IssuedGrant,
    MemoryReplayCache,
    RedisReplayCache,
    ReplayCache,
)

__all__ += ["GrantIssuer", "GrantVerifier", "IssuedGrant", "Grant", "ReplayCache", "MemoryReplayCache",
            "RedisReplayCache"]

# --- approval ---
from .approval import ApprovalDecision, ApprovalStore, ApprovalTicket, request_digest  # noqa: E402

__all__ += ["ApprovalStore", "ApprovalTicket", "ApprovalDecision", "request_digest"]

# --- guard ---
from .guard import Admission, Guard, ResponseGuard  # noqa: E402

__all__ += ["Guard", "Admission", "ResponseGuard"]
