"""What `nd-sim size` prints: the answer paragraph, then the curve it explored, short."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from nd_sim.experiments.sizing.answer import money
from nd_sim.experiments.sizing.run import SizeRequest, SizeResult
from nd_sim.experiments.sizing.target import format_value


def print_request(console: Console, request: SizeRequest) -> None:
    """One line on what is being solved, before the search starts."""
    r = request
    levers = ", ".join(lever.name for lever in r.levers)
    console.print(
        f"[bold]{r.scenario.name}[/]: sizing {levers} for {r.target.describe()} "
        f"{r.window.describe(r.target.kpi.kind)} ({r.area_name}); {r.replications} replications "
        f"per value, met when at least {r.confidence:.0%} of them meet it; seed {r.seed}",
        highlight=False,
        soft_wrap=True,
    )


def print_size(console: Console, result: SizeResult, request: SizeRequest) -> None:
    """The paragraph, a table of every value evaluated, and where the files are."""
    console.print()
    console.print(result.paragraph, soft_wrap=False, highlight=False)
    console.print()
    unit = request.target.kpi.unit
    table = Table(
        title=f"Lever values evaluated: {request.target.kpi.label} "
        f"{request.window.describe(request.target.kpi.kind)}",
        caption="mean (95% CI) over replications; met = replications meeting the target; "
        "* = the answer",
    )
    for name in ("lever", "value", "KPI mean (95% CI)", "met", "cost a year"):
        table.add_column(name, justify="right", overflow="fold")
    for row in result.curve.itertuples(index=False):
        interval = (
            f"{format_value(row.kpi_mean, unit)} ({_bare(row.kpi_ci95_low)}-"
            f"{_bare(row.kpi_ci95_high)})"
        )
        mark = "*" if row.is_answer else ""
        style = "bold" if row.is_answer else ("" if row.meets_target else "dim")
        table.add_row(
            row.lever,
            f"{row.value:g}{mark}",
            interval,
            f"{row.replications_met}/{row.replications}",
            money(row.cost_per_year_gbp),
            style=style,
        )
    console.print(table)
    console.print(
        f"{result.evaluations} lever values x {request.replications} replications in "
        f"{result.wall_seconds:.1f} s"
    )
    for lever in dict.fromkeys(w.lever for w in result.worse):
        mine = [w for w in result.worse if w.lever == lever]
        console.print(
            f"[yellow]warning[/]: with {mine[0].x:g} of {lever} the target improves, but over "
            f"the whole run it {'; '.join(w.words() for w in mine)} (see tradeoffs.csv)"
        )
    console.print(
        f"results: [bold]{result.out}[/] (answer.md, curve.csv, curve.png, marginal.csv, "
        "tradeoffs.csv)"
    )


def _bare(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def print_mix_request(console: Console, request) -> None:
    """One line on the mix question, before the search starts."""
    r = request
    profs = ", ".join(r.professions)
    where = "by team" if r.by_team else "shared between teams by referrals"
    if r.budget_form:
        asked = (
            f"the best mix for £{r.budget_gbp:,.0f} over {r.over_months:g} months on "
            f"{r.objective.describe()}"
        )
    else:
        s = r.size
        asked = (
            f"the least-cost mix for {s.target.describe()} "
            f"{s.window.describe(s.target.kpi.kind)} ({s.area_name}), met when at least "
            f"{r.confidence:.0%} of the replications meet it"
        )
    console.print(
        f"[bold]{r.scenario.name}[/]: {asked}; professions {profs} ({where}), steps of "
        f"{r.space.step_wte:g} WTE; {r.replications} replications a mix; seed {r.seed}",
        highlight=False,
        soft_wrap=True,
    )


def print_mix(console: Console, result, request) -> None:
    """The paragraph, the mix by team and profession, the search path and the files."""
    console.print()
    console.print(result.paragraph, soft_wrap=False, highlight=False)
    console.print()
    mix = Table(title="The mix: extra WTE by team and profession")
    for name in ("team", "profession", "extra WTE", "cost a year"):
        mix.add_column(name, justify="right")
    for row in result.mix.itertuples(index=False):
        mix.add_row(
            row.team, row.profession.replace("_", " "), f"{row.extra_wte:.2f}",
            money(row.cost_gbp_per_year),
        )  # fmt: skip
    if len(result.mix):
        console.print(mix)
    path = Table(title="The search path (path.csv, path.png)")
    for name in ("step", "action", "move", "WTE", "cost a year", "KPI mean", "met"):
        path.add_column(name, justify="left" if name == "move" else "right", overflow="fold")
    for row in result.path.itertuples(index=False):
        met = (
            "-"
            if math.isnan(row.replications_met)
            else f"{row.replications_met:.0f}/{request.replications}"
        )
        path.add_row(
            str(row.step), row.action, row.move, f"{row.total_wte:g}",
            money(row.cost_gbp_per_year), f"{row.kpi_mean:,.1f}", met,
        )  # fmt: skip
    console.print(path)
    console.print(
        f"{result.evaluations} variants x {request.replications} replications in "
        f"{result.wall_seconds:.1f} s"
    )
    console.print(
        f"results: [bold]{result.out}[/] (answer.md, mix.csv, path.csv, path.png, "
        "comparisons.csv, tradeoffs.csv)"
    )
