"""Today's waiting list as a service exports it: messy rows are set aside, personal data
is refused.

Every row ends up either in the projection or in `rejected_rows.csv` with the reason, so
nothing is dropped silently. A column that looks like names, NHS numbers, dates of birth,
addresses or contact details is refused outright: projections need pseudonymous ids only,
and no personal data may be written anywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nd_sim.backlog import OPTIONAL, REQUIRED, read_list_csv, row_reasons
from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario.models import Scenario

PERSONAL_HEADERS = re.compile(
    r"(^|_)(names?|first_?name|fore_?names?|surname|last_?name|full_?name|nhs(_?(no|num|number))?|"
    r"chi|address(_?\d)?|street|town|post_?code|dob|date_?of_?birth|birth_?date|phone|"
    r"tel(ephone)?|mobile|e_?mail)($|_)"
)
NHS_NUMBER = re.compile(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
LOOKS_PERSONAL_SHARE = 0.5
REJECTED_COLUMNS = ["line", "child_id", "column", "value", "reason"]


@dataclass(frozen=True)
class ListReading:
    """The rows that can be projected, the rows set aside (and why), and ignored columns."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    ignored_columns: tuple[str, ...]
    rows_read: int


def read_family_list(path: Path, scenario: Scenario, as_of: dt.date, strict: bool) -> ListReading:
    """Read and check the list; raise `ScenarioError` for input that cannot be used at all."""
    frame = _read(path)
    problems = _personal_data(frame)
    missing = [c for c in REQUIRED if c not in frame.columns]
    problems += [Problem(f"column {c}", "(missing)", "required column") for c in missing]
    if problems:
        raise ScenarioError(str(path), problems)
    accepted, rejected = _check_rows(frame, scenario, as_of)
    if strict and len(rejected):
        shown = [
            Problem(f"line {r.line}, column {r.column}", r.value, r.reason)
            for r in rejected.head(50).itertuples(index=False)
        ]
        raise ScenarioError(str(path), shown)
    ignored = tuple(c for c in frame.columns if c not in REQUIRED + OPTIONAL)
    return ListReading(accepted, rejected, ignored, len(frame))


def _read(path: Path) -> pd.DataFrame:
    frame = read_list_csv(path, "--waiting-list")
    if len(frame.columns) < 2:
        rule = "must be a CSV file with a header row and comma-separated columns"
        raise ScenarioError(str(path), [Problem("--waiting-list", str(path), rule)])
    return frame


def _personal_data(frame: pd.DataFrame) -> list[Problem]:
    """Columns that look like personal data, by name or by content."""
    out = []
    for column in frame.columns:
        key = re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")
        if PERSONAL_HEADERS.search(key) and column not in REQUIRED + OPTIONAL:
            out.append(Problem(f"column {column}", column, _PERSONAL_RULE))
            continue
        values = frame[column].astype(str).str.strip()
        values = values[values != ""]
        if values.empty:
            continue
        for label, pattern in (
            ("NHS numbers", NHS_NUMBER),
            ("postcodes", POSTCODE),
            ("email addresses", EMAIL),
        ):
            if values.str.match(pattern).mean() >= LOOKS_PERSONAL_SHARE:
                out.append(
                    Problem(
                        f"column {column}",
                        values.iloc[0][:3] + "…",
                        f"values look like {label}; {_PERSONAL_RULE}",
                    )
                )
                break
    return out


_PERSONAL_RULE = (
    "looks like personal data: the list must hold pseudonymous ids only (remove the column "
    "and any names, NHS numbers, dates of birth or addresses before running)"
)


def _check_rows(
    frame: pd.DataFrame, scenario: Scenario, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    districts = set(scenario.districts)
    classes = [c.name for c in scenario.booking.priority_classes]
    steps = [a.name for a in scenario.pathway.appointments]
    seen: set[str] = set()
    good, bad = [], []
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2  # line 1 is the header
        too_late = f"in the future (after --as-of {as_of})"
        reasons = row_reasons(row, districts, classes, steps, as_of, too_late, seen)
        seen.add(str(row.get("child_id", "")).strip())
        if reasons:
            bad += [
                (line, row.get("child_id", ""), col, row.get(col, ""), why) for col, why in reasons
            ]
        else:
            good.append(
                {**{k: str(row.get(k, "")).strip() for k in REQUIRED + OPTIONAL}, "line": line}
            )
    accepted = pd.DataFrame(good, columns=[*REQUIRED, *OPTIONAL, "line"])
    rejected = pd.DataFrame(bad, columns=REJECTED_COLUMNS)
    return accepted, rejected
