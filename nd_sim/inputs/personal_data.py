"""Personal data in tabular input: headers and cell values that identify a child or family.

Lists and extracts read by nd-sim must be pseudonymous: anything it reads may end up in
projections, letters and file names. A table is refused whole if any header is named like
personal data (a name, date of birth, NHS or CHI number, address, postcode, phone or
email) or if any single cell, in any column, holds a valid NHS number, an email address,
a UK phone number or a UK postcode. Every cell is NFKC-normalised first (fullwidth digits,
no-break spaces), and an NHS number is found however its ten digits are grouped or
separated, and as a spreadsheet number (`9.434765919E+09`). Messages name the column, the
line and the kind of data, never the value, so that the refusal itself leaks nothing.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError

WITHHELD = "(withheld)"

# A header is flagged when one of its words is one of these ...
PERSONAL_WORDS = frozenset(
    {
        # names (of the child, a parent, a carer or a guardian)
        "name",
        "names",
        "forename",
        "forenames",
        "firstname",
        "surname",
        "surnames",
        "lastname",
        "fullname",
        "givenname",
        "familyname",
        "maidenname",
        "guardian",
        "guardians",
        # dates of birth
        "dob",
        "birth",
        "birthday",
        "birthdate",
        "dateofbirth",
        "born",
        # national identifiers
        "nhsno",
        "nhsnumber",
        "nhsnum",
        "chi",
        "chino",
        "chinumber",
        # addresses
        "address",
        "addresses",
        "addr",
        "street",
        "town",
        "postcode",
        "postcodes",
        "zip",
        "zipcode",
        "postal",
        # contact details
        "email",
        "emails",
        "mail",
        "phone",
        "phones",
        "telephone",
        "tel",
        "mobile",
        "mob",
        "landline",
        "fax",
    }
)
# ... or two neighbouring words are one of these ...
PERSONAL_PAIRS = frozenset(
    {
        ("nhs", "no"),
        ("nhs", "num"),
        ("nhs", "number"),
        ("nhs", "id"),
        ("chi", "number"),
        ("post", "code"),
        ("zip", "code"),
        ("e", "mail"),
        ("contact", "number"),
        ("contact", "no"),
        ("contact", "details"),
        ("contact", "tel"),
    }
)
# ... or the header with no separators contains one of these (PATIENTNHSNO, HomePhone1) ...
PERSONAL_FRAGMENTS = (
    "dateofbirth",
    "birthdate",
    "birthday",
    "nhsno",
    "nhsnum",
    "chinumber",
    "postcode",
    "email",
    "phone",
    "mobileno",
    "mobilenum",
    "telno",
    "firstname",
    "forename",
    "surname",
    "lastname",
    "fullname",
    "givenname",
    "address",
)
# ... or is one of these (D.O.B., N.H.S.).
PERSONAL_COMPACT = frozenset({"dob", "nhs", "chi", "zip", "tel", "mob", "addr", "born", "name"})

# Every cell is read as NFKC text first, with any other digit (Arabic-Indic, say) as its ASCII
# digit, any dash or minus as "-", any space as " ", and invisible format characters (zero
# width space, soft hyphen) removed: the patterns below then only need to know ASCII.
_DASHES = frozenset("\u2212\u2043\u2e3a\u2e3b")
# NHS numbers. A cell of digits and separators only, with exactly ten digits, in any grouping
# (943 476 5919, 943.4765.919, ="9434765919"); a number (9434765919.0, 9,434,765,919,
# 9.434765919E+09) whose value has ten digits; or ten digits inside other text, together or
# grouped 3-3-4 or 3-4-3 with up to three separators between groups. Any of these is an NHS
# number if it passes the modulus-11 check. A colon is no separator: "2026-01-15 10:30" is a
# date and a time, and no date has ten digits. A decimal (52.14285714, as Excel saves a
# General cell) is a number, judged by its value, not by its digits.
_CELL_SEP = r"""[\s.,/\\_'"()\[\]=+#*|~-]"""
NHS_CELL = re.compile(rf"\A{_CELL_SEP}*[0-9](?:{_CELL_SEP}*[0-9]){{9,}}{_CELL_SEP}*\Z")
NUMBER = re.compile(
    r"\s*[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?\s*",
    re.IGNORECASE,
)
SCIENTIFIC = re.compile(r"\A\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)e[+-]?[0-9]+\s*\Z", re.IGNORECASE)
_GAP = r"[\s./_-]{0,3}"
NHS_IN_TEXT = re.compile(
    rf"(?<![0-9])[0-9]{{3}}{_GAP}(?:[0-9]{{3}}{_GAP}[0-9]{{4}}|[0-9]{{4}}{_GAP}[0-9]{{3}})(?![0-9])"
)
NHS_WEIGHTS = np.arange(10, 1, -1)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
# A UK phone number: a leading 0 and 9-10 more digits, or +44 or 0044 (and an optional "(0)")
# and 9-10 digits; between digits at most a space, a dash or a bracket, and after the area
# code groups of three digits or more, so that dates (01-02-2026 10:30) are not numbers.
_SEP = r"[\s)-]{0,2}"
_GROUPS = r"(?:[\s-]?[0-9]{3,})+(?!\w)"
PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"(?=\(?0(?:{_SEP}[0-9]){{9,10}}(?!{_SEP}[0-9]))(?:\(0[0-9]{{1,4}}\)|0[0-9]{{1,4}}){_GROUPS}"
    rf"|(?:\+|00\s?)44\s?(?:\(0\)\s?)?(?=[0-9](?:{_SEP}[0-9]){{8,9}}(?!{_SEP}[0-9]))"
    rf"[0-9]{{1,4}}{_GROUPS}"
    r")"
)
# A UK postcode (PR1 2HE, EC1A 1BB, pr12he), and the Girobank's GIR 0AA.
POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{1,2}[0-9][A-Z0-9]?\s{0,2}[0-9][A-Z]{2}|GIR\s{0,2}0AA)"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# One pass finds the cells worth a closer look: in most columns there are none.
ANY_CANDIDATE = re.compile(
    "|".join(
        f"(?:{p.pattern})" for p in (NHS_CELL, SCIENTIFIC, NHS_IN_TEXT, EMAIL, PHONE, POSTCODE)
    ),
    re.IGNORECASE,
)

