import pytest

import jitguard
from jitguard import _core


@pytest.mark.parametrize(
    "domain,cls",
    [
        ("token", jitguard.TokenError),
        ("policy", jitguard.PolicyError),
        ("grant", jitguard.GrantError),
        ("approval", jitguard.ApprovalError),
        ("audit", jitguard.AuditError),
        ("mask", jitguard.MaskError),
        ("config", jitguard.ConfigError),
        ("access", jitguard.AccessDenied),
        ("internal", jitguard.Error),
    ],
)
def test_cpp_status_maps_to_its_exception_class(domain, cls):
    with pytest.raises(cls) as info:
        _core._raise_status(domain, "some_reason", "a human message")
    assert info.value.reason == "some_reason"
    assert info.value.code == "invalid_argument"
    assert "a human message" in str(info.value)
    assert isinstance(info.value, jitguard.Error)


def test_every_error_class_is_an_error_with_a_reason():
    for name in ["TokenError", "PolicyError", "GrantError", "ApprovalError", "AuditError",
                 "MaskError", "AccessDenied", "ApprovalRequired", "ConfigError"]:
        cls = getattr(jitguard, name)
        assert issubclass(cls, jitguard.Error)
        assert cls("m", reason="r").reason == "r"


def test_domain_and_fields_arrive_as_values():
    with pytest.raises(jitguard.PolicyError) as info:
        _core._raise_status("policy", "invalid_policy", "anything at all",
                            {"location": "rules[3].prompt.patterns[0]", "line": "8", "column": "28"})
    e = info.value
    assert e.domain == "policy"
    assert e.fields == {"location": "rules[3].prompt.patterns[0]", "line": "8", "column": "28"}
    assert (e.location, e.line, e.column) == ("rules[3].prompt.patterns[0]", 8, 28)
    with pytest.raises(jitguard.TokenError) as info:
        _core._raise_status("token", "expired", "the token expired")
    assert info.value.domain == "token" and info.value.fields == {}


def test_policy_error_location_is_a_field_not_parsed_from_the_message():
    e = jitguard.PolicyError("rules[3].prompt.patterns[0]: line 8, column 28: missing )",
                             reason="invalid_pattern")
    assert (e.location, e.line, e.column) == ("", None, None)
    e = jitguard.PolicyError("missing )", reason="invalid_pattern",
                             fields={"location": "rules[3].prompt.patterns[0]"})
    assert (e.location, e.line, e.column) == ("rules[3].prompt.patterns[0]", None, None)
    assert e.domain == "policy" and jitguard.AccessDenied().domain == "access"


def test_public_constructors_take_keywords_after_the_first_argument():
    key = b"k" * 32
    with pytest.raises(TypeError):
        jitguard.TokenVerifier('{"keys": []}', "https://issuer.example")
    with pytest.raises(TypeError):
        jitguard.GrantIssuer(key, "jitguard")
    with pytest.raises(TypeError):
        jitguard.GrantVerifier(key, "jitguard")
    with pytest.raises(TypeError):
        jitguard.MemoryReplayCache(16)
    with pytest.raises(TypeError):
        jitguard.RedisReplayCache("redis://127.0.0.1:1/0", 0.5)
    with pytest.raises(TypeError):
        jitguard.ApprovalStore.memory(16)
    with pytest.raises(TypeError):
        jitguard.ApprovalStore.redis("redis://127.0.0.1:1/0", 0.5)
    with pytest.raises(TypeError):
        jitguard.Masker(["EMAIL"], "redact")
    with pytest.raises(TypeError):
        jitguard.CallbackSink(print, print)
    with pytest.raises(TypeError):  # refused before anything is opened
        jitguard.FileAuditSink("/nonexistent/audit.log", key)
    with pytest.raises(TypeError):
        jitguard.PostgresAuditSink("host=127.0.0.1 port=1", "audit")
    with pytest.raises(TypeError):
        jitguard.AsyncAuditSink(jitguard.CallbackSink(print), 16)
    assert jitguard.GrantIssuer(key, issuer="me").issuer == "me"
    assert jitguard.Masker(["EMAIL"], style="redact").mask("a@b.example") == "*" * 11


def test_version_is_single_sourced():
    import importlib.metadata
    assert jitguard.__version__ == importlib.metadata.version("jitguard")
