"""The STRESS-DES reporting checklist (Monks et al. 2019), filled in from a run.

A modeller reviewing a report should find, in one table, what was modelled, with what
data, how it was run and where the code is; each answer here is read from the run's
manifest and scenario, not written by hand.
"""

from __future__ import annotations

from nd_sim.report.data import ReportData
from nd_sim.results import registry
from nd_sim.results.registry import TRADEOFF_KPIS

HEADLINE_OUTPUTS = (*TRADEOFF_KPIS, "open_end", "open_wait_median_end_weeks", "assessed")

MODEL_DOC = "docs/model.md"


def checklist(data: ReportData) -> list[tuple[str, str, str]]:
    """Rows of (section, item, answer)."""
    base = data.base
    sc = base.scenario
    manifest = base.manifest
    versions = manifest.get("versions", {})
    reps = manifest.get("replications")
    seed = manifest.get("seed")
    names = ", ".join(s.label for s in data.scenarios)
    starting = _starting_list(sc)
    return [
        (
            "1 Objectives",
            "1.1 Purpose of the model",
            "Project waiting times for the children's neurodevelopmental (autism/ADHD) assessment "
            f"pathway by district, to compare options before money is spent. Scenarios: {names}.",
        ),
        (
            "1 Objectives",
            "1.2 Model outputs",
            "Per district, team and county, mean and t-based 95% CI over replications of: "
            + ", ".join(kpi_label(k) for k in HEADLINE_OUTPUTS)
            + ", and more (see docs/outputs.md).",
        ),
        (
            "1 Objectives",
            "1.3 Experimentation aims",
            "Compare each option with the base on common random numbers (paired differences)."
            if data.kind == "comparison"
            else "A single scenario; no experimentation.",
        ),
        (
            "2 Logic",
            "2.1 Base model overview",
            "Referral → triage panel (accept, signpost, more information) → workshops while "
            f"waiting → {len(sc.pathway.appointments)} appointments ("
            + ", ".join(a.name for a in sc.pathway.appointments)
            + ") → outcome. "
            f"See {MODEL_DOC}.",
        ),
        (
            "2 Logic",
            "2.2 Modelling assumptions",
            "Capacity is profession-hours per team per week; appointments take the hours of "
            "every profession they need; DNAs waste the slot and rebook; families leave at a "
            "constant weekly hazard while not yet seen; see the assumptions log and "
            f"{MODEL_DOC} (limitations).",
        ),
        (
            "2 Logic",
            "2.3 Scope",
            f"{len(sc.districts)} districts, {len(sc.teams)} teams, {len(sc.professions)} "
            "professions; no individual clinicians, no carry-over of unused hours, "
            "no bank holidays.",
        ),
        (
            "2 Logic",
            "2.4 Algorithms",
            f"Queue order: {sc.booking.queue_order}; booking lead time "
            f"{sc.booking.lead_time_weeks} weeks; new-patient share of hours "
            f"{sc.booking.new_patient_share:g}; follow-ups booked latest step first.",
        ),
        (
            "2 Logic",
            "2.5 Components",
            "Entities: children (rows in arrays). Activities: triage panels, clinic weeks, "
            "workshop sessions, outsourced assessments. Resources: staff hours by team and "
            "profession. Queues: triage, new patients by priority class, one per follow-up step.",
        ),
        (
            "3 Data",
            "3.1 Data sources",
            "Scenario file(s) with a source or 'assumption' note beside each number (see the "
            "assumptions log); public NHS statistics (autism waiting-time statistics, ASD12 "
            "referrals, community health services waiting lists) for calibration.",
        ),
        (
            "3 Data",
            "3.2 Pre-processing",
            "Monthly referral seasonality derived from NHS ASD12 referrals; district referral "
            "rates proportional to children (assumption).",
        ),
        ("3 Data", "3.3 Input parameters", "Listed in full in the assumptions log below."),
        (
            "3 Data",
            "3.4 Assumptions",
            "See the assumptions log; entries without a note are flagged.",
        ),
        (
            "4 Experimentation",
            "4.1 Initialisation",
            f"No warm-up: the run starts from today's waiting list ({starting}).",
        ),
        ("4 Experimentation", "4.2 Run length", f"{sc.horizon_weeks} weeks from {sc.start_date}."),
        (
            "4 Experimentation",
            "4.3 Estimation approach",
            f"{reps} replications, base seed {seed}; t-based 95% intervals over replications; "
            "children still waiting at the end are censored, never dropped.",
        ),
        (
            "5 Implementation",
            "5.1 Software",
            "Python "
            + versions.get("python", "?")
            + ", nd-sim "
            + versions.get("nd-sim", "?")
            + ", SimPy "
            + versions.get("simpy", "?")
            + ", NumPy "
            + versions.get("numpy", "?")
            + ", pandas "
            + versions.get("pandas", "?")
            + ".",
        ),
        (
            "5 Implementation",
            "5.2 Random sampling",
            "NumPy PCG64 streams keyed by (base seed, replication, stream name), one per "
            "attribute and district: common random numbers across scenarios.",
        ),
        (
            "5 Implementation",
            "5.3 Model execution",
            "SimPy event list (days from the start date); children as rows in arrays with lazy "
            "skipping of those who left; replications in parallel processes give identical "
            "results.",
        ),
        (
            "5 Implementation",
            "5.4 System specification",
            f"Wall time {manifest.get('wall_seconds', '?')} s for the base run; see manifest.json.",
        ),
        (
            "6 Code access",
            "6.1 Computer model sharing statement",
            "nd-sim source, tests and the scenario files are in the project repository; this "
            "report can be rebuilt from the results folder with `nd-sim report`.",
        ),
    ]


def kpi_label(kpi: str) -> str:
    """A KPI's plain-English label, from the registry."""
    return registry.label(kpi)


def _starting_list(sc) -> str:
    parts = []
    if sc.starting_list.csv:
        parts.append("a snapshot CSV")
    if sc.starting_list.profile:
        count = sum(b.count for b in sc.starting_list.profile)
        parts.append(f"an age-of-wait profile of {count:,} children")
    return " and ".join(parts) or "an empty list"
