"""Rank scenarios on one objective and name what each gives up for it.

A ranking on one KPI can hide a worse one: seeing children sooner for a first appointment
can leave more of them waiting a year or more inside the assessment. So every ranked
scenario carries its trade-offs: the KPIs of a documented set (`registry.TRADEOFF_KPIS`)
whose paired difference from the base is significantly worse (the 95% CI excludes zero on
the bad side). compare, options and sweep all rank here, with the registry's directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.report.numbers import money_gbp, number, with_interval
from nd_sim.results import registry
from nd_sim.results.kpis import COUNTY


@dataclass(frozen=True)
class Objective:
    """What a ranking optimises: a registry KPI in one area (the county by default)."""

    kpi: str = registry.DEFAULT_OBJECTIVE
    area_type: str = "county"
    area: str = COUNTY

    @property
    def lower_is_better(self) -> bool:
        """The registry's direction (an objective always has one)."""
        return bool(registry.lower_is_better(self.kpi))

    def describe(self) -> str:
        """In words: "child-weeks spent waiting (county)"."""
        where = "county" if self.area_type == "county" else f"{self.area_type} {self.area}"
        return f"{registry.label(self.kpi)} ({where})"

    def as_dict(self) -> dict[str, str]:
        """For manifests."""
        return {"kpi": self.kpi, "area_type": self.area_type, "area": self.area}


def objective_for(
    kpi: str | None, area: str | None, districts: tuple[str, ...], teams: tuple[str, ...]
) -> Objective:
    """Check `--objective` and `--area` against the registry and the scenario's areas.

    `area` is "county", a team's or a district's name (matched without regard to case),
    or "team:NAME" / "district:NAME" where a name is both.
    """
    return measure_for(kpi, area, districts, teams, option="--objective", ranked=True)


def measure_for(
    kpi: str | None,
    area: str | None,
    districts: tuple[str, ...],
    teams: tuple[str, ...],
    *,
    option: str,
    ranked: bool,
) -> Objective:
    """A registry KPI in an area, checked; `ranked` also needs a better direction (to rank
    on). `option` names the command-line option in messages."""
    kpi = (kpi or registry.DEFAULT_OBJECTIVE).strip()
    problems = []
    entry = registry.lookup(kpi)
    if entry is None:
        rule = "must be a KPI of the registry (docs/outputs.md), e.g. " + ", ".join(
            registry.TRADEOFF_KPIS
        )
        problems.append(Problem(option, kpi, rule))
    elif ranked and entry.better is None:
        rule = "has no better direction (neither more nor fewer is better), so cannot be ranked on"
        problems.append(Problem(option, kpi, rule))
    elif entry.family and "." not in kpi:
        rule = f"names a family: add a member, e.g. {kpi}.{entry.family}"
        problems.append(Problem(option, kpi, rule))
    area_type, name = _area(area or COUNTY, districts, teams, problems)
    if problems:
        raise ScenarioError(option.lstrip("-"), problems)
    return Objective(kpi, area_type, name)


def _area(
    text: str, districts: tuple[str, ...], teams: tuple[str, ...], problems: list[Problem]
) -> tuple[str, str]:
    wanted = text.strip()
    kind, _, rest = wanted.partition(":")
    if rest and kind.strip().lower() in ("team", "district"):
        kinds, wanted = [kind.strip().lower()], rest.strip()
    else:
        kinds = ["county", "team", "district"]
    names = {"county": (COUNTY,), "team": teams, "district": districts}
    found = [(k, n) for k in kinds for n in names[k] if n.casefold() == wanted.casefold()]
    if len(found) == 1:
        return found[0]
    if found:
        rule = f"is both a team and a district: write team:{wanted} or district:{wanted}"
    else:
        rule = "must be county, a team (" + ", ".join(teams) + ") or a district"
    problems.append(Problem("--area", text, rule))
    return "county", COUNTY


SMALLEST_SHOWN = {
    "weeks": 0.1,
    "%": 0.1,
    "ratio": 0.005,
    "children": 0.5,
    "child-weeks": 0.5,
    "GBP": 500.0,
}


