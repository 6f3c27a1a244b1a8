"""``jitguard policy check|test|explain``: validate a policy, run a file of expected decisions
against it (like ``opa test``), and show how each rule matched one request."""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

from .errors import ConfigError

HELP = "check, test and explain policies"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")

    check = sub.add_parser("check", help="validate a policy file",
                           description="Parse, validate and compile a policy; print a summary, or the "
                                       "first error with its location and exit 1.")
    check.add_argument("policy", help="policy JSON file")
    check.set_defaults(subfunc=run_check)

    test = sub.add_parser("test", help="run a file of requests with expected decisions",
                          description='Run every case of a test file against a policy. The file is JSON: '
                                      '{"cases": [{"name": ..., "request": {"subject", "groups", "model", '
                                      '"dataset", "operation", "prompt", "attributes"}, "expect": '
                                      '"permit|deny|approval_required", "rules": [optional ids], '
                                      '"reason": optional, "mask_profile": optional}]} (or just the list). '
                                      'Exit 0 when every case passes, 1 otherwise.')
    test.add_argument("policy", help="policy JSON file")
    test.add_argument("tests", help="test cases JSON file")
    test.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    test.set_defaults(subfunc=run_test)

    explain = sub.add_parser("explain", help="show how every rule matched one request",
                             description="Evaluate one request and print the decision and each rule's "
                                         "condition trace.")
    explain.add_argument("policy", help="policy JSON file")
    explain.add_argument("--request", metavar="FILE", help="the request as a JSON file (instead of flags)")
    explain.add_argument("--subject", default="")
    explain.add_argument("--groups", default="", help="comma-separated groups")
    explain.add_argument("--model", default="")
    explain.add_argument("--dataset", default="")
    explain.add_argument("--operation", default="infer")
    explain.add_argument("--prompt", default="")
    explain.add_argument("--attr", action="append", default=[], metavar="KEY=JSON",
                         help="an attribute; the value is parsed as JSON, else taken as a string")
    explain.add_argument("--json", action="store_true", help="print the explanation as JSON")
    explain.set_defaults(subfunc=run_explain)
    def dispatch(args) -> int:
        if getattr(args, "subfunc", None) is None:
            parser.print_help(sys.stderr)
            return 2
        return args.subfunc(args)

    parser.set_defaults(func=dispatch)


def _load_json(path: str, what: str) -> Any:
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(text)
    except ValueError as e:
        raise ConfigError(f"{what} {path}: not valid JSON ({e})", reason="bad_json") from None


def _policy(path: str):
    import jitguard

    with open(path, "r", encoding="utf-8") as f:
        return jitguard.Policy(f.read())


_REQUEST_KEYS = ("subject", "groups", "model", "dataset", "operation", "prompt", "attributes")


def _request(data: Dict[str, Any], where: str) -> Dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the request must be an object", reason="bad_value")
    unknown = sorted(set(data) - set(_REQUEST_KEYS))
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown request field", reason="unknown_key")
    return {"subject": str(data.get("subject", "")), "groups": list(data.get("groups", [])),
            "model": str(data.get("model", "")), "dataset": str(data.get("dataset", "")),
            "operation": str(data.get("operation", "infer")), "prompt": str(data.get("prompt", "")),
            "attributes": dict(data.get("attributes", {}))}


def run_check(args) -> int:
    policy = _policy(args.policy)
    rules = getattr(policy, "rule_count", None)
    version = getattr(policy, "version", "")
    profiles = getattr(policy, "mask_profiles", None)
    parts = [f"{args.policy}: ok"]
    if rules is not None:
        parts.append(f"{rules} rules")
    if profiles:
        parts.append("mask profiles: " + ", ".join(_profile_name(p) for p in profiles))
    if version:
        parts.append(f"version {version}")
    print(", ".join(parts))
    return 0


def _profile_name(p: Any) -> str:
    return p["name"] if isinstance(p, dict) else str(p)


