"""Counters of a :class:`jitguard.Guard`, rendered in the Prometheus text exposition format.

Thread-safe: one lock around plain dicts; the hot path adds one to a counter.
"""
from __future__ import annotations

import threading
from typing import Callable, Dict, List, Optional, Tuple

__all__ = ["Metrics"]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """Decisions by effect, token rejections by reason, findings by entity, audit queue depth."""

    _COUNTERS: Tuple[Tuple[str, str, str], ...] = (
        ("decisions", "jitguard_decisions_total", "effect"),
        ("token_rejections", "jitguard_token_rejections_total", "reason"),
        ("findings", "jitguard_findings_total", "entity"),
        ("approvals", "jitguard_approval_tickets_total", "event"),
        ("grants", "jitguard_grants_issued_total", ""),
    )
    _HELP = {
        "decisions": "Policy decisions, by effect.",
        "token_rejections": "Rejected bearer tokens, by reason.",
        "findings": "Values masked in responses, by entity.",
        "approvals": "Approval tickets filed and consumed.",
        "grants": "Just-in-time grants issued.",
    }

    def __init__(self, queue_depth: Optional[Callable[[], int]] = None) -> None:
        self._lock = threading.Lock()
        self._values: Dict[str, Dict[str, int]] = {name: {} for name, _, _ in self._COUNTERS}
        self._queue_depth = queue_depth

    def add(self, counter: str, label: str = "", n: int = 1) -> None:
        """Adds ``n`` to ``counter`` (one of decisions, token_rejections, findings, approvals,
        grants) under ``label``."""
        with self._lock:
            values = self._values[counter]
            values[label] = values.get(label, 0) + n

    def value(self, counter: str, label: str = "") -> int:
        with self._lock:
            return self._values[counter].get(label, 0)

    def snapshot(self) -> Dict[str, Dict[str, int]]:
        with self._lock:
            return {name: dict(values) for name, values in self._values.items()}

    def text(self) -> str:
        """The counters in Prometheus text exposition format (version 0.0.4)."""
        snapshot = self.snapshot()
        lines: List[str] = []
        for name, metric, label in self._COUNTERS:
            lines.append(f"# HELP {metric} {self._HELP[name]}")
            lines.append(f"# TYPE {metric} counter")
            for value, count in sorted(snapshot[name].items()):
                if label:
                    lines.append(f'{metric}{{{label}="{_escape(value)}"}} {count}')
                else:
                    lines.append(f"{metric} {count}")
            if not label and not snapshot[name]:
                lines.append(f"{metric} 0")
        lines.append("# HELP jitguard_audit_queue_depth Audit records waiting to be written.")
        lines.append("# TYPE jitguard_audit_queue_depth gauge")
        depth = 0
        if self._queue_depth is not None:
            try:
                depth = int(self._queue_depth())
            except Exception:  # a closed sink reports nothing rather than breaking the scrape
                depth = 0
        lines.append(f"jitguard_audit_queue_depth {depth}")
        return "\n".join(lines) + "\n"
