"""PostgresAuditSink and verify_audit_table against a real PostgreSQL (tests/python/fixtures/postgres.py)."""
from __future__ import annotations

import threading

import pytest

import jitguard
from jitguard import AuditError

KEY = b"postgres python key, 32 bytes.."


def test_writers_chains_and_verification(postgres_server):
    dsn = postgres_server.dsn

    def replica(w):
        with jitguard.PostgresAuditSink(dsn, table="py_audit", writer_id=f"replica-{w}", hmac_key=KEY,
                                        batch_records=10, mask=False) as sink:
            for i in range(45):
                sink.write({"type": "inference.request", "session_id": f"s{w}", "i": i})
            assert sink.checkpoint().records == 45

    threads = [threading.Thread(target=replica, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    r = jitguard.verify_audit_table(dsn, table="py_audit", hmac_key=KEY)
    assert r.ok and bool(r) and r.records == 135
    assert sorted(r.writers) == ["replica-0", "replica-1", "replica-2"]
    assert all(w.records == 45 and w.ok for w in r.writers.values())
    # Reopening continues the writer's chain.
    with jitguard.PostgresAuditSink(dsn, table="py_audit", writer_id="replica-0", hmac_key=KEY, mask=False) as s:
        assert s.checkpoint().records == 45
        s.write({"type": "session.end"})
    assert jitguard.verify_audit_table(dsn, table="py_audit", hmac_key=KEY).writers["replica-0"].records == 46
    assert not jitguard.verify_audit_table(dsn, table="py_audit", hmac_key=b"wrong").ok


def test_append_only_and_tampering(postgres_server):
    dsn = postgres_server.dsn
    with jitguard.PostgresAuditSink(dsn, table="py_tamper", writer_id="w", hmac_key=KEY) as sink:
        for i in range(5):
            sink.write({"type": "policy.decision", "subject": "alice@example.com", "i": i})
    assert postgres_server.sql("DELETE FROM py_tamper").returncode != 0
    assert postgres_server.sql("UPDATE py_tamper SET type = 'x'").returncode != 0
    assert postgres_server.sql("TRUNCATE py_tamper").returncode != 0
    out = postgres_server.sql("SELECT record FROM py_tamper ORDER BY seq")
    assert "alice@example.com" not in out.stdout and "[EMAIL]" in out.stdout  # masked by default
    assert postgres_server.sql("ALTER TABLE py_tamper DISABLE TRIGGER USER").returncode == 0
    assert postgres_server.sql("UPDATE py_tamper SET record = replace(record, '\"i\":2', '\"i\":9') "
                               "WHERE seq = 3").returncode == 0
    r = jitguard.verify_audit_table(dsn, table="py_tamper", hmac_key=KEY)
    assert not r.ok
    w = r.writers["w"]
    assert (w.first_bad, w.reason, w.records) == (3, "bad_hash", 2)


def test_bad_options_and_unreachable(postgres_server):
    with pytest.raises(AuditError) as e:
        jitguard.PostgresAuditSink(postgres_server.dsn, table="x; drop table y")
    assert e.value.reason == "bad_options"
    with pytest.raises(AuditError) as e:
        jitguard.PostgresAuditSink("host=127.0.0.1 port=1 user=postgres password=hunter2 connect_timeout=2")
    assert e.value.reason == "io_error"
    assert "hunter2" not in str(e.value)


def test_batches_keep_every_byte_and_refuse_what_the_server_would(postgres_server):
    # Batches go in with COPY: tabs, newlines, backslashes and non-ASCII text must survive in every
    # column; a NUL (which no text column can hold) is refused up front and does not break the sink.
    dsn = postgres_server.dsn
    nasty = ["tab\there", "new\nline\r\n", "back\\slash", "\\N", "\\.", "caf\u00e9 \U0001F600"]
    with jitguard.PostgresAuditSink(dsn, table="py_copy", writer_id="w\t\\", hmac_key=KEY,
                                    batch_records=4, mask=False) as sink:
        for i, s in enumerate(nasty):
            sink.write({"type": "t." + s, "session_id": s, "prompt": s, "i": i})
        with pytest.raises(AuditError) as e:
            sink.write({"type": "session.end", "session_id": "a\0b"})
        assert e.value.reason == "bad_event"
        sink.write({"type": "session.end"})
        assert sink.checkpoint().records == len(nasty) + 1
    r = jitguard.verify_audit_table(dsn, table="py_copy", hmac_key=KEY)
    assert r.ok and r.records == len(nasty) + 1 and list(r.writers) == ["w\t\\"]
