"""Dates of birth for the labelled corpus (``DATE_OF_BIRTH``, rule ``dob``): a date in every form
the matcher documents, written after a birth-date context word, and hard negatives: the same forms
after other words, dates that do not exist after a birth-date word, a year or a month and year
alone after "born in", an age.

The value of "March 3, 1985" is its day and year (``3, 1985``): the month name before the day is
context for the matcher, not value (docs/masking.md, the ``DATE_OF_BIRTH`` row), so the label
covers that part only; every other form is labelled whole.

Every value is synthetic (random valid dates).
"""
from __future__ import annotations

import random
from typing import Tuple

from corpus.national_ids import _date, _valid_date

RULE = "dob"

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]

#: Birth-date words of the matcher, as prose writes them before the value (with its separator).
PROSE_CONTEXT = ("date of birth: ", "Date of birth: ", "DOB: ", "DOB ", "dob ", "D.O.B. ", "born ",
                 "born on ", "was born on ", "birth date ", "Birth date: ", "birthdate: ", "birthday: ",
                 "her birthday is ", "Geburtsdatum: ", "geboren am ", "fecha de nacimiento: ",
                 "nacido el ", "nacida el ", "date de naissance : ", "data di nascita: ", "nato il ",
                 "nata il ", "geboortedatum: ", "data de nascimento: ", "data urodzenia: ")
#: Context words before "March 3, 1985" (English ones: the month name is English).
MONTH_FIRST_CONTEXT = ("born ", "born on ", "was born on ", "date of birth: ", "DOB: ", "birthday: ",
                       "Date of birth ", "birth date: ")
#: Log fields and JSON keys that carry the context.
LOG_KEYS = ("dob", "birth_date", "date_of_birth", "birthdate", "dateOfBirth")
JSON_KEYS = ("date_of_birth", "dob", "birthDate", "dateOfBirth", "birth_date", "DOB")
#: Words before a date that make it no date of birth.
OTHER_CONTEXT = ("shipped on ", "expires ", "released on ", "valid until ", "issued on ", "due ",
                 "signed on ", "renewed ", "last login ", "delivered ", "the meeting on ", "updated ")

Planted = Tuple[str, str, str, str]  # before, value, after, scheme


def _ymd(r: random.Random) -> Tuple[int, int, int]:
    return _date(r, 1925, 2015)


def _two(r: random.Random, n: int) -> str:
    """One or two digits (a leading zero half the time)."""
    return f"{n:02d}" if n >= 10 or r.random() < 0.5 else str(n)


def _ordinal(d: int) -> str:
    return "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


def _month_word(r: random.Random, m: int) -> str:
    name = MONTHS[m - 1]
    x = r.random()
    if x < 0.5:
        return name
    if m == 9 and x < 0.6:
        return "Sept"
    return name[:3] + ("." if x < 0.75 else "")


def numeric(r: random.Random, y: int, m: int, d: int) -> str:
    """A numeric date: ISO (any of '-', '/', '.'), YYYYMMDD, day-first or month-first with '/',
    '-' or '.', a two-digit year sometimes."""
    x = r.random()
    if x < 0.3:
        sep = r.choice("-/.")
        return f"{y}{sep}{_two(r, m)}{sep}{_two(r, d)}" if sep != "-" else f"{y}-{m:02d}-{d:02d}"
    if x < 0.4:
        return f"{y}{m:02d}{d:02d}"
    sep = r.choice("/-.")
    a, b = (d, m) if r.random() < 0.5 else (m, d)
    year = f"{y % 100:02d}" if r.random() < 0.15 else str(y)
    return f"{_two(r, a)}{sep}{_two(r, b)}{sep}{year}"


def day_month_year(r: random.Random, y: int, m: int, d: int) -> str:
    """"3 March 1985", "3rd of March, 1985", "03 Mar. 1985"."""
    day = str(d) if r.random() < 0.7 else f"{d:02d}"
    if r.random() < 0.3:
        day = str(d) + _ordinal(d)
    of = "of " if r.random() < 0.2 else ""
    comma = "," if r.random() < 0.2 else ""
    return f"{day} {of}{_month_word(r, m)}{comma} {y}"


def month_day_year(r: random.Random, y: int, m: int, d: int) -> Tuple[str, str]:
    """"March 3, 1985", "Mar. 3rd 1985": (the month and the space before the value, the value)."""
    month = _month_word(r, m)
    if month.endswith(".") and len(month) > 4:  # not "Sept.": it ends the context window
        month = month[:-1]
    if month == "Sept.":
        month = "Sept"
    day = str(d) + (_ordinal(d) if r.random() < 0.25 else "")
    return month + " ", f"{day}{',' if r.random() < 0.8 else ''} {y}"


def value(r: random.Random) -> Tuple[str, str]:
    """A date of birth in a random form: (text before the value that belongs to the date, the value)."""
    y, m, d = _ymd(r)
    x = r.random()
    if x < 0.6:
        return "", numeric(r, y, m, d)
    if x < 0.8:
        return "", day_month_year(r, y, m, d)
    return month_day_year(r, y, m, d)


