"""`nd-sim calibrate`: a scenario fitted to a service's own history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape

from nd_sim.cli.app import console, default_scenario, fail
from nd_sim.cli.params import Force, ParameterUncertainty, Replications, Seed
from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario import load_scenario
from nd_sim.scenario.bounds import EARLIEST_DATE, LATEST_DATE


def calibrate(
    history: Path = typer.Option(
        None, "--history", help="The history extract (CSV, docs/history.md)."
    ),
    autism_stats: Path = typer.Option(
        None, "--autism-stats", help="NHS England's Autism Waiting Time Statistics (long CSV)."
    ),
    sub_icb: str = typer.Option(None, "--sub-icb", help="With --autism-stats: e.g. 01K."),
    all_sub_icbs: bool = typer.Option(
        False,
        "--all-sub-icbs",
        help="With --autism-stats: one scenario, a team for every sub-ICB location with data.",
    ),
    as_of: str = typer.Option(
        ..., "--as-of", help="The date the scenario starts from, YYYY-MM-DD."
    ),
    template: Path = typer.Option(
        None, "--template", help="What the history cannot tell (default: the shipped Lancashire)."
    ),
    column_map: Path = typer.Option(None, "--map", help="Column names: ours = theirs (TOML)."),
    since: str = typer.Option(
        None, "--since", help="First day the extract holds every referral (default: its first)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write."),
    force: Force = False,
) -> None:
    """Fit a scenario's rates to a service's history; write it, its list and the evidence."""
    from nd_sim.calibration.calibrate import calibrate as fit
    from nd_sim.calibration.calibrate import write_calibration
    from nd_sim.calibration.figure import calibration_figure
    from nd_sim.calibration.history import read_column_map, read_history
    from nd_sim.calibration.words import calibration_markdown
    from nd_sim.inputs.model import compile_model
    from nd_sim.run.folder import RunFolder

    if (history is None) == (autism_stats is None):
        rule = "give one of --history (a service's extract) and --autism-stats (published data)"
        raise fail(ScenarioError("nd-sim calibrate", [Problem("--history", history, rule)]))
    if autism_stats is not None:
        if all_sub_icbs:
            _national(autism_stats, as_of, template, out, force)
        else:
            _published(autism_stats, sub_icb, as_of, template, out, force)
        return
    try:
        day = _date(as_of)
        base = load_scenario(template or default_scenario())
        extract = read_history(history, base, day, read_column_map(column_map))
        result = fit(extract, base, day, history.name, _date(since, "--since") if since else None)
        with RunFolder(out, force) as folder:
            write_calibration(
                folder, result, extract.rejected, calibration_figure(result.monthly, result.weekly)
            )
            folder.write_text("calibration.md", calibration_markdown(result, extract, day))
            compile_model(load_scenario(folder.path("scenario.toml")))  # before it is committed
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[green]calibrated[/]: {len(extract.rows):,} referrals used, {len(extract.rejected):,} "
        f"row problems set aside (rejected_rows.csv); {len(result.waiting_list):,} children on "
        f"the list at {day}.",
        highlight=False,
    )
    console.print(
        f"results: [bold]{escape(str(out))}[/] (scenario.toml, waiting_list.csv, fit.csv, "
        "calibration.md, calibration.png, rejected_rows.csv)"
    )


def _date(text: str, option: str = "--as-of") -> dt.date:
    """A date option, inside the dates a scenario may hold (exit code 2 otherwise)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None and EARLIEST_DATE <= day <= LATEST_DATE:
        return day
    rule = f"must be a date YYYY-MM-DD between {EARLIEST_DATE} and {LATEST_DATE}"
    raise ScenarioError(option, [Problem(option, text, rule)])


def backtest(
    history: Path = typer.Option(..., "--history", help="The history extract (CSV)."),
    start: str = typer.Option(..., "--from", help="Fit before this date, forecast after it."),
    months: int = typer.Option(12, "--months", min=1, max=60, help="Months to forecast."),
    template: Path = typer.Option(None, "--template", help="Default: the shipped Lancashire."),
    column_map: Path = typer.Option(None, "--map", help="Column names: ours = theirs (TOML)."),
    since: str = typer.Option(
        None, "--since", help="First day the extract holds every referral (default: its first)."
    ),
    replications: Replications = None,
    seed: Seed = None,
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write."),
    force: Force = False,
    parameter_uncertainty: ParameterUncertainty = None,
) -> None:
    """Fit on the history before a date, forecast from it, and compare with what happened.

    Parameter uncertainty is on unless --no-parameter-uncertainty: the fitted rates are drawn
    from their confidence intervals, so the band allows for the fit being off.
    """
    import dataclasses

    from nd_sim.calibration import backtest as bt
    from nd_sim.calibration.calibrate import calibrate as fit
    from nd_sim.calibration.calibrate import write_calibration
    from nd_sim.calibration.history import read_column_map, read_history
    from nd_sim.report.figures.style import save
    from nd_sim.results.bands import band_words
    from nd_sim.run.folder import RunFolder
    from nd_sim.scenario.variants import with_parameter_uncertainty

    try:
        day = _date(start, "--from")
        ends = bt.month_ends(day, months)
        base = load_scenario(template or default_scenario())
        full = read_history(history, base, ends[-1], read_column_map(column_map))
        before = dataclasses.replace(
            full, rows=full.rows[full.rows.referral_date < pd.Timestamp(day)].reset_index(drop=True)
        )
        result = fit(before, base, day, history.name, _date(since, "--since") if since else None)
        with RunFolder(out, force) as folder:
            write_calibration(folder, result, full.rejected, None, under="calibration/")
            fitted = load_scenario(folder.path("calibration/scenario.toml"))
            replications = replications or BACKTEST_REPLICATIONS
            sims_scenario = with_parameter_uncertainty(fitted, parameter_uncertainty is not False)
            seed = fitted.run.seed if seed is None else seed
            sims = bt.simulated(sims_scenario, ends, replications, seed)
            obs = bt.observed(full.rows, day, ends)
            outcome = bt.compare(obs, sims, bt.naive(full.rows, day, ends, fitted), ends)
            folder.write_csv("backtest.csv", outcome.table)
            folder.write_csv("errors.csv", outcome.errors)
            folder.write_text(
                "backtest.md",
                bt.backtest_markdown(outcome, day, months, replications, band_words(sims_scenario)),
            )
            save(bt.backtest_figure(outcome), folder.path("backtest.png").parent, "backtest")
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"backtest: the P10-P90 band held {outcome.coverage:.0%} of the observed month-measure "
        f"values; mean absolute errors in errors.csv.",
        highlight=False,
    )
    console.print(f"results: [bold]{escape(str(out))}[/] (backtest.csv, errors.csv, backtest.md)")


