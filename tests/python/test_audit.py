"""jitguard's audit API from Python: sinks, verification, tampering, replay, masking."""
from __future__ import annotations

import datetime as dt
import json
import os
import threading

import pytest

import jitguard
from jitguard import AuditError

KEY = b"python audit key of thirty-two b"


def event(i: int, session: str = "s-1", **extra):
    e = {"type": "policy.decision", "session_id": session, "request_id": f"r-{i}", "subject": "alice",
         "groups": ["analysts"], "model": "llama-3", "dataset": "claims", "operation": "infer",
         "decision": "permit", "rules": ["allow-analysts"], "gen_ai.usage.input_tokens": i,
         "time": 1_800_000_000 + i}
    e.update(extra)
    return e


def write_log(path, n=20, key=KEY, **kw):
    kw.setdefault("mask", False)
    with jitguard.FileAuditSink(path, hmac_key=key, fsync="never", **kw) as sink:
        for i in range(1, n + 1):
            sink.write(event(i))
        return sink.checkpoint()


def lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def rewrite(path, new_lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in new_lines))


def test_names_are_exported():
    for name in ["FileAuditSink", "PostgresAuditSink", "AsyncAuditSink", "TeeSink", "CallbackSink",
                 "verify_audit_log", "verify_audit_table", "read_audit_log", "AuditError", "AuditCheckpoint"]:
        assert hasattr(jitguard, name), name
        assert name in jitguard.__all__


def test_write_verify_checkpoint(tmp_path):
    path = tmp_path / "audit.log"
    cp = write_log(path)
    assert cp.records == 20 and len(cp.head) == 64
    r = jitguard.verify_audit_log(path, hmac_key=KEY, checkpoint=cp)
    assert r.ok and bool(r)
    assert (r.records, r.first_bad, r.reason, r.torn_tail) == (20, None, "", False)
    assert r.head == cp
    # A checkpoint survives a round trip through text.
    assert jitguard.AuditCheckpoint.parse(str(cp)) == cp
    assert jitguard.verify_audit_log(str(path), KEY, str(cp)).ok
    first = json.loads(lines(path)[0])
    assert list(first)[:4] == ["seq", "time", "type", "session_id"]
    assert list(first)[-2:] == ["prev", "hash"]
    assert first["time"] == "2027-01-15T08:00:01.000000Z"
    assert first["gen_ai.request.model"] == "llama-3"
    assert first["prev"] == "0" * 64


