"""Weekly counts per district, derived after a replication from each child's milestones.

Counting from milestone times (rather than inside the event loop) keeps the hot loop lean
and makes every weekly figure consistent with the per-child table by construction.
A "stock" is the number in a state at the end of week w (time 7(w + 1)).

Inside the assessment the list is also split by the appointment each child waits for
(`STEP_PREFIX` + the appointment's name, for every appointment after the first), with the
children an outsourced provider has seen and not yet given an outcome beside them
(`waiting_outsourced`): together they are `in_assessment`, week by week.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nd_sim.engine.codes import IN_ASSESSMENT, TRIAGE_ACCEPTED
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import ASSESSED, MET_BY_WORKSHOP, SIGNPOSTED, WITHDRAWN
from nd_sim.inputs.model import Model

FLOWS = (
    "referrals",
    "rereferrals",
    "first_appointments",
    "assessments_completed",
    "signposted",
    "withdrawn",
    "met_by_workshop",
)
STOCKS = (
    "waiting_triage",
    "waiting_first",
    "in_assessment",
    "open_referrals",
    "open_13w_plus",
    "open_52w_plus",
    "open_104w_plus",
    "waiting_outsourced",
)
STEP_PREFIX = "waiting_step."  # + an appointment's name: the list waiting for that step
BANDS_WEEKS = {"open_13w_plus": 13, "open_52w_plus": 52, "open_104w_plus": 104}
STAGES_OPEN = ("waiting_triage", "waiting_first", "in_assessment", "open_referrals")


def _per_week(
    district: np.ndarray, days: np.ndarray, n_districts: int, weeks: int,
    group: np.ndarray | None = None, n_groups: int = 1,
) -> np.ndarray:  # fmt: skip
    """Events per district and week, shape (districts, weeks), of the children `group`
    counts (-1: not counted); with several groups, (groups, districts, weeks)."""
    from nd_sim.results.compiled import week_counts  # numba: loaded only when needed

    days = np.ascontiguousarray(days, np.float64)
    chosen = np.zeros(days.size, np.int64) if group is None else group.astype(np.int64)
    counts = week_counts(district, days, chosen, n_groups, n_districts, weeks)[..., :weeks]
    return counts[0] if n_groups == 1 else counts


def _stock(
    district: np.ndarray, start: np.ndarray, end: np.ndarray, n: int, weeks: int
) -> np.ndarray:
    """Number in [start, end) at the end of each week."""
    from nd_sim.results.compiled import week_stock  # numba: loaded only when needed

    start = np.ascontiguousarray(start, np.float64)
    return week_stock(district, start, np.ascontiguousarray(end, np.float64), n, weeks)


def appointment_names(model: Model) -> tuple[str, ...]:
    """The pathway's appointments in order: the names of the per-step stocks."""
    return tuple(a.name for a in model.scenario.pathway.appointments)


def intervals_of(
    raw: RawResults, step_names: Sequence[str] | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Start and end (days; inf: never, or still there) of each child's stay in each
    waiting stage, worked out once a replication for both the KPIs and the weekly counts:
    `STOCKS` but the outsourced wait, then the wait for each appointment after the first
    (`STEP_PREFIX` + its name; by default their numbers, "1", "2", ...), then
    ``waiting_outsourced``.

    A child waits for step k from attending step k - 1 (from the start, for a child on
    today's list placed at step k) until attending step k or leaving the list; the waits
    follow one another, so with the outsourced wait (from its first appointment with the
    provider to its outcome) they cover `in_assessment` exactly. "open_13w_plus" and the
    other bands are the open stay from N weeks after referral (exactly N counts).
    """
    from nd_sim.results.compiled import stays  # numba: loaded only when needed

    n_steps = raw.step_day.shape[0]
    names = list(step_names) if step_names is not None else [str(k) for k in range(n_steps)]
    rows = stays(
        np.ascontiguousarray(raw.referral_day, np.float64),
        np.ascontiguousarray(raw.triage_day, np.float64),
        raw.triage_result == TRIAGE_ACCEPTED,
        np.ascontiguousarray(raw.first_day, np.float64),
        np.ascontiguousarray(raw.exit_day, np.float64),
        raw.start_stage == IN_ASSESSMENT,
        np.ascontiguousarray(raw.start_step, np.int64),
        np.ascontiguousarray(raw.step_day, np.float64),
        np.ascontiguousarray(raw.outsourced, np.bool_),
        7.0 * np.array(list(BANDS_WEEKS.values()), np.float64),
    )
    stays_named = [*STAGES_OPEN, *BANDS_WEEKS, *(STEP_PREFIX + n for n in names[1:])]
    stays_named.append("waiting_outsourced")
    return {name: (rows[2 * k], rows[2 * k + 1]) for k, name in enumerate(stays_named)}


def weekly_counts(
    raw: RawResults,
    n_districts: int,
    weeks: int,
    step_names: Sequence[str] | None = None,
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, np.ndarray]:
    """Every weekly flow and stock, each of shape (districts, weeks): `FLOWS`, `STOCKS`,
    then the wait for each appointment after the first (named as in `intervals_of`);
    `intervals` is `intervals_of(raw, step_names)` when the caller has it already."""
    district = raw.district.astype(np.int64)

    def only(keep: np.ndarray) -> np.ndarray:
        return np.where(keep, 0, -1)

    new, again = only(raw.start_stage < 0), only(raw.parent >= 0)
    first = only(raw.start_stage != IN_ASSESSMENT)  # first appointments during the run
    out = {
        "referrals": _per_week(district, raw.referral_day, n_districts, weeks, new),
        "rereferrals": _per_week(district, raw.referral_day, n_districts, weeks, again),
        "first_appointments": _per_week(district, raw.first_day, n_districts, weeks, first),
    }
    left = {  # every way of leaving: exit code k is group k - 1 (0, still waiting, is -1)
        "assessments_completed": ASSESSED,
        "signposted": SIGNPOSTED,
        "withdrawn": WITHDRAWN,
        "met_by_workshop": MET_BY_WORKSHOP,
    }
    group = raw.exit_code - 1
    exits = _per_week(district, raw.exit_day, n_districts, weeks, group, len(left))
    for name, code in left.items():
        out[name] = exits[code - 1]
    intervals = intervals if intervals is not None else intervals_of(raw, step_names)
    for name, (start, end) in intervals.items():
        out[name] = _stock(district, start, end, n_districts, weeks)
    return out