def significantly_worse(kpi: str, low: float, high: float, diff: float | None = None) -> bool:
    """True when the paired 95% CI of (option - base) lies wholly on the bad side of zero
    (and, given `diff`, the change would not round to nothing where it is shown)."""
    lower = registry.lower_is_better(kpi)
    if lower is None or math.isnan(low) or math.isnan(high) or not _shown(kpi, diff):
        return False
    return low > 0 if lower else high < 0


def significantly_better(kpi: str, low: float, high: float, diff: float | None = None) -> bool:
    """True when the paired 95% CI lies wholly on the good side of zero (likewise)."""
    lower = registry.lower_is_better(kpi)
    if lower is None or math.isnan(low) or math.isnan(high) or not _shown(kpi, diff):
        return False
    return high < 0 if lower else low > 0


def _shown(kpi: str, diff: float | None) -> bool:
    """A change too small to show (0.017 weeks, 0.005 percentage points) is not told to a
    board as a gain or a trade-off, however sure it is: common random numbers make tiny
    differences significant."""
    return diff is None or abs(diff) >= SMALLEST_SHOWN.get(registry.unit(kpi), 0.0)


def rank_scenarios(
    table: pd.DataFrame,
    objective: Objective,
    key: str = "folder",
    diff: str = "diff_from_base",
    end: str | None = None,
) -> pd.DataFrame:
    """One row per scenario (`key`), best first on the objective's mean: rank, the
    objective's mean and paired difference, and the trade-offs (names and words).

    `table` is long: key, area_type, area, kpi, mean, ci95_low, ci95_high, `diff`,
    diff_ci95_low, diff_ci95_high (comparison.csv and sweep.csv both are).
    """
    here = table[(table.area_type == objective.area_type) & (table.area == objective.area)]
    rows = here[here.kpi == objective.kpi].drop_duplicates(key)
    keys = list(dict.fromkeys(table[key]))
    rows = rows.set_index(key).reindex(keys)
    order = rows["mean"].sort_values(ascending=objective.lower_is_better, kind="stable")
    ranked = order.index.tolist()  # NaN means sort last
    out = []
    by_key = here.set_index([key, "kpi"])
    for rank, k in enumerate(ranked, start=1):
        worse = tradeoffs(by_key, k, objective, diff)
        better = tradeoffs(by_key, k, objective, diff, significantly_better)
        row = rows.loc[k]
        out.append(
            {
                key: k,
                "rank": rank,
                "objective": objective.kpi,
                "objective_area": objective.area,
                "objective_mean": row["mean"],
                "objective_diff": row.get(diff, math.nan),
                "objective_diff_ci95_low": row.get("diff_ci95_low", math.nan),
                "objective_diff_ci95_high": row.get("diff_ci95_high", math.nan),
                "tradeoffs": ";".join(name for name, _ in worse),
                "tradeoffs_text": "; ".join(change_words(n, d, end) for n, d in worse),
                "gains": ";".join(name for name, _ in better),
                "gains_text": "; ".join(change_words(n, d, end) for n, d in better),
            }
        )
    return pd.DataFrame(out)


def tradeoffs(
    by_key: pd.DataFrame,
    key,
    objective: Objective,
    diff: str = "diff_from_base",
    test=significantly_worse,
) -> list[tuple[str, float]]:
    """(KPI, paired difference) of each headline KPI other than the objective that is
    significantly worse than the base (or passes another `test`, e.g. better)."""
    out = []
    for kpi in registry.TRADEOFF_KPIS:
        if kpi == objective.kpi or (key, kpi) not in by_key.index:
            continue
        row = by_key.loc[(key, kpi)]
        low, high, change = (float(row[c]) for c in ("diff_ci95_low", "diff_ci95_high", diff))
        if test(kpi, low, high, change):
            out.append((kpi, float(row[diff])))
    return out


