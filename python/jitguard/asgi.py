"""ASGI middleware: jitguard in front of an OpenAI-compatible model server (FastAPI, Starlette, ...).

    app.add_middleware(JitGuardMiddleware, guard=jitguard.Guard.from_file("jitguard.json"))

For every ``POST`` to a guarded path (``/v1/chat/completions``, ``/v1/completions``,
``/v1/embeddings`` and ``/v1/responses`` by default) the middleware reads the bearer token from
``Authorization`` (the scheme is case-insensitive; two ``Authorization`` headers are refused with
``400``), the model and every text the model will read from the JSON body (message content in every
form, tool-call arguments, tool results, ``prompt``, ``input``), the dataset from a header
(``X-Jitguard-Dataset``) or the configured default, and calls :meth:`Guard.admit`. A body it cannot
read (not JSON, ``messages`` not a list, token ids as the prompt, ...) is refused with ``400`` and
a stable ``code``, never admitted with an empty prompt. A compressed request body (gzip, deflate,
br when the ``brotli`` module is installed) is decoded first; another encoding is refused (``415``).

* a rejected token answers ``401``, a denied request ``403``, both with an OpenAI-style JSON error
  (``{"error": {"type", "code", "message", ...}}``) whose ``code`` is the stable reason;
* a request that needs a human approval answers ``202`` with the filed ticket; the client retries the
  same request with the ticket id in ``X-Jitguard-Approval`` once someone else approved it;
* an admitted request reaches the application with its prompt masked (unless ``mask_prompt=False``)
  and the :class:`~jitguard.guard.Admission` in ``scope["state"]["jitguard"]`` (Starlette:
  ``request.state.jitguard``), whose grant the application verifies where it calls the data store.
  The ``Authorization`` header is removed before the application sees the request: the bearer token
  stays with jitguard.

The response is masked with the admission's profile before a byte reaches the client, default-deny
over its structure (docs/security.md): Server-Sent Events event by event (a value split across two
events is still caught), NDJSON line by line, JSON bodies as a whole, any other body as text. A
compressed response (gzip, deflate, br) is decoded and sent on as identity; an encoding that cannot
be decoded is refused with ``502``. The Guard writes the final ``inference.response`` audit record.

Everything else (other paths, methods, websockets, lifespan) passes through untouched.
"""
from __future__ import annotations

import asyncio
import codecs
import functools
import json
import zlib
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Tuple

from . import _core
from .errors import AccessDenied, ApprovalError, ApprovalRequired, Error, TokenError

__all__ = ["JitGuardMiddleware", "VllmMiddleware", "extract_prompt"]

Scope = Dict[str, Any]
Message = Dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_MAX_BODY = 8 << 20  # requests larger than this are refused (413) rather than buffered


def extract_prompt(body: Dict[str, Any]) -> str:
    """The text an OpenAI-style request body puts before the model (the same walk that masks it):
    one line per message (``role: text``, with content parts, tool-call arguments and tool results)
    and per other member (``prompt``, ``input``, ``instructions``, ...)."""
    return _core.request_prompt_text(json.dumps(body).encode())


class _Decoder:
    """Decodes one content-encoded body incrementally (gzip, deflate, br), never holding more than
    ``limit`` decoded bytes at once: a compression bomb stops at the limit, it is not inflated whole
    (``OverflowError``)."""

    _BROTLI_SLICE = 512  # brotli input fed per step when its output cannot be bounded directly

    def __init__(self, encoding: str) -> None:
        self._brotli = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)  # zlib-wrapped, as RFC 9110 says
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]  # optional: refused when absent

            self._brotli = brotli.Decompressor()
        else:
            raise ValueError(encoding)

    def feed(self, data: bytes, limit: int) -> bytes:
        """The bytes `data` decodes to; OverflowError when they would exceed `limit`."""
        out = bytearray()
        if self._brotli is not None:
            for at in range(0, len(data), self._BROTLI_SLICE):
                out += self._brotli.process(data[at:at + self._BROTLI_SLICE])
                if len(out) > limit:
                    raise OverflowError
            return bytes(out)
        while data:
            out += self._z.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise OverflowError
            data = self._z.unconsumed_tail
        return bytes(out)

    def finish(self, limit: int) -> bytes:
        if self._brotli is not None:
            return b""
        out = self._z.flush(limit + 1)
        if len(out) > limit:
            raise OverflowError
        if not self._z.eof:
            raise zlib.error("truncated compressed body")
        return out


