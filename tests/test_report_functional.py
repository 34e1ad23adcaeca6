"""The report: every section, self-contained, and a summary whose words match the tables."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nd_sim.cli import app
from nd_sim.experiments.compare import compare_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.report.html import write_report
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES

runner = CliRunner()
SPAN = re.compile(r'<span class="num" ([^>]*)>([^<]*)</span>')
ATTR = re.compile(r'data-([a-z]+)="([^"]*)"')
SECTIONS = ("summary", "headline", "changes", "figures", "analytic", "assumptions", "stress")


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "cmp"
    paths = [FIXTURES / "small.toml", FIXTURES / "small_more_staff.toml"]
    models = [compile_model(load_scenario(p)) for p in paths]
    compare_to_folder(models, paths, RunSettings(6, 3, out))
    write_report(out)
    return out


def _lookup(folder: Path, attrs: dict[str, str]) -> float:
    source, area, kpi, field = attrs["source"], attrs["area"], attrs["kpi"], attrs["field"]
    if source == "comparison":
        table = pd.read_csv(folder / "comparison.csv")
        row = table[(table.folder == attrs["scenario"]) & (table.area == area) & (table.kpi == kpi)]
        return float(row[field].iloc[0])
    if source == "options":
        table = pd.read_csv(folder / "options.csv")
        return float(table[table.folder == attrs["scenario"]][field].iloc[0])
    run = folder / "scenarios" / attrs["scenario"] if (folder / "scenarios").exists() else folder
    if source == "summary":
        table = pd.read_csv(run / "summary.csv")
        row = table[(table.area == area) & (table.kpi == kpi)]
        return float(row[field].iloc[0])
    table = pd.read_csv(run / "analytic.csv")
    return float(table[table.team == area][kpi].iloc[0])


def _summary_section(page: str) -> str:
    return page.split('<section id="summary">')[1].split("</section>")[0]


def test_report_has_every_section_and_is_self_contained(compared: Path) -> None:
    page = (compared / "report.html").read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in page, section
    assert page.count("data:image/png;base64,") >= 6
    assert not re.search(r'(src|href)="(https?:)?//', page), "must open offline"
    assert "@page" in page and "A4" in page
    for name in ("fan_chart", "waits_by_referral_month", "paired_differences", "cost_benefit"):
        assert (compared / "figures" / f"{name}.png").exists()
        assert (compared / "figures" / f"{name}.svg").exists()
    assert "STRESS-DES" in page and "6.1 Computer model sharing statement" in page
    assert "no source given" in page or "with the source" in page


def test_every_number_in_the_summary_matches_its_source(compared: Path) -> None:
    summary = _summary_section((compared / "report.html").read_text())
    spans = SPAN.findall(summary)
    assert len(spans) >= 12
    for raw_attrs, text in spans:
        attrs = dict(ATTR.findall(raw_attrs))
        value = _lookup(compared, attrs)
        assert not math.isnan(value), attrs
        digits = int(attrs["digits"])
        if attrs.get("absolute"):
            value = abs(value)
        if attrs.get("round"):
            value = round(value, -int(attrs["round"]))
        expected = f"{value:,.{digits}f}"
        assert text.lstrip("+") == expected.lstrip("+"), (attrs, text, expected)
    stripped = re.sub(SPAN, "", summary)
    stripped = re.sub(r"<[^>]+>", "", stripped)
    leftover = re.findall(r"\d+(?:[.,]\d+)*", stripped)
    allowed = {"13", "3", "95", "52", "51", "92"} | {str(y) for y in range(2020, 2040)}
    assert set(leftover) <= allowed, f"numbers not traced to a source: {set(leftover) - allowed}"


@pytest.mark.slow
def test_report_command_and_run_flag(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", str(FIXTURES / "small.toml"), "-n", "3", "--out", str(out), "--report"]
    )
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    assert '<section id="summary">' in page and '<section id="changes">' not in page
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0 and "replacing the previous report" in again.output


def test_report_on_a_folder_that_is_not_results_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "manifest.json" in result.output
    assert not (tmp_path / "report.html").exists()
