"""National identifiers for the labelled corpus: one generator per scheme, its check digit computed
from the scheme's specification, and a hard negative of the same shape whose check fails.

Each :class:`Scheme` names the rule jitguard reports (``Finding.rule``), the context words the
matcher accepts before the value (``needs_context``: the value is an id only after one of them), the
forms it accepts, and a JSON key / log field that carries the context. Every scheme of
:data:`SCHEMES` is planted in the corpus.

Every value is synthetic (random digits with valid check digits).
"""
from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

_DIGITS = string.digits
_UPPER = string.ascii_uppercase


def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice(_DIGITS) for _ in range(n))


def _valid_date(y: int, m: int, d: int) -> bool:
    if not 1 <= m <= 12 or d < 1:
        return False
    days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    return d <= days and not (m == 2 and d == 29 and not leap)


def _date(r: random.Random, y0: int, y1: int) -> Tuple[int, int, int]:
    while True:
        y, m, d = r.randint(y0, y1), r.randint(1, 12), r.randint(1, 31)
        if _valid_date(y, m, d):
            return y, m, d


def _group(s: str, sizes: Tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    return sep.join(out)


# --- US ITIN (IRS): 9XX-GG-SSSS, group 50-65, 70-88, 90-92, 94-99 ---------------------------------

ITIN_GROUPS = [g for g in range(50, 100) if g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or g >= 94]


def itin_valid(value: str) -> bool:
    d = "".join(ch for ch in value if ch.isdigit())
    return len(d) == 9 and d[0] == "9" and int(d[3:5]) in ITIN_GROUPS


def _itin_form(r: random.Random, d: str) -> str:
    x = r.random()
    return _group(d, (3, 2, 4), "-") if x < 0.6 else _group(d, (3, 2, 4), " ") if x < 0.85 else d


def gen_itin(r: random.Random) -> str:
    return _itin_form(r, f"9{_digits(r, 2)}{r.choice(ITIN_GROUPS):02d}{_digits(r, 4)}")


def bad_itin(r: random.Random) -> str:
    """A group the IRS does not issue (00-49, 66-69, 89, 93)."""
    group = r.choice([r.randint(0, 49), r.randint(66, 69), 89, 93])
    return _itin_form(r, f"9{_digits(r, 2)}{group:02d}{_digits(r, 4)}")


# --- Spain: DNI/NIF 8 digits + letter, NIE X/Y/Z + 7 digits + letter (mod 23) ---------------------

ES_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_letter(number: int) -> str:
    return ES_LETTERS[number % 23]


def es_valid(value: str) -> bool:
    v = value.replace("-", "").replace(" ", "")
    head = str("XYZ".index(v[0])) + v[1:-1] if v[0] in "XYZ" else v[:-1]
    return head.isdigit() and es_letter(int(head)) == v[-1]


def _es_form(r: random.Random, body: str, letter: str) -> str:
    return body + r.choice(["", "", "", "-", " "]) + letter


def gen_es_nif(r: random.Random) -> str:
    body = _digits(r, 8)
    return _es_form(r, body, es_letter(int(body)))


def gen_es_nie(r: random.Random) -> str:
    prefix, body = r.randrange(3), _digits(r, 7)
    return _es_form(r, "XYZ"[prefix] + body, es_letter(int(f"{prefix}{body}")))


def _es_wrong(letter: str, r: random.Random) -> str:
    return r.choice([c for c in ES_LETTERS if c != letter])


def bad_es_nif(r: random.Random) -> str:
    body = _digits(r, 8)
    return _es_form(r, body, _es_wrong(es_letter(int(body)), r))


def bad_es_nie(r: random.Random) -> str:
    prefix, body = r.randrange(3), _digits(r, 7)
    return _es_form(r, "XYZ"[prefix] + body, _es_wrong(es_letter(int(f"{prefix}{body}")), r))


# --- India: Aadhaar, 12 digits, first 2-9, Verhoeff check digit -----------------------------------

_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]


