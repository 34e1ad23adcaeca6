"""The report's figures, drawn from a results folder read back by `load_report_data`.

Every function takes a `ReportData` and returns a `matplotlib.figure.Figure`. Figures are built
as `Figure` objects on an Agg canvas, never through pyplot, so nothing global is created or
left open and no rcParams are changed. They are sized for an A4 page (7.5 inches wide), use
the Okabe–Ito colour-blind-safe palette, put dates on every time axis, and show districts as
small multiples under an emphasised county panel so that 12 districts never overlap.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from nd_sim.km import km_quantile
from nd_sim.report_data import ReportData, ScenarioResult

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

KEY_KPIS = {
    # kpi: (panel title, unit on the axis, lower is better)
    "first_wait_median_weeks": ("Median wait to first appointment", "weeks", True),
    "referred_seen_within_13w_pct": (
        "Referrals first seen within 13 weeks (NICE QS51)",
        "percentage points",
        False,
    ),
    "open_end": ("Open referrals at the end", "children", True),
    "open_52w_plus_end": ("Open referrals waiting 52+ weeks at the end", "children", True),
    "assessed": ("Assessments completed over the run", "children", False),
}


# --------------------------------------------------------------------------------------------
# Saving and the figure list
# --------------------------------------------------------------------------------------------


def save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write `name.png` (150 dpi) and `name.svg` into `folder`; return both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    fig.savefig(png, dpi=DPI, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None})
    return [png, svg]


def figures_for(data: ReportData) -> dict[str, Figure]:
    """Every figure that applies to the data: a run's, plus the comparison ones."""
    makers: dict[str, Callable[[ReportData], Figure]] = {
        "fan_chart": fan_chart,
        "waits_by_referral_month": waits_by_referral_month,
        "waits_by_referral_month_districts": waits_by_referral_month_districts,
        "within_13_weeks": within_13_weeks,
        "staff": staff,
        "utilisation": utilisation,
    }
    if data.kind == "comparison" and data.comparison is not None:
        makers["paired_differences"] = paired_differences
        makers["cost_benefit"] = cost_benefit
    return {name: make(data) for name, make in makers.items()}


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _figure(height: float, width: float = WIDTH) -> Figure:
    # Laid out at the dpi it is saved at: text widths do not scale exactly with dpi.
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # a private canvas: text extents can be measured, nothing global
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04, hspace=0.03, wspace=0.03)
    return fig


def _title(fig: Figure, title: str, subtitle: str = "") -> None:
    """A bold title and a smaller explanatory subtitle under it, both left-aligned.

    A suptitle holds one font, so the subtitle is a separate text placed after layout
    (`_place_subtitle`) in blank lines the suptitle reserves for it.
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


def _place_subtitle(fig: Figure) -> None:
    """Put the subtitle just below the title's lines (needs the layout, so draws once)."""
    sub = next((t for t in fig.texts if str(t.get_gid()).startswith("subtitle:")), None)
    suptitle = fig._suptitle
    if sub is None or suptitle is None:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = suptitle.get_window_extent(renderer)
    total = suptitle.get_text().count("\n") + 1
    line = box.height / total
    top = box.y1 - int(sub.get_gid().split(":")[1]) * line - 1.0
    sub.set_position((0.01, top / fig.bbox.height))


def _style(ax: Axes) -> None:
    ax.tick_params(labelsize=TICK_SIZE, length=3, pad=2)
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _date_axis(ax: Axes, data: ReportData, maxticks: int = 7) -> None:
    """Concise dates from the run's start to its end."""
    ax.set_xlim(data.base.start_date, data.base.end_date)
    locator = mdates.AutoDateLocator(minticks=2, maxticks=maxticks)
    locator.intervald[mdates.MONTHLY] = [1, 2, 3, 4, 6, 12]  # a short run in a small panel
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def _thousands(ax: Axes, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}".replace("-", "−"))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _emphasise(ax: Axes) -> None:
    """The county panel: heavier frame and a faint tint, so it reads as the headline."""
    ax.set_facecolor("#f7f7f7")
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(1.2)


def _date(d) -> str:
    d = pd.Timestamp(d)
    return f"{d.day} {d:%b %Y}"


def _month(d) -> str:
    return f"{pd.Timestamp(d):%b %Y}"


def _signed(value: float, digits: int = 0, zero: bool = False) -> str:
    """+1,234 / −1,234: a change, with a true minus sign; `zero` prints 0 as plain "0"."""
    if zero and round(value, digits) == 0:
        return "0"
    return f"{value:+,.{digits}f}".replace("-", "−")


def _signed_tick(value: float, _pos=None) -> str:
    return _signed(value, 0 if float(value).is_integer() else 1, zero=True)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _colours(data: ReportData) -> dict[str, str]:
    return {s.slug: SERIES[i % len(SERIES)] for i, s in enumerate(data.scenarios)}


def _profession(name: str) -> str:
    return name.upper() if len(name) <= 3 else name.replace("_", " ").capitalize()


def _districts(data: ReportData) -> list[str]:
    return list(data.base.scenario.districts)


def _period(run: ScenarioResult) -> str:
    return f"{_month(run.start_date)} to {_month(run.end_date - pd.Timedelta(days=1))}"


def _reps(run: ScenarioResult) -> int:
    return int(run.weekly["replication"].nunique())


def _where(data: ReportData) -> str:
    """The scenario (for a run) or 'N options' (for a comparison)."""
    if data.kind == "comparison":
        return f"{len(data.scenarios)} options"
    return data.base.label