def with_ranks(table: pd.DataFrame, ranks: pd.DataFrame, key: str = "folder") -> pd.DataFrame:
    """`table` with the scenario's rank, objective and trade-offs on each of its rows."""
    cols = [key, "rank", "objective", "tradeoffs"]
    return table.merge(ranks[cols], on=key, how="left")


def change_words(kpi: str, diff: float, end: str | None = None, wrap=None) -> str:
    """A paired difference in words: "leaves 1,693 more children waiting a year or more at
    the end (March 2031)", "shortens the median wait for a first appointment by 49.3 weeks".

    `wrap(text, digits)` may replace the number as written (the report wraps it in a span
    naming its source)."""
    entry = registry.lookup(kpi)
    label = registry.label(kpi)
    if end and label.endswith(" at the end"):
        label = f"{label} ({end})"
    size = abs(diff)
    unit = entry.unit if entry else ""
    small = f"{size:,.1f}"
    if wrap is not None:
        small = wrap(small, 1)
    if unit == "GBP":
        return f"costs {money_words(size)} more" if diff > 0 else f"saves {money_words(size)}"
    if kpi.startswith("district_gap"):
        verb = "widens" if diff > 0 else "narrows"
        return f"{verb} the {label} by {small} weeks"
    if unit == "weeks":
        verb = "lengthens" if diff > 0 else "shortens"
        return f"{verb} the {label} by {small} weeks"
    if unit == "ratio":
        verb = "raises" if diff > 0 else "lowers"
        return f"{verb} the {label} by {size:.2f}"
    if unit == "%":
        verb = "raises" if diff > 0 else "lowers"
        return f"{verb} the {label} by {small} percentage points"
    more = "more" if diff > 0 else "fewer"
    amount = f"{size:,.0f}" if size >= 10 else small
    if wrap is not None and size >= 10:
        amount = wrap(amount, 0)
    if unit == "child-weeks":
        return f"{'adds' if diff > 0 else 'saves'} {amount} {label}"
    if unit == "children":
        verb = "leaves" if kpi.endswith("_end") else "gives"
        return f"{verb} {amount} {more} {label}"
    return f"{amount} {more} {label} ({unit})"


def gain_text(mean: float, low: float, high: float, *, signed: bool = True) -> str:
    """An option's gain with its paired 95% CI, to one precision for all three numbers
    (whole numbers once any of them reaches 100), with a true minus sign; the interval is
    left out where it has no width."""
    widest = max((abs(x) for x in (mean, low, high) if not math.isnan(x)), default=0.0)
    digits = 0 if widest >= 100 else 1
    return with_interval(mean, low, high, digits=digits, signed=signed)


def per_million_text(gain_per_million: float) -> str:
    """Gain per £1m committed, whole, "–" for doing nothing (nothing committed)."""
    return "–" if math.isnan(gain_per_million) else number(gain_per_million, 0)


def money_words(gbp: float) -> str:
    """Money for a board: £1.11m, £504,000 (the report's shared rounding)."""
    return money_gbp(gbp, short=True)


def sentence(
    name: str, objective: Objective, diff: float, low: float, high: float, ranks_row, end=None
) -> str:
    """ "Recruit paediatrician: shortens the median wait for a first appointment by 49.3 weeks,
    but 225,415 more child-weeks spent waiting; leaves 1,693 more children …": what the
    option clearly improves, then what it clearly makes worse (objective first in each)."""
    good, bad = [], []
    if not (math.isnan(low) or low <= 0 <= high):
        lower = objective.lower_is_better
        (good if (diff < 0) == lower else bad).append(change_words(objective.kpi, diff, end))
    if ranks_row.gains_text:
        good.append(ranks_row.gains_text)
    if ranks_row.tradeoffs_text:
        bad.append(ranks_row.tradeoffs_text)
    if not good:
        good = [f"no clear gain in the {registry.label(objective.kpi)}"]
    text = f"{name}: {'; '.join(good)}"
    return f"{text}, but {'; '.join(bad)}." if bad else f"{text}; no headline measure is worse."
