"""`nd-sim report`: the HTML report and figures of a results folder."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import (
    console,
    fail,
)
from nd_sim.errors import ScenarioError
from nd_sim.experiments.sweep import write_sweep_figures


def report_command(
    folder: Path = typer.Argument(
        ..., help="A folder written by `nd-sim run`, `nd-sim compare` or `nd-sim sweep`."
    ),
) -> None:
    """Write report.html (self-contained, prints on A4) and figures/ into a results folder
    (for a sweep folder: the headline KPIs across the grid, in figures/)."""
    write_report_into(folder)


def write_report_into(folder: Path) -> None:
    from nd_sim.report.html import write_report  # matplotlib is only needed here

    keys = _sweep_keys(folder)
    if keys is not None:  # a sweep's report is its figures across the grid
        try:
            paths = write_sweep_figures(folder, keys)
        except ScenarioError as exc:
            raise fail(exc) from None
        console.print(f"figures: {escape(', '.join(str(p) for p in paths))}", highlight=False)
        return
    existed = (folder / "report.html").exists()
    try:
        with console.status("drawing the figures and writing the report"):
            path = write_report(folder)
    except ScenarioError as exc:
        raise fail(exc) from None
    note = " (replacing the previous report, built from the same results)" if existed else ""
    console.print(f"report: [bold]{escape(str(path))}[/]{note}")


def _sweep_keys(folder: Path) -> list[str] | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest.get("keys", []) if manifest.get("kind") == "sweep" else None
