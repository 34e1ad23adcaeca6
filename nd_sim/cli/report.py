"""`nd-sim report`: the HTML report and figures of a results folder."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import (
    console,
    fail,
)
from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.sweep import write_sweep_figures
from nd_sim.report.data import read_manifest


def report_command(
    folder: Path = typer.Argument(
        ..., help="A folder written by `nd-sim run`, `nd-sim compare` or `nd-sim sweep`."
    ),
) -> None:
    """Write report.html (self-contained, prints on A4) and figures/ into a results folder
    (for a sweep folder: the headline KPIs across the grid, in figures/)."""
    write_report_into(folder)


def write_report_into(folder: Path) -> None:
    """Draw a folder's report (or a sweep's figures); bad folders exit 2."""
    from nd_sim.report.html import write_report  # matplotlib is only needed here

    try:
        manifest = read_manifest(folder)
        if manifest.get("kind") == "sweep":  # a sweep's report is its figures across the grid
            keys = manifest.get("keys", [])
            if not isinstance(keys, list):
                rule = "a sweep's manifest holds its keys as a list"
                raise ScenarioError(str(folder), [Problem("manifest.json", keys, rule)])
            paths = write_sweep_figures(folder, keys)
            shown = ", ".join(str(p) for p in paths)
            console.print(f"figures: {escape(shown)}", highlight=False)
            return
        existed = (folder / "report.html").exists()
        with console.status("drawing the figures and writing the report"):
            path = write_report(folder, jobs=min(2, os.cpu_count() or 1))
    except ScenarioError as exc:
        raise fail(exc) from None
    note = " (replacing the previous report, built from the same results)" if existed else ""
    console.print(f"report: [bold]{escape(str(path))}[/]{note}")
