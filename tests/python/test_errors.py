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


def test_policy_error_location_comes_from_the_message():
    e = jitguard.PolicyError("rules[3].prompt.patterns[0]: missing )", reason="invalid_pattern")
    assert e.location == "rules[3].prompt.patterns[0]"


def test_version_is_single_sourced():
    import importlib.metadata
    assert jitguard.__version__ == importlib.metadata.version("jitguard")
