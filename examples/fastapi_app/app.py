"""A FastAPI twin of examples/guarded_server: an OpenAI-compatible /v1/chat/completions endpoint with
a stand-in model that streams Server-Sent Events, guarded by jitguard's ASGI middleware.

    python examples/fastapi_app/app.py --config jitguard.json [--host 127.0.0.1] [--port 8000]

The middleware admits every request (bearer token -> policy -> approval -> grant), masks the prompt
and the streamed answer, and audits every step. The endpoint itself only sees admitted requests; it
checks the request's single-use grant where a real server would call its data store.
Approvers decide tickets at POST /v1/approvals/{ticket_id} with their own bearer token.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import AsyncIterator, List

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

import jitguard
from jitguard.asgi import JitGuardMiddleware


def stand_in_model(prompt: str) -> List[str]:
    """A canned answer in chunks; the email and the phone number are split across chunks on purpose."""
    if "export" in prompt.lower():
        return ["Exported 3 rows: ana@corp.example, ", "ben@corp.", "example, chi@corp.example."]
    return ["Ticket 4411 was opened by Dana Whitfield (dana.whit", "field@example.com, ", "phone +1 415 555 ",
            "0134). Suggested reply: apologise and re-issue the refund."]


def create_app(guard: jitguard.Guard, dataset: str = "support-tickets") -> FastAPI:
    app = FastAPI(title="jitguard FastAPI example")

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        admission = request.state.jitguard
        # The data store behind the model accepts the grant once.
        guard.grant_verifier.verify(str(admission.grant), dataset=admission.dataset,
                                    operation=admission.operation)
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        chunks = stand_in_model(prompt)
        created = int(time.time())
        if not body.get("stream"):
            return JSONResponse({"id": f"chatcmpl-{admission.request_id}", "object": "chat.completion",
                                 "created": created, "model": body.get("model", ""),
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": "".join(chunks)}}]})

        async def events() -> AsyncIterator[bytes]:
            for i, chunk in enumerate(chunks + [""]):
                doc = {"id": f"chatcmpl-{admission.request_id}", "object": "chat.completion.chunk",
                       "created": created, "model": body.get("model", ""),
                       "choices": [{"index": 0, "delta": {"content": chunk},
                                    "finish_reason": "stop" if i == len(chunks) else None}]}
                yield f"data: {json.dumps(doc)}\n\n".encode()
                await asyncio.sleep(0.02)  # a model takes its time
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/approvals/{ticket_id}")
    async def decide(ticket_id: str, request: Request):
        body = await request.json()
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            status = guard.decide(token, ticket_id, approve=bool(body.get("approve")),
                                  comment=str(body.get("comment", "")))
        except jitguard.TokenError as e:
            return JSONResponse({"error": {"code": e.reason, "message": e.message}}, status_code=401)
        except jitguard.ApprovalError as e:
            return JSONResponse({"error": {"code": e.reason, "message": e.message}}, status_code=403)
        return {"ticket": {"id": ticket_id, "status": status}}

    @app.get("/metrics")
    async def metrics():
        return PlainTextResponse(guard.metrics_text(), media_type="text/plain; version=0.0.4")

    app.add_middleware(JitGuardMiddleware, guard=guard, dataset=dataset)
    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="jitguard.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dataset", default="support-tickets", help="dataset when no X-Jitguard-Dataset header")
    args = parser.parse_args()
    with jitguard.Guard.from_file(args.config) as guard:
        uvicorn.run(create_app(guard, args.dataset), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
