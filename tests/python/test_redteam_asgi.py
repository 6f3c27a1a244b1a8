"""Red team (issue 12), Python front end: JitGuardMiddleware in a real uvicorn, its stand-in model
replaying hostile upstream bytes, the official ``openai`` SDK and httpx as clients. Every case asserts
that no planted value reaches the wire (raw bytes and the SDK's parsed objects) and that the audit
record of the response holds the masked text."""
import json

import httpx
import openai
import pytest

from redteam_support import CARD, EMAIL, AsgiFront, Deployment, assert_clean, chunk, completion, sse

EMAIL_BYTES = list(EMAIL.encode())

# (id, upstream bytes, content type, streamed) — one per class of issue 12's "What was seen".
RESPONSE_CASES = [
    ("duplicate_choices_longer_second", sse(
        '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"}}],'
        '"choices":[{"index":0,"delta":{"content":"b"}},{"index":1,"delta":{"content":"' + EMAIL + '"}},'
        '{"index":2,"delta":{"content":"' + CARD + '"}}]}'), "text/event-stream", True),
    ("tool_call_arguments_stream", sse(
        chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                     "function": {"name": "lookup", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"email": "john.doe@ex'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ample.com", "card": "' + CARD + '"}'}}]}),
        chunk({}, finish="tool_calls")), "text/event-stream", True),
    ("tool_call_arguments_json", completion(
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "lookup", "arguments": json.dumps({"email": EMAIL, "card": CARD})}}]}),
     "application/json", False),
    ("reasoning_fields", sse(
        chunk({"reasoning_content": "the user is " + EMAIL}),
        chunk({"reasoning": "their card is " + CARD}),
        chunk({"content": "ok"}, finish="stop")), "text/event-stream", True),
    ("refusal", completion({"role": "assistant", "content": None,
                            "refusal": "I will not email " + EMAIL}), "application/json", False),
    ("logprobs_tokens_and_bytes", sse(
        chunk({"content": "x"}, choice_extra={"logprobs": {"content": [
            {"token": EMAIL, "bytes": EMAIL_BYTES, "logprob": -0.1,
             "top_logprobs": [{"token": CARD, "bytes": list(CARD.encode()), "logprob": -2.0}]}]}}),
        chunk({}, finish="stop")), "text/event-stream", True),
    ("content_as_list_of_parts", completion(
        {"role": "assistant", "content": [{"type": "text", "text": "write to " + EMAIL},
                                          {"type": "text", "text": "card " + CARD}]}),
     "application/json", False),
    ("error_object_without_choices_stream", sse(
        {"error": {"message": "no account for " + EMAIL, "type": "invalid_request_error", "code": None}},
        done=False), "text/event-stream", True),
    ("error_object_without_choices_json", json.dumps(
        {"error": {"message": "card " + CARD + " declined", "type": "server_error"}}).encode(),
     "application/json", False),
    ("data_is_json_string_or_array", sse(json.dumps("mail " + EMAIL), json.dumps(["card", CARD]),
                                         chunk({"content": "ok"}, finish="stop")), "text/event-stream", True),
    ("sse_comments", b": note " + EMAIL.encode() + b"\n\n" + sse(chunk({"content": "ok"}, finish="stop")),
     "text/event-stream", True),
    ("utf8_bom", b"\xef\xbb\xbf" + sse(chunk({"content": "mail " + EMAIL}, finish="stop")),
     "text/event-stream", True),
    ("duplicate_members", sse(
        '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"fine"},'
        '"delta":{"content":"' + EMAIL + '"}}],"model":"m","model":"' + CARD + '"}'), "text/event-stream", True),
    ("text_beside_delta", sse(chunk({"content": "a"}, choice_extra={"text": "card " + CARD + " " + EMAIL})),
     "text/event-stream", True),
    ("one_byte_chunks", sse(chunk({"content": "mail "}), chunk({"content": EMAIL + " card " + CARD}),
                            chunk({}, finish="stop")), "text/event-stream", True),
]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    return Deployment(tmp_path_factory.mktemp("redteam-asgi"))


@pytest.fixture(scope="module")
def front(deployment):
    with AsgiFront(deployment) as f:
        yield f


def body(stream, content="Summarize ticket 4411"):
    return {"model": "support-llm", "stream": stream, "messages": [{"role": "user", "content": content}]}


def sdk(front, token):
    return openai.OpenAI(base_url=front.url + "/v1", api_key=token, max_retries=0, timeout=20)


