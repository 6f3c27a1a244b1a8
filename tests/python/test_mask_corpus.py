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
    assert {d.kind for d in a.documents} == {"prose", "table", "json", "logs", "code", "keyvalue"}


def test_keyvalue_documents_leave_the_other_documents_as_they_were():
    for opt_in in (False, True):
        with_kv = g.generate(5, 300, opt_in=opt_in)
        without = g.generate(5, 300, opt_in=opt_in, keyvalue=False)
        assert [d for d in with_kv.documents if d.kind != "keyvalue"] == without.documents
        assert {d.kind for d in without.documents} <= {"prose", "table", "json", "logs", "code"}
        assert 0.05 < (len(with_kv.documents) - 300) / 300 < 0.2


def test_keyvalue_labels_are_values_the_documented_rules_take():
    from corpus import keyvalue as kv
    c = g.generate(6, 1500)
    # The key-value documents' API_KEY labels but the vendor keys (GITHUB_TOKEN=, which their own
    # rules take), and their AWS_ACCESS_KEY labels but the key ids.
    kv_labels = [(d, l) for d in c.documents if d.kind == "keyvalue" for l in d.labels
                 if (l.entity == "API_KEY" and not d.text[:l.start].endswith("GITHUB_TOKEN="))
                 or (l.entity == "AWS_ACCESS_KEY" and len(l.value) == 40)]
    assert sum(l.entity == "API_KEY" for _, l in kv_labels) >= 200
    assert sum(l.entity == "AWS_ACCESS_KEY" for _, l in kv_labels) >= 20
    for doc, l in kv_labels:
        line_start = doc.text.rfind("\n", 0, l.start) + 1
        before = doc.text[line_start:l.start]
        quoted = before[-1:] in ("\"", "'")
        colon = before.rstrip(" \t\"'\\").endswith(":") or before.rstrip(" \t\"'\\").endswith("\uff1a")
        if l.entity == "AWS_ACCESS_KEY":
            assert kv.aws_secret(l.value, colon), (before, l.value)
        else:
            assert kv.generic_secret(l.value, colon, quoted), (before, l.value)
        if quoted:  # the quote (escaped inside a JSON string: \\") closes right after the value
            closing = before[-2:] if before.endswith('\\"') else before[-1]
            assert doc.text[l.end:l.end + len(closing)] == closing, (before, l.value)
        else:
            assert l.end == len(doc.text) or doc.text[l.end] in kv.BARE_END, (before, l.value)


def test_keyvalue_negatives_are_values_the_documented_rules_leave():
    from corpus import keyvalue as kv
    r = random.Random(16)
    for value in kv.PLACEHOLDERS + kv.LOW_ENTROPY + [kv.gen_iso_date(r) for _ in range(300)] + [
            kv.gen_clock(r) for _ in range(300)]:
        for colon in (False, True):
            for quoted in (False, True):
                assert not kv.generic_secret(value, colon, quoted), value
    # The models of the rules, on the examples docs/masking.md gives.
    assert kv.generic_secret("Tr0uB4d0r", colon=False, quoted=False)
    assert kv.generic_secret("S3cr3tP@ssw0rd!", colon=True, quoted=True)
    assert not kv.generic_secret("hunter22", colon=False, quoted=False)
    assert not kv.generic_secret("XkqZpLmWvRtYbNcQ", colon=True, quoted=False)
    assert kv.generic_secret("XkqZpLmW_vRt", colon=True, quoted=False)
    assert not kv.generic_secret("self.token", colon=False, quoted=False)
    assert kv.aws_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", colon=True)


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


# --- the opt-in entities (tests/corpus/national_ids.py, tests/corpus/wallets.py) -------------------

from corpus import birth_dates as dob  # noqa: E402
from corpus import national_ids as ids  # noqa: E402
from corpus import wallets as w  # noqa: E402


def test_without_opt_in_the_corpus_labels_only_the_default_entities():
    c = g.generate(3, 300)
    assert {l.entity for l in c.labels} <= set(g.ENTITIES) and set(c.counts()) == set(g.ENTITIES)
    assert not any(l.scheme for l in c.labels)


def test_opt_in_corpus_labels_every_entity_and_its_schemes():
    a, b = g.generate(3, 600, opt_in=True), g.generate(3, 600, opt_in=True)
    assert a.text == b.text and a.labels == b.labels
    for label in a.labels:
        assert a.text[label.start:label.end] == label.value
    counts = a.counts()
    assert set(counts) == set(g.ALL_ENTITIES) and all(counts[e] > 0 for e in g.ALL_ENTITIES)
    schemes = {l.scheme for l in a.labels if l.entity == "NATIONAL_ID"}
    assert schemes == {ids.rule_of(s) for s in ids.active_schemes()}
    assert {l.scheme for l in a.labels if l.entity == "CRYPTO_WALLET"} == {
        "btc_base58", "btc_bech32", "eth", "eth_context"}
    assert {l.scheme for l in a.labels if l.entity == "MAC_ADDRESS"} == {"mac"}
    assert {l.scheme for l in a.labels if l.entity == "DATE_OF_BIRTH"} == {"dob"}


