"""Helpers for the jitguard-gateway tests: a stand-in OpenAI-compatible upstream on 127.0.0.1 that
replays chosen bytes, and the real gateway binary started as a subprocess in front of it.

The stand-in's behaviour is chosen by the request's model name (the gateway forwards it unchanged):

    support-llm (etc.)    the normal answer: SSE (stream=true) or JSON, with PII split across chunks
    support-slow-first    waits `slow_seconds` before the status line (first-byte timeout)
    support-stall-stream  sends one event, then waits `slow_seconds` (idle timeout / disconnect)
    support-gzip-answer   answers with Content-Encoding: gzip despite Accept-Encoding: identity
    support-echo-error    a 500 whose message echoes the Authorization header it got and an email
    support-bad-key       a 401 (the service credential refused)
"""
from __future__ import annotations

import gzip
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

ROOT = pathlib.Path(__file__).resolve().parents[2]

ANSWER = ["Ticket 4411 was opened by Dana Whitfield (dana.whit", "field@example.com, ",
          "phone +1 415 555 ", "0134). Refund for card ", "4111 1111 1111 1111 is late."]
MODELS = ["support-llm", "support-pro", "embed-small", "finance-llm"]


def gateway_binary() -> str:
    """The jitguard-gateway binary: $JITGUARD_GATEWAY_BIN, else the release build tree."""
    path = os.environ.get("JITGUARD_GATEWAY_BIN") or str(ROOT / "build/release/gateway/jitguard-gateway")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"jitguard-gateway is not built at {path} (make build builds it)")
    return path


def _chunk_event(model: str, text: str, finish: bool = False) -> bytes:
    event = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1, "model": model,
             "choices": [{"index": 0, "delta": {"content": text} if text else {},
                          "finish_reason": "stop" if finish else None}]}
    return b"data: " + json.dumps(event).encode() + b"\n\n"


