"""The figure of a sweep: one KPI across every variant of a grid, drawn from `sweep.csv`.

A sweep's question is "how does the headline KPI move as these settings change together?",
so the figure follows the grid's shape: two keys varying give a heat map with the mean in
each cell and the half-width of its 95% CI underneath; three or more give small multiples of
that heat map, one per combination of the other keys, on one colour scale; one key gives
points with their CIs against the key's value; named variants with no grid between them give
horizontal bars, best first. Variants run on common random numbers, so neighbouring cells
differ because of their settings, not by chance. Like every report figure it is a `Figure`
on a private Agg canvas (no pyplot), A4 wide, in colour-blind-safe colours (cividis for the
heat map, Okabe–Ito otherwise), and `save(fig, folder, "sweep")` writes it as PNG and SVG.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from nd_sim.report.figures.style import (
    GREY,
    LABEL_SIZE,
    NOTE_SIZE,
    OKABE_ITO,
    PANEL_TITLE_SIZE,
    TICK_SIZE,
    add_title,
    new_figure,
    place_subtitle,
    style_axes,
    wrap,
)
from nd_sim.results import registry
from nd_sim.results.statistics import symmetric

HEADLINE = "first_wait_median_weeks"
SWEEP_KPIS = ("child_weeks_waiting", HEADLINE, "referred_seen_within_13w_pct", "open_52w_plus_end")
CMAP = "cividis"  # sequential, perceptually uniform, readable with any colour vision
PANEL_COLUMNS = 3
MAX_ANNOTATED_COLUMNS = 18  # heat-map cells across the page beyond which values are not printed
MAX_ANNOTATED_ROWS = 14
KEY_WORDS = {
    "demand.growth_per_year": "referral growth a year",
    "horizon_weeks": "weeks simulated",
    "start_date": "start date",
    "booking.lead_time_weeks": "booking lead time (weeks)",
    "booking.new_patient_share": "share of hours offered to first appointments",
    "pathway.dna.probability": "chance of not attending",
    "pathway.withdrawal.weekly_hazard": "weekly chance of leaving the list",
    "pathway.triage.accept": "share accepted at triage",
}
DROPPED_SEGMENTS = {"demand", "pathway", "booking", "staff", "teams", "districts", "professions"}
WORDS = {
    "wte": "WTE",
    "gbp": "(£)",
    "weeks": "(weeks)",
    "adhd": "ADHD",
    "asd": "ASD",
    "slt": "SLT",
    "ot": "OT",
}
PERCENT_KEYS = ("growth_per_year",)


def sweep_figure(
    sweep: pd.DataFrame,
    keys: list[str],
    kpi: str = HEADLINE,
    area_type: str = "county",
    area: str = "county",
) -> Figure:
    """One KPI across the sweep, in the shape of its grid (heat map, points or bars).

    `sweep` is the tidy `sweep.csv` table; `keys` the grid keys, in the grid's order (the
    first two become the heat map's rows and columns). Raises `ValueError` if the table has
    no row for the KPI and area.
    """
    rows = _rows(sweep, kpi, area_type, area)
    varying, grid, others = _structure(rows, keys)
    if len(varying) >= 2:
        fig = _heat_maps(rows, grid, varying, kpi)
    elif len(varying) == 1:
        fig = _points(rows, grid, varying[0], kpi)
    else:
        fig = _bars(rows, kpi)
    add_title(
        fig, _headline(rows, kpi, area_type, area), _subtitle(rows, grid, others, varying, kpi)
    )
    place_subtitle(fig)
    return fig


def sweep_figures(
    sweep: pd.DataFrame, keys: list[str], kpis: tuple[str, ...] = SWEEP_KPIS
) -> dict[str, Figure]:
    """The county figure of each KPI the table holds, named `sweep_<kpi>` for `save`."""
    present = set(sweep["kpi"])
    return {f"sweep_{k}": sweep_figure(sweep, keys, k) for k in kpis if k in present}


# --------------------------------------------------------------------------------------------
# The rows and the grid's shape
# --------------------------------------------------------------------------------------------


def _rows(sweep: pd.DataFrame, kpi: str, area_type: str, area: str) -> pd.DataFrame:
    mask = (sweep["kpi"] == kpi) & (sweep["area_type"] == area_type) & (sweep["area"] == area)
    rows = sweep[mask].sort_values("variant").reset_index(drop=True)
    if rows.empty:
        known = ", ".join(sorted(sweep["kpi"].unique())[:12])
        raise ValueError(f"sweep has no rows for {kpi!r} in {area_type} {area!r} (KPIs: {known})")
    return rows


def _structure(rows: pd.DataFrame, keys: list[str]) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """The keys a complete cross product varies, its rows, and the rows outside it.

    Rows of the `[grid]` cross product are recognised by the names `load_grid` gives them
    ("key=value, ..." for every key they set); named variants are drawn as bars, even when
    several set the same key. The grid's rows must set the same keys, and every combination
    of their values must appear exactly once.
    """
    present = [k for k in keys if k in rows.columns]
    if not present:
        return [], rows.iloc[0:0], rows
    is_set = rows[present].notna()
    generated = [
        bool(flags.any()) and all(f"{k}=" in str(name) for k, on in flags.items() if on)
        for name, (_, flags) in zip(rows["variant_name"], is_set.iterrows(), strict=True)
    ]
    signature = is_set.apply(tuple, axis=1).where(generated)
    if signature.isna().all():
        return [], rows.iloc[0:0], rows
    best = signature.value_counts().index[0]
    grid = rows[signature == best]
    varying = [k for k, on in zip(present, best, strict=True) if on and grid[k].nunique() > 1]
    cells = math.prod(grid[k].nunique() for k in varying)
    if not varying or len(grid) != cells or grid.duplicated(varying).any():
        return [], rows.iloc[0:0], rows
    return varying, grid, rows[signature != best]


def _levels(values: pd.Series) -> list:
    """A key's distinct values in order: numerically if they are numbers, else as first seen."""
    distinct = list(dict.fromkeys(values.dropna()))
    numbers = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
    if numbers.notna().all():
        return [v for _, v in sorted(zip(numbers, distinct, strict=True), key=lambda p: p[0])]
    return distinct


