"""Deterministic generator of a labelled PII/secret corpus that looks like model responses.

Each :class:`Document` is prose, a markdown table, a JSON record, a log excerpt or a piece of code,
with a :class:`Label` (entity, start, end, value; ``str`` offsets) for every planted entity value.
Between the labelled values sit hard negatives that a precise masker must leave alone: dates,
times, versions, UUIDs, git hashes, prices, order numbers, ZIP codes, card numbers and IBANs whose
check digit is off by one, never-issued SSNs, out-of-range IPv4 octets, bare 9-digit business IDs,
certificates and public keys, MAC addresses, C++ scope operators, ISBNs...

``generate(..., opt_in=True)`` also plants the entities that are off by default: ``NATIONAL_ID``
(one generator per scheme, tests/corpus/national_ids.py), ``DATE_OF_BIRTH``
(tests/corpus/birth_dates.py), ``CRYPTO_WALLET`` and ``MAC_ADDRESS`` (tests/corpus/wallets.py),
with their hard negatives (broken check digits, ids without the context word their scheme needs,
dates after other words, dates that do not exist after a birth-date word, a year alone, testnet
addresses, transaction hashes, EUI-64s, key fingerprints...);
there the MAC addresses of the default templates are labelled ``MAC_ADDRESS``. Without ``opt_in``
the corpus is the same as before those entities existed (the MACs are hard negatives there).
Labels of the opt-in entities carry the scheme (``Label.scheme``: the rule jitguard reports).

After about one document in ten comes a key-value document (tests/corpus/keyvalue.py: YAML, .env,
headers, JSON in prose, Python, logs... with secrets after their key names, the value labelled
API_KEY or AWS_ACCESS_KEY, and placeholders, weak values, code and non-key names beside them),
drawn from a Random of its own so that the other documents stay the same;
``generate(..., keyvalue=False)`` leaves them out.

Every value is synthetic (random digits with valid check digits, fictional 555-01xx numbers,
made-up domains); the same seed always gives the same corpus.

    corpus = generate(seed=7, documents=1000)
    corpus.text, corpus.labels          # whole corpus, labels with offsets into corpus.text
    score(corpus.labels, [(entity, start, end), ...])   # per-entity precision/recall

Command line: ``python tests/corpus/generate.py --out DIR`` writes ``corpus.txt`` (UTF-8) and
``labels.jsonl`` (entity, byte and char offsets) for the C++ benchmarks.
"""
from __future__ import annotations

import argparse
import base64
import bisect
import json
import os
import random
import re
import string
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from corpus import birth_dates as dob  # noqa: E402
from corpus import keyvalue as kv  # noqa: E402
from corpus import national_ids as ids  # noqa: E402
from corpus import wallets  # noqa: E402

#: The entities of the default profile.
ENTITIES = (
    "EMAIL", "PHONE", "US_SSN", "CREDIT_CARD", "IPV4", "IPV6", "IBAN",
    "AWS_ACCESS_KEY", "API_KEY", "JWT", "PRIVATE_KEY",
)
#: The entities that are off by default (labelled only in ``generate(..., opt_in=True)``).
OPT_IN_ENTITIES = ("NATIONAL_ID", "DATE_OF_BIRTH", "CRYPTO_WALLET", "MAC_ADDRESS")
ALL_ENTITIES = ENTITIES + OPT_IN_ENTITIES


@dataclass(frozen=True)
class Label:
    entity: str
    start: int  # str (code point) offsets
    end: int
    value: str
    scheme: str = ""  # opt-in entities: the rule that should report it ("es_nif", "dob", "btc_bech32"...)


@dataclass
class Document:
    kind: str
    text: str
    labels: List[Label]


@dataclass
class Corpus:
    documents: List[Document]
    text: str = ""
    labels: List[Label] = field(default_factory=list)
    separator: str = "\n\n"
    entities: Tuple[str, ...] = ENTITIES  # what the documents label (ALL_ENTITIES with opt_in)

    def __post_init__(self) -> None:
        parts, labels, pos = [], [], 0
        for i, doc in enumerate(self.documents):
            if i:
                parts.append(self.separator)
                pos += len(self.separator)
            parts.append(doc.text)
            labels.extend(Label(l.entity, l.start + pos, l.end + pos, l.value, l.scheme) for l in doc.labels)
            pos += len(doc.text)
        self.text = "".join(parts)
        self.labels = labels

    def counts(self) -> Dict[str, int]:
        out = {e: 0 for e in self.entities}
        for l in self.labels:
            out[l.entity] += 1
        return out


# ----------------------------------------------------------------------------------------------
# Value generators. Each takes the Random and returns the text of one value.

_FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
          "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "wendy",
          "xavier", "yolanda", "zach", "maria", "chen", "priya", "omar", "lena", "tomas"]
_LAST = ["smith", "jones", "garcia", "miller", "nguyen", "kowalski", "okafor", "schmidt",
         "rossi", "tanaka", "silva", "johansson", "dubois", "novak", "haddad", "murphy"]
_UNICODE_NAMES = ["José Álvarez", "Zoë Müller", "Łukasz Wójcik", "Søren Ørsted", "李雷",
                  "Ангелина Петрова", "Ngọc Trần", "Çağla Öztürk", "François Lefèvre"]
_DOMAIN_WORDS = ["acme", "globex", "initech", "umbrella-corp", "hooli", "vandelay", "contoso",
                 "northwind", "wayne-ent", "stark", "example", "mail", "corp", "eu", "us",
                 "support", "billing", "tyrell", "cyberdyne", "soylent"]
_TLDS = ["com", "org", "net", "io", "dev", "co.uk", "de", "fr", "ai", "info", "example", "xn--p1ai",
         "xn--80asehdb"]

_B32 = string.ascii_uppercase + "234567"
_ALNUM = string.ascii_letters + string.digits
_URLSAFE = _ALNUM + "_-"
_HEX = "0123456789abcdef"


