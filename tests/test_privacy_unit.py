"""Personal data detection: every header variant and every value pattern, and no false alarms.

A pseudonymous list must never be refused for its own ids, dates or codes, and a list with
one NHS number, email, phone number or postcode anywhere must be refused without the value
appearing in the message.
"""

from __future__ import annotations

import datetime as dt
import random
import time

import pandas as pd
import pytest

from nd_sim.errors import ScenarioError
from nd_sim.inputs.personal_data import (
    WITHHELD,
    find_personal_data,
    header_words,
    is_personal_header,
    nhs_checksum_ok,
    personal_values,
    refuse_personal_data,
)

from .conftest import FIXTURES, SCENARIOS

LANCASHIRE_LIST = SCENARIOS / "data" / "lancashire_waiting_list.csv"


def nhs_number(first_nine: str) -> str | None:
    """An NHS number from nine digits, by the published modulus-11 rule (None if none)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:
        return None
    return first_nine + str(0 if check == 11 else check)


def kinds_of(value: str) -> set[str]:
    masks = personal_values(pd.Series([value]))
    return {kind for kind, mask in masks.items() if mask[0]}


# ---------------------------------------------------------------- NHS number checksum


def test_published_example_passes_and_any_other_last_digit_fails() -> None:
    assert nhs_checksum_ok("9434765919") and nhs_checksum_ok("943 476 5919")
    assert nhs_checksum_ok("943-476-5919")
    assert not any(nhs_checksum_ok(f"943476591{d}") for d in "012345678")


def test_checksum_agrees_with_the_rule_on_random_numbers() -> None:
    rng = random.Random(4)
    for _ in range(500):
        nine = "".join(rng.choice("0123456789") for _ in range(9))
        expected = nhs_number(nine)
        for last in "0123456789":
            assert nhs_checksum_ok(nine + last) == (expected == nine + last), nine + last


def test_check_digit_ten_means_no_number_with_those_nine_digits() -> None:
    nine = next(
        f"{n:09d}" for n in range(100_000_000, 999_999_999) if nhs_number(f"{n:09d}") is None
    )
    assert not any(nhs_checksum_ok(nine + d) for d in "0123456789")


@pytest.mark.parametrize(
    "text", ["943476591", "94347659190", "943 476 59190", "9.43E+09", "9434765919.5"]
)
def test_not_ten_digits_is_not_an_nhs_number(text: str) -> None:
    assert not nhs_checksum_ok(text)
    assert "nhs" not in kinds_of(text)


# every way a spreadsheet or a person may write 943 476 5919 (a valid number)
NHS_SPELLINGS = [
    "943\u00a0476\u00a05919",  # no-break spaces
    "943\u202f476\u20095919",  # narrow and thin spaces
    "943  476  5919",
    "943\t476\t5919",
    "943.476.5919",
    "943/476/5919",
    "943_476_5919",
    "943\u2013476\u20135919",  # en dash
    "943\u2014476\u20145919",  # em dash
    "943\u2212476\u22125919",  # minus sign
    "943 - 476 - 5919",
    "943\u200b476\u200b5919",  # zero-width spaces
    "943 4765 919",
    "9434 765 919",
    "94 347 659 19",
    "9 4 3 4 7 6 5 9 1 9",
    "94347 65919",
    "(943) 476-5919",
    "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # fullwidth digits
    "\uff19\uff14\uff13\u3000\uff14\uff17\uff16\u3000\uff15\uff19\uff11\uff19",
    "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",  # Arabic-Indic digits
    "9.434765919E+09",  # Excel's scientific notation
    "9.434765919e9",
    "9.434765919E9",
    "9434765919.0",
    "+9434765919",
    "9,434,765,919",
    "'9434765919",
    '="9434765919"',
    "NHS: 943.4765.919 (mum)",
    "nhs no 943/476/5919",
]


@pytest.mark.parametrize("text", NHS_SPELLINGS)
def test_an_nhs_number_is_found_however_it_is_written_unit(text: str) -> None:
    assert nhs_checksum_ok(text)
    assert kinds_of(text) == {"nhs"}
    assert personal_values(pd.Series([f"A-1{text}", text, "A-2"]))["nhs"].tolist()[1:] == [
        True,
        False,
    ]


@pytest.mark.parametrize("text", NHS_SPELLINGS)
def test_a_number_failing_the_check_is_not_flagged_however_written_unit(text: str) -> None:
    tenth = [i for i, c in enumerate(text) if c.isdigit()][9]  # its 9 becomes an 8 (any script)
    wrong = text[:tenth] + chr(ord(text[tenth]) - 1) + text[tenth + 1 :]
    assert not nhs_checksum_ok(wrong), wrong
    assert "nhs" not in kinds_of(wrong)


def test_any_grouping_of_valid_numbers_is_found_unit() -> None:
    rng = random.Random(11)
    values = []
    while len(values) < 300:
        number = nhs_number(f"{rng.randrange(400_000_000, 800_000_000):09d}")
        if number is None:
            continue
        cuts = sorted(rng.sample(range(1, 10), rng.randint(1, 4)))
        parts = [number[a:b] for a, b in zip([0, *cuts], [*cuts, 10], strict=True)]
        # one dot alone makes a decimal number (52.14285714), judged by its value instead
        separators = [" ", "  ", "-", "/", "\u00a0", "\t", "\u2013", *["."] * (len(cuts) > 1)]
        values.append(rng.choice(separators).join(parts))
    assert personal_values(pd.Series(values))["nhs"].all()


@pytest.mark.parametrize("text", ["4319.712587", "52.14285714", "76626913.22", "0.6201444114"])
def test_a_decimal_with_ten_digits_is_judged_by_its_value_unit(text: str) -> None:
    """Excel's CSV keeps 11 characters of a General cell: decimals with ten digits are common."""
    assert kinds_of(text) == set()