# --------------------------------------------------------------------------------------------
# Heat maps
# --------------------------------------------------------------------------------------------


def _heat_maps(rows: pd.DataFrame, grid: pd.DataFrame, varying: list[str], kpi: str) -> Figure:
    """The first two keys as rows and columns; a panel per combination of the others."""
    ykey, xkey, rest = varying[0], varying[1], varying[2:]
    ys, xs = _levels(grid[ykey]), _levels(grid[xkey])
    combos = list(itertools.product(*(_levels(grid[k]) for k in rest))) or [()]
    ncols = min(PANEL_COLUMNS, len(combos))
    nrows = math.ceil(len(combos) / ncols)
    panel_height = max(2.0, 0.32 * len(ys) + 1.1) if ncols > 1 else max(2.6, 0.5 * len(ys) + 1.2)
    fig = new_figure(max(4.0, 1.5 + nrows * panel_height))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    norm = Normalize(float(grid["mean"].min()), float(grid["mean"].max()))
    annotate = ncols * len(xs) <= MAX_ANNOTATED_COLUMNS and len(ys) <= MAX_ANNOTATED_ROWS
    size = NOTE_SIZE + (1.5 if ncols * len(xs) <= 6 else 0 if ncols * len(xs) <= 12 else -1)
    unit = str(rows["unit"].iloc[0])
    image = None
    for ax, combo in zip(axes.flat, combos, strict=False):
        panel = grid
        for key, value in zip(rest, combo, strict=True):
            panel = panel[panel[key] == value]
        image = _heat(ax, panel, ykey, xkey, ys, xs, norm, unit, size if annotate else 0)
        if rest:
            where = ", ".join(
                f"{_short(k)} = {_level(k, v)}" for k, v in zip(rest, combo, strict=True)
            )
            width = {1: 90, 2: 45}.get(ncols, 28)
            ax.set_title(wrap(where, width), fontsize=PANEL_TITLE_SIZE, loc="left", pad=3)
    for ax in axes.flat[len(combos) :]:
        ax.set_visible(False)
    _heat_labels(axes, combos, ykey, xkey, ys, xs)
    bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9, pad=0.02, aspect=30)
    bar.set_label(wrap(_scale_label(kpi, unit), 34), fontsize=LABEL_SIZE)
    bar.ax.tick_params(labelsize=TICK_SIZE)
    return fig


