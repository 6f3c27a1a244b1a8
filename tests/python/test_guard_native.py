"""The C++ Guard (jitguard.guard.NativeGuard, the engine of C++ servers) against the Python Guard on
the same configuration: the same decisions, reasons, rules, profiles, grant lifetimes and masked
responses for a table of requests; and its own approval, grant and audit paths."""
import json

import pytest

import jitguard
from jitguard.demo import DemoIdp, write_deployment
from jitguard.guard import NativeGuard

EMAIL = "dana.whitfield@example.com"


@pytest.fixture
def pair(tmp_path):
    idp = DemoIdp()
    write_deployment(str(tmp_path), idp)
    config = json.loads((tmp_path / "jitguard.json").read_text())
    native_config = json.loads(json.dumps(config))
    native_config["audit"]["file"] = "native-audit.jsonl"
    py = jitguard.Guard(config, base_dir=str(tmp_path))
    native = NativeGuard(native_config, base_dir=str(tmp_path))
    yield idp, py, native, tmp_path
    py.close()
    native.close()


REQUESTS = [
    # (subject, groups, model, dataset, operation, prompt)
    ("alice", ["data-scientists"], "support-llm", "support-tickets", "summarize", "summarize ticket 1"),
    ("alice", ["data-scientists"], "support-llm", "claims", "infer", "hello"),
    ("alice", ["data-scientists"], "other-llm", "claims", "infer", "hello"),
    ("alice", ["data-scientists"], "support-llm", "payroll", "infer", "hello"),
    ("alice", ["data-scientists"], "support-llm", "claims", "infer", "please download the table"),
    ("bob", ["contractors"], "support-llm", "support-tickets", "infer", "hi"),
    ("bob", ["contractors"], "support-llm", "support-tickets", "fine_tune", "train"),
    ("bob", ["contractors"], "support-llm", "support-tickets", "export", "x"),
    ("bob", ["contractors"], "support-llm", "claims", "infer", "hi"),
    ("svc-nightly-batch", ["batch"], "embed-small", "claims", "embed", "embed 1"),
    ("svc-nightly-batch", ["batch"], "embed-small", "claims", "infer", "embed 1"),
    ("mallory", [], "support-llm", "claims", "infer", "hi"),
]


def outcome(guard, token, model, dataset, operation, prompt):
    try:
        adm = guard.admit(token, model=model, dataset=dataset, operation=operation, prompt=prompt)
    except jitguard.ApprovalRequired as e:
        return ("approval_required", e.decision.approvers)
    except jitguard.AccessDenied as e:
        return ("deny", e.reason, e.rules, e.message)
    masked = "".join(guard.mask_stream(adm, ["mail dana.whit", "field@example.com or call ", "+1 415 555 0134"]))
    return ("permit", adm.decision.rules, adm.mask_profile, adm.decision.grant_ttl, masked)


@pytest.mark.parametrize("request_", REQUESTS, ids=[f"{r[0]}-{r[3]}-{r[4]}" for r in REQUESTS])
def test_same_outcome_as_the_python_guard(pair, request_):
    idp, py, native, _ = pair
    subject, groups, *rest = request_
    token = idp.mint(subject, groups)
    assert outcome(native, token, *rest) == outcome(py, token, *rest)


def test_token_rejections_match(pair):
    idp, py, native, _ = pair
    for token in [idp.mint("a", [], audience="billing"), idp.mint("a", [], ttl=5, now=1_000_000), "x.y.z"]:
        with pytest.raises(jitguard.TokenError) as a:
            py.admit(token, model="m")
        with pytest.raises(jitguard.TokenError) as b:
            native.admit(token, model="m")
        assert a.value.reason == b.value.reason


def test_native_approval_grant_and_audit(pair):
    idp, _, native, workdir = pair
    alice = idp.mint("alice", ["data-scientists"])
    request = dict(model="support-llm", dataset="claims", operation="infer", prompt=f"export {EMAIL}")
    with pytest.raises(jitguard.ApprovalRequired) as e:
        native.admit(alice, **request)
    ticket = e.value.ticket.id
    with pytest.raises(jitguard.ApprovalError) as err:
        native.decide(alice, ticket)
    assert err.value.reason == "self_approval"
    assert native.decide(idp.mint("carol", ["security-leads"]), ticket) == "approved"
    adm = native.admit(alice, approval=ticket, **request)
    assert adm.approval_ticket == ticket and adm.decision.grant_ttl == 60
    native.verify_grant(adm.grant, "claims", "infer")
    with pytest.raises(jitguard.GrantError) as err:
        native.verify_grant(adm.grant, "claims", "infer")
    assert err.value.reason == "replayed"
    events = [b'data: {"choices":[{"index":0,"delta":{"content":"to dana.whit"}}]}\n\n',
              b'data: {"choices":[{"index":0,"delta":{"content":"field@example.com"}}]}\n\n', b"data: [DONE]\n\n"]
    out = b"".join(native.mask_sse(adm, events))
    assert b"dana.whit" not in out and b"[EMAIL]" in out
    assert 'jitguard_findings_total{entity="EMAIL"} 1' in native.metrics_text()
    native.close()
    key = (workdir / "audit.key").read_text().strip().encode()
    result = jitguard.verify_audit_log(str(workdir / "native-audit.jsonl"), hmac_key=key)
    assert result.ok and result.records >= 8
    assert EMAIL not in (workdir / "native-audit.jsonl").read_text()


def test_native_config_errors_name_the_key(tmp_path):
    idp = DemoIdp()
    write_deployment(str(tmp_path), idp)
    config = json.loads((tmp_path / "jitguard.json").read_text())
    config["tokens"]["leeway"] = -1
    with pytest.raises(jitguard.ConfigError) as e:
        NativeGuard(config, base_dir=str(tmp_path))
    assert str(e.value.message).startswith("tokens.leeway:")
    assert NativeGuard.from_file(str(tmp_path / "jitguard.json")).metrics_text().startswith("# HELP")
