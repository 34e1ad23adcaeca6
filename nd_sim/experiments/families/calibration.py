"""Are the windows honest? Check projections against a history the engine generated.

Run one replication as "what really happened"; take the list as it stood on a day T0
(the children referred before T0, still on the list and not yet seen); project from that
list with a scenario; and count how many of the children who were then seen in the
history were seen inside their P10-P90 window. About 80% should be, if the scenario is
right. When the history had a shock the projection did not know about, fewer will be.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.engine.codes import IN_ASSESSMENT
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import run_replication
from nd_sim.experiments.families.projection import projection_model, projections_frame, run_paths
from nd_sim.inputs.model import compile_model
from nd_sim.inputs.starting_list import PATHWAYS
from nd_sim.run.pipeline import in_memory
from nd_sim.run.settings import RunSettings
from nd_sim.scenario.models import Scenario


@dataclass(frozen=True)
class Coverage:
    """Share of children seen inside their window, and how many were checked: first
    appointments of children waiting at T0, and outcomes of children in assessment then."""

    first_inside: float
    below_p10: float
    above_p90: float
    children: int
    outcome_inside: float = float("nan")
    outcome_below_p10: float = float("nan")
    outcome_above_p90: float = float("nan")
    outcome_children: int = 0


def list_at(raw: RawResults, scenario: Scenario, t0_day: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The list on day `t0_day` of a history, as a service's system would export it, and
    each child's true day after T0 of what its window is about (first appointment for a
    child waiting, outcome for a child in assessment; NaN if it never happened).

    Children already in assessment are on the list (at the appointment they wait for, with
    the date of the last one they attended), because their follow-ups take the same staff
    hours; a child waiting for a first appointment carries the date it was accepted.
    """
    open_at_t0 = (raw.referral_day < t0_day) & ~(raw.exit_day < t0_day)  # NaN: still open
    idx = np.flatnonzero(open_at_t0 & (raw.start_stage != IN_ASSESSMENT))
    start = scenario.start_date
    seen = raw.first_day[idx] < t0_day
    decided = raw.triage_day[idx] < t0_day
    attended = raw.step_day[:, idx] < t0_day
    steps_done = attended.sum(axis=0)
    last_day = np.where(attended, raw.step_day[:, idx], -np.inf).max(axis=0)
    names = [a.name for a in scenario.pathway.appointments]
    classes = [c.name for c in scenario.booking.priority_classes]
    districts = list(scenario.districts)
    stage = np.where(seen, "in_assessment", np.where(decided, "waiting_first", "triage"))
    rows = pd.DataFrame(
        {
            "child_id": [f"H-{i:06d}" for i in idx],
            "district": [districts[d] for d in raw.district[idx]],
            "referral_date": [_date(start, d) for d in raw.referral_day[idx]],
            "stage": stage,
            "pathway": [PATHWAYS[p] for p in raw.pathway[idx]],
            "priority": [classes[p] for p in raw.priority[idx]],
            "next_appointment": [
                names[min(k, len(names) - 1)] if s and k > 0 else ""
                for s, k in zip(seen, steps_done, strict=True)
            ],
            "accepted_date": [
                _date(start, t) if st == "waiting_first" else ""
                for st, t in zip(stage, raw.triage_day[idx], strict=True)
            ],
            "last_appointment_date": [
                _date(start, d) if s and np.isfinite(d) else ""
                for s, d in zip(seen, last_day, strict=True)
            ],
        }
    )
    truth = np.where(seen, raw.outcome_day[idx], raw.first_day[idx]) - t0_day
    return rows, truth


def _date(start: dt.date, day: float) -> str:
    return (start + dt.timedelta(days=int(np.floor(day)))).isoformat()


def coverage(
    history: Scenario,
    projection: Scenario,
    t0: dt.date,
    replications: int,
    history_seed: int = 1,
    projection_seed: int = 2,
    jobs: int = 1,
    blank: tuple[str, ...] = (),
) -> Coverage:
    """Coverage of P10-P90 windows projected from the list at T0 (the `blank` list columns
    left empty, as a system that does not export them would)."""
    raw = run_replication(compile_model(history), 0, history_seed)
    t0_day = (t0 - history.start_date).days
    rows, truth = list_at(raw, history, t0_day)
    for column in blank:
        rows[column] = ""
    model = projection_model(projection, rows, t0)
    settings = RunSettings(replications, projection_seed, Path("."), jobs)
    with in_memory(settings) as stage:
        paths = run_paths(stage, model)
    frame = projections_frame(rows, model.scenario, paths, t0)
    history_end = history.horizon_weeks * 7 - t0_day
    checked = ~np.isnan(truth) & (truth < history_end)
    inside_ = frame.stage.to_numpy() == "in_assessment"
    first = _score(frame, truth, checked & ~inside_, "first", t0)
    outcome = _score(frame, truth, checked & inside_, "outcome", t0)
    return Coverage(*first, *outcome)


def _score(
    frame: pd.DataFrame, truth: np.ndarray, rows: np.ndarray, what: str, t0: dt.date
) -> tuple[float, float, float, int]:
    """Inside, below P10 and above P90 (shares), and how many children were scored."""
    inside = below = above = 0
    for k in np.flatnonzero(rows):
        seen = t0 + dt.timedelta(days=int(np.floor(truth[k])))
        low, high = frame.at[k, f"{what}_p10"], frame.at[k, f"{what}_p90"]
        if low is None or (isinstance(low, float) and np.isnan(low)):
            continue
        if seen < low:
            below += 1
        elif not frame.at[k, f"{what}_p90_after"] and seen > high:
            above += 1
        else:
            inside += 1
    total = max(inside + below + above, 1)
    return inside / total, below / total, above / total, inside + below + above