def _heat(
    ax: Axes,
    panel: pd.DataFrame,
    ykey: str,
    xkey: str,
    ys: list,
    xs: list,
    norm: Normalize,
    unit: str,
    size: float,
):
    """One heat map; each cell's mean and ± CI half-width printed when `size` > 0."""
    means = np.full((len(ys), len(xs)), np.nan)
    for _, r in panel.iterrows():
        i, j = ys.index(r[ykey]), xs.index(r[xkey])
        means[i, j] = r["mean"]
        if size > 0:
            _cell_text(ax, j, i, r, norm, unit, size)
        if int(r["variant"]) == 0:  # the reference of the paired differences
            ax.add_patch(
                Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec=OKABE_ITO["vermillion"], lw=2)
            )
    image = ax.imshow(means, cmap=CMAP, norm=norm, origin="lower", aspect="auto")
    ax.tick_params(labelsize=TICK_SIZE, length=0, pad=3)
    for side in ax.spines.values():
        side.set_visible(False)
    return image


def _cell_text(ax: Axes, x: int, y: int, r: pd.Series, norm: Normalize, unit: str, size: float):
    red, green, blue, _ = colormaps[CMAP](norm(r["mean"]))
    ink = "white" if 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5 else "black"
    gid = f"cell:{int(r['variant'])}"
    ax.text(x, y + 0.04, _number(r["mean"], unit), ha="center", va="bottom", fontsize=size,
            fontweight="bold", color=ink, gid=gid)  # fmt: skip
    half = _half_width(r)
    if not np.isnan(half):
        low, high = _interval(r)
        text = f"±{_number(half, unit)}"
        if not symmetric(float(r["mean"]), low, high):  # cut at 0 or 100: its two ends
            text = f"{_number(low, unit)}–{_number(high, unit)}"
        ax.text(x, y - 0.02, text, ha="center", va="top",
                fontsize=size - 1.5, color=ink, gid=f"{gid}:ci")  # fmt: skip


def _heat_labels(axes, combos: list, ykey: str, xkey: str, ys: list, xs: list) -> None:
    """Tick labels in words and numbers on the outer panels, the key names as axis labels."""
    ncols = axes.shape[1]
    for k, ax in enumerate(axes.flat[: len(combos)]):
        col = k % ncols
        ax.set_xticks(range(len(xs)), [_level(xkey, v) for v in xs])
        ax.set_yticks(range(len(ys)), [_level(ykey, v) for v in ys])
        last = k + ncols >= len(combos)
        ax.tick_params(labelbottom=last, labelleft=col == 0)
        if last:
            ax.set_xlabel(_axis_label(xkey), fontsize=LABEL_SIZE)
        if col == 0:
            ax.set_ylabel(_axis_label(ykey), fontsize=LABEL_SIZE)


# --------------------------------------------------------------------------------------------
# Points (one key) and bars (named variants)
# --------------------------------------------------------------------------------------------


