"""The demo end to end: `python -m jitguard.demo` in a subprocess, its transcript and its artefacts."""
import json
import subprocess
import sys

import jitguard


def test_demo_runs_end_to_end(tmp_path):
    r = subprocess.run([sys.executable, "-m", "jitguard.demo", "--workdir", str(tmp_path)],
                       capture_output=True, timeout=120)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    lines = out.splitlines()
    # 1: streamed answer masked live (the email was split across chunks)
    stream = [line for line in lines if line.strip().startswith("stream>")]
    assert len(stream) >= 3
    assert "dana.whit" not in "".join(stream) and "[EMAIL]" in "".join(stream)
    assert "the client never saw the email: True" in out
    # 2: forbidden operation
    assert "denied (forbidden) by rule contractors-no-training" in out
    # 3: approval
    assert "approval required: ticket" in out
    assert "refused (self_approval)" in out
    assert "retried with the ticket: admitted" in out
    assert "the same ticket again: refused (already_consumed)" in out
    # 4: replay
    assert "replay: refused (replayed)" in out
    # 5: tokens
    assert "rejected (audience)" in out
    # 6: audit
    assert "hash chain and HMAC verified: ok" in out
    assert "raw PII in the log: none" in out
    assert "rejected (bad_hash)" in out
    assert 'jitguard_decisions_total{effect="deny"} 1' in out
    assert lines[-1] == "demo: every check passed"

    # The artefacts are real: the log verifies with the key the demo wrote, and holds no raw PII.
    key = (tmp_path / "audit.key").read_text().strip().encode()
    result = jitguard.verify_audit_log(str(tmp_path / "audit.jsonl"), hmac_key=key)
    assert result.ok and result.records >= 15
    log = (tmp_path / "audit.jsonl").read_text()
    assert "dana.whitfield@example.com" not in log and "4111 1111 1111 1111" not in log
    types = {json.loads(line)["type"] for line in log.splitlines()}
    assert {"policy.decision", "grant.issued", "approval.requested", "approval.consumed",
            "inference.response", "token.rejected"} <= types


def test_jitguard_demo_command(tmp_path):
    r = subprocess.run([sys.executable, "-m", "jitguard.cli", "demo", "--quiet", "--workdir", str(tmp_path)],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b""
    assert (tmp_path / "audit.jsonl").exists()