def gen_prose(r: random.Random) -> Planted:
    """A date of birth after a context phrase, in prose."""
    y, m, d = _ymd(r)
    x = r.random()
    if x < 0.2:
        month, v = month_day_year(r, y, m, d)
        return r.choice(MONTH_FIRST_CONTEXT) + month, v, "", RULE
    v = numeric(r, y, m, d) if x < 0.7 else day_month_year(r, y, m, d)
    return r.choice(PROSE_CONTEXT), v, "", RULE


def gen_log(r: random.Random) -> Planted:
    """``dob=1985-03-14`` (numeric forms: a log field's value has no space)."""
    y, m, d = _ymd(r)
    return r.choice(LOG_KEYS) + "=", numeric(r, y, m, d), "", RULE


def gen_json_value(r: random.Random) -> Planted:
    """A JSON value under a birth-date key (the key is written by the template): a numeric date,
    an ISO date with its time, or "3 March 1985"."""
    y, m, d = _ymd(r)
    x = r.random()
    if x < 0.15:
        return "", f"{y}-{m:02d}-{d:02d}", "T00:00:00" + r.choice(["Z", ".000Z", ""]), RULE
    if x < 0.75:
        return "", numeric(r, y, m, d), "", RULE
    return "", day_month_year(r, y, m, d), "", RULE


# --- hard negatives ---------------------------------------------------------------------------

def any_date(r: random.Random) -> str:
    """A date in any of the forms, whole ("March 3, 1985" too)."""
    before, v = value(r)
    return before + v


def gen_other_date(r: random.Random) -> str:
    """A date in a birth date's form after a word that makes it something else."""
    return r.choice(OTHER_CONTEXT) + any_date(r)


def impossible(r: random.Random, numeric_only: bool = False) -> str:
    """A date that does not exist, in one of the forms (in neither order of day and month for
    the slashed forms; `numeric_only`: no month name), or a year outside 1900-2099."""
    y = r.randint(1925, 2015)
    m, d = r.choice([(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (13, 13), (0, 12)])
    if m == 2 and d == 30 and r.random() < 0.3:
        d, y = 29, r.choice([1925, 1926, 1927, 1929, 1930, 1950, 1985, 1987, 1999, 2001, 2015])
    x = r.random() * (0.6 if numeric_only else 1.0)
    if x < 0.25:
        return f"{y}-{m:02d}-{d:02d}"
    if x < 0.35:
        return f"{y}{m:02d}{d:02d}"
    if x < 0.6:
        sep = r.choice("/-.")
        return f"{d:02d}{sep}{m:02d}{sep}{y}" if r.random() < 0.5 else f"{m:02d}{sep}{d:02d}{sep}{y}"
    if x < 0.8 and 1 <= m <= 12:
        return f"{d} {MONTHS[m - 1]} {y}"
    if 1 <= m <= 12:
        return f"{MONTHS[m - 1]} {d}, {y}"
    return f"{r.randint(1700, 1899)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


def gen_impossible(r: random.Random) -> str:
    """A date that does not exist after a birth-date context word."""
    return r.choice(PROSE_CONTEXT) + impossible(r)


def gen_year_only(r: random.Random) -> str:
    """A year, or a month and year, or an age, after a birth-date word: no date."""
    y = r.randint(1925, 2015)
    return r.choice([f"born in {y}", f"born {y}", f"born in {MONTHS[r.randint(0, 11)]} {y}",
                     f"birth year {y}", f"born {r.randint(18, 90)} years ago", f"DOB year: {y}"])


def valid(v: str) -> bool:
    """Whether a labelled value (or an impossible one) is a date the matcher accepts (for tests)."""
    import re
    v = v.strip()
    m = re.fullmatch(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})", v)
    if m:
        y = int(m.group(1))
        return 1900 <= y <= 2099 and _valid_date(y, int(m.group(3)), int(m.group(4)))
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", v)
    if m:
        y = int(m.group(1))
        return 1900 <= y <= 2099 and _valid_date(y, int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})", v)
    if m:
        a, b, ys = int(m.group(1)), int(m.group(3)), m.group(4)
        years = [int(ys)] if len(ys) == 4 else [1900 + int(ys), 2000 + int(ys)]
        return any(1900 <= y <= 2099 and (_valid_date(y, a, b) or _valid_date(y, b, a)) for y in years)
    words = [n.lower() for n in MONTHS]

    def month_of(w: str) -> int:
        w = w.lower()
        return next((i + 1 for i, n in enumerate(words) if w in (n, n[:3]) or (i == 8 and w == "sept")), 0)

    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([A-Za-z]+)\.?,? (\d{4})", v)
    if m:
        month, y = month_of(m.group(2)), int(m.group(3))
        return month > 0 and 1900 <= y <= 2099 and _valid_date(y, month, int(m.group(1)))
    m = re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})", v)  # "March 3, 1985"
    if m:
        month, y = month_of(m.group(1)), int(m.group(3))
        return month > 0 and 1900 <= y <= 2099 and _valid_date(y, month, int(m.group(2)))
    return False
