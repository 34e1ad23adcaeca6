"""What the command line prints: compact tables of results with their uncertainty."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nd_sim.experiments.districts import district_words, gains_and_losses
from nd_sim.experiments.ranking import gain_text, per_million_text
from nd_sim.report.numbers import money_gbp, week_date, with_interval
from nd_sim.results import registry
from nd_sim.results.statistics import symmetric
from nd_sim.run.runner import RunResult
from nd_sim.scenario import Scenario

HEADLINE = (  # whole pathway first, then the NICE clock (referral-based 13-week share)
    "child_weeks_waiting",
    "open_end",
    "open_52w_plus_end",
    "open_wait_median_end_weeks",
    "outcome_wait_median_weeks",
    "referred_seen_within_13w_pct",
    "first_wait_median_weeks",
)


def _fmt(mean: float, low: float, high: float) -> str:
    """Mean and the half-width of its 95% CI, compact enough for 12 districts; an interval
    cut at 0 or 100 (no longer the mean plus and minus a half-width) as its two ends."""
    if math.isnan(mean):
        return "-"
    digits = 0 if abs(mean) >= 100 else 1
    if math.isnan(low) or low == high:
        return f"{mean:,.{digits}f}"
    if not symmetric(mean, low, high):
        return f"{mean:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"
    return f"{mean:,.{digits}f} ±{(high - low) / 2:,.{digits}f}"


def print_run(console: Console, result: RunResult, sc: Scenario) -> None:
    """The headline table, the analytic panel and its warnings, and the speed."""
    summary = result.summary
    table = Table(
        title=f"{sc.name}: headline KPIs over {sc.horizon_weeks} weeks "
        "(mean ± 95% CI half-width over replications; low–high where cut at 0 or 100)"
    )
    table.add_column("area")
    for kpi in HEADLINE:
        table.add_column(registry.short(kpi), justify="right", overflow="fold")
    shown = summary[summary.area_type.isin(["district", "county"])]
    headline = shown[shown.kpi.isin(HEADLINE)]
    columns = ["area_type", "area", "kpi", "mean", "ci95_low", "ci95_high"]
    interval = {  # one pass: a lookup per cell took 0.07 s for a county's districts
        (area_type, area, kpi): (mean, low, high)
        for area_type, area, kpi, mean, low, high in headline[columns].itertuples(index=False)
    }
    for area_type, area in shown[["area_type", "area"]].drop_duplicates().itertuples(index=False):
        cells = [
            _fmt(*interval[area_type, area, k]) if (area_type, area, k) in interval else "-"
            for k in HEADLINE
        ]
        table.add_row(f"[bold]{area}[/]" if area_type == "county" else area, *cells)
    console.print(table)
    print_panel(console, result.panel, sc.start_date)
    console.print(f"{speed_line(result)}, {result.appointments:,} appointments in all")
    console.print(f"results: [bold]{escape(str(result.out))}[/]")
    if (result.out / "kpis_by_replication.parquet").exists():
        console.print(
            f"the KPIs by replication ({result.kpi_rows.num_rows:,} rows, more than a "
            "spreadsheet opens) are in kpis_by_replication.parquet; --kpis-csv writes a CSV"
        )


def print_panel(console: Console, panel: pd.DataFrame, start_date: dt.date | None = None) -> None:
    """The analytic panel, with a warning for each team whose load reaches 1.

    `start_date` (the scenario's) lets a warning say when, as a date ("from 25 December
    2030"); without it the warning can only give the week of the run.
    """
    table = Table(
        title="Analytic panel (fluid rules, no variability), per team; rates are children a week",
        caption="load = demand / capacity over the first 13 weeks; peak = highest 13-week load; "
        "clears = backlog / (capacity - demand); relief = Fong/Walton capacity to reach a "
        "13-week target list in a year",
    )
    headers = ("team", "demand", "capacity", "load", "bottleneck", "peak", "at peak")
    for name in (*headers, "backlog", "leavers", "clears (wk)", "relief"):
        table.add_column(name, justify="right", overflow="fold")
    for row in panel.itertuples(index=False):
        table.add_row(
            row.team,
            f"{row.demand_per_week:.1f}",
            f"{row.capacity_per_week:.1f}",
            f"{row.load_start:.2f}",
            row.bottleneck,
            f"{row.load_peak:.2f}",
            row.peak_bottleneck,
            f"{row.backlog_start:,}",
            f"{row.leavers_per_week_start:.1f}",
            "never" if math.isinf(row.clearance_weeks) else f"{row.clearance_weeks:.0f}",
            f"{row.relief_capacity_per_week:.1f}",
        )
    console.print(table)
    for row in panel.itertuples(index=False):
        if row.load_start >= 1 or row.load_peak >= 1:
            when = (
                week_date(start_date, row.peak_week)
                if start_date is not None
                else f"week {row.peak_week} of the run"
            )
            console.print(
                f"[yellow]warning[/]: team {row.team}: load reaches {row.load_peak:.2f} (>= 1) "
                f"in the 13 weeks from {when}: demand exceeds capacity, so the "
                f"list grows unless enough families leave it (about "
                f"{row.leavers_per_week_start:.0f} a week leave today's list)."
            )


def _diff(row: pd.Series | None) -> str:
    """A paired difference and its CI, or just the number where it does not vary."""
    if row is None or math.isnan(row.diff_from_base):
        return "-"
    d, low, high = row.diff_from_base, row.diff_ci95_low, row.diff_ci95_high
    digits = 0 if abs(d) >= 100 or row.unit in ("children", "child-weeks") else 1
    return with_interval(d, low, high, digits=digits, signed=True)


COMPARISON_COLUMNS = (
    "child_weeks_waiting",
    "first_wait_median_weeks",
    "outcome_wait_median_weeks",
    "open_52w_plus_end",
    "referred_seen_within_13w_pct",
)


def print_comparison(console: Console, result) -> None:
    """Scenarios ranked on the objective, the whole-pathway measures' paired differences
    from the base, the added cost, and each option's trade-offs in words."""
    table, ranks, objective = result.comparison, result.ranks, result.objective
    view = Table(
        title=f"Ranked on {objective.describe()}: "
        f"{'lower' if objective.lower_is_better else 'higher'} is better. Differences from "
        "the base are paired over replications (mean, 95% CI)",
        caption="Whole-pathway measures: child-weeks waiting, outcome waits and the year-long "
        "waiters count children inside the assessment too",
    )
    kpis = [objective.kpi, *(k for k in COMPARISON_COLUMNS if k != objective.kpi)]
    view.add_column("rank", justify="right")
    view.add_column("option", overflow="fold")
    view.add_column(registry.short(objective.kpi), justify="right", overflow="fold")
    for kpi in kpis:
        view.add_column(f"{registry.short(kpi)} vs base", justify="right", overflow="fold")
    view.add_column("added cost", justify="right")
    here = table[(table.area_type == objective.area_type) & (table.area == objective.area)]
    rows = here.set_index(["folder", "kpi"])
    county = table[table.area_type == "county"].set_index(["folder", "kpi"])
    for r in ranks.itertuples(index=False):

        def pick(kpi: str, frame: pd.DataFrame = rows, folder: str = r.folder):
            return frame.loc[(folder, kpi)] if (folder, kpi) in frame.index else None

        own = pick(objective.kpi)
        cost = pick("intervention_cost_gbp", county)
        view.add_row(
            str(r.rank),
            escape(str(own["scenario"])) if own is not None else r.folder,
            _fmt(own["mean"], own["ci95_low"], own["ci95_high"]) if own is not None else "-",
            *(_diff(pick(k)) for k in kpis),
            money(cost["diff_from_base"]) if cost is not None else "-",
        )
    console.print(view)
    for r in ranks.itertuples(index=False):
        name = table.loc[table.folder == r.folder, "scenario"].iloc[0]
        if r.tradeoffs_text:
            console.print(f"[yellow]trade-off[/]: {escape(str(name))} {r.tradeoffs_text}.")
        words = district_words(*gains_and_losses(table, r.folder))
        if words:
            console.print(f"districts: {escape(str(name))}: {escape(words)}.", highlight=False)
    console.print(
        f"results: [bold]{escape(str(result.out))}[/] (comparison.csv, financial_years.csv, "
        "changes.md)"
    )


def print_options(console: Console, ranked, budget, refused, objective, dest) -> None:
    """The options best first on the objective, with each one's trade-offs in words."""
    view = Table(
        title=f"Ways to spend £{budget.budget_gbp:,.0f} over {budget.over_months:g} months, "
        f"ranked on {objective.describe()} (paired with doing nothing; 95% CIs)",
        caption="A trade-off is a headline measure the option makes clearly worse",
    )
    gain = f"{registry.short(objective.kpi)}: gain"
    for name in ("rank", "option", "committed", gain, "gain per £1m", "clearly worse"):
        view.add_column(
            name, justify="left" if name == "clearly worse" else "right", overflow="fold"
        )
    for r in ranked.itertuples(index=False):
        cell = gain_text(r.objective_gain, r.gain_ci95_low, r.gain_ci95_high)
        view.add_row(
            str(r.rank),
            escape(r.option),
            money_gbp(r.budget_committed_gbp, short=True),
            cell,
            per_million_text(r.gain_per_million_gbp),
            ", ".join(registry.short(k) for k in str(r.tradeoffs or "").split(";") if k) or "none",
        )
    console.print(view)
    for r in ranked.itertuples(index=False):
        console.print(f"- {escape(r.summary)}", highlight=False)
    for problem in refused:
        console.print(f"[yellow]refused[/]: {problem}")
    console.print(
        f"results: [bold]{escape(str(dest))}[/] (options.csv, options.md, comparison.csv, "
        "financial_years.csv, changes.md)"
    )


def money(gbp: float) -> str:
    """Money to a board's precision, signed (the shared report helper)."""
    return money_gbp(gbp, signed=True)


def print_families(console: Console, result) -> None:
    """How many children were projected or set aside, and the range per district."""
    frame = result.projections
    console.print(
        f"{result.rows_read:,} rows read: {len(frame):,} children projected, "
        f"{result.rejected.line.nunique() if len(result.rejected) else 0:,} rows set aside "
        "(see rejected_rows.csv)"
        + (
            f"; columns ignored: {', '.join(result.ignored_columns)}"
            if result.ignored_columns
            else ""
        )
    )
    view = Table(
        title="Middle estimate of the first appointment, by district (children not yet seen)"
    )
    for name in ("district", "children", "earliest middle date", "latest middle date"):
        view.add_column(name, justify="right")
    waiting = frame[frame.stage != "in_assessment"]
    for district, group in waiting.groupby("district"):
        known = group[~group.first_p50_after.astype(bool) & group.first_p50.notna()]
        later = int(group.first_p50_after.astype(bool).sum())
        latest = (
            f"after {group.projection_end.iloc[0]}"
            if later
            else (str(max(known.first_p50)) if len(known) else "-")
        )
        view.add_row(
            str(district),
            f"{len(group):,}",
            str(min(known.first_p50)) if len(known) else "-",
            latest,
        )
    console.print(view)
    console.print(
        f"results: [bold]{escape(str(result.out))}[/] (projections.csv, letters/, staff_summary.md)"
    )


SWEEP_ROWS_SHOWN = 40


def print_sweep(console: Console, result) -> None:
    """Every variant in grid order with its rank on the objective, the whole-pathway
    measures (differences from variant 0 paired over replications) and its trade-offs."""
    table, objective, ranks = result.table, result.objective, result.ranks
    here = table[(table.area_type == objective.area_type) & (table.area == objective.area)]
    rows = here.set_index(["variant", "kpi"])
    view = Table(
        title=f"Variants ranked on {objective.describe()} "
        f"({'lower' if objective.lower_is_better else 'higher'} is better; mean ± 95% CI, "
        "or (low–high) where it stops at 0 or 100; "
        "differences from variant 0 are paired over replications)"
    )
    others = [k for k in ("first_wait_median_weeks", "open_52w_plus_end") if k != objective.kpi]
    for name in (
        "variant",
        "rank",
        registry.short(objective.kpi),
        "vs variant 0",
        *(registry.short(k) for k in others),
        "trade-offs vs variant 0",
    ):
        view.add_column(name, justify="right", overflow="fold")

    def pick(v: int, kpi: str) -> pd.Series | None:
        return rows.loc[(v, kpi)] if (v, kpi) in rows.index else None

    rank_of = ranks.set_index("variant")
    variants = table.drop_duplicates("variant")[["variant", "variant_name"]]
    for v, name in variants.head(SWEEP_ROWS_SHOWN).itertuples(index=False):
        own = pick(v, objective.kpi)
        view.add_row(
            f"{v}: {escape(str(name))}",
            str(rank_of.loc[v, "rank"]),
            _fmt(own["mean"], own["ci95_low"], own["ci95_high"]) if own is not None else "-",
            _diff_cells(own),
            *(
                _fmt(c["mean"], c["ci95_low"], c["ci95_high"]) if c is not None else "-"
                for c in (pick(v, k) for k in others)
            ),
            escape(str(rank_of.loc[v, "tradeoffs_text"])) or "none",
        )
    console.print(view)
    if len(variants) > SWEEP_ROWS_SHOWN:
        console.print(f"... and {len(variants) - SWEEP_ROWS_SHOWN} more variants in sweep.csv")
    console.print(speed_line(result))
    console.print(f"results: [bold]{escape(str(result.out))}[/] (sweep.csv, variants.csv)")


def _diff_cells(row: pd.Series | None) -> str:
    if row is None or math.isnan(row["diff_mean"]):
        return "-"
    return _fmt(row["diff_mean"], row["diff_ci95_low"], row["diff_ci95_high"])


def speed_line(result) -> str:
    """Children simulated and the speed, counting only what this command simulated itself
    (a resumed run's earlier replications are in the totals, not in the speed)."""
    now, total = result.children_now, result.children
    speed = f"{result.children_per_second or 0:,.0f} children/s"
    if now == total:
        return f"{total:,} children simulated in {result.wall_seconds:.1f} s ({speed})"
    return (
        f"{now:,} children simulated in {result.wall_seconds:.1f} s ({speed}); "
        f"{total - now:,} more were simulated before the run was resumed"
    )
