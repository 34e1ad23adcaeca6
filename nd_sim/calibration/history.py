"""A service's own history: one row per referral, pseudonymous, read leniently.

The extract (documented in docs/history.md) is what a service can export from its patient
system. It is read with the waiting-list reader's safeguards (`read_list_csv`: encodings,
CSV problems, and any personal data refused outright), then each row is checked; rows that
cannot be used are set aside in `rejected_rows.csv` with line, column and reason (a first
appointment before the referral, an exit before the referral, an unknown district, a
duplicate id), never dropped silently. Leniency: a column map (`--map map.toml`, e.g.
``referral_date = "Date of Referral"``), UK dates (DD/MM/YYYY) as well as ISO, and codes
matched without regard to case or surrounding spaces.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.starting_list import parse_date, read_list_csv, spelling_key
from nd_sim.results.children import APPOINTMENT_DATE_PREFIX  # the same columns as children.parquet
from nd_sim.scenario.models import Scenario

REQUIRED = ("referral_id", "district", "referral_date")
DATES = ("referral_date", "triage_date", "first_appointment_date", "outcome_date", "exit_date")
CODES = {
    "pathway": ("asd", "adhd", "both"),
    "triage_result": ("accepted", "signposted"),
    "exit_reason": ("assessed", "withdrawn", "signposted", "met_by_workshop", "waiting"),
}
OPTIONAL = (
    "pathway",
    "priority",
    "triage_date",
    "triage_result",
    "first_appointment_date",
    "outcome_date",
    "outcome",
    "exit_date",
    "exit_reason",
    "dnas",
    "more_information",
)
COLUMNS = (*REQUIRED, *OPTIONAL)
REJECTED_COLUMNS = ["line", "referral_id", "column", "value", "reason"]


@dataclass(frozen=True)
class History:
    """The usable referrals (dates as `datetime64[D]`, codes canonical), the rows set
    aside and why, and the columns read under other names."""

    rows: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    renamed: dict[str, str]
    after_as_of: int = 0  # referrals after the as-of date (not used)

    @property
    def first_date(self) -> dt.date:
        return pd.Timestamp(self.rows.referral_date.min()).date()

    @property
    def last_date(self) -> dt.date:
        return pd.Timestamp(self.rows.referral_date.max()).date()


def read_column_map(path: Path | None, columns: tuple[str, ...] = COLUMNS) -> dict[str, str]:
    """`--map`: our column name = the extract's header, from a small TOML file."""
    if path is None:
        return {}
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError("--map", [Problem("--map", str(path), f"cannot read: {exc}")]) from None
    problems = [
        Problem(f"--map {key}", value, f"must be one of {', '.join(columns)} = a header text")
        for key, value in table.items()
        if key not in columns or not isinstance(value, str)
    ]
    if problems:
        raise ScenarioError("--map", problems)
    return dict(table)


def read_history(
    path: Path, scenario: Scenario, as_of: dt.date, column_map: dict[str, str]
) -> History:
    """Read and check the extract; `ScenarioError` for a file that cannot be used at all."""
    frame = read_list_csv(Path(path), "--history")  # refuses personal data
    renamed = {theirs: ours for ours, theirs in column_map.items() if theirs in frame.columns}
    frame = frame.rename(columns=renamed)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        problems = [
            Problem(f"column {c}", "(missing)", "required (or name it in --map)") for c in missing
        ]
        raise ScenarioError(str(path), problems)
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = ""
    steps = [f"{APPOINTMENT_DATE_PREFIX}{a.name}" for a in scenario.pathway.appointments]
    rows, rejected = _check_rows(frame, scenario, as_of, [c for c in steps if c in frame.columns])
    later = rows.referral_date > pd.Timestamp(as_of)
    rows = rows[~later].reset_index(drop=True)  # after the as-of date: not known yet
    if rows.empty:
        if later.any():
            rule = f"no referral on or before --as-of {as_of} ({int(later.sum()):,} are after it)"
        else:
            reasons = rejected.reason.value_counts().head(3).to_dict()
            listed = "; ".join(f"{n:,} x {why}" for why, n in reasons.items())
            rule = f"no usable referral: every row has a problem ({listed})"
        raise ScenarioError(str(path), [Problem("--history", str(path), rule)])
    return History(rows, rejected, len(frame), {v: k for k, v in renamed.items()}, int(later.sum()))