def verhoeff_valid(number: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def verhoeff_check(payload: str) -> str:
    return next(str(k) for k in range(10) if verhoeff_valid(payload + str(k)))


def aadhaar_valid(value: str) -> bool:
    d = "".join(ch for ch in value if ch.isdigit())
    return len(d) == 12 and d[0] >= "2" and verhoeff_valid(d)


def _aadhaar_form(r: random.Random, d: str, grouped: bool) -> str:
    return _group(d, (4, 4, 4), r.choice([" ", " ", "-"])) if grouped else d


def gen_aadhaar(r: random.Random) -> str:
    """Grouped 4-4-4 (an id on its own)."""
    payload = str(r.randint(2, 9)) + _digits(r, 10)
    return _aadhaar_form(r, payload + verhoeff_check(payload), True)


def gen_aadhaar_bare(r: random.Random) -> str:
    """Contiguous (an id only after its context word)."""
    payload = str(r.randint(2, 9)) + _digits(r, 10)
    return payload + verhoeff_check(payload)


def bad_aadhaar(r: random.Random) -> str:
    payload = str(r.randint(2, 9)) + _digits(r, 10)
    if r.random() < 0.75:  # Verhoeff digit off
        good = verhoeff_check(payload)
        d = payload + str((int(good) + r.randint(1, 9)) % 10)
    else:  # a valid Verhoeff digit, but Aadhaar never starts with 0 or 1
        payload = r.choice("01") + payload[1:]
        d = payload + verhoeff_check(payload)
    return _aadhaar_form(r, d, r.random() < 0.7)


# --- UK: NHS number, 10 digits, mod 11 with weights 10..2 (check 10 never issued) -----------------

def nhs_check(payload: str) -> int:
    check = 11 - sum(int(ch) * (10 - i) for i, ch in enumerate(payload)) % 11
    return 0 if check == 11 else check


def nhs_valid(value: str) -> bool:
    d = "".join(ch for ch in value if ch.isdigit())
    return len(d) == 10 and nhs_check(d[:9]) == int(d[9])


def _nhs_payload(r: random.Random) -> str:
    # England and Wales issue 400-499 and 600-799, Northern Ireland 320-399 (first three digits).
    head = r.choice([str(r.randint(400, 499)), str(r.randint(600, 799)), str(r.randint(320, 399))])
    return head + _digits(r, 6)


def _nhs_form(r: random.Random, d: str) -> str:
    x = r.random()
    return _group(d, (3, 3, 4), " ") if x < 0.45 else _group(d, (3, 3, 4), "-") if x < 0.6 else d


def gen_nhs(r: random.Random) -> str:
    while True:
        payload = _nhs_payload(r)
        check = nhs_check(payload)
        if check != 10:
            return _nhs_form(r, payload + str(check))


def bad_nhs(r: random.Random) -> str:
    payload = _nhs_payload(r)
    check = nhs_check(payload)
    wrong = r.choice([k for k in range(10) if k != check])
    return _nhs_form(r, payload + str(wrong))


# --- Poland: PESEL, YYMMDDZZZZC, century in the month, weights 1-3-7-9 ----------------------------

_PESEL_W = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def pesel_check(payload: str) -> int:
    return (10 - sum(int(ch) * w for ch, w in zip(payload, _PESEL_W)) % 10) % 10


def pesel_valid(value: str) -> bool:
    if len(value) != 11 or not value.isdigit():
        return False
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:6])
    century = mm // 20
    if century > 4:
        return False
    year = yy + (1900, 2000, 2100, 2200, 1800)[century]
    return _valid_date(year, mm - 20 * century, dd) and pesel_check(value[:10]) == int(value[10])


def _pesel_payload(r: random.Random, y: int, m: int, d: int) -> str:
    mm = m + (20 if y >= 2000 else 0)
    return f"{y % 100:02d}{mm:02d}{d:02d}{_digits(r, 4)}"


def gen_pesel(r: random.Random) -> str:
    payload = _pesel_payload(r, *_date(r, 1930, 2020))
    return payload + str(pesel_check(payload))