def _decoder(encoding: str) -> Optional[_Decoder]:
    """A decoder for a Content-Encoding value, None for identity; raises ValueError when it cannot be
    decoded here (several codings, an unknown one, br without the brotli module)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if "," in encoding:
        raise ValueError(encoding)
    try:
        return _Decoder(encoding)
    except ImportError as e:
        raise ValueError(encoding) from e


def _header(scope: Scope, name: bytes) -> Optional[str]:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _headers(scope: Scope, name: bytes) -> List[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers") or [] if key.lower() == name]


def _bad_request(code: str, message: str) -> Dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}


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
                 paths: Iterable[str] = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
                                         "/v1/responses"),
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
            await _json_response(send, 413, _bad_request("too_large", "request body too large"))
            return

        # The header checks come before the body is decoded: a request without a token never gets
        # a compressed body inflated.
        authorizations = _headers(scope, b"authorization")
        if len(authorizations) > 1:
            await _json_response(send, 400, _bad_request(
                "duplicate_authorization", "more than one Authorization header"))
            return
        scheme, _, token = (authorizations[0] if authorizations else "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _json_response(send, 401, {"error": {"type": "authentication_error", "code": "missing_token",
                                                       "message": "an Authorization: Bearer token is required"}},
                                 headers=[(b"www-authenticate", b"Bearer")])
            return

        try:
            decoder = _decoder(",".join(_headers(scope, b"content-encoding")))
            if decoder is not None:
                # Bounded as it inflates (a bomb stops at the limit, it is not decoded whole).
                body_bytes = decoder.feed(body_bytes, _MAX_BODY)
                body_bytes += decoder.finish(_MAX_BODY - len(body_bytes))
        except ValueError:
            await _json_response(send, 415, _bad_request(
                "unsupported_encoding", "the request's Content-Encoding cannot be decoded here"))
            return
        except (zlib.error, OverflowError, Exception) as e:  # brotli raises its own error type
            if isinstance(e, OverflowError):
                await _json_response(send, 413, _bad_request("too_large", "request body too large"))
            else:
                await _json_response(send, 400, _bad_request("bad_encoding",
                                                             "the compressed request body is corrupt"))
            return

        try:
            # Every text the model will read, for the policy's prompt rules; a body the guard cannot
            # read is refused here, never admitted with an empty prompt.
            model, prompt, stream = _core.read_inference_request(body_bytes or b"")
        except Error as e:
            await _json_response(send, 400, _bad_request(e.reason, e.message or e.reason))
            return

        dataset = _header(scope, self.dataset_header) or self.dataset or ""
        attributes = self.attributes(scope, json.loads(body_bytes)) if self.attributes else {}
        admit = functools.partial(
            self.guard.admit, token.strip(), model=model, dataset=dataset,
            operation=self.operation, prompt=prompt, attributes=attributes,
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
            body_bytes = self.guard.mask_request_body(admission, body_bytes)
        scope = dict(scope)
        scope["state"] = dict(scope.get("state") or {})
        scope["state"]["jitguard"] = admission
        scope["headers"] = [(k, v) for k, v in scope.get("headers") or []
                            if k.lower() not in (b"content-length", b"authorization", b"content-encoding")]
        scope["headers"].append((b"content-length", str(len(body_bytes)).encode()))

        responder = _MaskingResponder(self.guard, admission, send, stream=bool(stream))
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
    """Wraps ``send``: masks the response body with the admission's profile on its way out.

    Structured bodies (SSE, NDJSON, JSON) go through the Guard's default-deny body masker, any other
    body through the text masker. A successful answer to a streaming request (``"stream": true``) is
    masked as Server-Sent Events whatever its Content-Type says (unless it says NDJSON): a client
    such as the openai SDK parses it as events either way, joining what the events carry. A
    compressed body is decoded first and sent on as identity; an encoding that cannot be decoded
    turns the response into a 502 error (nothing of it is sent). A body the masker refuses (an event
    it cannot route, text after a choice finished, ...) ends the response where it stands."""

    _MAX_DECODED_CHUNK = 64 << 20  # a compressed chunk may not inflate past this

    def __init__(self, guard: Any, admission: Any, send: Send, *, stream: bool = False) -> None:
        self._send = send
        self._stream = stream
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        self._guard = guard
        self._admission = admission
        self._body = None  # a structured-body masker (feed/finish -> bytes)
        self._text = None  # a text ResponseGuard (write/finish -> str)
        self._decoder: Optional[_Decoder] = None
        self._refused = False
        self._done = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if self._refused:
            return  # the application's answer could not be masked; the client got a 502
        if kind == "http.response.start":
            headers = list(message.get("headers") or [])
            ctype = ""
            encoding = ""
            for k, v in headers:
                if k.lower() == b"content-type":
                    ctype = v.decode("latin-1").lower()
                elif k.lower() == b"content-encoding":
                    encoding = (encoding + "," if encoding else "") + v.decode("latin-1")
            try:
                self._decoder = _decoder(encoding)
            except ValueError:
                self._refused = True
                self._done = True
                self._text = self._guard.response(self._admission)
                self._text.finish()  # audited: an empty response
                await _json_response(self._send, 502, {"error": {
                    "type": "upstream_error", "code": "unsupported_encoding",
                    "message": "the response's Content-Encoding cannot be decoded for masking"}})
                return
            status = int(message.get("status", 200))
            if ctype.startswith("text/event-stream"):
                self._body = self._guard.body_masker(self._admission, "sse")
            elif "ndjson" in ctype or "jsonl" in ctype:
                self._body = self._guard.body_masker(self._admission, "ndjson")
            elif self._stream and 200 <= status < 300:
                self._body = self._guard.body_masker(self._admission, "sse")
            elif "json" in ctype:
                self._body = self._guard.body_masker(self._admission, "json")
            else:
                self._text = self._guard.response(self._admission)
            # The length changes when values are masked; the body goes out decoded.
            headers = [(k, v) for k, v in headers
                       if k.lower() not in (b"content-length", b"content-encoding")]
            await self._send({**message, "headers": headers})
            return
        if kind != "http.response.body":
            await self._send(message)
            return
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        try:
            if self._decoder is not None:
                chunk = self._decoder.feed(chunk, self._MAX_DECODED_CHUNK)
                if not more:
                    chunk += self._decoder.finish(self._MAX_DECODED_CHUNK)
            if self._body is not None:
                out = self._body.feed(chunk)
                if not more:
                    out += self._body.finish()
                    self._done = True
            else:
                # One decoder for the whole body: a character split across chunks stays whole.
                text = self._utf8.decode(chunk, final=not more)
                out = self._text.write(text).encode() if text else b""
                if not more:
                    out += self._text.finish().encode()
                    self._done = True
        except (Error, OverflowError, zlib.error):
            # Fail closed: what could not be masked is not sent; the response ends here, and the
            # record says it was cut short.
            self._refused = True
            self.close()
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await self._send({"type": "http.response.body", "body": out, "more_body": more})

    def close(self) -> None:
        """Ends an unfinished response (the application raised or the client went away): the held
        tail is dropped, never sent and never recorded; the record says what was sent (aborted)."""
        if self._done:
            return
        self._done = True
        if self._body is not None:
            self._body.abort()
        elif self._text is not None:
            self._text.abort()


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