def _rand(r: random.Random, alphabet: str, n: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def _rand_edges_alnum(r: random.Random, alphabet: str, n: int) -> str:
    """n characters of alphabet whose first and last are alphanumeric."""
    if n <= 2:
        return _rand(r, _ALNUM, n)
    return r.choice(_ALNUM) + _rand(r, alphabet, n - 2) + r.choice(_ALNUM)


def _digits(r: random.Random, n: int) -> str:
    return _rand(r, string.digits, n)


def gen_email(r: random.Random) -> str:
    f, l = r.choice(_FIRST), r.choice(_LAST)
    local = r.choice([
        f"{f}.{l}", f"{f}_{l}", f"{f}{l}{r.randint(1, 99)}", f"{f[0]}.{l}+{r.choice(['news', 'ci', 'x'])}",
        f"{f}-{l}", f"{f}", f"{l}.{f}.{r.randint(1, 9)}", f"{f.capitalize()}.{l.capitalize()}",
    ])
    labels = [r.choice(_DOMAIN_WORDS) for _ in range(r.choice([1, 1, 2]))]
    return f"{local}@{'.'.join(labels)}.{r.choice(_TLDS)}"


def _nanp_parts(r: random.Random) -> Tuple[str, str, str]:
    while True:
        area = f"{r.randint(2, 9)}{r.randint(0, 8)}{r.randint(0, 9)}"
        if area[1:] != "11":
            break
    if r.random() < 0.5:
        exch, line = "555", f"01{r.randint(0, 99):02d}"
    else:
        while True:
            exch = f"{r.randint(2, 9)}{_digits(r, 2)}"
            if exch[1:] != "11":
                break
        line = _digits(r, 4)
    return area, exch, line


def gen_phone_nanp(r: random.Random) -> str:
    a, e, l = _nanp_parts(r)
    return r.choice([
        f"({a}) {e}-{l}", f"{a}-{e}-{l}", f"{a}.{e}.{l}", f"+1 {a} {e} {l}", f"+1 ({a}) {e}-{l}",
        f"+1-{a}-{e}-{l}", f"+1 {a}-{e}-{l}", f"+1.{a}.{e}.{l}", f"({a}) {e}-{l}", f"{a}-{e}-{l}",
        f"{a} {e} {l}", f"({a}){e}-{l}",
    ])


def gen_phone_intl(r: random.Random) -> str:
    d = lambda n: _digits(r, n)  # noqa: E731
    nz = lambda: str(r.randint(1, 9))  # noqa: E731
    return r.choice([
        f"+44 20 7946 0{d(3)}", f"+44 7700 900{d(3)}", f"+49 30 {nz()}{d(3)} {d(4)}",
        f"+33 {r.randint(1, 9)} {d(2)} {d(2)} {d(2)} {d(2)}", f"+81 3-{nz()}{d(3)}-{d(4)}",
        f"+91 9{d(4)} {d(5)}", f"+61 2 {nz()}{d(3)} {d(4)}", f"+55 11 9{d(4)}-{d(4)}",
        f"+31 20 {nz()}{d(2)} {d(4)}", f"+34 91{d(1)} {d(3)} {d(3)}", f"+41.44.{nz()}{d(2)}.{d(2)}.{d(2)}",
        f"+353 1 {nz()}{d(2)} {d(4)}", f"+46-8-{nz()}{d(2)}-{d(3)}-{d(2)}", f"+65 {r.choice('689')}{d(3)} {d(4)}",
    ])


def gen_phone_paren(r: random.Random) -> str:
    """International numbers with a parenthesized area code or "(0)" trunk prefix."""
    d = lambda n: _digits(r, n)  # noqa: E731
    nz = lambda: str(r.randint(1, 9))  # noqa: E731
    return r.choice([
        f"+44 (0) 20 7946 0{d(3)}", f"+44 (0)20 7946 0{d(3)}", f"+49 (30) {nz()}{d(6)}",
        f"+49 (0)30 {nz()}{d(3)} {d(4)}", f"+33 (0)1 {d(2)} {d(2)} {d(2)} {d(2)}",
        f"+61 (2) {nz()}{d(3)} {d(4)}", f"+39 (06) {d(4)} {d(4)}", f"+31 (0)20 {nz()}{d(2)} {d(4)}",
    ])


def gen_phone_national(r: random.Random) -> str:
    """National-format numbers (no +CC), planted after a phone context word; and NANP-shaped
    numbers whose area code is unassigned or whose exchange is an N11 code."""
    d = lambda n: _digits(r, n)  # noqa: E731
    nz = lambda: str(r.randint(1, 9))  # noqa: E731
    return r.choice([
        f"020 7946 0{d(3)}", f"030 {nz()}{d(6)}", f"030/{nz()}{d(6)}", f"(030) {nz()}{d(6)}",
        f"0{nz()} {d(2)} {d(2)} {d(2)} {d(2)}", f"06 {d(4)} {d(4)}", f"020 {nz()}{d(2)} {d(4)}",
        f"04{d(2)} {d(3)} {d(3)}", f"020-{nz()}{d(2)}-{d(4)}", f"0{nz()}{d(8)}",
        f"1{d(2)}-{nz()}{d(2)}-{d(4)}", f"{nz()}{d(2)}-{nz()}11-{d(4)}", f"({nz()}11) {nz()}{d(2)}-{d(4)}",
    ])


def gen_card_plain(r: random.Random) -> str:
    number, _ = _card_digits(r)
    return number


def gen_expiry(r: random.Random) -> str:
    return r.choice([f"{r.randint(1, 12):02d}/{r.randint(25, 32)}", f"{r.randint(100, 999)}",
                     f"{r.randint(1, 12):02d} {r.randint(25, 32)}"])


def gen_bad_ipv6(r: random.Random) -> str:
    g = _ipv6_groups(r)
    return f"{g[0]:x}:{g[1]:x}::{g[2]:x}::{g[3]:x}"


def _ssn_parts(r: random.Random) -> Tuple[str, str, str]:
    while True:
        area = r.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}", f"{r.randint(1, 99):02d}", f"{r.randint(1, 9999):04d}"


def gen_ssn(r: random.Random) -> str:
    a, g, s = _ssn_parts(r)
    x = r.random()
    return f"{a}-{g}-{s}" if x < 0.6 else f"{a} {g} {s}" if x < 0.85 else f"{a}.{g}.{s}"


def gen_ssn_bare(r: random.Random) -> str:
    return "".join(_ssn_parts(r))


def gen_bad_ssn(r: random.Random) -> str:
    a, g, s = _ssn_parts(r)
    which = r.randrange(5)
    if which == 0:
        a = "000"
    elif which == 1:
        a = "666"
    elif which == 2:
        a = f"9{_digits(r, 2)}"
    elif which == 3:
        g = "00"
    else:
        s = "0000"
    return f"{a}-{g}-{s}" if r.random() < 0.8 else f"{a} {g} {s}"


