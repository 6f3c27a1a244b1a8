"""JitGuardMiddleware in a real uvicorn server on a loopback port, driven by an httpx client."""
import asyncio
import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

import jitguard
from jitguard.asgi import JitGuardMiddleware, extract_prompt
from jitguard.demo import DemoIdp, write_deployment

EMAIL = "dana.whitfield@example.com"


def sse(content, finish=None):
    doc = {"id": "c1", "object": "chat.completion.chunk", "model": "support-llm",
           "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}
    return f"data: {json.dumps(doc)}\n\n"


async def chat(request: Request):
    body = await request.json()
    adm = request.state.jitguard
    seen_prompt = body["messages"][-1]["content"]
    if seen_prompt == "send an event that is not json":
        async def raw_events():
            # A model server bug: an event whose data is not JSON, carrying an email.
            for piece in [sse("Hello " + adm.subject), f"data: not json, mail {EMAIL}\n\n", sse("bye")]:
                yield piece.encode()
                await asyncio.sleep(0.01)
        return StreamingResponse(raw_events(), media_type="text/event-stream")
    if body.get("stream"):
        async def events():
            # The email is split across two SSE events, each sent in its own write.
            for piece in [sse("Hello " + adm.subject + ", write to dana.whit"), sse("field@example.com today."),
                          sse("", "stop"), "data: [DONE]\n\n"]:
                yield piece.encode()
                await asyncio.sleep(0.01)
        return StreamingResponse(events(), media_type="text/event-stream")
    return JSONResponse({"id": "c2", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant",
                                                  "content": f"You said: {seen_prompt}. Mail {EMAIL}."}}]})


async def text(request: Request):
    return PlainTextResponse(f"plain {EMAIL}")


async def health(request: Request):
    return PlainTextResponse(f"ok {EMAIL}")


class Server:
    def __init__(self, app):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def idp():
    return DemoIdp()


@pytest.fixture(scope="module")
def env(tmp_path_factory, idp):
    workdir = tmp_path_factory.mktemp("asgi")
    write_deployment(str(workdir), idp)
    guard = jitguard.Guard.from_file(str(workdir / "jitguard.json"))
    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                            Route("/v1/completions", text, methods=["POST"]),
                            Route("/healthz", health)])
    app.add_middleware(JitGuardMiddleware, guard=guard, dataset="support-tickets")
    with Server(app) as url:
        yield {"url": url, "guard": guard, "workdir": workdir}
    guard.close()


def body(prompt="Summarize ticket 4411", stream=False, model="support-llm"):
    return {"model": model, "stream": stream, "messages": [{"role": "system", "content": "be brief"},
                                                           {"role": "user", "content": prompt}]}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_extract_prompt():
    assert extract_prompt(body("hi")) == "system: be brief\nuser: hi"
    assert extract_prompt({"prompt": "p"}) == "p"
    assert extract_prompt({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"},
                                                                    {"type": "image_url"}]}]}) == "user: a"


def test_streamed_email_split_across_two_events_is_masked(env, idp):
    token = idp.mint("alice", ["data-scientists"])
    received = []
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", env["url"] + "/v1/chat/completions", json=body(stream=True),
                           headers=auth(token)) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            for chunk in r.iter_bytes():
                received.append(chunk)
    raw = b"".join(received)
    assert EMAIL.encode() not in raw and b"dana.whit" not in raw
    content = ""
    for line in raw.decode().splitlines():
        if line.startswith("data: {"):
            content += json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
    assert content == "Hello alice, write to [EMAIL] today."
    assert raw.decode().rstrip().endswith("data: [DONE]")


def test_sse_event_that_is_not_json_is_masked_as_text(env, idp):
    # Default deny: an event whose data is not JSON is masked as text (one stream across such
    # events), and the stream goes on.
    token = idp.mint("alice", ["data-scientists"])
    request = body("send an event that is not json", stream=True)
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", env["url"] + "/v1/chat/completions", json=request,
                           headers=auth(token)) as r:
            assert r.status_code == 200
            raw = b"".join(r.iter_bytes())
    assert EMAIL.encode() not in raw
    assert b"data: not json, mail [EMAIL]\n" in raw
    assert b'bye"' in raw  # the stream went on


def test_a_body_the_guard_cannot_read_is_refused(env, idp):
    token = idp.mint("alice", ["data-scientists"])
    for bad, code in [({"model": "support-llm", "messages": "please export everything"}, "bad_messages"),
                      ({"model": "support-llm", "prompt": [1, 2, 3]}, "token_prompt"),
                      ({"model": "support-llm", "stream": "yes", "messages": []}, "bad_field"),
                      ({"model": "support-llm"}, "no_prompt")]:
        r = httpx.post(env["url"] + "/v1/chat/completions", json=bad, headers=auth(token), timeout=10)
        assert r.status_code == 400, bad
        assert r.json()["error"]["code"] == code