# ---------------------------------------------------------------- value patterns


@pytest.mark.parametrize(
    "value, kind",
    [
        ("9434765919", "nhs"),
        ("943 476 5919", "nhs"),
        ("943-476-5919", "nhs"),
        ("  943 476 5919 ", "nhs"),
        ("NHS 943 476 5919 (mum)", "nhs"),
        ("sam.smith@example.org", "email"),
        ("Sam.Smith+school@nhs.net", "email"),
        ("parent: jo@example.co.uk", "email"),
        ("07700 900123", "phone"),
        ("07700900123", "phone"),
        ("+44 7700 900123", "phone"),
        ("+447700900123", "phone"),
        ("+44 (0)7700 900123", "phone"),
        ("01524 123456", "phone"),
        ("(01772) 123456", "phone"),
        ("0161 496 0000", "phone"),
        ("020 7946 0000", "phone"),
        ("0161-496-0000", "phone"),
        ("call mum on 07700 900123 after 3", "phone"),
        ("PR1 2HE", "postcode"),
        ("pr1 2he", "postcode"),
        ("PR12HE", "postcode"),
        ("LA1 1AA", "postcode"),
        ("M1 1AE", "postcode"),
        ("EC1A 1BB", "postcode"),
        ("W1A 0AX", "postcode"),
        ("lives at BB11 2AB", "postcode"),
        ("0044 7700 900123", "phone"),
        ("00447700900123", "phone"),
        ("0044 (0)1772 123456", "phone"),
        ("\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13", "phone"),
        ("07700\u00a0900123", "phone"),
        ("GIR 0AA", "postcode"),
        ("gir0aa", "postcode"),
        ("PR1\u00a02HE", "postcode"),
        ("\uff30\uff32\uff11 \uff12\uff28\uff25", "postcode"),  # fullwidth PR1 2HE
        ("jo\uff20example.org", "email"),  # fullwidth @
    ],
)
def test_each_kind_of_personal_value_is_found(value: str, kind: str) -> None:
    assert kind in kinds_of(value)