def run_test(args) -> int:
    policy = _policy(args.policy)
    suite = _load_json(args.tests, "tests")
    cases = suite.get("cases") if isinstance(suite, dict) else suite
    if not isinstance(cases, list) or not cases:
        raise ConfigError(f"tests {args.tests}: needs a non-empty list of cases", reason="bad_value")
    failures: List[str] = []
    for i, case in enumerate(cases):
        where = f"cases[{i}]"
        if not isinstance(case, dict) or "expect" not in case:
            raise ConfigError(f"{where}: needs 'request' and 'expect'", reason="bad_value")
        name = case.get("name", where)
        decision = policy.evaluate(**_request(case.get("request", {}), f"{where}.request"))
        problems = []
        if decision.effect != case["expect"]:
            problems.append(f"effect {decision.effect}, expected {case['expect']}")
        if "rules" in case and list(decision.rules) != list(case["rules"]):
            problems.append(f"rules {list(decision.rules)}, expected {list(case['rules'])}")
        if "reason" in case and getattr(decision, "reason", None) != case["reason"]:
            problems.append(f"reason {getattr(decision, 'reason', None)}, expected {case['reason']}")
        if "mask_profile" in case and decision.mask_profile != case["mask_profile"]:
            problems.append(f"mask_profile {decision.mask_profile!r}, expected {case['mask_profile']!r}")
        if problems:
            failures.append(name)
            print(f"FAIL {name}: " + "; ".join(problems))
        elif args.verbose:
            print(f"PASS {name}")
    passed = len(cases) - len(failures)
    print(f"{passed}/{len(cases)} passed" + (f", {len(failures)} failed" if failures else ""))
    return 1 if failures else 0


def _attr_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def run_explain(args) -> int:
    policy = _policy(args.policy)
    if args.request:
        request = _request(_load_json(args.request, "request"), "request")
    else:
        attributes = {}
        for item in args.attr:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ConfigError(f"--attr {item!r}: expected KEY=VALUE", reason="bad_value")
            attributes[key] = _attr_value(value)
        request = {"subject": args.subject, "groups": [g for g in args.groups.split(",") if g],
                   "model": args.model, "dataset": args.dataset, "operation": args.operation,
                   "prompt": args.prompt, "attributes": attributes}
    explanation = policy.explain(**request)
    if args.json:
        print(json.dumps(_explanation_json(explanation), indent=2))
        return 0
    d = explanation["decision"]
    print(f"decision: {d.effect} ({getattr(d, 'reason', '')})")
    if d.rules:
        print(f"deciding rules: {', '.join(d.rules)}")
    if getattr(d, "message", ""):
        print(f"message: {d.message}")
    if d.effect != "deny":
        print(f"grant ttl: {d.grant_ttl}s, mask profile: {d.mask_profile or '-'}")
    if d.approvers:
        print(f"approvers: {', '.join(d.approvers)}")
    for rule in explanation["rules"]:
        mark = "match" if rule["matched"] else "no match"
        print(f"  rule {rule['id']} ({rule['effect']}): {mark}")
        for c in rule["conditions"]:
            print(f"    {c['condition']}: {c['outcome']}" + (f" - {c['detail']}" if c.get("detail") else ""))
    return 0


def _explanation_json(e: Any) -> Dict[str, Any]:
    d = e["decision"]
    return {
        "decision": {"effect": d.effect, "reason": getattr(d, "reason", ""), "rules": list(d.rules),
                     "reasons": list(d.reasons), "grant_ttl": d.grant_ttl, "mask_profile": d.mask_profile,
                     "approvers": list(d.approvers), "message": getattr(d, "message", "")},
        "rules": [{"id": r["id"], "effect": r["effect"], "matched": r["matched"],
                   "conditions": [dict(c) for c in r["conditions"]]} for r in e["rules"]],
    }