class StandInUpstream:
    """A threaded HTTP/1.1 server; records every request it receives (headers and body)."""

    def __init__(self, slow_seconds: float = 5.0, tls: Optional[Tuple[str, str]] = None) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.slow_seconds = slow_seconds
        self.disconnects = 0  # streams whose reader went away before the end
        self.finished_streams = 0
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _record(self, body: bytes) -> Dict[str, Any]:
                try:
                    doc = json.loads(body) if body else {}
                except ValueError:
                    doc = None
                entry = {"path": self.path, "method": self.command, "headers": dict(self.headers.items()),
                         "header_list": list(self.headers.items()), "body": doc, "raw": body}
                outer.requests.append(entry)
                return entry

            def _json(self, status: int, payload: Any, extra: Optional[Dict[str, str]] = None,
                      raw: Optional[bytes] = None) -> None:
                body = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def do_GET(self) -> None:
                self._record(b"")
                if self.path == "/v1/models":
                    self._json(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 1, "owned_by": "standin"} for m in MODELS]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                entry = self._record(body)
                doc = entry["body"] or {}
                model = str(doc.get("model", ""))
                if model == "support-slow-first":
                    time.sleep(outer.slow_seconds)
                if model == "support-bad-key":
                    self._json(401, {"error": {"message": "invalid api key"}})
                    return
                if model == "support-echo-error":
                    self._json(500, {"error": {"message": "backend failed for "
                                               f"{self.headers.get('Authorization')} "
                                               "contact ops.lead@example.com"}})
                    return
                if model == "support-gzip-answer":
                    self._json(200, None, {"Content-Encoding": "gzip"},
                               raw=gzip.compress(json.dumps({"choices": []}).encode()))
                    return
                if self.path == "/v1/embeddings":
                    self._json(200, {"object": "list", "model": model, "data": [
                        {"object": "embedding", "index": 0, "embedding": [0.25, -0.5, 1.0]}],
                        "usage": {"prompt_tokens": 3, "total_tokens": 3}})
                    return
                if self.path == "/v1/responses":
                    self._json(200, {"id": "resp_1", "object": "response", "model": model,
                                     "status": "completed",
                                     "output": [{"type": "message", "id": "msg_1", "role": "assistant",
                                                 "status": "completed",
                                                 "content": [{"type": "output_text", "annotations": [],
                                                              "text": "".join(ANSWER)}]}]})
                    return
                completions = self.path == "/v1/completions"
                if not doc.get("stream"):
                    if completions:
                        choice = {"index": 0, "text": "".join(ANSWER), "finish_reason": "stop",
                                  "logprobs": None}
                    else:
                        choice = {"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": "".join(ANSWER)}}
                    self._json(200, {"id": "cmpl-standin", "object": "chat.completion", "created": 1,
                                     "model": model, "choices": [choice],
                                     "usage": {"prompt_tokens": 5, "completion_tokens": 20,
                                               "total_tokens": 25}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    chunks = ANSWER if model != "support-stall-stream" else ANSWER[:1]
                    for text in chunks:
                        if completions:
                            ev = {"id": "cmpl-standin", "object": "text_completion", "created": 1,
                                  "model": model, "choices": [{"index": 0, "text": text, "finish_reason": None}]}
                            self._chunk(b"data: " + json.dumps(ev).encode() + b"\n\n")
                        else:
                            self._chunk(_chunk_event(model, text))
                    if model == "support-stall-stream":
                        # Keep writing keep-alive comments slowly so a gone reader is noticed.
                        deadline = time.monotonic() + outer.slow_seconds
                        while time.monotonic() < deadline and not outer._stop.is_set():
                            time.sleep(0.1)
                        self._chunk(b": still thinking\n\n")
                        time.sleep(0.2)
                        self._chunk(b": still thinking\n\n")
                    self._chunk(_chunk_event(model, "", finish=True))
                    self._chunk(b"data: [DONE]\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    outer.finished_streams += 1
                except OSError:
                    outer.disconnects += 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if tls is not None:  # (certificate chain file, key file)
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "StandInUpstream":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


class Gateway:
    """The jitguard-gateway binary on a free loopback port; stderr goes to `log_path`."""

    def __init__(self, config: str, upstream: str, *, key: str = "", args: Optional[List[str]] = None,
                 env: Optional[Dict[str, str]] = None) -> None:
        self.dir = tempfile.mkdtemp(prefix="jitguard-gateway-")
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "gateway.log")
        cmd = [gateway_binary(), "--config", config, "--upstream", upstream, "--listen", "127.0.0.1:0",
               "--port-file", self.port_file, *(args or [])]
        if key:
            key_file = os.path.join(self.dir, "upstream.key")
            with open(key_file, "w") as f:
                f.write(key + "\n")
            os.chmod(key_file, 0o600)
            cmd += ["--upstream-key-file", key_file]
        self._log = open(self.log_path, "wb")
        full_env = {k: v for k, v in os.environ.items() if k != "JITGUARD_UPSTREAM_KEY"}
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=full_env)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("jitguard-gateway did not start:\n" + self.log())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RawUpstream:
    """A stand-in model server that answers every request with exactly the bytes in `reply` (raw
    HTTP/1.1, so hostile framing can be replayed), then closes. `reply` may be bytes, a list of byte
    strings sent with a pause between them (separate reads on the other side), or a callable taking
    (head, body). The raw requests it received are kept in `requests`."""

    def __init__(self) -> None:
        self.reply: Any = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        self.requests: List[bytes] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                got = conn.recv(65536)
                if not got:
                    return
                data += got
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(body) < length:
                got = conn.recv(65536)
                if not got:
                    break
                body += got
            self.requests.append(head + b"\r\n\r\n" + body)
            reply = self.reply(head, body) if callable(self.reply) else self.reply
            for part in reply if isinstance(reply, (list, tuple)) else [reply]:
                conn.sendall(part)
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawUpstream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def http_reply(body: bytes, ctype: str = "application/json", status: str = "200 OK",
               extra: bytes = b"", chunked: bool = False) -> bytes:
    """Raw bytes of an HTTP/1.1 answer (Connection: close)."""
    head = b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: " + ctype.encode() + b"\r\n" + extra
    if chunked:
        out = head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        return out + (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    return head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
