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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nd_sim.experiments.changes import flatten
from nd_sim.report import figures
from nd_sim.report.data import ReportData, ScenarioResult, load_report_data
from nd_sim.report.narrative import summary_html
from nd_sim.report.numbers import interval_has_width, money_gbp, number, week_date, with_interval
from nd_sim.report.settings_words import profession_words, setting_label
from nd_sim.report.stress import checklist
from nd_sim.results import registry
from nd_sim.results.kpis import COUNTY

KEY_KPIS = (  # the whole pathway first (the comparison table shows the first six)
    "child_weeks_waiting",
    "open_52w_plus_end",
    "outcome_wait_median_weeks",
    "referred_seen_within_13w_pct",
    "first_wait_median_weeks",
    "open_end",
    "open_104w_plus_end",
    "open_wait_median_end_weeks",
    "assessed_per_week",
)
MEANING = {k.name: (k.definition, k.unit) for k in registry.KPIS}
FIGURE_TEXT = {
    "fan_chart": "How many children are on the list (waiting at any stage) at the end of each "
    "week, for the county and each district: the line is the middle of the replications, the "
    "shaded bands the range that 50% and 90% of them fall in. Dashed vertical lines mark when an "
    "intervention starts, dotted ones a change in demand.",
    "waits_by_referral_month": "How long the children referred in each month wait for a first "
    "appointment: the median (half wait longer) and the 90th percentile (one in ten waits "
    "longer). Children referred near the end are mostly still waiting when the run stops, so "
    "their wait is not known yet: those months are shaded, and the dotted line there is only "
    "the least the wait can be, not a fall in waits.",
    "waits_by_referral_month_districts": "The same for each district, on one scale, so that "
    "districts can be compared by eye.",
    "within_13_weeks": "Top: of the children referred each month, the share first seen within "
    "13 weeks (NICE QS51: 3 months). Below: how many children on the list have already waited "
    "13, 52 and 104 weeks or more.",
    "staff": "The hours each profession has (dashed) and uses (solid) each week in each team. "
    "Where the two lines meet, that profession is fully used and limits how many children "
    "are seen.",
    "utilisation": "The share of each profession's hours used over the whole run; the "
    "profession nearest 100% is the one that limits its team.",
    "paired_differences": "What each option changes against the base, on the same simulated "
    "children: the dot is the average change, the bar its 95% confidence interval (no bar: "
    "the change is the same in every replication). A bar crossing zero means no clear change.",
    "districts_side_by_side": "Each district's median wait from referral to an outcome "
    "(children still waiting count as at least their wait so far) and its children waiting 52 "
    "weeks or more at the end: the base as bars, each option as a marker, the county's median "
    "as a dashed line. An option can shorten the county's waits while one district's lengthen.",
    "difference_over_time": "When each option's effect arrives and whether it lasts: its "
    "difference from the base in the open list and in the children waiting 52 weeks or more, "
    "week by week.",
}


def figure_text(name: str, data: ReportData) -> str:
    """What a figure shows, in words (the cost figure's depends on where its costs come from)."""
    if name == "cost_benefit":
        return (
            f"Each option's cost ({data.cost_meaning}) against the weeks it takes off the "
            "county's median wait for a first appointment, with its 95% confidence interval. "
            "Up and to the left is better value; the same costs as the table above."
        )
    return FIGURE_TEXT.get(name, name.replace("_", " "))


def write_report(folder: Path, jobs: int = 1) -> Path:
    """Build `report.html` and `figures/` in a results folder; return the report's path.

    With `jobs` > 1 the figures are shared with forked copies of this process (only a
    caller whose other threads hold no lock the drawing needs may ask: the CLI, whose only
    other thread is its spinner; the app's server draws serially)."""
    data = load_report_data(folder)
    tmp = Path(tempfile.mkdtemp(prefix=".figures.", dir=folder))
    try:
        names = list(figures.makers_for(data))
        images = _drawn(folder, tmp, names, jobs, data)
        images = {name: images[name] for name in names}  # in report order
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