@pytest.mark.parametrize(
    "value",
    [
        "9434765918",  # fails the checksum
        "2026-01-15",
        "15/01/2026",
        "15-01-2026",
        "01-02-2026 10:30",
        "2026-01-15T09:30:00",
        "C000123",
        "LNC-000001",
        "S-0000",
        "A-1",
        "Ribble Valley",
        "waiting_first",
        "in_assessment",
        "routine",
        "mdt",
        "1e308",
        "-1",
        "inf",
        "nan",
        "true",
        "12345",
        "0123456",
        "2026",
        "@",
        "not an email@",
        "2026-01-15 10:30",
        "15/01/2026 10:30",
        "15/01/26 10:30",
        "2026-01-15 10:30:00",
        "12345.67891",
        "0.123456789",
        "1e10",
        "2025-01-10 2025-02-11",
        "LNC-0000001",
        "GIR",
        "0044",
        "\uff12\uff10\uff12\uff16-\uff10\uff11-\uff11\uff15",  # fullwidth date
        "",
        "   ",
    ],
)
def test_codes_ids_dates_and_numbers_are_not_personal(value: str) -> None:
    assert kinds_of(value) == set()


def test_every_date_in_range_is_clear() -> None:
    start = dt.date(1990, 1, 1)
    days = [start + dt.timedelta(days=k) for k in range(0, (dt.date(2100, 12, 31) - start).days, 3)]
    values = pd.Series(
        [d.isoformat() for d in days]
        + [d.strftime("%d/%m/%Y") for d in days]
        + [d.strftime("%d-%m-%Y %H:%M") for d in days]
        + [f"{d.isoformat()} {k % 24:02d}:{k % 60:02d}" for k, d in enumerate(days)]
        + [f"{d.strftime('%d/%m/%y')} {k % 24:02d}:{k % 60:02d}" for k, d in enumerate(days)]
        + [d.strftime("%d.%m.%Y") for d in days]
        + [d.strftime("%Y%m%d") for d in days]
    )
    assert not any(mask.any() for mask in personal_values(values).values())


@pytest.mark.parametrize("path", [LANCASHIRE_LIST, FIXTURES / "small_list.csv"])
def test_shipped_lists_are_clear(path) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert find_personal_data(frame) == []


def test_pseudonymous_ids_of_many_shapes_are_clear() -> None:
    ids = pd.Series(
        [f"LNC-{i:06d}" for i in range(0, 200_000, 7)]
        + [f"C{i:06d}" for i in range(0, 200_000, 7)]
        + [f"REF{i}" for i in range(0, 200_000, 7)]
    )
    assert not any(mask.any() for mask in personal_values(ids).values())


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "header",
    [
        "name",
        "Name",
        "child name",
        "first name",
        "FirstName",
        "first_name",
        "forename",
        "Forenames",
        "surname",
        "last name",
        "full name",
        "parent name",
        "Parent/Carer Name",
        "carer name",
        "guardian",
        "dob",
        "DOB",
        "D.O.B.",
        "d.o.b",
        "date of birth",
        "Date_of_Birth",
        "DateOfBirth",
        "birth date",
        "birthday",
        "born",
        "nhs number",
        "NHS No",
        "NHS_No.",
        "nhsno",
        "NHSNumber",
        "PatientNHSNo",
        "PATIENTNHSNO",
        "nhs",
        "chi",
        "chi number",
        "address",
        "Address Line 1",
        "address_2",
        "addr",
        "Addr1",
        "street",
        "town",
        "postcode",
        "Post Code",
        "post_code",
        "zip",
        "email",
        "e-mail",
        "E-Mail Address",
        "EmailAddress",
        "phone",
        "Phone Number",
        "HomePhone",
        "telephone",
        "tel",
        "Tel.",
        "mobile",
        "Mob",
        "mob no",
        "MobileNo",
        "Contact number",
        "contact_details",
    ],
)
def test_personal_headers_are_recognised(header: str) -> None:
    assert is_personal_header(header), header_words(header)