def test_national_id_check_digits_follow_the_specifications():
    # Examples published with the schemes (or computed by hand from their definitions).
    assert ids.es_valid("12345678Z") and ids.es_valid("X1234567L") and not ids.es_valid("12345678A")
    assert ids.verhoeff_check("23412341234") == "6" and ids.aadhaar_valid("2341 2341 2346")
    assert ids.nhs_valid("943 476 5919") and not ids.nhs_valid("9434765918")
    assert ids.pesel_valid("44051401359") and not ids.pesel_valid("44051401358")
    assert ids.hetu_valid("131052-308T") and not ids.hetu_valid("131052-308U")
    assert ids.nric_valid("S1234567D") and ids.nric_valid("T1234567J") and ids.nric_valid("F1234567N")
    assert ids.nric_valid("M1234567X") and not ids.nric_valid("M1234567K")
    assert ids.itin_valid("912-70-1234") and not ids.itin_valid("912-93-1234")
    assert ids.cf_valid("RSSMRA85T10A562S")
    assert ids.abn_valid("51 824 753 556") and ids.acn_valid("004 085 616")
    assert ids.tfn_valid("123 456 782") and ids.medicare_valid("2123 45670 1")


def test_national_id_generators_are_valid_and_their_negatives_are_not():
    r = random.Random(12)
    for name, scheme in ids.SCHEMES.items():
        valid = ids.VALIDATORS.get(name)
        if valid is None:  # no checksum (US passport): the shape only
            continue
        for _ in range(300):
            assert valid(scheme.good(r)), name
            bad = scheme.bad(r)
            assert not valid(bad), (name, bad)


def test_wallet_encoders_match_the_specifications_vectors():
    # Bitcoin's genesis address (Base58Check of HASH160 62e907b1...), BIP-173 and BIP-350 vectors,
    # EIP-55's examples.
    assert w.base58check(0, bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")) == \
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert w.segwit_encode("bc", 0, bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")) == \
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert w.segwit_encode("bc", 1, bytes.fromhex(
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")) == \
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    for a in ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
              "dbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"):
        assert w.eip55(a.lower()) == a and w.eip55_valid(a)


def test_wallet_generators_are_valid_and_their_negatives_are_not():
    r = random.Random(13)
    for _ in range(300):
        version, _ = w.base58check_decode(w.gen_btc_base58(r))
        assert version in (0x00, 0x05)
        hrp, witver, program = w.segwit_decode(w.gen_btc_segwit(r))
        assert hrp == "bc" and (witver, len(program)) in ((0, 20), (0, 32), (1, 32))
        eth = w.gen_eth(r)
        assert eth.startswith("0x") and w.eip55_valid(eth[2:]) and w._mixed(eth[2:])
        bad = w.bad_wallet(r)
        if bad.startswith("0x"):
            assert w._mixed(bad[2:]) and not w.eip55_valid(bad[2:])
        elif bad[0] in "13":
            assert w.base58check_decode(bad) is None
        else:
            assert w.segwit_decode(bad) is None
        test = w.gen_testnet(r)
        decoded = w.base58check_decode(test)
        assert (decoded and decoded[0] in (0x6F, 0xC4)) or w.segwit_decode(test)[0] == "tb"


def test_mac_generators():
    r = random.Random(14)
    mac = re.compile(r"([0-9a-f]{2}([:-])(?:[0-9a-f]{2}\2){4}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})", re.I)
    for _ in range(500):
        m = w.gen_mac_address(r)
        assert mac.fullmatch(m) and any(c.isdigit() for c in m) and m.strip("0:-.")
        bad = w.bad_mac(r)
        assert not mac.fullmatch(bad) or not bad.strip("0:-."), bad


def test_birth_date_generators():
    r = random.Random(15)
    words = tuple(w.strip(" :").lower() for w in dob.PROSE_CONTEXT + dob.MONTH_FIRST_CONTEXT)
    for _ in range(500):
        before, value, after, rule = dob.gen_prose(r)
        assert rule == "dob" and before.lower().startswith(words), (before, value)
        if re.fullmatch(r"\d{1,2}(st|nd|rd|th)?,? \d{4}", value):  # "March 3, 1985": the day and year
            assert dob.valid(before.split()[-1] + " " + value), (before, value)
        else:
            assert dob.valid(value), value
        assert dob.valid(dob.gen_log(r)[1]) and " " not in dob.gen_log(r)[1]
        assert dob.valid(dob.gen_json_value(r)[1])
        assert not dob.valid(dob.impossible(r))
        assert not dob.valid(dob.impossible(r, numeric_only=True))
        assert not any(ch.isalpha() for ch in dob.impossible(r, numeric_only=True))
        assert dob.gen_other_date(r).startswith(dob.OTHER_CONTEXT)
    assert dob.valid("1985-02-28") and dob.valid("29/02/2000") and dob.valid("3rd of March, 1985")
    assert not dob.valid("1985-02-29") and not dob.valid("13/13/1985") and not dob.valid("1850-03-03")
