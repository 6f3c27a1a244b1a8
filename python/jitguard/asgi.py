"""ASGI middleware: jitguard in front of an OpenAI-compatible model server (FastAPI, Starlette, ...).

    app.add_middleware(JitGuardMiddleware, guard=jitguard.Guard.from_file("jitguard.json"))

For every ``POST`` to a guarded path (``/v1/chat/completions`` and ``/v1/completions`` by default)
the middleware reads the bearer token from ``Authorization``, the model and the prompt from the
OpenAI-style JSON body (``messages`` for chat, ``prompt`` for completions), the dataset from a
header (``X-Jitguard-Dataset``) or the configured default, and calls :meth:`Guard.admit`:

* a rejected token answers ``401``, a denied request ``403``, both with an OpenAI-style JSON error
  (``{"error": {"type", "code", "message", ...}}``) whose ``code`` is the stable reason;
* a request that needs a human approval answers ``202`` with the filed ticket; the client retries the
  same request with the ticket id in ``X-Jitguard-Approval`` once someone else approved it;
* an admitted request reaches the application with its prompt masked (unless ``mask_prompt=False``)
  and the :class:`~jitguard.guard.Admission` in ``scope["state"]["jitguard"]`` (Starlette:
  ``request.state.jitguard``), whose grant the application verifies where it calls the data store.
  The ``Authorization`` header is removed before the application sees the request: the bearer token
  stays with jitguard.

The response is masked with the admission's profile before a byte reaches the client: Server-Sent
Events chunk by chunk (a value split across two events is still caught), JSON bodies as a whole, any
other body as text. The Guard writes the final ``inference.response`` audit record.

Everything else (other paths, methods, websockets, lifespan) passes through untouched.
"""
from __future__ import annotations

import asyncio
import functools
import json
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Tuple

from .errors import AccessDenied, ApprovalError, ApprovalRequired, Error, MaskError, TokenError

__all__ = ["JitGuardMiddleware", "extract_prompt"]

Scope = Dict[str, Any]
Message = Dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_MAX_BODY = 8 << 20  # requests larger than this are refused (413) rather than buffered


def extract_prompt(body: Dict[str, Any]) -> str:
    """The prompt text of an OpenAI chat/completions body: the messages' text, one per line
    (``role: content``), or the completions ``prompt``. Multimodal parts contribute their text."""
    messages = body.get("messages")
    if isinstance(messages, list):
        lines = []
        for message in messages:
            if not isinstance(message, dict):
                continue
            role = message.get("role", "")
            lines.append(f"{role}: {_content_text(message.get('content'))}")
        return "\n".join(lines)
    prompt = body.get("prompt")
    if isinstance(prompt, list):
        return "\n".join(str(p) for p in prompt)
    return "" if prompt is None else str(prompt)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}, {"type": "image_url", ...}]
        return " ".join(part.get("text", "") for part in content
                        if isinstance(part, dict) and isinstance(part.get("text"), str))
    return ""


def _mask_body_prompt(body: Dict[str, Any], mask: Callable[[str], str]) -> None:
    """Masks every text the model will read, in place."""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, str):
                message["content"] = mask(content)
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        part["text"] = mask(part["text"])
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        body["prompt"] = mask(prompt)
    elif isinstance(prompt, list):
        body["prompt"] = [mask(p) if isinstance(p, str) else p for p in prompt]


