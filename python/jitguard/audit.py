"""Tamper-evident audit: sinks, verification and session replay.

Every sink takes events as dicts::

    {"type": "policy.decision", "session_id": "s-1", "subject": "alice", "model": "llama-3",
     "decision": "permit", "rules": ["allow-analysts"], "gen_ai.usage.input_tokens": 12}

The common members (``type``, ``time``, ``session_id``, ``request_id``, ``subject``, ``groups``,
``model``/``gen_ai.request.model``, ``dataset``, ``operation``, ``decision``, ``rules``) go to their
fixed place in the record; every other key is an extra field (None, bool, int, float, str, a list of
str, or a dict of those). ``time`` is a ``datetime`` or Unix seconds; leave it out and the sink
stamps the current time. See docs/audit.md for the record format and the chain.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import socket
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from . import _core
from .errors import ConfigError
from .mask import Masker

__all__ = [
    "AuditSink",
    "FileAuditSink",
    "PostgresAuditSink",
    "AsyncAuditSink",
    "TeeSink",
    "CallbackSink",
    "AuditCheckpoint",
    "AuditVerifyResult",
    "AuditTableVerifyResult",
    "verify_audit_log",
    "verify_audit_table",
    "read_audit_log",
    "audit_log_files",
]

Key = Union[bytes, str, None]


class AuditCheckpoint(NamedTuple):
    """The state of a chain: ``records`` written and the ``head`` hash (hex) of the last one.

    Store it somewhere the log's writer cannot rewrite; ``verify_audit_log(..., checkpoint=cp)`` then
    detects truncation. ``str(cp)`` is ``"records:head"``, which ``parse`` reads back."""

    records: int
    head: str

    def __str__(self) -> str:
        return f"{self.records}:{self.head}"

    @classmethod
    def parse(cls, text: str) -> "AuditCheckpoint":
        records, _, head = text.partition(":")
        if not records.isdigit() or len(head) != 64:
            from .errors import AuditError

            raise AuditError("a checkpoint is \"<records>:<64 hex digits>\"", reason="bad_checkpoint")
        return cls(int(records), head)


class AuditVerifyResult(NamedTuple):
    """Outcome of verifying a chain. Tampering is ``ok=False`` with ``first_bad`` (1-based position
    in the chain) and ``reason``; ``torn_tail`` means a crash cut the last line and everything before
    it is intact."""

    ok: bool
    records: int
    first_bad: Optional[int]
    reason: str
    torn_tail: bool
    file: str
    head: AuditCheckpoint

    def __bool__(self) -> bool:
        return self.ok


class AuditTableVerifyResult(NamedTuple):
    """Outcome of verifying a Postgres audit table: one chain per writer id."""

    ok: bool
    records: int
    writers: Dict[str, AuditVerifyResult]

    def __bool__(self) -> bool:
        return self.ok


def _result(d: Dict[str, Any]) -> AuditVerifyResult:
    return AuditVerifyResult(d["ok"], d["records"], d["first_bad"], d["reason"], d["torn_tail"],
                             d["file"], AuditCheckpoint(*d["head"]))


def _event(event: Dict[str, Any]) -> Dict[str, Any]:
    t = event.get("time")
    if t is None or isinstance(t, (int, float)) and not isinstance(t, bool):
        return event
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        out = dict(event)
        out["time"] = t.timestamp()
        return out
    raise TypeError("'time' must be a datetime, Unix seconds or None")


def _key(hmac_key: Key) -> Key:
    if hmac_key is not None and not isinstance(hmac_key, (bytes, bytearray, str)):
        raise TypeError("hmac_key must be bytes, str or None")
    return bytes(hmac_key) if isinstance(hmac_key, bytearray) else hmac_key


def _masking(mask: Union[bool, Sequence[str], Masker], style: str) -> Tuple[bool, Any]:
    """(masking on?, what the native sink takes: None, entity names, or the native Masker)."""
    if isinstance(mask, bool):
        return mask, None
    if isinstance(mask, Masker):
        if style != "label":
            raise ConfigError("mask_style: give the style to the Masker, not to the sink",
                              reason="conflicting_keys")
        return True, mask._m
    if isinstance(mask, str):
        raise TypeError("mask must be True, False, a list of entity names or a jitguard.Masker")
    return True, list(mask)


class AuditSink:
    """Base of every sink: ``write(event)``, ``flush()``, ``close()``; usable as a context manager
    (closing on exit). Writes and flushes release the GIL."""

    _s: Any

    def write(self, event: Dict[str, Any]) -> None:
        """Records one event (a dict); raises AuditError (e.g. reason ``bad_event``, ``closed``,
        ``queue_full``, ``io_error``)."""
        self._s.write(_event(event))

    def flush(self) -> None:
        """Makes every accepted event durable (synced / committed / drained)."""
        self._s.flush()

    def close(self) -> None:
        """Flushes and releases the sink; later writes raise AuditError(reason="closed")."""
        self._s.close()

    @property
    def name(self) -> str:
        return self._s.name

    def __enter__(self) -> "AuditSink":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class FileAuditSink(AuditSink):
    """JSON Lines with a hash chain (HMAC-SHA-256 under ``hmac_key``, plain SHA-256 without).

    Args:
        path: the active file; rotated files are ``path.1``, ``path.2``, ... (oldest first).
        hmac_key: bytes/str key (>= 32 random bytes recommended) or None.
        fsync: ``"always"`` (each write synced before it returns), ``"batch"`` (every
            ``batch_interval`` seconds or ``batch_records`` records) or ``"never"``.
        max_file_bytes: rotate when the active file would exceed this size (0: never).
        mask: True (default masker over every string field), False, a list of entity names, or a
            :class:`jitguard.Masker` (custom rules, term lists, allowlist, any style including
            ``"hash"``) used as is.
        mask_style: style of the sink's masker for True or a list (``"label"``, ``"redact"``,
            ``"partial"``; for ``"hash"``, pass a Masker built with a hash key).
    """

    def __init__(self, path: Union[str, os.PathLike], *, hmac_key: Key = None, fsync: str = "batch",
                 batch_interval: float = 0.010, batch_records: int = 4096, max_file_bytes: int = 0,
                 mask: Union[bool, Sequence[str], Masker] = True, mask_style: str = "label") -> None:
        masking, spec = _masking(mask, mask_style)
        self._s = _core.open_file_audit_sink(os.fspath(path), _key(hmac_key), fsync, float(batch_interval),
                                             int(batch_records), int(max_file_bytes), masking, spec,
                                             mask_style)

    def checkpoint(self) -> AuditCheckpoint:
        """(records, head hash) after the last accepted write."""
        return AuditCheckpoint(*self._s.checkpoint())


class PostgresAuditSink(AuditSink):
    """Appends to a PostgreSQL table (created with an append-only trigger if missing); one chain per
    ``writer_id`` (default ``"<hostname>:<pid>"``). ``batch_records=1`` commits every write;
    larger batches commit when full and on flush/close."""

    def __init__(self, dsn: str, *, table: str = "jitguard_audit", writer_id: Optional[str] = None,
                 hmac_key: Key = None, batch_records: int = 1,
                 mask: Union[bool, Sequence[str], Masker] = True, mask_style: str = "label") -> None:
        masking, spec = _masking(mask, mask_style)
        if writer_id is None:
            writer_id = f"{socket.gethostname()}:{os.getpid()}"
        self._s = _core.open_postgres_audit_sink(dsn, table, writer_id, _key(hmac_key), int(batch_records),
                                                 masking, spec, mask_style)

    def checkpoint(self) -> AuditCheckpoint:
        return AuditCheckpoint(*self._s.checkpoint())


class AsyncAuditSink(AuditSink):
    """Moves writes to a writer thread through a bounded queue. When the queue is full a write
    blocks (``on_full="block"``, default) or raises AuditError(reason="queue_full") after
    ``full_timeout`` seconds (``on_full="error"``): never a silent drop. ``flush()`` waits for the
    queue; an error of the inner sink is raised by every later call."""

    def __init__(self, inner: AuditSink, *, capacity: int = 8192, on_full: str = "block",
                 full_timeout: float = 0.1) -> None:
        self.inner = inner
        self._s = _core.new_async_audit_sink(inner._s, int(capacity), on_full, float(full_timeout))

    def counters(self) -> Dict[str, int]:
        """``{"queue_depth", "written", "errors"}``."""
        return dict(self._s.counters())


class TeeSink(AuditSink):
    """Writes every event to each of ``sinks`` (time stamped once, so the copies agree)."""

    def __init__(self, sinks: Iterable[AuditSink]) -> None:
        self.sinks = list(sinks)
        self._s = _core.new_tee_sink([s._s for s in self.sinks])


class CallbackSink(AuditSink):
    """Calls ``write(event_dict)`` for every event (time as RFC 3339 text, model as
    ``gen_ai.request.model``); optional ``flush()`` and ``close()`` callables. An exception in a
    callable becomes AuditError(reason="callback_failed")."""

    def __init__(self, write: Callable[[Dict[str, Any]], Any], *,
                 flush: Optional[Callable[[], Any]] = None, close: Optional[Callable[[], Any]] = None) -> None:
        self._s = _core.new_callback_sink(write, flush, close)


def verify_audit_log(path: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]], hmac_key: Key = None,
                     checkpoint: Union[AuditCheckpoint, Tuple[int, str], str, None] = None) -> AuditVerifyResult:
    """Verifies the log at ``path`` (rotated files included), or a list of files taken as one chain
    in the given order. Raises AuditError only when the log cannot be read (``not_found``,
    ``io_error``); tampering is reported in the result."""
    cp: Any = None
    if checkpoint is not None:
        cp = str(checkpoint) if isinstance(checkpoint, str) else (int(checkpoint[0]), str(checkpoint[1]))
    if isinstance(path, (list, tuple)):
        return _result(_core.verify_audit_files([os.fspath(p) for p in path], _key(hmac_key), cp))
    return _result(_core.verify_audit_log(os.fspath(path), _key(hmac_key), cp))


def verify_audit_table(dsn: str, table: str = "jitguard_audit", hmac_key: Key = None) -> AuditTableVerifyResult:
    """Verifies every writer's chain in a Postgres audit table."""
    d = _core.verify_audit_table(dsn, table, _key(hmac_key))
    return AuditTableVerifyResult(d["ok"], d["records"], {w: _result(r) for w, r in d["writers"].items()})


def read_audit_log(path: Union[str, os.PathLike], session_id: Optional[str] = None) -> Iterator[Dict[str, Any]]:
    """Yields the records of the log (rotated files included) in chain order, only those of
    ``session_id`` when given. Does not verify the chain: call ``verify_audit_log`` for that."""
    reader = _core.open_audit_log_reader(os.fspath(path), session_id)
    while True:
        line = reader.next()
        if line is None:
            return
        yield json.loads(line)


def audit_log_files(path: Union[str, os.PathLike]) -> List[str]:
    """The files of the log at ``path`` in chain order."""
    return list(_core.audit_log_files(os.fspath(path)))
