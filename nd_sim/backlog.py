"""Today's waiting list: a snapshot CSV (one row per child) or an age-of-wait profile.

A run starts from the list that exists now, not from empty. Children on it have
referral times before day 0 (negative days) and start at the stage they have reached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.rng import stream
from nd_sim.scenario.models import Scenario

STAGES = ("triage", "waiting_first", "in_assessment")
PATHWAYS = ("asd", "adhd", "both")
REQUIRED = ("child_id", "district", "referral_date", "stage", "pathway")
OPTIONAL = ("priority", "next_appointment")
MAX_REPORTED = 50


@dataclass(frozen=True)
class StartingChildren:
    """Children already on the list at day 0, as parallel arrays."""

    ids: tuple[str, ...] = ()
    district: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    referral_day: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stage: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pathway: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    priority: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    next_step: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.ids)


def read_starting_csv(path: str | Path, scenario: Scenario) -> StartingChildren:
    """Read and check a snapshot CSV; raise `ScenarioError` naming each bad row and column."""
    path = Path(path)
    frame = read_list_csv(path, "starting_list.csv")
    problems = _check_columns(frame, path)
    if problems:
        raise ScenarioError(str(path), problems)
    rows, problems = _parse_rows(frame, scenario)
    if problems:
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            more = len(problems) - MAX_REPORTED
            shown.append(Problem("", f"{more} more", "further problems not shown"))
        raise ScenarioError(str(path), shown)
    return rows


def read_list_csv(path: Path, option: str) -> pd.DataFrame:
    """A waiting-list CSV as text columns, or `ScenarioError` naming the option it came from."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise ScenarioError(str(path), [Problem(option, str(path), "file must exist")]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        rule = f"must be a readable CSV file ({type(exc).__name__}: {exc})"
        raise ScenarioError(str(path), [Problem(option, str(path), rule)]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _check_columns(frame: pd.DataFrame, path: Path) -> list[Problem]:
    missing = [c for c in REQUIRED if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in REQUIRED + OPTIONAL]
    out = [Problem(f"column {c}", "(missing)", "required column") for c in missing]
    out += [
        Problem(f"column {c}", c, f"unknown column; expected {REQUIRED + OPTIONAL}")
        for c in unknown
    ]
    return out


def _parse_rows(frame: pd.DataFrame, scenario: Scenario) -> tuple[StartingChildren, list[Problem]]:
    districts = list(scenario.districts)
    classes = [c.name for c in scenario.booking.priority_classes]
    steps = [a.name for a in scenario.pathway.appointments]
    problems: list[Problem] = []
    seen: set[str] = set()
    cols: dict[str, list] = {k: [] for k in ("id", "d", "t", "s", "p", "q", "n")}
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2  # the header is line 1
        errs = _row_problems(row, line, districts, classes, steps, scenario.start_date, seen)
        problems += errs
        seen.add(row.get("child_id", ""))
        if errs:
            continue
        stage = STAGES.index(row["stage"])
        cols["id"].append(row["child_id"])
        cols["d"].append(districts.index(row["district"]))
        cols["t"].append((dt.date.fromisoformat(row["referral_date"]) - scenario.start_date).days)
        cols["s"].append(stage)
        cols["p"].append(PATHWAYS.index(row["pathway"]))
        cols["q"].append(classes.index(row.get("priority") or classes[-1]))
        nxt = row.get("next_appointment") or ""
        cols["n"].append(steps.index(nxt) if nxt else (1 if stage == 2 else 0))
    children = StartingChildren(
        ids=tuple(cols["id"]),
        district=np.array(cols["d"], np.int64),
        referral_day=np.array(cols["t"], float),
        stage=np.array(cols["s"], np.int64),
        pathway=np.array(cols["p"], np.int64),
        priority=np.array(cols["q"], np.int64),
        next_step=np.minimum(np.array(cols["n"], np.int64), max(len(steps) - 1, 0)),
    )
    return children, problems


def _row_problems(
    row: dict[str, str],
    line: int,
    districts: list[str],
    classes: list[str],
    steps: list[str],
    start: dt.date,
    seen: set[str],
) -> list[Problem]:
    latest = start - dt.timedelta(days=1)
    rule = f"must be before the scenario start_date {start}"
    return [
        Problem(f"line {line}, column {column}", row.get(column, ""), why)
        for column, why in row_reasons(row, districts, classes, steps, latest, rule, seen)
    ]


def row_reasons(
    row: dict[str, str],
    districts: list[str] | set[str],
    classes: list[str],
    steps: list[str],
    latest: dt.date,
    too_late: str,
    seen: set[str],
) -> list[tuple[str, str]]:
    """(column, rule) for everything wrong with one list row; shared by every list reader.

    `latest` is the last referral date allowed; `too_late` says why a later one is wrong.
    """
    value = {k: str(row.get(k, "") or "").strip() for k in (*REQUIRED, *OPTIONAL)}
    out = [(column, "missing value") for column in REQUIRED if not value[column]]
    if out:
        return out
    if value["child_id"] in seen:
        out.append(("child_id", "duplicate id (an earlier row has it)"))
    if value["district"] not in districts:
        out.append(("district", f"unknown district; known: {', '.join(sorted(districts))}"))
    try:
        if dt.date.fromisoformat(value["referral_date"]) > latest:
            out.append(("referral_date", too_late))
    except ValueError:
        out.append(("referral_date", "must be a date YYYY-MM-DD"))
    for column, allowed in (("stage", STAGES), ("pathway", PATHWAYS)):
        if value[column] not in allowed:
            out.append((column, f"must be one of {', '.join(allowed)}"))
    if value["priority"] and value["priority"] not in classes:
        out.append(("priority", f"must be one of {', '.join(classes)}"))
    if value["next_appointment"] and value["next_appointment"] not in steps[1:]:
        out.append(("next_appointment", f"must be one of {', '.join(steps[1:])}"))
    return out


def profile_children(scenario: Scenario, seed: int, replication: int) -> StartingChildren:
    """Children drawn from the age-of-wait profile: uniform referral dates within each band."""
    bands = scenario.starting_list.profile
    if not bands:
        return StartingChildren()
    rng = stream(seed, replication, "starting_list/profile")
    last_step = len(scenario.pathway.appointments) - 1
    names = list(scenario.districts)
    mix_shares = [_mix(scenario, b.district) for b in bands]
    classes = np.array([c.share_of_referrals for c in scenario.booking.priority_classes])
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("d", "t", "s", "p", "q")}
    for band, mix in zip(bands, mix_shares, strict=True):
        n = band.count
        parts["d"].append(np.full(n, names.index(band.district)))
        parts["t"].append(-7.0 * rng.uniform(band.weeks_waiting_min, band.weeks_waiting_max, n))
        parts["s"].append(np.full(n, STAGES.index(band.stage)))
        parts["p"].append(rng.choice(3, size=n, p=mix))
        parts["q"].append(rng.choice(classes.size, size=n, p=classes / classes.sum()))
    stage = np.concatenate(parts["s"]).astype(np.int64)
    return StartingChildren(
        ids=tuple(f"profile-{i + 1}" for i in range(stage.size)),
        district=np.concatenate(parts["d"]).astype(np.int64),
        referral_day=np.concatenate(parts["t"]),
        stage=stage,
        pathway=np.concatenate(parts["p"]).astype(np.int64),
        priority=np.concatenate(parts["q"]).astype(np.int64),
        next_step=np.minimum(np.where(stage == 2, 1, 0), last_step).astype(np.int64),
    )


def _mix(scenario: Scenario, district: str) -> np.ndarray:
    mix = scenario.districts[district].referral_mix or scenario.demand.referral_mix
    shares = np.array([mix.asd, mix.adhd, mix.both])
    return shares / shares.sum()


def concat(a: StartingChildren, b: StartingChildren) -> StartingChildren:
    """Both lists, one after the other."""
    if not len(b):
        return a
    if not len(a):
        return b
    return StartingChildren(
        ids=a.ids + b.ids,
        **{
            name: np.concatenate([getattr(a, name), getattr(b, name)])
            for name in ("district", "referral_day", "stage", "pathway", "priority", "next_step")
        },
    )