def bad_pesel(r: random.Random) -> str:
    if r.random() < 0.7:  # check digit off
        payload = _pesel_payload(r, *_date(r, 1930, 2020))
        return payload + str((pesel_check(payload) + r.randint(1, 9)) % 10)
    # A valid check digit on a date that does not exist (31 April, 30 February, month 13).
    y = r.randint(1930, 1999)
    m, d = r.choice([(4, 31), (6, 31), (2, 30), (13, 1), (0, 12)])
    payload = f"{y % 100:02d}{m:02d}{d:02d}{_digits(r, 4)}"
    return payload + str(pesel_check(payload))


# --- Finland: henkilötunnus DDMMYYCZZZQ ------------------------------------------------------------

HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def hetu_valid(value: str) -> bool:
    if len(value) != 11 or not (value[:6] + value[7:10]).isdigit():
        return False
    sign = value[6]
    if sign == "+":
        century = 1800
    elif sign == "-" or sign in "UVWXY":
        century = 1900
    elif sign in "ABCDEF":
        century = 2000
    else:
        return False
    dd, mm, yy = int(value[:2]), int(value[2:4]), int(value[4:6])
    individual = int(value[7:10])
    return (_valid_date(century + yy, mm, dd) and 2 <= individual <= 899
            and HETU_CHECK[int(value[:6] + value[7:10]) % 31] == value[10])


def _hetu(y: int, m: int, d: int, sign: str, individual: int) -> str:
    digits = f"{d:02d}{m:02d}{y % 100:02d}{individual:03d}"
    return f"{d:02d}{m:02d}{y % 100:02d}{sign}{individual:03d}{HETU_CHECK[int(digits) % 31]}"


def _hetu_sign(r: random.Random, y: int) -> str:
    if y < 1900:
        return "+"
    if y < 2000:
        return "-" if r.random() < 0.85 else r.choice("UVWXY")  # U-Y since 2023
    return "A" if r.random() < 0.85 else r.choice("BCDEF")


def gen_hetu(r: random.Random) -> str:
    y, m, d = _date(r, 1895, 2022)
    return _hetu(y, m, d, _hetu_sign(r, y), r.randint(2, 899))


def bad_hetu(r: random.Random) -> str:
    y, m, d = _date(r, 1930, 2022)
    which = r.randrange(4)
    if which == 0:  # check character off
        v = _hetu(y, m, d, _hetu_sign(r, y), r.randint(2, 899))
        return v[:10] + r.choice([c for c in HETU_CHECK if c != v[10] and c.isalpha()])
    if which == 1:  # temporary / never-issued individual numbers (000, 001, 900-999)
        return _hetu(y, m, d, _hetu_sign(r, y), r.choice([0, 1, r.randint(900, 999)]))
    if which == 2:  # not a century sign
        v = _hetu(y, m, d, "-", r.randint(2, 899))
        return v[:6] + r.choice("GHKMNPZ") + v[7:]
    return _hetu(y, 13, d, "-", r.randint(2, 899))  # month 13


# --- Singapore: NRIC (S, T) and FIN (F, G, M): letter, 7 digits, mod-11 check letter -------------

_NRIC_W = (2, 7, 6, 5, 4, 3, 2)


def _nric_table(prefix: str) -> str:
    return "JZIHGFEDCBA" if prefix in "ST" else "KLJNPQRTUWX" if prefix == "M" else "XWUTRQPNMLK"


def nric_check(prefix: str, digits: str) -> str:
    offset = 4 if prefix in "TG" else 3 if prefix == "M" else 0
    total = sum(int(ch) * w for ch, w in zip(digits, _NRIC_W)) + offset
    return _nric_table(prefix)[total % 11]


def nric_valid(value: str) -> bool:
    return (len(value) == 9 and value[0] in "STFGM" and value[1:8].isdigit()
            and nric_check(value[0], value[1:8]) == value[8])


def _nric_prefix(prefix: str, digits: str) -> str:
    # Half of the F numbers become M-series FINs (2022), decided by a digit already drawn so the
    # random stream, and every other document, stays as it was.
    return "M" if prefix == "F" and int(digits[-1]) % 2 else prefix


