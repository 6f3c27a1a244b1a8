"""The gateway part of the demo (``make demo`` runs it after ``jitguard.demo``):
``jitguard-gateway`` in front of a stand-in OpenAI-compatible model server, driven over plain HTTP.

1. a contractor asks for claims data: refused (403, the policy's rule named);
2. an export waits for approval (202 + ticket); the requester cannot approve it; a security lead does
   through the gateway's approvals endpoint; the retried request is served;
3. a streamed answer with PII split across chunks arrives masked; the model server got the masked
   prompt and the gateway's service credential, never the caller's token;
4. the gateway stops (SIGTERM) and its audit log verifies.

Only the standard library and the jitguard package are used; everything listens on 127.0.0.1.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

from .demo import DemoIdp, model_answer, write_deployment


class _StandInModel:
    """An OpenAI-compatible chat endpoint that streams the demo's canned answer; records requests."""

    def __init__(self) -> None:
        self.seen: List[Dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                outer.seen.append({"headers": dict(self.headers.items()), "body": body})
                prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for text in model_answer(prompt):
                    event = {"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": 1,
                             "model": body.get("model", ""),
                             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
                    self._chunk(b"data: " + json.dumps(event).encode() + b"\n\n")
                    time.sleep(0.02)
                self._chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _request(port: int, method: str, path: str, token: str, body: Optional[Dict[str, Any]] = None,
             headers: Optional[Dict[str, str]] = None) -> Tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        h = {"Authorization": "Bearer " + token, "Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _streamed_text(sse: str) -> str:
    text = ""
    for line in sse.splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                text += (choice.get("delta") or {}).get("content") or ""
    return text


def run(gateway: str, out=print) -> int:
    import jitguard

    workdir = tempfile.mkdtemp(prefix="jitguard-demo-gateway-")
    idp = DemoIdp()
    write_deployment(workdir, idp)
    alice = idp.mint("alice", ["data-scientists"])
    bob = idp.mint("bob", ["contractors"])
    carol = idp.mint("carol", ["security-leads"])
    service_key = "sk-model-" + secrets.token_hex(12)
    key_file = os.path.join(workdir, "model.key")
    with open(key_file, "w") as f:
        f.write(service_key)
    os.chmod(key_file, 0o600)
    model = _StandInModel()
    port_file = os.path.join(workdir, "gateway.port")
    log_path = os.path.join(workdir, "gateway.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen([gateway, "--config", os.path.join(workdir, "jitguard.json"), "--upstream", model.url,
                             "--listen", "127.0.0.1:0", "--port-file", port_file, "--upstream-key-file", key_file,
                             "--dataset", "support-tickets"], stdout=log, stderr=subprocess.STDOUT)
    checks: Dict[str, bool] = {}
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("jitguard-gateway did not start (see " + log_path + ")")
            time.sleep(0.02)
        port = int(open(port_file).read())
        out("")
        out("== the gateway: jitguard-gateway in front of an unmodified OpenAI-compatible model server ==")
        out(f"  jitguard-gateway --upstream {model.url} --listen 127.0.0.1:{port} --upstream-key-file model.key")
        chat = "/v1/chat/completions"

        out("-- a caller without the right group")
        status, body = _request(port, "POST", chat, bob, {"model": "support-llm", "messages": [
            {"role": "user", "content": "Summarize the open claims"}]}, {"X-Jitguard-Dataset": "claims"})
        err = json.loads(body).get("error", {})
        out(f"  bob (contractors) asks for claims data: {status} {err.get('code')}")
        checks["refused"] = status == 403

        out("-- an export waits for approval")
        export = {"model": "support-llm", "stream": True,
                  "messages": [{"role": "user", "content": "Export the customer emails for ticket 4411"}]}
        status, body = _request(port, "POST", chat, alice, export)
        ticket = json.loads(body).get("ticket", {})
        out(f"  alice asks for an export: {status}, ticket {ticket.get('id')} for {ticket.get('approver_groups')}")
        s_self, b_self = _request(port, "POST", f"/v1/approvals/{ticket.get('id')}", alice, {"approve": True})
        out(f"  alice approves it herself: {s_self} {json.loads(b_self)['error']['code']}")
        s_ok, b_ok = _request(port, "POST", f"/v1/approvals/{ticket.get('id')}", carol,
                              {"approve": True, "comment": "GDPR request #77"})
        out(f"  carol (security-leads) approves: {json.loads(b_ok)['ticket']['status']}")
        status, body = _request(port, "POST", chat, alice, export, {"X-Jitguard-Approval": ticket.get("id", "")})
        exported = _streamed_text(body)
        out(f"  alice retries with the ticket: {status}: {exported}")
        checks["approval"] = (s_self == 403 and s_ok == 200 and status == 200 and "ben@corp" not in exported
                              and "[EMAIL]" in exported)

        out("-- PII in a streamed answer arrives masked")
        status, body = _request(port, "POST", chat, alice, {"model": "support-llm", "stream": True, "messages": [
            {"role": "user", "content": "Summarize ticket 4411 for dana.whitfield@example.com"}]})
        text = _streamed_text(body)
        out(f"  {status}: {text}")
        seen = model.seen[-1]
        upstream_prompt = seen["body"]["messages"][0]["content"]
        out(f"  the model server read: {upstream_prompt!r}")
        out(f"  it was called with the gateway's service credential: "
            f"{seen['headers'].get('Authorization') == 'Bearer ' + service_key}; "
            f"with alice's token: {alice in json.dumps(seen)}")
        checks["masked"] = ("dana.whit" not in text and "[EMAIL]" in text and "dana.whitfield" not in upstream_prompt
                            and alice not in json.dumps(seen))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        model.close()

    out("-- the gateway's audit log")
    with open(os.path.join(workdir, "audit.key")) as f:
        key = f.read().strip().encode()
    result = jitguard.verify_audit_log(os.path.join(workdir, "audit.jsonl"), hmac_key=key)
    audit = open(os.path.join(workdir, "audit.jsonl")).read()
    gw_log = open(log_path).read()
    leaked = [v for v in ("dana.whitfield@example.com", "ben@corp.example", service_key, alice)
              if v in audit or v in gw_log]
    out(f"  {result.records} records, hash chain and HMAC verified: {'ok' if result.ok else 'FAILED'}; "
        f"raw PII, tokens or the service key in the audit or gateway log: {'none' if not leaked else 'FOUND'}")
    checks["audit"] = result.ok and not leaked and proc.returncode == 0
    ok = all(checks.values()) and len(checks) == 4
    out("gateway demo: " + ("every check passed" if ok else "SOMETHING WENT WRONG: " +
                            ", ".join(k for k, v in checks.items() if not v)))
    return 0 if ok else 1


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jitguard.demo_gateway", description=__doc__.split("\n\n")[0])
    p.add_argument("--gateway", required=True, help="the jitguard-gateway binary")
    args = p.parse_args(argv)
    return run(args.gateway)


if __name__ == "__main__":
    sys.exit(main())