def _drawn(folder: Path, tmp: Path, names: list[str], jobs: int, data: ReportData) -> dict:
    """Each figure drawn and saved into `tmp`, as base64 PNG by name.

    With `jobs` > 1 (and fork available) the figures are split into groups of about equal
    cost: this process draws one, forked copies of it the others, from the results already
    in memory (nothing is pickled or read again). A group whose process fails is drawn
    here after all, so that an error surfaces as it would have serially."""
    import multiprocessing

    groups = _balanced(names, jobs)
    if len(groups) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _draw(folder, tmp, names, data)
    context = multiprocessing.get_context("fork")
    others = [context.Process(target=_save, args=(data, tmp, g), daemon=True) for g in groups[1:]]
    for process in others:
        process.start()
    images = _draw(folder, tmp, groups[0], data)
    for process, group in zip(others, groups[1:], strict=True):
        process.join()
        if process.exitcode == 0:
            images.update({name: _png(tmp, name) for name in group})
        else:
            images.update(_draw(folder, tmp, group, data))
    return images


def _save(data: ReportData, tmp: Path, names: list[str]) -> None:
    """A forked process's share: draw and save these figures."""
    makers = figures.makers_for(data)
    for name in names:
        figures.save(makers[name](data), tmp, name)


def _png(tmp: Path, name: str) -> str:
    return base64.b64encode((tmp / f"{name}.png").read_bytes()).decode()


# seconds to draw and save each figure of a 20-replication Lancashire report (measured),
# so that the processes get about the same work: the slowest figure first, to the least
# loaded (2.9 and 2.8 s of 5.6; the guesses before left one process 3.3 s, the other 2.3)
DRAW_COST = {
    "waits_by_referral_month_districts": 1.9,
    "fan_chart": 1.36,
    "waits_by_referral_month": 0.74,
    "staff": 0.69,
    "within_13_weeks": 0.65,
    "utilisation": 0.28,
}
DEFAULT_COST = 0.7  # a figure not measured (a comparison's): about the median