def gen_nric(r: random.Random) -> str:
    prefix, digits = r.choice("SSTTFG"), _digits(r, 7)
    prefix = _nric_prefix(prefix, digits)
    return prefix + digits + nric_check(prefix, digits)


def bad_nric(r: random.Random) -> str:
    prefix, digits = r.choice("STFG"), _digits(r, 7)
    prefix = _nric_prefix(prefix, digits)
    good = nric_check(prefix, digits)
    return prefix + digits + r.choice([c for c in _nric_table(prefix) if c != good])


# --- UK: National Insurance number (HMRC): two letters, six digits, suffix A-D -------------------

_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def nino_valid(value: str) -> bool:
    v = value.replace(" ", "")
    return (len(v) == 9 and v[0] in _UPPER and v[1] in _UPPER and v[0] not in "DFIQUV"
            and v[1] not in "DFIOQUV" and v[:2] not in _NINO_BAD_PREFIXES and v[2:8].isdigit()
            and v[8] in "ABCD")


def _nino_form(r: random.Random, v: str) -> str:
    x = r.random()
    return v if x < 0.4 else f"{v[:2]} {v[2:4]} {v[4:6]} {v[6:8]} {v[8]}" if x < 0.8 else f"{v[:2]} {v[2:8]} {v[8]}"


def gen_nino(r: random.Random) -> str:
    while True:
        prefix = r.choice([c for c in _UPPER if c not in "DFIQUV"]) + r.choice(
            [c for c in _UPPER if c not in "DFIOQUV"])
        if prefix not in _NINO_BAD_PREFIXES:
            return _nino_form(r, prefix + _digits(r, 6) + r.choice("ABCD"))


def bad_nino(r: random.Random) -> str:
    if r.random() < 0.5:  # a prefix HMRC never allocates
        prefix = r.choice(sorted(_NINO_BAD_PREFIXES) + ["DA", "QA", "AO", "FV"])
        return _nino_form(r, prefix + _digits(r, 6) + r.choice("ABCD"))
    return _nino_form(r, "AB" + _digits(r, 6) + r.choice("EFXZ"))  # suffix beyond D


# --- Italy: codice fiscale (16 characters, check letter by the odd/even tables) -------------------

_CF_ODD = dict(zip("0123456789", [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]))
_CF_ODD.update(zip(_UPPER, [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16,
                            10, 22, 25, 24, 23]))
_CF_MONTHS = "ABCDEHLMPRST"
_CONSONANTS = "BCDFGHJKLMNPQRSTVWXYZ"


def cf_check(first15: str) -> str:
    total = 0
    for i, ch in enumerate(first15):
        if i % 2 == 0:  # odd positions, counting from 1
            total += _CF_ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - ord("A")
    return chr(ord("A") + total % 26)


def cf_valid(value: str) -> bool:
    return len(value) == 16 and value.isalnum() and value.isupper() and cf_check(value[:15]) == value[15]


def _cf_first15(r: random.Random) -> str:
    names = "".join(r.choice(_CONSONANTS) for _ in range(6))
    y, m, d = _date(r, 1930, 2010)
    day = d + (40 if r.random() < 0.5 else 0)
    town = r.choice(_UPPER[:13]) + _digits(r, 3)  # Belfiore code
    return f"{names}{y % 100:02d}{_CF_MONTHS[m - 1]}{day:02d}{town}"


def gen_it_cf(r: random.Random) -> str:
    first = _cf_first15(r)
    return first + cf_check(first)


def bad_it_cf(r: random.Random) -> str:
    first = _cf_first15(r)
    return first + r.choice([c for c in _UPPER if c != cf_check(first)])


# --- Australia: ABN (mod 89), ACN (mod 10), TFN (mod 11), Medicare (mod 10) ------------------------

_ABN_W = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)


def abn_valid(value: str) -> bool:
    d = [int(ch) for ch in value if ch.isdigit()]
    if len(d) != 11 or d[0] == 0:
        return False
    d[0] -= 1
    return sum(x * w for x, w in zip(d, _ABN_W)) % 89 == 0


