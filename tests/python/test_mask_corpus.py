"""The labelled corpus generator itself: deterministic, labels exact, positives valid, negatives not."""
import ipaddress
import json
import pathlib
import random
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from corpus import generate as g  # noqa: E402


def test_same_seed_same_corpus_and_labels_point_at_their_values():
    a, b = g.generate(3, 200), g.generate(3, 200)
    assert a.text == b.text and a.labels == b.labels
    assert g.generate(4, 200).text != a.text
    for label in a.labels:
        assert a.text[label.start:label.end] == label.value
    assert {d.kind for d in a.documents} == {"prose", "table", "json", "logs", "code"}


def test_positive_values_are_valid():
    r = random.Random(9)
    for _ in range(500):
        assert g.luhn_valid(re.sub(r"\D", "", g.gen_card(r)))
        assert g.iban_valid(g.gen_iban(r))
        iban = g.gen_iban(r).replace(" ", "").replace("-", "")
        country = iban[:2]
        layout_len = sum(int(n) for n in re.findall(r"\d+", g._IBAN_FORMATS[country]))
        assert len(iban) == 4 + layout_len
        ipaddress.IPv4Address(g.gen_ipv4(r))
        ipaddress.IPv6Address(g.gen_ipv6(r))
        a, grp, s = re.split(r"[-. ]", g.gen_ssn(r))
        assert a not in ("000", "666") and a[0] != "9" and grp != "00" and s != "0000"
        assert re.fullmatch(r"(AKIA|ASIA)[A-Z2-7]{16}", g.gen_aws_key(r))
        header = g.gen_jwt(r).split(".")[0]
        assert isinstance(json.loads(g.base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))), dict)
        digits = re.sub(r"\D", "", g.gen_phone_intl(r))
        assert 7 <= len(digits) <= 15
        paren = g.gen_phone_paren(r)
        assert 7 <= len(re.sub(r"\D", "", paren.replace("(0)", ""))) <= 15
        assert 8 <= len(re.sub(r"\D", "", g.gen_phone_national(r))) <= 15
        assert g.luhn_valid(g.gen_card_plain(r))


def test_hard_negatives_are_invalid():
    r = random.Random(10)
    for _ in range(500):
        assert not g.luhn_valid(re.sub(r"\D", "", g.gen_bad_card(r)))
        assert not g.iban_valid(g.gen_bad_iban(r))
        a, grp, s = re.split(r"[- ]", g.gen_bad_ssn(r))
        assert a in ("000", "666") or a[0] == "9" or grp == "00" or s == "0000"
        try:
            ipaddress.IPv6Address(g.gen_bad_ipv6(r))
            raise AssertionError("two '::' parsed as IPv6")
        except ipaddress.AddressValueError:
            pass
        bad_ip = g.gen_bad_ipv4(r)
        parts = bad_ip.split(".")
        assert len(parts) == 5 or any(int(p) > 255 for p in parts)


def test_score_counts_partial_cover_and_false_positives():
    text = "mail bob@example.com and 10.0.0.1 now"
    labels = [g.Label("EMAIL", 5, 20, "bob@example.com"), g.Label("IPV4", 25, 33, "10.0.0.1")]
    scores, misses = g.score(labels, [("EMAIL", 5, 20), ("IPV4", 25, 30), ("PHONE", 0, 4)], text=text)
    assert (scores["EMAIL"].recall, scores["EMAIL"].precision) == (1.0, 1.0)
    assert scores["IPV4"].recall == 0.0 and scores["IPV4"].precision == 1.0
    assert scores["PHONE"].precision == 0.0
    assert sorted((m.entity, m.verdict) for m in misses) == [("IPV4", "partial"), ("PHONE", "false_positive")]
