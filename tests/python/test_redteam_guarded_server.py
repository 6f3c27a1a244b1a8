"""Red team (issue 12), C++ front end: the real examples/guarded_server binary, its stand-in model
replaying hostile upstream bytes (--replay FILE), the official ``openai`` SDK and httpx as clients.
The same response cases as the Python front end, plus the HTTP details (scheme case, duplicate
Authorization, unreadable and compressed request bodies)."""
import gzip
import json
import zlib

import httpx
import openai
import pytest

from redteam_support import (CARD, EMAIL, CppFront, Deployment, assert_clean, chunk, guarded_server_binary, sse)
from test_redteam_asgi import RESPONSE_CASES, no_byte_arrays

pytestmark = pytest.mark.skipif(guarded_server_binary() is None,
                                reason="guarded_server is not built (cpp-httplib missing): make build")

DATASET = {"X-Jitguard-Dataset": "support-tickets"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    return Deployment(tmp_path_factory.mktemp("redteam-cpp"))


def body(stream, content="Summarize ticket 4411", **extra):
    b = {"model": "support-llm", "stream": stream, "messages": [{"role": "user", "content": content}]}
    b.update(extra)
    return b


def sdk_text(url, token, stream):
    client = openai.OpenAI(base_url=url + "/v1", api_key=token, max_retries=0, timeout=20,
                           default_headers=DATASET)
    try:
        msgs = [{"role": "user", "content": "Summarize ticket 4411"}]
        if stream:
            return "\n".join(c.model_dump_json() if hasattr(c, "model_dump_json") else repr(c) for c in client.chat.completions.create(
                model="support-llm", messages=msgs, stream=True))
        return client.chat.completions.create(model="support-llm", messages=msgs).model_dump_json()
    except (openai.APIError, ValueError) as e:
        return repr(e) + str(getattr(e, "body", ""))


@pytest.mark.parametrize("case", RESPONSE_CASES, ids=[c[0] for c in RESPONSE_CASES])
def test_hostile_upstream_response(deployment, case):
    name, upstream, _ctype, stream = case
    with CppFront(deployment, upstream, chunk_size=1 if name == "one_byte_chunks" else 0) as front:
        token = deployment.token()
        before = len(deployment.records())
        r = httpx.post(front.url + "/v1/chat/completions", json=body(stream), timeout=20,
                       headers={"Authorization": "Bearer " + token, **DATASET})
        assert r.status_code == 200, r.text
        assert_clean(r.content, "the wire")
        no_byte_arrays(r.content)
        record = deployment.last_response_record(before)
        assert_clean(json.dumps(record), "the audit record")
        assert "response" in record  # the masked transcript (what the audit holds of the answer)
        assert "[" in r.text, "the planted values are masked (labelled), not only dropped"
        assert_clean(sdk_text(front.url, token, stream), "the openai SDK's objects")
        assert front.alive(), "guarded_server died"


def test_stand_in_model_is_masked_and_request_read_by_the_library(deployment):
    with CppFront(deployment) as front:
        token = deployment.token()
        headers = {"Authorization": "Bearer " + token, **DATASET}
        before = len(deployment.records())
        r = httpx.post(front.url + "/v1/chat/completions", json=body(False), headers=headers, timeout=20)
        assert r.status_code == 200 and "[EMAIL]" in r.json()["choices"][0]["message"]["content"]
        assert_clean(r.content, "the wire")
        assert "[EMAIL]" in deployment.last_response_record(before)["response"]
        # Tool-call arguments in the request: masked in the audit's prompt record (what the model reads).
        before = len(deployment.records())
        msgs = [{"role": "user", "content": "look up"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": json.dumps({"e": EMAIL})}}]}]
        r = httpx.post(front.url + "/v1/chat/completions", headers=headers, timeout=20,
                       json={"model": "support-llm", "messages": msgs})
        assert r.status_code == 200
        prompts = deployment.prompt_records(before, marker="look up")
        assert prompts and "[EMAIL]" in prompts[-1]["prompt"]
        assert_clean(json.dumps(prompts), "the audit record")


@pytest.mark.parametrize("bad,reason", [
    (b"not json", "bad_json"),
    (b"[1,2]", "not_an_object"),
    (json.dumps({"model": "support-llm", "messages": {"role": "user", "content": "export all"}}).encode(),
     "bad_messages"),
])
def test_unreadable_request_is_refused_with_its_reason(deployment, bad, reason):
    with CppFront(deployment) as front:
        r = httpx.post(front.url + "/v1/chat/completions", content=bad, timeout=20,
                       headers={"Authorization": "Bearer " + deployment.token(), "Content-Type": "application/json",
                                **DATASET})
        assert r.status_code == 400 and r.json()["error"]["code"] == reason


def test_export_rule_is_not_bypassed(deployment):
    with CppFront(deployment) as front:
        r = httpx.post(front.url + "/v1/chat/completions", timeout=20, json={
            "model": "support-llm", "messages": [
                {"role": "user", "content": "go"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "run", "arguments": '{"op":"export all"}'}}]}]},
            headers={"Authorization": "Bearer " + deployment.token(), **DATASET})
        assert r.status_code == 202 and r.json()["status"] == "approval_required"


