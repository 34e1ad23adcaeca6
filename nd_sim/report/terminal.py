"""What the command line prints: compact tables of results with their uncertainty."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nd_sim.run.runner import RunResult
from nd_sim.scenario import Scenario

HEADLINE = (
    ("first_wait_median_weeks", "median wk to 1st appt"),
    ("first_within_13w_pct", "% 1st appt <=13 wk"),
    ("outcome_wait_median_weeks", "median wk to outcome"),
    ("open_end", "open at end"),
    ("open_wait_median_end_weeks", "open: median wk so far"),
    ("open_52w_plus_end", "open 52+ wk at end"),
)


def _fmt(mean: float, low: float, high: float) -> str:
    """Mean and the half-width of its 95% CI, compact enough for 12 districts."""
    if math.isnan(mean):
        return "-"
    digits = 0 if abs(mean) >= 100 else 1
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ±{(high - low) / 2:.{digits}f}"


def print_run(console: Console, result: RunResult, sc: Scenario) -> None:
    """The headline table, the analytic panel and its warnings, and the speed."""
    summary = result.summary
    table = Table(
        title=f"{sc.name}: headline KPIs over {sc.horizon_weeks} weeks "
        f"(mean ± 95% CI half-width over replications)"
    )
    table.add_column("area")
    for _, label in HEADLINE:
        table.add_column(label, justify="right")
    areas = summary[summary.area_type.isin(["district", "county"])][["area_type", "area"]]
    for area_type, area in areas.drop_duplicates().itertuples(index=False):
        rows = summary[(summary.area_type == area_type) & (summary.area == area)].set_index("kpi")
        cells = [
            _fmt(*rows.loc[k, ["mean", "ci95_low", "ci95_high"]]) if k in rows.index else "-"
            for k, _ in HEADLINE
        ]
        table.add_row(f"[bold]{area}[/]" if area_type == "county" else area, *cells)
    console.print(table)
    print_panel(console, result.panel)
    console.print(f"{speed_line(result)}, {result.appointments:,} appointments in all")
    console.print(f"results: [bold]{escape(str(result.out))}[/]")


def print_panel(console: Console, panel: pd.DataFrame) -> None:
    """The analytic panel, with a warning for each team whose load reaches 1."""
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
            console.print(
                f"[yellow]warning[/]: team {row.team}: load reaches {row.load_peak:.2f} (>= 1) "
                f"in the 13 weeks from week {row.peak_week}: demand exceeds capacity, so the "
                f"list grows unless enough families leave it (about "
                f"{row.leavers_per_week_start:.0f} a week leave today's list)."
            )


def _diff(row: pd.Series) -> str:
    if math.isnan(row.diff_from_base):
        return "-"
    return f"{row.diff_from_base:+.1f} ({row.diff_ci95_low:+.1f} to {row.diff_ci95_high:+.1f})"


def print_comparison(console: Console, result, headline: str) -> None:
    """Options ranked on the headline KPI, with paired differences from the base and cost."""
    from nd_sim.experiments.compare import ranking

    table = result.comparison
    ranked = ranking(table, headline)
    view = Table(
        title=f"Options ranked on county {headline} (mean ± 95% CI; differences from the base "
        "are paired over replications)"
    )
    for name in (
        "rank",
        "option",
        headline,
        "vs base",
        "% referrals seen <=13 wk vs base",
        "open 52+ wk vs base",
        "added cost £",
        "£ per week of median wait saved",
    ):
        view.add_column(name, justify="right", overflow="fold")
    county = table[table.area_type == "county"].set_index(["folder", "kpi"])
    for rank, row in enumerate(ranked.itertuples(index=False), start=1):

        def pick(kpi: str, folder: str = row.folder) -> pd.Series | None:
            return county.loc[(folder, kpi)] if (folder, kpi) in county.index else None

        cost = pick("intervention_cost_gbp")
        per_week = pick("cost_per_week_of_median_wait_saved_gbp")
        view.add_row(
            str(rank),
            row.scenario,
            _fmt(row.mean, row.ci95_low, row.ci95_high),
            _diff(pd.Series(row._asdict())),
            _diff(pick("referred_seen_within_13w_pct")),
            _diff(pick("open_52w_plus_end")),
            f"{cost['mean']:,.0f}" if cost is not None else "-",
            f"{per_week['mean']:,.0f}"
            if per_week is not None and not math.isnan(per_week["mean"])
            else "-",
        )
    console.print(view)
    console.print(f"results: [bold]{escape(str(result.out))}[/] (comparison.csv, changes.md)")


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
    """The county headline KPIs of every variant, with paired differences from the first."""
    table = result.table
    county = table[table.area_type == "county"].set_index(["variant", "kpi"])
    view = Table(
        title="County KPIs by variant (mean ± 95% CI; differences from variant 0 are paired "
        "over replications)"
    )
    for name in (
        "variant",
        "median wait to first appt, wk",
        "vs variant 0",
        "% referrals seen <=13 wk",
        "open 52+ wk at end",
    ):
        view.add_column(name, justify="right", overflow="fold")

    def pick(v: int, kpi: str) -> pd.Series | None:
        return county.loc[(v, kpi)] if (v, kpi) in county.index else None

    variants = table.drop_duplicates("variant")[["variant", "variant_name"]]
    for v, name in variants.head(SWEEP_ROWS_SHOWN).itertuples(index=False):
        cells = [pick(v, k) for k in ("first_wait_median_weeks", "referred_seen_within_13w_pct")]
        open_52 = pick(v, "open_52w_plus_end")
        view.add_row(
            f"{v}: {name}",
            *(
                _fmt(c["mean"], c["ci95_low"], c["ci95_high"]) if c is not None else "-"
                for c in cells[:1]
            ),
            _diff_cells(cells[0]),
            _fmt(cells[1]["mean"], cells[1]["ci95_low"], cells[1]["ci95_high"])
            if cells[1] is not None
            else "-",
            f"{open_52['mean']:,.0f}" if open_52 is not None else "-",
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
