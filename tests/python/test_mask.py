"""jitguard.Masker: one-shot masking, findings and offsets, styles, rules, JSON, errors."""
import json
import re
import threading

import pytest

import jitguard
from jitguard import Finding, Masker

EMAIL = "bob.smith@example.com"
PHONE = "(415) 555-0132"
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def masker():
    return Masker()


def test_entities_are_the_builtin_names_in_priority_order():
    assert jitguard.ENTITIES == ("EMAIL", "PHONE", "US_SSN", "NATIONAL_ID", "DATE_OF_BIRTH",
                                 "CREDIT_CARD", "CRYPTO_WALLET", "IPV4", "IPV6", "MAC_ADDRESS",
                                 "IBAN", "AWS_ACCESS_KEY", "API_KEY", "JWT", "PRIVATE_KEY")
    # MAC_ADDRESS, NATIONAL_ID, DATE_OF_BIRTH and CRYPTO_WALLET are off by default.
    assert Masker().entities == [e for e in jitguard.ENTITIES
                                 if e not in ("MAC_ADDRESS", "NATIONAL_ID", "DATE_OF_BIRTH",
                                              "CRYPTO_WALLET")]
    assert Masker(entities=["DATE_OF_BIRTH"]).mask("DOB: 1985-03-14") == "DOB: [DATE_OF_BIRTH]"
    assert Masker(entities=["NATIONAL_ID"]).mask("DNI 12345678Z") == "DNI [NATIONAL_ID]"
    assert Masker(entities=["MAC_ADDRESS"]).mask("nic 00:1a:2b:3c:4d:5e") == "nic [MAC_ADDRESS]"
    assert Masker(entities=["EMAIL"]).entities == ["EMAIL"]


def test_mask_str_gives_str(masker):
    out = masker.mask(f"Mail {EMAIL} or call {PHONE}, card {CARD}.")
    assert out == "Mail [EMAIL] or call [PHONE], card [CREDIT_CARD]."
    assert isinstance(out, str)


def test_mask_bytes_like_gives_bytes(masker):
    text = f"mail {EMAIL} now".encode()
    for value in (text, bytearray(text), memoryview(text)):
        out = masker.mask(value)
        assert out == b"mail [EMAIL] now"
        assert isinstance(out, bytes)


def test_mask_rejects_other_types(masker):
    with pytest.raises(TypeError):
        masker.mask(12345)


def test_clean_text_is_unchanged(masker):
    text = ("Version 1.2.3 shipped on 2024-03-15 at 12:30:45; order #4521987 cost $1,299.99, "
            "build 3f9a1c2b, id 550e8400-e29b-41d4-a716-446655440000, ZIP 94105.")
    assert masker.mask(text) == text
    assert masker.find(text) == []


def test_invalid_utf8_and_nul_pass_through(masker):
    data = b"\xff\x00abc " + EMAIL.encode() + b" \xfe\xc3 tail\x00"
    assert masker.mask(data) == b"\xff\x00abc [EMAIL] \xfe\xc3 tail\x00"


def test_find_returns_findings_without_text(masker):
    text = f"a {EMAIL} b"
    [f] = masker.find(text)
    assert isinstance(f, Finding)
    assert (f.entity, f.start, f.end) == ("EMAIL", 2, 2 + len(EMAIL))
    assert f.rule
    assert Finding._fields == ("entity", "start", "end", "rule")
    assert EMAIL not in repr(f)


def test_find_offsets_are_str_indices_for_str_and_bytes_for_bytes(masker):
    values = [EMAIL, PHONE, "AKIAIOSFODNN7EXAMPLE", "10.20.30.40", "2001:db8::8a2e:370:7334"]
    text = (f"Zoë — café ✅ {values[0]} 東京の担当者 {values[1]} Ангелина {values[2]} "
            f"naïve {values[3]} 😀😀 {values[4]} fin")
    found = masker.find(text)
    assert [text[f.start:f.end] for f in found] == values
    data = text.encode()
    found_b = masker.find(data)
    assert [data[f.start:f.end] for f in found_b] == [v.encode() for v in values]
    assert [f.entity for f in found] == [f.entity for f in found_b] == [
        "EMAIL", "PHONE", "AWS_ACCESS_KEY", "IPV4", "IPV6"]


def test_mask_with_counts(masker):
    out, counts = masker.mask_with_counts(f"{EMAIL} {EMAIL} {PHONE}")
    assert out == "[EMAIL] [EMAIL] [PHONE]"
    assert counts == {"EMAIL": 2, "PHONE": 1}


def test_style_redact_is_one_star_per_character():
    m = Masker(style="redact")
    assert m.style == "redact"
    assert m.mask(f"x {EMAIL} y") == f"x {'*' * len(EMAIL)} y"


def test_style_partial_keeps_last_four():
    m = Masker(style="partial")
    out = m.mask(f"card {CARD}.")
    assert out == "card " + "*" * (len(CARD) - 4) + CARD[-4:] + "."


def test_style_hash_is_stable_per_key():
    a1 = Masker(style="hash", hash_key=b"k" * 32)
    a2 = Masker(style="hash", hash_key="k" * 32)
    b = Masker(style="hash", hash_key=b"z" * 32)
    out = a1.mask(EMAIL)
    assert re.fullmatch(r"\[EMAIL:[0-9a-f]{8}\]", out)
    assert a2.mask(EMAIL) == out
    assert b.mask(EMAIL) != out
    assert a1.mask("other.person@example.com") != out


