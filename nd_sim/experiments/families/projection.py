"""Wait projections for the children on today's list, and for a child referred today.

The scenario is moved to start on the as-of date with exactly that list, run forward over
many replications, and each child's date of first appointment (or of outcome, for a child
already in assessment) is summarised by its 10th, 50th and 90th percentiles over the
replications in which the family stays on the list. A percentile that falls after the end
of the projection is reported as "after" that date, never as a made-up date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nd_sim.engine.replication import ASSESSED, WAITING, run_replication
from nd_sim.inputs.model import Model, compile_model
from nd_sim.inputs.starting_list import (
    NEXT_STEP_NOT_GIVEN,
    OPTIONAL,
    PATHWAYS,
    REQUIRED,
    STAGES,
    StartingChildren,
    ready_day,
)
from nd_sim.run.pipeline import Stage
from nd_sim.scenario.models import Scenario
from nd_sim.scenario.variants import varied

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
WEEKDAY_DAYS = {
    "p10": -3,
    "p50": 0,
    "p90": 3,
}  # the model's weeks need not start on your clinic day
TODAY_WINDOW_DAYS = 28  # children referred in the first four weeks stand in for "today"


@dataclass(frozen=True)
class ChildPaths:
    """What one replication says about the listed children and the first new referrals."""

    first_day: np.ndarray
    outcome_day: np.ndarray
    exit_day: np.ndarray
    left_unseen: np.ndarray
    new_district: np.ndarray
    new_pathway: np.ndarray
    new_priority: np.ndarray
    new_first_wait: np.ndarray
    new_outcome_wait: np.ndarray


def rebase(scenario: Scenario, as_of: dt.date) -> Scenario:
    """The scenario moved to start on `as_of`, with demand grown to that date."""
    years = (as_of - scenario.start_date).days / 365.25
    growth = (1.0 + scenario.demand.growth_per_year) ** years
    districts = {
        name: d.model_copy(update={"referrals_per_week": d.referrals_per_week * growth})
        for name, d in scenario.districts.items()
    }
    starting = scenario.starting_list.model_copy(update={"csv": None, "profile": []})
    return varied(
        scenario,
        f"--as-of {as_of} (the scenario moved to start then, demand grown to it)",
        start_date=as_of,
        districts=districts,
        starting_list=starting,
    )


def starting_children(rows: pd.DataFrame, scenario: Scenario, as_of: dt.date) -> StartingChildren:
    """The accepted list rows as the engine's starting children, in row order.

    Each child starts from the state the list gives: a child in assessment at its next
    appointment, ready a gap after its last one; a child waiting for a first appointment
    bookable a lead time after it was accepted. Where the list does not say, the child
    starts from the service's typical state (`state_assumed`): placed on the pathway's own
    timetable inside the assessment, or, waiting for a first appointment, accepted on its
    referral date at the earliest.
    """
    districts = list(scenario.districts)
    classes = [c.name for c in scenario.booking.priority_classes]
    steps = tuple(a.name for a in scenario.pathway.appointments)
    stage = np.array([STAGES.index(s) for s in rows.stage], np.int64)
    nxt = [
        steps.index(n) if n else (NEXT_STEP_NOT_GIVEN if s == 2 else 0)
        for n, s in zip(rows.next_appointment.fillna(""), stage, strict=True)
    ]
    days = [(dt.date.fromisoformat(d) - as_of).days for d in rows.referral_date]
    ready = _ready_days(rows, scenario, as_of, steps, np.array(days, float))
    return StartingChildren(
        ids=tuple(rows.child_id),
        district=np.array([districts.index(d) for d in rows.district], np.int64),
        referral_day=np.array(days, float),
        stage=stage,
        pathway=np.array([PATHWAYS.index(p) for p in rows.pathway], np.int64),
        priority=np.array(
            [classes.index(p) if p else len(classes) - 1 for p in rows.priority.fillna("")],
            np.int64,
        ),
        next_step=np.minimum(np.array(nxt, np.int64), len(steps) - 1),
        ready_day=ready,
    )


def _ready_days(
    rows: pd.DataFrame, scenario: Scenario, as_of: dt.date, steps, referral_day: np.ndarray
) -> np.ndarray:
    """Each child's bookable day from the list; the typical one where it says nothing."""
    gaps = [7.0 * a.gap_weeks_to_next for a in scenario.pathway.appointments]
    lead = 7.0 * scenario.booking.lead_time_weeks
    records = _every_column(rows).to_dict("records")
    out = np.array([ready_day(r, steps, gaps, lead, as_of) for r in records], float)
    typical = (rows.stage.to_numpy() == STAGES[1]) & np.isnan(out)
    return np.where(typical, np.maximum(referral_day + lead, 0.0), out)