def _balanced(names: list[str], jobs: int) -> list[list[str]]:
    """The figures in `jobs` groups of about equal cost (longest first to the lightest)."""
    groups: list[list[str]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    for name in sorted(names, key=lambda n: -DRAW_COST.get(n, DEFAULT_COST)):
        k = load.index(min(load))
        groups[k].append(name)
        load[k] += DRAW_COST.get(name, DEFAULT_COST)
    return [g for g in groups if g]


def _draw(folder: Path, tmp: Path, names: list[str], data: ReportData) -> dict[str, str]:
    """Draw and save these figures here: base64 PNG by name."""
    _save(data, tmp, names)
    return {name: _png(tmp, name) for name in names}


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
        sections.append(_section("What each option changes", _changes(data), "changes"))
    sections.append(_section("Figures", _figures(images, data), "figures"))
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


def _digits(kpi: str) -> int:
    unit = MEANING.get(kpi, ("", ""))[1]
    return 0 if unit in ("children", "child-weeks", "GBP") else 1


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
            ci = (
                f"<br><small>{number(row.ci95_low, d)}–{number(row.ci95_high, d)}</small>"
                if interval_has_width(row.ci95_low, row.ci95_high, d)
                else ""  # the same in every replication: no interval to show
            )
            tds.append(f"<td>{number(row['mean'], d)}{ci}</td>")
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
    return registry.short(kpi)


def _comparison_table(data: ReportData) -> str:
    table = data.comparison
    county = table[(table.area_type == "county")].set_index(["folder", "kpi"])
    kpis = KEY_KPIS[:6]
    head = "".join(f"<th>{html.escape(_short(k))}</th>" for k in kpis)
    head += f"<th>{html.escape(_short('intervention_cost_gbp'))}</th>"
    body = []
    for run in data.scenarios:
        tds = []
        for kpi in kpis:
            if (run.slug, kpi) not in county.index:
                tds.append("<td>–</td>")
                continue
            row, d = county.loc[(run.slug, kpi)], _digits(kpi)
            cell = number(row["mean"], d)
            if run is not data.base and not np.isnan(row.diff_from_base):
                diff = with_interval(
                    row.diff_from_base, row.diff_ci95_low, row.diff_ci95_high, digits=d, signed=True
                )
                cell += f"<br><small>{diff}</small>"
            tds.append(f"<td>{cell}</td>")
        tds.append(f"<td>{money_gbp(data.added_cost_gbp(run.slug))}</td>")
        body.append(f"<tr><th>{html.escape(run.label)}</th>{''.join(tds)}</tr>")
    return (
        "<table class='kpis'><caption>County: each option's mean, and below it the paired "
        "difference from the base with its 95% CI (where it varies between replications)"
        f"</caption><tr><th>option</th>{head}</tr>{''.join(body)}</table>"
        f"<p class='note'>Added cost: {html.escape(data.cost_meaning)}; to the nearest "
        "£1,000.</p>"
    )


def _figures(images: dict[str, str], data: ReportData) -> str:
    out = []
    for name, png in images.items():
        text = html.escape(figure_text(name, data))
        out.append(
            f'<figure id="fig-{name}"><img alt="{text}" src="data:image/png;base64,{png}">'
            f"<figcaption>{text} (also <code>figures/{name}.png</code> and "
            f"<code>.svg</code>)</figcaption></figure>"
        )
    return "\n".join(out)


FONG_WALTON = (
    "Fong K, Mushtaq Y, House T, Gordon D, Chen Y, Griffiths D, Ahmad S, Walton N. "
    "Understanding waiting lists pressures. medRxiv 2022. doi:10.1101/2022.08.23.22279117"
)


def _analytic(data: ReportData) -> str:
    """The fluid panel once (the base's), in plain words, with dated warnings; in a
    comparison, a sentence on how far the options' panels differ from it."""
    run = data.base
    start = run.scenario.start_date
    rows, warnings = [], []
    for r in run.analytic.itertuples(index=False):
        over = r.load_peak >= 1 or r.load_start >= 1
        clears = "never" if np.isinf(r.clearance_weeks) else number(r.clearance_weeks, 0)
        when = week_date(start, r.peak_week)
        cls = ' class="warn"' if over else ""
        rows.append(
            f"<tr{cls}><th>{html.escape(_team(run, r.team))}</th>"
            f"<td>{number(r.demand_per_week, 1)}</td><td>{number(r.capacity_per_week, 1)}</td>"
            f"<td>{number(r.load_start, 2)}</td>"
            f"<td>{html.escape(profession_words(str(r.bottleneck)))}</td>"
            f"<td>{number(r.load_peak, 2)}<br><small>from {when}</small></td>"
            f"<td>{html.escape(profession_words(str(r.peak_bottleneck)))}</td>"
            f"<td>{number(r.backlog_start, 0)}</td><td>{number(r.leavers_per_week_start, 1)}</td>"
            f"<td>{clears}</td><td>{number(r.relief_capacity_per_week, 1)}</td></tr>"
        )
        if over:
            warnings.append(
                f"<li><b>{html.escape(str(r.team).capitalize())} team</b>: demand reaches "
                f"{number(r.load_peak, 2)} times capacity in the 13 weeks from {when}, so its "
                "list grows unless enough families leave it (about "
                f"{number(r.leavers_per_week_start, 0)} a week leave today's list).</li>"
            )
    intro = (
        "<p>A quick check with averages and no chance in it, beside the simulation: for each "
        "team, the children who need an assessment each week (demand, after triage) against "
        "the assessments its staff hours allow (capacity, set by the profession in shortest "
        "supply), over the first 13 weeks and in the busiest 13 weeks of the run. Where "
        "demand is at or above capacity the list grows unless enough families leave it. It "
        "ignores the week-to-week ups and downs the simulation captures, so it is a check on "
        "the simulation, not the answer.</p>"
    )
    table = (
        f"<table><caption>{html.escape(run.label)}: children a week</caption><tr>"
        "<th>team (districts)</th><th>need an assessment</th><th>assessments the staff can "
        "do</th><th>demand ÷ capacity</th><th>profession in shortest supply</th>"
        "<th>highest demand ÷ capacity in any 13 weeks</th><th>in shortest supply then</th>"
        "<th>children waiting at the start</th><th>families leaving the list</th>"
        "<th>weeks to clear the list</th><th>capacity to reach 13-week waits in a year"
        "<sup>1</sup></th></tr>"
        f"{''.join(rows)}</table>"
    )
    if warnings:
        table += f"<ul class='warnings'>{''.join(warnings)}</ul>"
    footnote = (
        "<p class='footnote'><sup>1</sup> Relief capacity: the assessments a week that would "
        "bring the list down to its target size in 52 weeks, demand + (children waiting − "
        "target) ÷ 52, where the target list is demand × 13/4 weeks (waits that average a "
        "quarter of the 13-week target rarely exceed it). After "
        f"{html.escape(FONG_WALTON)}.</p>"
    )
    return intro + table + _options_panels(data) + footnote


def _team(run: ScenarioResult, team: str) -> str:
    served = [d for d, spec in run.scenario.districts.items() if spec.team == team]
    return f"{str(team).capitalize()} ({', '.join(served)})" if served else str(team)


def _options_panels(data: ReportData) -> str:
    """In a comparison: which options change the panel's opening capacity, and by how much
    (the other figures of the panel are the base's), so that one table serves them all."""
    if data.kind != "comparison" or len(data.scenarios) < 2:
        return ""
    base = data.base.analytic.set_index("team")["capacity_per_week"]
    changed = []
    for run in data.scenarios[1:]:
        change = run.analytic.set_index("team")["capacity_per_week"] - base
        team = change.abs().idxmax()
        if abs(change[team]) >= 0.05:
            changed.append(
                f"{html.escape(run.label)} ({number(change[team], 1, signed=True)} a week in "
                f"the {html.escape(str(team))} team)"
            )
    if not changed:
        return (
            "<p>Every option's panel is the same as this one: the opening 13 weeks come "
            "before any option's staff start.</p>"
        )
    return (
        "<p>The table is the base's. Of the options, only these change the assessments the "
        "staff can do in the opening 13 weeks (largest change): "
        + "; ".join(changed)
        + ". Each option's own panel is in its folder's <code>analytic.csv</code>.</p>"
    )


def _assumptions(data: ReportData) -> str:
    run = data.base
    rows = assumption_rows(run)
    missing = sum(1 for r in rows if not r[2])
    body = "".join(
        f"<tr{'' if note else ' class=missing'}><td>{_setting_cell(path, run)}</td>"
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


def _setting_cell(path: str, run: ScenarioResult | None) -> str:
    """A setting in words, with its key below in small type for the modeller."""
    words = setting_label(path, run.scenario if run is not None else None)
    words = words[:1].upper() + words[1:]
    return f"{html.escape(words)}<br><small><code>{html.escape(path)}</code></small>"


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


def _changes(data: ReportData) -> str:
    """`changes.md` for a board: settings in words (keys in small type beneath) and
    professions by name, in each option's own terms."""
    by_slug = {run.slug: run for run in data.scenarios}
    keys = {p for run in data.scenarios for p in run.scenario.professions}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(keys, key=len)[::-1])) + r")\b")

    def prose(text: str) -> str:  # outside `code` only: folder names keep their keys
        if not keys:
            return text
        parts = text.split("`")
        for i in range(0, len(parts), 2):
            parts[i] = pattern.sub(lambda m: profession_words(m.group(1)), parts[i])
        return "`".join(parts)

    def setting(heading: str, cell: str) -> str | None:
        found = re.search(r"\(folder `(?:scenarios/)?([^`]+)`\)", heading)
        key = re.fullmatch(r"`([A-Za-z_][\w.\[\] ]*)`", cell)
        if key is None:
            return None
        return _setting_cell(key.group(1), by_slug.get(found.group(1)) if found else None)

    return _markdown(data.changes_md, setting=setting, prose=prose)


