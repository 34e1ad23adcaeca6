"""The report's figures, drawn from a results folder read back by `load_report_data`.

Every function takes a `ReportData` and returns a `matplotlib.figure.Figure`. Figures are built
as `Figure` objects on an Agg canvas, never through pyplot, so nothing global is created or
left open and no rcParams are changed. They are sized for an A4 page (7.5 inches wide), use
the Okabe–Ito colour-blind-safe palette, put dates on every time axis, and show districts as
small multiples under an emphasised county panel so that 12 districts never overlap. Each
figure lives in the module named after what it shows; the shared look is in `style`, the
event markers in `events`; this package lists them (`figures_for`) and saves them (`save`).
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from nd_sim.report.data import ReportData
from nd_sim.report.figures.comparison import KEY_KPIS, cost_benefit, paired_differences
from nd_sim.report.figures.districts import districts_side_by_side
from nd_sim.report.figures.events import Event
from nd_sim.report.figures.over_time import difference_over_time  # financial years
from nd_sim.report.figures.staffing import staff, staff_hours, utilisation
from nd_sim.report.figures.style import (
    COLUMNS,
    DPI,
    EVENT_COLOURS,
    EVENT_GREY,
    GREY,
    LABEL_SIZE,
    NICE_WEEKS,
    NOTE_SIZE,
    OKABE_ITO,
    PANEL_TITLE_SIZE,
    SERIES,
    SUBTITLE_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    WIDTH,
    save,
)
from nd_sim.report.figures.sweep import sweep_figure
from nd_sim.report.figures.waiting_list import fan_chart, open_list_bands
from nd_sim.report.figures.waits import (
    first_wait_durations,
    referral_month_waits,
    waits_by_referral_month,
    waits_by_referral_month_districts,
)
from nd_sim.report.figures.within_13w import within_13_weeks, within_13_weeks_by_month

__all__ = [
    "COLUMNS",
    "DPI",
    "EVENT_COLOURS",
    "EVENT_GREY",
    "GREY",
    "KEY_KPIS",
    "LABEL_SIZE",
    "NICE_WEEKS",
    "NOTE_SIZE",
    "OKABE_ITO",
    "PANEL_TITLE_SIZE",
    "SERIES",
    "SUBTITLE_SIZE",
    "TICK_SIZE",
    "TITLE_SIZE",
    "WIDTH",
    "Event",
    "cost_benefit",
    "difference_over_time",
    "districts_side_by_side",
    "fan_chart",
    "figures_for",
    "first_wait_durations",
    "makers_for",
    "open_list_bands",
    "paired_differences",
    "referral_month_waits",
    "save",
    "staff",
    "staff_hours",
    "sweep_figure",
    "utilisation",
    "waits_by_referral_month",
    "waits_by_referral_month_districts",
    "within_13_weeks",
    "within_13_weeks_by_month",
]


def figures_for(data: ReportData) -> dict[str, Figure]:
    """Every figure that applies to the data: a run's, plus the comparison ones."""
    return {name: make(data) for name, make in makers_for(data).items()}


def makers_for(data: ReportData) -> dict[str, Callable[[ReportData], Figure]]:
    """The function that draws each figure that applies to the data, in report order."""
    makers: dict[str, Callable[[ReportData], Figure]] = {"fan_chart": fan_chart}
    if all((run.folder / "children.parquet").exists() for run in data.scenarios):
        # drawn from the per-child rows, which a run may have been told not to write
        makers["waits_by_referral_month"] = waits_by_referral_month
        makers["waits_by_referral_month_districts"] = waits_by_referral_month_districts
        makers["within_13_weeks"] = within_13_weeks
    makers["staff"] = staff
    makers["utilisation"] = utilisation
    if data.kind == "comparison" and data.comparison is not None:
        makers["paired_differences"] = paired_differences
        makers["cost_benefit"] = cost_benefit
        makers["difference_over_time"] = difference_over_time  # financial years
        makers["districts_side_by_side"] = districts_side_by_side
    return makers