def test_json_response_and_prompt_are_masked(env, idp):
    r = httpx.post(env["url"] + "/v1/chat/completions", json=body(f"my mail is {EMAIL}"),
                   headers=auth(idp.mint("alice", ["data-scientists"])), timeout=10)
    assert r.status_code == 200
    content = r.json()["choices"][0]["message"]["content"]
    # The model read the masked prompt; its answer is masked too.
    assert content == "You said: my mail is [EMAIL]. Mail [EMAIL]."
    assert EMAIL not in r.text


def test_text_response_is_masked(env, idp):
    r = httpx.post(env["url"] + "/v1/completions", json={"model": "support-llm", "prompt": "x"},
                   headers=auth(idp.mint("alice", ["data-scientists"])), timeout=10)
    assert r.status_code == 200 and r.text == "plain [EMAIL]"


def test_unguarded_paths_pass_through(env):
    r = httpx.get(env["url"] + "/healthz", timeout=10)
    assert r.status_code == 200 and r.text == f"ok {EMAIL}"


def test_missing_and_bad_tokens_are_401(env, idp):
    r = httpx.post(env["url"] + "/v1/chat/completions", json=body(), timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_token"
    r = httpx.post(env["url"] + "/v1/chat/completions", json=body(),
                   headers=auth(idp.mint("alice", ["data-scientists"], audience="other")), timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "audience"
    assert r.headers["www-authenticate"] == "Bearer"


def test_bad_body_is_400(env, idp):
    r = httpx.post(env["url"] + "/v1/chat/completions", content=b"[1,2", timeout=10,
                   headers={**auth(idp.mint("alice", ["data-scientists"])), "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_json"


def test_deny_is_403_json(env, idp):
    r = httpx.post(env["url"] + "/v1/chat/completions", json=body(),
                   headers={**auth(idp.mint("bob", ["contractors"])), "X-Jitguard-Dataset": "claims"}, timeout=10)
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["type"] == "access_denied" and error["code"] == "no_permit" and error["rules"] == []


def test_dataset_from_header(env, idp):
    headers = auth(idp.mint("alice", ["data-scientists"]))
    r = httpx.post(env["url"] + "/v1/chat/completions", json=body(),
                   headers={**headers, "X-Jitguard-Dataset": "payroll"}, timeout=10)
    assert r.status_code == 403
    r = httpx.post(env["url"] + "/v1/chat/completions", json=body(),
                   headers={**headers, "X-Jitguard-Dataset": "claims"}, timeout=10)
    assert r.status_code == 200


def test_approval_202_then_approve_and_retry_200(env, idp):
    alice = auth(idp.mint("alice", ["data-scientists"]))
    request = body("Export the contact list of every customer")
    url = env["url"] + "/v1/chat/completions"
    r = httpx.post(url, json=request, headers=alice, timeout=10)
    assert r.status_code == 202
    payload = r.json()
    assert payload["status"] == "approval_required"
    ticket = payload["ticket"]["id"]
    assert payload["ticket"]["approver_groups"] == ["security-leads"]
    # Retrying before anyone approved fails.
    r = httpx.post(url, json=request, headers={**alice, "X-Jitguard-Approval": ticket}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_approved"
    assert env["guard"].decide(idp.mint("carol", ["security-leads"]), ticket, approve=True) == "approved"
    r = httpx.post(url, json=request, headers={**alice, "X-Jitguard-Approval": ticket}, timeout=10)
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"].endswith("Mail [EMAIL].")
    r = httpx.post(url, json=request, headers={**alice, "X-Jitguard-Approval": ticket}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "already_consumed"


def test_admission_reaches_the_app_and_everything_is_audited(env, idp):
    guard = env["guard"]

    def permits():
        line = [x for x in guard.metrics_text().splitlines() if x.startswith('jitguard_decisions_total{effect="permit"}')]
        return int(line[0].rsplit(" ", 1)[1]) if line else 0

    before = permits()
    r = httpx.post(env["url"] + "/v1/chat/completions", json=body(stream=True),
                   headers=auth(idp.mint("alice", ["data-scientists"])), timeout=10)
    assert r.status_code == 200 and "Hello alice" in r.text
    assert permits() == before + 1
    guard.flush()
    log = (env["workdir"] / "audit.jsonl").read_text()
    assert EMAIL not in log
    responses = [json.loads(line) for line in log.splitlines() if '"inference.response"' in line]
    assert responses and responses[-1]["findings"] == {"EMAIL": 1}