def luhn_check_digit(payload: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    return luhn_check_digit(number[:-1]) == int(number[-1])


_ISSUERS = [  # (prefix generator, length, grouping)
    (lambda r: "4", 16, (4, 4, 4, 4)),
    (lambda r: "4", 16, (4, 4, 4, 4)),
    (lambda r: str(r.randint(51, 55)), 16, (4, 4, 4, 4)),
    (lambda r: str(r.randint(2221, 2720)), 16, (4, 4, 4, 4)),
    (lambda r: r.choice(["34", "37"]), 15, (4, 6, 5)),
    (lambda r: r.choice(["6011", "65", str(r.randint(644, 649))]), 16, (4, 4, 4, 4)),
    (lambda r: str(r.randint(3528, 3589)), 16, (4, 4, 4, 4)),
    (lambda r: r.choice(["36", "38", str(r.randint(300, 305))]), 14, (4, 6, 4)),
]


def _card_digits(r: random.Random) -> Tuple[str, Tuple[int, ...]]:
    prefix_fn, length, groups = r.choice(_ISSUERS)
    body = prefix_fn(r)
    body += _digits(r, length - 1 - len(body))
    return body + str(luhn_check_digit(body)), groups


def _group(number: str, groups: Sequence[int], sep: str) -> str:
    out, i = [], 0
    for g in groups:
        out.append(number[i:i + g])
        i += g
    return sep.join(out)


def _format_card(r: random.Random, number: str, groups: Sequence[int]) -> str:
    sep = r.choice([" ", " ", "-", ""])
    return _group(number, groups, sep) if sep else number


def gen_card(r: random.Random) -> str:
    number, groups = _card_digits(r)
    return _format_card(r, number, groups)


def gen_bad_card(r: random.Random) -> str:
    number, groups = _card_digits(r)
    number = number[:-1] + str((int(number[-1]) + 1) % 10)
    return _format_card(r, number, groups)


def gen_ipv4(r: random.Random) -> str:
    first = r.choice([10, 172, 192, 203, 198, 100, r.randint(1, 223)])
    return ".".join([str(first)] + [str(r.randint(0, 255)) for _ in range(3)])


def gen_bad_ipv4(r: random.Random) -> str:
    octs = [str(r.randint(1, 255)) for _ in range(4)]
    which = r.randrange(4)
    if which < 3:
        octs[r.randrange(4)] = str(r.randint(256, 999))
        return ".".join(octs)
    return ".".join(octs + [str(r.randint(0, 255))])  # a 5-part dotted number


def _ipv6_groups(r: random.Random) -> List[int]:
    head = r.choice([0x2001, 0xfe80, 0xfd00 | r.randint(0, 255), 0x2600 | r.randint(0, 255), 0x2a00 | r.randint(0, 0xff)])
    g = [head] + [r.randint(0, 0xffff) for _ in range(7)]
    if head == 0x2001 and r.random() < 0.5:
        g[1] = 0x0db8
    return g


def gen_ipv6(r: random.Random) -> str:
    g = _ipv6_groups(r)
    form = r.randrange(6)
    up = r.random() < 0.15
    if form == 0:  # full with leading zeros
        s = ":".join(f"{x:04x}" for x in g)
    elif form == 1:  # full without leading zeros
        s = ":".join(f"{x:x}" for x in g)
    elif form in (2, 3):  # compressed run of zeros
        start = r.randint(1, 5)
        length = r.randint(2, 7 - start)
        left = ":".join(f"{x:x}" for x in g[:start])
        right = ":".join(f"{x:x}" for x in g[start + length:])
        s = f"{left}::{right}"
    elif form == 4:  # link-local / short compressed
        s = f"fe80::{g[5]:x}:{g[6]:x}:{g[7]:x}" if r.random() < 0.5 else f"2001:db8::{g[7]:x}"
    else:  # embedded IPv4
        v4 = ".".join(str(r.randint(1, 254)) for _ in range(4))
        s = r.choice([f"::ffff:{v4}", f"64:ff9b::{v4}", f"2001:db8:{g[2]:x}::{v4}",
                      f"0:0:0:0:0:ffff:{v4}", ":".join(f"{x:x}" for x in g[:6]) + f":{v4}"])
    return s.upper() if up else s


_IBAN_FORMATS = {  # country: BBAN layout (n digits, a upper letters, c upper alnum)
    "DE": "18n", "GB": "4a14n", "FR": "10n11c2n", "ES": "20n", "IT": "1a10n12c", "NL": "4a10n",
    "BE": "12n", "CH": "5n12c", "AT": "16n", "PL": "24n", "SE": "20n", "NO": "11n", "DK": "14n",
    "FI": "14n", "IE": "4a14n", "PT": "21n", "LU": "3n13c",
}


def _bban(r: random.Random, layout: str) -> str:
    out = []
    for n, kind in re.findall(r"(\d+)([nac])", layout):
        alphabet = {"n": string.digits, "a": string.ascii_uppercase,
                    "c": string.ascii_uppercase + string.digits}[kind]
        out.append(_rand(r, alphabet, int(n)))
    return "".join(out)


def iban_check_digits(country: str, bban: str) -> int:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return 98 - int(numeric) % 97


def iban_valid(iban: str) -> bool:
    s = iban.replace(" ", "").replace("-", "")
    numeric = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(numeric) % 97 == 1


def _iban(r: random.Random, bad: bool) -> str:
    country = r.choice(sorted(_IBAN_FORMATS))
    bban = _bban(r, _IBAN_FORMATS[country])
    check = iban_check_digits(country, bban)
    if bad:
        check = check + 1 if check < 98 else check - 1
    s = f"{country}{check:02d}{bban}"
    x = r.random()
    if x < 0.6:
        s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    elif x < 0.7:
        s = "-".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def gen_iban(r: random.Random) -> str:
    return _iban(r, bad=False)


def gen_bad_iban(r: random.Random) -> str:
    return _iban(r, bad=True)


def gen_aws_key(r: random.Random) -> str:
    return r.choice(["AKIA", "AKIA", "AKIA", "ASIA"]) + _rand(r, _B32, 16)


def gen_api_key(r: random.Random) -> str:
    kind = r.randrange(17)
    if kind == 12:  # PyPI upload token (a macaroon)
        return "pypi-AgEIcHlwaS5vcmc" + _rand_edges_alnum(r, _URLSAFE, r.choice([60, 120, 160]))
    if kind == 13:
        return r.choice(["shpat_", "shpca_", "shppa_", "shpss_"]) + _rand(r, "0123456789abcdef", 32)
    if kind == 14:
        return "SG." + _rand_edges_alnum(r, _URLSAFE, 22) + "." + _rand_edges_alnum(r, _URLSAFE, 43)
    if kind == 15:
        return "SK" + _rand(r, "0123456789abcdef", 30) + _digits(r, 2)
    if kind == 16:
        return "key-" + _rand(r, "0123456789abcdef", 30) + _digits(r, 2)
    if kind == 0:
        return r.choice(["ghp_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + _rand(r, _ALNUM, 36)
    if kind == 1:
        return "github_pat_" + _rand(r, _ALNUM, 22) + "_" + _rand(r, _ALNUM, 59)
    if kind == 2:
        return "glpat-" + _rand_edges_alnum(r, _URLSAFE, 20)
    if kind == 3:
        return f"xoxb-{_digits(r, 12)}-{_digits(r, 13)}-{_rand(r, _ALNUM, 24)}"
    if kind == 4:
        return f"xoxp-{_digits(r, 12)}-{_digits(r, 12)}-{_digits(r, 13)}-{_rand(r, _HEX, 32)}"
    if kind == 5:
        return r.choice(["sk_live_", "rk_live_"]) + _rand(r, _ALNUM, r.choice([24, 34, 99]))
    if kind == 6:
        return "sk-proj-" + _rand_edges_alnum(r, _URLSAFE, r.choice([48, 74, 156]))
    if kind == 7:
        return "sk-" + _rand(r, _ALNUM, 48)
    if kind == 8:
        return "sk-ant-api03-" + _rand_edges_alnum(r, _URLSAFE, 93) + "AA"
    if kind == 9:
        return "AIza" + _rand_edges_alnum(r, _URLSAFE, 35)
    if kind == 10:
        return "npm_" + _rand(r, _ALNUM, 36)
    return "ghp_" + _rand(r, _ALNUM, 36)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def gen_jwt(r: random.Random) -> str:
    alg, sig_len = r.choice([("HS256", 32), ("RS256", 256), ("ES256", 64), ("EdDSA", 64)])
    header = {"alg": alg, "typ": "JWT"}
    if r.random() < 0.5:
        header["kid"] = _rand(r, _ALNUM, 8)
    iat = r.randint(1_600_000_000, 1_800_000_000)
    payload = {"sub": f"user-{r.randint(1, 99999)}", "iat": iat, "exp": iat + 3600,
               "scope": r.choice(["read", "read write", "admin"])}
    return ".".join([_b64url(json.dumps(header, separators=(",", ":")).encode()),
                     _b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     _b64url(r.randbytes(sig_len))])


def gen_bad_jwt(r: random.Random) -> str:
    # Three base64url segments whose header is not a JSON object.
    header = r.choice([b"[1,2,3]", b"\"hello\"", b"not json at all", b"12345"])
    return ".".join([_b64url(header), _b64url(r.randbytes(24)), _b64url(r.randbytes(32))])


def _pem(r: random.Random, label: str, nbytes: int) -> str:
    body = base64.b64encode(r.randbytes(nbytes)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def gen_private_key(r: random.Random) -> str:
    label = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
                      "ENCRYPTED PRIVATE KEY"])
    return _pem(r, label, r.choice([121, 300, 600, 1190]))


def gen_public_pem(r: random.Random) -> str:
    return _pem(r, r.choice(["CERTIFICATE", "PUBLIC KEY", "CERTIFICATE REQUEST"]), r.choice([91, 294, 800]))


# --- negatives ---------------------------------------------------------------------------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


def gen_date(r: random.Random) -> str:
    y, m, d = r.randint(1990, 2030), r.randint(1, 12), r.randint(1, 28)
    return r.choice([f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y}", f"{d:02d}.{m:02d}.{y}",
                     f"{_MONTHS[m - 1]} {d}, {y}", f"{y}/{m:02d}/{d:02d}", f"{y}{m:02d}{d:02d}",
                     f"{d} {_MONTHS[m - 1][:3]} {y}"])


def gen_time(r: random.Random) -> str:
    h, m, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    return r.choice([f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}:{s:02d}", f"{h:02d}:{m:02d}:{s:02d}.{r.randint(0, 999):03d}",
                     f"{h:02d}:{m:02d}:{s:02d}Z", f"{h % 12 + 1}:{m:02d} {r.choice(['AM', 'PM'])}",
                     f"{h:02d}:{m:02d}-{(h + 1) % 24:02d}:{m:02d}"])


