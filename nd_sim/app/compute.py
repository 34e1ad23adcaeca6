"""What the app computes: the base and the what-if on common random numbers, through the
same comparison the CLI writes (`nd-sim compare`), so the app shows the CLI's numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nd_sim.experiments import compare as compare_mod
from nd_sim.experiments.compare import ComparisonResult
from nd_sim.experiments.ranking import Objective
from nd_sim.inputs.model import compile_model
from nd_sim.report.data import ReportData, load_report_data
from nd_sim.report.figures.waiting_list import open_list_bands
from nd_sim.results import registry
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario

HEADLINE = registry.TRADEOFF_KPIS
# Replications run in the task's own thread: forking worker processes from a threaded web
# server can deadlock a child (a lock held by another thread at the fork), and a families
# run in the browser tests hung that way under load. Two processes were 30% faster.
JOBS = 1


@dataclass(frozen=True)
class Outcome:
    """One comparison run by the app: its folder and what the pages show."""

    folder: Path
    result: ComparisonResult
    data: ReportData

    def kpi_table(self, area: str = "county") -> pd.DataFrame:
        """Headline KPIs per scenario with 95% CIs and the paired difference from the base."""
        table = self.result.comparison
        rows = table[(table.area == area) & table.kpi.isin(HEADLINE)]
        cols = ["scenario", "kpi", "unit", "mean", "ci95_low", "ci95_high", "diff_from_base"]
        cols += ["diff_ci95_low", "diff_ci95_high"]
        out = rows[cols].copy()
        out.insert(2, "measure", [registry.label(k) for k in out.kpi])
        return out.reset_index(drop=True)

    def verdict(self) -> list[str]:
        """Each scenario's rank on the objective (best first), and what it makes clearly
        better and clearly worse than the base, in words."""
        names = {e.slug: e.name for e in self.result.entries}
        what = self.result.objective.describe()
        lines = []
        for r in self.result.ranks.itertuples(index=False):
            line = f"{names.get(r.folder, r.folder)}: rank {r.rank} on {what}"
            if r.gains_text:
                line += f"; clearly better: {r.gains_text}"
            if r.tradeoffs_text:
                line += f"; clearly worse (a trade-off): {r.tradeoffs_text}"
            lines.append(line + ".")
        return lines

    def fan(self, area: str = "county") -> pd.DataFrame:
        """The open list's bands by week end, per scenario: long form for plotting."""
        parts = []
        for run in self.data.scenarios:
            bands = open_list_bands(run).get(area)
            if bands is None:
                continue
            frame = bands.reset_index().rename(
                columns={0.05: "p05", 0.25: "p25", 0.5: "p50", 0.75: "p75", 0.95: "p95"}
            )
            parts.append(frame.assign(scenario=run.label))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def run_whatif(
    base_path: Path,
    whatif_path: Path,
    replications: int,
    seed: int,
    out: Path,
    on_done: Callable[[int], None] | None = None,
    objective: Objective | None = None,
    jobs: int = JOBS,
) -> Outcome:
    """Compare the what-if with its base into `out` (a new folder), as `nd-sim compare`."""
    paths = [Path(base_path), Path(whatif_path)]
    models = [compile_model(load_scenario(p)) for p in paths]
    settings = RunSettings(replications, seed, out, jobs)
    result = compare_mod.compare_to_folder(models, paths, settings, on_done, objective)
    return Outcome(out, result, load_report_data(out))


def run_options(
    base_path: Path,
    budget_gbp: float,
    over_months: float,
    replications: int,
    seed: int,
    out: Path,
    on_done: Callable[[int], None] | None = None,
    objective: Objective | None = None,
    on_total: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """`nd-sim options`: every way to spend the budget, ranked; returns options.csv's rows.
    `on_total` hears how many replications that is, once the options are known."""
    from nd_sim.experiments.options import Settings, check_settings, options_to_folder, plan_options

    sc = load_scenario(base_path)
    budget = Settings(budget_gbp=budget_gbp, over_months=over_months, start=sc.start_date)
    check_settings(sc, budget)
    plan = plan_options(sc, budget, (), base_path=Path(base_path))
    if on_total:
        on_total(replications * len(plan.models))
    settings = RunSettings(replications, seed, out, JOBS)
    options_to_folder(sc, budget, settings, on_done, (), plan=plan, objective=objective)
    return pd.read_csv(out / "options.csv")


def run_size(
    base_path: Path,
    target: str,
    by: str,
    lever: str,
    replications: int,
    seed: int,
    out: Path,
    on_done: Callable[[int], None] | None = None,
    confidence: float = 0.8,
    on_total: Callable[[int], None] | None = None,
):
    """`nd-sim size`: the smallest lever value that meets the target by the date in at least
    `confidence` of the replications (`on_total` hears a typical count of the replications
    it runs, once the request is checked, for the progress bar)."""
    from nd_sim.experiments.sizing.run import expected_replications, prepare, size_to_folder

    sc = load_scenario(base_path)
    request = prepare(
        sc, target, by, lever, replications=replications, seed=seed, confidence=confidence
    )
    if on_total:
        on_total(expected_replications(request))
    settings = RunSettings(request.replications, request.seed, out, JOBS)
    return size_to_folder(request, settings, on_done)


def run_families(
    base_path: Path,
    list_path: Path,
    as_of,
    replications: int,
    seed: int,
    out: Path,
    on_done: Callable[[int], None] | None = None,
):
    """`nd-sim families` (parameter uncertainty on, as the CLI's default)."""
    from nd_sim.experiments.families.run import families_to_folder
    from nd_sim.scenario.variants import with_parameter_uncertainty

    sc = with_parameter_uncertainty(load_scenario(base_path), True)
    settings = RunSettings(replications, seed, out, JOBS)
    return families_to_folder(sc, Path(list_path), as_of, settings, on_done=on_done)
