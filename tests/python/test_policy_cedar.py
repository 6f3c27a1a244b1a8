"""Differential test against Cedar (cedarpy): random policies in the fragment both languages share
(permit / forbid over groups, models, datasets and operations, with exact values and `*` globs that
map to Cedar's `like`) and more than 10,000 random requests must get identical decisions, and the
same determining rules."""
import random

import cedarpy  # in the `test` extra: a missing cedarpy fails this test rather than skipping it

from jitguard import Policy

NUM_POLICIES = 50
REQUESTS_PER_POLICY = 220  # 11,000 requests in all

GROUPS = [f"g{i}" for i in range(8)] + ["data-scientist", "ops"]
MODELS = ["llama-3-8b", "llama-3-70b", "llama-2", "gpt-4o", "gpt-4", "claude-3", "mistral-7b", "m\u00e9ta"]
DATASETS = ["sales", "sales-eu", "support-tickets", "support", "hr", "finance-2024", "d.x"]
OPERATIONS = ["infer", "embed", "fine_tune", "update_params", "export"]


def cedar_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cedar_like(glob):
    # Our values never contain '*' literally, so a glob's '*' is exactly Cedar's wildcard.
    return '"' + glob.replace("\\", "\\\\").replace('"', '\\"') + '"'


def random_glob(rng, values):
    v = rng.choice(values)
    kind = rng.randrange(6)
    if kind == 0:
        return v[: rng.randrange(len(v) + 1)] + "*"
    if kind == 1:
        return "*" + v[rng.randrange(len(v)):]
    if kind == 2:
        i = rng.randrange(len(v) + 1)
        j = rng.randrange(i, len(v) + 1)
        return v[:i] + "*" + v[j:]
    if kind == 3 and rng.random() < 0.2:
        return "*"
    return v


def random_policy(rng):
    rules, cedar = [], []
    for i in range(rng.randint(1, 25)):
        effect = "forbid" if rng.random() < 0.3 else "permit"
        rule = {"id": f"policy{i}", "effect": effect}
        conds = []
        if rng.random() < 0.6:
            gs = rng.sample(GROUPS, rng.randint(1, 3))
            rule["groups"] = gs
            conds.append("(" + " || ".join(f"principal in Group::{cedar_string(g)}" for g in gs) + ")")
        for key, values, ctx in (("models", MODELS, "model"), ("datasets", DATASETS, "dataset")):
            if rng.random() < 0.5:
                globs = [random_glob(rng, values) for _ in range(rng.randint(1, 3))]
                rule[key] = globs
                conds.append("(" + " || ".join(
                    (f"context.{ctx} == {cedar_string(g)}" if "*" not in g and rng.random() < 0.5
                     else f"context.{ctx} like {cedar_like(g)}") for g in globs) + ")")
        scope_action = "action"
        if rng.random() < 0.5:
            ops = rng.sample(OPERATIONS, rng.randint(1, 2))
            rule["operations"] = ops
            if rng.random() < 0.5:
                scope_action = "action in [" + ", ".join(f"Action::{cedar_string(o)}" for o in ops) + "]"
            else:
                conds.append("(" + " || ".join(f"context.operation like {cedar_like(o)}" for o in ops) + ")")
        rules.append(rule)
        when = f" when {{ {' && '.join(conds)} }}" if conds else ""
        cedar.append(f"{effect}(principal, {scope_action}, resource){when};")
    return {"version": 1, "rules": rules}, "\n".join(cedar)


def random_request(rng, n):
    groups = rng.sample(GROUPS, rng.randint(0, 3))
    return {
        "subject": f"user{n}",
        "groups": groups,
        "model": rng.choice(MODELS) if rng.random() < 0.9 else "other-model",
        "dataset": rng.choice(DATASETS) if rng.random() < 0.9 else "",
        "operation": rng.choice(OPERATIONS),
    }


def test_identical_decisions_to_cedar():
    rng = random.Random(20240611)
    total = 0
    outcomes = {"permit": 0, "deny": 0}
    for _ in range(NUM_POLICIES):
        doc, cedar_text = random_policy(rng)
        policy = Policy(doc)
        requests = [random_request(rng, n) for n in range(REQUESTS_PER_POLICY)]
        entities = [{"uid": {"type": "User", "id": r["subject"]}, "attrs": {},
                     "parents": [{"type": "Group", "id": g} for g in r["groups"]]} for r in requests]
        entities += [{"uid": {"type": "Group", "id": g}, "attrs": {}, "parents": []} for g in GROUPS]
        cedar_requests = [{
            "principal": f'User::"{r["subject"]}"',
            "action": f"Action::{cedar_string(r['operation'])}",
            "resource": f"Model::{cedar_string(r['model'])}",
            "context": {"model": r["model"], "dataset": r["dataset"], "operation": r["operation"]},
        } for r in requests]
        results = cedarpy.is_authorized_batch(cedar_requests, cedar_text, entities)
        assert len(results) == len(requests)
        for r, c in zip(requests, results):
            assert c.diagnostics.errors == [], c.diagnostics.errors
            ours = policy.evaluate(**r)
            expected = "permit" if c.allowed else "deny"
            assert ours.effect == expected, (doc, cedar_text, r)
            # The determining rules agree too: the satisfied forbids for a forbid-deny, the satisfied
            # permits for a permit, none for a default deny.
            assert sorted(ours.rules) == sorted(c.diagnostics.reasons), (doc, r)
            outcomes[expected] += 1
            total += 1
    assert total >= 10_000
    # The random space exercises both outcomes substantially.
    assert outcomes["permit"] > 1000 and outcomes["deny"] > 1000, outcomes