def gen_datetime(r: random.Random) -> str:
    y, mo, d = r.randint(2015, 2030), r.randint(1, 12), r.randint(1, 28)
    h, mi, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    return r.choice([f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
                     f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{r.randint(0, 999999):06d}",
                     f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+02:00"])


def gen_version(r: random.Random) -> str:
    a, b, c = r.randint(0, 20), r.randint(0, 40), r.randint(0, 99)
    return r.choice([f"v{a}.{b}.{c}", f"{a}.{b}.{c}", f"{a}.{b}", f"{a}.{b}.{c}-rc.{r.randint(1, 5)}",
                     f"10.0.{r.randint(10000, 22631)}.{r.randint(1, 3000)}", f"{a}.{b}.{c}.{r.randint(0, 9)}.{r.randint(0, 9)}",
                     f"5.15.0-{r.randint(1, 120)}-generic", f"^{a}.{b}.{c}", f"{a}.{b}.{c}+build.{r.randint(1, 999)}"])


def gen_uuid(r: random.Random) -> str:
    h = _rand(r, _HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"


def gen_gitsha(r: random.Random) -> str:
    return _rand(r, _HEX, 40) if r.random() < 0.5 else _rand(r, _HEX, r.choice([7, 8, 12]))


def gen_price(r: random.Random) -> str:
    v = r.randint(1, 2_000_000)
    return r.choice([f"${v / 100:,.2f}", f"€{v / 100:.2f}", f"USD {v:,}", f"${v:,}", f"£{v / 100:,.2f}",
                     f"{v / 100:,.2f} EUR", f"${r.randint(1, 99)}.99"])


def gen_order(r: random.Random) -> str:
    return r.choice([f"ORD-{r.randint(2015, 2030)}-{_digits(r, 6)}", f"#{r.randint(10000, 9999999)}",
                     f"PO-{_digits(r, 5)}-{r.choice('ABCD')}", f"INV-{_digits(r, 6)}",
                     f"order {r.randint(100000, 99999999)}", f"RMA{_digits(r, 8)}",
                     f"ticket #{r.randint(1000, 99999)}"])


def gen_zip(r: random.Random) -> str:
    z = f"{r.randint(501, 99950):05d}"
    return z if r.random() < 0.6 else f"{z}-{_digits(r, 4)}"


def gen_biz_id(r: random.Random) -> str:
    return _digits(r, 9)


def gen_epoch(r: random.Random) -> str:
    t = r.randint(1_000_000_000, 1_999_999_999)
    return str(t) if r.random() < 0.6 else f"{t}{_digits(r, 3)}"


def gen_mac(r: random.Random) -> str:
    sep = r.choice([":", "-"])
    return sep.join(_rand(r, _HEX, 2) for _ in range(6))


def gen_isbn(r: random.Random) -> str:
    return f"978-{r.randint(0, 9)}-{_digits(r, 2)}-{_digits(r, 6)}-{r.randint(0, 9)}"


def gen_number(r: random.Random) -> str:
    return r.choice([f"{r.randint(0, 99)}.{r.randint(0, 99)}%", f"{r.random() * 1000:.4f}",
                     f"{r.randint(1, 99999):,}", f"0x{_rand(r, _HEX, r.choice([4, 8, 12]))}",
                     f"{r.randint(1, 64)}x{r.randint(1, 64)}", f"{r.randint(1000, 65535)}",
                     f"{r.randint(1, 9)}e-{r.randint(1, 9)}", f"{r.randint(100, 999)}-{r.randint(1000, 9999)}"])


def gen_lookalike(r: random.Random) -> str:
    """Words that start like a secret or sit next to one, but are not one."""
    return r.choice(["scikit-learn", "risk-based", "desk-top", "npm_config_registry", "ghp_token_name",
                     "AIzaSy", "xoxb-token", "sk_live_key", "sk-proj", "github_pat_prefix", "AKIA_PREFIX",
                     "eyJhbGciOi", "BEGIN PRIVATE KEY", "~/.ssh/id_rsa", "user@localhost", "@channel",
                     "@app.route", "a.b.c", "config.yaml.bak", "com.example.app", "ip6-localhost"])


def gen_cpp(r: random.Random) -> str:
    return r.choice(["std::vector<int>", "absl::StatusOr<T>", "jitguard::Masker::Create", "foo::bar::baz",
                     "std::chrono::seconds", "crate::net::ip", "Self::new", "::operator new", "a::b"])


POSITIVES: Dict[str, Tuple[str, Callable[[random.Random], str]]] = {
    "EMAIL": ("EMAIL", gen_email),
    "PHONE": ("PHONE", gen_phone_nanp),
    "PHONE_INTL": ("PHONE", gen_phone_intl),
    "PHONE_PAREN": ("PHONE", gen_phone_paren),
    "PHONE_NAT": ("PHONE", gen_phone_national),
    "CARD_PLAIN": ("CREDIT_CARD", gen_card_plain),
    "SSN": ("US_SSN", gen_ssn),
    "SSN_BARE": ("US_SSN", gen_ssn_bare),
    "CARD": ("CREDIT_CARD", gen_card),
    "IPV4": ("IPV4", gen_ipv4),
    "IPV6": ("IPV6", gen_ipv6),
    "IBAN": ("IBAN", gen_iban),
    "AWS": ("AWS_ACCESS_KEY", gen_aws_key),
    "APIKEY": ("API_KEY", gen_api_key),
    "JWT": ("JWT", gen_jwt),
    "PEM": ("PRIVATE_KEY", gen_private_key),
}

NEGATIVES: Dict[str, Callable[[random.Random], str]] = {
    "DATE": gen_date, "TIME": gen_time, "DATETIME": gen_datetime, "VERSION": gen_version,
    "UUID": gen_uuid, "SHA": gen_gitsha, "PRICE": gen_price, "ORDER": gen_order, "ZIP": gen_zip,
    "BAD_CARD": gen_bad_card, "BAD_IBAN": gen_bad_iban, "BAD_SSN": gen_bad_ssn,
    "BAD_IP": gen_bad_ipv4, "BIZ_ID": gen_biz_id, "EPOCH": gen_epoch, "MAC": gen_mac,
    "ISBN": gen_isbn, "NUM": gen_number, "CPP": gen_cpp, "LOOK": gen_lookalike, "BAD_JWT": gen_bad_jwt,
    "PUBPEM": gen_public_pem, "EXPIRY": gen_expiry, "BAD_IPV6": gen_bad_ipv6, "UNAME": lambda r: r.choice(_UNICODE_NAMES),
    "NAME": lambda r: f"{r.choice(_FIRST).capitalize()} {r.choice(_LAST).capitalize()}",
}

# Placeholder kinds that a table cell / JSON value / log field may hold, to keep entity counts even.
_CELL_POSITIVES = ["EMAIL", "PHONE", "PHONE_INTL", "SSN", "CARD", "IPV4", "IPV6", "IBAN", "AWS",
                   "APIKEY", "JWT"]
_CELL_NEGATIVES = ["DATE", "TIME", "DATETIME", "VERSION", "UUID", "SHA", "PRICE", "ORDER", "ZIP",
                   "BAD_CARD", "BAD_IBAN", "BAD_SSN", "BAD_IP", "BIZ_ID", "EPOCH", "MAC", "ISBN", "NUM"]

# ----------------------------------------------------------------------------------------------
# Templates. {KIND} is replaced by a generated value; positive kinds are labelled.

_PROSE = [
    "You can reach {NAME} at {EMAIL} or on {PHONE} during office hours.",
    "Sure! I've updated the record for {UNAME}: the new contact address is {EMAIL}.",
    "The customer's SSN is {SSN}, and their card on file is {CARD} (expires {DATE}).",
    "Please wire the refund of {PRICE} to {IBAN} by {DATE}.",
    "Our EU office takes calls on {PHONE_INTL}; the US desk is {PHONE}.",
    "The server at {IPV4} stopped answering at {TIME}, and the fallback {IPV6} took over.",
    "Here is the key you asked about: {AWS}. Rotate it before {DATE}.",
    "Never paste tokens like {APIKEY} into a chat, even in a private repo.",
    "The request carried the bearer token {JWT}, which expired at {DATETIME}.",
    "Version {VERSION} was released on {DATE} and fixes issue {ORDER}.",
    "Build {SHA} passed all 1,204 tests in {NUM} seconds on {DATE}.",
    "The invoice {ORDER} totals {PRICE}; shipping to ZIP {ZIP} takes 3 to 5 days.",
    "Note that {BAD_CARD} fails the Luhn check, so it is not a valid card number.",
    "The IBAN {BAD_IBAN} has a wrong check digit and was rejected by the bank.",
    "Numbers like {BAD_SSN} were never issued by the Social Security Administration.",
    "The address {BAD_IP} is not valid because an octet exceeds 255.",
    "Vendor account {BIZ_ID} was created at {EPOCH} (Unix time).",
    "The job id is {UUID} and the request id {UUID}.",
    "For tax purposes, the SSN: {SSN_BARE} was recorded on {DATE}.",
    "Her social security number is {SSN_BARE}, according to the form dated {DATE}.",
    "Please confirm your ssn {SSN_BARE} and your phone {PHONE}.",
    "The device with MAC {MAC} got the lease {IPV4} at {TIME}.",
    "See ISBN {ISBN} for the reference; the DOI was printed on page {NUM}.",
    "In C++ you would write {CPP} here, and {CPP} below.",
    "Naïve café owners in Zürich, like {UNAME}, prefer e-mail: {EMAIL} — thanks! ✅",
    "東京の担当者 ({UNAME}) の電話番号は {PHONE_INTL} です。",
    "Контакт: {EMAIL}, тел. {PHONE_INTL}.",
    "The card {CARD} was charged {PRICE} on {DATE} at {TIME}.",
    "Route traffic from {IPV6} to {IPV4} via the NAT64 prefix.",
    "Account holder {NAME}, IBAN {IBAN}, reference {ORDER}.",
    "The old Slack token {APIKEY} and the AWS key {AWS} were both leaked on {DATE}.",
    "Use the tracking number {BIZ_ID} to follow the parcel to {ZIP}.",
    "Temperatures ranged from {NUM} to {NUM} between {TIME} and {TIME}.",
    "Meeting moved to {DATETIME}; dial-in {PHONE}, PIN {NUM}.",
    "The JWT-looking string {BAD_JWT} is not a token: its header is not a JSON object.",
    "Release notes: {VERSION} ({SHA}), {VERSION} ({SHA}).",
    "Ping {IPV4} and {IPV6}, then compare latency ({NUM} ms vs {NUM} ms).",
    "Contact {NAME} ({EMAIL}, {PHONE_INTL}) about order {ORDER}.",
    "Here is the deploy key, please keep it out of the repo:\n\n{PEM}\n\nThe public half is in {SHA}.",
    "I found this in the config dump:\n{PEM}\nYou should revoke it now.",
    "The certificate below is public and safe to share:\n{PUBPEM}\n",
    "Write to [{NAME}](mailto:{EMAIL}) or <{EMAIL}>; call **{PHONE}**.",
    "The dashboard is at http://{IPV4}:3000/d/{SHA} and the API at https://[{IPV6}]:8443/v1.",
    "Set `AWS_ACCESS_KEY_ID` to `{AWS}` and `GITHUB_TOKEN` to `{APIKEY}`.",
    "Terms like {LOOK}, {LOOK} and {LOOK} are fine; {LOOK} too.",
    "(SSN {SSN}) — and the phone was {PHONE}; the order {ORDER}.",
    "Key: {APIKEY}\nJWT: {JWT}\nIBAN: {IBAN}",
    "Card number {CARD_PLAIN} {EXPIRY} was declined; the backup card {CARD_PLAIN} {CARD_PLAIN} too.",
    "Our London office is on {PHONE_PAREN}, Berlin on {PHONE_PAREN}.",
    "Tel: {PHONE_NAT}. Call {PHONE_NAT} after {TIME}, or phone {PHONE_NAT}.",
    "Mobile: {PHONE_NAT}; the meeting is on {DATE} and the call was on {DATE}.",
    "The address {BAD_IPV6} has two '::' and is not valid; {IPV6} is.",
]

_LOGS = [
    "{DATETIME} INFO  auth: login ok user={EMAIL} ip={IPV4} session={UUID}",
    "{DATETIME} WARN  http: slow request from {IPV4}:{NUM} path=/v1/orders/{BIZ_ID} took {NUM}ms",
    "{DATETIME} ERROR db: connection to [{IPV6}]:5432 refused (attempt 3)",
    "{DATETIME} DEBUG billing: charge card={CARD} amount={PRICE} order={ORDER}",
    "{DATETIME} INFO  deploy: version={VERSION} commit={SHA} by {EMAIL}",
    "{DATETIME} WARN  secrets: found AWS key {AWS} in env of pod web-{SHA}",
    "{DATETIME} ERROR webhook: bad signature, header Authorization: Bearer {JWT}",
    "{DATETIME} INFO  sms: sent code to {PHONE} (provider latency {NUM})",
    "{DATETIME} INFO  payout: iban={IBAN} ref={ORDER} amount={PRICE}",
    "{DATETIME} DEBUG kyc: ssn={SSN} dob={DATE} zip={ZIP}",
    "{DATETIME} INFO  net: dhcp lease {IPV4} mac={MAC} ttl={NUM}",
    "{DATETIME} INFO  net: neighbor {IPV6} reachable",
    "{DATETIME} WARN  ci: token {APIKEY} used from {IPV4}",
    "{DATETIME} INFO  gc: pause {NUM} ms, heap {NUM} MB, epoch {EPOCH}",
    "{DATETIME} INFO  queue: job {UUID} done in {TIME}",
    "{DATETIME} WARN  validate: rejected card {BAD_CARD} (luhn)",
    "{DATETIME} WARN  validate: rejected iban {BAD_IBAN} (checksum)",
    "{DATETIME} WARN  validate: rejected ssn {BAD_SSN} (never issued)",
    "{DATETIME} WARN  net: ignoring malformed address {BAD_IP}",
    "{DATETIME} INFO  call: inbound {PHONE_INTL} -> {PHONE}",
    "[{TIME}] worker-{NUM} GET /api/users/{BIZ_ID} 200 {NUM}B",
    "{DATETIME} INFO  kyc: applicant ssn {SSN_BARE} verified",
    "{DATETIME} DEBUG conf: loaded {LOOK} from {LOOK}",
    "{DATETIME} INFO  net: upstream host:{IPV4} port {NUM}",
    "eth0      inet addr:{IPV4}  Bcast:{IPV4}  Mask:{IPV4}",
    "{DATETIME} INFO  sms: tel {PHONE_NAT} verified",
]

_CODE = [
    ('python', 'AWS_ACCESS_KEY_ID = "{AWS}"\nGITHUB_TOKEN = "{APIKEY}"\nTIMEOUT = {NUM}\n'),
    ('python', 'def notify(user):\n    send_mail(to="{EMAIL}", cc=None)  # {DATE}\n    return "{UUID}"\n'),
    ('python', 'SERVERS = ["{IPV4}", "{IPV4}", "{IPV6}"]\nVERSION = "{VERSION}"\n'),
    ('js', 'const client = new Client({{ apiKey: "{APIKEY}", region: "eu-west-1" }});\n// build {SHA}\n'),
    ('js', 'fetch(url, {{ headers: {{ Authorization: "Bearer {JWT}" }} }});\n'),
    ('bash', 'export OPENAI_API_KEY={APIKEY}\ncurl -s http://{IPV4}:8080/health  # {DATE}\n'),
    ('cpp', 'auto masker = {CPP}(options);  // since {VERSION}\nint zip = {ZIP};\n'),
    ('yaml', 'db:\n  host: {IPV4}\n  port: 5432\n  owner: {EMAIL}\n  created: {DATETIME}\n'),
    ('ini', '[billing]\niban = {IBAN}\nphone = {PHONE}\nlast_invoice = {ORDER}\n'),
    ('text', '{PEM}\n'),
    ('text', '# public material is fine to share\n{PUBPEM}\n'),
    ('bash', 'cat > ~/.ssh/id_ed25519 <<EOF\n{PEM}\nEOF\nchmod 600 ~/.ssh/id_ed25519\n'),
]


Planted = Tuple[str, str, str, str]  # text before the value, the value, text after it, the scheme


def _fill(r: random.Random, template: str, labels: List[Label], out: List[str], pos: int,
          json_escape: bool = False, vocab: Optional["_Vocab"] = None) -> int:
    """Appends template with placeholders filled; returns the new position.

    A positive generator returns the value, or a :data:`Planted` tuple when words around the value
    (a context word) belong to the placeholder but not to the label."""
    positives = vocab.positives if vocab else POSITIVES
    negatives = vocab.negatives if vocab else NEGATIVES
    if vocab:
        template = vocab.rewrite.get(template, template)
    for piece in re.split(r"(\{[A-Z_0-9]+\}|\{\{|\}\})", template):
        if not piece:
            continue
        if piece == "{{":
            text = "{"
        elif piece == "}}":
            text = "}"
        elif piece.startswith("{") and piece.endswith("}"):
            kind = piece[1:-1]
            if kind in positives:
                entity, gen = positives[kind][:2]
                value = gen(r)
                if isinstance(value, tuple):
                    before, value, after, scheme = value
                else:
                    before, after, scheme = "", "", positives[kind][2] if len(positives[kind]) > 2 else ""
                start = pos + len(before)
                labels.append(Label(entity, start, start + len(value), value, scheme))
                text = before + value + after
            else:
                text = negatives[kind](r)
                if isinstance(text, tuple):
                    text = "".join(text)
        else:
            text = piece
        out.append(text)
        pos += len(text)
    return pos


def _prose(r: random.Random, vocab: Optional["_Vocab"] = None,
           templates: Optional[Sequence[str]] = None) -> Tuple[str, List[Label]]:
    out, labels, pos = [], [], 0
    for i in range(r.randint(2, 6)):
        if i:
            sep = r.choice([" ", " ", "\n"])
            out.append(sep)
            pos += len(sep)
        pos = _fill(r, r.choice(templates or _PROSE), labels, out, pos, vocab=vocab)
    return "".join(out), labels


def _table(r: random.Random, vocab: Optional["_Vocab"] = None) -> Tuple[str, List[Label]]:
    cols = ["name"] + r.sample(_CELL_POSITIVES, 2) + r.sample(_CELL_NEGATIVES, 2)
    return _table_rows(r, cols, {}, vocab)


def _table_rows(r: random.Random, cols: List[str], headers: Dict[str, str],
                vocab: Optional["_Vocab"]) -> Tuple[str, List[Label]]:
    out, labels, pos = [], [], 0
    pos = _fill(r, "Here is the table you asked for:\n\n", labels, out, pos, vocab=vocab)
    header = ("| " + " | ".join(headers.get(c, c.lower()) for c in cols) + " |\n" + "|" + "---|" * len(cols)
              + "\n")
    out.append(header)
    pos += len(header)
    for _ in range(r.randint(2, 6)):
        row = "| " + " | ".join("{NAME}" if c == "name" else "{" + c + "}" for c in cols) + " |\n"
        pos = _fill(r, row, labels, out, pos, vocab=vocab)
    return "".join(out), labels


_JSON_KEYS = {
    "EMAIL": "email", "PHONE": "phone", "PHONE_INTL": "mobile", "SSN": "ssn", "CARD": "card",
    "IPV4": "client_ip", "IPV6": "ip6", "IBAN": "iban", "AWS": "aws_key_id", "APIKEY": "token",
    "JWT": "access_token", "DATE": "created", "TIME": "at", "DATETIME": "updated_at",
    "VERSION": "version", "UUID": "id", "SHA": "commit", "PRICE": "total", "ORDER": "order",
    "ZIP": "zip", "BAD_CARD": "rejected_card", "BAD_IBAN": "rejected_iban", "BAD_SSN": "test_ssn",
    "BAD_IP": "bad_ip", "BIZ_ID": "account_id", "EPOCH": "ts", "MAC": "mac", "ISBN": "isbn",
    "NUM": "score", "SSN_BARE": "ssn"}


def _json_template(r: random.Random, fields: List[Tuple[str, str]]) -> str:
    indent = r.choice([None, 2])
    nl, sp = ("\n", "  ") if indent else ("", "")
    lines = [f'{sp}"{key}": "{{{kind}}}"' for key, kind in fields]
    return "```json\n{{" + nl + ("," + nl if indent else ", ").join(lines) + nl + "}}\n```"


def _json(r: random.Random, vocab: Optional["_Vocab"] = None) -> Tuple[str, List[Label]]:
    kinds = r.sample(_CELL_POSITIVES, 3) + r.sample(_CELL_NEGATIVES, 3)
    if r.random() < 0.2:
        kinds.append("SSN_BARE")
    r.shuffle(kinds)
    template = _json_template(r, [(_JSON_KEYS[k], k) for k in kinds])
    out, labels, pos = [], [], 0
    _fill(r, template, labels, out, pos, vocab=vocab)
    return "".join(out), labels


def _logs(r: random.Random, vocab: Optional["_Vocab"] = None,
          templates: Optional[Sequence[str]] = None) -> Tuple[str, List[Label]]:
    out, labels, pos = [], [], 0
    for _ in range(r.randint(3, 8)):
        pos = _fill(r, r.choice(templates or _LOGS) + "\n", labels, out, pos, vocab=vocab)
    return "".join(out), labels


def _code(r: random.Random, vocab: Optional["_Vocab"] = None) -> Tuple[str, List[Label]]:
    lang, body = r.choice(_CODE)
    out, labels, pos = [], [], 0
    _fill(r, f"```{lang}\n{body}```", labels, out, pos, vocab=vocab)
    return "".join(out), labels


# ----------------------------------------------------------------------------------------------
# The opt-in entities (generate(..., opt_in=True)).
#
# {CNID}: a national id of a random scheme with its context phrase (schemes that need none go
# bare a quarter of the time); {BAD_NID}: a broken id after its context phrase, or a valid id of a
# scheme that needs context without one (digits only: a grouped 3-3-4 number is a phone number's
# shape); {LNID} / {LBAD_NID}: the same as a log field "key=value"; {ID_<RULE>} / {BADID_<RULE>}:
# the value alone (JSON values under the scheme's key, table cells).

_OPTIN_PROSE = [
    "{NAME}'s {CNID} was checked against the register on {DATE}.",
    "Please update the record: {CNID}, and the older one, {CNID}.",
    "For the visa application we need {CNID} (expires {DATE}).",
    "The form lists {CNID}; the reference is {ORDER}.",
    "Applicant {UNAME}, {CNID}, {DOB}.",
    "Note that {BAD_NID} fails its check, so it is not a valid id.",
    "Registry export {ORDER}: {BAD_NID} was rejected and {CNID} accepted.",
    "Send the 0.05 BTC to {BTC} before {TIME}.",
    "The donation address is {BTC_SEGWIT}; the old one was {BTC}.",
    "My wallet is {ETH}, please send the USDC there.",
    "Payout to {ETH_CTX} (ERC-20 only), fee {PRICE}.",
    "The transaction {TX_HASH} moved funds to {ETH} on {DATE}.",
    "That string {BAD_WALLET} only looks like a wallet: its checksum is wrong.",
    "Commit {SHA} and the SHA-1 {HEX40} are hashes, not wallets.",
    "The faucet sent test coins to {TESTNET} in block {BIZ_ID}.",
    "The switch learned {MAC} on port {NUM}; {BAD_MAC} is not a MAC address.",
    "The NIC {MAC} and the interface id {BAD_MAC} belong to the same host.",
    "Host key {FPR} was accepted for {IPV4}.",
    "The holder's {CNID} matches the copy on file.",
    "On the second page: {CNID}; on the third, {CNID}.",
    "The scan shows {CNID} and, on the back, {CNID}.",
    "Patient record: {DOB}; the appointment is on {DATE}.",
    "{NAME}, {DOB}, lives at ZIP {ZIP}.",
    "Form check: {DOB} matches the passport.",
    "The record shows {DOB} and a policy that {OTHER_DATE}.",
    "Order {ORDER} {OTHER_DATE}; the invoice {OTHER_DATE}.",
    "Version {VERSION} was {OTHER_DATE} and the next one is {OTHER_DATE}.",
    "The form says {BAD_DOB}, which is no date, so it was sent back.",
    "She was {DOB_YEAR} and moved to Berlin on {DATE}.",
    "Applicant {UNAME}: {DOB}, {CNID}.",
    "Two applicants: {DOB} and {DOB}.",
]

_OPTIN_LOGS = [
    "{DATETIME} INFO  kyc: {LNID} verified for {EMAIL}",
    "{DATETIME} INFO  kyc: applicant {NAME} {LNID}",
    "{DATETIME} WARN  kyc: rejected {LBAD_NID} (checksum)",
    "{DATETIME} INFO  payout: btc={BTC} amount={PRICE}",
    "{DATETIME} INFO  payout: to={BTC_SEGWIT} fee={NUM}",
    "{DATETIME} INFO  wallet: eth {ETH} balance {NUM}",
    "{DATETIME} INFO  wallet: {ETH_CTX} nonce {NUM}",
    "{DATETIME} DEBUG chain: tx {TX_HASH} confirmed in block {BIZ_ID}",
    "{DATETIME} WARN  chain: checksum mismatch {BAD_WALLET}",
    "{DATETIME} DEBUG chain: testnet {TESTNET}",
    "{DATETIME} DEBUG store: object digest={HEX40}",
    "{DATETIME} INFO  net: arp {IPV4} is-at {MAC}",
    "{DATETIME} INFO  net: port {NUM} learned {MAC} vlan {NUM}",
    "{DATETIME} DEBUG net: ignoring {BAD_MAC}",
    "{DATETIME} INFO  sshd: accepted key {FPR} from {IPV4}",
    "{DATETIME} DEBUG kyc: matched {LNID} against the register",
    "{DATETIME} INFO  kyc: applicant {EMAIL} {LDOB} verified",
    "{DATETIME} DEBUG profile: user={BIZ_ID} {LDOB} zip={ZIP}",
    "{DATETIME} WARN  kyc: rejected {LBAD_DOB} (no such date)",
    "{DATETIME} INFO  orders: order={ORDER} {LOTHER_DATE}",
]

# JSON fields and table columns of the opt-in documents: (key / header, placeholder).
_OPTIN_FIELDS = [("btc_address", "BTC"), ("payout_address", "BTC_SEGWIT"), ("eth_address", "ETH"),
                 ("wallet", "ETH_LOWER"), ("recipient", "ETH_LOWER"), ("mac", "MAC"),
                 ("rejected_address", "BAD_WALLET"), ("tx_hash", "TX_HASH"), ("hw_id", "BAD_MAC"),
                 ("testnet_address", "TESTNET"), ("sha1", "HEX40")]
_OPTIN_FIELDS += [(key, "JDOB") for key in dob.JSON_KEYS] + [
    ("shipped_on", "ANY_DATE"), ("expires", "ANY_DATE"), ("release_date", "ANY_DATE"),
    ("dob", "IMPOSSIBLE_DATE")]
_OPTIN_COLUMNS = [("btc", "BTC"), ("segwit", "BTC_SEGWIT"), ("eth", "ETH"), ("mac", "MAC"),
                  ("tx", "TX_HASH"), ("rejected", "BAD_WALLET"), ("hw id", "BAD_MAC"), ("testnet", "TESTNET")]

_ETH_CONTEXT = ("ETH address", "wallet", "deposit address", "send to", "MetaMask", "recipient",
                "ERC-20 address", "ethereum")
_NEUTRAL = ("ref", "ref.", "ticket", "order", "tracking no.", "batch", "serial")


def _placeholder(rule: str) -> str:
    return rule.upper()


class _Vocab:
    """Placeholders of the every-entity corpus: the default ones, the MACs labelled, and the
    opt-in entities' positives and negatives."""

    def __init__(self) -> None:
        self.schemes = ids.active_schemes()
        self.free = [s for s in self.schemes if not s.needs_context]
        # Planted values: the schemes that need a context word three times as often (no table
        # column plants them, and tables plant the others).
        self.planted = self.schemes + [s for s in self.schemes if s.needs_context] * 2
        self.positives: Dict[str, tuple] = dict(POSITIVES)
        self.negatives: Dict[str, Callable] = dict(NEGATIVES)
        self.positives.update({
            "MAC": ("MAC_ADDRESS", wallets.gen_mac_address, "mac"),
            "BTC": ("CRYPTO_WALLET", wallets.gen_btc_base58, "btc_base58"),
            "BTC_SEGWIT": ("CRYPTO_WALLET", wallets.gen_btc_segwit, "btc_bech32"),
            "ETH": ("CRYPTO_WALLET", wallets.gen_eth, "eth"),
            "ETH_LOWER": ("CRYPTO_WALLET", wallets.gen_eth_lower, "eth_context"),
            "ETH_CTX": ("CRYPTO_WALLET", self._eth_ctx),
            "CNID": ("NATIONAL_ID", self._cnid),
            "LNID": ("NATIONAL_ID", self._lnid),
            "DOB": ("DATE_OF_BIRTH", dob.gen_prose),
            "LDOB": ("DATE_OF_BIRTH", dob.gen_log),
            "JDOB": ("DATE_OF_BIRTH", dob.gen_json_value),
        })
        self.negatives.update({
            "BAD_NID": self._bad_nid, "LBAD_NID": self._lbad_nid, "BAD_WALLET": wallets.bad_wallet,
            "TESTNET": wallets.gen_testnet, "TX_HASH": wallets.gen_tx_hash, "HEX40": wallets.gen_hex40,
            "BAD_MAC": wallets.bad_mac, "FPR": wallets.gen_fingerprint,
            "OTHER_DATE": dob.gen_other_date, "ANY_DATE": dob.any_date, "BAD_DOB": dob.gen_impossible,
            "IMPOSSIBLE_DATE": dob.impossible, "DOB_YEAR": dob.gen_year_only,
            "LBAD_DOB": lambda r: r.choice(dob.LOG_KEYS) + "=" + dob.impossible(r, numeric_only=True),
            "LOTHER_DATE": lambda r: r.choice(["shipped", "expires", "not_after", "due"]) + "="
            + dob.numeric(r, *ids._date(r, 1990, 2030)),
        })
        # A default template's date after a birth-date word is a date of birth here.
        self.rewrite = {"{DATETIME} DEBUG kyc: ssn={SSN} dob={DATE} zip={ZIP}\n":
                        "{DATETIME} DEBUG kyc: ssn={SSN} {LDOB} zip={ZIP}\n"}
        for s in self.schemes:
            self.positives["ID_" + _placeholder(s.rule)] = ("NATIONAL_ID", s.good, ids.rule_of(s))
            self.negatives["BADID_" + _placeholder(s.rule)] = s.bad

    @staticmethod
    def _eth_ctx(r: random.Random) -> Planted:
        phrase = r.choice(_ETH_CONTEXT)
        return phrase + r.choice([" ", ": "]), wallets.gen_eth_lower(r), "", "eth_context"

    def _cnid(self, r: random.Random) -> Planted:
        s = r.choice(self.planted)
        value = s.good(r)
        if not s.needs_context and r.random() < 0.25:
            return "", value, "", ids.rule_of(s)
        phrase = r.choice(s.context)
        sep = " " if phrase[-1] in ":#." else r.choice([" ", " ", ": ", " is "])
        return phrase + sep, value, "", ids.rule_of(s)

    def _lnid(self, r: random.Random) -> Planted:
        s = r.choice(self.planted)
        return s.key + r.choice(["=", ": "]), s.good(r), "", ids.rule_of(s)

    def _bad(self, r: random.Random) -> Tuple[ids.Scheme, str, bool]:
        """A scheme, a value that is no id, and whether it goes after the scheme's context."""
        s = r.choice(self.schemes)
        if s.needs_context and r.random() < 0.3:
            value = re.sub(r"\D", "", s.good(r))
            while len(value) >= 13 and luhn_valid(value):  # 13-19 digits passing Luhn: a card
                value = re.sub(r"\D", "", s.good(r))
            return s, value, False
        return s, s.bad(r), True

    def _bad_nid(self, r: random.Random) -> str:
        s, value, with_context = self._bad(r)
        phrase = r.choice(s.context) if with_context else r.choice(_NEUTRAL)
        return phrase + " " + value

    def _lbad_nid(self, r: random.Random) -> str:
        s, value, with_context = self._bad(r)
        return (s.key if with_context else r.choice(["ref", "order", "batch"])) + "=" + value


def _optin_prose(r: random.Random, vocab: "_Vocab") -> Tuple[str, List[Label]]:
    return _prose(r, vocab, _OPTIN_PROSE)


def _optin_logs(r: random.Random, vocab: "_Vocab") -> Tuple[str, List[Label]]:
    return _logs(r, vocab, _OPTIN_LOGS)


def _optin_json(r: random.Random, vocab: "_Vocab") -> Tuple[str, List[Label]]:
    fields = [(_JSON_KEYS[k], k) for k in r.sample(_CELL_POSITIVES, 1) + r.sample(_CELL_NEGATIVES, 1)]
    for _ in range(r.randint(2, 5)):
        x = r.random()
        s = r.choice(vocab.planted)
        if x < 0.5:
            fields.append((s.key, "ID_" + _placeholder(s.rule)))
        elif x < 0.6:
            fields.append((s.key, "BADID_" + _placeholder(s.rule)))
        else:
            fields.append(r.choice(_OPTIN_FIELDS))
    r.shuffle(fields)
    out, labels = [], []
    _fill(r, _json_template(r, fields), labels, out, 0, vocab=vocab)
    return "".join(out), labels


def _optin_table(r: random.Random, vocab: "_Vocab") -> Tuple[str, List[Label]]:
    # A table cell has no context word (the window stops at the line break before it), so only
    # the schemes that need none go in a column of their own.
    free = r.sample(vocab.free, 2)
    cols = [("name", "name")] + [(s.key, "ID_" + _placeholder(s.rule)) for s in free]
    cols += r.sample(_OPTIN_COLUMNS, 2) + [(_JSON_KEYS[k], k) for k in r.sample(_CELL_NEGATIVES, 1)]
    return _table_rows(r, [c for _, c in cols], {c: h for h, c in cols}, vocab)


# ----------------------------------------------------------------------------------------------
# Secrets written key: value or key=value (tests/corpus/keyvalue.py): YAML, .env, HTTP headers and
# curl, JSON quoted in prose or escaped in a tool call, Python, TOML, logs; the value alone is
# labelled (API_KEY, or AWS_ACCESS_KEY for an AWS secret access key).


class _KeyValueVocab:
    def __init__(self) -> None:
        self.positives: Dict[str, tuple] = {**POSITIVES, **kv.POSITIVES}
        self.negatives: Dict[str, Callable] = {**NEGATIVES, **kv.NEGATIVES}
        self.rewrite: Dict[str, str] = {}


_KV_VOCAB = _KeyValueVocab()
#: How often a key-value document follows a document of the other kinds. They are drawn from a
#: Random of their own (seeded from the corpus seed), so that the other documents stay what they
#: were before key-value documents existed.
KEYVALUE_RATE = 0.1


def _keyvalue(r: random.Random) -> Tuple[str, List[Label]]:
    out, labels = [], []
    _fill(r, kv.template(r), labels, out, 0, vocab=_KV_VOCAB)
    return "".join(out), labels


_KINDS = [("prose", _prose, 4), ("table", _table, 2), ("json", _json, 2), ("logs", _logs, 2),
          ("code", _code, 2)]
_OPTIN_KINDS = [("prose", _optin_prose, 4), ("logs", _optin_logs, 2), ("json", _optin_json, 2),
                ("table", _optin_table, 1)]


def generate(seed: int = 7, documents: int = 1000, opt_in: bool = False, keyvalue: bool = True) -> Corpus:
    """The corpus of `documents` documents drawn with `seed` (same arguments, same corpus), and,
    with `keyvalue`, after each of them with probability KEYVALUE_RATE a "keyvalue" document
    (secrets after their key names) from a Random of its own: the other documents are the same with
    or without them.

    With `opt_in`, documents holding the opt-in entities (NATIONAL_ID, DATE_OF_BIRTH, CRYPTO_WALLET,
    MAC_ADDRESS) join the default ones (about 3 in 7 documents), the MACs are labelled, and the
    corpus labels ALL_ENTITIES."""
    r = random.Random(seed)
    kv_r = random.Random(f"keyvalue:{seed}") if keyvalue else None
    vocab = _Vocab() if opt_in else None
    population = [k for k in _KINDS + (_OPTIN_KINDS if opt_in else []) for _ in range(k[2])]
    docs = []
    for _ in range(documents):
        kind, fn, _ = r.choice(population)
        text, labels = fn(r, vocab) if opt_in else fn(r)
        docs.append(Document(kind, text, labels))
        if kv_r is not None and kv_r.random() < KEYVALUE_RATE:
            docs.append(Document("keyvalue", *_keyvalue(kv_r)))
    return Corpus(docs, entities=ALL_ENTITIES if opt_in else ENTITIES)


def generate_bytes(seed: int, size: int) -> Tuple[str, Corpus]:
    """A corpus of at least `size` UTF-8 bytes (for benchmarks)."""
    docs = max(1, size // 300)
    while True:
        c = generate(seed, docs)
        if len(c.text.encode()) >= size:
            return c.text, c
        docs = int(docs * 1.3) + 1


# ----------------------------------------------------------------------------------------------
# Scoring

@dataclass
class EntityScore:
    entity: str
    labels: int = 0
    found: int = 0       # labels fully covered by same-entity findings
    predicted: int = 0
    true_pos: int = 0    # findings overlapping a label of the same entity

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else 1.0

    @property
    def precision(self) -> float:
        return self.true_pos / self.predicted if self.predicted else 1.0


@dataclass
class Miss:
    entity: str
    verdict: str  # "missed" (false negative), "partial" (not fully covered) or "false_positive"
    start: int
    end: int
    context: str


def _core(label: Label) -> Tuple[int, int]:
    """The label's span without leading/trailing punctuation (a '(' or '+' left unmasked is fine)."""
    s, e = label.start, label.end
    v = label.value
    i, j = 0, len(v)
    while i < j and not v[i].isalnum():
        i += 1
    while j > i and not v[j - 1].isalnum():
        j -= 1
    return s + i, s + j


def score(labels: Sequence[Label], findings: Iterable[Tuple[str, int, int]], text: Optional[str] = None,
          entities: Optional[Iterable[str]] = None, context: int = 40
          ) -> Tuple[Dict[str, EntityScore], List[Miss]]:
    """Per-entity precision and recall of `findings` ((entity, start, end) tuples) against labels.

    A label counts as found when findings of its entity cover all of it (except leading/trailing
    punctuation); a finding counts as correct when it overlaps a label of its entity. Findings of
    entities outside `entities` (default: ENTITIES) are ignored. With `text`, misses carry context.
    """
    wanted = set(entities or ENTITIES)
    result = {e: EntityScore(e) for e in ALL_ENTITIES if e in wanted}
    by_entity: Dict[str, List[Tuple[int, int]]] = {e: [] for e in result}
    for ent, s, e in findings:
        if ent in by_entity:
            by_entity[ent].append((s, e))
    for spans in by_entity.values():
        spans.sort()
    labels_by_entity: Dict[str, List[Label]] = {e: [] for e in result}
    for l in labels:
        if l.entity in labels_by_entity:
            labels_by_entity[l.entity].append(l)
    misses: List[Miss] = []

    def ctx(s: int, e: int) -> str:
        if text is None:
            return ""
        return (text[max(0, s - context):s] + "⟦" + text[s:e] + "⟧" + text[e:e + context]).replace("\n", "⏎")

    for ent, ls in labels_by_entity.items():
        ls.sort(key=lambda l: l.start)
        spans = by_entity[ent]
        starts = [s for s, _ in spans]
        sc = result[ent]
        sc.labels = len(ls)
        for l in ls:
            cs, ce = _core(l)
            # Walk the findings that may cover [cs, ce).
            i = bisect.bisect_right(starts, cs) - 1
            i = max(i, 0)
            cur = cs
            while i < len(spans) and spans[i][0] <= cur:
                if spans[i][1] > cur:
                    cur = spans[i][1]
                i += 1
                if cur >= ce:
                    break
            if cur >= ce:
                sc.found += 1
            else:
                partial = cur > cs or any(s < ce and e > cs for s, e in spans[max(0, bisect.bisect_left(starts, cs) - 2):
                                                                              bisect.bisect_left(starts, ce)])
                misses.append(Miss(ent, "partial" if partial else "missed", l.start, l.end, ctx(l.start, l.end)))
        lstarts = [l.start for l in ls]
        for s, e in spans:
            sc.predicted += 1
            j = bisect.bisect_right(lstarts, e) - 1
            hit = False
            while j >= 0:
                l = ls[j]
                if l.end > s and l.start < e:
                    hit = True
                    break
                if l.start < s - 20000:  # PEM blocks are the longest labels
                    break
                j -= 1
            if hit:
                sc.true_pos += 1
            else:
                misses.append(Miss(ent, "false_positive", s, e, ctx(s, e)))
    return result, misses


def recall_by_scheme(labels: Sequence[Label], findings: Iterable[Tuple[str, int, int]],
                     entities: Iterable[str] = OPT_IN_ENTITIES) -> Dict[Tuple[str, str], EntityScore]:
    """Recall of each (entity, scheme) of the labels (precision is per entity only: a finding
    does not say which scheme it took the value for)."""
    findings = list(findings)
    groups: Dict[Tuple[str, str], List[Label]] = {}
    for l in labels:
        if l.entity in entities:
            groups.setdefault((l.entity, l.scheme), []).append(l)
    out = {}
    for (entity, scheme), ls in sorted(groups.items()):
        sc = score(ls, [f for f in findings if f[0] == entity], entities=[entity])[0][entity]
        out[(entity, scheme)] = sc
    return out


def format_scores(scores: Dict[str, EntityScore]) -> str:
    lines = [f"{'entity':16} {'labels':>7} {'found':>7} {'recall':>8} {'predicted':>9} {'precision':>9}"]
    for sc in scores.values():
        lines.append(f"{sc.entity:16} {sc.labels:7d} {sc.found:7d} {sc.recall:8.2%} {sc.predicted:9d} {sc.precision:9.2%}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="directory for corpus.txt and labels.jsonl")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--min-bytes", type=int, default=0, help="grow the corpus to at least this size")
    args = ap.parse_args(argv)
    if args.min_bytes:
        _, corpus = generate_bytes(args.seed, args.min_bytes)
    else:
        corpus = generate(args.seed, args.documents)
    os.makedirs(args.out, exist_ok=True)
    data = corpus.text.encode()
    with open(os.path.join(args.out, "corpus.txt"), "wb") as f:
        f.write(data)
    # Byte offsets from char offsets, one walk over the sorted labels.
    with open(os.path.join(args.out, "labels.jsonl"), "w") as f:
        char_pos = byte_pos = 0
        for l in sorted(corpus.labels, key=lambda l: l.start):
            byte_pos += len(corpus.text[char_pos:l.start].encode())
            char_pos = l.start
            f.write(json.dumps({"entity": l.entity, "start": l.start, "end": l.end, "byte_start": byte_pos,
                                "byte_end": byte_pos + len(l.value.encode())}) + "\n")
    print(f"{len(data)} bytes, {len(corpus.labels)} labels: {corpus.counts()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