KINDS = {
    "nhs": "NHS numbers",
    "email": "email addresses",
    "phone": "phone numbers",
    "postcode": "postcodes",
}
RULE = (
    "looks like personal data: the list must hold pseudonymous ids only (remove the column, "
    "and any names, NHS numbers, dates of birth, addresses, postcodes, phone numbers or "
    "email addresses, before running)"
)


def header_words(header: str) -> list[str]:
    """The words of a header: camelCase split, lower case, split at anything not a letter/digit.

    Trailing digits are dropped (`address1`, `phone_2`) so numbered copies match too.
    """
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(header))
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    words = re.split(r"[^a-z0-9]+", text.lower())
    return [w for w in (re.sub(r"[0-9]+$", "", w) for w in words) if w]


def is_personal_header(header: str) -> bool:
    """Whether a column is named like personal data, matched by whole words, not substrings.

    Word matching keeps `automobile` or `first_appointment_date` clear of `mobile` and
    `first name`; the separator-free form catches `PATIENTNHSNO` or `D.O.B.`.
    """
    words = header_words(header)
    compact = "".join(words)
    return (
        any(w in PERSONAL_WORDS for w in words)
        or any(pair in PERSONAL_PAIRS for pair in itertools.pairwise(words))
        or compact in PERSONAL_COMPACT
        or any(f in compact for f in PERSONAL_FRAGMENTS)
    )