def _check_rows(
    frame: pd.DataFrame, scenario: Scenario, as_of: dt.date, steps: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    districts = {spelling_key(d): d for d in scenario.districts}
    priorities = {spelling_key(c.name): c.name for c in scenario.booking.priority_classes}
    seen: set[str] = set()
    good, bad = [], []
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2
        clean, reasons = _row(row, districts, priorities, as_of, seen, steps)
        seen.add(clean["referral_id"])
        if reasons:
            bad += [(line, clean["referral_id"], c, str(row.get(c, "")), why) for c, why in reasons]
        else:
            good.append(clean)
    rows = pd.DataFrame(good, columns=[*COLUMNS, *steps])
    for column in (*DATES, *steps):
        rows[column] = pd.to_datetime(rows[column]).astype("datetime64[s]")
    rows["dnas"] = pd.to_numeric(rows["dnas"]).fillna(0).astype(int)
    return rows, pd.DataFrame(bad, columns=REJECTED_COLUMNS)


def _row(row, districts, priorities, as_of, seen, steps) -> tuple[dict, list[tuple[str, str]]]:
    """One referral in canonical form, and (column, reason) for what is wrong with it."""
    clean = {c: str(row.get(c) or "").strip() for c in (*COLUMNS, *steps)}
    out = [(c, "missing value") for c in REQUIRED if not clean[c]]
    if out:
        return clean, out
    if clean["referral_id"] in seen:
        out.append(("referral_id", "duplicate id (an earlier row has it)"))
    district = districts.get(spelling_key(clean["district"]))
    if district is None:
        out.append(
            ("district", f"unknown district; known: {', '.join(sorted(districts.values()))}")
        )
    clean["district"] = district or clean["district"]
    dates = {}
    for column in (*DATES, *steps):
        if clean[column]:
            dates[column] = parse_date(clean[column])
            if dates[column] is None:
                out.append((column, "must be a date YYYY-MM-DD or DD/MM/YYYY"))
    referral = dates.get("referral_date")
    for column in (*DATES[1:], *steps):
        when = dates.get(column)
        if referral and when and when < referral:
            out.append((column, f"before the referral ({referral})"))
    for column, choices in CODES.items():
        if clean[column]:
            key = spelling_key(clean[column])
            match = next((c for c in choices if spelling_key(c) == key), None)
            if match is None:
                out.append((column, f"must be one of {', '.join(choices)}"))
            clean[column] = match or clean[column]
    if clean["priority"]:
        name = priorities.get(spelling_key(clean["priority"]))
        if name is None:
            out.append(("priority", f"must be one of {', '.join(priorities.values())}"))
        clean["priority"] = name or clean["priority"]
    if clean["dnas"] and not re.fullmatch(r"[0-9]{1,3}", clean["dnas"]):
        out.append(("dnas", "must be a whole number of missed appointments"))
    for column in (*DATES, *steps):
        clean[column] = dates[column].isoformat() if dates.get(column) else None
    return clean, out


def weekly_counts(days: np.ndarray, start: dt.date, weeks: int) -> np.ndarray:
    """Events per week from `start` (days as datetime64)."""
    offset = (days - np.datetime64(start, "s")) / np.timedelta64(7, "D")
    offset = offset[~np.isnan(offset)]
    inside = (offset >= 0) & (offset < weeks)
    return np.bincount(offset[inside].astype(int), minlength=weeks)
