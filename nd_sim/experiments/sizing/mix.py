"""A mix of extra staff: WTE per profession (and per team with ``--by-team``) on a grid.

The mix search (`nd_sim.experiments.sizing.mix_search`) moves through mixes one grid step
at a time, so a mix is a tuple of whole grid steps, one per *cell*. A cell is a profession in
one team (``--by-team``) or a profession for the whole area, shared between its teams in
proportion to their referrals (as the fixed-mix lever shares it). Posts are those of the
scenario's recruitment: approved on the start date, starting work after the recruitment
lag, ramping up, and capped by the scenario's `max_recruits_wte` where a funding
intervention sets one. In the budget form they are fixed-term, paid for `over_months`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from nd_sim.experiments.sizing.levers import team_weights
from nd_sim.scenario.models import Funding, Scenario, StaffChange
from nd_sim.scenario.variants import varied

Mix = tuple[int, ...]  # grid steps per cell


@dataclass(frozen=True)
class Cell:
    """Where one grid step of WTE goes: a profession in a team, or in every team (None)."""

    profession: str
    team: str | None

    def words(self) -> str:
        """ "clinical psychologist (north)", or the profession alone for the whole area."""
        name = self.profession.replace("_", " ")
        return f"{name} ({self.team})" if self.team else name


@dataclass(frozen=True)
class MixSpace:
    """The cells searched, the grid step and the posts' terms."""

    cells: tuple[Cell, ...]
    step_wte: float
    start: dt.date
    lag_weeks: float
    ramp_weeks: float
    weights: tuple[tuple[str, float], ...]  # each team's share of the referrals
    cost_gbp_per_wte_year: tuple[float, ...]  # per cell
    max_steps: tuple[int, ...]  # per cell: the recruitment cap (or the lever's cap) in steps
    until: dt.date | None = None  # fixed-term posts end here (the budget form)

    def zero(self) -> Mix:
        """Nothing added."""
        return (0,) * len(self.cells)

    def wte(self, mix: Mix) -> tuple[float, ...]:
        """WTE per cell."""
        return tuple(round(n * self.step_wte, 10) for n in mix)

    def total_wte(self, mix: Mix) -> float:
        """All the WTE the mix adds."""
        return round(sum(mix) * self.step_wte, 10)

    def cost_per_year_gbp(self, mix: Mix) -> float:
        """The mix's running cost a year, at full strength."""
        return sum(w * c for w, c in zip(self.wte(mix), self.cost_gbp_per_wte_year, strict=True))

    def committed_gbp(self, mix: Mix, months: float) -> float:
        """Money committed to fixed-term posts for `months` (the budget form's spend)."""
        return self.cost_per_year_gbp(mix) * months / 12.0

    def allowed(self, mix: Mix) -> bool:
        """Within every recruitment cap, and no cell below zero."""
        return all(0 <= n <= top for n, top in zip(mix, self.max_steps, strict=True))

    def plus(self, mix: Mix, move: Mix) -> Mix:
        """`mix` with `move` added cell by cell."""
        return tuple(a + b for a, b in zip(mix, move, strict=True))

    def apply(self, scenario: Scenario, mix: Mix) -> Scenario:
        """The scenario with the mix's posts added to its own interventions."""
        added = []
        weights = dict(self.weights)
        for cell, wte in zip(self.cells, self.wte(mix), strict=True):
            shares = {cell.team: 1.0} if cell.team else weights
            for team, share in shares.items():
                if wte * share > 0:
                    added.append(
                        StaffChange(
                            kind="staff_change",
                            name=f"nd-sim size: {cell.profession}",
                            team=team,
                            profession=cell.profession,
                            wte=wte * share,
                            from_date=self.start,
                            until_date=self.until,
                            recruitment_lag_weeks=self.lag_weeks,
                            ramp_up_weeks=self.ramp_weeks,
                        )
                    )
        if not added:
            return scenario
        label = f"nd-sim size: mix {self.describe(mix)}"
        return varied(scenario, label, interventions=[*scenario.interventions, *added])

    def describe(self, mix: Mix) -> str:
        """ "2 clinical psychologist + 1.5 slt" (or "nothing added")."""
        parts = [
            f"{w:g} {c.words()}" for c, w in zip(self.cells, self.wte(mix), strict=True) if w > 0
        ]
        return " + ".join(parts) or "nothing added"


def mix_space(
    scenario: Scenario,
    professions: tuple[str, ...],
    *,
    by_team: bool,
    step_wte: float,
    cap_wte: float,
    lag_weeks: float,
    ramp_weeks: float,
    until: dt.date | None = None,
) -> MixSpace:
    """The cells for these professions, each capped by the scenario's recruitment caps.

    A funding intervention's `max_recruits_wte` caps a profession over the county; by team,
    each team's cell may take the whole cap (the search never adds more than the cap in
    total, see `MixSpace.allowed` and `total_capped`)."""
    teams = list(scenario.teams) if by_team else [None]
    cells = tuple(Cell(p, t) for p in professions for t in teams)
    caps = recruitment_caps(scenario)
    top = [min(caps.get(c.profession, cap_wte), cap_wte) for c in cells]
    return MixSpace(
        cells=cells,
        step_wte=step_wte,
        start=scenario.start_date,
        lag_weeks=lag_weeks,
        ramp_weeks=ramp_weeks,
        weights=tuple(team_weights(scenario).items()),
        cost_gbp_per_wte_year=tuple(
            scenario.professions[c.profession].cost_gbp_per_wte_year for c in cells
        ),
        max_steps=tuple(int(t / step_wte + 1e-9) for t in top),
        until=until,
    )


def recruitment_caps(scenario: Scenario) -> dict[str, float]:
    """The most WTE of each profession the scenario's funding may recruit (the smallest
    cap where several funding interventions set one)."""
    caps: dict[str, float] = {}
    for item in scenario.interventions:
        if isinstance(item, Funding):
            for prof, wte in item.max_recruits_wte.items():
                caps[prof] = min(caps.get(prof, wte), wte)
    return caps


def within_caps(space: MixSpace, mix: Mix) -> bool:
    """Every cell within its cap, and every profession's total (over teams) within it."""
    if not space.allowed(mix):
        return False
    totals: dict[str, int] = {}
    tops: dict[str, int] = {}
    for cell, n, top in zip(space.cells, mix, space.max_steps, strict=True):
        totals[cell.profession] = totals.get(cell.profession, 0) + n
        tops[cell.profession] = top
    return all(totals[p] <= tops[p] for p in totals)
