"""`nd-sim families`: from today's list to projections, letters and staff summaries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.calibration.history import History
from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.families import drift, letters, staff_summary
from nd_sim.experiments.families.projection import (
    if_referred_today,
    projection_model,
    projections_frame,
    run_paths,
)
from nd_sim.experiments.families.waiting_list import read_family_list
from nd_sim.inputs.starting_list import read_list_csv
from nd_sim.results.bands import CHANCE_AND_ASSUMPTIONS, band_kind
from nd_sim.run.folder import RunFolder
from nd_sim.run.pipeline import staged
from nd_sim.run.runner import package_versions
from nd_sim.run.settings import RunSettings
from nd_sim.scenario.models import Scenario

UPDATE_EVERY_WEEKS = 13
CONTACT_PLACEHOLDER = "[service phone number or email]"
SERVICE_NAME = "Children's autism and ADHD assessment service"


@dataclass(frozen=True)
class FamiliesResult:
    """What the CLI prints after a projection."""

    out: Path
    projections: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    ignored_columns: tuple[str, ...]
    drift: pd.DataFrame | None = None  # with --previous OLD_DIR: the drift check, by district


def families_to_folder(
    scenario: Scenario,
    list_path: Path,
    as_of: dt.date,
    settings: RunSettings,
    strict: bool = False,
    previous: Path | None = None,
    on_done: Callable[[int], None] | None = None,
    contact: str = CONTACT_PLACEHOLDER,
    service_name: str = SERVICE_NAME,
    column_map: dict[str, str] | None = None,
    check_history: History | None = None,
) -> FamiliesResult:
    """Project every child on the list and write the files for staff and families."""
    reading = read_family_list(list_path, scenario, as_of, strict, column_map)
    earlier = None
    if previous is not None and previous.is_dir():
        earlier = drift.read_previous_folder(previous)
        previous = previous / "projections.csv"
    before = _read_previous(previous) if previous else None
    model = projection_model(scenario, reading.accepted, as_of)
    replications, seed = settings.replications, settings.seed
    with staged(settings, "families", [model], runs=replications, as_of=as_of.isoformat()) as stage:
        folder = stage.folder
        paths = run_paths(stage, model, on_done)
        frame = projections_frame(reading.accepted, model.scenario, paths, as_of)
        folder.write_csv("projections.csv", _for_csv(frame))
        folder.write_csv(
            "if_referred_today.csv", _for_csv(if_referred_today(model.scenario, paths, as_of))
        )
        folder.write_csv("rejected_rows.csv", reading.rejected)
        folder.write_csv(drift.EXPECTED, _expected(reading.accepted, model, paths, as_of))
        drifted = None
        if earlier is not None and before is not None:
            then, expected = earlier
            drifted = drift.drift_frame(before, expected, then, reading.accepted, as_of, frame)
            folder.write_csv("drift.csv", drifted)
        record_text = ""
        if check_history is not None:
            from nd_sim.experiments.families import track_record  # calibration: scipy

            record = track_record.track_record(check_history, scenario, as_of, stage)
            folder.write_csv("track_record.csv", _for_csv(record))
            record_text = track_record.track_words(record)
        context = _context(model.scenario, as_of, contact, service_name)
        _write_letters(folder, frame, context)
        _write_staff_summaries(folder, frame, context, before, drifted, record_text)
        folder.write_json(
            "manifest.json",
            {
                "kind": "families",
                "scenario": scenario.name,
                "waiting_list": str(list_path),
                "as_of": as_of.isoformat(),
                "replications": replications,
                "seed": seed,
                "rows_read": reading.rows_read,
                "rows_projected": len(frame),
                "rows_rejected": int(reading.rejected.line.nunique())
                if len(reading.rejected)
                else 0,
                "ignored_columns": list(reading.ignored_columns),
                "previous": str(previous) if previous else None,
                "versions": package_versions(),
            },
        )
    return FamiliesResult(
        settings.out, frame, reading.rejected, reading.rows_read, reading.ignored_columns, drifted
    )


def _expected(rows: pd.DataFrame, model, paths, as_of: dt.date) -> pd.DataFrame:
    """The bands of what should happen to today's list, for the next run's drift check."""
    return drift.expected_counts(
        rows.reset_index(drop=True),
        model.districts,
        np.vstack([p.first_day for p in paths]),
        np.vstack([p.outcome_day for p in paths]),
        np.vstack([p.exit_day for p in paths]),
        np.vstack([p.left_unseen for p in paths]),
        as_of,
    )


def _context(
    scenario: Scenario, as_of: dt.date, contact: str, service_name: str
) -> letters.LetterContext:
    return letters.LetterContext(
        service_name=service_name,
        as_of=as_of,
        next_update=as_of + dt.timedelta(weeks=UPDATE_EVERY_WEEKS),
        projection_end=as_of + dt.timedelta(weeks=scenario.horizon_weeks),
        workshops=[w.kind for w in scenario.pathway.workshops],
        contact=contact,
        scenario_name=scenario.name,
        assumptions_in_range=band_kind(scenario) == CHANCE_AND_ASSUMPTIONS,
    )


def _write_letters(folder: RunFolder, frame: pd.DataFrame, context: letters.LetterContext) -> None:
    pages, rows = letters.every_letter(frame, context)
    names = letters.letter_file_names(frame.child_id)
    for (text, page), name in zip(pages, names, strict=True):
        folder.write_text(f"letters/{name}.txt", text)
        folder.write_text(f"letters/{name}.html", page)
    folder.write_csv("letters.csv", rows)


def _write_staff_summaries(
    folder: RunFolder,
    frame: pd.DataFrame,
    context: letters.LetterContext,
    before: pd.DataFrame | None,
    drifted: pd.DataFrame | None = None,
    record_text: str = "",
) -> None:
    by_district = {} if drifted is None else {r.district: r for r in drifted.itertuples()}
    county = by_district.get(drift.COUNTY)
    parts = [
        staff_summary.district_summary(
            frame,
            district,
            context,
            previous=before,
            drift=[r for r in (county, by_district.get(district)) if r is not None],
        )
        for district in sorted(frame.district.unique())
    ]
    top = [f"**{record_text}**"] if record_text else []
    folder.write_text("staff_summary.md", "\n\n".join([*top, *parts]) + "\n")


DATE_COLUMNS = [f"{what}_{q}" for what in ("first", "outcome") for q in ("p10", "p50", "p90")]


def _for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text; a percentile after the projection's end as 'after YYYY-MM-DD'."""
    out = frame.copy()
    for column in DATE_COLUMNS:
        if column not in out:
            continue
        after = out.pop(f"{column}_after")
        out[column] = [
            "" if d is None or pd.isna(d) else (f"after {d.isoformat()}" if a else d.isoformat())
            for d, a in zip(out[column], after, strict=True)
        ]
    return out


def _read_previous(path: Path) -> pd.DataFrame:
    """An earlier projections.csv, back into the in-memory form (dates and 'after' flags).

    Read as leniently and as carefully as the list itself (encodings, personal data); a
    file that is not a projections.csv is refused naming `--previous`, never a traceback.
    """
    frame = read_list_csv(path, "--previous")
    missing = [c for c in ("child_id", "referral_date") if c not in frame.columns]
    if missing:
        rule = f"must be a projections.csv written by nd-sim families (no {', '.join(missing)})"
        raise ScenarioError(str(path), [Problem("--previous", str(path), rule)])
    problems: list[Problem] = []
    for column in [c for c in DATE_COLUMNS if c in frame] + ["referral_date"]:
        text = frame[column].astype(str)
        if column != "referral_date":
            frame[f"{column}_after"] = text.str.startswith("after ")
        frame[column] = [
            _previous_date(t.removeprefix("after "), line, column, problems)
            for line, t in enumerate(text, start=2)
        ]
    if problems:
        raise ScenarioError(str(path), problems[:20])
    return frame


def _previous_date(text: str, line: int, column: str, problems: list[Problem]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(f"--previous line {line}, column {column}", text, "not a date"))
        return None