def _every_column(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with every list column (blank where the list has none)."""
    out = rows.fillna("")
    for column in (*REQUIRED, *OPTIONAL):
        if column not in out.columns:
            out[column] = ""
    return out


def assumed_state(rows: pd.DataFrame) -> np.ndarray:
    """Which children were projected from a typical state, not from what the list says:
    in assessment without the next appointment and the last one's date; waiting for a first
    appointment without the date it was accepted."""
    blank = _every_column(rows)
    inside = (rows.stage == STAGES[2]) & (
        (blank.next_appointment == "") | (blank.last_appointment_date == "")
    )
    waiting = (rows.stage == STAGES[1]) & (blank.accepted_date == "")
    return (inside | waiting).to_numpy()


def projection_model(scenario: Scenario, rows: pd.DataFrame, as_of: dt.date) -> Model:
    """A model that starts on the as-of date from exactly the given list."""
    rebased = rebase(scenario, as_of)
    model = compile_model(rebased)
    return dataclasses.replace(model, starting=starting_children(rows, rebased, as_of))


def child_paths(model: Model, replication: int, seed: int) -> ChildPaths:
    """One replication, reduced to what the projections need (runs in the workers)."""
    raw = run_replication(model, replication, seed)
    order = np.argsort(model.starting.referral_day, kind="stable")  # the cohort's order
    rows = np.empty_like(order)
    rows[order] = np.arange(order.size)  # list row -> its row in the results
    first = raw.first_day[rows]
    outcome = raw.outcome_day[rows]
    code = raw.exit_code[rows]
    left = (code != WAITING) & (code != ASSESSED) & np.isnan(first)  # left before being seen
    new = (raw.start_stage < 0) & (raw.parent < 0) & (raw.referral_day < TODAY_WINDOW_DAYS)
    return ChildPaths(
        first_day=first,
        outcome_day=outcome,
        exit_day=raw.exit_day[rows],
        left_unseen=left,
        new_district=raw.district[new],
        new_pathway=raw.pathway[new],
        new_priority=raw.priority[new],
        new_first_wait=_wait(raw.first_day[new], raw.referral_day[new], raw.exit_code[new]),
        new_outcome_wait=_wait(raw.outcome_day[new], raw.referral_day[new], raw.exit_code[new]),
    )


def _wait(event: np.ndarray, referral: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Days to an event; +inf if still waiting at the end; NaN if the family left."""
    wait = event - referral
    still = np.isnan(event) & (code == WAITING)
    return np.where(still, np.inf, wait)


def run_paths(
    stage: Stage, model: Model, on_done: Callable[[int], None] | None = None
) -> list[ChildPaths]:
    """Every replication's paths, in order (same seed, same answer, whatever runs them)."""
    return stage.map(child_paths, model, on_done, key="families")


def quantile_dates(values: np.ndarray, start: dt.date, end: dt.date) -> dict[str, object]:
    """P10/P50/P90 of days from `start` (inf = after `end`; NaN replications ignored).

    The model books by weeks counted from `start`, which need not begin on the weekday a
    service's clinics run: an appointment it puts on a day may really fall up to half a
    week either side. So the window's ends are widened by 3 days (never before `start`):
    without it, windows of children near the end of their assessment missed by 3 days.
    """
    x = values[~np.isnan(values)]
    out: dict[str, object] = {}
    for name, q in QUANTILES.items():
        if x.size == 0:
            out[name], out[f"{name}_after"] = None, False
            continue
        value = float(np.quantile(np.sort(x), q, method="inverted_cdf"))
        after = not np.isfinite(value)
        day = max(0, int(np.floor(value)) + WEEKDAY_DAYS[name]) if not after else 0
        out[name] = end if after else min(start + dt.timedelta(days=day), end)
        out[f"{name}_after"] = after
    return out


def projections_frame(
    rows: pd.DataFrame, scenario: Scenario, paths: list[ChildPaths], as_of: dt.date
) -> pd.DataFrame:
    """One row per listed child: place in the team's queue and the windows."""
    end = as_of + dt.timedelta(weeks=scenario.horizon_weeks)
    first = np.vstack([p.first_day for p in paths])
    outcome = np.vstack([p.outcome_day for p in paths])
    left = np.vstack([p.left_unseen for p in paths])
    first = np.where(left, np.nan, np.where(np.isnan(first), np.inf, first))
    outcome = np.where(left, np.nan, np.where(np.isnan(outcome), np.inf, outcome))
    team_of = {name: d.team for name, d in scenario.districts.items()}
    frame = rows[["child_id", "district", "pathway", "priority", "stage", "referral_date"]].copy()
    frame["priority"] = frame.priority.replace("", scenario.booking.priority_classes[-1].name)
    frame["team"] = frame.district.map(team_of)
    frame["state_assumed"] = assumed_state(rows)
    frame["referral_date"] = [dt.date.fromisoformat(d) for d in frame.referral_date]
    _queue_positions(frame, scenario)
    records = []
    for k, stage in enumerate(frame.stage):
        seen_already = stage == "in_assessment"
        first_q = quantile_dates(first[:, k], as_of, end) if not seen_already else _blank()
        records.append(
            {
                **{f"first_{n}": v for n, v in first_q.items()},
                **{f"outcome_{n}": v for n, v in quantile_dates(outcome[:, k], as_of, end).items()},
                "share_left_unseen": float(left[:, k].mean()),
                "replications_counted": int(np.count_nonzero(~np.isnan(first[:, k]))),
            }
        )
    out = pd.concat([frame.reset_index(drop=True), pd.DataFrame(records)], axis=1)
    out["projection_end"] = end
    _keep_queue_order(out)
    return out


def _keep_queue_order(frame: pd.DataFrame) -> None:
    """No family is told an earlier date than a family ahead of it in the same queue.

    Within a team, pathway and priority, each percentile is raised to the latest one of
    the children ahead (a running maximum). Raw percentiles can invert by a week when the
    child ahead is still at triage or tends to miss appointments; telling the family
    behind a later date is the honest way to keep the order.
    """
    waiting = frame[frame.queue_position.notna()].sort_values("queue_position")
    for _, group in waiting.groupby(["team", "pathway", "priority"]):
        for q in QUANTILES:
            date_col, after_col = f"first_{q}", f"first_{q}_after"
            best: tuple[bool, dt.date] | None = None
            for index in group.index:
                current = (bool(frame.at[index, after_col]), frame.at[index, date_col])
                if current[1] is None:
                    continue
                if best is not None and current < best:
                    frame.at[index, after_col], frame.at[index, date_col] = best
                else:
                    best = current


def _blank() -> dict[str, object]:
    return {k: v for n in QUANTILES for k, v in ((n, None), (f"{n}_after", False))}


def _queue_positions(frame: pd.DataFrame, scenario: Scenario) -> None:
    """Place in the team's list for a first appointment, in the order the diary is filled."""
    classes = [c.name for c in scenario.booking.priority_classes]
    strict = scenario.booking.queue_order == "priority_then_referral_date"
    waiting = frame.stage != "in_assessment"
    key = frame.priority.map(lambda p: classes.index(p) if strict and p in classes else 0)
    ordered = (
        frame[waiting]
        .assign(_k=key[waiting])
        .sort_values(["team", "_k", "referral_date", "child_id"], kind="stable")
    )
    frame["queue_position"] = pd.Series(dtype="Int64")
    frame.loc[ordered.index, "queue_position"] = ordered.groupby("team").cumcount() + 1
    frame["team_list_size"] = (
        frame.team.map(frame[waiting].groupby("team").size()).fillna(0).astype(int)
    )


def if_referred_today(scenario: Scenario, paths: list[ChildPaths], as_of: dt.date) -> pd.DataFrame:
    """Per district, pathway and priority, the windows for a child referred on the as-of
    date (priorities apart: an urgent child's window says nothing of a routine one's)."""
    end = as_of + dt.timedelta(weeks=scenario.horizon_weeks)
    district = np.concatenate([p.new_district for p in paths])
    pathway = np.concatenate([p.new_pathway for p in paths])
    priority = np.concatenate([p.new_priority for p in paths])
    classes = [c.name for c in scenario.booking.priority_classes]
    first = np.concatenate([p.new_first_wait for p in paths])
    outcome = np.concatenate([p.new_outcome_wait for p in paths])
    rows = []
    for d, name in enumerate(scenario.districts):
        for (p, label), (c, cls) in itertools.product(enumerate(PATHWAYS), enumerate(classes)):
            mask = (district == d) & (pathway == p) & (priority == c)
            rows.append(
                {
                    "district": name,
                    "pathway": label,
                    "priority": cls,
                    **{f"first_{n}": v for n, v in quantile_dates(first[mask], as_of, end).items()},
                    **{
                        f"outcome_{n}": v
                        for n, v in quantile_dates(outcome[mask], as_of, end).items()
                    },
                    "children_sampled": int(np.count_nonzero(mask & ~np.isnan(first))),
                }
            )
    return pd.DataFrame(rows)