def _points(rows: pd.DataFrame, grid: pd.DataFrame, key: str, kpi: str) -> Figure:
    """Mean and 95% CI against the key's value, on a real axis when the values are numbers."""
    unit = str(rows["unit"].iloc[0])
    levels = _levels(grid[key])
    numbers = pd.to_numeric(pd.Series(levels, dtype=object), errors="coerce")
    numeric = bool(numbers.notna().all())
    xs = list(numbers) if numeric else list(range(len(levels)))
    fig = new_figure(4.2)
    ax = fig.add_subplot()
    style_axes(ax)
    ordered = [grid[grid[key] == v].iloc[0] for v in levels]
    means = [float(r["mean"]) for r in ordered]
    ax.plot(xs, means, color=OKABE_ITO["blue"], linewidth=0.9, alpha=0.5)
    for x, r in zip(xs, ordered, strict=True):
        low, high = _interval(r)
        colour = OKABE_ITO["vermillion"] if int(r["variant"]) == 0 else OKABE_ITO["blue"]
        ax.errorbar(x, r["mean"], yerr=[[r["mean"] - low], [high - r["mean"]]], fmt="o",
                    color=colour, markersize=5, elinewidth=1.4, capsize=3,
                    gid=f"point:{int(r['variant'])}")  # fmt: skip
        ax.annotate(_number(r["mean"], unit), (x, high), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom",
                    fontsize=NOTE_SIZE, gid=f"cell:{int(r['variant'])}")  # fmt: skip
    ax.set_xticks(xs, [_level(key, v) for v in levels])
    ax.set_xlabel(_axis_label(key), fontsize=LABEL_SIZE)
    ax.set_ylabel(wrap(_scale_label(kpi, unit), 40), fontsize=LABEL_SIZE)
    ax.margins(x=0.08, y=0.15)
    return fig


