"""Approvals from Python, for the memory and the Redis store (a real redis-server)."""
from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import jitguard
from jitguard import ApprovalError

NOW = 1_800_000_000.0
DIGEST = jitguard.request_digest("alice", "gpt-x", "hr", "export", "all salaries")


@pytest.fixture(params=["memory", "redis"])
def store(request, redis_server):
    if request.param == "memory":
        return jitguard.ApprovalStore.memory()
    return jitguard.ApprovalStore.redis(redis_server.url, timeout=0.5)


def _file(store, min_approvals=1, ttl=1800):
    return store.request("alice", DIGEST, "quarterly audit", ["security", "hr-leads"], ttl,
                         min_approvals=min_approvals, now=NOW)


def _reason(fn, *args, **kwargs):
    with pytest.raises(ApprovalError) as e:
        fn(*args, **kwargs)
    return e.value.reason


def test_request_digest_is_canonical():
    # Same vector as the C++ test (Python hashlib + struct, tag first).
    assert jitguard.request_digest("alice", "gpt-x", "hr", "infer", "export all salaries") == \
        "fe43b1a101280f43f174f2da31c45ea91ffc4e2e87c3b0e16dc89ef886fd4da6"
    assert jitguard.request_digest("ab", "c", "d", "e", "f") != jitguard.request_digest("a", "bc", "d", "e", "f")
    assert jitguard.request_digest("a", None, None, "op", None) == jitguard.request_digest("a", "", "", "op", "")


def test_approve_and_consume_once(store):
    t = _file(store)
    assert t.state == "pending" and len(t.id) == 32 and t.expires_at == NOW + 1800
    d = store.decide(t.id, "bob", ["security"], approve=True, comment="ok", now=NOW + 1)
    assert d.state == "approved" and d.decided_at == NOW + 1
    assert [(x.approver, x.groups, x.approve, x.comment) for x in d.decisions] == [
        ("bob", ["security"], True, "ok")]
    assert store.status(t.id, now=NOW + 2) == "approved"
    got = store.get(t, now=NOW + 2)
    assert (got.subject, got.request_digest, got.reason, got.approver_groups) == (
        "alice", DIGEST, "quarterly audit", ["security", "hr-leads"])
    assert store.consume(t.id, DIGEST, now=NOW + 3).state == "consumed"
    assert store.status(t.id, now=NOW + 4) == "consumed"
    assert _reason(store.consume, t.id, DIGEST, now=NOW + 4) == "already_consumed"


def test_rules(store):
    t = _file(store, min_approvals=2)
    assert _reason(store.decide, t.id, "alice", ["security"], now=NOW) == "self_approval"
    assert _reason(store.decide, t.id, "mallory", ["engineering"], now=NOW) == "not_an_approver"
    store.decide(t.id, "bob", ["security"], now=NOW)
    assert store.status(t.id, now=NOW) == "pending"
    assert _reason(store.decide, t.id, "bob", ["security"], now=NOW) == "duplicate_approver"
    assert _reason(store.consume, t.id, DIGEST, now=NOW) == "not_approved"
    store.decide(t.id, "carol", ["hr-leads"], approve=False, now=NOW)  # any denial is final
    assert store.status(t.id, now=NOW) == "denied"
    assert _reason(store.decide, t.id, "dave", ["security"], now=NOW) == "already_decided"
    assert _reason(store.consume, t.id, DIGEST, now=NOW) == "denied"

    t = _file(store)
    store.decide(t.id, "bob", ["security"], now=NOW)
    assert _reason(store.decide, t.id, "carol", ["security"], approve=False, now=NOW) == "already_decided"
    other = jitguard.request_digest("alice", "gpt-x", "hr", "export", "all salaries!")
    assert _reason(store.consume, t.id, other, now=NOW) == "digest_mismatch"
    assert store.status(t.id, now=NOW) == "approved"   # a mismatch does not spend it
    assert _reason(store.consume, t.id, DIGEST, now=NOW + 600) == "expired"  # access window 600 s

    t = _file(store, ttl=60)
    assert store.status(t.id, now=NOW + 60) == "expired"
    assert _reason(store.decide, t.id, "bob", ["security"], now=NOW + 61) == "expired"
    assert _reason(store.get, "0" * 32, now=NOW) == "not_found"
    assert _reason(store.request, "alice", "not-a-digest", "r", ["g"], 60, now=NOW) == "invalid_request"


def test_eight_threads_consume_one_approval(store):
    for _ in range(5):
        t = _file(store)
        store.decide(t.id, "bob", ["security"], now=NOW)
        results = []
        barrier = threading.Barrier(8)

        def run():
            barrier.wait()
            try:
                store.consume(t.id, DIGEST, now=NOW)
                results.append("ok")
            except ApprovalError as e:
                results.append(e.reason)

        workers = [threading.Thread(target=run) for _ in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert sorted(results) == ["already_consumed"] * 7 + ["ok"]


def test_two_processes_share_tickets(redis_server):
    store = jitguard.ApprovalStore.redis(redis_server.url)
    t = _file(store)
    child = (
        "import jitguard\n"
        f"s = jitguard.ApprovalStore.redis({redis_server.url!r})\n"
        f"s.decide({t.id!r}, 'bob', ['security'], now={NOW!r})\n"
        f"s.consume({t.id!r}, {DIGEST!r}, now={NOW!r})\n")
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert store.status(t.id, now=NOW) == "consumed"
    assert _reason(store.consume, t.id, DIGEST, now=NOW) == "already_consumed"


def test_redis_outage_fails_closed(fresh_redis_server):
    store = jitguard.ApprovalStore.redis(fresh_redis_server.url)
    t = _file(store)
    fresh_redis_server.stop()
    with pytest.raises(ApprovalError) as e:
        store.decide(t.id, "bob", ["security"], now=NOW)
    assert e.value.reason == "approval_store_unavailable" and e.value.code == "unavailable"
    fresh_redis_server.restart()
    t = _file(store)
    assert store.decide(t.id, "bob", ["security"], now=NOW).state == "approved"


def test_audit_events():
    events = []
    store = jitguard.ApprovalStore.memory(audit=events.append)
    t = _file(store)
    with pytest.raises(ApprovalError):
        store.decide(t.id, "alice", ["security"], now=NOW)
    store.decide(t.id, "bob", ["security"], now=NOW)
    store.consume(t.id, DIGEST, now=NOW)
    assert [e["type"] for e in events] == ["approval.requested", "approval.decided", "approval.decided",
                                           "approval.consumed"]
    assert events[1]["reason"] == "self_approval"
    assert events[2]["approver"] == "bob" and events[2]["state"] == "approved"
    assert all(e["ticket_id"] == t.id for e in events)


def test_construction():
    assert jitguard.ApprovalStore.memory().name == "memory"
    assert jitguard.ApprovalStore.redis("redis://127.0.0.1:1/0").name == "redis"
    with pytest.raises(jitguard.ConfigError) as e:
        jitguard.ApprovalStore.redis("nope")
    assert e.value.reason == "invalid_url"