class _AsciiFold(dict[int, str]):
    """`str.translate` table, filled as characters are met: digits, dashes, spaces as ASCII."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Nd":
            out = str(unicodedata.decimal(char))
        elif category == "Pd" or char in _DASHES:
            out = "-"
        elif category[0] == "Z" or char.isspace():
            out = " "
        else:
            out = "" if category == "Cf" else char
        if len(self) < 65_536:
            self[code] = out
        return out


_ASCII_FOLD = _AsciiFold()


def normalise(text: str) -> str:
    """`text` as the patterns see it: NFKC, then digits, dashes and spaces as ASCII.

    Zero-width and other format characters are removed. ASCII text is returned as it is.
    """
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    return text if text.isascii() else text.translate(_ASCII_FOLD)


def nhs_digits(text: str) -> list[str]:
    """The ten-digit runs of `text` that would be an NHS number if they passed the check.

    `text` is normalised first. A cell that is a number (`9434765919.0`, `9.434765919E+09`,
    `9,434,765,919`) is judged by its value; a cell of digits and separators only by its
    digits, however grouped; any other cell by the ten-digit runs in it (together, 3-3-4 or
    3-4-3).
    """
    text = normalise(text)
    if NUMBER.fullmatch(text):
        bare = text.strip().lstrip("+-")
        out = [bare] if len(bare) == 10 and bare.isdigit() else []  # leading zeros kept
        value = abs(float(bare.replace(",", "")))
        if math.isfinite(value) and value.is_integer() and 10**9 <= value < 10**10:
            out.append(str(int(value)))
        return out
    if NHS_CELL.fullmatch(text):
        digits = re.sub(r"[^0-9]", "", text)
        if len(digits) == 10:
            return [digits]
    return [re.sub(r"[^0-9]", "", m) for m in NHS_IN_TEXT.findall(text)]


def nhs_checksum_ok(text: str) -> bool:
    """Whether `text` holds an NHS number that passes the modulus-11 check (see `nhs_digits`)."""
    found = nhs_digits(text)
    return bool(found) and bool(_nhs_valid(_digit_rows(found)).any())


def _digit_rows(numbers: list[str]) -> np.ndarray:
    """Strings of ten ASCII digits as rows of a digit array."""
    raw = np.frombuffer("".join(numbers).encode("ascii"), np.uint8).reshape(-1, 10)
    return raw.astype(np.int64) - ord("0")


def _nhs_valid(digits: np.ndarray) -> np.ndarray:
    """Modulus 11 over rows of ten digits: 11 - (weighted sum mod 11), 11 -> 0, 10 invalid."""
    check = 11 - (digits[:, :9] @ NHS_WEIGHTS) % 11
    check = np.where(check == 11, 0, check)
    return (check != 10) & (check == digits[:, 9])


def nhs_numbers(values: pd.Series) -> pd.Series:
    """Cells holding an NHS number (in any of the forms of `nhs_digits`) that passes the check.

    `values` must already be normalised.
    """
    found = values.map(nhs_digits).explode().dropna()
    if found.empty:
        return pd.Series(False, index=values.index)
    valid = pd.Series(_nhs_valid(_digit_rows(list(found))), index=found.index)
    return valid.groupby(level=0).any().reindex(values.index, fill_value=False)


def _matches(pattern: re.Pattern[str]) -> Callable[[pd.Series], pd.Series]:
    return lambda values: values.str.contains(pattern, regex=True)


DETECTORS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "nhs": nhs_numbers,
    "email": _matches(EMAIL),
    "phone": _matches(PHONE),
    "postcode": _matches(POSTCODE),
}


def personal_values(values: pd.Series) -> dict[str, np.ndarray]:
    """For each kind of personal data, which cells hold it (a boolean array over `values`).

    Each distinct cell is examined once, and only the few that one combined pattern picks
    out are examined kind by kind, so a 100,000-row list is checked in a fraction of a second.
    """
    codes, uniques = pd.factorize(values.fillna("").astype(str))
    # object, not arrow, strings: pandas then uses the compiled patterns as they are
    distinct = pd.Series([normalise(v) for v in np.asarray(uniques, dtype=object)], dtype=object)
    picked = np.flatnonzero(distinct.str.contains(ANY_CANDIDATE, regex=True).to_numpy(bool))
    if not picked.size:
        return {kind: np.zeros(len(codes), bool) for kind in DETECTORS}
    candidates = distinct.iloc[picked]
    out = {}
    for kind, detect in DETECTORS.items():
        hit = np.zeros(len(distinct), bool)
        hit[picked[detect(candidates).to_numpy(bool)]] = True
        out[kind] = hit[codes]
    return out


def find_personal_data(frame: pd.DataFrame, first_line: int = 2) -> list[Problem]:
    """Every column of `frame` named like, or holding, personal data; one problem per column.

    `first_line` is the file line of the frame's first row (the header is line 1). Values
    are never echoed: the problem names the column, the first line, the number of rows and
    the kinds of data.
    """
    headers = [str(c) for c in frame.columns]
    header_is_data = _any_kind(personal_values(pd.Series(headers, dtype=object)))
    out: list[Problem] = []
    for position, column in enumerate(headers):
        if header_is_data[position]:
            # a file without a header row: its first row of data became the header
            rule = f"the header looks like a row of data with personal data in it; {RULE}"
            out.append(Problem(f"line 1, column {position + 1}", WITHHELD, rule))
        elif is_personal_header(column):
            out.append(Problem(f"column {column}", column, f"named like personal data; {RULE}"))
        else:
            out += _column_values(frame.iloc[:, position], column, first_line)
    return out


def _any_kind(masks: dict[str, np.ndarray]) -> np.ndarray:
    return np.logical_or.reduce(list(masks.values()))


def _column_values(values: pd.Series, column: str, first_line: int) -> list[Problem]:
    masks = personal_values(values)
    kinds = [KINDS[k] for k, mask in masks.items() if mask.any()]
    if not kinds:
        return []
    rows = np.flatnonzero(_any_kind(masks))
    line = first_line + int(rows[0])
    what = " and ".join(kinds)
    count = f"{rows.size} row{'s' if rows.size != 1 else ''}"
    rule = f"values look like {what} ({count}, the first on line {line}); {RULE}"
    return [Problem(f"line {line}, column {column}", WITHHELD, rule)]


def refuse_personal_data(frame: pd.DataFrame, source: str, first_line: int = 2) -> None:
    """Raise `ScenarioError` naming every column with personal data; return if there is none."""
    problems = find_personal_data(frame, first_line)
    if problems:
        raise ScenarioError(source, problems)
