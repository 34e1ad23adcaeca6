"""The look every report figure shares, kept in one place so that the figures stay alike:
the Okabe–Ito palette, page width, dpi and font sizes, and `save`; an A4 `Figure` on a private
Agg canvas with a wrapped bold title and a subtitle placed under it after layout; axis
styling, concise date axes and thousands separators; the words and numbers the figures print
(dates, signed changes with a true minus, the run's period); a county panel over small
multiples of the districts; and the legends under the panels. Every other module of
`nd_sim.report.figures` draws with these helpers, and this one imports none of them, so the package
has no import cycle.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import hsv_to_rgb, to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from nd_sim.report.data import ReportData, ScenarioResult

# --------------------------------------------------------------------------------------------
# Palette, sizes and saving
# --------------------------------------------------------------------------------------------


# Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
# Series colours, most legible first (yellow is hard to see on white, so it comes last).
SERIES = [OKABE_ITO[k] for k in ("blue", "vermillion", "green", "purple", "orange", "sky_blue")]
SERIES += [OKABE_ITO["black"], OKABE_ITO["yellow"]]
# Options beyond Okabe–Ito's seven legible colours: Paul Tol's "muted" and "dark" hues that
# none of the first seven resembles (no greys: grey stands for what every option shares),
# then Okabe–Ito's yellow. `option_colours` makes more, still distinct, if ever needed.
OPTION_SERIES = [*SERIES[:7], "#332288", "#882255", "#999933", "#8C564B", "#44AA99"]
OPTION_SERIES += ["#CC6677", "#117733", "#AA4499", "#661100", OKABE_ITO["yellow"]]
GREY = "#7f7f7f"
# Events in a single run: colours kept apart from the data's blues (and black).
EVENT_COLOURS = [OKABE_ITO[k] for k in ("vermillion", "green", "purple", "orange", "yellow")]
EVENT_GREY = "#555555"  # events drawn where colours already mean something (staff figure)

WIDTH = 7.5  # inches: A4 (8.27") less margins, so a figure prints at its natural size
DPI = 150
NICE_WEEKS = 13
COLUMNS = 4  # district small multiples

TITLE_SIZE = 11
PANEL_TITLE_SIZE = 8.5
LABEL_SIZE = 8
TICK_SIZE = 7
NOTE_SIZE = 7
SUBTITLE_SIZE = 7.5


def save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write `name.png` (150 dpi) and `name.svg` into `folder`; return both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    freeze_layout(fig)
    fig.savefig(png, dpi=DPI, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None})
    return [png, svg]


# --------------------------------------------------------------------------------------------
# A page and its title
# --------------------------------------------------------------------------------------------


def new_figure(height: float, width: float = WIDTH) -> Figure:
    # Laid out at the dpi it is saved at: text widths do not scale exactly with dpi.
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # a private canvas: text extents can be measured, nothing global
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04, hspace=0.03, wspace=0.03)
    return fig


def add_title(fig: Figure, title: str, subtitle: str = "") -> None:
    """A bold title and a smaller explanatory subtitle under it, both left-aligned.

    A suptitle holds one font, so the subtitle is a separate text placed after layout
    (`place_subtitle`) in blank lines the suptitle reserves for it.
    """
    width_in = fig.get_figwidth() - 0.35
    title = _fit(fig, title, TITLE_SIZE, width_in, bold=True)
    lines = _fit(fig, subtitle, SUBTITLE_SIZE, width_in) if subtitle else ""
    n = lines.count("\n") + 1 if lines else 0
    blank = math.ceil(n * SUBTITLE_SIZE / TITLE_SIZE + 0.25) if n else 0
    fig.suptitle(title + "\n" * blank, fontsize=TITLE_SIZE, fontweight="bold", x=0.01, ha="left")
    if lines:
        gid = f"subtitle:{title.count(chr(10)) + 1}"  # how many lines the title has
        fig.text(
            0.01,
            1.0,
            lines,
            fontsize=SUBTITLE_SIZE,
            color="#333333",
            ha="left",
            va="top",
            in_layout=False,
            gid=gid,
            linespacing=1.25,
        )


def _fit(fig: Figure, text: str, size: float, width_in: float, bold: bool = False) -> str:
    """Wrap `text` into lines no wider than `width_in` inches, measured in the real font."""
    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=size, weight="bold" if bold else "normal")

    def width(s: str) -> float:
        return renderer.get_text_width_height_descent(s, prop, ismath=False)[0] / fig.dpi

    lines: list[str] = []
    for word in text.split():
        if lines and width(f"{lines[-1]} {word}") <= width_in:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def freeze_layout(fig: Figure) -> None:
    """Work out the constrained layout once (without rendering), then keep it: each save
    (PNG, then SVG) would otherwise lay the figure out again, the costliest part of a
    report (every axis's tight box, tick by tick)."""
    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
        fig.draw_without_rendering()
        fig.set_layout_engine("none")


def place_subtitle(fig: Figure) -> None:
    """Put the subtitle just below the title's lines (needs the layout, done once here)."""
    sub = next((t for t in fig.texts if str(t.get_gid()).startswith("subtitle:")), None)
    suptitle = fig._suptitle
    if sub is None or suptitle is None:
        return
    freeze_layout(fig)
    renderer = fig.canvas.get_renderer()
    box = suptitle.get_window_extent(renderer)
    total = suptitle.get_text().count("\n") + 1
    line = box.height / total
    top = box.y1 - int(sub.get_gid().split(":")[1]) * line - 1.0
    sub.set_position((0.01, top / fig.bbox.height))


# --------------------------------------------------------------------------------------------
# Axes
# --------------------------------------------------------------------------------------------


def style_axes(ax: Axes) -> None:
    ax.tick_params(labelsize=TICK_SIZE, length=3, pad=2)
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def date_axis(ax: Axes, data: ReportData, maxticks: int = 7) -> None:
    """Concise dates from the run's start to its end."""
    ax.set_xlim(data.base.start_date, data.base.end_date)
    locator = mdates.AutoDateLocator(minticks=2, maxticks=maxticks)
    locator.intervald[mdates.MONTHLY] = [1, 2, 3, 4, 6, 12]  # a short run in a small panel
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def thousands_axis(ax: Axes, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}".replace("-", "−"))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def emphasise(ax: Axes) -> None:
    """The county panel: heavier frame and a faint tint, so it reads as the headline."""
    ax.set_facecolor("#f7f7f7")
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(1.2)


# --------------------------------------------------------------------------------------------
# Words and numbers
# --------------------------------------------------------------------------------------------


def date_label(d) -> str:
    d = pd.Timestamp(d)
    return f"{d.day} {d:%b %Y}"


def _month(d) -> str:
    return f"{pd.Timestamp(d):%b %Y}"


def signed_text(value: float, digits: int = 0, zero: bool = False) -> str:
    """+1,234 / −1,234: a change, with a true minus sign; `zero` prints 0 as plain "0"."""
    if zero and round(value, digits) == 0:
        return "0"
    return f"{value:+,.{digits}f}".replace("-", "−")


def signed_tick(value: float, _pos=None) -> str:
    return signed_text(value, 0 if float(value).is_integer() else 1, zero=True)


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def option_colours(n: int) -> list[str]:
    """`n` distinct colours, one per option in the order of the comparison.

    The first 17 are fixed (`OPTION_SERIES`), so an option keeps its colour however many
    follow it; beyond them, hues evenly spaced round the colour wheel at two lightnesses.
    """
    colours = OPTION_SERIES[:n]
    extra = n - len(colours)
    for k in range(extra):
        hue = (k * 0.618034) % 1.0  # golden-ratio steps: neighbours far apart in hue
        value = 0.55 if k % 2 else 0.8
        colours.append(to_hex(hsv_to_rgb((hue, 0.75, value))))
    seen: set[str] = set()
    for i, colour in enumerate(colours):  # never two alike, even after hex rounding
        while colour.lower() in seen:
            r, g, b = (int(colour[j : j + 2], 16) for j in (1, 3, 5))
            colour = f"#{(r + 7) % 256:02x}{(g + 13) % 256:02x}{(b + 29) % 256:02x}"
        seen.add(colour.lower())
        colours[i] = colour
    return colours


def scenario_colours(data: ReportData) -> dict[str, str]:
    """One colour per option (by its place in the comparison), shared by every figure and
    by the events drawn for that option, so that an option is the same colour everywhere."""
    palette = option_colours(len(data.scenarios))
    return {s.slug: palette[i] for i, s in enumerate(data.scenarios)}


def profession_label(name: str) -> str:
    return name.upper() if len(name) <= 3 else name.replace("_", " ").capitalize()


def district_names(data: ReportData) -> list[str]:
    return list(data.base.scenario.districts)


def period_label(run: ScenarioResult) -> str:
    return f"{_month(run.start_date)} to {_month(run.end_date - pd.Timedelta(days=1))}"


def replication_count(run: ScenarioResult) -> int:
    return int(run.weekly["replication"].nunique())


def child_rows_words(run: ScenarioResult) -> str:
    """Which replications a figure drawn from the per-child rows pools: all, or the first
    N of them (a run writes those rows for its first replications only, by default 50)."""
    total = replication_count(run)
    kept = int(run.manifest.get("child_rows_replications", total))
    if kept >= total:
        return f"{total:,} replications"
    return f"the first {kept:,} of {total:,} replications"


def where_label(data: ReportData) -> str:
    """The scenario (for a run) or 'N options' (for a comparison)."""
    if data.kind == "comparison":
        return f"{len(data.scenarios)} options"
    return data.base.label


# --------------------------------------------------------------------------------------------
# A county panel over small multiples of the districts
# --------------------------------------------------------------------------------------------


def grid_height(districts: list[str], county: float) -> float:
    """Inches for a title, a county panel and rows of district panels."""
    return 1.1 + county + 1.75 * math.ceil(len(districts) / COLUMNS)


def legend_height(key_rows: float, events: list) -> float:
    """Inches for the legends under the panels (event labels take two lines each)."""
    return 0.2 + 0.16 * max(key_rows, 2.2 * len(events))


def area_grid(
    fig: Figure, districts: list[str], county_height: float = 1.5
) -> tuple[Axes, dict[str, Axes]]:
    """A wide county panel on top and the districts below in rows of 4 with shared axes.

    The county keeps its own y scale (it is the sum of the districts); all district panels
    share one x and one y scale so that districts can be compared by eye. (The county panel
    does not share the districts' x axis, so that it can have its own, denser date ticks;
    `date_axis` gives every time axis the same limits.)
    """
    ncols = min(COLUMNS, len(districts))
    nrows = math.ceil(len(districts) / ncols)
    grid = fig.add_gridspec(1 + nrows, ncols, height_ratios=[county_height] + [1.0] * nrows)
    county = fig.add_subplot(grid[0, :])
    style_axes(county)
    emphasise(county)
    panels: dict[str, Axes] = {}
    first: Axes | None = None
    for i, name in enumerate(districts):
        row, col = divmod(i, ncols)
        ax = fig.add_subplot(grid[1 + row, col], sharex=first, sharey=first)
        first = first or ax
        style_axes(ax)
        ax.set_title(name, fontsize=PANEL_TITLE_SIZE, pad=2)
        last_in_column = i + ncols >= len(districts)
        ax.tick_params(labelbottom=last_in_column, labelleft=col == 0)
        panels[name] = ax
    return county, panels


def county_title(ax: Axes, data: ReportData, what: str = "") -> None:
    n = len(district_names(data))
    text = f"County: all {n} districts" + (f" — {what}" if what else "")
    ax.set_title(text, fontsize=PANEL_TITLE_SIZE + 1, fontweight="bold", loc="left", pad=3)


# --------------------------------------------------------------------------------------------
# Legends
# --------------------------------------------------------------------------------------------


def add_legend(
    fig: Figure, entries: list[tuple], events: list | None = None, ncols: int = 3
) -> None:
    """Legends under the panels, once per figure: the key on the left, events on the right.

    `entries` and `events` are lists of (handle, label) pairs.
    """
    style = {"fontsize": NOTE_SIZE, "frameon": False, "handlelength": 2.2, "columnspacing": 1.2}
    if entries:
        loc = "outside lower left" if events else "outside lower center"
        fig.legend([h for h, _ in entries], [x for _, x in entries], loc=loc, ncols=ncols, **style)
    if events:
        loc = "outside lower right" if entries else "outside lower center"
        fig.legend([h for h, _ in events], [x for _, x in events], loc=loc, ncols=1, **style)


def axes_entries(*axes) -> list[tuple]:
    """Every labelled artist of these axes as (handle, label) pairs, for `add_legend`."""
    entries = []
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        entries += list(zip(handles, labels, strict=True))
    return entries


def scenario_handles(data: ReportData, colours: dict[str, str], band: bool = True) -> list:
    entries = []
    for i, run in enumerate(data.scenarios):
        label = run.label + (" (base)" if i == 0 else "")
        line = Line2D([], [], color=colours[run.slug], linewidth=1.6)
        if band:
            entries.append(((Patch(color=colours[run.slug], alpha=0.2, linewidth=0), line), label))
        else:
            entries.append((line, label))
    return entries