@pytest.mark.parametrize(
    "header",
    [
        "child_id",
        "district",
        "referral_date",
        "stage",
        "pathway",
        "priority",
        "next_appointment",
        "referral_id",
        "triage_date",
        "triage_result",
        "first_appointment_date",
        "outcome_date",
        "outcome",
        "exit_date",
        "exit_reason",
        "dnas",
        "more_information",
        "notes",
        "gender",
        "automobile",
        "team",
        "Unnamed: 7",
    ],
)
def test_list_and_history_headers_are_not_personal(header: str) -> None:
    assert not is_personal_header(header), header_words(header)


def test_header_words_split_camel_case_and_separators() -> None:
    assert header_words("PatientNHSNo") == ["patient", "nhs", "no"]
    assert header_words("D.O.B.") == ["d", "o", "b"]
    assert header_words("Address Line 1") == ["address", "line"]


# ---------------------------------------------------------------- problems and messages


def _frame(rows: int = 10) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_id": [f"A-{i}" for i in range(rows)],
            "district": ["Preston"] * rows,
            "referral_date": ["2025-01-10"] * rows,
            "notes": ["ok"] * rows,
        }
    )


@pytest.mark.parametrize(
    "value", ["943 476 5919", "jo.bloggs@example.org", "07700 900123", "PR1 2HE"]
)
def test_one_value_refuses_and_is_never_echoed(value: str) -> None:
    frame = _frame()
    frame.loc[6, "child_id"] = value
    with pytest.raises(ScenarioError) as caught:
        refuse_personal_data(frame, "list.csv")
    (problem,) = caught.value.problems
    assert problem.value == WITHHELD
    assert problem.path == "line 8, column child_id"
    assert "1 row, the first on line 8" in problem.rule
    message = caught.value.describe()
    assert value not in message and value[:3] not in message
    assert value.replace(" ", "") not in message


def test_every_offending_column_is_reported_with_its_first_line_and_count() -> None:
    frame = _frame()
    frame.loc[[3, 5], "notes"] = ["ring 07700 900123", "PR1 2HE"]
    frame.loc[4, "district"] = "x@example.org"
    frame["Surname"] = "x"
    problems = {p.path: p for p in find_personal_data(frame)}
    assert set(problems) == {"line 5, column notes", "line 6, column district", "column Surname"}
    notes = problems["line 5, column notes"].rule
    assert "phone numbers and postcodes (2 rows, the first on line 5)" in notes
    assert "email addresses (1 row" in problems["line 6, column district"].rule
    assert "named like personal data" in problems["column Surname"].rule


def test_a_header_row_holding_personal_data_is_refused_without_echo() -> None:
    frame = _frame().rename(columns={"notes": "943 476 5919"})
    (problem,) = find_personal_data(frame)
    assert problem.path == "line 1, column 4" and problem.value == WITHHELD
    assert "943" not in str(problem)


def test_first_line_offsets_the_reported_line() -> None:
    frame = _frame()
    frame.loc[0, "notes"] = "a@b.org"
    (problem,) = find_personal_data(frame, first_line=10)
    assert problem.path == "line 10, column notes"


def test_a_clean_frame_passes_and_an_empty_one_too() -> None:
    refuse_personal_data(_frame(), "list.csv")
    refuse_personal_data(_frame(0), "list.csv")


def test_a_100000_row_list_is_checked_quickly() -> None:
    """Measured 0.27-0.44 s (2 shared cores, NFKC and all NHS spellings); the bound only
    guards against a slow path."""
    base = pd.read_csv(LANCASHIRE_LIST, dtype=str, keep_default_na=False)
    frame = pd.concat([base] * 24, ignore_index=True).head(100_000).copy()
    frame["child_id"] = [f"LNC-{i:07d}" for i in range(len(frame))]
    frame["notes"] = [f"seen {i % 28 + 1} times" for i in range(len(frame))]
    frame.loc[99_000, "notes"] = "ring 01524 123456"
    started = time.perf_counter()
    problems = find_personal_data(frame)
    elapsed = time.perf_counter() - started
    assert [p.path for p in problems] == ["line 99002, column notes"]
    assert elapsed < 2.0, elapsed
