"""The sweep figure takes the grid's shape (heat map, small multiples, points, bars), prints
each cell's mean, and saves as PNG and SVG like every report figure."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from nd_sim.report.figures import save, sweep_figure
from nd_sim.report.figures.sweep import sweep_figures

GROWTH = "demand.growth_per_year"
BUDGET = "interventions[0].budget_gbp"
LAG = "interventions[0].recruitment_lag_weeks"
WTE = "teams.north.staff.paediatrician.wte"
KPIS = {
    "child_weeks_waiting": "child-weeks",
    "first_wait_median_weeks": "weeks",
    "referred_seen_within_13w_pct": "%",
    "open_52w_plus_end": "children",
}


def _frame(settings: list[dict[str, object]], names: list[str] | None = None) -> pd.DataFrame:
    """A sweep.csv-like table: three county KPIs and a district row per variant."""
    keys = list(dict.fromkeys(k for s in settings for k in s))
    rng = np.random.default_rng(7)
    rows = []
    for i, s in enumerate(settings):
        name = names[i] if names else ", ".join(f"{k}={v}" for k, v in s.items())
        wait = 30.0 + 200 * float(s.get(GROWTH, 0.06)) - float(s.get(BUDGET, 0)) / 1e5
        wait += 2.0 * float(s.get(WTE, 1.8)) * -1 + 0.1 * float(s.get(LAG, 12))
        for (area_type, area), (kpi, unit) in itertools.product(
            [("county", "county"), ("district", "Wyre")], KPIS.items()
        ):
            mean = {"weeks": wait, "%": 100 - wait, "children": 40 * wait}.get(unit, 900 * wait)
            half = abs(mean) * 0.04 + rng.uniform(0, 0.2)
            diff = 0.0 if i == 0 else mean - rows[0]["mean"]
            rows.append(
                {
                    "variant": i,
                    "variant_name": name,
                    **{k: s.get(k, np.nan) for k in keys},
                    "area_type": area_type,
                    "area": area,
                    "kpi": kpi,
                    "unit": unit,
                    "mean": mean,
                    "ci95_low": mean - half,
                    "ci95_high": mean + half,
                    "sd": half,
                    "replications": 20,
                    "diff_mean": diff,
                    "diff_ci95_low": diff - 0.5,
                    "diff_ci95_high": diff + 0.5,
                }
            )
    return pd.DataFrame(rows)


def _grid(**axes: list[object]) -> list[dict[str, object]]:
    keys = list(axes)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes.values())]


def _through_csv(frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """As the runner writes it and a report reads it back."""
    frame.to_csv(tmp_path / "sweep.csv", index=False)
    return pd.read_csv(tmp_path / "sweep.csv")


def _saved(fig: Figure, tmp_path: Path, name: str) -> None:
    paths = save(fig, tmp_path / "figures", name)
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert all(p.exists() and p.stat().st_size > 1000 for p in paths)


def _cell_texts(fig: Figure) -> dict[int, str]:
    return {
        int(t.get_gid().split(":")[1]): t.get_text()
        for ax in fig.axes
        for t in ax.texts
        if str(t.get_gid()).startswith("cell:") and str(t.get_gid()).count(":") == 1
    }


def _county_means(frame: pd.DataFrame, kpi: str = "first_wait_median_weeks") -> dict[int, float]:
    rows = frame[(frame["area_type"] == "county") & (frame["kpi"] == kpi)]
    return dict(zip(rows["variant"], rows["mean"], strict=True))


def test_two_keys_draw_an_annotated_heat_map_functional(tmp_path: Path) -> None:
    grid = _grid(**{GROWTH: [0.03, 0.06, 0.12], BUDGET: [0, 600_000, 1_200_000, 1_800_000]})
    frame = _through_csv(_frame(grid), tmp_path)
    fig = sweep_figure(frame, [GROWTH, BUDGET])
    texts = _cell_texts(fig)
    means = _county_means(frame)
    assert len(texts) == 12
    assert all(texts[v] == f"{m:.1f}" for v, m in means.items())
    heat = fig.axes[0]
    assert heat.images and heat.images[0].get_cmap().name == "cividis"
    assert [t.get_text() for t in heat.get_xticklabels()] == ["£0", "£600k", "£1.2m", "£1.8m"]
    assert [t.get_text() for t in heat.get_yticklabels()] == ["3%", "6%", "12%"]
    assert "referral growth a year" in heat.get_ylabel() and GROWTH in heat.get_ylabel()
    assert any(t.get_text().startswith("±") for t in heat.texts)
    title = fig._suptitle.get_text()
    for words in ("Median wait for a first appointment", "county", "20 replications", "95%"):
        assert words in title.replace("\n", " "), (words, title)
    subtitle = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "Lower is better" in subtitle
    _saved(fig, tmp_path, "sweep")


def test_three_keys_draw_small_multiples_on_one_scale_functional(tmp_path: Path) -> None:
    grid = _grid(**{GROWTH: [0.03, 0.12], BUDGET: [0, 900_000, 1_800_000], LAG: [6, 12, 24]})
    frame = _frame(grid)
    fig = sweep_figure(frame, [GROWTH, BUDGET, LAG])
    heat_maps = [ax for ax in fig.axes if ax.images]
    assert len(heat_maps) == 3
    assert len({ax.images[0].norm.vmin for ax in heat_maps}) == 1
    assert "recruitment lag (weeks) = 24" in heat_maps[2].get_title(loc="left").replace("\n", " ")
    texts = _cell_texts(fig)
    assert all(texts[v] == f"{m:.1f}" for v, m in _county_means(frame).items())
    _saved(fig, tmp_path, "sweep_three")


def test_one_key_draws_points_with_intervals_functional(tmp_path: Path) -> None:
    frame = _frame(_grid(**{GROWTH: [0.0, 0.03, 0.06, 0.12]}))
    fig = sweep_figure(frame, [GROWTH], kpi="referred_seen_within_13w_pct")
    ax = fig.axes[0]
    assert not ax.images
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0%", "3%", "6%", "12%"]
    assert "higher is better" in ax.get_ylabel()
    assert len(_cell_texts(fig)) == 4
    _saved(fig, tmp_path, "sweep_one")


def test_named_variants_draw_sorted_bars_functional(tmp_path: Path) -> None:
    settings = [
        {WTE: 1.8},
        {WTE: 3.8},
        {"teams.north.staff.clinical_psychologist.wte": 4.1},
        {WTE: 2.8, "teams.north.staff.slt.wte": 2.8},
    ]
    names = ["as now", "two more paediatricians", "two more psychologists", "one of each"]
    frame = _through_csv(_frame(settings, names), tmp_path)
    keys = list(dict.fromkeys(k for s in settings for k in s))
    fig = sweep_figure(frame, keys)
    ax = fig.axes[0]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]  # top first
    means = _county_means(frame)
    best_first = sorted(means, key=means.get)  # a wait: lower is better
    assert labels == [names[v] + (" (reference)" if v == 0 else "") for v in best_first]
    assert len(_cell_texts(fig)) == 4
    _saved(fig, tmp_path, "sweep_bars")


def test_a_district_and_every_headline_kpi_functional(tmp_path: Path) -> None:
    grid = _grid(**{GROWTH: [0.03, 0.06], BUDGET: [0, 1_800_000]})
    frame = _frame(grid)
    fig = sweep_figure(frame, [GROWTH, BUDGET], area_type="district", area="Wyre")
    assert "Wyre" in fig._suptitle.get_text()
    figures = sweep_figures(frame, [GROWTH, BUDGET])
    assert list(figures) == [f"sweep_{k}" for k in KPIS]
    with pytest.raises(ValueError, match="no rows"):
        sweep_figure(frame, [GROWTH, BUDGET], kpi="no_such_kpi")
