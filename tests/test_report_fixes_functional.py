"""The report as a new user reads it: one colour per option in every figure, censored waits
drawn as lower bounds, one cost figure everywhere, no zero-width intervals, settings in
words, the analytic panel once, and dates rather than week numbers."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from nd_sim.experiments.compare import compare_to_folder
from nd_sim.experiments.options import Settings, options_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.report import figures
from nd_sim.report.data import ReportData, load_report_data
from nd_sim.report.figures.style import option_colours, scenario_colours
from nd_sim.report.figures.waits import LOWER_BOUND_STYLE
from nd_sim.report.html import write_report
from nd_sim.report.numbers import money_gbp, week_date
from nd_sim.report.terminal import print_panel
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES

OPTIONS = 11  # more than any fixed palette of eight or nine


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixes") / "cmp"
    paths = [FIXTURES / "small.toml", FIXTURES / "small_more_staff.toml"]
    models = [compile_model(load_scenario(p)) for p in paths]
    compare_to_folder(models, paths, RunSettings(3, 11, out))
    return out


@pytest.fixture(scope="module")
def many(compared: Path) -> ReportData:
    """The comparison with its option copied into `OPTIONS` options, each its own slug."""
    data = load_report_data(compared)
    base, option = data.scenarios
    copies, rows = [base], [data.comparison[data.comparison.folder == base.slug]]
    for k in range(1, OPTIONS):
        slug = f"copy-{k}"
        copies.append(dataclasses.replace(option, slug=slug, label=f"Option {k}"))
        part = data.comparison[data.comparison.folder == option.slug].copy()
        part["folder"], part["scenario"] = slug, f"Option {k}"
        rows.append(part)
    return dataclasses.replace(data, scenarios=copies, comparison=pd.concat(rows))


@pytest.fixture(scope="module")
def options_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixes") / "opt"
    base = load_scenario(FIXTURES / "small.toml")
    budget = Settings(budget_gbp=200_000, over_months=12, start=base.start_date)
    options_to_folder(base, budget, RunSettings(replications=2, seed=7, out=out))
    write_report(out)
    return out


def _option_colours(fig, slugs: set[str]) -> dict[str, set[str]]:
    """Per option, the colours of the lines named after it (gids such as "fan:<slug>:...")."""
    found: dict[str, set[str]] = {}
    for ax in fig.axes:
        for line in ax.lines:
            tokens = set(str(line.get_gid() or "").split(":"))
            for slug in tokens & slugs:
                found.setdefault(slug, set()).add(mcolors.to_hex(line.get_color()))
    return found


def test_option_colours_are_distinct_for_many_options_unit() -> None:
    for n in (1, 9, 17, 18, 40):
        colours = [c.lower() for c in option_colours(n)]
        assert len(colours) == n and len(set(colours)) == n, n
    assert option_colours(9) == option_colours(40)[:9]  # an option keeps its colour


@pytest.mark.slow
def test_every_figure_gives_each_option_its_own_colour_functional(many: ReportData) -> None:
    expected = {slug: mcolors.to_hex(c) for slug, c in scenario_colours(many).items()}
    assert len(set(expected.values())) == OPTIONS
    slugs = set(expected)
    checked = 0
    for name, fig in figures.figures_for(many).items():
        found = _option_colours(fig, slugs)
        if not found:
            continue  # a figure that does not colour options (staff, utilisation)
        checked += 1
        for slug, colours in found.items():
            if name == "difference_over_time" and slug == many.base.slug:
                continue  # the base is grey there: what every difference is measured from
            assert colours == {expected[slug]}, (name, slug, colours)
        shown = [next(iter(c)) for s, c in found.items() if s != many.base.slug]
        assert len(shown) == len(set(shown)), f"{name}: two options share a colour"
        assert len(found) >= OPTIONS - 1, f"{name}: only {len(found)} options drawn"
    assert checked >= 5


def test_censored_waits_are_a_dotted_lower_bound_in_a_grey_region_functional(
    compared: Path,
) -> None:
    data = load_report_data(compared)
    fig = figures.waits_by_referral_month(data)
    ax = fig.axes[0]
    for run in data.scenarios:
        km = figures.referral_month_waits(run)
        reached = km["median_reached"].to_numpy(bool)
        solid = next(line for line in ax.lines if line.get_gid() == f"km:median:{run.slug}:county")
        bound = next(
            line for line in ax.lines if line.get_gid() == f"km:median-at-least:{run.slug}:county"
        )
        assert solid.get_linestyle() == "-"
        on, off = bound._unscaled_dash_pattern[1]  # dotted: short dashes, longer gaps
        assert on < off and tuple(bound._unscaled_dash_pattern[1]) == LOWER_BOUND_STYLE[1]
        assert mcolors.to_hex(bound.get_color()) == mcolors.to_hex(solid.get_color())
        y_solid = np.asarray(solid.get_ydata(), float)
        y_bound = np.asarray(bound.get_ydata(), float)
        assert np.isnan(y_solid[~reached]).all()  # the line stops where values are censored
        np.testing.assert_allclose(y_bound[~reached], km["median"][~reached])
        joins = np.flatnonzero(~reached[1:] & reached[:-1])
        np.testing.assert_allclose(y_bound[joins], km["median"].to_numpy()[joins])
        others = reached.copy()
        others[joins] = False
        assert np.isnan(y_bound[others]).all()  # no dotted line over known months
    spans = [p for p in ax.patches if p.get_facecolor()[:3] == mcolors.to_rgb("#d9d9d9")]
    assert spans, "no grey 'not known yet' region"
    notes = " ".join(t.get_text() for t in ax.texts)
    assert "not known yet" in notes and "lower bound" in notes


@pytest.mark.slow
def test_options_report_uses_the_committed_cost_everywhere_functional(
    options_folder: Path,
) -> None:
    ranked = pd.read_csv(options_folder / "options.csv")
    data = load_report_data(options_folder)
    page = (options_folder / "report.html").read_text()
    headline = page.split('<section id="headline">')[1].split("</section>")[0]
    for r in ranked.itertuples(index=False):
        assert data.added_cost_gbp(r.folder) == pytest.approx(r.budget_committed_gbp)
        row = re.search(rf"<tr><th>{re.escape(r.option)}</th>(.*?)</tr>", headline).group(1)
        assert row.endswith(f"<td>{money_gbp(r.budget_committed_gbp)}</td>"), r.option
    workshops = ranked[ranked.folder == "workshops"]
    assert len(workshops) and (workshops.budget_committed_gbp > 0).all()
    fig = figures.cost_benefit(data)
    for r in ranked.itertuples(index=False):
        lines = [ln for ln in fig.axes[0].lines if ln.get_gid() == f"cost:{r.folder}"]
        assert lines, r.folder  # the point (and its error bar's caps) at the committed cost
        for line in lines:
            assert line.get_xdata()[0] == pytest.approx(r.budget_committed_gbp)
    assert "options.csv" in fig.axes[0].get_xlabel()


@pytest.mark.slow
def test_report_text_is_board_facing_functional(options_folder: Path) -> None:
    page = (options_folder / "report.html").read_text()
    text = re.sub(r"<small><code>[^<]*</code></small>", "", page)  # keys kept for modellers
    text = re.sub(r"<[^>]+>", " ", text)
    # no interval that repeats its own number: "+1,000 (+1,000 to +1,000)"
    for mean, low, high in re.findall(r"(\S+) \((\S+) to (\S+)\)", text):
        assert not (mean == low == high), (mean, low, high)
    # no configuration keys such as interventions[0].max_recruits_wte.ot
    assert not re.search(r"\b[a-z_]+\[\d+\]\.[a-z_.]+", text)
    # the analytic panel once, with its reference once, and dates rather than week numbers
    analytic = page.split('<section id="analytic">')[1].split("</section>")[0]
    assert analytic.count("<table") == 1
    assert page.count("Understanding waiting lists pressures") == 1
    assert not re.search(r"\bweek \d+\b", text)
    data = load_report_data(options_folder)
    panel = data.base.analytic
    over = panel[(panel.load_peak >= 1) | (panel.load_start >= 1)]
    for r in over.itertuples(index=False):
        assert week_date(data.base.scenario.start_date, r.peak_week) in analytic


def test_print_panel_dates_its_warnings_functional(compared: Path) -> None:
    data = load_report_data(compared)
    panel = data.base.analytic.copy()
    panel.loc[0, "load_peak"] = max(1.5, panel.loc[0, "load_peak"])  # one team over
    start = data.base.scenario.start_date
    console = Console(record=True, width=200)
    print_panel(console, panel, start)
    out = console.export_text()
    assert f"from {week_date(start, int(panel.loc[0, 'peak_week']))}" in out
    assert not re.search(r"from week \d+", out)
    console = Console(record=True, width=200)
    print_panel(console, panel)  # without the date it still says which week
    assert "of the run" in console.export_text()
    assert not math.isnan(panel.loc[0, "load_peak"])
