"""The commissioner's report: one self-contained HTML file (figures embedded) that opens
offline and prints on A4, plus every figure as PNG and SVG.

It is rebuilt from a results folder alone (`nd-sim report DIR`), so anyone holding the
folder can regenerate it.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from nd_sim.experiments.changes import flatten
from nd_sim.report import figures
from nd_sim.report.data import ReportData, ScenarioResult, load_report_data
from nd_sim.report.narrative import summary_html
from nd_sim.report.stress import checklist
from nd_sim.results.kpis import COST_KPIS, COUNTY, KPIS

KEY_KPIS = (
    "first_wait_median_weeks",
    "first_wait_p90_weeks",
    "referred_seen_within_13w_pct",
    "outcome_wait_median_weeks",
    "open_end",
    "open_52w_plus_end",
    "open_104w_plus_end",
    "assessed_per_week",
)
MEANING = {k.name: (k.meaning, k.unit) for k in (*KPIS, *COST_KPIS)}
FIGURE_TEXT = {
    "fan_chart": "The open waiting list over time: median over replications, with 50% and 90% "
    "bands; vertical lines mark interventions and demand shocks.",
    "waits_by_referral_month": "Weeks from referral to a first appointment by month of "
    "referral (Kaplan–Meier, so children still waiting count as 'at least'): median and P90.",
    "waits_by_referral_month_districts": "The same, district by district.",
    "within_13_weeks": "Share of each month's referrals first seen within 13 weeks, and the open "
    "referrals waiting 13, 52 and 104 weeks or more.",
    "staff": "Profession-hours available (dashed) and used (solid) per team, 13-week means.",
    "utilisation": "Utilisation of each profession in each team over the whole run.",
    "paired_differences": "Each option's difference from the base, with its paired 95% CI "
    "(common random numbers).",
    "cost_benefit": "Added cost against weeks of median wait saved.",
}


def write_report(folder: Path) -> Path:
    """Build `report.html` and `figures/` in a results folder; return the report's path."""
    data = load_report_data(folder)
    tmp = Path(tempfile.mkdtemp(prefix=".figures.", dir=folder))
    try:
        images = {}
        for name, fig in figures.figures_for(data).items():
            paths = figures.save(fig, tmp, name)
            png = next(p for p in paths if p.suffix == ".png")
            images[name] = base64.b64encode(png.read_bytes()).decode()
        page = render_html(data, images)
        final = folder / "figures"
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    target = folder / "report.html"
    partial = target.with_name(".report.html.partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, target)
    return target


def render_html(data: ReportData, images: dict[str, str]) -> str:
    """The whole page."""
    base = data.base
    title = (
        f"Comparison of {len(data.scenarios)} options against “{base.label}”"
        if data.kind == "comparison"
        else f"{base.label}"
    )
    sections = [
        _section("Summary", summary_html(data), "summary"),
        _section("Headline figures", _headline_tables(data), "headline"),
    ]
    if data.kind == "comparison":
        sections.append(_section("What each option changes", _markdown(data.changes_md), "changes"))
    sections.append(_section("Figures", _figures(images), "figures"))
    sections.append(_section("Analytic panel", _analytic(data), "analytic"))
    sections.append(_section("Assumptions log", _assumptions(data), "assumptions"))
    sections.append(_section("STRESS-DES checklist", _stress(data), "stress"))
    meta = (
        f"{base.manifest.get('replications')} replications, seed {base.manifest.get('seed')}, "
        f"{base.scenario.horizon_weeks} weeks from {base.scenario.start_date}; "
        f"generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by nd-sim "
        f"{base.manifest.get('versions', {}).get('nd-sim', '')}"
    )
    return _PAGE.format(
        title=html.escape(title), meta=html.escape(meta), body="\n".join(sections), css=_CSS
    )


def _section(heading: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{html.escape(heading)}</h2>\n{body}\n</section>'


def _fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _digits(kpi: str) -> int:
    unit = MEANING.get(kpi, ("", ""))[1]
    return 0 if unit in ("children", "GBP") else 1


def _headline_tables(data: ReportData) -> str:
    if data.kind == "comparison":
        return _comparison_table(data) + _area_table(data.base, "Base, by district")
    return _area_table(data.base, "By district and for the county")


def _area_table(run: ScenarioResult, caption: str) -> str:
    summary = run.summary
    rows = summary[summary.area_type.isin(["district", "county"]) & summary.kpi.isin(KEY_KPIS)]
    head = "".join(f"<th>{html.escape(_short(k))}</th>" for k in KEY_KPIS)
    body = []
    for area, group in rows.groupby("area", sort=False):
        cells = group.set_index("kpi")
        tds = []
        for kpi in KEY_KPIS:
            if kpi not in cells.index:
                tds.append("<td>–</td>")
                continue
            row, d = cells.loc[kpi], _digits(kpi)
            tds.append(
                f"<td>{_fmt(row['mean'], d)}<br><small>{_fmt(row.ci95_low, d)}–"
                f"{_fmt(row.ci95_high, d)}</small></td>"
            )
        cls = ' class="county"' if area == COUNTY else ""
        body.append(f"<tr{cls}><th>{html.escape(str(area))}</th>{''.join(tds)}</tr>")
    notes = "".join(
        f"<li><b>{html.escape(_short(k))}</b>: {html.escape(MEANING.get(k, ('', ''))[0])}</li>"
        for k in KEY_KPIS
    )
    return (
        f"<table class='kpis'><caption>{html.escape(caption)}: mean and 95% CI over "
        f"replications</caption><tr><th>area</th>{head}</tr>{''.join(body)}</table>"
        f"<ul class='defs'>{notes}</ul>"
    )


def _short(kpi: str) -> str:
    return {
        "first_wait_median_weeks": "median weeks to 1st appointment",
        "first_wait_p90_weeks": "P90 weeks to 1st appointment",
        "referred_seen_within_13w_pct": "% of referrals seen within 13 weeks",
        "outcome_wait_median_weeks": "median weeks to outcome",
        "open_end": "open list at end",
        "open_52w_plus_end": "open 52+ weeks at end",
        "open_104w_plus_end": "open 104+ weeks at end",
        "assessed_per_week": "assessments a week",
        "intervention_cost_gbp": "added cost (£)",
    }.get(kpi, kpi)


def _comparison_table(data: ReportData) -> str:
    table = data.comparison
    county = table[(table.area_type == "county")].set_index(["folder", "kpi"])
    kpis = (*KEY_KPIS[:6], "intervention_cost_gbp")
    head = "".join(f"<th>{html.escape(_short(k))}</th>" for k in kpis)
    body = []
    for run in data.scenarios:
        tds = []
        for kpi in kpis:
            if (run.slug, kpi) not in county.index:
                tds.append("<td>–</td>")
                continue
            row, d = county.loc[(run.slug, kpi)], _digits(kpi)
            cell = f"{_fmt(row['mean'], d)}"
            if run is not data.base and not np.isnan(row.diff_from_base):
                cell += (
                    f"<br><small>{row.diff_from_base:+,.{d}f} ({row.diff_ci95_low:+,.{d}f} to "
                    f"{row.diff_ci95_high:+,.{d}f})</small>"
                )
            tds.append(f"<td>{cell}</td>")
        body.append(f"<tr><th>{html.escape(run.label)}</th>{''.join(tds)}</tr>")
    return (
        "<table class='kpis'><caption>County: each option's mean, and below it the paired "
        "difference from the base with its 95% CI</caption>"
        f"<tr><th>option</th>{head}</tr>{''.join(body)}</table>"
    )


def _figures(images: dict[str, str]) -> str:
    out = []
    for name, data in images.items():
        text = html.escape(FIGURE_TEXT.get(name, name.replace("_", " ")))
        out.append(
            f'<figure id="fig-{name}"><img alt="{text}" src="data:image/png;base64,{data}">'
            f"<figcaption>{text} (also <code>figures/{name}.png</code> and "
            f"<code>.svg</code>)</figcaption></figure>"
        )
    return "\n".join(out)


def _analytic(data: ReportData) -> str:
    parts = []
    for run in data.scenarios:
        panel = run.analytic
        rows = []
        for r in panel.itertuples(index=False):
            warn = r.load_peak >= 1 or r.load_start >= 1
            cls = ' class="warn"' if warn else ""
            clears = "never" if np.isinf(r.clearance_weeks) else f"{r.clearance_weeks:,.0f}"
            rows.append(
                f"<tr{cls}><th>{html.escape(str(r.team))}</th><td>{r.demand_per_week:.1f}</td>"
                f"<td>{r.capacity_per_week:.1f}</td><td>{r.load_start:.2f}</td>"
                f"<td>{html.escape(str(r.bottleneck))}</td><td>{r.load_peak:.2f}</td>"
                f"<td>{html.escape(str(r.peak_bottleneck))}</td><td>{r.backlog_start:,}</td>"
                f"<td>{r.leavers_per_week_start:.1f}</td><td>{clears}</td>"
                f"<td>{r.relief_capacity_per_week:.1f}</td></tr>"
            )
        warnings = [
            f"<li><b>{html.escape(str(r.team))}</b>: load reaches {r.load_peak:.2f} in the 13 "
            f"weeks from week {r.peak_week}: demand exceeds capacity, so the list grows unless "
            f"enough families leave it (about {r.leavers_per_week_start:.0f} a week now).</li>"
            for r in panel.itertuples(index=False)
            if r.load_peak >= 1 or r.load_start >= 1
        ]
        parts.append(
            f"<table><caption>{html.escape(run.label)}: fluid rules, children a week"
            "</caption><tr><th>team</th><th>demand</th><th>capacity</th><th>load</th>"
            "<th>bottleneck</th><th>peak load</th><th>at peak</th><th>backlog</th>"
            "<th>leavers</th><th>clears (weeks)</th><th>relief capacity</th></tr>"
            f"{''.join(rows)}</table>"
            + (f"<ul class='warnings'>{''.join(warnings)}</ul>" if warnings else "")
        )
    intro = (
        "<p>Instant arithmetic beside the simulation: load = demand / capacity (opening 13 "
        "weeks; peak = highest 13-week load), backlog clearance = backlog / (capacity − "
        "demand), Fong/Walton relief capacity = demand + (backlog − target list) / 52 weeks "
        "with a target list of demand × 13/4 weeks. It ignores variability, so it is a sanity "
        "check, not the answer; where load ≥ 1 the list grows unless families leave it.</p>"
    )
    return intro + "\n".join(parts)


def _assumptions(data: ReportData) -> str:
    run = data.base
    rows = assumption_rows(run)
    missing = sum(1 for r in rows if not r[2])
    body = "".join(
        f"<tr{'' if note else ' class=missing'}><td><code>{html.escape(path)}</code></td>"
        f"<td>{html.escape(value)}</td><td>{html.escape(note) or 'no source given'}</td></tr>"
        for path, value, note in rows
    )
    extra = ""
    if data.kind == "comparison":
        extra = (
            "<p>The options' own numbers and notes are listed under “What each option changes”.</p>"
        )
    return (
        f"<p>Every number in “{html.escape(run.label)}”, with the source or assumption "
        f"written beside it in the scenario file; {missing} of {len(rows)} have none.</p>"
        f"{extra}<table class='log'><tr><th>setting</th><th>value</th><th>source or "
        f"assumption</th></tr>{body}</table>"
    )


def assumption_rows(run: ScenarioResult) -> list[tuple[str, str, str]]:
    """(dotted path, value, note) for every number in a scenario."""
    dumped = run.scenario.model_dump(mode="json", by_alias=True, exclude={"notes"})
    notes = run.scenario.notes
    rows = []
    for path, value in flatten(dumped).items():
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        is_numbers = (
            isinstance(value, list) and value and all(isinstance(v, int | float) for v in value)
        )
        if not (is_number or is_numbers) or path.startswith("run."):
            continue
        note = notes.get(path) or notes.get(re.sub(r"\[\d+\]$", "", path), "")
        rows.append((path, f"{value:,}" if is_number else str(value), note))
    return rows


def _stress(data: ReportData) -> str:
    body = "".join(
        f"<tr><td>{html.escape(section)}</td><td>{html.escape(item)}</td>"
        f"<td>{html.escape(answer)}</td></tr>"
        for section, item, answer in checklist(data)
    )
    return (
        "<p>Strengthening the Reporting of Empirical Simulation Studies (Monks et al., 2019), "
        "filled in from this run.</p><table class='stress'><tr><th>section</th><th>item</th>"
        f"<th>answer</th></tr>{body}</table>"
    )


def _markdown(text: str) -> str:
    """The small Markdown subset `changes.md` uses: headings, lists, tables, bold, code."""
    out, table = [], []

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def flush() -> None:
        if table:
            rows = [r for r in table if not re.match(r"^\|[-| ]+\|$", r)]
            cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
            head = "".join(f"<th>{inline(c)}</th>" for c in cells[0])
            body = "".join(
                "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>"
                for row in cells[1:]
            )
            out.append(f"<table><tr>{head}</tr>{body}</table>")
            table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("# "):
            continue  # the section heading says it already
        if line.startswith("## "):
            out.append(f"<h3>{inline(line[3:])}</h3>")
        elif line.startswith("- "):
            out.append(f"<ul><li>{inline(line[2:])}</li></ul>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush()
    return "\n".join(out)


_CSS = """
body { font-family: "Helvetica Neue", Arial, sans-serif; color: #1b1b1b; max-width: 60em;
       margin: 1.5em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #0072B2;
     padding-bottom: .1em; margin-top: 1.6em; } h3 { margin-bottom: .3em; }
.meta { color: #555; font-size: .9em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .82em; width: 100%; }
th, td { border: 1px solid #ccc; padding: .25em .4em; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
tr.county { background: #eef5fb; font-weight: bold; }
tr.warn { background: #fff4e0; } tr.missing td { color: #a33; }
table.log td, table.stress td { text-align: left; } small { color: #555; }
figure { margin: 1em 0; page-break-inside: avoid; } figure img { max-width: 100%; }
figcaption { font-size: .85em; color: #444; }
ul.warnings li { color: #8a4b00; } ul.defs { font-size: .8em; color: #444; }
#summary p { font-size: 1.05em; }
@page { size: A4; margin: 14mm; }
@media print { body { max-width: none; margin: 0; font-size: 10pt; }
  section { page-break-before: auto; } h2 { page-break-after: avoid; }
  table, figure { page-break-inside: avoid; } }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nd-sim: {title}</title><style>{css}</style></head>
<body><header><h1>{title}</h1><p class="meta">{meta}</p></header>
{body}
</body></html>
"""