def gen_abn(r: random.Random) -> str:
    while True:
        v = str(r.randint(1, 9)) + _digits(r, 10)
        if abn_valid(v):
            return _group(v, (2, 3, 3, 3), " ") if r.random() < 0.7 else v


def bad_abn(r: random.Random) -> str:
    while True:
        v = str(r.randint(1, 9)) + _digits(r, 10)
        if not abn_valid(v):
            return _group(v, (2, 3, 3, 3), " ") if r.random() < 0.7 else v


def acn_check(first8: str) -> int:
    return (10 - sum(int(ch) * w for ch, w in zip(first8, range(8, 0, -1))) % 10) % 10


def acn_valid(value: str) -> bool:
    d = "".join(ch for ch in value if ch.isdigit())
    return len(d) == 9 and acn_check(d[:8]) == int(d[8])


def gen_acn(r: random.Random) -> str:
    first = _digits(r, 8)
    v = first + str(acn_check(first))
    return _group(v, (3, 3, 3), " ") if r.random() < 0.7 else v


def bad_acn(r: random.Random) -> str:
    first = _digits(r, 8)
    v = first + str((acn_check(first) + r.randint(1, 9)) % 10)
    return _group(v, (3, 3, 3), " ") if r.random() < 0.7 else v


_TFN_W = (1, 4, 3, 7, 5, 8, 6, 9, 10)


def tfn_valid(value: str) -> bool:
    d = "".join(ch for ch in value if ch.isdigit())
    return len(d) == 9 and sum(int(ch) * w for ch, w in zip(d, _TFN_W)) % 11 == 0


def gen_tfn(r: random.Random) -> str:
    while True:
        v = _digits(r, 9)
        if tfn_valid(v):
            return _group(v, (3, 3, 3), " ") if r.random() < 0.7 else v


def bad_tfn(r: random.Random) -> str:
    while True:
        v = _digits(r, 9)
        if not tfn_valid(v):
            return _group(v, (3, 3, 3), " ") if r.random() < 0.7 else v


_MEDICARE_W = (1, 3, 7, 9, 1, 3, 7, 9)


def medicare_check(first8: str) -> int:
    return sum(int(ch) * w for ch, w in zip(first8, _MEDICARE_W)) % 10


def medicare_valid(value: str) -> bool:
    d = "".join(ch for ch in value if ch.isdigit())
    return (len(d) in (10, 11) and "2" <= d[0] <= "6" and medicare_check(d[:8]) == int(d[8])
            and d[9] != "0")


def _medicare_form(r: random.Random, v: str) -> str:
    return f"{v[:4]} {v[4:9]} {v[9:]}" if r.random() < 0.7 else v


def gen_medicare(r: random.Random) -> str:
    first = str(r.randint(2, 6)) + _digits(r, 7)
    return _medicare_form(r, first + str(medicare_check(first)) + str(r.randint(1, 9)))


def bad_medicare(r: random.Random) -> str:
    first = str(r.randint(2, 6)) + _digits(r, 7)
    wrong = (medicare_check(first) + r.randint(1, 9)) % 10
    return _medicare_form(r, first + str(wrong) + str(r.randint(1, 9)))


# --- India: PAN, AAAPA9999A (the fourth letter the holder's type) ---------------------------------

PAN_TYPES = "PCHFATBLJG"


def pan_valid(value: str) -> bool:
    return (len(value) == 10 and value[:5].isalpha() and value[:5].isupper() and value[3] in PAN_TYPES
            and value[5:9].isdigit() and value[9] in _UPPER)


def gen_pan(r: random.Random) -> str:
    return ("".join(r.choice(_UPPER) for _ in range(3)) + r.choice("PPPPCHFT") + r.choice(_UPPER)
            + f"{r.randint(1, 9999):04d}" + r.choice(_UPPER))


def bad_pan(r: random.Random) -> str:
    """A fourth letter that is no holder type."""
    return ("".join(r.choice(_UPPER) for _ in range(3)) + r.choice("DEIKMNOQRSUVWXYZ")
            + r.choice(_UPPER) + f"{r.randint(1, 9999):04d}" + r.choice(_UPPER))


