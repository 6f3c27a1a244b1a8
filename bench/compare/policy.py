#!/usr/bin/env python3
"""Side-by-side policy decisions: jitguard vs Cedar (cedarpy), Casbin (pycasbin) and Rego (regopy).

The same RBAC policy in each language: N rules "group team-k may run operations infer/embed on
model-i with dataset ds-j", plus forbids ("nobody may update_params on model-i"), and the same
random requests (a user with 0..3 groups; a model, dataset and operation). Every engine's decisions
are checked against jitguard's before anything is timed. Then: per-decision latency from Python,
single calls for every engine, and for Cedar also its batch API (its best case from Python).

How each engine is used:
  * jitguard: ``Policy(doc).evaluate(...)`` (compiled once; the GIL is released per call).
  * Cedar: ``cedarpy.is_authorized`` / ``is_authorized_batch`` with a pre-parsed ``PolicySet`` and
    ``Entities`` handle (so policy and entity parsing are not re-done per call); each rule is
    ``permit(principal in Group::"team-k", action in [...], resource == Model::"model-i") when
    { context.dataset == "ds-j" };``.
  * Casbin: an RBAC model with a deny effect (``some(allow) && !some(deny)``), ``g`` lines for every
    user's groups, ``enforce(user, model, dataset, op)``.
  * Rego: rego-cpp through regopy; rules as data, ``data.authz.allow`` queried per request with
    ``set_input``. Slow enough that it runs fewer requests (stated in the output).

    python bench/compare/policy.py [--rules 100 1000] [--requests 5000]
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from typing import Callable, Dict, List, Sequence

import jitguard

try:
    import cedarpy
except ImportError:  # pragma: no cover
    cedarpy = None
try:
    import casbin
except ImportError:  # pragma: no cover
    casbin = None
try:
    import regopy
except ImportError:  # pragma: no cover
    regopy = None

OPERATIONS = ["infer", "embed", "fine_tune", "update_params"]


def make_rules(n: int, rng: random.Random) -> List[dict]:
    rules = []
    for i in range(n):
        if i % 10 == 9:
            rules.append({"id": f"r{i}", "effect": "forbid", "model": f"model-{i - 1}", "op": "update_params"})
        else:
            rules.append({"id": f"r{i}", "effect": "permit", "group": f"team-{i % 50}", "model": f"model-{i}",
                          "dataset": f"ds-{i % 40}", "ops": ["infer", "embed", "update_params"] if i % 7 == 0
                          else ["infer", "embed"]})
    return rules


def make_requests(rules: List[dict], count: int, rng: random.Random) -> List[dict]:
    permits = [r for r in rules if r["effect"] == "permit"]
    users = [f"user{u}" for u in range(200)]
    groups_of = {u: rng.sample([f"team-{k}" for k in range(50)], rng.randint(0, 3)) for u in users}
    out = []
    for _ in range(count):
        r = rng.choice(permits)
        user = rng.choice(users)
        groups = list(groups_of[user])
        if rng.random() < 0.5 and r["group"] not in groups:  # half the time the user is in the right team
            groups_of[user] = groups = groups + [r["group"]]
        out.append({"subject": user, "groups": groups, "model": r["model"],
                    "dataset": r["dataset"] if rng.random() < 0.8 else "ds-x", "operation": rng.choice(OPERATIONS)})
    # Users keep the final group list (entities / g lines are built from it).
    for q in out:
        q["groups"] = groups_of[q["subject"]]
    return out


# ---- jitguard ---------------------------------------------------------------------------------------

def jitguard_engine(rules):
    doc = {"version": 1, "rules": []}
    for r in rules:
        if r["effect"] == "forbid":
            doc["rules"].append({"id": r["id"], "effect": "forbid", "models": [r["model"]], "operations": [r["op"]]})
        else:
            doc["rules"].append({"id": r["id"], "effect": "permit", "groups": [r["group"]], "models": [r["model"]],
                                 "datasets": [r["dataset"]], "operations": r["ops"]})
    policy = jitguard.Policy(doc)

    def decide(q):
        return policy.evaluate(subject=q["subject"], groups=q["groups"], model=q["model"], dataset=q["dataset"],
                               operation=q["operation"]).effect == "permit"
    return decide


# ---- Cedar -----------------------------------------------------------------------------------------

def cedar_texts(rules, requests):
    lines = []
    for r in rules:
        if r["effect"] == "forbid":
            lines.append(f'forbid(principal, action == Action::"{r["op"]}", resource == Model::"{r["model"]}");')
        else:
            actions = ", ".join(f'Action::"{o}"' for o in r["ops"])
            lines.append(f'permit(principal in Group::"{r["group"]}", action in [{actions}], '
                         f'resource == Model::"{r["model"]}") when {{ context.dataset == "{r["dataset"]}" }};')
    users = {q["subject"]: q["groups"] for q in requests}
    entities = [{"uid": {"type": "User", "id": u}, "attrs": {}, "parents": [{"type": "Group", "id": g} for g in gs]}
                for u, gs in users.items()]
    return "\n".join(lines), entities


def cedar_request(q):
    return {"principal": f'User::"{q["subject"]}"', "action": f'Action::"{q["operation"]}"',
            "resource": f'Model::"{q["model"]}"', "context": {"dataset": q["dataset"]}}


def cedar_engines(rules, requests):
    text, entities = cedar_texts(rules, requests)
    policies = cedarpy.PolicySet.from_str(text)
    ents = cedarpy.Entities.from_json_str(json.dumps(entities))

    def single(q):
        return cedarpy.is_authorized(cedar_request(q), policies, ents).allowed

    def batch(qs):
        return [r.allowed for r in cedarpy.is_authorized_batch([cedar_request(q) for q in qs], policies, ents)]
    return single, batch


# ---- Casbin ----------------------------------------------------------------------------------------

CASBIN_MODEL = """
[request_definition]
r = sub, model, dataset, act