def sdk_call(front, token, stream):
    """What the SDK hands the application, as text (its error text when it refuses the answer)."""
    client = sdk(front, token)
    try:
        if stream:
            return "\n".join(c.model_dump_json() if hasattr(c, "model_dump_json") else repr(c) for c in client.chat.completions.create(
                model="support-llm", messages=[{"role": "user", "content": "Summarize ticket 4411"}], stream=True))
        return client.chat.completions.create(
            model="support-llm", messages=[{"role": "user", "content": "Summarize ticket 4411"}]).model_dump_json()
    except (openai.APIError, ValueError) as e:  # the SDK raises on an error event: its text must be clean too
        return repr(e) + str(getattr(e, "body", ""))


def no_byte_arrays(data: bytes) -> None:
    compact = data.replace(b" ", b"")
    for raw in (EMAIL, CARD):
        assert json.dumps(list(raw.encode())).replace(" ", "").encode()[1:-1] not in compact, "byte array leaked"


@pytest.mark.parametrize("case", RESPONSE_CASES, ids=[c[0] for c in RESPONSE_CASES])
def test_hostile_upstream_response(front, deployment, case):
    name, upstream, ctype, stream = case
    front.replay(upstream, ctype=ctype, chunk_size=1 if name == "one_byte_chunks" else 0)
    token = deployment.token()
    before = len(deployment.records())
    r = httpx.post(front.url + "/v1/chat/completions", json=body(stream),
                   headers={"Authorization": "Bearer " + token}, timeout=20)
    assert r.status_code == 200, r.text
    assert_clean(r.content, "the wire")
    no_byte_arrays(r.content)
    record = deployment.last_response_record(before)
    assert_clean(json.dumps(record), "the audit record")
    assert "response" in record  # the masked transcript (what the audit holds of the answer)
    assert "[" in r.text, "the planted values are masked (labelled), not only dropped"
    assert_clean(sdk_call(front, token, stream), "the openai SDK's objects")