def test_bearer_upper_case_and_duplicate_authorization(deployment):
    with CppFront(deployment) as front:
        token = deployment.token()
        r = httpx.post(front.url + "/v1/chat/completions", json=body(False), timeout=20,
                       headers={"Authorization": "BEARER " + token, **DATASET})
        assert r.status_code == 200
        r = httpx.post(front.url + "/v1/chat/completions", json=body(False), timeout=20,
                       headers=[("Authorization", "Bearer " + token), ("Authorization", "Bearer " + token),
                                ("X-Jitguard-Dataset", "support-tickets")])
        assert r.status_code == 400 and r.json()["error"]["code"] == "duplicate_authorization"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_request_body_is_decoded(deployment, encoding):
    raw = json.dumps(body(False, content="Summarize ticket 4411 for " + EMAIL)).encode()
    data = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    with CppFront(deployment) as front:
        before = len(deployment.records())
        r = httpx.post(front.url + "/v1/chat/completions", content=data, timeout=20,
                       headers={"Authorization": "Bearer " + deployment.token(), "Content-Encoding": encoding,
                                "Content-Type": "application/json", **DATASET})
        assert r.status_code == 200, r.text
        prompts = deployment.prompt_records(before, marker="ticket 4411 for")
        assert prompts and "[EMAIL]" in prompts[-1]["prompt"]
        assert_clean(json.dumps(prompts), "the audit record")


def test_unknown_request_encoding_is_refused(deployment):
    with CppFront(deployment) as front:
        r = httpx.post(front.url + "/v1/chat/completions", content=b"\x00\x01garbage", timeout=20,
                       headers={"Authorization": "Bearer " + deployment.token(), "Content-Encoding": "zstd",
                                "Content-Type": "application/json", **DATASET})
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_encoding"


def test_compression_bomb_and_corrupt_body_are_refused(deployment):
    # 64 MiB of "a" in a JSON string, ~64 KiB compressed: refused once the decoded body passes 8 MiB.
    bomb = gzip.compress(b'{"model":"support-llm","messages":[{"role":"user","content":"' + b"a" * (64 << 20) + b'"}]}')
    with CppFront(deployment) as front:
        headers = {"Authorization": "Bearer " + deployment.token(), "Content-Encoding": "gzip",
                   "Content-Type": "application/json", **DATASET}
        r = httpx.post(front.url + "/v1/chat/completions", content=bomb, headers=headers, timeout=30)
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        r = httpx.post(front.url + "/v1/chat/completions", content=b"not gzip at all", headers=headers, timeout=30)
        assert r.status_code == 400
        assert front.alive()
