"""The Python policy API: Policy, Decision, explain, PolicyStore and PolicyError locations."""
import json
import threading

import pytest

import jitguard
from jitguard import Policy, PolicyError, PolicyStore

ISSUE_POLICY = {
    "version": 1,
    "defaults": {"max_grant_ttl": "15m", "mask_profile": "standard"},
    "mask_profiles": [
        {"name": "standard", "entities": ["EMAIL", "US_SSN"], "style": "label"},
        {"name": "strict", "entities": "all", "style": "redact"},
    ],
    "rules": [
        {"id": "ds", "effect": "permit", "groups": ["data-scientist"], "models": ["llama-*"],
         "datasets": ["sales", "support-*"], "operations": ["infer"], "max_grant_ttl": "10m"},
        {"id": "no-params", "effect": "forbid", "operations": ["update_params"],
         "message": "parameters are read-only"},
        {"id": "export", "effect": "require_approval",
         "prompt": {"keywords": ["export", "download"], "patterns": [r"(?i)all\s+customer\s+records"]},
         "approvers": ["security-leads"]},
        {"id": "huge", "effect": "forbid", "when": [{"attribute": "max_tokens", "gt": 100000}]},
    ],
}

DS = dict(subject="alice", groups=["data-scientist"], model="llama-3-8b", dataset="sales", operation="infer")


@pytest.fixture(scope="module")
def policy():
    return Policy(ISSUE_POLICY)


def test_permit_carries_ttl_profile_and_rules(policy):
    d = policy.evaluate(**DS)
    assert d.effect == "permit" and d.permitted
    assert d.reason == "permitted"
    assert d.rules == ["ds"]
    assert d.reasons == ["permit rule 'ds' matched"]
    assert d.grant_ttl == 600
    assert d.mask_profile == "standard"
    assert d.approvers == []
    assert isinstance(d, jitguard.Decision)
    assert "effect='permit'" in repr(d)


def test_deny_forbid_and_no_permit(policy):
    d = policy.evaluate(**{**DS, "operation": "update_params"})
    assert (d.effect, d.reason, d.rules, d.message) == ("deny", "forbidden", ["no-params"], "parameters are read-only")
    d = policy.evaluate(**{**DS, "groups": ["marketing"]})
    assert (d.effect, d.reason, d.rules, d.grant_ttl, d.mask_profile) == ("deny", "no_permit", [], 0, "")
    assert d.reasons[0].startswith("no_permit")


def test_prompt_needs_approval_with_union_of_approvers(policy):
    d = policy.evaluate(**DS, prompt="Please DOWNLOAD all customer   records")
    assert d.effect == "approval_required"
    assert d.rules == ["export", "ds"]
    assert d.approvers == ["security-leads"]
    assert policy.evaluate(**DS, prompt="the downloader is slow").effect == "permit"
    # approval never rescues an unpermitted request
    assert policy.evaluate(**{**DS, "groups": []}, prompt="export").effect == "deny"


def test_attributes_are_typed_and_fail_closed(policy):
    assert policy.evaluate(**DS, attributes={"max_tokens": 10}).effect == "permit"
    assert policy.evaluate(**DS, attributes={"max_tokens": 200000}).reason == "forbidden"
    for wrong in ("200000", None, True, [1, 2], float("nan")):
        d = policy.evaluate(**DS, attributes={"max_tokens": wrong})
        assert d.reason == "forbidden", wrong
        assert "failing closed" in d.reasons[0]
        assert "max_tokens" in d.reasons[0]
    with pytest.raises(TypeError):
        policy.evaluate(**DS, attributes={"max_tokens": {"nested": 1}})


def test_permit_with_wrong_type_does_not_match():
    p = Policy({"version": 1, "rules": [
        {"id": "gold", "effect": "permit", "when": [{"attribute": "tier", "in": ["gold", "platinum"]}]}]})
    assert p.evaluate(attributes={"tier": "gold"}).effect == "permit"
    assert p.evaluate(attributes={"tier": ["gold", "platinum"]}).effect == "permit"
    assert p.evaluate(attributes={}).reason == "no_permit"
    d = p.evaluate(attributes={"tier": 1})
    assert d.reason == "no_permit"
    assert any("permit rule 'gold' not applied (failing closed" in r for r in d.reasons)


def test_explain_traces_each_rule(policy):
    e = policy.explain(**DS, prompt="export it", attributes={"max_tokens": "x"})
    assert e["decision"].reason == "forbidden"
    assert [r["id"] for r in e["rules"]] == ["ds", "no-params", "export", "huge"]
    assert [r["matched"] for r in e["rules"]] == [True, False, True, True]
    ds = e["rules"][0]
    assert ds["effect"] == "permit"
    assert {c["condition"]: c["outcome"] for c in ds["conditions"]} == {
        "models": "matched", "datasets": "matched", "operations": "matched", "groups": "matched"}
    assert e["rules"][1]["conditions"][0]["detail"] == "operation 'infer' matches none of the 1 patterns"
    huge = e["rules"][3]["conditions"][0]
    assert (huge["condition"], huge["outcome"]) == ("when[0]", "unevaluable")