# --- South Korea: resident registration number YYMMDD-GNNNNNC (check until October 2020) ---------

_RRN_W = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def rrn_check(first12: str) -> int:
    return (11 - sum(int(ch) * w for ch, w in zip(first12, _RRN_W)) % 11) % 10


def rrn_valid(value: str) -> bool:
    d = value.replace("-", "")
    if len(d) != 13 or not d.isdigit():
        return False
    century = {"1": 1900, "2": 1900, "3": 2000, "4": 2000}.get(d[6], 1800)
    return _valid_date(century + int(d[:2]), int(d[2:4]), int(d[4:6])) and rrn_check(d[:12]) == int(d[12])


def _rrn_first12(r: random.Random) -> str:
    y, m, d = _date(r, 1940, 2019)
    gender = r.choice("12") if y < 2000 else r.choice("34")
    return f"{y % 100:02d}{m:02d}{d:02d}{gender}{_digits(r, 5)}"


def gen_kr_rrn(r: random.Random) -> str:
    """With the hyphen (an id on its own when its check digit holds)."""
    first = _rrn_first12(r)
    v = first + str(rrn_check(first))
    return f"{v[:6]}-{v[6:]}"


def gen_kr_rrn_bare(r: random.Random) -> str:
    """Thirteen digits without the hyphen (an id only after its context word)."""
    first = _rrn_first12(r)
    return first + str(rrn_check(first))


def bad_kr_rrn(r: random.Random) -> str:
    """A date that does not exist, with a valid check digit (numbers issued from October 2020
    have no check digit, so a broken one after a context word is still an RRN)."""
    y = r.randint(40, 99)
    m, d = r.choice([(13, 1), (0, 10), (2, 30), (4, 31), (11, 31)])
    first = f"{y:02d}{m:02d}{d:02d}{r.choice('12')}{_digits(r, 5)}"
    return f"{first[:6]}-{first[6:]}{rrn_check(first)}"


# --- US passport: nine digits, or a letter and eight digits (Next Generation passports) -----------

def gen_us_passport(r: random.Random) -> str:
    return str(r.randint(1, 9)) + _digits(r, 8) if r.random() < 0.6 else r.choice("ACEFGHJKLMNPRSTUVWXYZ") + _digits(r, 8)


def bad_us_passport(r: random.Random) -> str:
    """Eight or ten digits: not a passport number's length."""
    return str(r.randint(1, 9)) + _digits(r, r.choice([7, 9]))


# ==================================================================================================

@dataclass(frozen=True)
class Scheme:
    rule: str                      # jitguard's rule name (Finding.rule)
    good: Callable[[random.Random], str]
    bad: Callable[[random.Random], str]
    context: Tuple[str, ...]       # phrases written before the value
    needs_context: bool            # an id only after one of them
    key: str                       # JSON key / log field that carries the context
    presidio: Tuple[str, ...] = ()  # Presidio entity types of the same scheme