def _markdown(
    text: str,
    setting: Callable[[str, str], str | None] | None = None,
    prose: Callable[[str], str] | None = None,
) -> str:
    """The small Markdown subset `changes.md` uses: headings, lists, tables, bold, code.

    `setting(heading, cell)` may render a table's first cell (None: as it is), given the
    heading above the table; `prose` rewrites the words of paragraphs and list items.
    """
    out, table = [], []
    heading = ""

    def inline(s: str, words: bool = False) -> str:
        if words and prose is not None:
            s = prose(s)
        s = html.escape(s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def first(cell: str) -> str:
        shown = setting(heading, cell) if setting is not None else None
        return shown if shown is not None else inline(cell)

    def flush() -> None:
        if table:
            rows = [r for r in table if not re.match(r"^\|[-| ]+\|$", r)]
            cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
            head = "".join(f"<th>{inline(c)}</th>" for c in cells[0])
            body = "".join(
                f"<tr><td>{first(row[0])}</td>"
                + "".join(f"<td>{inline(c)}</td>" for c in row[1:])
                + "</tr>"
                for row in cells[1:]
            )
            out.append(f"<table class='log'><tr>{head}</tr>{body}</table>")
            table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("# "):
            continue  # the section heading says it already
        if line.startswith("## "):
            heading = line[3:]
            out.append(f"<h3>{inline(line[3:])}</h3>")
        elif line.startswith("- "):
            out.append(f"<ul><li>{inline(line[2:], words=True)}</li></ul>")
        elif line.strip():
            out.append(f"<p>{inline(line, words=True)}</p>")
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
