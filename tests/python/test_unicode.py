"""Unicode evasion through the Python API: jitguard.Masker, jitguard.Policy and jitguard.Guard match
through the folded view (zero-width characters, soft hyphens, fullwidth forms, Unicode spaces,
digits and dashes, Cyrillic look-alikes, combining marks), while the output keeps the original text
and find() reports str offsets into the ORIGINAL string."""
import re

import pytest

import jitguard
from jitguard.demo import DemoIdp, write_deployment

ZWSP, SHY, NBSP, NNBSP, EN_DASH, MINUS, ACUTE = "\u200b", "\u00ad", "\u00a0", "\u202f", "\u2013", "\u2212", "\u0301"
BEFORE = "Bitte beachten:\u00a0Kontakt für Rückfragen "
AFTER = " (danke), 日本語。"


def fullwidth(s):
    return "".join(chr(0xFF00 + ord(c) - 0x20) if 0x20 < ord(c) < 0x7F else c for c in s)


def digits(s, zero):
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in s)


def insert(s, cp, every=3):
    return "".join(c + (cp if (i + 1) % every == 0 and i + 1 < len(s) else "") for i, c in enumerate(s))


def alnum(s):
    return re.sub(r"[^0-9A-Za-z]", "", s)


CASES = [
    ("EMAIL", "jane.doe@example.com", lambda v: v.replace("@", "\uff20").replace(".", "\uff0e")),
    ("EMAIL", "jane.doe@example.com", lambda v: insert(v, ZWSP)),
    ("EMAIL", "jane.doe@example.com", lambda v: v.replace("a", "\u0430").replace("o", "\u043e")),
    ("CREDIT_CARD", "4111 1111 1111 1111", lambda v: v.replace(" ", NBSP)),
    ("CREDIT_CARD", "4111 1111 1111 1111", lambda v: v.replace(" ", NNBSP)),
    ("CREDIT_CARD", "4111-1111-1111-1111", lambda v: v.replace("-", EN_DASH)),
    ("CREDIT_CARD", "4111 1111 1111 1111", lambda v: digits(v, 0x0660)),  # Arabic-Indic
    ("CREDIT_CARD", "4111 1111 1111 1111", fullwidth),
    ("CREDIT_CARD", "4111111111111111", lambda v: insert(v, SHY, 4)),
    ("CREDIT_CARD", "4111111111111111", lambda v: insert(v, ACUTE, 1)),
    ("PHONE", "415-555-2671", lambda v: v.replace("-", MINUS)),
    ("PHONE", "415-555-2671", lambda v: digits(v, 0x0966)),  # Devanagari
    ("US_SSN", "536-22-8726", lambda v: v.replace("-", EN_DASH)),
    ("US_SSN", "536-22-8726", fullwidth),
    ("IBAN", "DE89 3704 0044 0532 0130 00", lambda v: v.replace(" ", NBSP)),
    ("IPV4", "192.168.10.23", lambda v: v.replace(".", "\uff0e")),
    ("AWS_ACCESS_KEY", "AKIAQ3EGT5JXMPLQ7RZA", lambda v: insert(v, ZWSP, 4)),
    ("API_KEY", "ghp_R8x2Kq9Lm4Vz7Tn1Bw3Yc6Pd5Hs0Jf2Gk8N", lambda v: insert(v, ZWSP, 5)),
    ("API_KEY", "ghp_R8x2Kq9Lm4Vz7Tn1Bw3Yc6Pd5Hs0Jf2Gk8N", lambda v: v.replace("p", "\u0440")),
]


@pytest.fixture(scope="module")
def masker():
    return jitguard.Masker()


@pytest.mark.parametrize("entity,plain,spell", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_evasive_spellings_are_found_and_masked(masker, entity, plain, spell):
    written = spell(plain)
    assert written != plain
    text = BEFORE + written + AFTER
    found = masker.find(text)
    assert [f.entity for f in found] == [entity]
    # str offsets into the original string, covering exactly the written value.
    assert (found[0].start, found[0].end) == (len(BEFORE), len(BEFORE) + len(written))
    assert text[found[0].start:found[0].end] == written
    out = masker.mask(text)
    assert out == f"{BEFORE}[{entity}]{AFTER}"  # the text around it is untouched
    assert alnum(plain) not in alnum(out)
    # Bytes in, bytes out, the same.
    assert masker.mask(text.encode()) == out.encode()
    # A stream fed one character at a time gives the same output.
    assert "".join(jitguard.mask_stream(iter(text), masker)) == out


def test_text_without_values_is_untouched(masker):
    for t in ["Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ， ｚｅｒｏ\u200bｗｉｄｔｈ， Кириллица и ελληνικά.",
              "١٢٣ items, ４２ apples, e\u0301te\u0301, naïve café — “quotes”"]:
        assert masker.mask(t) == t
        assert masker.find(t) == []


def test_custom_rules_and_terms_see_the_folded_view():
    m = jitguard.Masker(custom=[{"name": "EMPLOYEE_ID", "regex": r"EMP-\d{6}"}],
                        terms={"PROJECT": ["bluebird"]})
    assert m.mask("id ＥＭＰ\u2013１２３４５６ ok") == "id [EMPLOYEE_ID] ok"
    assert m.mask("on blue\u200bbird today") == "on [PROJECT] today"


EXPORT_SPELLINGS = [
    "please \uff45\uff58\uff50\uff4f\uff52\uff54 the table",  # fullwidth
    "please ex\u200bport the table",  # zero-width space
    "please exp\u00adort the table",  # soft hyphen
    "please \u0435\u0445\u0440\u043ert the table",  # Cyrillic е х р о
]


def test_policy_keyword_spellings_need_the_same_approval():
    p = jitguard.Policy({"version": 1, "rules": [
        {"id": "ds", "effect": "permit"},
        {"id": "export", "effect": "require_approval", "approvers": ["security-leads"],
         "prompt": {"keywords": ["export", "bulk export"]}}]})
    plain = p.evaluate(subject="alice", prompt="please export the table")
    assert plain.effect == "approval_required"
    for prompt in EXPORT_SPELLINGS + ["a bulk\u00a0export", "a bulk\u202fexport"]:
        d = p.evaluate(subject="alice", prompt=prompt)
        assert (d.effect, d.rules, d.approvers) == (plain.effect, plain.rules, plain.approvers), prompt


@pytest.fixture
def guard(tmp_path):
    idp = DemoIdp()
    write_deployment(str(tmp_path), idp)
    g = jitguard.Guard.from_file(str(tmp_path / "jitguard.json"))
    yield g, idp
    g.close()


@pytest.mark.parametrize("prompt", EXPORT_SPELLINGS)
def test_guard_requires_approval_for_every_spelling(guard, prompt):
    g, idp = guard
    with pytest.raises(jitguard.ApprovalRequired) as e:
        g.admit(idp.mint("alice", ["data-scientists"]), model="support-llm", dataset="claims",
                operation="infer", prompt=prompt)
    assert e.value.decision.approvers == ["security-leads"]
