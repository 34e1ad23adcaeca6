"""Scenarios side by side on common random numbers, with paired differences from the base.

Replication k of every scenario sees the same children (same seed, streams keyed by
name), so the difference a scenario makes is measured replication by replication: its
confidence interval is the t interval of the per-replication differences, which is far
narrower than the difference of two independent intervals. Both are written, so a reader
can see what pairing buys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.changes import Entry, changes_markdown
from nd_sim.experiments.ranking import Objective, rank_scenarios, with_ranks
from nd_sim.inputs.model import Model
from nd_sim.results import registry
from nd_sim.results.kpis import COUNTY
from nd_sim.results.statistics import (
    grouped_rows,
    t_interval,
    t_quantile,
    t_rows,
    within_range,
    within_unit_range,
)
from nd_sim.run.pipeline import Stage, staged
from nd_sim.run.runner import RunResult, package_versions, run_into
from nd_sim.run.settings import RunSettings

KEYS = ["area_type", "area", "kpi"]
HEADLINE = "first_wait_median_weeks"
CHILD_WEEKS = "child_weeks_waiting"
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20260401


@dataclass(frozen=True)
class ComparisonResult:
    """What the CLI prints after a comparison."""

    out: Path
    comparison: pd.DataFrame
    entries: tuple[Entry, ...]
    runs: tuple[RunResult, ...]
    ranks: pd.DataFrame  # one row per scenario, best first (ranking.rank_scenarios)
    objective: Objective


def entries_for(models: list[Model], paths: list[Path]) -> tuple[Entry, ...]:
    """Name each scenario, with a folder slug that is unique within the comparison."""
    seen: dict[str, int] = {}
    out = []
    for model, path in zip(models, paths, strict=True):
        slug = re.sub(r"[^a-z0-9_-]+", "-", Path(path).stem.lower()).strip("-") or "scenario"
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        out.append(Entry(model.scenario.name, slug, model))
    return tuple(out)


def check_comparable(models: list[Model], paths: list[Path]) -> None:
    """Refuse scenarios whose results cannot be lined up child by child and week by week."""
    base, problems = models[0].scenario, []
    for model, path in zip(models[1:], paths[1:], strict=True):
        sc = model.scenario
        if list(sc.districts) != list(base.districts):
            rule = f"must have the same districts, in the same order, as {paths[0]}"
            problems.append(Problem(f"{path}: districts", list(sc.districts), rule))
        if sc.horizon_weeks != base.horizon_weeks:
            rule = f"must equal the base's horizon_weeks ({base.horizon_weeks})"
            problems.append(Problem(f"{path}: horizon_weeks", sc.horizon_weeks, rule))
        if sc.start_date != base.start_date:
            rule = f"must equal the base's start_date ({base.start_date})"
            problems.append(Problem(f"{path}: start_date", str(sc.start_date), rule))
    if len(models) < 2:
        problems.append(Problem("scenarios", len(models), "a comparison needs two or more"))
    if problems:
        raise ScenarioError("comparison", problems)


def compare_to_folder(
    models: list[Model],
    paths: list[Path],
    settings: RunSettings,
    on_done: Callable[[int], None] | None = None,
    objective: Objective | None = None,
) -> ComparisonResult:
    """Run every scenario on the same random numbers and write the comparison atomically
    (staged and resumable like any run)."""
    check_comparable(models, paths)
    with staged(settings, "compare", models) as stage:
        result = compare_into(stage, models, paths, on_done, objective)
    out = settings.out
    runs = tuple(
        dataclasses.replace(r, out=out / "scenarios" / e.slug)
        for e, r in zip(result.entries, result.runs, strict=True)
    )
    return dataclasses.replace(result, out=out, runs=runs)


def compare_into(
    stage: Stage,
    models: list[Model],
    paths: list[Path],
    on_done: Callable[[int], None] | None = None,
    objective: Objective | None = None,
) -> ComparisonResult:
    """Write a comparison into a staged folder (others may add files), ranked on the
    objective (the county's child-weeks waiting unless given) with each scenario's
    trade-offs."""
    check_comparable(models, paths)
    objective = objective or Objective()
    folder, settings = stage.folder, stage.settings
    replications, seed = settings.replications, settings.seed
    entries = entries_for(models, paths)
    runs = tuple(
        run_into(
            folder,
            f"scenarios/{e.slug}/",
            e.model,
            replications,
            seed,
            stage.executor,
            stage.chunk_size,
            on_done,
            clean=False,
            child_rows=settings.child_row_replications(),
            simulate=stage.simulate,
        )
        for e in entries
    )
    for e in entries:
        folder.remove(f"scenarios/{e.slug}/.chunks")
    table = comparison_table(entries, runs)
    ranks = rank_scenarios(table, objective, end=end_words(models[0]))
    table = with_ranks(table, ranks)
    folder.write_csv("comparison.csv", table)
    folder.write_text("changes.md", changes_markdown(entries))
    # --- financial years: when the benefit arrives, and whether it lasts -------------------
    from nd_sim.results.financial_year import financial_year_table

    run_folders = [folder.path(f"scenarios/{e.slug}/") for e in entries]
    years = financial_year_table(entries, run_folders)  # rounded to pennies: no %.6g
    folder.write_text("financial_years.csv", years.to_csv(index=False))
    # --- end financial years ---------------------------------------------------------------
    folder.write_json(
        "manifest.json",
        {
            "kind": "comparison",
            "base": entries[0].slug,
            "objective": objective.as_dict(),
            "scenarios": [
                {"name": e.name, "folder": f"scenarios/{e.slug}", "file": str(p)}
                for e, p in zip(entries, paths, strict=True)
            ],
            "seed": seed,
            "replications": replications,
            "executor": stage.executor.name,
            "workers": stage.executor.workers,
            "versions": package_versions(),
        },
    )
    return ComparisonResult(folder.path(""), table, entries, runs, ranks, objective)


def comparison_table(entries: tuple[Entry, ...], runs: tuple[RunResult, ...]) -> pd.DataFrame:
    """Per scenario, area and KPI: mean and CI, and the paired difference from the base."""
    base = runs[0].by_replication
    parts = []
    for entry, run in zip(entries, runs, strict=True):
        merged = run.by_replication.merge(base, on=["replication", *KEYS], suffixes=("", "_base"))
        parts.append(_rows(entry, merged))
    table = pd.concat(parts, ignore_index=True)
    return pd.concat([table, _cost_effectiveness(entries, runs)], ignore_index=True)


def _rows(entry: Entry, merged: pd.DataFrame) -> pd.DataFrame:
    """`_row` of every (area, KPI) group, in the order the groups first appear.

    Groups with a value in every replication for both (nearly all) are worked out together
    (`statistics.t_rows`: the same numbers as `_row`); the rest go through `_row`."""
    keys, whole, (value, base), members = grouped_rows(merged, KEYS, ["value", "value_base"])
    n = value.shape[1]
    table = pd.DataFrame(_whole_rows(value[whole], base[whole]), index=np.flatnonzero(whole))
    table["replications"] = n
    singles = [
        _row(entry, keys[g], merged.iloc[members[g]]) for g in np.flatnonzero(~whole).tolist()
    ]
    labels = pd.DataFrame(keys, columns=KEYS) if keys else pd.DataFrame(columns=KEYS)
    units = {k: registry.unit(k) for k in labels["kpi"].unique().tolist()}
    front = pd.DataFrame(
        {"scenario": entry.name, "folder": entry.slug, **{k: labels[k] for k in KEYS}}
    )
    front["unit"] = [units[k] for k in labels["kpi"].tolist()]
    if singles:
        rest = pd.DataFrame(singles, index=np.flatnonzero(~whole))[table.columns]
        table = pd.concat([table, rest]).sort_index()
    out = pd.concat([front, table.reset_index(drop=True)], axis=1)
    out["ci95_low"], out["ci95_high"] = within_range(
        out["unit"].tolist(), *(out[c].to_numpy(float) for c in ("mean", "ci95_low", "ci95_high"))
    )
    return out


def _whole_rows(value: np.ndarray, base: np.ndarray) -> dict[str, np.ndarray]:
    """`_row`'s numbers for rows with every value present (at least 2 replications)."""
    n = value.shape[1]
    mean, half = t_rows(value)
    diff = value - base
    d_mean, d_half = t_rows(diff)
    va = value.var(axis=1, ddof=1) / n if n else np.empty(0)
    vb = base.var(axis=1, ddof=1) / n if n else np.empty(0)
    gap = value.mean(axis=1) - base.mean(axis=1)
    spread = va + vb
    # the degrees of freedom squared as `welch_interval` squares them (C's pow, row by row:
    # an array's **2 multiplies, which can differ in the last bit)
    dof = np.array(
        [
            (a + b) ** 2 / (a**2 / (n - 1) + b**2 / (n - 1)) if a + b else np.nan
            for a, b in zip(va.tolist(), vb.tolist(), strict=True)
        ]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        u_half = np.where(spread == 0, 0.0, t_quantile(dof) * np.sqrt(spread))
    return {
        "mean": mean,
        "ci95_low": mean - half,
        "ci95_high": mean + half,
        "diff_from_base": d_mean,
        "diff_ci95_low": d_mean - d_half,
        "diff_ci95_high": d_mean + d_half,
        "diff_unpaired_ci95_low": np.where(spread == 0, gap, gap - u_half),
        "diff_unpaired_ci95_high": np.where(spread == 0, gap, gap + u_half),
    }


def _row(entry: Entry, key: tuple, group: pd.DataFrame) -> dict:
    values = group["value"].to_numpy(float)
    base = group["value_base"].to_numpy(float)
    mean, low, high = t_interval(values)
    low, high = within_unit_range(registry.unit(key[2]), mean, low, high)
    d_mean, d_low, d_high = t_interval(values - base)
    u_low, u_high = welch_interval(values, base)
    return {
        "scenario": entry.name,
        "folder": entry.slug,
        **dict(zip(KEYS, key, strict=True)),
        "unit": registry.unit(key[2]),
        "mean": mean,
        "ci95_low": low,
        "ci95_high": high,
        "diff_from_base": d_mean,
        "diff_ci95_low": d_low,
        "diff_ci95_high": d_high,
        "diff_unpaired_ci95_low": u_low,
        "diff_unpaired_ci95_high": u_high,
        "replications": int(np.count_nonzero(~np.isnan(values - base))),
    }


def welch_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The CI of mean(a) - mean(b) as if the two had been run on independent numbers."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        return (np.nan, np.nan)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = a.mean() - b.mean()
    if va + vb == 0:
        return (diff, diff)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = t_quantile(dof) * np.sqrt(va + vb)
    return (diff - half, diff + half)


def _county(run: RunResult, kpi: str) -> np.ndarray:
    frame = run.by_replication
    rows = frame[(frame.area_type == "county") & (frame.kpi == kpi)].sort_values("replication")
    return rows["value"].to_numpy(float)


def _cost_effectiveness(entries: tuple[Entry, ...], runs: tuple[RunResult, ...]) -> pd.DataFrame:
    """Cost per child-week of waiting saved, per week of median wait saved, and per extra
    child seen within 13 weeks.

    Ratios of mean paired differences, with percentile-bootstrap intervals over
    replications (a ratio has no t interval). Undefined where the option saves nothing.
    """
    base = runs[0]
    rows = []
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    cost_b = _county(base, "intervention_cost_gbp")
    for entry, run in zip(entries[1:], runs[1:], strict=True):
        d_cost = _county(run, "intervention_cost_gbp") - cost_b
        saved = _county(base, HEADLINE) - _county(run, HEADLINE)
        extra = _county(run, "first_within_13w") - _county(base, "first_within_13w")
        weeks = _county(base, CHILD_WEEKS) - _county(run, CHILD_WEEKS)
        for kpi, benefit in (
            ("cost_per_child_week_saved_gbp", weeks),
            ("cost_per_week_of_median_wait_saved_gbp", saved),
            ("cost_per_extra_child_within_13w_gbp", extra),
        ):
            ratio, low, high = _ratio_interval(d_cost, benefit, rng)
            rows.append(
                {
                    "scenario": entry.name,
                    "folder": entry.slug,
                    "area_type": "county",
                    "area": COUNTY,
                    "kpi": kpi,
                    "unit": registry.unit(kpi),
                    "mean": ratio,
                    "ci95_low": low,
                    "ci95_high": high,
                    "replications": int(d_cost.size),
                }
            )
    return pd.DataFrame(rows)


def _ratio_interval(
    cost: np.ndarray, benefit: np.ndarray, rng: np.random.Generator
) -> tuple[float, float, float]:
    if cost.size == 0 or benefit.mean() <= 0 or not np.any(cost):
        return (np.nan, np.nan, np.nan)  # nothing bought, or nothing gained
    ratio = float(cost.mean() / benefit.mean())
    picks = rng.integers(0, cost.size, size=(BOOTSTRAP_RESAMPLES, cost.size))
    b_cost, b_benefit = cost[picks].mean(axis=1), benefit[picks].mean(axis=1)
    valid = b_benefit > 0
    if valid.mean() < 0.975:  # the benefit is not clearly above zero: no honest ratio
        return (np.nan, np.nan, np.nan)
    boot = b_cost[valid] / b_benefit[valid]
    return (ratio, float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)))


def end_words(model: Model) -> str:
    """The last day of the horizon, as a board reads it: "31 March 2031"."""
    sc = model.scenario
    last = sc.start_date + dt.timedelta(days=sc.horizon_weeks * 7 - 1)
    return f"{last.day} {last:%B %Y}"
