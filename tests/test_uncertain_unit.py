"""Uncertain inputs: reading ranges, checking them, quantiles and shares that sum to 1."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nd_sim.engine.parameters import draws, scenario_at
from nd_sim.errors import ScenarioError
from nd_sim.scenario import load_scenario
from nd_sim.scenario.models import UncertainInput
from nd_sim.scenario.uncertain import quantile
from tests.conftest import FIXTURES

pytestmark = pytest.mark.unit
SMALL = FIXTURES / "small.toml"


def _child(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "child.toml"
    path.write_text(f'extends = "{SMALL}"\nname = "child"\n{body}')
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [f"{p.path} | {p.value} | {p.rule}" for p in caught.value.problems]


def test_a_range_beside_a_number_is_lifted_with_its_note(tmp_path: Path) -> None:
    path = _child(
        tmp_path,
        "[pathway.dna]\n"
        'probability = { value = 0.1, low = 0.05, high = 0.2, note = "audit 2025" }\n'
        "[uncertain]\n"
        '"pathway.withdrawal.weekly_hazard" = { low = 0.002, high = 0.008, dist = "uniform" }\n',
    )
    sc = load_scenario(path)
    assert sc.pathway.dna.probability == 0.1
    assert sc.notes["pathway.dna.probability"] == "audit 2025"
    assert sc.uncertain["pathway.dna.probability"] == UncertainInput(low=0.05, high=0.2)
    assert sc.uncertain["pathway.withdrawal.weekly_hazard"].dist == "uniform"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (  # low above high
            "[pathway.dna]\nprobability = { value = 0.1, low = 0.2, high = 0.05 }\n",
            "pathway.dna.probability | ",
        ),
        (  # the value outside its own range
            "[pathway.dna]\nprobability = { value = 0.3, low = 0.05, high = 0.2 }\n",
            "pathway.dna.probability | 0.3 | must lie within its range",
        ),
        (  # the field's own bound, at the range's high end
            "[pathway.dna]\nprobability = { value = 0.1, low = 0.05, high = 1.5 }\n",
            "pathway.dna.probability.high | 1.5 |",
        ),
        (  # normal needs sd
            "[pathway.dna]\n"
            'probability = { value = 0.1, low = 0.0, high = 0.2, dist = "normal" }\n',
            "needs sd",
        ),
        (  # an unknown distribution
            '[pathway.dna]\nprobability = { value = 0.1, low = 0.0, high = 0.2, dist = "beta" }\n',
            "pathway.dna.probability.dist | beta |",
        ),
        (  # a path that names nothing
            '[uncertain]\n"pathway.dna.probabilty" = { low = 0.0, high = 0.2 }\n',
            "names no number in the scenario",
        ),
        (  # the shape of the run cannot vary
            "horizon_weeks = { value = 104, low = 52, high = 156 }\n",
            "horizon_weeks | horizon_weeks | cannot be uncertain",
        ),
        (  # lognormal needs a positive low
            "[pathway.dna]\n"
            'probability = { value = 0.1, low = 0.0, high = 0.2, dist = "lognormal", sd = 0.3 }\n',
            "lognormal needs low above 0",
        ),
    ],
)
def test_bad_ranges_are_named_with_the_value_and_rule(
    tmp_path: Path, body: str, expected: str
) -> None:
    problems = _problems(_child(tmp_path, body))
    assert any(expected in p for p in problems), problems


def test_a_range_that_breaks_a_cross_check_at_its_end_is_refused(tmp_path: Path) -> None:
    # funding shares must not sum over 1: at its high end this share makes them 1.3
    body = (
        '[[interventions]]\nkind = "funding"\nbudget_gbp = 100000.0\nfrom = 2026-06-01\n'
        "over_months = 12\n"
        "spend_on = { paediatrician = 0.5, "
        "psychologist = { value = 0.5, low = 0.3, high = 0.8 } }\n"
    )
    problems = _problems(_child(tmp_path, body))
    assert any("spend_on" in p and "high end" in p for p in problems), problems


@given(
    low=st.floats(0.0, 10.0),
    width=st.floats(0.0, 10.0),
    at=st.floats(0.0, 1.0),
    u=st.floats(0.0, 1.0),
    dist=st.sampled_from(["triangular", "uniform", "normal", "lognormal"]),
)
def test_every_quantile_lies_in_the_range_unit(
    low: float, width: float, at: float, u: float, dist: str
) -> None:
    low = low + (0.01 if dist == "lognormal" else 0.0)
    high = low + width
    value = low + at * width
    sd = 0.5 if dist in ("normal", "lognormal") else None
    spec = UncertainInput(low=low, high=high, dist=dist, sd=sd)
    x = quantile(spec, value, u)
    assert low - 1e-9 <= x <= high + 1e-9
    assert quantile(spec, value, min(1.0, u + 0.1)) >= x - 1e-9  # monotone in u


def test_quantiles_follow_their_distributions_unit() -> None:
    tri = UncertainInput(low=0.0, high=4.0)
    assert quantile(tri, 1.0, 0.25) == pytest.approx(1.0)  # the mode's CDF is (1-0)/(4-0)
    assert quantile(tri, 1.0, 0.0) == 0.0 and quantile(tri, 1.0, 1.0) == 4.0
    uni = UncertainInput(low=2.0, high=6.0, dist="uniform")
    assert quantile(uni, 3.0, 0.5) == 4.0
    normal = UncertainInput(low=-100.0, high=100.0, dist="normal", sd=2.0)
    assert quantile(normal, 10.0, 0.5) == pytest.approx(10.0)
    assert quantile(normal, 10.0, 0.975) == pytest.approx(10.0 + 1.959964 * 2.0, rel=1e-5)
    lognormal = UncertainInput(low=0.01, high=1000.0, dist="lognormal", sd=0.5)
    assert quantile(lognormal, 3.0, 0.5) == pytest.approx(3.0)
    assert quantile(lognormal, 3.0, 0.8413447) == pytest.approx(3.0 * math.exp(0.5), rel=1e-5)
    zero = UncertainInput(low=0.3, high=0.3)
    assert quantile(zero, 0.3, 0.77) == 0.3


def test_shares_stay_summed_to_one_when_one_is_drawn(tmp_path: Path) -> None:
    path = _child(tmp_path, "[pathway.triage]\naccept = { value = 0.8, low = 0.6, high = 0.95 }\n")
    sc = load_scenario(path)
    moved = scenario_at(sc, {"pathway.triage.accept": 0.95})
    t = moved.pathway.triage
    assert t.accept == 0.95
    assert t.accept + t.signpost + t.more_information == pytest.approx(1.0)
    assert t.signpost / t.more_information == pytest.approx(0.12 / 0.08)  # kept in proportion
    assert not moved.run.parameter_uncertainty  # a drawn scenario is not drawn again


def test_whole_number_fields_take_whole_draws(tmp_path: Path) -> None:
    body = "[pathway.dna]\ndischarge_after = { value = 3, low = 1, high = 6 }\n"
    sc = load_scenario(_child(tmp_path, body))
    assert scenario_at(sc, {"pathway.dna.discharge_after": 4.4}).pathway.dna.discharge_after == 4


def test_draws_are_keyed_by_input_not_by_scenario(tmp_path: Path) -> None:
    """Common random numbers: the same input gets the same quantile in any scenario that
    has it, whatever else the scenario holds."""
    one = load_scenario(
        _child(tmp_path, "[pathway.dna]\nprobability = { value = 0.1, low = 0.0, high = 0.2 }\n")
    )
    body = (
        "[pathway.dna]\nprobability = { value = 0.1, low = 0.0, high = 0.2 }\n"
        "[pathway.withdrawal]\nweekly_hazard = { value = 0.004, low = 0.0, high = 0.01 }\n"
    )
    two = load_scenario(_child(tmp_path, body))
    for r in range(5):
        assert (
            draws(one, 7, r)["pathway.dna.probability"]
            == draws(two, 7, r)["pathway.dna.probability"]
        )
    assert len({draws(one, 7, r)["pathway.dna.probability"] for r in range(5)}) == 5


def test_a_group_draws_one_quantile_for_all_its_members(tmp_path: Path) -> None:
    body = (
        "[districts.A]\n"
        'referrals_per_week = { value = 6.0, low = 4.0, high = 8.0, group = "level" }\n'
        "[districts.B]\n"
        'referrals_per_week = { value = 5.0, low = 3.0, high = 7.0, group = "level" }\n'
    )
    sc = load_scenario(_child(tmp_path, body))
    for r in range(6):
        got = draws(sc, 3, r)
        a, b = got["districts.A.referrals_per_week"], got["districts.B.referrals_per_week"]
        assert a - 6.0 == pytest.approx(b - 5.0)  # the same quantile of the same shape


def test_a_program_made_variant_drops_only_the_ranges_it_made_stale(tmp_path: Path) -> None:
    from nd_sim.scenario.variants import checked

    body = (
        "[pathway.dna]\nprobability = { value = 0.1, low = 0.05, high = 0.2 }\n"
        "[pathway.withdrawal]\nweekly_hazard = { value = 0.004, low = 0.002, high = 0.006 }\n"
    )
    sc = load_scenario(_child(tmp_path, body))
    dna = sc.pathway.dna.model_copy(update={"probability": 0.3})  # a lever set it outside
    pathway = sc.pathway.model_copy(update={"dna": dna})
    variant = checked(sc.model_copy(update={"pathway": pathway}), "lever")
    assert "pathway.dna.probability" not in variant.uncertain
    assert "pathway.withdrawal.weekly_hazard" in variant.uncertain