def test_style_hash_needs_a_key():
    with pytest.raises(jitguard.MaskError) as e:
        Masker(style="hash")
    assert e.value.reason == "missing_hash_key"


def test_bad_style_is_a_config_error():
    with pytest.raises(jitguard.ConfigError) as e:
        Masker(style="sparkles")
    assert e.value.reason == "bad_style"
    with pytest.raises(TypeError):
        Masker(style=None)


def test_bad_regex_names_the_rule():
    with pytest.raises(jitguard.MaskError) as e:
        Masker(custom=[{"name": "EMPLOYEE_ID", "regex": r"EMP-(\d{6}"}])
    assert e.value.reason == "bad_regex"
    assert "EMPLOYEE_ID" in str(e.value)


def test_empty_config_is_an_error():
    with pytest.raises(jitguard.MaskError) as e:
        Masker(entities=[])
    assert e.value.reason == "empty_config"


def test_unknown_entity_is_an_error():
    with pytest.raises(jitguard.MaskError) as e:
        Masker(entities=["EMAIL", "SHOE_SIZE"])
    assert e.value.reason == "unknown_entity"
    assert "SHOE_SIZE" in str(e.value)
    with pytest.raises(TypeError):
        Masker(entities="EMAIL")


def test_malformed_custom_rule_is_an_error():
    with pytest.raises(jitguard.MaskError) as e:
        Masker(custom=[{"name": "X", "regex": "x", "colour": "red"}])
    assert e.value.reason == "bad_rule"
    with pytest.raises(jitguard.ConfigError) as e:
        Masker(custom=[{"name": "X", "regex": "x", "validator": "crc32"}])
    assert e.value.reason == "bad_validator"


def test_custom_rule_with_validator_and_context():
    m = Masker(entities=[], custom=[
        {"name": "EMPLOYEE_ID", "regex": r"EMP-\d{6}"},
        {"name": "ACCOUNT", "regex": r"\d{12}", "validator": "luhn"},
        {"name": "BADGE", "regex": r"\d{5}", "context": ["badge"]},
    ])
    assert m.entities == ["EMPLOYEE_ID", "ACCOUNT", "BADGE"]
    assert m.mask("ask EMP-123456 today") == "ask [EMPLOYEE_ID] today"
    # 123456789015 is Luhn-valid, 123456789012 is not.
    assert m.mask("acct 123456789015 and 123456789012") == "acct [ACCOUNT] and 123456789012"
    filler = " and then, much later in the same long line of text, the room number:"
    assert m.mask(f"badge 48213{filler} 48213") == f"badge [BADGE]{filler} 48213"
    [f] = m.find("EMP-000001")
    assert (f.entity, f.rule) == ("EMPLOYEE_ID", "EMPLOYEE_ID")


def test_term_lists_are_case_insensitive_whole_words():
    m = Masker(terms={"PROJECT": ["bluebird", "night jar"]})
    assert m.mask("Project Bluebird and NIGHT  JAR ship; bluebirds do not.") == \
        "Project [PROJECT] and [PROJECT] ship; bluebirds do not."
    assert "PROJECT" in m.entities


def test_large_term_list_compiles_and_scans():
    terms = [f"codename{i:06d}" for i in range(100_000)]
    m = Masker(entities=[], terms={"CODENAME": terms})
    text = "We shipped codename004217 and codename099999 but not codename1000000."
    assert m.mask(text) == "We shipped [CODENAME] and [CODENAME] but not codename1000000."


def test_allowlist_values_pass_through():
    m = Masker(allowlist=["support@example.com"])
    assert m.mask(f"support@example.com or {EMAIL}") == "support@example.com or [EMAIL]"


def test_mask_json_masks_keys_and_strings_keeps_shape():
    m = Masker(json_keys=["password", "SSN"])
    doc = json.dumps({"user": {"Password": "hunter2", "note": f"mail \"{EMAIL}\"\n", "ssn": 123456789,
                               "tags": ["ok", PHONE], "n": 3, "flag": True, "none": None}})
    out = m.mask_json(doc)
    assert isinstance(out, str)
    parsed = json.loads(out)
    assert parsed["user"]["note"] == "mail \"[EMAIL]\"\n"
    assert parsed["user"]["Password"] != "hunter2" and "hunter2" not in out
    assert "123456789" not in out
    assert parsed["user"]["tags"] == ["ok", "[PHONE]"]
    assert (parsed["user"]["n"], parsed["user"]["flag"], parsed["user"]["none"]) == (3, True, None)
    assert set(parsed["user"]) == {"Password", "note", "ssn", "tags", "n", "flag", "none"}
    # bytes in, bytes out; objects in, objects out
    assert json.loads(m.mask_json(doc.encode())) == parsed
    assert m.mask_json(json.loads(doc)) == parsed


def test_mask_json_rejects_invalid_json():
    m = Masker()
    for bad in ('{"a": ', "{'a': 1}", f'{{"email": "{EMAIL}"}} trailing'):
        with pytest.raises(jitguard.MaskError) as e:
            m.mask_json(bad)
        assert e.value.reason == "invalid_json"
        assert EMAIL not in str(e.value)


def test_large_input_and_threads(masker):
    block = f"Contact {EMAIL} or {PHONE}; build 1.2.3 on 2024-01-02. Café ✅\n"
    text = block * 100_000  # ~7 MB
    expected_block = masker.mask(block)
    out = masker.mask(text)
    assert out == expected_block * 100_000
    results = [None] * 4

    def work(i):
        results[i] = masker.mask(text)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == out for r in results)