def test_text_errors_have_location_line_and_column():
    text = json.dumps(ISSUE_POLICY, indent=2).replace('"datasets"', '"datsets"')
    with pytest.raises(PolicyError) as info:
        Policy(text)
    e = info.value
    assert e.reason == "invalid_policy"
    assert e.location == "rules[0].datsets"
    lines = text.splitlines()
    assert lines[e.line - 1][e.column - 1:].startswith('"datsets"')
    assert "did you mean 'datasets'?" in str(e)


def test_dict_errors_have_location_only():
    bad = json.loads(json.dumps(ISSUE_POLICY))
    bad["rules"][2]["prompt"]["patterns"] = ["(?i)ok", "(broken"]
    with pytest.raises(PolicyError) as info:
        Policy(bad)
    assert info.value.location == "rules[2].prompt.patterns[1]"
    assert info.value.line is None
    assert "invalid RE2 pattern" in str(info.value)


@pytest.mark.parametrize("mutate, location", [
    (lambda d: d["rules"][0].update(effect="allow"), "rules[0].effect"),
    (lambda d: d["rules"][1].update(id="ds"), "rules[1].id"),
    (lambda d: d["rules"][0].update(models=["llama-\\"]), "rules[0].models[0]"),
    (lambda d: d["rules"][0].update(max_grant_ttl="ten minutes"), "rules[0].max_grant_ttl"),
    (lambda d: d["rules"][0].update(mask_profile="nope"), "rules[0].mask_profile"),
    (lambda d: d["mask_profiles"][0].update(entities=["EMAIL", "SSN"]), "mask_profiles[0].entities[1]"),
    (lambda d: d["rules"][3]["when"][0].update(gt="big"), "rules[3].when[0].gt"),
    (lambda d: d.update(version=2), "version"),
])
def test_validation_errors_name_the_element(mutate, location):
    doc = json.loads(json.dumps(ISSUE_POLICY))
    mutate(doc)
    with pytest.raises(PolicyError) as info:
        Policy(doc)
    assert info.value.location == location


def test_syntax_errors_have_line_and_column():
    text = '{"version": 1,\n "rules": [\n  {"id": "x",, }\n]}'
    with pytest.raises(PolicyError) as info:
        Policy(text)
    e = info.value
    assert e.reason == "invalid_json"
    assert (e.line, e.column) == (3, 14)
    assert text.splitlines()[e.line - 1][e.column - 1] == ","


def test_invalid_json_and_bad_input_types():
    with pytest.raises(PolicyError) as info:
        Policy('{"version": 1,')
    assert info.value.reason == "invalid_json"
    with pytest.raises(PolicyError):
        Policy({"version": 1, "rules": [], "x": float("nan")})
    with pytest.raises(TypeError):
        Policy(42)


def test_policy_metadata(policy, tmp_path):
    assert policy.rule_count == 4
    assert policy.version.startswith("sha256:")
    assert [p["name"] for p in policy.mask_profiles] == ["standard", "strict"]
    assert policy.mask_profile("strict")["all_entities"] is True
    assert "EMAIL" in policy.mask_profile("strict")["entities"]
    assert policy.mask_profile("missing") is None
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(ISSUE_POLICY))
    assert Policy.from_file(path, version="v7").version == "v7"


def numbered(n):
    return {"version": 1, "rules": [{"id": f"r{n}", "effect": "permit", "models": [f"m{n}"],
                                     "max_grant_ttl": f"{n}m"}]}


def test_store_reload_keeps_old_on_error():
    store = PolicyStore(numbered(1), version="v1")
    snap = store.policy
    assert store.evaluate(model="m1").effect == "permit"
    assert store.reload(numbered(2), version="v2") == "v2"
    assert store.evaluate(model="m1").effect == "deny"
    assert store.evaluate(model="m2").grant_ttl == 120
    assert snap.version == "v1" and snap.evaluate(model="m1").effect == "permit"
    with pytest.raises(PolicyError) as info:
        store.reload('{"version": 1, "rules": [{"id": "x", "effect": "permit", "modles": ["m3"]}]}')
    assert info.value.location == "rules[0].modles" and info.value.line == 1
    assert store.version == "v2"
    store.reload(Policy(numbered(3), version="v3"))
    assert store.version == "v3" and store.evaluate(model="m3").effect == "permit"
    assert store.explain(model="m3")["decision"].effect == "permit"


def test_store_reload_under_concurrent_evaluation():
    store = PolicyStore(numbered(1), version="1")
    stop = threading.Event()
    errors = []

    def reader():
        while not stop.is_set():
            snap = store.policy
            v = int(snap.version)
            d = snap.evaluate(model=f"m{v}")
            if d.effect != "permit" or d.grant_ttl != 60 * v:
                errors.append((v, d))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(300):
        n = i % 20 + 1
        store.reload(numbered(n), version=str(n))
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