SCHEMES: Dict[str, Scheme] = {s.rule: s for s in [
    Scheme("us_itin", gen_itin, bad_itin,
           ("ITIN", "ITIN:", "itin", "ITIN no.", "TIN", "TIN:", "taxpayer identification number",
            "Individual Taxpayer Identification Number (ITIN)"), True, "itin", ("US_ITIN",)),
    Scheme("es_nif", gen_es_nif, bad_es_nif, ("DNI", "NIF", "DNI/NIF:", "NIF:", "documento"), False,
           "nif", ("ES_NIF",)),
    Scheme("es_nie", gen_es_nie, bad_es_nie, ("NIE", "NIE:", "número de extranjero"), False, "nie",
           ("ES_NIE",)),
    Scheme("in_aadhaar", gen_aadhaar, bad_aadhaar, ("Aadhaar", "Aadhaar no.", "aadhaar:", "UIDAI",
                                                    "Aadhar"), False, "aadhaar", ("IN_AADHAAR",)),
    Scheme("in_aadhaar_bare", gen_aadhaar_bare, bad_aadhaar,
           ("Aadhaar", "Aadhaar no.", "aadhaar:", "UID", "Aadhar number"), True, "aadhaar", ("IN_AADHAAR",)),
    Scheme("uk_nhs", gen_nhs, bad_nhs, ("NHS", "NHS no", "NHS No.", "NHS number", "NHS number:", "NHS#"),
           True, "nhs_number", ("UK_NHS",)),
    Scheme("pl_pesel", gen_pesel, bad_pesel, ("PESEL", "PESEL:", "nr PESEL", "numer PESEL"), True, "pesel",
           ("PL_PESEL",)),
    Scheme("fi_hetu", gen_hetu, bad_hetu, ("henkilötunnus", "hetu", "HETU:", "personal identity code"),
           False, "hetu", ("FI_PERSONAL_IDENTITY_CODE",)),
    Scheme("sg_nric", gen_nric, bad_nric, ("NRIC", "NRIC:", "FIN", "NRIC/FIN"), False, "nric",
           ("SG_NRIC_FIN",)),
    Scheme("uk_nino", gen_nino, bad_nino, ("NINO", "National Insurance number", "NI number", "NI no"),
           False, "nino", ("UK_NINO",)),
    Scheme("it_fiscal_code", gen_it_cf, bad_it_cf, ("codice fiscale", "CF:", "C.F."), False, "codice_fiscale",
           ("IT_FISCAL_CODE",)),
    Scheme("au_abn", gen_abn, bad_abn, ("ABN", "ABN:", "Australian Business Number"), True, "abn", ("AU_ABN",)),
    Scheme("au_acn", gen_acn, bad_acn, ("ACN", "ACN:", "Australian Company Number"), True, "acn", ("AU_ACN",)),
    Scheme("au_tfn", gen_tfn, bad_tfn, ("TFN", "TFN:", "tax file number"), True, "tfn", ("AU_TFN",)),
    Scheme("au_medicare", gen_medicare, bad_medicare, ("Medicare", "Medicare no.", "medicare card"), True,
           "medicare", ("AU_MEDICARE",)),
    Scheme("in_pan", gen_pan, bad_pan, ("PAN", "PAN:", "PAN card", "permanent account number"), False, "pan",
           ("IN_PAN",)),
    Scheme("kr_rrn", gen_kr_rrn, bad_kr_rrn, ("RRN", "주민등록번호", "resident registration number"), False,
           "rrn", ("KR_RRN",)),
    Scheme("kr_rrn_bare", gen_kr_rrn_bare, bad_kr_rrn, ("RRN", "주민등록번호", "resident registration number"),
           True, "rrn", ("KR_RRN",)),
    Scheme("us_passport", gen_us_passport, bad_us_passport, ("passport no", "passport no.", "passport number",
                                                             "Passport No:"), True, "passport_no", ("US_PASSPORT",)),
]}

def active_schemes() -> List[Scheme]:
    """The schemes planted in the corpus (all of them)."""
    return list(SCHEMES.values())


def rule_of(scheme: Scheme) -> str:
    """The rule jitguard reports for a scheme (the contiguous forms that need a context word share
    their scheme's rule)."""
    return scheme.rule[:-len("_bare")] if scheme.rule.endswith("_bare") else scheme.rule


VALIDATORS: Dict[str, Callable[[str], bool]] = {
    "us_itin": itin_valid, "es_nif": es_valid, "es_nie": es_valid, "in_aadhaar": aadhaar_valid,
    "in_aadhaar_bare": aadhaar_valid, "uk_nhs": nhs_valid, "pl_pesel": pesel_valid, "fi_hetu": hetu_valid,
    "sg_nric": nric_valid, "uk_nino": nino_valid, "it_fiscal_code": cf_valid, "au_abn": abn_valid,
    "au_acn": acn_valid, "au_tfn": tfn_valid, "au_medicare": medicare_valid, "in_pan": pan_valid,
    "kr_rrn": rrn_valid, "kr_rrn_bare": rrn_valid,
}