def _bars(rows: pd.DataFrame, kpi: str) -> Figure:
    """Horizontal bars with 95% CIs, the best variant on top."""
    unit = str(rows["unit"].iloc[0])
    lower = _lower_is_better(kpi)
    ordered = rows.sort_values("mean", ascending=lower is not False, kind="stable")
    fig = new_figure(1.6 + 0.34 * len(ordered))
    ax = fig.add_subplot()
    style_axes(ax)
    ax.grid(False, axis="y")
    ys = np.arange(len(ordered))[::-1]
    for y, (_, r) in zip(ys, ordered.iterrows(), strict=True):
        low, high = _interval(r)
        reference = int(r["variant"]) == 0
        ax.barh(y, r["mean"], height=0.62, color=GREY if reference else OKABE_ITO["blue"],
                xerr=[[r["mean"] - low], [high - r["mean"]]],
                error_kw={"elinewidth": 1.1, "capsize": 2.5, "ecolor": "black"},
                gid=f"bar:{int(r['variant'])}")  # fmt: skip
        ax.annotate(_number(r["mean"], unit), (high, y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=NOTE_SIZE,
                    gid=f"cell:{int(r['variant'])}")  # fmt: skip
    names = [
        wrap(str(r["variant_name"]) + (" (reference)" if int(r["variant"]) == 0 else ""), 42)
        for _, r in ordered.iterrows()
    ]
    ax.set_yticks(ys, names, fontsize=TICK_SIZE)
    ax.set_ylim(-0.6, len(ordered) - 0.4)
    ax.set_xlabel(_scale_label(kpi, unit), fontsize=LABEL_SIZE)
    ax.margins(x=0.12)
    return fig


def _interval(r: pd.Series) -> tuple[float, float]:
    """The 95% CI, or the mean itself when it is undefined (one replication)."""
    low, high = r["ci95_low"], r["ci95_high"]
    mean = float(r["mean"])
    return (mean if pd.isna(low) else float(low)), (mean if pd.isna(high) else float(high))


def _half_width(r: pd.Series) -> float:
    low, high = _interval(r)
    return (high - low) / 2 if pd.notna(r["ci95_low"]) else float("nan")


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


def _headline(rows: pd.DataFrame, kpi: str, area_type: str, area: str) -> str:
    """What KPI, where, over how many replications, and that the intervals are 95%."""
    reps = rows["replications"].dropna().astype(int)
    count = f"{reps.min()}" if reps.min() == reps.max() else f"{reps.min()}–{reps.max()}"
    where = "the county" if area_type == "county" else f"{area} ({area_type})"
    return (
        f"{_kpi_title(kpi)}, {where}, across {len(rows)} variants: "
        f"mean of {count} replications each, with 95% intervals"
    )


def _subtitle(
    rows: pd.DataFrame,
    grid: pd.DataFrame,
    others: pd.DataFrame,
    varying: list[str],
    kpi: str,
) -> str:
    parts = ["Every variant is run on the same random numbers: differences come from the settings."]
    if len(varying) >= 2:
        parts.append("Each cell: the mean, and ± the half-width of its 95% confidence interval.")
    else:
        parts.append("Whiskers: 95% confidence intervals.")
    lower = _lower_is_better(kpi)
    if lower is not None:
        parts.append("Lower is better." if lower else "Higher is better.")
    if not varying and 0 in set(rows["variant"]):
        parts.append("Grey: variant 0, the reference for the paired differences in sweep.csv.")
    elif 0 in set(grid["variant"]):
        mark = "Outlined" if len(varying) >= 2 else "Highlighted"
        parts.append(f"{mark}: variant 0, the reference for the paired differences in sweep.csv.")
    if varying and not others.empty:
        parts.append(f"Not shown: {len(others)} named variants outside the grid (see sweep.csv).")
    return " ".join(parts)


def _kpi_title(kpi: str) -> str:
    text = registry.label(kpi)
    return text[0].upper() + text[1:]


def _lower_is_better(kpi: str) -> bool | None:
    """Which way is better (the registry's); None where neither is (e.g. referrals)."""
    return registry.lower_is_better(kpi)


def _scale_label(kpi: str, unit: str) -> str:
    lower = _lower_is_better(kpi)
    better = "" if lower is None else (", lower is better" if lower else ", higher is better")
    return f"{_kpi_title(kpi)} ({_unit_words(unit)}{better})"


def _unit_words(unit: str) -> str:
    return {"GBP": "£", "%": "%"}.get(unit, unit)


def _axis_label(key: str) -> str:
    """The key in plain words, and the key itself beneath, so that it can be found."""
    return f"{_short(key)}\n({key})"


def _short(key: str) -> str:
    """A key in plain words: 'teams.north.staff.paediatrician.wte' -> 'north paediatrician WTE'."""
    if key in KEY_WORDS:
        return KEY_WORDS[key]
    words = []
    for segment in key.split("."):
        name, _, index = segment.partition("[")
        if name in DROPPED_SEGMENTS:
            continue
        if name == "interventions":
            name = "intervention"
        words += [WORDS.get(w, w) for w in name.split("_")]
        if index:
            words.append(str(int(index.split("]")[0]) + 1))
    return " ".join(words).strip() or key


def _level(key: str, value) -> str:
    """A key's value as a tick label: £ for money, % for growth, plain numbers otherwise."""
    number = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce").iloc[0]
    if pd.isna(number):
        return str(value)
    if key.endswith("_gbp"):
        return _money(float(number))
    if key.endswith(PERCENT_KEYS):
        return f"{100 * number:g}%"
    return f"{number:g}"


def _money(value: float) -> str:
    if abs(value) >= 1e6:
        return f"£{value / 1e6:g}m"
    if abs(value) >= 1e3:
        return f"£{value / 1e3:g}k"
    return f"£{value:,.0f}"


def _number(value: float, unit: str) -> str:
    """A KPI value: one decimal for weeks and shares, whole numbers with commas for counts."""
    if unit == "GBP":
        return _money(float(value))
    if unit in ("children",) or abs(value) >= 1000:
        return f"{value:,.0f}".replace("-", "−")
    return f"{value:.1f}".replace("-", "−")
