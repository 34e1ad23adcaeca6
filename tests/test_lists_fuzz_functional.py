"""List CSVs never crash and never let personal data through.

Whatever is typed into any cell of either list format (the scenario's starting list and the
families waiting list), reading it either accepts the row, sets it aside naming the column,
or refuses the file with a `ScenarioError`: never another exception. A list with one NHS
number, email, phone number or postcode anywhere is refused with exit code 2, nothing is
written, and the value is not shown.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.errors import ScenarioError
from nd_sim.experiments.families.waiting_list import read_family_list
from nd_sim.inputs.starting_list import read_starting_csv
from nd_sim.scenario import load_scenario

from .conftest import SCENARIOS

runner = CliRunner()
LANCASHIRE = SCENARIOS / "lancashire.toml"
LANCASHIRE_LIST = SCENARIOS / "data" / "lancashire_waiting_list.csv"
SCENARIO = load_scenario(LANCASHIRE)
AS_OF = dt.date(2026, 4, 1)
COLUMNS = [
    "child_id",
    "district",
    "referral_date",
    "stage",
    "pathway",
    "priority",
    "next_appointment",
]
ROWS = [
    ["F-1", "Preston", "2025-01-10", "waiting_first", "asd", "routine", ""],
    ["F-2", "Wyre", "2024-06-03", "in_assessment", "both", "urgent", "mdt"],
    ["F-3", "Ribble Valley", "2025-11-20", "triage", "adhd", "", ""],
]
FORMATS = {"starting": COLUMNS, "families": [*COLUMNS, "notes"]}
FILE_LEVEL = {"starting": "starting_list.csv", "families": "--waiting-list"}
HOSTILE = [
    "",
    " ",
    "\t",
    "nan",
    "NaN",
    "None",
    "null",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "-1",
    "0",
    "99999999999999999999999999",
    "true",
    "FALSE",
    "x" * 10_000,
    "0001-01-01",
    "9999-12-31",
    "1989-12-31",
    "2101-01-01",
    "2026-02-30",
    "2026-04-01",
    "20250110",
    "2025-01-10T00:00:00",
    "Ωmega",
    "日本語",
    "🙂",
    "a,b",
    '"',
    '""',
    "'",
    'say "hi", then',
    "line\nbreak",
    "\r",
    "\x00",
    "\ufeff",
    "=cmd|' /C calc'!A0",
    " PRESTON ",
    " Waiting_First ",
    "ASD",
    "F-2",
    "943 476 5919",
    "a@b.org",
    "07700 900123",
    "PR1 2HE",
]
CELLS = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.floats().map(repr),
    st.integers().map(str),
    st.booleans().map(str),
    st.dates().map(dt.date.isoformat),
)


def _csv(header: list[str], rows: list[list[str]], quoted: bool) -> str:
    if not quoted:  # as someone might type it: commas and quotes in a value break the row
        return "".join(",".join(r) + "\n" for r in [header, *rows])
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue()


def _read(kind: str, path: Path) -> tuple[int, set[str]]:
    """(rows accepted, columns named by set-aside rows); raises ScenarioError."""
    if kind == "starting":
        return len(read_starting_csv(path, SCENARIO)), set()
    reading = read_family_list(path, SCENARIO, AS_OF, strict=False)
    return len(reading.accepted), set(reading.rejected.column)


def _list(kind: str) -> tuple[list[str], list[list[str]]]:
    header = FORMATS[kind]
    return header, [row + (["ok"] if "notes" in header else []) for row in ROWS]


@pytest.mark.parametrize(
    "kind, column", [(kind, column) for kind, columns in FORMATS.items() for column in columns]
)
@settings(max_examples=40, deadline=None)  # x 17 columns: 680 lists, about 8 s
@given(value=CELLS, row=st.integers(0, 2), quoted=st.booleans())
def test_any_cell_is_accepted_set_aside_or_refused(
    kind: str, column: str, value: str, row: int, quoted: bool
) -> None:
    header, rows = _list(kind)
    rows[row][header.index(column)] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(_csv(header, rows, quoted).encode("utf-8", "surrogatepass"))
        try:
            accepted, named = _read(kind, path)
        except ScenarioError as exc:
            if quoted:  # the problem is in that column, or the file as a whole is refused
                for problem in exc.problems:
                    assert problem.path == FILE_LEVEL[kind] or any(
                        f"column {c}" in problem.path for c in _blamed(column)
                    )
            return
    if quoted:
        assert named <= _blamed(column)
        assert accepted + (1 if named else 0) == len(ROWS)


def _blamed(column: str) -> set[str]:
    """The columns a problem may name when `column` changes: F-2's stage makes its
    next_appointment wrong when it is no longer in_assessment."""
    return {column, "next_appointment"} if column == "stage" else {column}


@pytest.mark.parametrize("kind", FORMATS)
@settings(max_examples=60, deadline=None)
@given(name=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30)))
def test_any_extra_header_is_ignored_or_refused(kind: str, name: str) -> None:
    header, rows = _list(kind)
    text = _csv([*header, name], [[*r, "1"] for r in rows], quoted=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        with contextlib.suppress(ScenarioError):  # a header named like personal data
            _read(kind, path)


# ---------------------------------------------------------------- files as they come


GOOD = "child_id,district,referral_date,stage,pathway\nF-1,Preston,2025-01-10,waiting_first,asd\n"


@pytest.mark.parametrize("kind", FORMATS)
@settings(max_examples=60, deadline=None)
@given(
    start=st.sampled_from([b"", GOOD.encode(), GOOD.encode()[:60]]),
    rest=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.text(alphabet=',"\n\r x09@', max_size=200).map(str.encode),
    ),
)
def test_any_bytes_are_read_or_refused(kind: str, start: bytes, rest: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(start + rest)
        with contextlib.suppress(ScenarioError):
            _read(kind, path)


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize(
    "data",
    [
        GOOD.encode("utf-8-sig"),
        GOOD.encode("utf-16"),
        GOOD.encode("utf-16-le"),
        GOOD.replace("\n", "\r\n").encode("ascii"),
        GOOD.replace("asd\n", "asd,\n").replace("pathway\n", "pathway,\n").encode(),
        "Child_ID, District ,Referral_Date,STAGE,Pathway\n"
        "F-1, preston ,2025-01-10,Waiting_First ,ASD\n".encode("cp1252"),
    ],
    ids=["utf8-bom", "utf16", "utf16-no-bom", "crlf", "trailing-commas", "cp1252-and-case"],
)
def test_encodings_and_spellings_are_read(kind: str, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    assert _read(kind, path) == (1, set())


def test_latin1_bytes_in_an_ignored_column_are_read(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(
        GOOD.replace("\n", ",notes\n", 1).replace("asd\n", "asd,café\n").encode("latin-1")
    )
    assert _read("families", path) == (1, set())


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize(
    "data, why",
    [
        (b"", "empty"),
        (b"  \r\n\n", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "binary"),
        (GOOD.encode() + b"F-2,Wyre,2025-01-10,triage,asd,extra\n", "fields in line 3"),
        (GOOD.encode() + b'F-2,"Wyre,2025-01-10,triage,asd\n', "readable CSV"),
    ],
    ids=["empty", "blank-lines", "binary", "xlsx", "extra-field", "open-quote"],
)
def test_unusable_files_are_refused_cleanly(
    kind: str, data: bytes, why: str, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    with pytest.raises(ScenarioError, match=why):
        _read(kind, path)


@pytest.mark.parametrize("kind", FORMATS)
def test_a_header_only_file_is_an_empty_list(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(GOOD.splitlines()[0] + "\n")
    assert _read(kind, path) == (0, set())


def test_trimmed_and_case_folded_values_take_the_scenario_spelling(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "child_id,district,referral_date,stage,pathway,priority,next_appointment\n"
        " F-1 , ribble  valley ,2025-01-10,waiting_first ,ASD, Routine ,\n"
        "F-2,SOUTH_RIBBLE, 2024-06-03 ,In_Assessment,Both,URGENT,MDT\n"
    )
    accepted = read_family_list(path, SCENARIO, AS_OF, strict=False).accepted
    assert accepted[["child_id", "district", "stage", "pathway", "priority"]].values.tolist() == [
        ["F-1", "Ribble Valley", "waiting_first", "asd", "routine"],
        ["F-2", "South Ribble", "in_assessment", "both", "urgent"],
    ]
    assert list(accepted.next_appointment) == ["", "mdt"]
    children = read_starting_csv(path, SCENARIO)
    districts = list(SCENARIO.districts)
    assert [districts[d] for d in children.district] == ["Ribble Valley", "South Ribble"]
    assert list(children.next_step) == [0, 2] and list(children.priority) == [1, 0]


@pytest.mark.parametrize("date", ["0001-01-01", "1989-12-31", "9999-12-31", "2101-01-01"])
def test_far_dates_are_row_problems_that_give_the_range(date: str, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(GOOD.replace("2025-01-10", date))
    rejected = read_family_list(path, SCENARIO, AS_OF, strict=False).rejected
    assert list(rejected.column) == ["referral_date"]
    assert "between 1990-01-01 and 2100-12-31" in rejected.reason.iloc[0]
    with pytest.raises(ScenarioError, match="line 2, column referral_date"):
        read_starting_csv(path, SCENARIO)


@pytest.mark.parametrize("stage", ["waiting_first", "triage", " Triage "])
def test_next_appointment_outside_assessment_is_a_row_problem_functional(
    stage: str, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "child_id,district,referral_date,stage,pathway,next_appointment\n"
        f"F-1,Preston,2025-01-10,{stage},asd,mdt\n"
        "F-2,Wyre,2024-06-03,in_assessment,both,MDT\n"
        "F-3,Wyre,2024-06-03,waiting_first,both,\n"
    )
    reading = read_family_list(path, SCENARIO, AS_OF, strict=False)
    assert list(reading.accepted.child_id) == ["F-2", "F-3"]
    (problem,) = reading.rejected.itertuples(index=False)
    assert (problem.line, problem.column, problem.value) == (2, "next_appointment", "mdt")
    assert "only for a child at stage in_assessment" in problem.reason
    with pytest.raises(ScenarioError) as caught:
        read_starting_csv(path, SCENARIO)
    assert [p.path for p in caught.value.problems] == ["line 2, column next_appointment"]


def test_an_unknown_stage_or_step_is_named_once_functional(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "child_id,district,referral_date,stage,pathway,next_appointment\n"
        "F-1,Preston,2025-01-10,waiting,asd,mdt\n"
        "F-2,Preston,2025-01-10,triage,asd,nonsense\n"
    )
    rejected = read_family_list(path, SCENARIO, AS_OF, strict=False).rejected
    assert list(zip(rejected.line, rejected.column, strict=True)) == [
        (2, "stage"),
        (3, "next_appointment"),
    ]
    assert "must be one of" in rejected.reason.iloc[1]


@pytest.mark.parametrize(
    "child_id",
    [
        "A\n1",
        "A\r\n1",
        "A\t1",
        "A\x0b1",
        "A\x1b[31m1",
        "A\u200b1",
        "A\u202e1",
        "A\u20281",
        "A\x7f1",
    ],
)
def test_a_control_character_in_an_id_is_a_row_problem_functional(
    child_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    rows = [["child_id", "district", "referral_date", "stage", "pathway"]]
    rows += [[child_id, "Preston", "2025-01-10", "waiting_first", "asd"]]
    rows += [["A 2", "Preston", "2025-01-10", "waiting_first", "asd"]]  # a space is fine
    path.write_text(_csv(rows[0], rows[1:], quoted=True), newline="")
    reading = read_family_list(path, SCENARIO, AS_OF, strict=False)
    assert list(reading.accepted.child_id) == ["A 2"]
    assert list(reading.rejected.column) == ["child_id"]
    assert "control" in reading.rejected.reason.iloc[0]
    with pytest.raises(ScenarioError) as caught:
        read_starting_csv(path, SCENARIO)
    assert [p.path for p in caught.value.problems] == ["line 2, column child_id"]


# ---------------------------------------------------------------- the command line


def valid_nhs_number() -> str:
    """A made-up number that passes the NHS modulus-11 check, written 3-3-4."""
    nine = "401023213"
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    assert check != 10
    digits = f"{nine}{check}"
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


PERSONAL = {
    "NHS numbers": valid_nhs_number(),
    "email addresses": "jo.bloggs@example.org",
    "phone numbers": "07700 900123",
    "postcodes": "PR1 2HE",
}
BAD_ROW = 50  # file line 52


def _hundred_rows_with(value: str, path: Path) -> Path:
    frame = pd.read_csv(LANCASHIRE_LIST, dtype=str, keep_default_na=False).head(100)
    frame.loc[BAD_ROW, "child_id"] = value
    frame.to_csv(path, index=False)
    return path


def _assert_nothing_leaked(value: str, output: str, folder: Path, source: Path) -> None:
    for text in (value, value.replace(" ", ""), value[:4]):
        assert text not in output
    for path in folder.rglob("*"):
        if path.is_file() and path != source:
            assert value not in path.read_text(errors="replace"), path


@pytest.mark.parametrize("kind", PERSONAL)
def test_families_refuses_one_personal_value_and_writes_nothing(kind: str, tmp_path: Path) -> None:
    value = PERSONAL[kind]
    source = _hundred_rows_with(value, tmp_path / "list.csv")
    out = tmp_path / "fam"
    args = ["families", str(LANCASHIRE), "--waiting-list", str(source), "--as-of", "2026-04-01"]
    result = runner.invoke(app, [*args, "-n", "2", "--allow-few-replications", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"values look like {kind}" in result.output
    assert f"line {BAD_ROW + 2}, column child_id" in result.output
    assert not out.exists()
    _assert_nothing_leaked(value, result.output, tmp_path, source)


@pytest.mark.parametrize("kind", PERSONAL)
def test_validate_refuses_a_starting_list_with_one_personal_value(
    kind: str, tmp_path: Path
) -> None:
    value = PERSONAL[kind]
    source = _hundred_rows_with(value, tmp_path / "starting.csv")
    scenario = tmp_path / "bad.toml"
    scenario.write_text(
        f'extends = "{LANCASHIRE.as_posix()}"\nname = "bad"\n'
        f'[starting_list]\ncsv = "{source.as_posix()}"\n'
    )
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2, result.output
    assert f"values look like {kind}" in result.output
    assert "Traceback" not in result.output
    _assert_nothing_leaked(value, result.output, tmp_path, source)


NHS_DIGITS = valid_nhs_number().replace(" ", "")
FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))
SPELLINGS = {
    "no-break spaces": f"{NHS_DIGITS[:3]}\u00a0{NHS_DIGITS[3:6]}\u00a0{NHS_DIGITS[6:]}",
    "double spaces": f"{NHS_DIGITS[:3]}  {NHS_DIGITS[3:6]}  {NHS_DIGITS[6:]}",
    "tabs": f"{NHS_DIGITS[:3]}\t{NHS_DIGITS[3:6]}\t{NHS_DIGITS[6:]}",
    "dots": f"{NHS_DIGITS[:3]}.{NHS_DIGITS[3:6]}.{NHS_DIGITS[6:]}",
    "slashes": f"{NHS_DIGITS[:3]}/{NHS_DIGITS[3:6]}/{NHS_DIGITS[6:]}",
    "en dashes": f"{NHS_DIGITS[:3]}\u2013{NHS_DIGITS[3:6]}\u2013{NHS_DIGITS[6:]}",
    "em dashes": f"{NHS_DIGITS[:3]}\u2014{NHS_DIGITS[3:6]}\u2014{NHS_DIGITS[6:]}",
    "3-4-3": f"{NHS_DIGITS[:3]} {NHS_DIGITS[3:7]} {NHS_DIGITS[7:]}",
    "2-4-4": f"{NHS_DIGITS[:2]} {NHS_DIGITS[2:6]} {NHS_DIGITS[6:]}",
    "fullwidth": NHS_DIGITS.translate(FULLWIDTH),
    "scientific": f"{NHS_DIGITS[0]}.{NHS_DIGITS[1:]}E+09",
    "scientific lower": f"{NHS_DIGITS[0]}.{NHS_DIGITS[1:]}e9",
}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_families_refuses_an_nhs_number_however_written_functional(
    spelling: str, tmp_path: Path
) -> None:
    value = SPELLINGS[spelling]
    source = _hundred_rows_with(value, tmp_path / "list.csv")
    out = tmp_path / "fam"
    args = ["families", str(LANCASHIRE), "--waiting-list", str(source), "--as-of", "2026-04-01"]
    result = runner.invoke(app, [*args, "-n", "2", "--allow-few-replications", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "values look like NHS numbers" in result.output
    assert f"line {BAD_ROW + 2}, column child_id" in result.output
    assert not out.exists()
    for text in (value, NHS_DIGITS, NHS_DIGITS[:4], NHS_DIGITS[-4:], value[:4]):
        assert text not in result.output
    assert [p for p in tmp_path.rglob("*") if p != source] == []


@pytest.mark.parametrize(
    "value, kind",
    [("0044 7700 900123", "phone numbers"), ("GIR 0AA", "postcodes")],
    ids=["international-phone", "girobank-postcode"],  # tmp_path holds the id: no value in it
)
def test_families_refuses_international_phones_and_girobank_postcodes_functional(
    value: str, kind: str, tmp_path: Path
) -> None:
    source = _hundred_rows_with(value, tmp_path / "list.csv")
    out = tmp_path / "fam"
    args = ["families", str(LANCASHIRE), "--waiting-list", str(source), "--as-of", "2026-04-01"]
    result = runner.invoke(app, [*args, "-n", "2", "--allow-few-replications", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"values look like {kind}" in result.output
    assert not out.exists()
    _assert_nothing_leaked(value, result.output, tmp_path, source)
