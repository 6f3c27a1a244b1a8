"""examples/fastapi_app in a real uvicorn server: streaming masked, approvals through the approver
endpoint, the grant spent by the endpoint, metrics served."""
import importlib.util
import json
import pathlib

import httpx
import pytest

import jitguard
from jitguard.demo import DemoIdp, write_deployment
from test_asgi import Server

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_app_module():
    spec = importlib.util.spec_from_file_location("fastapi_example", ROOT / "examples/fastapi_app/app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    idp = DemoIdp()
    workdir = tmp_path_factory.mktemp("fastapi")
    write_deployment(str(workdir), idp)
    guard = jitguard.Guard.from_file(str(workdir / "jitguard.json"))
    app = load_app_module().create_app(guard)
    with Server(app) as url:
        yield {"url": url, "idp": idp, "guard": guard}
    guard.close()


def chat(prompt, stream):
    return {"model": "support-llm", "stream": stream, "messages": [{"role": "user", "content": prompt}]}


def test_stream_is_masked_and_grant_spent(env):
    alice = {"Authorization": "Bearer " + env["idp"].mint("alice", ["data-scientists"])}
    with httpx.Client(timeout=10) as client:
        r = client.post(env["url"] + "/v1/chat/completions", json=chat("Summarize ticket 4411", True), headers=alice)
    assert r.status_code == 200
    assert "dana.whit" not in r.text and "[EMAIL]" in r.text and "[PHONE]" in r.text
    text = "".join(json.loads(line[6:])["choices"][0]["delta"]["content"]
                   for line in r.text.splitlines() if line.startswith("data: {"))
    assert text.startswith("Ticket 4411 was opened by Dana Whitfield ([EMAIL], phone [PHONE])")


def test_approval_through_the_approver_endpoint(env):
    idp = env["idp"]
    alice = {"Authorization": "Bearer " + idp.mint("alice", ["data-scientists"]), "X-Jitguard-Dataset": "claims"}
    url = env["url"]
    r = httpx.post(url + "/v1/chat/completions", json=chat("Export the customer list", False), headers=alice)
    assert r.status_code == 202
    ticket = r.json()["ticket"]["id"]
    r = httpx.post(f"{url}/v1/approvals/{ticket}", json={"approve": True},
                   headers={"Authorization": alice["Authorization"]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "self_approval"
    r = httpx.post(f"{url}/v1/approvals/{ticket}", json={"approve": True},
                   headers={"Authorization": "Bearer " + idp.mint("carol", ["security-leads"])})
    assert r.status_code == 200 and r.json()["ticket"]["status"] == "approved"
    r = httpx.post(url + "/v1/chat/completions", json=chat("Export the customer list", False),
                   headers={**alice, "X-Jitguard-Approval": ticket})
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "Exported 3 rows: [EMAIL], [EMAIL], [EMAIL]."
    metrics = httpx.get(url + "/metrics").text
    assert 'jitguard_decisions_total{effect="approval_required"} 2' in metrics
