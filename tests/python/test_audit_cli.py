"""The ``jitguard audit`` command group, run as a real console script process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import jitguard

KEY = b"cli audit key, thirty-two bytes!"


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jitguard.cli", "audit", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def make_log(path, n=12):
    with jitguard.FileAuditSink(path, hmac_key=KEY, mask=False, max_file_bytes=1500) as sink:
        for i in range(n):
            sink.write({"type": "inference.request", "session_id": "even" if i % 2 == 0 else "odd", "i": i})
        return sink.checkpoint()


def test_verify_ok_and_tampered(tmp_path):
    good, bad = tmp_path / "good.log", tmp_path / "bad.log"
    cp = make_log(good)
    make_log(bad)
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY + b"\n")
    r = run("verify", str(good), "--key-file", str(key_file), "--checkpoint", str(cp))
    assert r.returncode == 0, r.stderr
    assert "ok, 12 records" in r.stdout
    assert '"i":11' in bad.read_text()  # the newest record is in the active file
    bad.write_text(bad.read_text().replace('"i":11', '"i":99'))
    r = run("verify", str(good), str(bad), "--key-env", "JG_KEY", env={"JG_KEY": KEY.decode()})
    assert r.returncode == 1
    assert f"{good}: ok" in r.stdout
    assert f"{bad}: FAILED at record 12" in r.stdout and "bad_hash" in r.stdout
    r = run("verify", str(tmp_path / "missing.log"))
    assert r.returncode == 1 and "not_found" in r.stderr


def test_replay_session(tmp_path):
    log = tmp_path / "audit.log"
    make_log(log)
    r = run("replay", str(log), "--session", "odd")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["i"] for x in recs] == [1, 3, 5, 7, 9, 11]
    r = run("replay", str(log), "--session", "nobody")
    assert r.returncode == 1
    first = jitguard.audit_log_files(log)[0]  # rotated: record i=1 lives in audit.log.1
    text = open(first).read()
    assert '"i":1,' in text
    open(first, "w").write(text.replace('"i":1,', '"i":2,'))
    (tmp_path / "k").write_bytes(KEY)
    r = run("replay", str(log), "--session", "odd", "--key-file", str(tmp_path / "k"))
    assert r.returncode == 1 and "does not verify" in r.stderr
