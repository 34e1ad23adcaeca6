"""The report's figures, drawn from a small run and a small comparison written to disk."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib import _pylab_helpers
from matplotlib.figure import Figure

from nd_sim.experiments.compare import compare_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.report import figures
from nd_sim.report.data import ReportData, load_report_data
from nd_sim.results.km import km_quantile
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES

REPS = 3
RUN_FIGURES = {
    "fan_chart",
    "waits_by_referral_month",
    "waits_by_referral_month_districts",
    "within_13_weeks",
    "staff",
    "utilisation",
}
COMPARISON_FIGURES = RUN_FIGURES | {
    "paired_differences",
    "cost_benefit",
    "difference_over_time",
    "districts_side_by_side",
}


@pytest.fixture(scope="module")
def run_data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    out = tmp_path_factory.mktemp("figures") / "run"
    model = compile_model(load_scenario(FIXTURES / "small.toml"))
    run_to_folder(model, RunSettings(REPS, 11, out))
    return load_report_data(out)


@pytest.fixture(scope="module")
def comparison_data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    out = tmp_path_factory.mktemp("figures") / "cmp"
    paths = [FIXTURES / "small.toml", FIXTURES / "small_more_staff.toml"]
    models = [compile_model(load_scenario(p)) for p in paths]
    compare_to_folder(models, paths, RunSettings(REPS, 11, out))
    return load_report_data(out)


def _texts(fig: Figure) -> list:
    """Every piece of text a reader sees: titles, axis and tick labels, legends.

    The title is left out: the subtitle sits in blank lines it reserves (checked apart).
    """
    fig.canvas.draw()
    texts = [t for t in fig.texts if t is not fig._suptitle]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        texts += ax.texts  # annotations: value labels, "NICE QS51" and the like
        for axis in (ax.xaxis, ax.yaxis):  # the ticks drawn (inside the view), not all made
            texts += [t for tick in axis._update_ticks() for t in (tick.label1, tick.label2)]
    for legend in fig.legends:
        texts += legend.get_texts()
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _check_figure(name: str, fig: Figure, folder: Path) -> None:
    assert isinstance(fig, Figure), name
    assert fig._suptitle is not None and fig._suptitle.get_text().strip(), f"{name}: no title"
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert visible, name
    assert any(ax.get_xlabel().strip() for ax in visible), f"{name}: no x-axis label"
    assert any(ax.get_ylabel().strip() for ax in visible), f"{name}: no y-axis label"
    for ax in visible:
        has_data = ax.lines or ax.collections or ax.patches
        assert has_data, f"{name}: an empty panel"
        if isinstance(
            ax.xaxis.get_major_formatter(), mdates.DateFormatter | mdates.AutoDateFormatter
        ):
            pytest.fail(f"{name}: plain date formatter")  # time axes use concise dates
    # Nothing written over anything else, and nothing off the page.
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    boxes = []
    for text in _texts(fig):
        box = text.get_window_extent(renderer).shrunk(0.98, 0.9)
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, f"{name}: {text.get_text()!r}"
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, f"{name}: {text.get_text()!r}"
        boxes.append((text.get_text(), box))
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"{name}: {a!r} overlaps {b!r}"
    title = fig._suptitle.get_window_extent(renderer)
    first_line = title.y1 - title.height / (fig._suptitle.get_text().count("\n") + 1)
    assert title.x1 <= page.x1 and all(box.y1 <= first_line + 1 for _, box in boxes), name
    paths = figures.save(fig, folder, name)
    assert [p.name for p in paths] == [f"{name}.png", f"{name}.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in paths[1].read_text()[:2000]


@pytest.mark.slow
def test_every_run_figure_is_drawn_titled_and_saved_functional(
    run_data: ReportData, tmp_path: Path
) -> None:
    managers = _pylab_helpers.Gcf.get_num_fig_managers()
    made = figures.figures_for(run_data)
    assert set(made) == RUN_FIGURES
    for name, fig in made.items():
        _check_figure(name, fig, tmp_path)
    assert _pylab_helpers.Gcf.get_num_fig_managers() == managers  # no pyplot figures left open


@pytest.mark.slow
def test_every_comparison_figure_is_drawn_titled_and_saved_functional(
    comparison_data: ReportData, tmp_path: Path
) -> None:
    made = figures.figures_for(comparison_data)
    assert set(made) == COMPARISON_FIGURES
    for name, fig in made.items():
        _check_figure(name, fig, tmp_path)


def _km_expected(run, district: str | None) -> pd.DataFrame:
    """Kaplan–Meier median by referral month, computed here from children.parquet directly."""
    c = pd.read_parquet(run.folder / "children.parquet")
    c = c[c["start_stage"] == "new"]
    if district is not None:
        c = c[c["district"] == district]
    referral = pd.to_datetime(c["referral_date"])
    first = pd.to_datetime(c["first_appointment_date"])
    left = pd.to_datetime(c["exit_date"])
    end = pd.Timestamp(run.scenario.start_date) + pd.Timedelta(weeks=run.scenario.horizon_weeks)
    seen = first.notna().to_numpy()
    stop = np.where(seen, first, np.where(left.notna(), left, end))
    weeks = (pd.to_datetime(stop) - referral).dt.days.to_numpy() / 7
    rows = []
    for month, index in pd.Series(range(len(c))).groupby(referral.dt.strftime("%Y-%m").to_numpy()):
        value, reached = km_quantile(weeks[index], seen[index], 0.5)
        rows.append((month, value, reached))
    return pd.DataFrame(rows, columns=["month", "median", "reached"])


def _line(fig: Figure, gid: str):
    found = [line for ax in fig.axes for line in ax.lines if line.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _months(line) -> list[str]:
    return [f"{pd.Timestamp(x):%Y-%m}" for x in mdates.num2date(line.get_xdata(orig=False))]


@pytest.mark.parametrize("district", [None, "A"])
def test_plotted_medians_are_kaplan_meier_functional(
    comparison_data: ReportData, district: str | None
) -> None:
    if district is None:
        fig = figures.waits_by_referral_month(comparison_data)
    else:
        fig = figures.waits_by_referral_month_districts(comparison_data)
    for run in comparison_data.scenarios:
        expected = _km_expected(run, district)
        area = district or "county"
        line = _line(fig, f"km:median:{run.slug}:{area}")
        at_least = _line(fig, f"km:median-at-least:{run.slug}:{area}")
        assert _months(line) == list(expected["month"])
        reached = expected["reached"].to_numpy()
        plotted = np.asarray(line.get_ydata(), float)
        np.testing.assert_allclose(plotted[reached], expected["median"][reached])
        assert np.isnan(plotted[~reached]).all()
        # the dotted lower bound: every unknown month, joined to the known month before it
        assert _months(at_least) == list(expected["month"])
        bound = np.asarray(at_least.get_ydata(), float)
        np.testing.assert_allclose(bound[~reached], expected["median"][~reached])
        joins = np.flatnonzero(~reached[1:] & reached[:-1])
        known = reached.copy()
        known[joins] = False
        assert np.isnan(bound[known]).all()
        assert (~reached).any() and reached.any()  # both kinds of point occur in the fixture


def test_referral_month_waits_matches_the_plot_data_functional(run_data: ReportData) -> None:
    run = run_data.base
    table = figures.referral_month_waits(run, "B")
    expected = _km_expected(run, "B")
    assert list(table["month"].dt.strftime("%Y-%m")) == list(expected["month"])
    np.testing.assert_allclose(table["median"], expected["median"])
    assert (table["median_reached"] == expected["reached"]).all()
    assert (table["p90"] >= table["median"]).all()


def test_within_13_weeks_matches_the_cohort_kpi_functional(run_data: ReportData) -> None:
    """Pooling the monthly shares back up gives about the KPI of the same cohort."""
    run = run_data.base
    pct = figures.within_13_weeks_by_month(run)
    assert pct.shape[1] == REPS
    assert ((pct >= 0) & (pct <= 100)).all().all()
    kpi = run.by_replication
    kpi = kpi[(kpi.area_type == "county") & (kpi.kpi == "referred_seen_within_13w_pct")]
    c = run.children
    referral = pd.to_datetime(c["referral_date"])
    cohort = (
        (c["start_stage"] == "new")
        & (referral <= run.end_date - pd.Timedelta(weeks=13))
        & (c["triage_result"] != "signposted")
    )
    sizes = c[cohort].groupby([referral[cohort].dt.to_period("M"), "replication"]).size()
    sizes.index = sizes.index.set_levels(sizes.index.levels[0].to_timestamp(), level=0)
    pooled = (pct.stack() * sizes.reindex(pct.stack().index)).groupby(level=1).sum()
    pooled /= sizes.groupby(level=1).sum()
    # Dates are whole days in children.parquet; the KPI uses exact times: allow a little.
    np.testing.assert_allclose(
        pooled.sort_index(), kpi.sort_values("replication")["value"], atol=1.5
    )


def test_events_are_labelled_once_functional(comparison_data: ReportData) -> None:
    fig = figures.fan_chart(comparison_data)
    labels = [t.get_text().replace("\n", " ") for lg in fig.legends for t in lg.get_texts()]
    assert len(labels) == len(set(labels))
    # Both options have small.toml's shock and criteria change; its three interventions are
    # its own, since small_more_staff.toml replaces the list (lists are replaced whole) with
    # two staff changes on one date.
    assert sum(label.endswith("(all options)") for label in labels) == 2
    assert sum(label.endswith("[small]") for label in labels) == 3
    assert sum(label.endswith("[small + psychologist]") for label in labels) == 2
    for fig in figures.figures_for(comparison_data).values():
        assert not any(ax.get_legend() for ax in fig.axes)  # legends are the figure's, once
