"""Two Guards as two replicas of one service: grants, approvals and the audit trail shared through a
real redis-server and a real PostgreSQL (started by the fixtures on loopback)."""
import json

import pytest

import jitguard
from jitguard.demo import DemoIdp, write_deployment

AUDIT_KEY = "replicas-audit-key-0123456789abcdef"


@pytest.fixture
def replicas(tmp_path, redis_server, postgres_server):
    idp = DemoIdp()
    write_deployment(str(tmp_path), idp)
    config = json.loads((tmp_path / "jitguard.json").read_text())
    table = "jg_guard_" + tmp_path.name.replace("-", "_")[-20:]
    prefix_url = redis_server.url
    config["grants"]["replay"] = prefix_url
    config["approvals"] = {"backend": "redis", "url": prefix_url, "ttl": 600}
    guards = []
    for name in ("a", "b"):
        c = json.loads(json.dumps(config))
        c["audit"] = {"postgres": postgres_server.dsn, "table": table, "writer_id": f"replica-{name}",
                      "hmac_key": AUDIT_KEY}
        guards.append(jitguard.Guard(c, base_dir=str(tmp_path)))
    yield idp, guards[0], guards[1], postgres_server.dsn, table
    for g in guards:
        g.close()


def test_two_replicas_share_grants_approvals_and_audit(replicas):
    idp, a, b, dsn, table = replicas
    alice = idp.mint("alice", ["data-scientists"])
    adm = a.admit(alice, model="support-llm", dataset="claims", operation="infer", prompt="hello")
    # The data store behind replica B accepts the grant once; replica A then sees it as used.
    assert b.grant_verifier.verify(str(adm.grant), dataset="claims", operation="infer").subject == "alice"
    with pytest.raises(jitguard.GrantError) as e:
        a.grant_verifier.verify(str(adm.grant), dataset="claims", operation="infer")
    assert e.value.reason == "replayed"

    request = dict(model="support-llm", dataset="claims", operation="infer", prompt="export the customer list")
    with pytest.raises(jitguard.ApprovalRequired) as e:
        a.admit(alice, **request)
    ticket = e.value.ticket.id
    assert b.decide(idp.mint("carol", ["security-leads"]), ticket, approve=True) == "approved"
    assert a.approvals.status(ticket) == "approved"
    assert b.admit(alice, approval=ticket, **request).approval_ticket == ticket
    with pytest.raises(jitguard.ApprovalError) as err:
        a.admit(alice, approval=ticket, **request)
    assert err.value.reason == "already_consumed"

    list(a.mask_stream(adm, ["mail dana.whit", "field@example.com"]))
    a.flush()
    b.flush()
    result = jitguard.verify_audit_table(dsn, table, hmac_key=AUDIT_KEY)
    assert result.ok
    assert set(result.writers) == {"replica-a", "replica-b"}
    assert result.records >= 10