def test_datetime_and_default_time(tmp_path):
    path = tmp_path / "audit.log"
    with jitguard.FileAuditSink(path, mask=False) as sink:
        sink.write({"type": "session.start", "time": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)})
        sink.write({"type": "session.end"})
    recs = list(jitguard.read_audit_log(path))
    assert recs[0]["time"] == "2026-01-02T03:04:05.678901Z"
    stamped = dt.datetime.strptime(recs[1]["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    assert abs((stamped - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60


@pytest.mark.parametrize("tamper,first_bad,reason", [
    (lambda ls: ls.__setitem__(4, ls[4].replace('"alice"', '"mallory"')), 5, "bad_hash"),
    (lambda ls: ls.pop(7), 8, "bad_seq"),
    (lambda ls: ls.insert(8, ls[7]), 9, "bad_seq"),
    (lambda ls: ls.insert(3, ls.pop(4)), 4, "bad_seq"),
    (lambda ls: [ls.pop(0) for _ in range(2)], 1, "bad_start"),
    (lambda ls: ls.insert(2, "{}"), 3, "malformed"),
])
def test_tampering_is_detected(tmp_path, tamper, first_bad, reason):
    path = tmp_path / "audit.log"
    write_log(path)
    ls = lines(path)
    tamper(ls)
    rewrite(path, ls)
    r = jitguard.verify_audit_log(path, KEY)
    assert not r.ok
    assert (r.first_bad, r.reason, r.records) == (first_bad, reason, first_bad - 1)
    assert r.file == str(path)


def test_wrong_key_truncation_and_torn_tail(tmp_path):
    path = tmp_path / "audit.log"
    cp = write_log(path)
    r = jitguard.verify_audit_log(path, b"another key")
    assert (r.ok, r.first_bad, r.reason) == (False, 1, "bad_hash")
    rewrite(path, lines(path)[:15])
    assert jitguard.verify_audit_log(path, KEY).ok
    r = jitguard.verify_audit_log(path, KEY, checkpoint=cp)
    assert (r.ok, r.first_bad, r.reason, r.records) == (False, 16, "truncated", 15)
    with open(path, "a") as f:
        f.write('{"seq":16,"ti')
    r = jitguard.verify_audit_log(path, KEY)
    assert r.ok and r.torn_tail and r.records == 15
    # Reopening repairs the torn line and continues the chain.
    with jitguard.FileAuditSink(path, hmac_key=KEY, mask=False) as sink:
        assert sink.checkpoint().records == 15
        sink.write(event(16))
    r = jitguard.verify_audit_log(path, KEY)
    assert r.ok and not r.torn_tail and r.records == 16


def test_rotation_and_session_replay(tmp_path):
    path = tmp_path / "audit.log"
    with jitguard.FileAuditSink(path, hmac_key=KEY, fsync="batch", max_file_bytes=3000, mask=False) as sink:
        for i in range(1, 61):
            sink.write(event(i, session="a" if i % 3 else "b"))
    files = jitguard.audit_log_files(path)
    assert len(files) > 3 and files[0].endswith("audit.log.1") and files[-1] == str(path)
    assert jitguard.verify_audit_log(path, KEY).records == 60
    b = list(jitguard.read_audit_log(path, session_id="b"))
    assert [r["seq"] for r in b] == list(range(3, 61, 3))
    assert all(r["session_id"] == "b" for r in b)
    assert len(list(jitguard.read_audit_log(path))) == 60
    assert jitguard.verify_audit_log(files, KEY).records == 60  # an explicit list of files
    assert jitguard.verify_audit_log(files[::-1], KEY).reason == "bad_start"
    os.remove(files[1])
    r = jitguard.verify_audit_log(path, KEY)
    assert not r.ok and r.reason == "bad_seq"


def test_masking_is_on_by_default(tmp_path):
    path = tmp_path / "audit.log"
    with jitguard.FileAuditSink(path) as sink:
        sink.write({"type": "inference.request", "subject": "alice@example.com",
                    "prompt": "ssn 123-45-6789 card 4111 1111 1111 1111",
                    "findings": {"EMAIL": 1, "note": "call 212-555-0142"}, "tags": ["bob@example.org"]})
    text = open(path).read()
    for raw in ["alice@example.com", "123-45-6789", "4111 1111 1111 1111", "212-555-0142", "bob@example.org"]:
        assert raw not in text
    assert "[EMAIL]" in text and "[US_SSN]" in text
    rec = next(jitguard.read_audit_log(path))
    assert rec["findings"]["EMAIL"] == 1
    path2 = tmp_path / "only-email.log"
    with jitguard.FileAuditSink(path2, mask=["EMAIL"], mask_style="redact") as sink:
        sink.write({"type": "inference.request", "prompt": "alice@example.com 123-45-6789"})
    text = open(path2).read()
    assert "alice@example.com" not in text and "123-45-6789" in text


def test_a_masker_can_be_the_sinks_masker(tmp_path):
    # A custom rule and the hash style exist only on a Masker: the sink uses it as is.
    masker = jitguard.Masker(custom=[{"name": "EMPLOYEE_ID", "regex": r"EMP-\d{6}"}], style="hash",
                             hash_key=b"k" * 32)
    path = tmp_path / "custom.log"
    with jitguard.FileAuditSink(path, hmac_key=KEY, mask=masker) as sink:
        sink.write({"type": "inference.request", "prompt": "EMP-123456 wrote to alice@example.com"})
    text = open(path).read()
    assert "EMP-123456" not in text and "alice@example.com" not in text
    prompt = next(jitguard.read_audit_log(path))["prompt"]
    assert prompt == masker.mask("EMP-123456 wrote to alice@example.com")
    assert jitguard.verify_audit_log(path, KEY).ok
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.FileAuditSink(tmp_path / "x.log", mask=masker, mask_style="redact")
    assert e.value.reason == "conflicting_keys"
    with pytest.raises(TypeError):
        jitguard.FileAuditSink(tmp_path / "y.log", mask="EMAIL")


def test_value_kinds_and_bad_events(tmp_path):
    path = tmp_path / "audit.log"
    with jitguard.FileAuditSink(path, mask=False) as sink:
        sink.write({"type": "inference.response", "n": None, "ok": True, "ratio": 0.5, "count": 2 ** 40,
                    "list": ["x", "y"], "obj": {"a": {"b": 1}}, "gen_ai.response.finish_reasons": ["stop"]})
        for bad in [{}, {"type": ""}, {"type": "x", "hash": "1"}, {"type": "x", "seq": 3},
                    {"type": "x", "l": [1, 2]}, {"type": "x", "o": object()}, {"type": "x", "f": float("nan")},
                    {"type": "x", "subject": 5}]:
            with pytest.raises(AuditError) as e:
                sink.write(bad)
            assert e.value.reason == "bad_event", bad
        assert sink.checkpoint().records == 1
    rec = next(jitguard.read_audit_log(path))
    assert rec["n"] is None and rec["ok"] is True and rec["ratio"] == 0.5 and rec["count"] == 2 ** 40
    assert rec["list"] == ["x", "y"] and rec["obj"] == {"a": {"b": 1}}
    with pytest.raises(AuditError) as e:
        sink.write({"type": "x"})
    assert e.value.reason == "closed"


def test_errors(tmp_path):
    with pytest.raises(AuditError) as e:
        jitguard.verify_audit_log(tmp_path / "missing.log")
    assert e.value.reason == "not_found"
    with pytest.raises(jitguard.Error):
        jitguard.FileAuditSink(tmp_path / "x.log", fsync="sometimes")
    with pytest.raises(AuditError) as e:
        jitguard.FileAuditSink(tmp_path / "no" / "dir" / "x.log")
    write_log(tmp_path / "k.log")
    with pytest.raises(AuditError) as e:
        jitguard.FileAuditSink(tmp_path / "k.log", hmac_key=b"other", mask=False)
    assert e.value.reason == "corrupt_tail"
    with pytest.raises(AuditError) as e:
        jitguard.verify_audit_log(tmp_path / "k.log", KEY, checkpoint="12:nothex")
    assert e.value.reason == "bad_checkpoint"


def test_callback_tee_and_async(tmp_path):
    seen = []
    flushed = []
    cb = jitguard.CallbackSink(seen.append, flush=lambda: flushed.append(1))
    a = jitguard.FileAuditSink(tmp_path / "a.log", mask=False, fsync="never")
    b = jitguard.FileAuditSink(tmp_path / "b.log", mask=False, fsync="never")
    tee = jitguard.TeeSink([a, b, cb])
    sink = jitguard.AsyncAuditSink(tee, capacity=8)
    threads = [threading.Thread(target=lambda t=t: [sink.write({"type": "x.y", "t": t, "i": i})
                                                     for i in range(50)]) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.flush()
    assert sink.counters() == {"queue_depth": 0, "written": 200, "errors": 0}
    assert flushed
    assert len(seen) == 200 and seen[0]["type"] == "x.y" and seen[0]["time"].endswith("Z")
    sink.close()
    assert open(tmp_path / "a.log").read() == open(tmp_path / "b.log").read()
    assert jitguard.verify_audit_log(tmp_path / "a.log").records == 200
    assert sink.name == "async" and tee.name == "tee" and cb.name == "callback" and a.name == "file"


def test_callback_exception_becomes_audit_error():
    def boom(_event):
        raise RuntimeError("secret@example.com")

    sink = jitguard.CallbackSink(boom)
    with pytest.raises(AuditError) as e:
        sink.write({"type": "x"})
    assert e.value.reason == "callback_failed"
    assert "secret@example.com" not in str(e.value)


def test_async_queue_full_errors(tmp_path):
    gate = threading.Event()
    sink = jitguard.AsyncAuditSink(jitguard.CallbackSink(lambda e: gate.wait(10)), capacity=2,
                                   on_full="error", full_timeout=0.01)
    outcomes = []
    for i in range(8):
        try:
            sink.write({"type": "x", "i": i})
            outcomes.append("ok")
        except AuditError as e:
            outcomes.append(e.reason)
    assert "queue_full" in outcomes and outcomes.count("ok") in (2, 3)
    assert sink.counters()["errors"] == outcomes.count("queue_full")
    gate.set()
    sink.close()
    with pytest.raises(jitguard.Error):
        jitguard.AsyncAuditSink(jitguard.CallbackSink(print), on_full="drop")
