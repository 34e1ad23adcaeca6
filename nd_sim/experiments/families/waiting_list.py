"""Today's waiting list as a service exports it: messy rows are set aside, personal data
is refused.

Every row ends up either in the projection or in `rejected_rows.csv` with the reason, so
nothing is dropped silently. A list with anything that looks like personal data (a column
named like names, NHS numbers, dates of birth, addresses or contact details, or a single
cell holding an NHS number, email address, phone number or postcode) is refused outright
by `read_list_csv` before any row is read: projections need pseudonymous ids only, and no
personal data may be written anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.starting_list import (
    OPTIONAL,
    REQUIRED,
    ListVocabulary,
    parse_row,
    read_list_csv,
    spelling_key,
)
from nd_sim.scenario.models import Scenario

REJECTED_COLUMNS = ["line", "child_id", "column", "value", "reason"]


@dataclass(frozen=True)
class ListReading:
    """The rows that can be projected, the rows set aside (and why), and ignored columns."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    ignored_columns: tuple[str, ...]
    rows_read: int


def read_family_list(
    path: Path,
    scenario: Scenario,
    as_of: dt.date,
    strict: bool,
    column_map: dict[str, str] | None = None,
) -> ListReading:
    """Read and check the list; raise `ScenarioError` for input that cannot be used at all.

    Headers are matched as a service's system writes them ("Child ID", "Referral date")
    and `column_map` (`--map`) names the others: our column = their header.
    """
    frame = standard_headers(_read(path), (*REQUIRED, *OPTIONAL), column_map or {})
    missing = [c for c in REQUIRED if c not in frame.columns]
    problems = [Problem(f"column {c}", "(missing)", "required column") for c in missing]
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


def standard_headers(
    frame: pd.DataFrame, columns: tuple[str, ...], column_map: dict[str, str]
) -> pd.DataFrame:
    """The frame with its headers renamed to ours: by the map first, then any header that
    spells one of ours whatever its case, spaces or underscores ("Child ID" = child_id)."""
    renamed = {theirs: ours for ours, theirs in column_map.items() if theirs in frame.columns}
    taken = set(renamed.values()) | {c for c in frame.columns if c in columns}
    for header in frame.columns:
        ours = spelling_key(str(header)).replace(" ", "_")
        if (
            header not in renamed
            and header not in columns
            and ours in columns
            and ours not in taken
        ):
            renamed[header] = ours
            taken.add(ours)
    return frame.rename(columns=renamed)


def _read(path: Path) -> pd.DataFrame:
    frame = read_list_csv(path, "--waiting-list")  # refuses personal data
    if len(frame.columns) < 2:
        rule = "must be a CSV file with a header row and comma-separated columns"
        raise ScenarioError(str(path), [Problem("--waiting-list", str(path), rule)])
    return frame


def _check_rows(
    frame: pd.DataFrame, scenario: Scenario, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accepted rows in the scenario's spelling (plus their line), and one row per problem."""
    vocabulary = ListVocabulary.of(scenario)
    too_late = f"in the future (after --as-of {as_of})"
    seen: set[str] = set()
    good, bad = [], []
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2  # line 1 is the header
        clean, reasons = parse_row(row, vocabulary, as_of, too_late, seen)
        seen.add(clean["child_id"])
        if reasons:
            bad += [(line, clean["child_id"], col, clean[col], why) for col, why in reasons]
        else:
            good.append({**clean, "line": line})
    accepted = pd.DataFrame(good, columns=[*REQUIRED, *OPTIONAL, "line"])
    rejected = pd.DataFrame(bad, columns=REJECTED_COLUMNS)
    return accepted, rejected