[policy_definition]
p = sub, model, dataset, act, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && r.model == p.model && (p.dataset == "*" || r.dataset == p.dataset) && r.act == p.act
"""


def casbin_engine(rules, requests):
    model = casbin.Enforcer.new_model(text=CASBIN_MODEL) if hasattr(casbin.Enforcer, "new_model") else None
    if model is None:
        model = casbin.model.Model()
        model.load_model_from_text(CASBIN_MODEL)
    e = casbin.Enforcer(model)
    for r in rules:
        if r["effect"] == "forbid":
            e.add_policy("everyone", r["model"], "*", r["op"], "deny")
        else:
            for op in r["ops"]:
                e.add_policy(r["group"], r["model"], r["dataset"], op, "allow")
    for u, gs in {q["subject"]: q["groups"] for q in requests}.items():
        e.add_grouping_policy(u, "everyone")
        for g in gs:
            e.add_grouping_policy(u, g)

    def decide(q):
        return e.enforce(q["subject"], q["model"], q["dataset"], q["operation"])
    return decide


# ---- Rego ------------------------------------------------------------------------------------------

REGO_MODULE = """
package authz

default allow := false

allow if {
    some r in data.permits
    r.group in input.groups
    r.model == input.model
    r.dataset == input.dataset
    input.operation in r.ops
    not forbidden
}

forbidden if {
    some f in data.forbids
    f.model == input.model
    f.op == input.operation
}
"""


def rego_engine(rules):
    rego = regopy.Interpreter()
    rego.add_data({"permits": [{"group": r["group"], "model": r["model"], "dataset": r["dataset"], "ops": r["ops"]}
                               for r in rules if r["effect"] == "permit"],
                   "forbids": [{"model": r["model"], "op": r["op"]} for r in rules if r["effect"] == "forbid"]})
    rego.add_module("authz", REGO_MODULE)

    def decide(q):
        rego.set_input({"groups": q["groups"], "model": q["model"], "dataset": q["dataset"],
                        "operation": q["operation"]})
        out = rego.query("x = data.authz.allow")
        return str(out.binding("x")) == "true"
    return decide


# ---- timing ----------------------------------------------------------------------------------------

def per_call_us(fn: Callable, requests: Sequence[dict], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for q in requests:
            fn(q)
        best = min(best, (time.perf_counter() - t0) / len(requests))
    return best * 1e6


def per_batch_us(fn: Callable, requests: Sequence[dict], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(requests)
        best = min(best, (time.perf_counter() - t0) / len(requests))
    return best * 1e6


def _version(dist: str) -> str:
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "missing"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--rego-requests", type=int, default=100)
    ap.add_argument("--casbin-requests", type=int, default=500)
    args = ap.parse_args()
    print(f"# policy compare: python {platform.python_version()}, {platform.machine()}, "
          f"cedarpy {_version('cedarpy')}, casbin {_version('casbin')}, regopy {_version('regopy')}, "
          f"jitguard {jitguard.__version__}")
    for n in args.rules:
        rng = random.Random(n)
        rules = make_rules(n, rng)
        requests = make_requests(rules, args.requests, rng)
        ours = jitguard_engine(rules)
        expected = [ours(q) for q in requests]
        permits = sum(expected)
        rows: Dict[str, float] = {"jitguard (evaluate)": per_call_us(ours, requests)}
        if cedarpy:
            single, batch = cedar_engines(rules, requests)
            assert [single(q) for q in requests[:300]] == expected[:300], "cedar disagrees"
            assert batch(requests) == expected, "cedar batch disagrees"
            rows["Cedar (is_authorized; 300 requests)"] = per_call_us(single, requests[:300], repeats=1)
            rows["Cedar (is_authorized_batch)"] = per_batch_us(batch, requests)
        if casbin:
            cas = casbin_engine(rules, requests)
            sample = requests[: args.casbin_requests]
            assert [cas(q) for q in sample] == expected[: len(sample)], "casbin disagrees"
            rows[f"Casbin (enforce; {len(sample)} requests)"] = per_call_us(cas, sample, repeats=1)
        if regopy:
            rego = rego_engine(rules)
            sample = requests[: args.rego_requests]
            assert [rego(q) for q in sample] == expected[: len(sample)], "rego disagrees"
            rows[f"Rego/regopy (query; {len(sample)} requests)"] = per_call_us(rego, sample, repeats=1)
        base = rows["jitguard (evaluate)"]
        print(f"\n## {n} rules, {len(requests)} requests ({permits} permitted), identical decisions in every engine\n")
        print("| engine | µs per decision | × jitguard |")
        print("|---|---:|---:|")
        for name, us in rows.items():
            print(f"| {name} | {us:.2f} | {us / base:.1f} |")


if __name__ == "__main__":
    main()
