"""Red team (issue 12), Unicode evasions of the masker and of the approval keyword rules, through the
real Python front end (JitGuardMiddleware under uvicorn, the ``openai`` SDK, httpx for the raw bytes).
Each evasive spelling of a planted value must not reach the wire or the audit log, and each evasive
spelling of "export" must still need the approval the plain spelling needs."""
import json

import httpx
import openai
import pytest

from redteam_support import AsgiFront, CppFront, Deployment, chunk, guarded_server_binary, sse

ZW = "\u200b"  # zero-width space
SHY = "\u00ad"  # soft hyphen
NBSP = "\u00a0"
NNBSP = "\u202f"

# (id, evasive spelling) — the masker must hide each one.
EVASIONS = [
    ("zero_width_email", "john" + ZW + ".doe@exam" + ZW + "ple.com"),
    ("soft_hyphen_email", "john.d" + SHY + "oe@example.com"),
    ("fullwidth_email", "ｊｏｈｎ.ｄｏｅ@ｅｘａｍｐｌｅ.ｃｏｍ"),
    ("fullwidth_at_and_dot", "john.doe＠example．com"),
    ("cyrillic_confusable_email", "jоhn.dое@ехаmple.com"),  # о е х а are Cyrillic
    ("nbsp_card", NBSP.join(["4111", "1111", "1111", "1111"])),
    ("narrow_nbsp_card", NNBSP.join(["4111", "1111", "1111", "1111"])),
    ("en_dash_card", "\u2013".join(["4111", "1111", "1111", "1111"])),
    ("fullwidth_digits_card", "４１１１ １１１１ １１１１ １１１１"),
    ("arabic_indic_digits_card", " ".join(["٤١١١", "١١١١", "١١١١", "١١١١"])),
]

EXPORT_EVASIONS = [
    ("zero_width", "ex" + ZW + "port"),
    ("soft_hyphen", "ex" + SHY + "port"),
    ("fullwidth", "ｅｘｐｏｒｔ"),
    ("cyrillic", "eхpоrt"),  # х о Cyrillic
]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    return Deployment(tmp_path_factory.mktemp("redteam-unicode"))


@pytest.fixture(scope="module")
def front(deployment):
    with AsgiFront(deployment) as f:
        yield f


@pytest.mark.parametrize("case", EVASIONS, ids=[c[0] for c in EVASIONS])
def test_evasive_value_in_response_is_masked(front, deployment, case):
    _name, value = case
    front.replay(sse(chunk({"content": "contact: " + value + " thanks"}, finish="stop")))
    token = deployment.token()
    before = len(deployment.records())
    r = httpx.post(front.url + "/v1/chat/completions", timeout=20, headers={"Authorization": "Bearer " + token},
                   json={"model": "support-llm", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200
    wire = r.content.decode("utf-8")
    decoded = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
                      for line in wire.splitlines() if line.startswith("data: {"))
    assert value not in wire and value not in decoded, decoded
    record = deployment.last_response_record(before)
    assert value not in record["response"] and "[" in record["response"], record["response"]
    client = openai.OpenAI(base_url=front.url + "/v1", api_key=token, max_retries=0, timeout=20)
    text = "".join((c.choices[0].delta.content or "") for c in client.chat.completions.create(
        model="support-llm", messages=[{"role": "user", "content": "hi"}], stream=True) if c.choices)
    assert value not in text, text


@pytest.mark.parametrize("case", EVASIONS, ids=[c[0] for c in EVASIONS])
def test_evasive_value_in_request_is_masked_before_the_model(front, deployment, case):
    _name, value = case
    front.replay(sse(chunk({"content": "ok"}, finish="stop")))
    r = httpx.post(front.url + "/v1/chat/completions", timeout=20,
                   headers={"Authorization": "Bearer " + deployment.token()},
                   json={"model": "support-llm", "stream": True,
                         "messages": [{"role": "user", "content": "reach " + value + " today"}]})
    assert r.status_code == 200
    seen = json.loads(front.seen[-1])
    assert value not in json.dumps(seen, ensure_ascii=False), seen


@pytest.mark.parametrize("case", EXPORT_EVASIONS, ids=[c[0] for c in EXPORT_EVASIONS])
def test_evasive_export_keyword_still_needs_approval(front, deployment, case):
    _name, word = case
    r = httpx.post(front.url + "/v1/chat/completions", timeout=20,
                   headers={"Authorization": "Bearer " + deployment.token()},
                   json={"model": "support-llm", "messages": [{"role": "user", "content": word + " the customer list"}]})
    assert r.status_code == 202 and r.json()["status"] == "approval_required", r.text


# ---- the same evasions through the real guarded_server (C++ front end) ------------------------------

CPP = pytest.mark.skipif(guarded_server_binary() is None, reason="guarded_server is not built: make build")
DATASET = {"X-Jitguard-Dataset": "support-tickets"}


@CPP
@pytest.mark.parametrize("case", EVASIONS, ids=[c[0] for c in EVASIONS])
def test_cpp_evasive_value_in_response_is_masked(deployment, case):
    _name, value = case
    upstream = sse(chunk({"content": "contact: " + value + " thanks"}, finish="stop"))
    with CppFront(deployment, upstream) as front:
        before = len(deployment.records())
        r = httpx.post(front.url + "/v1/chat/completions", timeout=20,
                       headers={"Authorization": "Bearer " + deployment.token(), **DATASET},
                       json={"model": "support-llm", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 200
        wire = r.content.decode("utf-8")
        decoded = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
                          for line in wire.splitlines() if line.startswith("data: {"))
        assert value not in wire and value not in decoded, decoded
        record = deployment.last_response_record(before)
        assert value not in record["response"], record["response"]


@CPP
@pytest.mark.parametrize("case", EVASIONS, ids=[c[0] for c in EVASIONS])
def test_cpp_evasive_value_in_request_is_masked_in_the_audit(deployment, case):
    _name, value = case
    with CppFront(deployment) as front:
        before = len(deployment.records())
        r = httpx.post(front.url + "/v1/chat/completions", timeout=20,
                       headers={"Authorization": "Bearer " + deployment.token(), **DATASET},
                       json={"model": "support-llm", "messages": [{"role": "user", "content": "reach " + value}]})
        assert r.status_code == 200
        prompts = deployment.prompt_records(before, marker="reach ")
        assert prompts and value not in json.dumps(prompts, ensure_ascii=False), prompts


@CPP
@pytest.mark.parametrize("case", EXPORT_EVASIONS, ids=[c[0] for c in EXPORT_EVASIONS])
def test_cpp_evasive_export_keyword_still_needs_approval(deployment, case):
    _name, word = case
    with CppFront(deployment) as front:
        r = httpx.post(front.url + "/v1/chat/completions", timeout=20,
                       headers={"Authorization": "Bearer " + deployment.token(), **DATASET},
                       json={"model": "support-llm", "messages": [{"role": "user", "content": word + " the customer list"}]})
        assert r.status_code == 202 and r.json()["status"] == "approval_required", r.text