def _header(scope: Scope, name: bytes) -> Optional[str]:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _json_response(send: Send, status: int, payload: Dict[str, Any],
                         headers: Iterable[Tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def _error(kind: str, error: Error, **extra: Any) -> Dict[str, Any]:
    payload = {"type": kind, "code": error.reason, "message": error.message or error.reason}
    payload.update(extra)
    return {"error": payload}


class JitGuardMiddleware:
    """Admits, masks and audits OpenAI-compatible inference requests (see the module docstring).

    Args:
        app: the ASGI application to protect.
        guard: a :class:`jitguard.Guard`.
        paths: the request paths that are guarded (exact match); every other path passes through.
        dataset: the dataset used when the request names none.
        dataset_header: the header naming the dataset (case-insensitive).
        operation: the operation checked by the policy for these endpoints.
        approval_header: the header carrying an approved ticket id on a retried request.
        mask_prompt: mask the prompt before the model reads it.
        attributes: a callable ``(scope, body) -> dict`` adding request attributes for the policy.
    """

    def __init__(self, app: Callable, guard: Any, *,
                 paths: Iterable[str] = ("/v1/chat/completions", "/v1/completions"),
                 dataset: Optional[str] = None,
                 dataset_header: str = "x-jitguard-dataset",
                 operation: str = "infer",
                 approval_header: str = "x-jitguard-approval",
                 mask_prompt: bool = True,
                 attributes: Optional[Callable[[Scope, Dict[str, Any]], Dict[str, Any]]] = None) -> None:
        self.app = app
        self.guard = guard
        self.paths = frozenset(paths)
        self.dataset = dataset
        self.dataset_header = dataset_header.lower().encode("latin-1")
        self.operation = operation
        self.approval_header = approval_header.lower().encode("latin-1")
        self.mask_prompt = mask_prompt
        self.attributes = attributes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return

        body_bytes, too_large = await _read_body(receive)
        if too_large:
            await _json_response(send, 413, {"error": {"type": "invalid_request_error", "code": "too_large",
                                                       "message": "request body too large"}})
            return
        try:
            body = json.loads(body_bytes or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            await _json_response(send, 400, {"error": {"type": "invalid_request_error", "code": "bad_json",
                                                       "message": "the body is not a JSON object"}})
            return

        authorization = _header(scope, b"authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _json_response(send, 401, {"error": {"type": "authentication_error", "code": "missing_token",
                                                       "message": "an Authorization: Bearer token is required"}},
                                 headers=[(b"www-authenticate", b"Bearer")])
            return

        dataset = _header(scope, self.dataset_header) or self.dataset or ""
        attributes = self.attributes(scope, body) if self.attributes else {}
        admit = functools.partial(
            self.guard.admit, token.strip(), model=str(body.get("model", "")), dataset=dataset,
            operation=self.operation, prompt=extract_prompt(body), attributes=attributes,
            approval=_header(scope, self.approval_header))
        try:
            # admit() verifies signatures and may talk to Redis or PostgreSQL: keep the loop free.
            admission = await asyncio.get_running_loop().run_in_executor(None, admit)
        except TokenError as e:
            await _json_response(send, 401, _error("authentication_error", e),
                                 headers=[(b"www-authenticate", b"Bearer")])
            return
        except AccessDenied as e:
            await _json_response(send, 403, _error("access_denied", e, rules=list(e.rules)))
            return
        except ApprovalRequired as e:
            await _json_response(send, 202, {
                "status": "approval_required",
                "message": e.message or "this request needs an approval",
                "ticket": _ticket_json(e.ticket),
                "retry_with_header": self.approval_header.decode("latin-1"),
            })
            return
        except ApprovalError as e:
            # The ticket cannot be used (pending, denied, consumed, another request's).
            await _json_response(send, 403, _error("approval_error", e))
            return
        except Error as e:
            # Configuration, audit or store failures: fail closed without leaking internals.
            await _json_response(send, 503, _error("jitguard_error", e))
            return

        if self.mask_prompt:
            _mask_body_prompt(body, functools.partial(self.guard.mask_text, admission))
            body_bytes = json.dumps(body).encode()
        scope = dict(scope)
        scope["state"] = dict(scope.get("state") or {})
        scope["state"]["jitguard"] = admission
        scope["headers"] = [(k, v) for k, v in scope.get("headers") or []
                            if k.lower() not in (b"content-length", b"authorization")]
        scope["headers"].append((b"content-length", str(len(body_bytes)).encode()))

        responder = _MaskingResponder(self.guard, admission, send)
        try:
            await self.app(scope, _replay(body_bytes, receive), responder.send)
        finally:
            responder.close()


def _ticket_json(ticket: Any) -> Dict[str, Any]:
    if ticket is None:
        return {}
    out: Dict[str, Any] = {}
    for name in ("id", "status", "approver_groups", "expires_at", "reason", "subject"):
        value = getattr(ticket, name, None)
        if value is not None:
            out[name] = list(value) if isinstance(value, (list, tuple, frozenset, set)) else value
    return out


async def _read_body(receive: Receive) -> Tuple[bytes, bool]:
    parts: List[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return b"", True
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class _MaskingResponder:
    """Wraps ``send``: masks the response body with the admission's profile on its way out."""

    def __init__(self, guard: Any, admission: Any, send: Send) -> None:
        self._send = send
        self._guard = guard
        self._admission = admission
        self._mode = ""  # "sse" | "json" | "text"
        self._sse = None
        self._text = None
        self._buffer: List[bytes] = []
        self._done = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            headers = list(message.get("headers") or [])
            ctype = ""
            for k, v in headers:
                if k.lower() == b"content-type":
                    ctype = v.decode("latin-1").lower()
            if ctype.startswith("text/event-stream"):
                self._mode = "sse"
                self._sse = self._guard.sse_masker(self._admission)
            elif "json" in ctype:
                self._mode = "json"
            else:
                self._mode = "text"
                self._text = self._guard.response(self._admission)
            # The length changes when values are masked.
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            await self._send({**message, "headers": headers})
            return
        if kind != "http.response.body":
            await self._send(message)
            return
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        if self._mode == "sse":
            out = self._sse.feed(chunk)
            if not more:
                out += self._sse.finish()
                self._done = True
            await self._send({"type": "http.response.body", "body": out, "more_body": more})
        elif self._mode == "json":
            self._buffer.append(chunk)
            if more:
                return
            self._done = True
            out = self._guard.mask_response_json(self._admission, b"".join(self._buffer))
            await self._send({"type": "http.response.body", "body": out, "more_body": False})
        else:
            out = self._text.write(chunk.decode("utf-8", "replace")) if chunk else ""
            if not more:
                out += self._text.finish()
                self._done = True
            await self._send({"type": "http.response.body", "body": out.encode(), "more_body": more})

    def close(self) -> None:
        """Ends an unfinished response (the application raised or the client went away): the held
        tail is dropped, never sent, and the response is still audited."""
        if self._done:
            return
        self._done = True
        try:
            if self._sse is not None:
                self._sse.finish()
            elif self._text is not None:
                self._text.finish()
        except MaskError:
            pass  # the stream failed already (an SSE event that is not JSON); that error propagates


class VllmMiddleware(JitGuardMiddleware):
    """:class:`JitGuardMiddleware` that configures itself from the environment, for servers that add
    middleware classes with no arguments: vLLM's ``--middleware`` option does
    ``app.add_middleware(cls)``.

        JITGUARD_CONFIG=/etc/jitguard/jitguard.json \\
            vllm serve MODEL --middleware jitguard.asgi.VllmMiddleware

    Environment:
        JITGUARD_CONFIG: the jitguard.json path (required; without it the server does not start).
        JITGUARD_DATASET: the dataset when a request names none in ``X-Jitguard-Dataset`` (optional).

    The Guard is built when the application builds its middleware stack and closed (audit flushed)
    when the process exits.
    """

    def __init__(self, app: Callable) -> None:
        import atexit
        import os

        from .errors import ConfigError
        from .guard import Guard

        path = os.environ.get("JITGUARD_CONFIG", "")
        if not path:
            raise ConfigError("JITGUARD_CONFIG: the path of jitguard.json is required", reason="missing_key")
        guard = Guard.from_file(path)
        atexit.register(guard.close)
        super().__init__(app, guard, dataset=os.environ.get("JITGUARD_DATASET") or None)