BACKTEST_REPLICATIONS = 40


def _national(path: Path, as_of: str, template, out: Path, force: bool) -> None:
    """`calibrate --autism-stats FILE --all-sub-icbs`: England in one scenario."""
    from nd_sim.calibration.national import national_scenario
    from nd_sim.calibration.published import load_autism_stats
    from nd_sim.run.folder import RunFolder

    try:
        day = _date(as_of)
        base = load_scenario(template or default_scenario())
        found = national_scenario(load_autism_stats(path), base, day, path.name)
        with RunFolder(out, force) as folder:
            folder.write_text("scenario.toml", found.toml)
            folder.write_csv("fit.csv", pd.DataFrame([vars(e) for e in found.estimates]))
            folder.write_csv("skipped.csv", found.skipped)
            load_scenario(folder.path("scenario.toml"))  # validates, before it is committed
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"calibrated {found.teams} sub-ICB locations; {len(found.skipped)} skipped "
        "(skipped.csv says why)",
        highlight=False,
    )
    console.print(f"results: [bold]{escape(str(out))}[/] (scenario.toml, fit.csv, skipped.csv)")


def _published(path: Path, code: str | None, as_of: str, template, out: Path, force: bool) -> None:
    """`calibrate --autism-stats`: a one-team scenario from the published statistics."""
    from nd_sim.calibration.published import published_figure, published_scenario, read_autism_stats
    from nd_sim.inputs.model import compile_model
    from nd_sim.report.figures.style import save
    from nd_sim.run.folder import RunFolder

    try:
        if not code:
            raise ScenarioError(
                "--sub-icb", [Problem("--sub-icb", code, "is needed with --autism-stats")]
            )
        day = _date(as_of)
        base = load_scenario(template or default_scenario())
        monthly, name = read_autism_stats(path, code)
        text, estimates = published_scenario(
            monthly, base, day, code.strip().upper(), name, path.name
        )
        with RunFolder(out, force) as folder:
            folder.write_text("scenario.toml", text)
            fit = pd.DataFrame([vars(e) for e in estimates])
            folder.write_csv("fit.csv", fit)
            folder.write_csv("monthly.csv", monthly.reset_index())
            save(
                published_figure(monthly, name),
                folder.path("calibration.png").parent,
                "calibration",
            )
            folder.write_text("calibration.md", _published_markdown(fit, monthly, name, path.name))
            compile_model(load_scenario(folder.path("scenario.toml")))
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(f"calibrated from the published statistics for {escape(name)}", highlight=False)
    console.print(f"results: [bold]{escape(str(out))}[/] (scenario.toml, fit.csv, calibration.md)")


def _published_markdown(fit, monthly, name: str, source: str) -> str:
    lines = [
        f"# Calibration from the Autism Waiting Time Statistics: {name}",
        "",
        f"From `{source}`, children aged 0-17: new referrals (ASD12a), closures (ASD13a), the open "
        "list (ASD16b) and those open 13 weeks or more (ASD16c), by month. One team; the "
        "pathway and everything else are the template's. Counts are rounded to 5 and `*` is "
        "suppressed.",
        "",
        "![The published series](calibration.png)",
        "",
        "| parameter | area | estimate | 95% CI | n | method |",
        "|---|---|---|---|---|---|",
    ]
    for r in fit.itertuples(index=False):
        lines.append(
            f"| `{r.parameter}` | {r.area} | {r.estimate:.4g} | {r.ci_low:.4g} to {r.ci_high:.4g} "
            f"| {r.n:,} | {r.method} |"
        )
    lines += [
        "",
        "| month | referrals | closures | open | open 13+ weeks |",
        "|---|---|---|---|---|",
    ]
    for month, r in monthly.iterrows():
        cells = ["–" if pd.isna(v) else f"{v:,.0f}" for v in r]
        lines.append(f"| {month:%b %Y} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
