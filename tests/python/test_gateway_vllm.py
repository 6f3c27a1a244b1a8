"""jitguard.asgi.VllmMiddleware added exactly the way vLLM's OpenAI server adds a ``--middleware``
class (import by dotted path, ``inspect.isclass``, ``app.add_middleware(cls)`` with no arguments) to a
FastAPI app shaped like vLLM's, under a real uvicorn, with the official openai SDK as the client."""
from __future__ import annotations

import importlib
import inspect
import json
from argparse import Namespace

import openai
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from jitguard.demo import DemoIdp, write_deployment
from gateway_support import ANSWER
from test_asgi import Server

seen_prompts = []


def build_vllm_like_app(args: Namespace) -> FastAPI:
    router = APIRouter()

    @router.get("/health")
    async def health():
        return JSONResponse({})

    @router.get("/v1/models")
    async def models():
        return JSONResponse({"object": "list", "data": [{"id": "support-llm", "object": "model",
                                                          "owned_by": "vllm"}]})

    @router.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        seen_prompts.append(body)
        model = body["model"]
        if body.get("stream"):
            async def events():
                for text in ANSWER:
                    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                             "model": model, "choices": [{"index": 0, "delta": {"content": text},
                                                          "finish_reason": None}]}
                    yield f"data: {json.dumps(chunk)}\n\n"
                yield "data: [DONE]\n\n"
            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": "".join(ANSWER)}}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    app = FastAPI()
    app.include_router(router)
    # vLLM's api_server.build_app, verbatim in behaviour: each --middleware is a dotted path.
    for middleware in args.middleware:
        module_path, object_name = middleware.rsplit(".", 1)
        imported = getattr(importlib.import_module(module_path), object_name)
        if inspect.isclass(imported):
            app.add_middleware(imported)
        elif inspect.iscoroutinefunction(imported):
            app.middleware("http")(imported)
        else:
            raise ValueError(f"Invalid middleware {middleware}. Must be a function or a class.")
    return app


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    idp = DemoIdp()
    workdir = tmp_path_factory.mktemp("vllm")
    write_deployment(str(workdir), idp)
    mp = pytest.MonkeyPatch()
    mp.setenv("JITGUARD_CONFIG", str(workdir / "jitguard.json"))
    mp.setenv("JITGUARD_DATASET", "support-tickets")
    app = build_vllm_like_app(Namespace(middleware=["jitguard.asgi.VllmMiddleware"]))
    try:
        with Server(app) as url:
            yield {"url": url, "idp": idp}
    finally:
        mp.undo()


def test_stream_masked_and_prompt_masked(env):
    c = openai.OpenAI(api_key=env["idp"].mint("alice", ["data-scientists"]), base_url=env["url"] + "/v1",
                      max_retries=0)
    stream = c.chat.completions.create(model="support-llm", stream=True,
                                       messages=[{"role": "user", "content": "mail jane.doe@example.com"}])
    text = "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices)
    assert "dana.whit" not in text and "[EMAIL]" in text
    assert seen_prompts[-1]["messages"][0]["content"] == "mail [EMAIL]"


def test_refusals(env):
    anonymous = openai.OpenAI(api_key="nope", base_url=env["url"] + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        anonymous.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "hi"}])
    carl = openai.OpenAI(api_key=env["idp"].mint("carl", ["contractors"]), base_url=env["url"] + "/v1",
                         max_retries=0, default_headers={"X-Jitguard-Dataset": "claims"})
    with pytest.raises(openai.PermissionDeniedError):
        carl.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "hi"}])


def test_missing_config_fails_closed(monkeypatch):
    monkeypatch.delenv("JITGUARD_CONFIG", raising=False)
    from jitguard.asgi import VllmMiddleware
    from jitguard.errors import ConfigError
    with pytest.raises(ConfigError):
        VllmMiddleware(lambda scope, receive, send: None)
