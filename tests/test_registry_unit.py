"""The KPI registry: one entry per KPI, directions used by every ranking, docs generated."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from nd_sim.engine.replication import run_replication
from nd_sim.errors import ScenarioError
from nd_sim.experiments.ranking import (
    Objective,
    change_words,
    gain_text,
    objective_for,
    per_million_text,
    rank_scenarios,
    significantly_better,
    significantly_worse,
)
from nd_sim.results import registry
from nd_sim.results.kpis import replication_kpis

from .conftest import ROOT

COMPARISON_ONLY = (
    "cost_per_child_week_saved_gbp",
    "cost_per_week_of_median_wait_saved_gbp",
    "cost_per_extra_child_within_13w_gbp",
)


def test_every_kpi_a_run_writes_has_an_entry(small_model, lancashire_model) -> None:
    for model in (small_model, lancashire_model):
        names = {kpi for _, _, kpi, _ in replication_kpis(run_replication(model, 0, 3), model)}
        missing = sorted(n for n in names if registry.lookup(n) is None)
        assert not missing, f"KPIs without a registry entry: {missing}"
        for name in names:  # a family member needs its family's entry, with a family
            entry = registry.lookup(name)
            assert ("." in name) == bool(entry.family), name


def test_entries_are_complete_and_unique() -> None:
    names = [k.name for k in registry.KPIS]
    assert len(names) == len(set(names))
    for k in registry.KPIS:
        assert k.unit and k.label and k.definition and k.group, k.name
        assert k.better in ("lower", "higher", None), k.name
        assert "_" not in k.label, f"{k.name}: a label is words, not a key"
    for name in (*registry.TRADEOFF_KPIS, registry.DEFAULT_OBJECTIVE, *COMPARISON_ONLY):
        assert registry.lower_is_better(name) is not None, name


def test_docs_tables_are_current() -> None:
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    start = text.index(registry.DOCS_START) + len(registry.DOCS_START)
    body = text[start : text.index(registry.DOCS_END)]
    assert body.strip() == registry.docs_tables().strip(), (
        "docs/outputs.md is stale: run python -m nd_sim.results.registry"
    )


def _table(means: dict[str, float], kpi: str, sd: float = 1.0) -> pd.DataFrame:
    base = next(iter(means.values()))
    rows = []
    for folder, mean in means.items():
        d = mean - base
        rows.append(
            {
                "folder": folder,
                "area_type": "county",
                "area": "county",
                "kpi": kpi,
                "mean": mean,
                "diff_from_base": d,
                "diff_ci95_low": d - sd if folder != "base" else 0.0,
                "diff_ci95_high": d + sd if folder != "base" else 0.0,
            }
        )
    return pd.DataFrame(rows)


def test_higher_is_better_ranks_highest_first() -> None:
    kpi = "referred_seen_within_13w_pct"
    table = _table({"base": 40.0, "a": 70.0, "b": 55.0}, kpi)
    ranks = rank_scenarios(table, Objective(kpi))
    assert ranks.folder.tolist() == ["a", "b", "base"]
    assert ranks["rank"].tolist() == [1, 2, 3]


def test_lower_is_better_ranks_lowest_first() -> None:
    kpi = "open_52w_plus_end"
    ranks = rank_scenarios(_table({"base": 900.0, "a": 700.0, "b": 1200.0}, kpi), Objective(kpi))
    assert ranks.folder.tolist() == ["a", "base", "b"]


def test_tradeoffs_name_what_is_significantly_worse() -> None:
    first = _table({"base": 80.0, "paed": 31.0}, "first_wait_median_weeks")
    long = _table({"base": 2900.0, "paed": 4600.0}, "open_52w_plus_end", sd=60.0)
    unclear = _table({"base": 50.0, "paed": 49.0}, "referred_seen_within_13w_pct", sd=3.0)
    table = pd.concat([first, long, unclear], ignore_index=True)
    ranks = rank_scenarios(table, Objective("first_wait_median_weeks"), end="25 March 2031")
    paed = ranks.set_index("folder").loc["paed"]
    assert paed.tradeoffs == "open_52w_plus_end"  # the unclear share is not a trade-off
    assert "1,700 more children waiting a year or more at the end (25 March 2031)" in (
        paed.tradeoffs_text
    )
    assert ranks.set_index("folder").loc["base"].tradeoffs == ""


@pytest.mark.parametrize(
    ("kpi", "low", "high", "worse", "better"),
    [
        ("open_52w_plus_end", 1.0, 5.0, True, False),
        ("open_52w_plus_end", -5.0, -1.0, False, True),
        ("open_52w_plus_end", -1.0, 1.0, False, False),
        ("referred_seen_within_13w_pct", -5.0, -1.0, True, False),
        ("referred_seen_within_13w_pct", 1.0, 5.0, False, True),
        ("intervention_cost_gbp", 1e6, 1e6, True, False),  # a fixed cost: no interval
        ("referrals", 1.0, 5.0, False, False),  # no better direction
        ("open_52w_plus_end", math.nan, math.nan, False, False),  # one replication
    ],
)
def test_significance_sides(kpi, low, high, worse, better) -> None:
    assert significantly_worse(kpi, low, high) is worse
    assert significantly_better(kpi, low, high) is better


def test_change_words() -> None:
    assert change_words("first_wait_median_weeks", -49.3) == (
        "shortens the median wait for a first appointment by 49.3 weeks"
    )
    assert change_words("intervention_cost_gbp", 1_108_000) == "costs £1.11m more"
    assert change_words("referred_seen_within_13w_pct", 0.34).startswith(
        "raises the share of referrals seen within 13 weeks by 0.3 percentage points"
    )


def test_objective_checks() -> None:
    districts, teams = ("Lancaster", "Wyre", "North"), ("North", "Central")
    assert objective_for(None, None, districts, teams) == Objective()
    assert objective_for("open_end", "wyre", districts, teams).area_type == "district"
    assert objective_for("open_end", "team:North", districts, teams).area == "North"
    bad = [
        ("no_such_kpi", None, "--objective"),
        ("referrals", None, "--objective"),  # neither direction is better
        ("utilisation_pct", None, "--objective"),
        ("open_end", "Atlantis", "--area"),
        ("open_end", "North", "--area"),  # both a team and a district
    ]
    for kpi, area, field in bad:
        with pytest.raises(ScenarioError) as info:
            objective_for(kpi, area, districts, teams)
        assert info.value.problems[0].path == field


def test_units_come_from_the_registry() -> None:
    assert registry.unit("utilisation_pct.paediatrician") == "%"
    assert registry.unit("incomplete_wait_p92_weeks.2027-03-31") == "weeks"
    assert registry.label("quarter_outcome_within_18w_pct.2026-Q2").endswith("(2026-Q2)")


def test_size_targets_and_financial_year_measures_are_registered() -> None:
    from nd_sim.experiments.sizing.target import CATALOGUE
    from nd_sim.results.financial_year import UNITS

    for name, kpi in CATALOGUE.items():
        assert registry.lookup(name) is not None, name
        assert registry.unit(name) == kpi.unit, name
    for name, unit in UNITS.items():
        assert registry.lookup(name) is not None, name
        assert registry.unit(name) == unit, name


def test_a_change_too_small_to_show_is_neither_gain_nor_tradeoff() -> None:
    kpi = "referred_seen_within_13w_pct"
    assert not significantly_worse(kpi, -0.008, -0.002, -0.005)  # sure, but 0.005 points
    assert significantly_worse(kpi, -0.9, -0.3, -0.6)
    assert not significantly_better("first_wait_median_weeks", -0.02, -0.01, -0.017)


def test_a_change_under_a_tenth_of_a_week_is_not_told() -> None:
    """0.089 weeks is less than a day: true, but nothing a board would act on."""
    assert not significantly_better("outcome_wait_median_weeks", -0.12, -0.06, -0.089)
    assert significantly_better("outcome_wait_median_weeks", -0.3, -0.1, -0.2)


def test_gain_text_shares_one_precision_and_a_true_minus() -> None:
    assert gain_text(58.3, -322.3, 438.9) == "+58 (\u2212322 to +439)"
    assert gain_text(936.0, 101.0, 1772.0) == "+936 (+101 to +1,772)"
    assert gain_text(1.42, 1.25, 1.56) == "+1.4 (+1.2 to +1.6)"
    assert gain_text(0.0, 0.0, 0.0) == "0.0"
    assert gain_text(-0.0, math.nan, math.nan) == "0.0"
    assert per_million_text(-0.0001) == "0"
    assert per_million_text(math.nan) == "\u2013"
