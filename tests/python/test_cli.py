"""The jitguard command line, run as a real subprocess (python -m jitguard.cli)."""
import json
import os
import subprocess
import sys
import time

import pytest

from jitguard.demo import AUDIENCE, ISSUER, POLICY, DemoIdp

EMAIL = "dana.whitfield@example.com"


def jg(*args, stdin=b"", env=None):
    return subprocess.run([sys.executable, "-m", "jitguard.cli", *args], input=stdin, capture_output=True,
                          timeout=60, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", [[], ["mask"], ["token"], ["token", "verify"], ["policy"],
                                     ["policy", "check"], ["policy", "test"], ["policy", "explain"], ["demo"]])
def test_help(command):
    r = jg(*command, "--help")
    assert r.returncode == 0, r.stderr
    assert b"usage: jitguard" in r.stdout


def test_no_command_prints_usage_and_fails():
    r = jg()
    assert r.returncode == 2 and b"usage" in r.stderr


# ---- mask -----------------------------------------------------------------------------------------

def test_mask_stdin_to_stdout_with_stats():
    r = jg("mask", "--stats", stdin=f"mail {EMAIL} or call +1 415 555 0134\n".encode())
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"mail [EMAIL] or call [PHONE]\n"
    stats = dict(line.split("\t") for line in r.stderr.decode().splitlines())
    assert stats == {"EMAIL": "1", "PHONE": "1", "total": "2"}


def test_mask_streams_before_stdin_closes():
    p = subprocess.Popen([sys.executable, "-m", "jitguard.cli", "mask"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"first line with x@example.com\nand then ")
        p.stdin.flush()
        os.set_blocking(p.stdout.fileno(), False)
        got = b""
        deadline = time.monotonic() + 20
        while b"[EMAIL]" not in got and time.monotonic() < deadline:
            chunk = p.stdout.read()
            if chunk:
                got += chunk
            time.sleep(0.05)
        assert got.startswith(b"first line with [EMAIL]")  # emitted while stdin is still open
        p.stdin.write(b"done\n")
        p.stdin.close()
        assert p.wait(20) == 0
    finally:
        if p.poll() is None:
            p.kill()


def test_mask_entities_and_style():
    r = jg("mask", "--entities", "EMAIL", "--style", "redact", stdin=f"{EMAIL} +1 415 555 0134".encode())
    assert r.stdout.decode() == "*" * len(EMAIL) + " +1 415 555 0134"


def test_mask_hash_style_needs_a_key():
    r = jg("mask", "--style", "hash", stdin=b"x", env={"JITGUARD_HASH_KEY": ""})
    assert r.returncode == 1
    assert r.stderr.decode().count("\n") == 1 and "JITGUARD_HASH_KEY" in r.stderr.decode()
    r = jg("mask", "--style", "hash", stdin=EMAIL.encode(), env={"JITGUARD_HASH_KEY": "k" * 32})
    assert r.returncode == 0 and r.stdout.startswith(b"[EMAIL:")


def test_mask_unknown_entity_is_one_line_error():
    r = jg("mask", "--entities", "EMAIL,SHOE_SIZE", stdin=b"x")
    assert r.returncode == 1
    assert r.stderr.decode().startswith("jitguard: error:") and r.stderr.count(b"\n") == 1


def test_mask_json():
    r = jg("mask", "--json", stdin=json.dumps({"user": {"email": EMAIL}, "n": 3}).encode())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"user": {"email": "[EMAIL]"}, "n": 3}
    r = jg("mask", "--json", stdin=b"{bad")
    assert r.returncode == 1 and b"jitguard: error:" in r.stderr


def test_mask_sse():
    events = "".join(
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": c}}]}) + "\n\n"
        for c in ["mail dana.whit", "field@example.com now"]) + "data: [DONE]\n\n"
    r = jg("mask", "--sse", "--stats", stdin=events.encode())
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().splitlines() == ["EMAIL\t1", "total\t1"]
    assert b"dana.whit" not in r.stdout and r.stdout.rstrip().endswith(b"data: [DONE]")
    text = "".join(json.loads(line[6:])["choices"][0]["delta"]["content"]
                   for line in r.stdout.decode().splitlines() if line.startswith("data: {"))
    assert text == "mail [EMAIL] now"


# ---- token ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def idp():
    return DemoIdp()


@pytest.fixture
def jwks_file(tmp_path, idp):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(idp.jwks))
    return str(path)


def test_token_verify_prints_the_identity(jwks_file, idp):
    token = idp.mint("alice", ["data-scientists"])
    r = jg("token", "verify", "--jwks", jwks_file, "--issuer", ISSUER, "--audience", AUDIENCE, token)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["valid"] and out["subject"] == "alice" and out["groups"] == ["data-scientists"]
    r = jg("token", "verify", "--jwks", jwks_file, "--issuer", ISSUER, "--audience", AUDIENCE, "-",
           stdin=token.encode() + b"\n")
    assert r.returncode == 0 and json.loads(r.stdout)["subject"] == "alice"


