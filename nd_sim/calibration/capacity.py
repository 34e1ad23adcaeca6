"""Capacity fitted by simulation: the staff that reproduce each team's observed throughput.

Over the last year before the as-of date, each team completed some number of assessments a
week. The scenario with the fitted rates is run over that year, from the list as it was at
its start (rebuilt from the history), with every profession of team t scaled by k_t; k is
updated k_t <- k_t x observed / simulated until the simulated completions match (a team at
capacity completes in proportion to its staff). The template's mix of professions and hours
per appointment are kept: the history shows what a team completes, not which profession
limits it. The interval carries the observed weekly completions' sampling error (their
week-to-week sd is reported too). It assumes each team worked at capacity over the year.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np

from nd_sim.calibration.fit import Z95, Estimate, known_by
from nd_sim.calibration.history import History, weekly_counts
from nd_sim.engine.codes import ASSESSED
from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import compile_model
from nd_sim.scenario.models import Scenario

YEAR_WEEKS = 104  # two years: half the sampling error of one
ROUNDS = 5
REPLICATIONS = 4


def fit_capacity(
    history: History, scenario: Scenario, as_of: dt.date, list_at
) -> tuple[list[Estimate], dict[str, np.ndarray]]:
    """Each team's staff scale (see the module docstring), and its observed weekly series.

    `scenario` holds the fitted rates at `as_of`; `list_at(date)` rebuilds the list."""
    start = as_of - dt.timedelta(weeks=YEAR_WEEKS)
    teams = list(scenario.teams)
    team_of = {name: d.team for name, d in scenario.districts.items()}
    outcome = known_by(history.rows, "outcome_date", as_of)
    observed = {}
    for team in teams:
        mine = history.rows.district.map(team_of) == team
        observed[team] = weekly_counts(outcome[mine].to_numpy(), start, YEAR_WEEKS)
    scale = np.ones(len(teams))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        list_at(start).to_csv(path, index=False)
        year = _year(scenario, start, path)
        for _ in range(ROUNDS):
            simulated = _completions(_scaled(year, scale), teams)
            target = np.array([observed[t].mean() for t in teams])
            ratio = np.where(simulated > 0, target / np.maximum(simulated, 1e-9), 1.0)
            scale = np.clip(scale * ratio, 0.05, 20.0)
            if np.all(np.abs(ratio - 1.0) < 0.005):
                break
    out = []
    for t, team in enumerate(teams):
        weekly = observed[team]
        mean, sd = weekly.mean(), weekly.std(ddof=1)
        half = Z95 * sd / np.sqrt(len(weekly)) / mean if mean > 0 else np.nan
        out.append(
            Estimate(
                f"teams.{team}.staff (WTE scale)",
                team,
                float(scale[t]),
                float(scale[t] * (1 - half)),
                float(scale[t] * (1 + half)),
                f"simulated to match {mean:.1f} assessments completed a week over the last "
                f"{YEAR_WEEKS} weeks (week-to-week sd {sd:.1f})",
                int(weekly.sum()),
            )
        )
    return out, observed


def _year(scenario: Scenario, start: dt.date, path: Path) -> Scenario:
    """The fitted scenario over the year before the as-of date, from the list then."""
    growth = 1.0 + scenario.demand.growth_per_year
    districts = {
        name: d.model_copy(update={"referrals_per_week": d.referrals_per_week / growth})
        for name, d in scenario.districts.items()
    }
    listed = scenario.starting_list.model_copy(update={"csv": str(path), "profile": []})
    return scenario.model_copy(
        update={
            "start_date": start,
            "horizon_weeks": YEAR_WEEKS,
            "districts": districts,
            "starting_list": listed,
        }
    )


def _scaled(scenario: Scenario, scale: np.ndarray) -> Scenario:
    teams = {}
    for k, (name, team) in enumerate(scenario.teams.items()):
        staff = {p: g.model_copy(update={"wte": g.wte * scale[k]}) for p, g in team.staff.items()}
        teams[name] = team.model_copy(update={"staff": staff})
    return scenario.model_copy(update={"teams": teams})


def _completions(scenario: Scenario, teams: list[str]) -> np.ndarray:
    """Assessments completed a week by each team (mean over a few replications)."""
    model = compile_model(scenario)
    team_of_district = np.asarray(model.team_of_district)
    total = np.zeros(len(teams))
    for r in range(REPLICATIONS):
        raw = run_replication(model, r, 1)
        done = (raw.exit_code == ASSESSED) & (raw.outcome_day >= 0) & ~raw.outsourced
        done &= raw.outcome_day < 7 * YEAR_WEEKS
        total += np.bincount(team_of_district[raw.district[done]], minlength=len(teams))
    return total / REPLICATIONS / YEAR_WEEKS