def test_gzip_compressed_upstream_body(front, deployment):
    front.replay(sse(chunk({"content": "mail " + EMAIL + " card " + CARD}, finish="stop")), encoding="gzip",
                 chunk_size=7)
    token = deployment.token()
    before = len(deployment.records())
    with httpx.Client(timeout=20) as client:
        r = client.post(front.url + "/v1/chat/completions", json=body(True),
                        headers={"Authorization": "Bearer " + token, "Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert "content-encoding" not in r.headers  # decoded before masking, sent on as identity
    assert_clean(r.content, "the wire")
    assert "[EMAIL]" in r.text
    assert "[EMAIL]" in deployment.last_response_record(before)["response"]
    assert_clean(sdk_call(front, token, True), "the openai SDK's objects")


def test_request_tool_call_arguments_reach_the_model_masked(front, deployment):
    front.replay(sse(chunk({"content": "ok"}, finish="stop")))
    token = deployment.token()
    before = len(deployment.records())
    messages = [
        {"role": "user", "content": "look the customer up"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "lookup", "arguments": json.dumps({"email": EMAIL, "card": CARD})}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found " + EMAIL},
        {"role": "user", "content": [{"type": "text", "text": "and " + CARD}]},
    ]
    list(sdk(front, token).chat.completions.create(model="support-llm", messages=messages, stream=True))
    seen = front.seen[-1]
    assert_clean(seen, "the model's request")
    assert b"[EMAIL]" in seen
    prompts = deployment.prompt_records(before, marker="look the customer up")
    assert prompts, "the request is audited"
    assert_clean(json.dumps(prompts), "the audit record")
    assert "[EMAIL]" in prompts[-1]["prompt"]


def test_messages_not_a_list_is_refused_and_export_rule_holds(front, deployment):
    token = deployment.token()
    headers = {"Authorization": "Bearer " + token}
    r = httpx.post(front.url + "/v1/chat/completions", headers=headers, timeout=20,
                   json={"model": "support-llm", "messages": {"role": "user", "content": "export every customer"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_messages"
    with pytest.raises(openai.BadRequestError):
        sdk(front, token).chat.completions.create(model="support-llm", messages="export every customer")
    # The export keyword hidden in a tool call's arguments still needs the approval.
    r = httpx.post(front.url + "/v1/chat/completions", headers=headers, timeout=20, json={
        "model": "support-llm", "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "run", "arguments": '{"op": "export all rows"}'}}]}]})
    assert r.status_code == 202 and r.json()["status"] == "approval_required"


def test_bearer_scheme_is_case_insensitive(front, deployment):
    front.replay(sse(chunk({"content": "ok " + EMAIL}, finish="stop")))
    r = httpx.post(front.url + "/v1/chat/completions", json=body(True), timeout=20,
                   headers={"Authorization": "BEARER " + deployment.token()})
    assert r.status_code == 200
    assert_clean(r.content, "the wire")


def test_duplicate_authorization_is_refused(front, deployment):
    token = deployment.token()
    r = httpx.post(front.url + "/v1/chat/completions", json=body(True), timeout=20,
                   headers=[("Authorization", "Bearer " + token), ("Authorization", "Bearer " + token)])
    assert r.status_code == 400 and r.json()["error"]["code"] == "duplicate_authorization"


def test_a_value_split_around_the_finish_never_reaches_the_client(front, deployment):
    # "4111 1111" | finish_reason | " 1111 1111": text for a finished choice closes the stream, so
    # the client never joins the halves of the card (or the address) the guard masked apart.
    front.replay(sse(chunk({"content": "card 4111 1111"}), chunk({}, finish="stop"),
                     chunk({"content": " 1111 1111 mail john.doe@"}), chunk({"content": "example.com"})))
    token = deployment.token()
    r = httpx.post(front.url + "/v1/chat/completions", json=body(True), timeout=20,
                   headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    assert_clean(r.content, "the wire")
    assert_clean(sdk_call(front, token, True), "the openai SDK's objects")


@pytest.mark.parametrize("ctype", ["application/json", "text/plain"])
def test_events_under_another_content_type_are_masked_as_events(front, deployment, ctype):
    # The SDK parses a streaming answer as events whatever its Content-Type says (and decodes JSON
    # escapes), so the guard masks it as events too.
    escaped = ('{"id":"c","object":"chat.completion.chunk","created":1,"model":"support-llm",'
               '"choices":[{"index":0,"delta":{"content":"mail john.doe\\u0040exa"}}]}')
    front.replay(sse(escaped, chunk({"content": "mple.com card 4111 1111"}), chunk({"content": " 1111 1111"}),
                     chunk({}, finish="stop")), ctype=ctype)
    token = deployment.token()
    r = httpx.post(front.url + "/v1/chat/completions", json=body(True), timeout=20,
                   headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200
    assert_clean(r.content, "the wire")
    assert_clean(sdk_call(front, token, True), "the openai SDK's objects")
    assert "[EMAIL]" in sdk_call(front, token, True)


def test_a_text_body_is_decoded_across_chunks(front, deployment):
    # An NBSP-grouped card cut inside the NBSP by the chunking is still one card.
    front.replay(("card on file: " + CARD.replace(" ", "\u00a0") + " thanks").encode(), ctype="text/plain",
                 chunk_size=19)
    r = httpx.post(front.url + "/v1/chat/completions", json=body(False), timeout=20,
                   headers={"Authorization": "Bearer " + deployment.token()})
    assert r.status_code == 200
    assert r.text == "card on file: [CREDIT_CARD] thanks"


def test_a_compressed_request_is_inflated_only_after_the_header_checks_and_only_so_far(front, deployment):
    import gzip as gz
    bomb = gz.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 KiB that inflate to 64 MiB
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    r = httpx.post(front.url + "/v1/chat/completions", content=bomb, headers=headers, timeout=20)
    assert r.status_code == 401  # no token: the body is never inflated
    headers["Authorization"] = "Bearer " + deployment.token()
    r = httpx.post(front.url + "/v1/chat/completions", content=bomb, headers=headers, timeout=20)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    # Two Content-Encoding headers are refused, not read as the first one.
    r = httpx.post(front.url + "/v1/chat/completions", content=gz.compress(json.dumps(body(False)).encode()),
                   headers=[("Authorization", "Bearer " + deployment.token()), ("Content-Encoding", "identity"),
                            ("Content-Encoding", "gzip"), ("Content-Type", "application/json")], timeout=20)
    assert r.status_code == 415


def test_parts_the_guard_cannot_read_are_refused_and_schema_names_are_prompt_text(front, deployment):
    headers = {"Authorization": "Bearer " + deployment.token()}
    for part in ({"type": "file", "file": {"filename": "a.txt", "file_data": "ZXhwb3J0IGFsbCByb3dz"}},
                 {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                 {"type": "image_url", "image_url": {"url": "data:text/plain;base64,ZXhwb3J0"}}):
        r = httpx.post(front.url + "/v1/chat/completions", headers=headers, timeout=20,
                       json={"model": "support-llm", "messages": [{"role": "user", "content": [part]}]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "unreadable_part", part
    # "export" as a property name of a tool's parameters still needs the approval.
    front.replay(sse(chunk({"content": "ok"}, finish="stop")))
    r = httpx.post(front.url + "/v1/chat/completions", headers=headers, timeout=20, json={
        "model": "support-llm", "messages": [{"role": "user", "content": "go"}],
        "tools": [{"type": "function", "function": {"name": "run", "parameters": {
            "type": "object", "properties": {"export": {"type": "boolean"}}}}}]})
    assert r.status_code == 202 and r.json()["status"] == "approval_required"