def _quantiles(table: pd.DataFrame, qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Rows: x; columns: replications -> rows: x; columns: the quantiles across replications."""
    return pd.DataFrame({q: table.quantile(q, axis=1) for q in qs})


def _grid_height(districts: list[str], county: float) -> float:
    """Inches for a title, a county panel and rows of district panels."""
    return 1.1 + county + 1.75 * math.ceil(len(districts) / COLUMNS)


def _legend_height(key_rows: float, events: list) -> float:
    """Inches for the legends under the panels (event labels take two lines each)."""
    return 0.2 + 0.16 * max(key_rows, 2.2 * len(events))


def _area_grid(
    fig: Figure, districts: list[str], county_height: float = 1.5
) -> tuple[Axes, dict[str, Axes]]:
    """A wide county panel on top and the districts below in rows of 4 with shared axes.

    The county keeps its own y scale (it is the sum of the districts); all district panels
    share one x and one y scale so that districts can be compared by eye. (The county panel
    does not share the districts' x axis, so that it can have its own, denser date ticks;
    `_date_axis` gives every time axis the same limits.)
    """
    ncols = min(COLUMNS, len(districts))
    nrows = math.ceil(len(districts) / ncols)
    grid = fig.add_gridspec(1 + nrows, ncols, height_ratios=[county_height] + [1.0] * nrows)
    county = fig.add_subplot(grid[0, :])
    _style(county)
    _emphasise(county)
    panels: dict[str, Axes] = {}
    first: Axes | None = None
    for i, name in enumerate(districts):
        row, col = divmod(i, ncols)
        ax = fig.add_subplot(grid[1 + row, col], sharex=first, sharey=first)
        first = first or ax
        _style(ax)
        ax.set_title(name, fontsize=PANEL_TITLE_SIZE, pad=2)
        last_in_column = i + ncols >= len(districts)
        ax.tick_params(labelbottom=last_in_column, labelleft=col == 0)
        panels[name] = ax
    return county, panels


def _county_title(ax: Axes, data: ReportData, what: str = "") -> None:
    n = len(_districts(data))
    text = f"County: all {n} districts" + (f" — {what}" if what else "")
    ax.set_title(text, fontsize=PANEL_TITLE_SIZE + 1, fontweight="bold", loc="left", pad=3)


def _legend(fig: Figure, entries: list[tuple], events: list | None = None, ncols: int = 3) -> None:
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


# --------------------------------------------------------------------------------------------
# Interventions and demand shocks, marked on time axes
# --------------------------------------------------------------------------------------------


@dataclass
class Event:
    """Something that happens on a date: an intervention or a change in demand."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp | None  # shaded window (outsourcing)
    districts: frozenset[str]  # the districts it touches
    teams: frozenset[str]
    demand: bool  # a demand shock or criteria change (dotted) rather than an intervention
    colour: str = GREY
    drawn: tuple | str = ""  # the line style on the panels (set by `_events`)
    owners: frozenset[str] = frozenset()  # slugs of the options that have it
    number: int = 0  # its tag where events are drawn in grey

    @property
    def style(self) -> tuple:
        """Dotted for demand, dashed for interventions (as in the legend)."""
        return (0, (1, 1.5)) if self.demand else (0, (4, 2))


def _event_areas(
    scenario, districts: Iterable[str] | None = None, teams: Iterable[str] | None = None
) -> tuple[frozenset[str], frozenset[str]]:
    team_of = {d: spec.team for d, spec in scenario.districts.items()}
    if teams is not None:
        chosen_teams = set(scenario.teams) if "all" in teams else set(teams)
        chosen = {d for d, t in team_of.items() if t in chosen_teams}
    else:
        names = list(districts or ["all"])
        chosen = set(team_of) if "all" in names else set(names)
        chosen_teams = {team_of[d] for d in chosen if d in team_of}
    return frozenset(chosen), frozenset(chosen_teams)


def _in(names: frozenset[str], everything: Iterable[str]) -> str:
    everything = set(everything)
    if names >= everything:
        return "all districts"
    return ", ".join(sorted(names))


def _scenario_events(run: ScenarioResult) -> list[Event]:
    sc = run.scenario
    events = []
    for iv in sc.interventions:
        start = pd.Timestamp(iv.from_date)
        if iv.kind == "outsourced_assessments":
            where = _event_areas(sc, districts=iv.districts)
            label = (
                f"{iv.name}: {iv.assessments:,} outsourced assessments, "
                f"{_date(iv.from_date)} to {_date(iv.until_date)}"
            )
            events.append(Event(label, start, pd.Timestamp(iv.until_date), *where, False))
        elif iv.kind == "funding":
            where = _event_areas(sc, teams=iv.teams)
            label = (
                f"{iv.name}: £{iv.budget_gbp:,.0f} from {_date(iv.from_date)} "
                f"(staff start after {iv.recruitment_lag_weeks:g} weeks)"
            )
            events.append(Event(label, start, None, *where, False))
        else:  # staff_change
            where = _event_areas(sc, teams=[iv.team])
            label = (
                f"{iv.name}: {_signed(iv.wte, 1)} WTE {_profession(iv.profession).lower()} "
                f"({iv.team} team) from {_date(iv.from_date)}"
            )
            events.append(Event(label, start, None, *where, False))
    for shock in sc.demand.shocks:
        where = _event_areas(sc, districts=shock.districts)
        until = f" to {_date(shock.until_date)}" if shock.until_date else ""
        label = (
            f"{shock.name}: referrals ×{shock.multiplier:g} in {_in(where[0], sc.districts)} "
            f"from {_date(shock.from_date)}{until}"
        )
        events.append(Event(label, pd.Timestamp(shock.from_date), None, *where, True))
    for change in sc.demand.criteria_changes:
        where = _event_areas(sc, districts=change.districts)
        label = (
            f"{change.name}: triage acceptance ×{change.accept_multiplier:g} in "
            f"{_in(where[0], sc.districts)} from {_date(change.from_date)}"
        )
        events.append(Event(label, pd.Timestamp(change.from_date), None, *where, True))
    return events


def _events(data: ReportData) -> list[Event]:
    """Every scenario's events, each once; coloured by the option it belongs to.

    An event shared by every option (inherited from the base) is grey; in a single run, each
    event gets its own colour (none of them the data's blue).
    """
    found: dict[tuple, tuple[Event, list[int]]] = {}
    for i, run in enumerate(data.scenarios):
        for ev in _scenario_events(run):
            key = (ev.label, ev.start, ev.end)
            if key in found:
                found[key][1].append(i)
            else:
                found[key] = (ev, [i])
    events = []
    n = len(data.scenarios)
    for k, (ev, owners) in enumerate(sorted(found.values(), key=lambda e: e[0].start)):
        ev.number = k + 1
        ev.owners = frozenset(data.scenarios[i].slug for i in owners)
        if n == 1:
            ev.colour = EVENT_COLOURS[k % len(EVENT_COLOURS)]
        elif len(owners) == n:
            ev.label += " (all options)"
        else:
            ev.colour = SERIES[owners[0] % len(SERIES)]
            names = ", ".join(data.scenarios[i].label for i in owners)
            ev.label += f" [{names}]"
        events.append(ev)
    # Events on the same date would hide one another: their dashes take turns instead.
    for start in {ev.start for ev in events}:
        same = [ev for ev in events if ev.start == start]
        for k, ev in enumerate(same):
            ev.drawn = ev.style if len(same) == 1 else (3 * k, (3, 3 * (len(same) - 1)))
    return events


def _mark(
    ax: Axes,
    events: list[Event],
    district: str | None = None,
    team: str | None = None,
    option: str | None = None,
    grey: bool = False,
) -> None:
    """Draw the events that touch this panel (its district, team or option; all by default).

    `grey` draws them in grey, each tagged with its number (for figures whose colours already
    stand for something else).
    """
    tagged: dict[pd.Timestamp, int] = {}
    for ev in events:
        if option is not None and option not in ev.owners:
            continue
        if district is not None and district not in ev.districts:
            continue
        if team is not None and team not in ev.teams:
            continue
        colour = EVENT_GREY if grey else ev.colour
        ax.axvline(ev.start, color=colour, linestyle=ev.drawn, linewidth=1.2, zorder=1.5)
        if ev.end is not None:
            ax.axvspan(ev.start, ev.end, color=colour, alpha=0.08, linewidth=0, zorder=0.5)
        if grey:  # events on one date stack their tags downwards
            row = tagged.get(ev.start, 0)
            tagged[ev.start] = row + 1
            ax.annotate(
                str(ev.number),
                xy=(ev.start, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2 - 8 * row),
                textcoords="offset points",
                fontsize=NOTE_SIZE - 1,
                color=EVENT_GREY,
                ha="left",
                va="top",
            )


def _event_handles(events: list[Event], grey: bool = False) -> list:
    handles = []
    for ev in events:
        line = Line2D(
            [], [], color=EVENT_GREY if grey else ev.colour, linestyle=ev.style, linewidth=1.2
        )
        label = f"{ev.number}: {ev.label}" if grey else ev.label
        handles.append((line, _wrap(label, 58)))
    return handles


def _event_note(events: list[Event]) -> str:
    return " Vertical lines: interventions (dashed) and demand changes (dotted)." if events else ""


# --------------------------------------------------------------------------------------------
# Fan chart of the open waiting list
# --------------------------------------------------------------------------------------------


def open_list_bands(run: ScenarioResult, column: str = "open_referrals") -> dict[str, pd.DataFrame]:
    """Per area (each district and 'county'): quantiles across replications of a weekly stock.

    Rows are dates at the END of each week (stocks are counted then); columns are the
    quantiles 0.05, 0.25, 0.5, 0.75 and 0.95.
    """
    weekly = run.weekly
    out = {}
    county = weekly.groupby(["week_start", "replication"])[column].sum().unstack()
    out["county"] = _quantiles(county)
    for district, part in weekly.groupby("district", sort=False):
        out[str(district)] = _quantiles(
            part.pivot(index="week_start", columns="replication", values=column)
        )
    for frame in out.values():
        frame.index = pd.DatetimeIndex(frame.index) + pd.Timedelta(days=7)
        frame.index.name = "week_end"
    return out


def _fan(ax: Axes, bands: pd.DataFrame, colour: str, inner: bool, lw: float = 1.4) -> None:
    x = bands.index
    ax.fill_between(x, bands[0.05], bands[0.95], color=colour, alpha=0.15, linewidth=0)
    if inner:
        ax.fill_between(x, bands[0.25], bands[0.75], color=colour, alpha=0.3, linewidth=0)
    ax.plot(x, bands[0.5], color=colour, linewidth=lw)


def fan_chart(data: ReportData) -> Figure:
    """The open waiting list over time, county and each district, with intervention dates."""
    districts = _districts(data)
    colours = _colours(data)
    events = _events(data)
    single = data.kind != "comparison"
    keys = 3 if single else len(data.scenarios)
    fig = _figure(_grid_height(districts, 2.5) + _legend_height(keys, events))
    county, panels = _area_grid(fig, districts, county_height=1.7)
    for run in data.scenarios:
        bands = open_list_bands(run)
        colour = colours[run.slug]
        _fan(county, bands["county"], colour, single, lw=1.8)
        for name, ax in panels.items():
            _fan(ax, bands[name], colour, single, lw=1.1)
    _mark(county, events)
    for name, ax in panels.items():
        _mark(ax, events, district=name)
    _county_title(county, data)
    _date_axis(county, data, maxticks=10)
    _thousands(county)
    county.set_ylim(bottom=0)
    county.set_ylabel("open referrals\n(children)", fontsize=LABEL_SIZE)
    for i, ax in enumerate(panels.values()):
        _date_axis(ax, data, maxticks=4)
        _thousands(ax)
        if i % COLUMNS == 0:
            ax.set_ylabel("children", fontsize=LABEL_SIZE)
    first = next(iter(panels.values()))
    first.set_ylim(bottom=0)
    for ax in list(panels.values())[-min(COLUMNS, len(panels)) :]:
        ax.set_xlabel("end of week", fontsize=LABEL_SIZE)
    reps = _reps(data.base)
    subtitle = (
        f"{_period(data.base)}; end of each week. Line: median of {reps} replications; "
        + ("bands: 50% and 90% of replications." if single else "band: 90% of replications.")
        + _event_note(events)
        + " District panels share one scale."
    )
    _title(fig, f"Open referrals (the waiting list, at any stage): {_where(data)}", subtitle)
    if single:
        colour = colours[data.base.slug]
        handles = [
            (Line2D([], [], color=colour, linewidth=1.8), "median"),
            (Patch(color=colour, alpha=0.45), "50% of replications"),
            (Patch(color=colour, alpha=0.15), "90% of replications"),
        ]
    else:
        handles = _scenario_handles(data, colours)
    _legend(fig, handles, _event_handles(events), ncols=1 if events else 3)
    _place_subtitle(fig)
    return fig


def _scenario_handles(data: ReportData, colours: dict[str, str], band: bool = True) -> list:
    entries = []
    for i, run in enumerate(data.scenarios):
        label = run.label + (" (base)" if i == 0 else "")
        line = Line2D([], [], color=colours[run.slug], linewidth=1.6)
        if band:
            entries.append(((Patch(color=colours[run.slug], alpha=0.2, linewidth=0), line), label))
        else:
            entries.append((line, label))
    return entries


# --------------------------------------------------------------------------------------------
# Waits by referral month (Kaplan–Meier)
# --------------------------------------------------------------------------------------------


def first_wait_durations(run: ScenarioResult) -> pd.DataFrame:
    """Each child referred during the run: weeks to first appointment or to censoring.

    Columns: replication, district, month (first day of the referral month), weeks, seen.
    A child never seen is censored when they left the list unseen (`exit_date`) or, if still
    waiting, at the end of the run.
    """
    c = run.children
    c = c[c["start_stage"] == "new"]
    referral = pd.to_datetime(c["referral_date"])
    first = pd.to_datetime(c["first_appointment_date"])
    exit_ = pd.to_datetime(c["exit_date"])
    seen = first.notna()
    stop = first.where(seen, exit_.fillna(run.end_date))
    weeks = (stop - referral).dt.days.to_numpy(float) / 7.0
    return pd.DataFrame(
        {
            "replication": c["replication"].to_numpy(),
            "district": c["district"].astype(str).to_numpy(),
            "month": referral.dt.to_period("M").dt.to_timestamp().to_numpy(),
            "weeks": np.maximum(weeks, 0.0),
            "seen": seen.to_numpy(),
        }
    )


def referral_month_waits(run: ScenarioResult, district: str | None = None) -> pd.DataFrame:
    """Kaplan–Meier median and P90 weeks to first appointment by month of referral.

    Pooled over replications. Columns: month, children, median, median_reached, p90,
    p90_reached; where a quantile is not reached its value is the longest follow-up, an
    "at least" figure.
    """
    table = first_wait_durations(run)
    if district is not None:
        table = table[table["district"] == district]
    return _km_by_month(table)


def _km_by_month(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for month, part in table.groupby("month", sort=True):
        weeks, seen = part["weeks"].to_numpy(), part["seen"].to_numpy()
        median, median_reached = km_quantile(weeks, seen, 0.5)
        p90, p90_reached = km_quantile(weeks, seen, 0.9)
        rows.append((month, len(part), median, median_reached, p90, p90_reached))
    columns = ["month", "children", "median", "median_reached", "p90", "p90_reached"]
    return pd.DataFrame(rows, columns=columns)


def _km_series(ax: Axes, km: pd.DataFrame, colour: str, slug: str, area: str, small: bool):
    """Median (solid, dots) and P90 (dashed, squares); open triangles where not reached."""
    x = km["month"] + pd.Timedelta(days=14)  # the middle of the month
    size = 2.6 if small else 3.6
    for q, style, marker in (("median", "-", "o"), ("p90", (0, (3, 1.5)), "s")):
        reached = km[f"{q}_reached"].to_numpy(bool)
        y = km[q].to_numpy(float)
        ax.plot(
            x,
            np.where(reached, y, np.nan),
            color=colour,
            linestyle=style,
            linewidth=0.9 if small else 1.3,
            marker="none" if small else marker,
            markersize=size * (0.8 if q == "p90" else 1.0),
            gid=f"km:{q}:{slug}:{area}",
        )
        # Where both quantiles are unreached they share one "at least" value: one triangle.
        unseen = ~reached if q == "median" else ~reached & km["median_reached"].to_numpy(bool)
        ax.plot(
            x[unseen],
            y[unseen],
            linestyle="none",
            marker="^",
            markersize=size * (1.1 if small else 1.3),
            markerfacecolor="white",
            markeredgecolor=colour,
            markeredgewidth=0.9,
            gid=f"km:{q}-at-least:{slug}:{area}",
        )


def _unknown_span(ax: Axes, tables: list[pd.DataFrame], data: ReportData) -> None:
    """Shade the referral months whose median is not known yet (every later one unreached)."""
    starts = []
    for km in tables:
        reached = km["median_reached"].to_numpy(bool)
        if len(km) and not reached[-1]:
            last = np.flatnonzero(reached)
            starts.append(km["month"].iloc[last[-1] + 1 if last.size else 0])
    if not starts:
        return
    start = min(starts)
    ax.axvspan(start, data.base.end_date, color="#d9d9d9", alpha=0.35, linewidth=0, zorder=0.4)
    ax.annotate(
        "median not known yet:\nmost still waiting at the end",
        xy=(start, 0.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, 3),
        textcoords="offset points",
        fontsize=NOTE_SIZE - 0.5,
        color="#444444",
        ha="left",
        va="bottom",
        bbox={"boxstyle": "square,pad=0.15", "fc": "#ececec", "ec": "none", "alpha": 0.9},
        zorder=4,
    )


def _nice_line(ax: Axes, label: bool) -> None:
    ax.axhline(NICE_WEEKS, color=OKABE_ITO["black"], linestyle=(0, (5, 3)), linewidth=0.9)
    if label:
        ax.annotate(
            "NICE QS51: 3 months",
            xy=(0.0, NICE_WEEKS),
            xycoords=("axes fraction", "data"),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=NOTE_SIZE,
            va="bottom",
            bbox={"boxstyle": "square,pad=0.1", "fc": "#f7f7f7", "ec": "none", "alpha": 0.9},
        )


def _km_handles(data: ReportData, colours: dict[str, str]) -> list:
    handles = []
    if data.kind == "comparison":
        handles += _scenario_handles(data, colours, band=False)
    ink = colours[data.base.slug] if data.kind != "comparison" else GREY
    handles += [
        (Line2D([], [], color=ink, marker="o", markersize=3.6), "median (Kaplan–Meier)"),
        (
            Line2D([], [], color=ink, marker="s", markersize=2.9, linestyle=(0, (3, 1.5))),
            "90th percentile (Kaplan–Meier)",
        ),
        (
            Line2D(
                [],
                [],
                color=ink,
                marker="^",
                markersize=4.7,
                linestyle="none",
                markerfacecolor="white",
            ),
            "not reached by the end: at least this long",
        ),
        (
            Line2D([], [], color="black", linestyle=(0, (5, 3)), linewidth=0.9),
            "NICE QS51: assessment to start within 3 months (13 weeks)",
        ),
    ]
    return handles


def _km_subtitle(data: ReportData) -> str:
    reps = _reps(data.base)
    return (
        f"Children referred {_period(data.base)}, pooled over {reps} replications. Children who "
        "left unseen or were still waiting at the end are censored (Kaplan–Meier), so late "
        "months show 'at least' values."
    )


def waits_by_referral_month(data: ReportData) -> Figure:
    """County: KM median and P90 weeks from referral to first appointment, by referral month."""
    colours = _colours(data)
    events = _events(data)
    keys = 4 + (len(data.scenarios) if data.kind == "comparison" else 0)
    fig = _figure(4.6 + _legend_height(keys / 2 if not events else keys, events))
    ax = fig.add_subplot()
    _style(ax)
    _emphasise(ax)
    tables = []
    for run in data.scenarios:
        km = _km_by_month(first_wait_durations(run))
        _km_series(ax, km, colours[run.slug], run.slug, "county", small=False)
        tables.append(km)
    _unknown_span(ax, tables, data)
    _mark(ax, events)
    _nice_line(ax, label=True)
    _county_title(ax, data)
    _date_axis(ax, data, maxticks=12)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("month of referral", fontsize=LABEL_SIZE)
    ax.set_ylabel("weeks from referral to first appointment", fontsize=LABEL_SIZE)
    _title(
        fig,
        f"Waits for a first appointment by month of referral: {_where(data)}",
        _km_subtitle(data) + _event_note(events),
    )
    _legend(fig, _km_handles(data, colours), _event_handles(events), ncols=1 if events else 2)
    _place_subtitle(fig)
    return fig


def waits_by_referral_month_districts(data: ReportData) -> Figure:
    """The same as `waits_by_referral_month`, with a panel per district."""
    colours = _colours(data)
    events = _events(data)
    districts = _districts(data)
    keys = 4 + (len(data.scenarios) if data.kind == "comparison" else 0)
    legend = _legend_height(keys / 2 if not events else keys, events)
    fig = _figure(_grid_height(districts, 2.6) + legend)
    county, panels = _area_grid(fig, districts, county_height=1.6)
    tables: list[pd.DataFrame] = []
    for run in data.scenarios:
        table = first_wait_durations(run)
        colour = colours[run.slug]
        km = _km_by_month(table)
        _km_series(county, km, colour, run.slug, "county", small=False)
        tables.append(km)
        for name, ax in panels.items():
            km = _km_by_month(table[table["district"] == name])
            _km_series(ax, km, colour, run.slug, name, small=True)
    _unknown_span(county, tables, data)
    _mark(county, events)
    _nice_line(county, label=True)
    _county_title(county, data)
    _date_axis(county, data, maxticks=10)
    county.set_ylim(bottom=0)
    county.set_ylabel("weeks to first\nappointment", fontsize=LABEL_SIZE)
    for i, (name, ax) in enumerate(panels.items()):
        _mark(ax, events, district=name)
        _nice_line(ax, label=False)
        _date_axis(ax, data, maxticks=4)
        if i % COLUMNS == 0:
            ax.set_ylabel("weeks", fontsize=LABEL_SIZE)
    next(iter(panels.values())).set_ylim(bottom=0)
    for ax in list(panels.values())[-min(COLUMNS, len(panels)) :]:
        ax.set_xlabel("month of referral", fontsize=LABEL_SIZE)
    _title(
        fig,
        f"Waits for a first appointment by month of referral, by district: {_where(data)}",
        _km_subtitle(data) + _event_note(events) + " District panels share one scale.",
    )
    _legend(fig, _km_handles(data, colours), _event_handles(events), ncols=1 if events else 2)
    _place_subtitle(fig)
    return fig


# --------------------------------------------------------------------------------------------
# % within 13 weeks, and the long waiters
# --------------------------------------------------------------------------------------------


def within_13_weeks_by_month(run: ScenarioResult) -> pd.DataFrame:
    """% of each month's referrals first seen within 13 weeks, per replication (county).

    The NICE QS51 cohort of `referred_seen_within_13w_pct`: children referred during the run
    at least 13 weeks before its end and not signposted at triage; children who left unseen
    count as not seen. Rows: month of referral; columns: replications.
    """
    c = run.children
    referral = pd.to_datetime(c["referral_date"])
    keep = (
        (c["start_stage"] == "new")
        & (referral <= run.end_date - pd.Timedelta(weeks=NICE_WEEKS))
        & (c["triage_result"] != "signposted")
    ).to_numpy()
    c, referral = c[keep], referral[keep]
    first = pd.to_datetime(c["first_appointment_date"])
    in_time = ((first - referral).dt.days <= 7 * NICE_WEEKS).to_numpy()  # NaT compares False
    frame = pd.DataFrame(
        {
            "month": referral.dt.to_period("M").dt.to_timestamp().to_numpy(),
            "replication": c["replication"].to_numpy(),
            "in_time": in_time,
        }
    )
    pct = frame.groupby(["month", "replication"])["in_time"].mean().unstack() * 100.0
    return pct


def within_13_weeks(data: ReportData) -> Figure:
    """% of each month's referrals seen within 13 weeks; open referrals waiting 13/52/104+."""
    colours = _colours(data)
    events = _events(data)
    single = data.kind != "comparison"
    keys = 3 if single else len(data.scenarios)
    fig = _figure(7.0 + _legend_height(keys if events else 1, events))
    if single:
        grid = fig.add_gridspec(2, 1, height_ratios=[1.0, 1.1])
        top = fig.add_subplot(grid[0])
        bottom = [fig.add_subplot(grid[1])]
    else:
        grid = fig.add_gridspec(2, 3, height_ratios=[1.1, 1.0])
        top = fig.add_subplot(grid[0, :])
        bottom = [fig.add_subplot(grid[1, 0])]
        bottom += [fig.add_subplot(grid[1, i], sharex=bottom[0]) for i in (1, 2)]
    for ax in [top, *bottom]:
        _style(ax)
    highest = 0.0
    band_keys: list[tuple] = []  # the long-waiter bands, for a single run
    for run in data.scenarios:
        pct = within_13_weeks_by_month(run)
        bands = _quantiles(pct)
        highest = max(highest, float(np.nan_to_num(bands[0.95].max())))
        bands.index = bands.index + pd.Timedelta(days=14)
        _fan(top, bands, colours[run.slug], inner=False, lw=1.5)
        top.plot(
            bands.index,
            bands[0.5],
            linestyle="none",
            marker="o",
            markersize=2.5,
            color=colours[run.slug],
        )
    _mark(top, events)
    # From 0, up to a little above the highest band (not to 100%: options would be unreadable).
    top.set_ylim(0, min(100.0, max(10.0, math.ceil(highest * 1.15 / 5) * 5)))
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    top.set_ylabel("% first seen\nwithin 13 weeks", fontsize=LABEL_SIZE)
    top.set_xlabel("month of referral", fontsize=LABEL_SIZE)
    top.set_title(
        "County: % of each month's referrals first seen within 13 weeks of referral",
        fontsize=PANEL_TITLE_SIZE + 0.5,
        fontweight="bold",
        loc="left",
        pad=3,
    )
    _date_axis(top, data, maxticks=12)
    bands_cols = [("open_13w_plus", "13"), ("open_52w_plus", "52"), ("open_104w_plus", "104")]
    if single:
        ax = bottom[0]
        band_colours = [OKABE_ITO["sky_blue"], OKABE_ITO["blue"], OKABE_ITO["black"]]
        for (column, weeks), colour in zip(bands_cols, band_colours, strict=True):
            _fan(ax, open_list_bands(data.base, column)["county"], colour, inner=False)
            band_keys.append((Line2D([], [], color=colour, linewidth=1.6), f"open ≥{weeks} weeks"))
        _mark(ax, events)
        ax.set_title(
            "County: open referrals by weeks waited so far (13+, 52+ and 104+)",
            fontsize=PANEL_TITLE_SIZE + 0.5,
            fontweight="bold",
            loc="left",
            pad=3,
        )
        ax.set_ylabel("open referrals\n(children)", fontsize=LABEL_SIZE)
        ax.set_xlabel("end of week", fontsize=LABEL_SIZE)
        _thousands(ax)
        ax.set_ylim(bottom=0)
        _date_axis(ax, data, maxticks=12)
    else:
        for ax, (column, weeks) in zip(bottom, bands_cols, strict=True):
            for run in data.scenarios:
                _fan(ax, open_list_bands(run, column)["county"], colours[run.slug], inner=False)
            _mark(ax, events)
            ax.set_title(
                f"Open, waiting {weeks}+ weeks",
                fontsize=PANEL_TITLE_SIZE,
                fontweight="bold",
                loc="left",
                pad=3,
            )
            ax.set_xlabel("end of week", fontsize=LABEL_SIZE)
            _thousands(ax)
            ax.set_ylim(bottom=0)
            _date_axis(ax, data, maxticks=4)
        bottom[0].set_ylabel("county: open referrals\n(children)", fontsize=LABEL_SIZE)
    reps = _reps(data.base)
    subtitle = (
        "NICE QS51: an autism assessment should start within 3 months (13 weeks) of referral. "
        f"{_period(data.base)}. Line: median of {reps} replications; band: 90% of replications. "
        "Top: children referred during the run at least 13 weeks before its end, not "
        "signposted; those who left unseen count as not seen." + _event_note(events)
    )
    _title(fig, f"Seen within 13 weeks, and the long waiters: {_where(data)}", subtitle)
    handles = band_keys if single else _scenario_handles(data, colours)
    _legend(fig, handles, _event_handles(events), ncols=1 if events else 3)
    _place_subtitle(fig)
    return fig


# --------------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------------


def _profession_colours(data: ReportData) -> dict[str, str]:
    names: list[str] = []
    for run in data.scenarios:
        for p in run.scenario.professions:
            if p not in names:
                names.append(p)
    return {p: SERIES[i % len(SERIES)] for i, p in enumerate(names)}


def staff_hours(run: ScenarioResult) -> pd.DataFrame:
    """Per team, profession and week: 13-week centred rolling means of the median over
    replications of hours available and used. Index: (team, profession, week_start)."""
    med = (
        run.staff_weekly.groupby(["team", "profession", "week_start"])[
            ["hours_available", "hours_used"]
        ]
        .median()
        .sort_index()
    )
    return med.groupby(level=["team", "profession"], group_keys=False).apply(
        lambda g: g.rolling(NICE_WEEKS, center=True, min_periods=1).mean()
    )


def _team_title(run: ScenarioResult, team: str, width: int) -> str:
    served = [d for d, spec in run.scenario.districts.items() if spec.team == team]
    return _wrap(f"{team.capitalize()} team: {', '.join(served)}", width)


def staff(data: ReportData) -> Figure:
    """Per team: profession-hours available (dashed) and used (solid) per week."""
    colours = _profession_colours(data)
    events = _events(data)
    teams = list(data.base.scenario.teams)
    runs = data.scenarios
    if len(runs) == 1:
        ncols = min(2, len(teams))
        nrows = math.ceil(len(teams) / ncols)
        fig = _figure(1.1 + 2.3 * nrows + _legend_height(4, events))
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        cells = [(runs[0], team, axes.flat[i]) for i, team in enumerate(teams)]
        for ax in axes.flat[len(teams) :]:
            ax.set_visible(False)
        width = 48
    else:
        nrows, ncols = len(teams), len(runs)
        fig = _figure(1.6 + 1.75 * nrows + _legend_height(4, events))
        axes = fig.subplots(nrows, ncols, sharex=True, sharey="row", squeeze=False)
        cells = [
            (run, team, axes[r, c]) for r, team in enumerate(teams) for c, run in enumerate(runs)
        ]
        width = 26
    used_professions: list[str] = []
    for run, team, ax in cells:
        _style(ax)
        hours = staff_hours(run)
        if team in hours.index.get_level_values("team"):
            for profession, part in hours.loc[team].groupby(level="profession", sort=False):
                x = part.index.get_level_values("week_start")
                colour = colours.get(profession, GREY)
                ax.plot(
                    x, part["hours_available"], color=colour, linestyle=(0, (4, 2)), linewidth=1.1
                )
                ax.plot(x, part["hours_used"], color=colour, linewidth=1.3)
                if profession not in used_professions:
                    used_professions.append(profession)
        _mark(ax, events, team=team, option=run.slug, grey=True)
        _date_axis(ax, data, maxticks=4 if len(runs) > 1 else 6)
        if len(runs) == 1:
            ax.set_title(_team_title(run, team, width), fontsize=PANEL_TITLE_SIZE, pad=2)
    for ax in axes.flat:
        ax.set_ylim(bottom=0)  # after every panel is drawn: the panels share y
    for ax in axes[:, 0]:
        ax.set_ylabel("hours per week", fontsize=LABEL_SIZE)
    if len(runs) > 1:
        for c, run in enumerate(runs):
            axes[0, c].set_title(
                _wrap(run.label, width), fontsize=PANEL_TITLE_SIZE, fontweight="bold", pad=3
            )
        for r, team in enumerate(teams):
            axes[r, -1].yaxis.set_label_position("right")
            axes[r, -1].set_ylabel(
                _wrap(f"{team} team", 12),
                fontsize=LABEL_SIZE,
                fontweight="bold",
                rotation=270,
                labelpad=10,
            )
            axes[r, 0].set_ylabel("hours per week", fontsize=LABEL_SIZE)
    for ax in axes[-1, :]:
        ax.set_xlabel("week", fontsize=LABEL_SIZE)
    subtitle = (
        f"{_period(data.base)}. Profession-hours on the pathway each week: available (dashed) "
        f"and used (solid), 13-week rolling means of the median over {_reps(data.base)} "
        "replications. Used hours include triage panels and slots lost to DNAs."
        + _event_note(events)
    )
    where = data.base.label if len(runs) == 1 else f"{len(runs)} options, by team"
    _title(fig, f"Staff hours available and used, by team and profession: {where}", subtitle)
    handles = [
        (Line2D([], [], color=colours[p], linewidth=1.6), _profession(p))
        for p in colours
        if p in used_professions
    ]
    handles += [
        (Line2D([], [], color=GREY, linestyle=(0, (4, 2)), linewidth=1.1), "available"),
        (Line2D([], [], color=GREY, linewidth=1.3), "used"),
    ]
    _legend(fig, handles, _event_handles(events, grey=True), ncols=2 if events else 4)
    _place_subtitle(fig)
    return fig


def utilisation(data: ReportData) -> Figure:
    """Utilisation % by team and profession over the whole run, with a 100% line."""
    colours = _profession_colours(data)
    runs = data.scenarios
    fig = _figure(1.3 + 1.75 * len(runs) if len(runs) > 1 else 4.2)
    axes = fig.subplots(len(runs), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    top = 100.0
    shown: list[str] = []
    for run, ax in zip(runs, axes, strict=True):
        _style(ax)
        ax.grid(False, axis="x")
        s = run.summary
        rows = s[s["kpi"].str.startswith("utilisation_pct.")].copy()
        rows["profession"] = rows["kpi"].str.removeprefix("utilisation_pct.")
        groups = [t for t in run.scenario.teams if t in set(rows["area"])] + ["county"]
        professions = [p for p in colours if p in set(rows["profession"])]
        width = 0.8 / max(len(professions), 1)
        for j, profession in enumerate(professions):
            part = rows[rows["profession"] == profession].set_index("area")
            xs, ys, lows, highs = [], [], [], []
            for g, group in enumerate(groups):
                if group not in part.index:
                    continue
                r = part.loc[group]
                xs.append(g - 0.4 + width * (j + 0.5))
                ys.append(r["mean"])
                lows.append(r["mean"] - r["ci95_low"] if pd.notna(r["ci95_low"]) else 0.0)
                highs.append(r["ci95_high"] - r["mean"] if pd.notna(r["ci95_high"]) else 0.0)
            ax.bar(
                xs,
                ys,
                width=width * 0.92,
                color=colours[profession],
                yerr=[lows, highs],
                error_kw={"elinewidth": 0.7, "capsize": 1.5},
            )
            top = max(top, *(np.add(ys, highs)), 0)
            if profession not in shown:
                shown.append(profession)
        ax.axhline(100, color="black", linewidth=0.9, linestyle=(0, (5, 3)))
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([_group_label(run, g) for g in groups], fontsize=TICK_SIZE)
        ax.set_ylabel("utilisation, %", fontsize=LABEL_SIZE)
        if len(runs) > 1:
            ax.set_title(
                run.label, fontsize=PANEL_TITLE_SIZE + 0.5, fontweight="bold", loc="left", pad=2
            )
    axes[0].set_ylim(0, max(110.0, top * 1.05))
    axes[-1].set_xlabel("team (districts served)", fontsize=LABEL_SIZE)
    subtitle = (
        f"{_period(data.base)}. Profession-hours used ÷ available over the whole run (triage "
        f"panels and slots lost to DNAs count as used); mean of {_reps(data.base)} "
        "replications with its 95% CI. Dashed line: 100%."
    )
    where = data.base.label if len(runs) == 1 else f"{len(runs)} options"
    _title(fig, f"Staff utilisation by team and profession: {where}", subtitle)
    handles = [(Patch(color=colours[p]), _profession(p)) for p in shown]
    _legend(fig, handles, ncols=min(len(handles), 6))
    _place_subtitle(fig)
    return fig


def _group_label(run: ScenarioResult, group: str) -> str:
    if group == "county":
        return "All teams\n(county)"
    served = [d for d, spec in run.scenario.districts.items() if spec.team == group]
    return f"{group.capitalize()} team\n({len(served)} district{'s' * (len(served) != 1)})"


# --------------------------------------------------------------------------------------------
# Comparisons: paired differences and cost against benefit
# --------------------------------------------------------------------------------------------


def _county_rows(data: ReportData, kpi: str) -> pd.DataFrame:
    table = data.comparison
    rows = table[(table["area_type"] == "county") & (table["kpi"] == kpi)]
    return rows.set_index("folder")


def paired_differences(data: ReportData) -> Figure:
    """Forest plot: each option's paired difference from the base on the key county KPIs."""
    colours = _colours(data)
    alternatives = data.scenarios[1:]
    kpis = list(KEY_KPIS)
    ncols = 2
    nrows = math.ceil((len(kpis) + 1) / ncols)
    fig = _figure(1.3 + nrows * (0.55 + 0.38 * len(alternatives)))
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    ys = np.arange(len(alternatives))[::-1]
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        title, unit, lower_better = KEY_KPIS[kpi]
        _style(ax)
        ax.grid(False, axis="y")
        rows = _county_rows(data, kpi)
        digits = 1 if unit in ("weeks", "percentage points") else 0
        notes = []
        for y, run in zip(ys, alternatives, strict=True):
            if run.slug not in rows.index:
                continue
            r = rows.loc[run.slug]
            d, lo, hi = r["diff_from_base"], r["diff_ci95_low"], r["diff_ci95_high"]
            lo = d if pd.isna(lo) else lo
            hi = d if pd.isna(hi) else hi
            ax.errorbar(
                d,
                y,
                xerr=[[max(d - lo, 0)], [max(hi - d, 0)]],
                fmt="o",
                color=colours[run.slug],
                markersize=4.5,
                elinewidth=1.4,
                capsize=3,
                gid=f"diff:{kpi}:{run.slug}",
            )
            text = f"{_signed(d, digits)} ({_signed(lo, digits)} to {_signed(hi, digits)})"
            notes.append((d, y, text))
        ax.axvline(0, color="black", linewidth=0.9)
        ax.set_title(
            _wrap(title, 34), fontsize=PANEL_TITLE_SIZE + 0.5, fontweight="bold", loc="left", pad=3
        )
        arrow = "◀ better" if lower_better else "better ▶"
        what = f"change from base, {unit}"
        ax.set_xlabel(
            f"{arrow}    {what}" if lower_better else f"{what}    {arrow}", fontsize=LABEL_SIZE
        )
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(FuncFormatter(_signed_tick))
        lo, hi = ax.get_xlim()
        span = max(abs(lo), abs(hi))
        lo, hi = min(lo, -0.1 * span) - 0.08 * span, max(hi, 0.1 * span) + 0.08 * span
        ax.set_xlim(lo, hi)
        for d, y, text in notes:  # the value and its CI above each point, kept inside
            where = (d - lo) / (hi - lo)
            ha = "left" if where < 0.3 else "right" if where > 0.7 else "center"
            dx = {"left": -6, "right": 6, "center": 0}[ha]
            ax.annotate(
                text,
                (d, y),
                xytext=(dx, 5),
                textcoords="offset points",
                ha=ha,
                va="bottom",
                fontsize=NOTE_SIZE - 0.5,
                color="#333333",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"},
            )
    for ax in axes.flat[len(kpis) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("option", fontsize=LABEL_SIZE)
        ax.set_yticks(ys)
        ax.set_yticklabels([_wrap(r.label, 24) for r in alternatives], fontsize=TICK_SIZE)
    ax = axes[:, 0][0]
    ax.set_ylim(-0.6, len(alternatives) - 0.4)
    reps = int(_county_rows(data, "first_wait_median_weeks")["replications"].max())
    base = data.base.label
    subtitle = (
        f"County, {_period(data.base)}. Point: mean over {reps} replications of each option "
        f"minus '{base}', replication by replication (common random numbers); bars: paired 95% "
        "CI. An interval that crosses zero means no clear difference."
    )
    _title(fig, f"What each option changes, against '{base}'", subtitle)
    _place_subtitle(fig)
    return fig


def cost_benefit(data: ReportData) -> Figure:
    """Added cost (£) against weeks of county median wait saved, one labelled point per option."""
    colours = _colours(data)
    cost = _county_rows(data, "intervention_cost_gbp")
    wait = _county_rows(data, "first_wait_median_weeks")
    ratio = _county_rows(data, "cost_per_week_of_median_wait_saved_gbp")
    fig = _figure(5.0)
    ax = fig.add_subplot()
    _style(ax)
    points = []
    for i, run in enumerate(data.scenarios):
        if run.slug not in cost.index or run.slug not in wait.index:
            continue
        x = float(cost.loc[run.slug, "diff_from_base"])
        w = wait.loc[run.slug]
        y = -float(w["diff_from_base"])
        lo = -float(w["diff_ci95_high"]) if pd.notna(w["diff_ci95_high"]) else y
        hi = -float(w["diff_ci95_low"]) if pd.notna(w["diff_ci95_low"]) else y
        ax.errorbar(
            x,
            y,
            yerr=[[max(y - lo, 0)], [max(hi - y, 0)]],
            fmt="o" if i else "D",
            color=colours[run.slug],
            markersize=6,
            elinewidth=1.4,
            capsize=3,
            gid=f"cost:{run.slug}",
            zorder=3,
        )
        label = _wrap(run.label + (" (base)" if i == 0 else ""), 30)
        per_week = ratio["mean"].get(run.slug, np.nan) if i else np.nan
        if x > 0 and lo > 0 and pd.notna(per_week):  # a cost, and a saving clear of zero
            label += f"\n£{per_week:,.0f} per week saved"
        elif i and lo <= 0 <= hi:
            label += "\nno clear change in the median wait"
        points.append((x, y, label, colours[run.slug]))
    ax.axhline(0, color="black", linewidth=0.9)
    ax.axvline(0, color=GREY, linewidth=0.6)
    _thousands(ax, "x")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"£{v:,.0f}"))
    ax.set_xlabel(
        "added cost against the base over the run (£): staff and outsourcing", fontsize=LABEL_SIZE
    )
    ax.set_ylabel("weeks of median wait saved\n(higher is better)", fontsize=LABEL_SIZE)
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    xspan = max(max(xs) - min(xs), 1.0)
    yspan = max(max(ys) - min(ys), 1.0)
    ax.set_xlim(min(xs) - 0.1 * xspan, max(xs) + 0.45 * xspan)
    ax.set_ylim(min(min(ys), 0) - 0.15 * yspan, max(ys) + 0.2 * yspan)
    _label_points(fig, ax, points)
    reps = int(wait["replications"].max())
    subtitle = (
        f"County, {_period(data.base)}. Weeks saved: fall in the median wait to a first "
        f"appointment against '{data.base.label}', paired over {reps} replications, with its "
        "95% CI. Up and to the left is better value."
    )
    _title(fig, f"Cost against benefit: {_where(data)}", subtitle)
    _place_subtitle(fig)
    return fig


def _label_points(fig: Figure, ax: Axes, points: list[tuple]) -> None:
    """Label each point beside it, trying positions until the label overlaps nothing placed."""
    renderer = fig.canvas.get_renderer()
    placed = []
    offsets = [
        (8, 4, "left", "bottom"),
        (8, -4, "left", "top"),
        (-8, 4, "right", "bottom"),
        (-8, -4, "right", "top"),
        (8, 22, "left", "bottom"),
        (8, -22, "left", "top"),
        (-8, 22, "right", "bottom"),
        (-8, -22, "right", "top"),
    ]
    for x, y, label, colour in sorted(points, key=lambda p: -p[1]):
        for dx, dy, ha, va in offsets:
            text = ax.annotate(
                label,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=NOTE_SIZE + 0.5,
                color="black",
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "fc": "white",
                    "ec": colour,
                    "lw": 0.8,
                    "alpha": 0.9,
                },
            )
            box = text.get_window_extent(renderer)
            inside = ax.get_window_extent(renderer)
            fits = (
                box.x0 >= inside.x0
                and box.x1 <= inside.x1
                and box.y0 >= inside.y0
                and box.y1 <= inside.y1
            )
            if fits and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
        else:
            text = ax.annotate(
                label, (x, y), xytext=(8, 4), textcoords="offset points", fontsize=NOTE_SIZE + 0.5
            )
            placed.append(text.get_window_extent(renderer))