def test_token_verify_rejections_are_one_line(jwks_file, idp):
    expired = idp.mint("alice", [], ttl=10, now=1_000_000)
    r = jg("token", "verify", "--jwks", jwks_file, "--issuer", ISSUER, "--audience", AUDIENCE, expired)
    assert r.returncode == 1 and r.stdout == b""
    err = r.stderr.decode()
    assert err.startswith("jitguard: error:") and "expired" in err and err.count("\n") == 1
    assert expired.split(".")[1] not in err  # never the token
    r = jg("token", "verify", "--jwks", jwks_file, "--issuer", ISSUER, "--audience", "nope",
           idp.mint("alice", []))
    assert r.returncode == 1 and "audience" in r.stderr.decode()
    r = jg("token", "verify", "--jwks", jwks_file, "--audience", AUDIENCE, "x.y.z")
    assert r.returncode == 1 and "--issuer" in r.stderr.decode()


def test_token_verify_with_a_config_file(tmp_path, jwks_file, idp):
    config = tmp_path / "jitguard.json"
    config.write_text(json.dumps({"tokens": {"jwks_file": jwks_file, "issuer": ISSUER, "audience": AUDIENCE}}))
    r = jg("token", "verify", "--config", str(config), idp.mint("svc", ["batch"]))
    assert r.returncode == 0 and json.loads(r.stdout)["groups"] == ["batch"]


# ---- policy ---------------------------------------------------------------------------------------

@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY, indent=2))
    return str(path)


def test_policy_check(policy_file, tmp_path):
    r = jg("policy", "check", policy_file)
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout.decode() and "5 rules" in r.stdout.decode()
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "rules": [\n {"id": "a", "effect": "permit", "models": 3}\n]}')
    r = jg("policy", "check", str(bad))
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.count("\n") == 1 and "rules[0]" in err


def test_policy_test_passes_and_fails(policy_file, tmp_path):
    cases = [
        {"name": "scientist summarizes", "request": {"subject": "alice", "groups": ["data-scientists"],
                                                     "model": "support-llm", "dataset": "claims",
                                                     "operation": "summarize"},
         "expect": "permit", "rules": ["data-science"], "mask_profile": "standard"},
        {"name": "contractor trains", "request": {"subject": "bob", "groups": ["contractors"],
                                                  "model": "support-llm", "dataset": "support-tickets",
                                                  "operation": "fine_tune"},
         "expect": "deny", "reason": "forbidden"},
        {"name": "export needs approval", "request": {"subject": "alice", "groups": ["data-scientists"],
                                                      "model": "support-llm", "dataset": "claims",
                                                      "prompt": "please export it"},
         "expect": "approval_required"},
    ]
    tests = tmp_path / "tests.json"
    tests.write_text(json.dumps({"cases": cases}))
    r = jg("policy", "test", policy_file, str(tests), "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.decode().splitlines()[-1] == "3/3 passed"
    cases[0]["expect"] = "deny"
    tests.write_text(json.dumps(cases))
    r = jg("policy", "test", policy_file, str(tests))
    assert r.returncode == 1
    out = r.stdout.decode()
    assert "FAIL scientist summarizes: effect permit, expected deny" in out
    assert out.splitlines()[-1] == "2/3 passed, 1 failed"


def test_policy_test_bad_case_file(policy_file, tmp_path):
    tests = tmp_path / "tests.json"
    tests.write_text(json.dumps([{"request": {"colour": "red"}, "expect": "permit"}]))
    r = jg("policy", "test", policy_file, str(tests))
    assert r.returncode == 1 and "cases[0].request.colour" in r.stderr.decode()


def test_policy_explain(policy_file):
    r = jg("policy", "explain", policy_file, "--subject", "bob", "--groups", "contractors",
           "--model", "support-llm", "--dataset", "support-tickets", "--operation", "fine_tune")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("decision: deny (forbidden)")
    assert "rule contractors-no-training (forbid): match" in out
    assert "rule data-science (permit): no match" in out
    r = jg("policy", "explain", policy_file, "--subject", "alice", "--groups", "data-scientists",
           "--model", "support-llm", "--dataset", "claims", "--prompt", "download all", "--json")
    doc = json.loads(r.stdout)
    assert doc["decision"]["effect"] == "approval_required"
    assert doc["decision"]["approvers"] == ["security-leads"]
    assert {rule["id"] for rule in doc["rules"]} >= {"bulk-export-needs-approval", "data-science"}


def test_missing_file_is_one_line_error():
    r = jg("policy", "check", "/nonexistent/policy.json")
    assert r.returncode == 1
    assert r.stderr.decode().startswith("jitguard: error:") and r.stderr.count(b"\n") == 1
