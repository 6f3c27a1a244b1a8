"""jitguard-gateway (the C++ binary) in front of a stand-in OpenAI-compatible upstream, with the
official `openai` SDK as the client: refusals, approvals, masking on the wire both ways, the service
credential kept secret, /v1/models filtered by policy, timeouts, disconnects, limits, reload and
graceful shutdown. Everything runs on 127.0.0.1."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import openai
import pytest

import jitguard
from jitguard.audit import verify_audit_log
from jitguard.demo import DemoIdp, write_deployment
from gateway_support import ROOT, Gateway, RawUpstream, StandInUpstream, gateway_binary, http_reply
from jwks_support import JwksServer

KEY = "sk-upstream-SECRET-7f3a9c1e5b"  # the service credential: must never come back


@pytest.fixture(scope="module")
def env(tmp_path_factory, redis_server):
    idp = DemoIdp()
    workdir = tmp_path_factory.mktemp("gateway")
    write_deployment(str(workdir), idp)
    config_path = workdir / "jitguard.json"
    config = json.loads(config_path.read_text())
    # Approvals in Redis, so an approver's own Guard (another process in real life) decides them.
    config["approvals"] = {"backend": "redis", "url": redis_server.url, "ttl": 900}
    config_path.write_text(json.dumps(config))
    approver_config = dict(config, audit=dict(config["audit"], file="approver-audit.jsonl"))
    (workdir / "approver.json").write_text(json.dumps(approver_config))
    approver = jitguard.Guard.from_file(str(workdir / "approver.json"))
    with StandInUpstream(slow_seconds=8.0) as upstream:
        gw = Gateway(str(config_path), upstream.url, key=KEY,
                     args=["--dataset", "support-tickets", "--max-request-bytes", "65536"])
        try:
            yield {"idp": idp, "dir": workdir, "upstream": upstream, "gw": gw, "approver": approver}
        finally:
            gw.close()
            approver.close()


def client(env, subject="alice", groups=("data-scientists",), **headers):
    token = env["idp"].mint(subject, list(groups))
    return openai.OpenAI(api_key=token, base_url=env["gw"].url + "/v1", max_retries=0, timeout=20,
                         default_headers=headers or None), token


def last_upstream(env):
    return env["upstream"].requests[-1]


def test_health_ready_metrics(env):
    url = env["gw"].url
    assert httpx.get(url + "/healthz").status_code == 200
    assert httpx.get(url + "/readyz").status_code == 200
    r = httpx.get(url + "/metrics")
    assert r.status_code == 200 and "jitguard_gateway_open_streams" in r.text


def test_missing_and_bad_token_refused(env):
    r = httpx.post(env["gw"].url + "/v1/chat/completions",
                   json={"model": "support-llm", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_token"
    assert r.headers["www-authenticate"] == "Bearer"
    bad = openai.OpenAI(api_key="not-a-jwt", base_url=env["gw"].url + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        bad.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "hi"}])
    assert e.value.code and e.value.body["type"] == "authentication_error"


def test_scheme_is_case_insensitive_and_duplicates_refused(env):
    token = env["idp"].mint("alice", ["data-scientists"])
    body = {"model": "support-llm", "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(env["gw"].url + "/v1/chat/completions", json=body, headers={"Authorization": "bEaReR " + token})
    assert r.status_code == 200
    r = httpx.post(env["gw"].url + "/v1/chat/completions", json=body,
                   headers=[("Authorization", "Bearer " + token), ("Authorization", "Bearer other")])
    assert r.status_code == 400 and r.json()["error"]["code"] == "duplicate_authorization"


def test_unreadable_body_is_400_never_admitted(env):
    token = env["idp"].mint("alice", ["data-scientists"])
    n = len(env["upstream"].requests)
    for content, code in ((b"{not json", "bad_json"), (b"[1,2]", "not_an_object"), (b"", "bad_json"),
                          (b'{"model":"support-llm"}', "no_prompt"), (b'{"messages": "x"}', "bad_messages"),
                          (b'{"model":"m","prompt":[1,2]}', "token_prompt")):
        r = httpx.post(env["gw"].url + "/v1/chat/completions", content=content,
                       headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        assert r.status_code == 400, content
        assert r.json()["error"]["code"] == code, content
    assert len(env["upstream"].requests) == n


def test_denied_group_is_403(env):
    c, _ = client(env, "carl", ["contractors"], **{"X-Jitguard-Dataset": "claims"})
    with pytest.raises(openai.PermissionDeniedError) as e:
        c.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "hi"}])
    assert e.value.code == "no_permit"


def test_streaming_answer_masked_and_request_masked(env):
    c, token = client(env)
    stream = c.chat.completions.create(
        model="support-llm", stream=True,
        messages=[
            {"role": "system", "content": "You help the support team."},
            {"role": "user", "content": [{"type": "text", "text": "Customer jane.doe@example.com asks"},
                                         {"type": "text", "text": "call +1 415 555 0199"}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "lookup", "arguments": "{\"email\": \"bob.smith@example.org\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "card 4111 1111 1111 1111 on file"},
        ])
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert "dana.whit" not in text and "4111 1111" not in text and "415 555 0134" not in text
    assert "[EMAIL]" in text and text.startswith("Ticket 4411 was opened by Dana Whitfield ([EMAIL]")
    sent = last_upstream(env)
    raw = sent["raw"].decode()
    for secret in ("jane.doe@example.com", "415 555 0199", "bob.smith@example.org", "4111 1111 1111 1111"):
        assert secret not in raw
    msgs = sent["body"]["messages"]
    assert msgs[1]["content"][0]["text"] == "Customer [EMAIL] asks"
    assert "[EMAIL]" in msgs[2]["tool_calls"][0]["function"]["arguments"]
    assert msgs[2]["tool_calls"][0]["function"]["name"] == "lookup" and msgs[3]["tool_call_id"] == "call_1"
    # The service credential upstream; the caller's token never.
    assert sent["headers"]["Authorization"] == "Bearer " + KEY
    assert token not in json.dumps(sent["header_list"]) and token not in raw
    assert sent["headers"]["Accept-Encoding"] == "identity"


def test_non_streaming_answer_masked(env):
    c, _ = client(env)
    r = c.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "summarize"}])
    content = r.choices[0].message.content
    assert "dana.whit" not in content and "[EMAIL]" in content and r.model == "support-llm"
    assert r.usage.total_tokens == 25


def test_completions_embeddings_responses(env):
    c, _ = client(env)
    stream = c.completions.create(model="support-llm", prompt="about ann.lee@example.net", stream=True)
    text = "".join(ch.choices[0].text or "" for ch in stream if ch.choices)
    assert "dana.whit" not in text and "[EMAIL]" in text
    assert last_upstream(env)["body"]["prompt"] == "about [EMAIL]"
    emb = c.embeddings.create(model="support-llm", input=["mail ann.lee@example.net", "plain"])
    assert emb.data[0].embedding == [0.25, -0.5, 1.0]
    assert last_upstream(env)["body"]["input"] == ["mail [EMAIL]", "plain"]
    resp = c.responses.create(model="support-llm", input="write to ann.lee@example.net",
                              instructions="be brief, cc max@example.com")
    assert "[EMAIL]" in resp.output_text and "dana.whit" not in resp.output_text
    body = last_upstream(env)["body"]
    assert body["input"] == "write to [EMAIL]" and "max@example.com" not in body["instructions"]


def test_models_filtered_by_policy(env):
    c, _ = client(env)
    assert sorted(m.id for m in c.models.list()) == ["support-llm", "support-pro"]
    c2, _ = client(env, "svc-nightly-batch", [])
    assert [m.id for m in c2.models.list()] == []
    r = httpx.get(env["gw"].url + "/v1/models")
    assert r.status_code == 401


def test_models_filtered_with_keys_from_a_jwks_url(own):
    # The listing uses the Guard's own key source: keys fetched from a URL work as in Admit.
    idp, d = own
    server = JwksServer(idp.jwks)
    try:
        config = json.loads((d / "jitguard.json").read_text())
        tokens = {k: v for k, v in config["tokens"].items() if k not in ("jwks", "jwks_file")}
        tokens["jwks_url"] = server.url
        config["tokens"] = tokens
        (d / "jitguard.json").write_text(json.dumps(config))
        with StandInUpstream() as up, Gateway(str(d / "jitguard.json"), up.url, key=KEY,
                                              args=["--dataset", "support-tickets"]) as gw:
            c = openai.OpenAI(api_key=idp.mint("alice", ["data-scientists"]), base_url=gw.url + "/v1",
                              max_retries=0)
            assert sorted(m.id for m in c.models.list()) == ["support-llm", "support-pro"]
            stranger = openai.OpenAI(api_key=DemoIdp().mint("alice", ["data-scientists"]),
                                     base_url=gw.url + "/v1", max_retries=0)
            with pytest.raises(openai.AuthenticationError):
                stranger.models.list()
    finally:
        server.close()


def test_approval_flow(env):
    c, _ = client(env, **{"X-Jitguard-Dataset": "claims"})
    messages = [{"role": "user", "content": "Export the customer list"}]
    raw = c.chat.completions.with_raw_response.create(model="support-llm", messages=messages)
    assert raw.status_code == 202
    ticket = json.loads(raw.text)["ticket"]
    assert ticket["approver_groups"] == ["security-leads"]
    # Until someone else approves, the retry is refused.
    with pytest.raises(openai.PermissionDeniedError) as e:
        c.chat.completions.create(model="support-llm", messages=messages,
                                  extra_headers={"X-Jitguard-Approval": ticket["id"]})
    assert e.value.code == "not_approved"
    carol = env["idp"].mint("carol", ["security-leads"])
    assert env["approver"].decide(carol, ticket["id"], approve=True) == "approved"
    r = c.chat.completions.create(model="support-llm", messages=messages,
                                  extra_headers={"X-Jitguard-Approval": ticket["id"]})
    assert "[EMAIL]" in r.choices[0].message.content and "dana.whit" not in r.choices[0].message.content


def test_upstream_errors_mapped_and_credential_never_leaks(env):
    c, token = client(env)
    with pytest.raises(openai.APIStatusError) as e:
        c.chat.completions.create(model="support-echo-error", messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 502
    text = json.dumps(e.value.body)
    assert KEY not in text and "ops.lead@example.com" not in text and "[EMAIL]" in text
    with pytest.raises(openai.APIStatusError) as e:
        c.chat.completions.create(model="support-bad-key", messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 502 and e.value.code == "upstream_auth_failed"
    with pytest.raises(openai.APIStatusError) as e:
        c.chat.completions.create(model="support-gzip-answer", messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 502 and e.value.code == "upstream_encoding_unsupported"
    log = env["gw"].log()
    assert KEY not in log and token not in log
    audit = (env["dir"] / "audit.jsonl").read_text()
    assert KEY not in audit and token not in audit


def test_request_too_large_is_413(env):
    token = env["idp"].mint("alice", ["data-scientists"])
    body = {"model": "support-llm", "messages": [{"role": "user", "content": "x" * 100_000}]}
    r = httpx.post(env["gw"].url + "/v1/chat/completions", json=body, headers={"Authorization": "Bearer " + token})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_client_disconnect_cancels_upstream(env):
    token = env["idp"].mint("alice", ["data-scientists"])
    body = {"model": "support-slow-first", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    payload = json.dumps(body).encode()
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", env["gw"].port)) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: " +
                  str(len(payload)).encode() + b"\r\n\r\n" + payload)
        time.sleep(0.3)
    # The gateway gives up on the upstream at once (499), long before the upstream would answer (8 s).
    assert wait_for(lambda: "-> 499" in env["gw"].log(), 5.0)
    assert time.monotonic() - start < 6


def test_client_disconnect_mid_stream_cancels_upstream(env):
    token = env["idp"].mint("alice", ["data-scientists"])
    payload = json.dumps({"model": "support-stall-stream", "stream": True,
                          "messages": [{"role": "user", "content": "hi"}]}).encode()
    before = env["gw"].log().count("-> 499")
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", env["gw"].port)) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: " +
                  str(len(payload)).encode() + b"\r\n\r\n" + payload)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")  # the stream is open; the upstream now stalls
    # The upstream stalls for 8 s; the gateway notices the client left and drops the upstream at once.
    assert wait_for(lambda: env["gw"].log().count("-> 499") > before, 5.0)
    assert time.monotonic() - start < 6


def test_audit_log_verifies_without_secrets(env):
    assert env["gw"].stop() == 0  # SIGTERM: the audit sink is flushed and closed
    key = (env["dir"] / "audit.key").read_text().strip().encode()
    result = verify_audit_log(str(env["dir"] / "audit.jsonl"), hmac_key=key)
    assert result.ok, result
    audit = (env["dir"] / "audit.jsonl").read_text()
    # No value appears, whole or cut: a stream cut short is aborted, so the masker's held start of
    # a value ("dana.whit" of an address whose end never arrived) is not recorded either.
    for value in ("dana.whit", "jane.doe@example.com", "4111 1111 1111 1111", KEY):
        assert value not in audit


# ---- a hostile upstream: the exact bytes it sends are replayed (RawUpstream) ---------------------

KEY2 = "vllm-svc-cred-Zq81Xw55"  # a service credential with no well-known prefix
EMAIL, CARD = "john.doe@example.com", "4111 1111 1111 1111"
BODY = {"model": "support-llm", "messages": [{"role": "user", "content": "hi"}]}


def leaks(text):
    return [v for v in (EMAIL, CARD, KEY2, "john.doe", "4111 1111", "vllm-svc") if v in text]


def completion(content):
    return json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "support-llm",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content}}]}).encode()


def chunk_event(content, finish=None):
    ev = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "support-llm",
          "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}
    return b"data: " + json.dumps(ev).encode() + b"\n\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    idp = DemoIdp()
    d = tmp_path_factory.mktemp("hostile")
    write_deployment(str(d), idp)
    with RawUpstream() as up, Gateway(str(d / "jitguard.json"), up.url, key=KEY2,
                                      args=["--dataset", "support-tickets"]) as gw:
        token = idp.mint("alice", ["data-scientists"])
        yield {"up": up, "gw": gw, "token": token, "headers": {"Authorization": "Bearer " + token}}


def post(h, body=BODY, path="/v1/chat/completions"):
    return httpx.post(h["gw"].url + path, json=body, headers=h["headers"], timeout=20)


@pytest.mark.parametrize("name,reply,code", [
    ("two Content-Encoding headers, identity then gzip",
     lambda gz: http_reply(gz, extra=b"Content-Encoding: identity\r\nContent-Encoding: gzip\r\n"),
     "upstream_encoding_unsupported"),
    ("Content-Encoding: identity, gzip",
     lambda gz: http_reply(gz, extra=b"Content-Encoding: identity, gzip\r\n"), "upstream_encoding_unsupported"),
    ("Content-Encoding: X-GZIP, text/plain",
     lambda gz: http_reply(gz, ctype="text/plain", extra=b"Content-Encoding: X-GZIP\r\n"),
     "upstream_encoding_unsupported"),
    ("Transfer-Encoding: gzip, chunked",
     lambda gz: (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n"
                 b"Connection: close\r\n\r\n" + b"%x\r\n" % len(gz) + gz + b"\r\n0\r\n\r\n"),
     "upstream_transfer_encoding_unsupported"),
])
def test_every_content_and_transfer_encoding_is_checked(hostile, name, reply, code):
    import gzip
    gz = gzip.compress(completion("mail " + EMAIL + " card " + CARD))
    hostile["up"].reply = reply(gz)
    r = post(hostile)
    assert r.status_code == 502 and r.json()["error"]["code"] == code, name
    assert gz not in r.content and "content-encoding" not in r.headers


def test_ndjson_is_masked_line_by_line(hostile):
    # Ollama streams NDJSON; "ndjson" contains "json", which once sent it down the whole-body JSON
    # path, where a value split across two lines was never seen whole.
    lines = b"".join(json.dumps({"model": "m", "message": {"role": "assistant", "content": t},
                                 "done": d}).encode() + b"\n"
                     for t, d in (("mail john.doe@exa", False), ("mple.com", False), ("", True)))
    hostile["up"].reply = http_reply(lines, ctype="application/x-ndjson", chunked=True)
    r = post(hostile, dict(BODY, stream=True))
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    docs = [json.loads(line) for line in r.text.splitlines() if line]
    text = "".join(doc.get("message", {}).get("content", "") for doc in docs)
    assert "[EMAIL]" in text and not leaks(text) and "exa" not in text.replace("[EMAIL]", "")


@pytest.mark.parametrize("ctype", ["application/json", "text/plain"])
def test_mislabelled_sse_is_masked_as_sse_for_a_streaming_request(hostile, ctype):
    # The openai SDK parses a stream=True answer as SSE whatever its Content-Type, and rebuilds
    # values split across events and written with JSON escapes; the gateway masks it as SSE too.
    first = chunk_event("mail john.doe@example.com card ").replace(b"@", b"\\u0040")
    assert b"john.doe\\u0040example.com" in first
    stream = first + chunk_event("4111 1111 ") + chunk_event("1111 1111") + chunk_event("", "stop")
    hostile["up"].reply = http_reply(stream + b"data: [DONE]\n\n", ctype=ctype, chunked=True)
    c = openai.OpenAI(base_url=hostile["gw"].url + "/v1", api_key=hostile["token"], max_retries=0, timeout=20)
    text = ""
    for ch in c.chat.completions.create(model="support-llm", stream=True,
                                        messages=[{"role": "user", "content": "hi"}]):
        for choice in ch.choices:
            text += choice.delta.content or ""
    assert "[EMAIL]" in text and "[CREDIT_CARD]" in text and not leaks(text), text


def test_sse_labelled_ndjson_is_cut_not_passed_as_text(hostile):
    # NDJSON framing reads a "data:" line as plain text (no JSON escapes decoded), but the openai
    # SDK parses a stream=True answer as SSE whatever its label: such a line ends the stream.
    first = chunk_event("mail john.doe@example.com card ").replace(b"@", b"\\u0040")
    stream = (b'{"model": "m", "message": {"role": "assistant", "content": "ok"}, "done": false}\n' + first
              + chunk_event("4111 1111 ") + chunk_event("1111 1111") + b"data: [DONE]\n\n")
    hostile["up"].reply = http_reply(stream, ctype="application/x-ndjson", chunked=True)
    c = openai.OpenAI(base_url=hostile["gw"].url + "/v1", api_key=hostile["token"], max_retries=0, timeout=20)
    text, broke_off = "", False
    try:
        for ch in c.chat.completions.create(model="support-llm", stream=True,
                                            messages=[{"role": "user", "content": "hi"}]):
            for choice in ch.choices:
                text += choice.delta.content or ""
    except openai.APIError:
        broke_off = True
    assert not leaks(text) and "example" not in text, text
    assert broke_off
    with httpx.stream("POST", hostile["gw"].url + "/v1/chat/completions", json=dict(BODY, stream=True),
                      headers=hostile["headers"], timeout=20) as r:
        got = b""
        with pytest.raises(httpx.RemoteProtocolError):
            for part in r.iter_raw():
                got += part
    assert b"data:" not in got and b"u0040" not in got and b"example" not in got


def test_content_type_is_the_gateways_own(hostile):
    up = hostile["up"]
    up.reply = http_reply(completion("ok"), ctype="application/json; charset=utf-8; x=" + EMAIL)
    r = post(hostile)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    up.reply = http_reply(chunk_event("ok") + b"data: [DONE]\n\n", ctype="text/event-stream; who=" + EMAIL,
                          chunked=True)
    r = post(hostile, dict(BODY, stream=True))
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
    up.reply = http_reply(b"plain answer", ctype="text/x-" + EMAIL.replace("@", "-at-"))
    r = post(hostile)
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    for header in r.headers.values():
        assert "john.doe" not in header


def test_error_body_is_masked_whole_before_it_is_cut(hostile):
    up = hostile["up"]
    # A card that straddles the 512-byte cut, then an address after it.
    pad = "x" * (512 - len("failed for ") - 10) + " "
    up.reply = http_reply(("failed for " + pad + CARD + " and " + EMAIL).encode(), ctype="text/plain",
                          status="500 Internal Server Error")
    r = post(hostile)
    message = r.json()["error"]["message"]
    assert r.status_code == 502 and not leaks(message) and "4111" not in message, message[-40:]
    assert message.endswith(" ...") and "[CRED" not in message and len(message) < 600
    # The service credential straddling the cut.
    up.reply = http_reply(("E" * 500 + " " + KEY2).encode(), ctype="text/plain",
                          status="500 Internal Server Error")
    message = post(hostile).json()["error"]["message"]
    assert not leaks(message) and "vllm" not in message and "[REDACTED]" in message, message[-40:]
    # A replacement token is never cut in two.
    up.reply = http_reply(("y" * 505 + " " + EMAIL + " tail").encode(), ctype="text/plain",
                          status="503 Service Unavailable")
    message = post(hostile).json()["error"]["message"]
    assert not leaks(message) and "[EMA" not in message and message.endswith("...")


def test_query_string_is_masked(hostile):
    up = hostile["up"]
    up.reply = http_reply(completion("ok"))
    r = post(hostile, path="/v1/chat/completions?api-version=2024-06-01&user=" + EMAIL + "&card="
             + CARD.replace(" ", "+") + "&" + "john%2Btag%40example.com=1")
    assert r.status_code == 200
    line = up.requests[-1].split(b"\r\n")[0].decode()
    target = line.split(" ")[1]
    decoded = httpx.URL(target).params
    for value in (EMAIL, CARD, "john.doe", "4111", "john+tag", "john tag", "%40"):
        assert value not in target and all(value not in k + v for k, v in decoded.multi_items()), line
    assert target.startswith("/v1/chat/completions?api-version=2024-06-01&user=")
    assert decoded["user"] == "[EMAIL]" and decoded["card"] == "[CREDIT_CARD]"


def test_credential_echoed_in_a_200_answer_is_scrubbed(hostile):
    up = hostile["up"]
    up.reply = http_reply(completion("debug: authorization was Bearer " + KEY2))
    r = post(hostile)
    assert r.status_code == 200 and not leaks(r.text) and "[REDACTED]" in r.text
    # Streamed, with the credential split across the upstream's writes.
    body = chunk_event("key=" + KEY2 + " end") + b"data: [DONE]\n\n"
    cut = body.index(b"Zq81")
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    up.reply = [head + b"%x\r\n%s\r\n" % (cut, body[:cut]),
                b"%x\r\n%s\r\n0\r\n\r\n" % (len(body) - cut, body[cut:])]
    r = post(hostile, dict(BODY, stream=True))
    assert r.status_code == 200 and not leaks(r.text) and "[REDACTED]" in r.text, r.text
    assert KEY2 not in hostile["gw"].log()


@pytest.mark.parametrize("framing", [
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
])
def test_ambiguous_request_framing_is_400(hostile, framing):
    with socket.create_connection(("127.0.0.1", hostile["gw"].port), timeout=10) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + hostile["token"].encode() + b"\r\n" + framing)
        data = b""
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    assert data.startswith(b"HTTP/1.1 400"), data[:100]
    assert json.loads(data.partition(b"\r\n\r\n")[2])["error"]["code"] == "bad_request"
    assert b"connection: close" in data.lower()


# ---- gateways of their own: short timeouts, reload, shutdown -------------------------------------

@pytest.fixture()
def own(tmp_path):
    idp = DemoIdp()
    write_deployment(str(tmp_path), idp)
    return idp, tmp_path


def test_first_byte_and_idle_timeouts(own):
    idp, d = own
    with StandInUpstream(slow_seconds=3.0) as up, \
            Gateway(str(d / "jitguard.json"), up.url, key=KEY,
                    args=["--dataset", "support-tickets", "--first-byte-timeout", "0.5",
                          "--idle-timeout", "0.5"]) as gw:
        c = openai.OpenAI(api_key=idp.mint("alice", ["data-scientists"]), base_url=gw.url + "/v1", max_retries=0)
        with pytest.raises(openai.APIStatusError) as e:
            c.chat.completions.create(model="support-slow-first", messages=[{"role": "user", "content": "hi"}])
        assert e.value.status_code == 504 and e.value.code == "upstream_timeout"
        got = []
        with pytest.raises(openai.APIError) as e:
            for chunk in c.chat.completions.create(model="support-stall-stream", stream=True,
                                                   messages=[{"role": "user", "content": "hi"}]):
                got.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
        assert "upstream_timeout" in str(e.value)
        assert "dana.whit" not in "".join(got)


def test_connect_refused_is_502(own):
    idp, d = own
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Gateway(str(d / "jitguard.json"), f"http://127.0.0.1:{port}", key=KEY,
                 args=["--dataset", "support-tickets"]) as gw:
        c = openai.OpenAI(api_key=idp.mint("alice", ["data-scientists"]), base_url=gw.url + "/v1", max_retries=0)
        with pytest.raises(openai.APIStatusError) as e:
            c.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "hi"}])
        assert e.value.status_code == 502 and e.value.code == "upstream_unreachable"


def test_sighup_reloads_policy(own):
    idp, d = own
    with StandInUpstream() as up, Gateway(str(d / "jitguard.json"), up.url, key=KEY,
                                          args=["--dataset", "support-tickets"]) as gw:
        c = openai.OpenAI(api_key=idp.mint("alice", ["data-scientists"]), base_url=gw.url + "/v1", max_retries=0)
        msgs = [{"role": "user", "content": "hi"}]
        c.chat.completions.create(model="support-llm", messages=msgs)
        policy = json.loads((d / "policy.json").read_text())
        policy["rules"].insert(0, {"id": "freeze", "effect": "forbid", "groups": ["data-scientists"],
                                   "message": "frozen for maintenance"})
        (d / "policy.json").write_text(json.dumps(policy))
        gw.signal(signal.SIGHUP)
        assert wait_for(lambda: "policy reloaded" in gw.log())
        with pytest.raises(openai.PermissionDeniedError) as e:
            c.chat.completions.create(model="support-llm", messages=msgs)
        assert e.value.code == "forbidden"
        assert [m.id for m in c.models.list()] == []
        (d / "policy.json").write_text("{not json")
        gw.signal(signal.SIGHUP)
        assert wait_for(lambda: "reload failed" in gw.log())
        with pytest.raises(openai.PermissionDeniedError):  # the last good policy stays
            c.chat.completions.create(model="support-llm", messages=msgs)


def test_sigterm_finishes_open_streams(own):
    idp, d = own
    with StandInUpstream(slow_seconds=1.0) as up:
        gw = Gateway(str(d / "jitguard.json"), up.url, key=KEY, args=["--dataset", "support-tickets"])
        try:
            c = openai.OpenAI(api_key=idp.mint("alice", ["data-scientists"]), base_url=gw.url + "/v1",
                              max_retries=0)
            stream = c.chat.completions.create(model="support-stall-stream", stream=True,
                                               messages=[{"role": "user", "content": "hi"}])
            first = next(iter(stream))
            gw.signal(signal.SIGTERM)
            rest = list(stream)  # the open stream still ends normally
            assert first.choices and rest and rest[-1].choices[0].finish_reason == "stop"
            assert gw.proc.wait(timeout=10) == 0
            with pytest.raises(httpx.ConnectError):
                httpx.get(gw.url + "/healthz")
        finally:
            gw.close()


def test_python_cli_execs_the_binary(tmp_path):
    env = dict(os.environ, JITGUARD_GATEWAY_BIN=gateway_binary())
    r = subprocess.run([sys.executable, "-m", "jitguard.cli", "gateway", "--config"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage: jitguard-gateway" in r.stderr
    r = subprocess.run([sys.executable, "-m", "jitguard.cli", "gateway", "--config", str(tmp_path / "none.json"),
                        "--upstream", "ftp://x"], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "bad" in r.stderr.lower() or "http" in r.stderr


def test_demo_gateway_section():
    from jitguard.demo_gateway import run
    lines = []
    assert run(gateway_binary(), out=lines.append) == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert "403" in text and "202" in text and "dana.whitfield@example.com" not in text.split("the model server read")[0]


def test_tls_upstream_verified(own, tmp_path):
    idp, d = own
    cert, key = str(tmp_path / "up.pem"), str(tmp_path / "up.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=jitguard test upstream",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    with StandInUpstream(tls=(cert, key)) as up:
        assert up.url.startswith("https://")
        token = idp.mint("alice", ["data-scientists"])
        with Gateway(str(d / "jitguard.json"), up.url, key=KEY,
                     args=["--dataset", "support-tickets", "--upstream-ca-file", cert]) as gw:
            c = openai.OpenAI(api_key=token, base_url=gw.url + "/v1", max_retries=0)
            text = "".join(ch.choices[0].delta.content or "" for ch in c.chat.completions.create(
                model="support-llm", stream=True, messages=[{"role": "user", "content": "hi"}]) if ch.choices)
            assert "[EMAIL]" in text and "dana.whit" not in text
            assert up.requests[-1]["headers"]["Authorization"] == "Bearer " + KEY
        # Without the CA the certificate is not trusted: refused, never sent in the clear.
        n = len(up.requests)
        with Gateway(str(d / "jitguard.json"), up.url, key=KEY, args=["--dataset", "support-tickets"]) as gw:
            c = openai.OpenAI(api_key=token, base_url=gw.url + "/v1", max_retries=0)
            with pytest.raises(openai.APIStatusError) as e:
                c.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "hi"}])
            assert e.value.status_code == 502 and e.value.code == "upstream_tls_failed"
        assert len(up.requests) == n
