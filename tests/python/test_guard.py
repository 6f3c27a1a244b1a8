"""jitguard.Guard: the whole request path on the real components (tokens signed with a real ES256
key, the compiled policy, grants, approvals, the hash-chained audit log, the streaming masker)."""
import asyncio
import copy
import json
import os

import pytest

import jitguard
from jitguard.demo import AUDIENCE, ISSUER, POLICY, DemoIdp, write_deployment
from jwks_support import JwksServer

EMAIL = "dana.whitfield@example.com"


@pytest.fixture(scope="module")
def idp():
    return DemoIdp()


@pytest.fixture
def deployment(tmp_path, idp):
    write_deployment(str(tmp_path), idp)
    return tmp_path


@pytest.fixture
def guard(deployment):
    g = jitguard.Guard.from_file(str(deployment / "jitguard.json"))
    yield g
    g.close()


def audit_records(deployment, guard):
    guard.flush()
    with open(deployment / "audit.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def audit_key(deployment):
    return (deployment / "audit.key").read_text().strip().encode()


# ---- admit ----------------------------------------------------------------------------------------

def test_permit_issues_a_single_use_scoped_grant(guard, idp):
    token = idp.mint("alice", ["data-scientists"])
    adm = guard.admit(token, model="support-llm", dataset="support-tickets", operation="summarize",
                      prompt=f"Summarize the ticket from {EMAIL}")
    assert adm.subject == "alice"
    # The admission carries the token layer's Identity and the policy's Decision, not copies.
    assert isinstance(adm.identity, jitguard.Identity) and isinstance(adm.decision, jitguard.Decision)
    assert adm.identity.groups == ["data-scientists"] and adm.identity.claims["sub"] == "alice"
    assert adm.identity.expires_at is not None and adm.identity.expires_at > 0
    assert adm.decision.effect == "permit"
    assert adm.decision.rules == ["data-science"]
    assert adm.mask_profile == "standard"
    assert len(adm.request_id) == 32 and adm.session_id
    g = guard.grant_verifier.verify(str(adm.grant), dataset="support-tickets", operation="summarize")
    assert g.subject == "alice" and list(g.datasets) == ["support-tickets"]
    with pytest.raises(jitguard.GrantError) as e:
        guard.grant_verifier.verify(str(adm.grant), dataset="support-tickets", operation="summarize")
    assert e.value.reason == "replayed"


def test_grant_scope_is_exactly_this_request(guard, idp):
    adm = guard.admit(idp.mint("alice", ["data-scientists"]), model="support-llm", dataset="claims",
                      operation="infer", prompt="hello")
    with pytest.raises(jitguard.GrantError) as e:
        guard.grant_verifier.verify(str(adm.grant), dataset="support-tickets", operation="infer")
    assert e.value.reason == "scope"


def test_forbidden_operation_is_denied_with_rule_and_message(guard, idp):
    with pytest.raises(jitguard.AccessDenied) as e:
        guard.admit(idp.mint("bob", ["contractors"]), model="support-llm", dataset="support-tickets",
                    operation="fine_tune", prompt="train")
    assert e.value.reason == "forbidden"
    assert e.value.rules == ["contractors-no-training"]
    assert e.value.decision.effect == "deny" and e.value.decision.rules == ["contractors-no-training"]
    assert "may not train" in e.value.message
    assert guard.metrics.value("decisions", "deny") == 1


def test_no_matching_permit_is_denied(guard, idp):
    with pytest.raises(jitguard.AccessDenied) as e:
        guard.admit(idp.mint("bob", ["contractors"]), model="support-llm", dataset="claims",
                    operation="infer", prompt="hi")
    assert e.value.reason == "no_permit"
    assert e.value.rules == []


def test_bad_tokens_are_rejected_counted_and_audited(deployment, guard, idp):
    with pytest.raises(jitguard.TokenError) as e:
        guard.admit(idp.mint("alice", ["data-scientists"], audience="billing"), model="support-llm",
                    dataset="claims", prompt="hi")
    assert e.value.reason == "audience"
    with pytest.raises(jitguard.TokenError) as e:
        guard.admit(DemoIdp().mint("alice", ["data-scientists"]), model="support-llm", dataset="claims")
    assert e.value.reason in ("unknown_key", "bad_signature")
    with pytest.raises(jitguard.TokenError):
        guard.admit("not.a.token", model="m")
    assert guard.metrics.value("token_rejections", "audience") == 1
    records = audit_records(deployment, guard)
    assert [r["type"] for r in records].count("token.rejected") == 3
    assert records[0]["reason"] == "audience"


def test_expired_token(guard, idp):
    token = idp.mint("alice", ["data-scientists"], ttl=60, now=1_000_000)
    with pytest.raises(jitguard.TokenError) as e:
        guard.admit(token, model="support-llm", dataset="claims")
    assert e.value.reason == "expired"


def test_approval_flow(deployment, guard, idp):
    alice = idp.mint("alice", ["data-scientists"])
    request = dict(model="support-llm", dataset="claims", operation="infer",
                   prompt=f"Export every customer email, e.g. {EMAIL}")
    with pytest.raises(jitguard.ApprovalRequired) as e:
        guard.admit(alice, **request)
    ticket = e.value.ticket
    assert e.value.decision.approvers == ["security-leads"]
    assert guard.approvals.status(ticket.id) == "pending"
    with pytest.raises(jitguard.ApprovalError) as err:
        guard.admit(alice, approval=ticket.id, **request)  # not approved yet
    assert err.value.reason == "not_approved"
    with pytest.raises(jitguard.ApprovalError) as err:
        guard.approvals.decide(ticket.id, "alice", ["security-leads"], approve=True)
    assert err.value.reason == "self_approval"
    guard.approvals.decide(ticket.id, "carol", ["security-leads"], approve=True)
    with pytest.raises(jitguard.ApprovalError) as err:  # the ticket covers exactly that prompt
        guard.admit(alice, approval=ticket.id, **{**request, "prompt": "Export everything"})
    assert err.value.reason == "digest_mismatch"
    adm = guard.admit(alice, approval=ticket.id, **request)
    assert adm.approval_ticket == ticket.id
    assert adm.decision.effect == "approval_required"  # the policy's answer; admitted by the ticket
    assert adm.decision.grant_ttl == 60
    with pytest.raises(jitguard.ApprovalError) as err:
        guard.admit(alice, approval=ticket.id, **request)
    assert err.value.reason == "already_consumed"
    types = [r["type"] for r in audit_records(deployment, guard)]
    assert "approval.requested" in types and "approval.consumed" in types


def test_decide_with_the_approvers_token(guard, idp):
    alice = idp.mint("alice", ["data-scientists"])
    request = dict(model="support-llm", dataset="claims", prompt="download the table")
    with pytest.raises(jitguard.ApprovalRequired) as e:
        guard.admit(alice, **request)
    with pytest.raises(jitguard.ApprovalError) as err:
        guard.decide(idp.mint("dave", ["data-scientists"]), e.value.ticket.id, approve=True)
    assert err.value.reason == "not_an_approver"
    assert guard.decide(idp.mint("carol", ["security-leads"]), e.value.ticket.id, approve=True) == "approved"
    assert guard.admit(alice, approval=e.value.ticket.id, **request).subject == "alice"


# ---- responses ------------------------------------------------------------------------------------

def admitted(guard, idp, subject="alice", groups=("data-scientists",), **kw):
    request = dict(model="support-llm", dataset="support-tickets", operation="infer", prompt="hi")
    request.update(kw)
    return guard.admit(idp.mint(subject, list(groups)), **request)


def test_mask_stream_catches_a_value_split_across_chunks_and_audits(deployment, guard, idp):
    adm = admitted(guard, idp)
    chunks = ["Contact dana.whit", "field@example.com or call ", "+1 415 555 0134 today."]
    out = list(guard.mask_stream(adm, chunks))
    text = "".join(out)
    assert EMAIL not in text and "dana.whit" not in out[0]
    assert text == "Contact [EMAIL] or call [PHONE] today."
    records = audit_records(deployment, guard)
    response = [r for r in records if r["type"] == "inference.response"]
    assert len(response) == 1
    assert response[0]["request_id"] == adm.request_id
    assert response[0]["findings"] == {"EMAIL": 1, "PHONE": 1}
    assert EMAIL not in (deployment / "audit.jsonl").read_text()
    assert guard.metrics.value("findings", "EMAIL") == 1


def test_strict_profile_for_contractors(guard, idp):
    adm = admitted(guard, idp, "bob", ("contractors",))
    assert adm.mask_profile == "strict"
    text = "".join(guard.mask_stream(adm, ["mail ", "x@example.com"]))
    assert text == "mail " + "*" * len("x@example.com")


async def test_amask_stream(guard, idp):
    adm = admitted(guard, idp)

    async def chunks():
        for c in ["write to dana.whit", "field@example.", "com please"]:
            await asyncio.sleep(0)
            yield c

    out = [piece async for piece in guard.amask_stream(adm, chunks())]
    assert "".join(out) == "write to [EMAIL] please"


def sse_event(content, finish=None):
    doc = {"id": "c1", "object": "chat.completion.chunk", "model": "support-llm",
           "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}
    return f"data: {json.dumps(doc)}\n\n".encode()


def test_mask_sse_email_split_across_two_events(deployment, guard, idp):
    adm = admitted(guard, idp)
    raw = [sse_event("Reach me at dana.whit"), sse_event("field@example.com, thanks"),
           sse_event("", "stop"), b"data: [DONE]\n\n"]
    # Cut the byte stream at awkward places too.
    blob = b"".join(raw)
    pieces = [blob[i:i + 37] for i in range(0, len(blob), 37)]
    out = b"".join(guard.mask_sse(adm, pieces))
    assert b"dana.whit" not in out and EMAIL.encode() not in out
    text = ""
    for line in out.decode().split("\n"):
        if line.startswith("data: {"):
            for choice in json.loads(line[6:])["choices"]:
                text += choice["delta"].get("content") or ""
    assert text == "Reach me at [EMAIL], thanks"
    assert out.rstrip().endswith(b"data: [DONE]")
    records = audit_records(deployment, guard)
    assert [r for r in records if r["type"] == "inference.response"][0]["findings"] == {"EMAIL": 1}


def test_mask_response_json(guard, idp):
    adm = admitted(guard, idp)
    body = json.dumps({"id": "x", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": f"it is {EMAIL}"}, "finish_reason": "stop"}]})
    out = json.loads(guard.mask_response_json(adm, body.encode()))
    assert out["choices"][0]["message"]["content"] == "it is [EMAIL]"
    assert b"dana" not in guard.mask_response_json(adm, f"not json {EMAIL}".encode())


# ---- audit, metrics, config -----------------------------------------------------------------------

def test_every_step_is_audited_masked_and_the_chain_verifies(deployment, guard, idp):
    adm = admitted(guard, idp, prompt=f"who is {EMAIL}?")
    list(guard.mask_stream(adm, ["fine"]))
    guard.close()
    records = [json.loads(line) for line in (deployment / "audit.jsonl").read_text().splitlines()]
    assert [r["type"] for r in records] == ["policy.decision", "grant.issued", "inference.request",
                                            "inference.response"]
    assert {r["request_id"] for r in records} == {adm.request_id}
    assert "[EMAIL]" in records[2]["prompt"] and EMAIL not in json.dumps(records)
    result = jitguard.verify_audit_log(str(deployment / "audit.jsonl"), hmac_key=audit_key(deployment))
    assert result.ok and result.records == 4


def test_callback_audit_sink(deployment, idp):
    config = json.loads((deployment / "jitguard.json").read_text())
    seen = []
    config["audit"] = {"callback": seen.append}
    g = jitguard.Guard(config, base_dir=str(deployment))
    with pytest.raises(jitguard.AccessDenied):
        g.admit(idp.mint("bob", ["contractors"]), model="support-llm", dataset="claims", prompt=EMAIL)
    g.close()
    assert [r["type"] for r in seen] == ["policy.decision"]
    assert EMAIL not in json.dumps(seen)


def test_metrics_text_is_prometheus_exposition(guard, idp):
    list(guard.mask_stream(admitted(guard, idp), [f"x {EMAIL}"]))
    with pytest.raises(jitguard.TokenError):
        guard.admit("a.b.c", model="m")
    text = guard.metrics_text()
    assert '# TYPE jitguard_decisions_total counter' in text
    assert 'jitguard_decisions_total{effect="permit"} 1' in text
    assert 'jitguard_findings_total{entity="EMAIL"} 1' in text
    assert 'jitguard_token_rejections_total{reason="' in text
    assert "jitguard_audit_queue_depth 0" in text
    for line in text.splitlines():
        assert line.startswith("#") or len(line.rsplit(" ", 1)) == 2


def test_reload_policy(deployment, guard, idp):
    bob = idp.mint("bob", ["contractors"])
    with pytest.raises(jitguard.AccessDenied):
        guard.admit(bob, model="support-llm", dataset="claims", prompt="hi")
    policy = copy.deepcopy(POLICY)
    policy["rules"][3]["datasets"].append("claims")
    (deployment / "policy.json").write_text(json.dumps(policy))
    guard.reload_policy()
    assert guard.admit(bob, model="support-llm", dataset="claims", prompt="hi").subject == "bob"
    (deployment / "policy.json").write_text('{"version": 1, "rules": [{"id": "x", "effect": "maybe"}]}')
    with pytest.raises(jitguard.Error):
        guard.reload_policy()
    assert guard.admit(bob, model="support-llm", dataset="claims", prompt="hi").subject == "bob"


def base_config(deployment):
    return json.loads((deployment / "jitguard.json").read_text())


@pytest.mark.parametrize("mutate, key", [
    (lambda c: c.pop("tokens"), "tokens"),
    (lambda c: c["tokens"].pop("issuer"), "tokens.issuer"),
    (lambda c: c["tokens"].update(leeway=-1), "tokens.leeway"),
    (lambda c: c["tokens"].update(jwks={"keys": "nope"}), "tokens.jwks"),
    (lambda c: c["tokens"].update(colour="blue"), "tokens.colour"),
    (lambda c: c.update(extra={}), "extra"),
    (lambda c: c["policy"].update(file="missing.json"), "policy.file"),
    (lambda c: c["grants"].pop("signing_key_file"), "grants.signing_key"),
    (lambda c: c["grants"].update(replay="memcached://x"), "grants.replay"),
    (lambda c: c["approvals"].update(backend="etcd"), "approvals.backend"),
    (lambda c: c["approvals"].update(backend="redis"), "approvals.url"),
    (lambda c: c["audit"].update(postgres="dbname=x"), "audit"),
    (lambda c: c["audit"].update(fsync="sometimes"), "audit.fsync"),
    (lambda c: c["masking"].update(custom=[{"name": "X", "regex": "("}]), "masking"),
])
def test_bad_config_names_the_key(deployment, mutate, key):
    config = base_config(deployment)
    mutate(config)
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.Guard(config, base_dir=str(deployment))
    assert e.value.message.startswith(key + ":") or e.value.message.startswith(key + "."), e.value.message


def test_bad_policy_in_config_names_the_location(deployment):
    config = base_config(deployment)
    config["policy"] = {"document": {"version": 1, "rules": [{"id": "r", "effect": "permit", "models": 7}]}}
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.Guard(config, base_dir=str(deployment))
    assert e.value.message.startswith("policy:") and "rules[0]" in e.value.message


def test_config_file_that_is_not_json(tmp_path):
    path = tmp_path / "jitguard.json"
    path.write_text("{nope")
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.Guard.from_file(str(path))
    assert e.value.reason == "bad_json"


def test_inline_jwks_and_secrets_from_env(deployment, idp, monkeypatch):
    config = base_config(deployment)
    config["tokens"] = {"jwks": idp.jwks, "issuer": ISSUER, "audience": AUDIENCE}
    monkeypatch.setenv("JG_GRANT_KEY", "k" * 40)
    config["grants"] = {"signing_key_env": "JG_GRANT_KEY", "issuer": "x"}
    config["policy"] = {"document": POLICY}
    with jitguard.Guard(config, base_dir=str(deployment)) as g:
        adm = g.admit(idp.mint("alice", ["data-scientists"]), model="support-llm", dataset="claims")
        assert g.grant_verifier.verify(str(adm.grant)).subject == "alice"
    monkeypatch.delenv("JG_GRANT_KEY")
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.Guard(config, base_dir=str(deployment))
    assert e.value.message.startswith("grants.signing_key_env:")


def test_permitted_models_lists_what_the_policy_does_not_deny(guard, idp):
    models = ["support-llm", "embed-small", "support-pro", "other"]
    alice = idp.mint("alice", ["data-scientists"])
    assert guard.permitted_models(alice, models, dataset="support-tickets") == ["support-llm", "support-pro"]
    assert guard.permitted_models(idp.mint("svc", []), models, dataset="support-tickets") == []
    with pytest.raises(jitguard.TokenError) as e:
        guard.permitted_models(DemoIdp().mint("alice", ["data-scientists"]), models)
    assert e.value.reason in ("unknown_key", "bad_signature")


def test_jwks_from_a_url(deployment, idp):
    server = JwksServer(idp.jwks)
    try:
        config = base_config(deployment)
        config["tokens"] = {"jwks_url": server.url, "issuer": ISSUER, "audience": AUDIENCE}
        with jitguard.Guard(config, base_dir=str(deployment)) as g:
            adm = g.admit(idp.mint("alice", ["data-scientists"]), model="support-llm", dataset="claims")
            assert adm.subject == "alice"
            with pytest.raises(jitguard.TokenError) as e:
                g.admit(DemoIdp().mint("alice", ["data-scientists"]), model="support-llm", dataset="claims")
            assert e.value.reason in ("unknown_key", "bad_signature")
    finally:
        server.close()


def test_jwks_url_rotation_is_picked_up_on_an_unknown_key(deployment, idp):
    rotated = DemoIdp()
    server = JwksServer(idp.jwks)
    try:
        config = base_config(deployment)
        config["tokens"] = {"jwks_url": server.url, "issuer": ISSUER, "audience": AUDIENCE,
                            "min_refresh_interval": 0}
        with jitguard.Guard(config, base_dir=str(deployment)) as g:
            assert server.hits == 1
            token = rotated.mint("alice", ["data-scientists"])
            with pytest.raises(jitguard.TokenError) as e:  # not published yet: fetched, still unknown
                g.admit(token, model="support-llm", dataset="claims")
            assert e.value.reason == "unknown_key"
            assert server.hits == 2
            server.publish({"keys": idp.jwks["keys"] + rotated.jwks["keys"]})
            assert g.admit(token, model="support-llm", dataset="claims").subject == "alice"
            assert server.hits == 3
            assert g.admit(token, model="support-llm", dataset="claims").subject == "alice"
            assert server.hits == 3  # known now: no fetch
            assert g.metrics.value("token_rejections", "unknown_key") == 1
    finally:
        server.close()
    types = [json.loads(line)["type"] for line in (deployment / "audit.jsonl").read_text().splitlines()]
    assert types.count("token.rejected") == 1 and types.count("grant.issued") == 2


def test_jwks_url_that_cannot_be_fetched_names_the_key(deployment):
    config = base_config(deployment)
    config["tokens"] = {"jwks_url": "http://127.0.0.1:9/jwks.json", "issuer": ISSUER, "audience": AUDIENCE}
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.Guard(config, base_dir=str(deployment))
    assert e.value.message.startswith("tokens.jwks_url:")


def test_update_keys_rotates_without_a_new_guard(guard, idp):
    rotated = DemoIdp()
    token = rotated.mint("alice", ["data-scientists"])
    with pytest.raises(jitguard.TokenError):
        guard.admit(token, model="support-llm", dataset="claims")
    with pytest.raises(jitguard.Error):
        guard.update_keys({"keys": "nope"})
    guard.update_keys({"keys": idp.jwks["keys"] + rotated.jwks["keys"]})
    assert guard.admit(token, model="support-llm", dataset="claims").subject == "alice"


def test_verify_grant_once(guard, idp):
    adm = admitted(guard, idp, dataset="support-tickets")
    guard.verify_grant(adm.grant, "support-tickets", "infer")
    with pytest.raises(jitguard.GrantError) as e:
        guard.verify_grant(adm.grant, "support-tickets", "infer")
    assert e.value.reason == "replayed"


def test_sse_event_that_is_not_json_is_masked_as_text(deployment, guard, idp):
    adm = admitted(guard, idp)
    out = b"".join(guard.mask_sse(adm, [sse_event("hello "), f"data: not json {EMAIL}\n\n".encode(),
                                        sse_event("more")]))
    assert EMAIL.encode() not in out and b"data: not json " in out and b"[EMAIL]" in out
    guard.flush()
    log = (deployment / "audit.jsonl").read_text()
    assert EMAIL not in log and "[EMAIL]" in log


def test_callback_audit_sink_with_async_and_conflicts(deployment, idp):
    config = base_config(deployment)
    seen = []
    config["audit"] = {"callback": seen.append, "async": True, "queue_size": 8}
    with jitguard.Guard(config, base_dir=str(deployment)) as g:
        list(g.mask_stream(admitted(g, idp), [f"x {EMAIL}"]))
    assert [r["type"] for r in seen] == ["policy.decision", "grant.issued", "inference.request",
                                         "inference.response"]
    assert EMAIL not in json.dumps(seen)
    config["audit"] = {"callback": "print"}
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.Guard(config, base_dir=str(deployment))
    assert e.value.message.startswith("audit.callback:")
    config["audit"] = {"callback": seen.append, "file": "audit.jsonl"}
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.Guard(config, base_dir=str(deployment))
    assert e.value.reason == "conflicting_keys"


def test_async_audit(deployment, idp):
    config = base_config(deployment)
    config["audit"].update({"async": True, "queue_size": 64})
    g = jitguard.Guard(config, base_dir=str(deployment))
    list(g.mask_stream(admitted(g, idp), [f"x {EMAIL}"]))
    assert "jitguard_audit_queue_depth " in g.metrics_text()
    g.close()
    types = [json.loads(line)["type"] for line in (deployment / "audit.jsonl").read_text().splitlines()]
    assert types == ["policy.decision", "grant.issued", "inference.request", "inference.response"]
    assert jitguard.verify_audit_log(str(deployment / "audit.jsonl"), hmac_key=audit_key(deployment)).ok
