"""Shared pieces of the red-team suite (tests/python/test_redteam_*.py, issue 12).

Two real front ends replay chosen upstream bytes through the guard:
- ``AsgiFront``: a Starlette app under ``JitGuardMiddleware`` in a real uvicorn on 127.0.0.1 whose
  stand-in model answers with ``front.replay(...)``'s bytes (any content type, Content-Encoding and
  chunking) and records the (masked) request body it was sent;
- ``CppFront``: the real ``guarded_server`` binary started with ``--replay FILE``.
The clients are the official ``openai`` SDK and ``httpx`` (for the raw bytes on the wire); the audit
log is read with ``jitguard.read_audit_log``.
"""
import gzip
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

import jitguard
from jitguard.asgi import JitGuardMiddleware
from jitguard.demo import DemoIdp, write_deployment

ROOT = pathlib.Path(__file__).resolve().parents[2]

EMAIL = "john.doe@example.com"
CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"
PHONE = "+1 415 555 0134"
# What must never reach the client or the model: each planted value and the pieces a client could
# rebuild it from (the local part of the address, a card's digits).
RAW = [EMAIL, "john.doe@", "john.doe", CARD, CARD_DIGITS, "4111 1111", PHONE, "555 0134"]


def chunk(delta: Any = None, *, finish: Optional[str] = None, extra: Optional[Dict[str, Any]] = None,
          choice_extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """An OpenAI chat.completion.chunk."""
    choice = {"index": 0, "delta": delta if delta is not None else {}, "finish_reason": finish}
    choice.update(choice_extra or {})
    c = {"id": "chatcmpl-rt", "object": "chat.completion.chunk", "created": 1700000000,
         "model": "support-llm", "choices": [choice]}
    c.update(extra or {})
    return c


def sse(*events: Any, done: bool = True) -> bytes:
    """Events (dicts, or raw strings taken as the data line's text) as SSE bytes."""
    out = []
    for e in events:
        out.append("data: " + (e if isinstance(e, str) else json.dumps(e)) + "\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def completion(message: Dict[str, Any], **extra: Any) -> bytes:
    body = {"id": "chatcmpl-rt", "object": "chat.completion", "created": 1700000000, "model": "support-llm",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    body.update(extra)
    return json.dumps(body).encode()


def assert_clean(data: Any, where: str) -> None:
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else str(data)
    for raw in RAW:
        assert raw not in text, f"{where}: raw value {raw!r} reached it: {text[:2000]!r}"


class Deployment:
    """A demo deployment (IdP, keys, policy, jitguard.json) in a temporary directory."""

    def __init__(self, workdir: pathlib.Path) -> None:
        self.idp = DemoIdp()
        self.workdir = workdir
        write_deployment(str(workdir), self.idp)
        self.config = workdir / "jitguard.json"
        self.audit = workdir / "audit.jsonl"

    def token(self, subject: str = "alice", groups: Optional[List[str]] = None) -> str:
        return self.idp.mint(subject, groups or ["data-scientists"])

    def records(self) -> List[Dict[str, Any]]:
        return list(jitguard.read_audit_log(str(self.audit)))

    def prompt_records(self, count_before: int, marker: str = "") -> List[Dict[str, Any]]:
        """The audit records carrying a masked prompt (containing ``marker``) written after
        ``count_before``; waits for one (an earlier request's record may land late)."""
        deadline = time.monotonic() + 5
        while True:
            found = [r for r in self.records()[count_before:] if marker in r.get("prompt", "\0")]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def last_response_record(self, count_before: int) -> Dict[str, Any]:
        """The newest audit record carrying a masked response, written after ``count_before``."""
        deadline = time.monotonic() + 5
        while True:
            records = self.records()[count_before:]
            found = [r for r in records if "response" in r]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no response record in the audit log: {records!r}")
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AsgiFront:
    """JitGuardMiddleware in a real uvicorn whose app replays chosen upstream bytes."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.guard = jitguard.Guard.from_file(str(deployment.config))
        self._replay: Dict[str, Any] = {"body": b"", "ctype": "text/event-stream", "encoding": None,
                                        "chunk": 0}
        self.seen: List[bytes] = []

        async def chat(request: Request) -> StreamingResponse:
            self.seen.append(await request.body())
            r = dict(self._replay)
            body = r["body"]
            if r["encoding"] == "gzip":
                body = gzip.compress(body)
            step = r["chunk"] or max(len(body), 1)

            async def parts():
                for i in range(0, len(body), step):
                    yield body[i:i + step]

            headers = {"content-encoding": r["encoding"]} if r["encoding"] else {}
            return StreamingResponse(parts(), media_type=r["ctype"], headers=headers)

        app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
        app.add_middleware(JitGuardMiddleware, guard=self.guard, dataset="support-tickets")
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def replay(self, body: bytes, *, ctype: str = "text/event-stream", encoding: Optional[str] = None,
               chunk_size: int = 0) -> None:
        self._replay = {"body": body, "ctype": ctype, "encoding": encoding, "chunk": chunk_size}

    def __enter__(self) -> "AsgiFront":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.guard.close()


def guarded_server_binary() -> Optional[pathlib.Path]:
    """The guarded_server of the build tree (JITGUARD_GUARDED_SERVER overrides), or None."""
    env = os.environ.get("JITGUARD_GUARDED_SERVER")
    candidates = [pathlib.Path(env)] if env else [
        ROOT / "build" / p / "examples" / "guarded_server" / "guarded_server"
        for p in ("release", "debug", "asan")]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


class CppFront:
    """The real guarded_server binary on a loopback port, its stand-in model replaying ``body``."""

    def __init__(self, deployment: Deployment, body: Optional[bytes] = None, chunk_size: int = 0,
                 extra_args: Optional[List[str]] = None) -> None:
        self.deployment = deployment
        self.body = body
        self.chunk_size = chunk_size
        self.extra_args = extra_args or []
        self.proc: Optional[subprocess.Popen] = None
        self.tmp = tempfile.TemporaryDirectory()

    def __enter__(self) -> "CppFront":
        binary = guarded_server_binary()
        if binary is None:
            raise RuntimeError("guarded_server is not built (make build)")
        port_file = pathlib.Path(self.tmp.name) / "port"
        args = [str(binary), "--config", str(self.deployment.config), "--host", "127.0.0.1", "--port", "0",
                "--port-file", str(port_file)] + self.extra_args
        if self.body is not None:
            replay = pathlib.Path(self.tmp.name) / "replay"
            replay.write_bytes(self.body)
            args += ["--replay", str(replay), "--replay-chunk", str(self.chunk_size)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None:
                raise RuntimeError("guarded_server exited: " + self.proc.stderr.read().decode(errors="replace"))
            if time.monotonic() > deadline:
                raise RuntimeError("guarded_server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{int(port_file.read_text())}"
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("guarded_server is not answering")
            time.sleep(0.02)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc.stderr.close()
        self.tmp.cleanup()
