"""`nd-sim size`, piece by piece: targets and aliases, windowed KPIs on hand-made children,
levers turned into scenario variants, the fluid first guess, and the search on a fake curve."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import run_replication
from nd_sim.errors import ScenarioError
from nd_sim.experiments.sizing.guess import Guess, first_guess
from nd_sim.experiments.sizing.levers import (
    DEFAULTS,
    FUNDING,
    OUTSOURCED,
    cap_limit,
    parse_levers,
    team_weights,
)
from nd_sim.experiments.sizing.solver import solve
from nd_sim.experiments.sizing.target import CATALOGUE, parse_target
from nd_sim.experiments.sizing.window import Children, Window, window_kpis
from nd_sim.inputs.model import compile_model
from nd_sim.results.kpis import replication_kpis
from nd_sim.scenario import Scenario, load_scenario
from nd_sim.scenario.models import Funding, Outsourcing, StaffChange

from .conftest import FIXTURES, SCENARIOS


def textbook(
    lam: float = 10.0,
    wte: float = 10.0,
    weeks: int = 40,
    backlog: int = 300,
    backlog_weeks: tuple[float, float] = (1.0, 20.0),
) -> Scenario:
    """One team, one profession of 1 clinical hour per WTE-week, a one-hour appointment."""
    raw: dict = {
        "name": "textbook",
        "start_date": "2026-01-05",
        "horizon_weeks": weeks,
        "professions": {
            "x": {
                "hours_per_wte_week": 1.0,
                "clinical_share": 1.0,
                "leave_fraction": 0.0,
                "cost_gbp_per_wte_year": 52_000.0,
            }
        },
        "teams": {"t": {"staff": {"x": {"wte": wte}}}},
        "districts": {"d": {"team": "t", "referrals_per_week": lam}},
        "demand": {"seasonality": "none", "growth_per_year": 0.0},
        "pathway": {
            "triage": {"enabled": False},
            "appointments": [{"name": "initial", "hours": {"x": 1.0}}],
        },
        "starting_list": {
            "profile": [
                {
                    "district": "d",
                    "weeks_waiting_min": backlog_weeks[0],
                    "weeks_waiting_max": backlog_weeks[1],
                    "count": backlog,
                }
            ]
        },
    }
    return Scenario.model_validate(raw)


# ------------------------------------------------------------------------------- targets
@pytest.mark.parametrize(
    ("text", "kpi", "op", "threshold"),
    [
        ("first_within_13w_pct >= 90", "first_within_13w_pct", ">=", 90.0),
        ("first_within_13w_pct>=0.9", "first_within_13w_pct", ">=", 90.0),
        ("first_appointment_within_13w >= 0.90", "first_within_13w_pct", ">=", 90.0),
        ("first_within_18w_pct ≥ 75%", "first_within_18w_pct", ">=", 75.0),
        ("median_wait_weeks <= 18", "first_wait_median_weeks", "<=", 18.0),
        ("open_52w_plus_end = 0", "open_52w_plus_end", "<=", 0.0),
        ("open_end < 1500", "open_end", "<", 1500.0),
        ("list_cleared", "backlog_not_seen_end", "<=", 0.0),
        ("backlog_not_seen_end <= 25", "backlog_not_seen_end", "<=", 25.0),
        ("first_wait_median_weeks <= 0", "first_wait_median_weeks", "<=", 0.0),
        ("referred_seen_within_13w_pct > 50", "referred_seen_within_13w_pct", ">", 50.0),
    ],
)
def test_parse_target_and_aliases_unit(text: str, kpi: str, op: str, threshold: float) -> None:
    target = parse_target(text)
    assert (target.kpi.name, target.op, target.threshold) == (kpi, op, threshold)


def test_fraction_rule_only_for_percentages_unit() -> None:
    assert parse_target("first_within_13w_pct >= 1").threshold == 100.0  # <= 1: a fraction
    assert parse_target("first_within_13w_pct >= 0.5%").threshold == 0.5  # % written: kept
    assert parse_target("first_wait_median_weeks <= 0.9").threshold == 0.9  # weeks: kept


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("first_within_13w_pct >= 90 weeks", "must look like"),
        ("first_within_13w >= 90", "unknown KPI"),  # a count of summary.csv, not windowed
        ("referrals <= 10", "unknown KPI"),
        ("open_end = 5", "'=' only means"),
        ("first_within_13w_pct >= 120", "between 0 and 100"),
        ("open_end <= 10%", "not %"),
        ("", "must look like"),
        ("open_end <= " + "9" * 400, "finite"),  # parses as inf
        ("first_wait_median_weeks <= -3", "never below 0"),
        ("open_52w_plus_end <= -1", "never below 0"),
        ("first_within_13w_pct >= -5", "between 0 and 100"),
        ("open_end < 0", "can never be met"),
        ("first_within_13w_pct > 100", "never above 100%"),
        ("first_within_13w_pct > 1", "read as the fraction 100%"),
        ("list_cleared >= 3", "yes/no target"),
        ("list_cleared <= 0", "write it on its own"),
        ("list_cleared = 1", "backlog_not_seen_end <= N"),
    ],
)
def test_bad_targets_are_refused_unit(text: str, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_target(text)
    assert words in caught.value.describe()


def test_target_met_treats_undefined_as_missed_unit() -> None:
    target = parse_target("first_within_13w_pct >= 90")
    assert target.met(np.array([95.0, 90.0, 89.9, np.nan])).tolist() == [True, True, False, False]
    below = parse_target("open_end < 10")
    assert below.met(np.array([9.0, 10.0])).tolist() == [True, False]
    assert parse_target("open_52w_plus_end <= 0").threshold_words() == "none"


# ------------------------------------------------------------------------------- windows
def test_window_dates_and_words_unit() -> None:
    window = Window(dt.date(2026, 4, 1), dt.date(2028, 3, 31))
    assert window.end_day == 731  # 2028 is a leap year: 730 days to 31 March, plus that day
    assert window.first_date("flow") == dt.date(2028, 1, 1)  # 91 days ending 31 March
    assert window.first_date("cohort") == dt.date(2027, 10, 2)
    assert window.last_date("cohort") == dt.date(2027, 12, 31)
    assert "13 weeks to 31 March 2028" in window.describe("flow")
    assert "31 March 2028" in window.describe("stock")


@dataclass
class _Child:
    ref: float
    stage: int = -1  # -1 new referral; 0/1 on today's list; 2 in assessment
    first: float = math.nan
    outcome: float = math.nan
    exit: float = math.nan
    code: int = 0  # 0 waiting, 1 assessed, 2 signposted, 3 withdrawn
    triage_day: float = math.nan
    triage: int = 0
    extra: dict = field(default_factory=dict)


def _raw(children: list[_Child]) -> RawResults:
    n = len(children)

    def col(name: str, dtype=float) -> np.ndarray:
        return np.array([getattr(c, name) for c in children], dtype)

    zeros = np.zeros(n, np.int64)
    return RawResults(
        replication=0,
        referral_day=col("ref"),
        district=zeros,
        pathway=zeros,
        priority=zeros,
        start_stage=col("stage", np.int8),
        parent=zeros - 1,
        triage_day=col("triage_day"),
        triage_result=col("triage", np.int8),
        more_information=np.zeros(n, bool),
        first_day=col("first"),
        outcome_day=col("outcome"),
        exit_day=col("exit"),
        exit_code=col("code", np.int8),
        outcome=zeros,
        dna=zeros,
        workshops=zeros,
        outsourced=np.zeros(n, bool),
        step_day=np.zeros((1, n)),
        hours_available=np.zeros((1, 1, 1)),
        hours_used=np.zeros((1, 1, 1)),
        outsourced_cost_gbp=0.0,
        appointments=0,
        starting_ids=(),
    )


def test_windowed_kpis_by_hand_unit() -> None:
    """Window ending at day 100: flow events in [9, 100), the cohort referred in [-82, 9)."""
    raw = _raw(
        [
            _Child(ref=0.0, first=50.0, outcome=80.0, exit=80.0, code=1),  # A: 7.1 wk, cohort
            _Child(ref=-100.0, stage=1, first=20.0, exit=150.0, code=1),  # B: 17.1 wk, open
            _Child(ref=-10.0, stage=1, first=5.0, exit=8.0, code=1),  # C: seen before window
            _Child(ref=-300.0, stage=2),  # D: in assessment at the start, open 57 weeks
            _Child(ref=30.0, exit=60.0, code=3),  # E: withdrew
            _Child(ref=95.0),  # F: new, not seen yet
            _Child(ref=-800.0, stage=1),  # G: today's list, never seen, 128.6 weeks
            _Child(ref=5.0, exit=40.0, code=3),  # I: cohort, withdrew unseen
            _Child(ref=2.0, exit=10.0, code=2, triage_day=10.0, triage=1),  # J: signposted
        ]
    )
    got = Children(raw, np.ones(9, bool))
    a, b = 50.0 / 7, 120.0 / 7
    expected = {
        "first_within_13w_pct": 50.0,
        "first_within_18w_pct": 100.0,
        "first_wait_median_weeks": (a + b) / 2,
        "first_wait_mean_weeks": (a + b) / 2,
        "first_wait_p90_weeks": a + 0.9 * (b - a),
        "outcome_wait_median_weeks": 80.0 / 7,
        "referred_seen_within_13w_pct": 50.0,  # A in time, I not; J signposted, left out
        "open_end": 4.0,  # B, D, F, G
        "not_yet_seen_end": 2.0,  # F, G
        "backlog_not_seen_end": 1.0,  # G
        "open_13w_plus_end": 3.0,
        "open_18w_plus_end": 3.0,
        "open_52w_plus_end": 2.0,
        "open_104w_plus_end": 1.0,
        "open_under_18w_pct_end": 25.0,
        "open_wait_median_end_weeks": (200.0 / 7 + 400.0 / 7) / 2,
    }
    for name, value in expected.items():
        assert got.value(name, 100.0) == pytest.approx(value), name
    assert math.isnan(got.value("first_within_13w_pct", 5.0))  # nobody seen in [-86, 5)
    assert got.value("open_end", 9.0) == 6.0  # C left at 8; A, E, I, J still open; F not yet


def test_stock_kpis_at_the_horizon_equal_summary_kpis_unit() -> None:
    model = compile_model(load_scenario(FIXTURES / "small.toml"))
    raw = run_replication(model, 1, 5)
    county = {k: v for kind, _, k, v in replication_kpis(raw, model) if kind == "county"}
    windowed = window_kpis(raw, model, float(model.days))
    for name, kpi in CATALOGUE.items():
        if kpi.kind == "stock" and name in county:
            assert windowed[name] == pytest.approx(county[name], nan_ok=True), name
    north = window_kpis(raw, model, float(model.days), ("team", 0))
    assert north["open_end"] <= windowed["open_end"]


# -------------------------------------------------------------------------------- levers
def test_staff_lever_fixed_mix_splits_by_referrals_unit() -> None:
    sc = load_scenario(SCENARIOS / "lancashire.toml")
    by = dt.date(2028, 3, 31)
    (lever,) = parse_levers("clinical_psychologist,paediatrician", sc, by)
    assert (lever.cap, lever.step, lever.lag_weeks, lever.ramp_weeks) == (40.0, 0.5, 12.0, 0.0)
    variant = lever.apply(sc, 7.5)
    added = [i for i in variant.interventions if isinstance(i, StaffChange)]
    assert len(added) == 2 * len(sc.teams)
    assert sum(i.wte for i in added) == pytest.approx(7.5)
    weights = team_weights(sc)
    for item in added:
        assert item.wte == pytest.approx(7.5 / 2 * weights[item.team])
        assert item.from_date == sc.start_date and item.recruitment_lag_weeks == 12.0
    assert lever.apply(sc, 0.0) is sc
    assert lever.cost_per_year(sc, 2.0) == pytest.approx(86_000 + 170_000)
    each = parse_levers("clinical_psychologist,paediatrician", sc, by, each=True)
    assert [x.professions for x in each] == [("clinical_psychologist",), ("paediatrician",)]


def test_other_levers_unit() -> None:
    sc = load_scenario(SCENARIOS / "lancashire.toml")
    by = dt.date(2027, 3, 31)
    (out,) = parse_levers("outsourced_per_month", sc, by, price_gbp_each=1000.0)
    (block,) = [i for i in out.apply(sc, 100.0).interventions if isinstance(i, Outsourcing)]
    assert block.assessments == round(100.0 * out.months(by + dt.timedelta(days=1)))
    assert block.until_date == by + dt.timedelta(days=1) and block.price_gbp_each == 1000.0
    assert out.cost_per_year(sc, 100.0) == 1_200_000.0
    (shops,) = parse_levers("workshop_uptake", sc, by)
    assert {w.uptake for w in shops.apply(sc, 0.45).pathway.workshops} == {0.45}
    assert shops.cap == 1.0 and math.isnan(shops.cost_per_year(sc, 0.5))
    (money,) = parse_levers("funding_gbp:paediatrician", sc, by)
    (fund,) = [i for i in money.apply(sc, 1_000_000).interventions if isinstance(i, Funding)]
    assert fund.budget_gbp == pytest.approx(1_000_000) and fund.spend_on == {"paediatrician": 1.0}
    (bare,) = parse_levers("funding_gbp", sc, by)
    assert "educational_psychologist" not in bare.professions  # no appointment uses them
    funded = load_scenario(SCENARIOS / "icb_funding.toml")
    (lagged,) = parse_levers("paediatrician", funded, by)
    assert lagged.lag_weeks == next(
        i.recruitment_lag_weeks for i in funded.interventions if isinstance(i, Funding)
    )


@pytest.mark.parametrize(
    ("text", "more", "words"),
    [
        ("psychologist", {}, "unknown profession"),
        ("", {}, "name one or more"),
        ("paediatrician,paediatrician", {}, "names paediatrician more than once"),
        ("funding_gbp:paediatrician,paediatrician", {}, "more than once"),
        ("paediatrician", {"step": 50.0, "cap": 10.0}, "--step: 50.0 -- the step (50)"),
        ("paediatrician", {"step": 50.0}, "larger than the cap (40)"),
        ("paediatrician", {"step": 1e-300}, "about 4e+301 grid points above 0"),
        ("paediatrician", {"step": 5e-324}, "more than 10^308 grid points"),
        ("paediatrician", {"cap": 100.0, "step": 0.0099}, "10,101 grid points"),
        ("outsourced_per_month", {"cap": 1e6}, "--cap: 1000000.0 -- a step of 25"),
        ("paediatrician", {"cap": 2e4}, "a staff change is at most 10,000 WTE"),
        ("outsourced_per_month", {"cap": 1e10}, "100,000,000 assessments"),
        ("funding_gbp", {"cap": 1e10}, "the most a funding budget may hold"),
        ("workshop_uptake", {"cap": 1.5}, "an uptake is at most 1"),
        ("paediatrician", {"cap": math.nan}, "must be above 0"),
        ("paediatrician", {"step": math.inf}, "finite number above 0"),
        ("outsourced_per_month", {"price_gbp_each": 0.0}, "--price-gbp-each: 0.0"),
    ],
)
def test_bad_levers_are_refused_unit(text: str, more: dict, words: str) -> None:
    sc = load_scenario(SCENARIOS / "lancashire.toml")
    with pytest.raises(ScenarioError) as caught:
        parse_levers(text, sc, dt.date(2027, 3, 31), **more)
    assert words in caught.value.describe()


def test_lever_caps_within_the_models_bounds_unit() -> None:
    """Every value up to the cap, kept on to the horizon, makes a valid scenario; a default
    cap beyond the bound is cut to it, a default step beyond the cap to the cap."""
    sc = load_scenario(FIXTURES / "small.toml")
    by = dt.date(2026, 4, 8)  # a week in: the funding rate kept on for two years is large
    end = sc.start_date + dt.timedelta(days=sc.horizon_weeks * 7)
    most, _ = cap_limit(sc, OUTSOURCED, by)
    (out,) = parse_levers("outsourced_per_month", sc, by, cap=most, step=most / 100)
    block = out.apply(sc, out.cap, end).interventions[-1]  # the lever's, after the scenario's
    assert isinstance(block, Outsourcing) and block.until_date == end
    assert 99_000_000 < block.assessments <= 100_000_000
    limit, _ = cap_limit(sc, FUNDING, by)
    (money,) = parse_levers("funding_gbp", sc, by, cap=limit, step=limit / 100)
    fund = money.apply(sc, money.cap, end).interventions[-1]
    assert isinstance(fund, Funding)
    assert 0.99e10 < fund.budget_gbp <= 1e10
    tight = dt.date(2026, 4, 1) + dt.timedelta(days=1)
    (bare,) = parse_levers("funding_gbp", sc.model_copy(update={"horizon_weeks": 1040}), tight)
    assert bare.cap < DEFAULTS[FUNDING][0] and bare.step <= bare.cap
    (few,) = parse_levers("outsourced_per_month", sc, by, cap=10.0)
    assert (few.cap, few.step) == (10.0, 10.0)  # the default step (25) cut to the cap


def test_describe_names_no_profession_for_outsourcing_and_workshops_unit() -> None:
    sc = load_scenario(FIXTURES / "small.toml")
    by = dt.date(2027, 6, 30)
    (out,) = parse_levers("outsourced_per_month", sc, by, price_gbp_each=900.0)
    assert out.describe().startswith("outsourced assessments at £900 each")
    (shops,) = parse_levers("workshop_uptake", sc, by)
    assert "uptake of every workshop" in shops.describe()
    (mix,) = parse_levers("paediatrician,psychologist", sc, by)
    assert "paediatrician and psychologist" in mix.describe()


def test_workshop_lever_needs_workshops_unit() -> None:
    with pytest.raises(ScenarioError, match="no workshops"):
        parse_levers("workshop_uptake", textbook(), dt.date(2026, 6, 1))


# ----------------------------------------------------------------------- the first guess
def test_first_guess_is_the_fluid_answer_on_the_textbook_queue_unit() -> None:
    """No withdrawals, no growth, staff from day 0: the fluid queue after W weeks is
    B + W (lambda - c - e), so open_end <= k needs e = (B - k) / W + lambda - c."""
    sc = textbook(lam=10.0, wte=10.0, backlog=300)
    by = sc.start_date + dt.timedelta(days=7 * 30 - 1)
    (lever,) = parse_levers("x", sc, by, lag_weeks=0.0, step=1.0)
    guess = first_guess(
        compile_model(sc), lever, parse_target("open_end <= 25"), Window(sc.start_date, by),
        ("county", -1),
    )  # fmt: skip
    assert guess.value == pytest.approx((300 - 25) / 30, rel=1e-6)


# ------------------------------------------------------------------- the search, on a fake
@dataclass
class _Eval:
    x: float
    share_met: float


class _FakeEvaluator:
    """Stands in for `Evaluator`: the share of replications meeting the target is a function
    of the lever value, so the search logic can be checked without simulating."""

    def __init__(self, share) -> None:
        self.share = share
        self.cache: dict = {}
        self.calls: list[float] = []

    def at(self, lever, index: int) -> _Eval:
        key = (lever.name, index)
        if key not in self.cache:
            x = index * lever.step
            self.calls.append(x)
            self.cache[key] = _Eval(x, self.share(x))
        return self.cache[key]


def _lever(cap: float = 40.0, step: float = 0.5):
    sc = textbook()
    return parse_levers("x", sc, dt.date(2026, 6, 1), cap=cap, step=step)[0]


@pytest.mark.parametrize("guess", [None, 1.0, 6.0, 7.0, 7.5, 20.0, 40.0])
def test_search_finds_the_step_where_a_monotone_curve_crosses_unit(guess) -> None:
    fake = _FakeEvaluator(lambda x: 0.9 if x >= 7.5 else 0.3)
    solution = solve(fake, _lever(), Guess(guess, ()), confidence=0.8, marginal_rows=0)
    assert solution.answer.x == 7.5 and solution.below.x == 7.0
    assert len(fake.calls) <= 2 + 2 * math.ceil(math.log2(80)) + 1


def test_search_on_a_noisy_curve_unit() -> None:
    """5.0 meets by chance, 5.5 to 7.0 miss: the bisection's answer (7.5, with 7.0 missing)
    stands, and the lucky 5.0 is reported as noise, since 4.5 was never run."""
    meets = {5.0, *np.arange(7.5, 40.5, 0.5).tolist()}
    fake = _FakeEvaluator(lambda x: 0.85 if x in meets else 0.5)
    lever = _lever()
    for i in (10, 11):  # 5.0 and 5.5 were evaluated (say, for another reason)
        fake.at(lever, i)
    solution = solve(fake, lever, Guess(8.0, ()), confidence=0.8, marginal_rows=0)
    assert (solution.answer.x, solution.below.x) == (7.5, 7.0)
    assert [e.x for e in solution.noisy] == [5.0]


def test_search_rule_smallest_meet_with_the_step_below_missing_unit() -> None:
    """With 4.5 (a miss) also run, 5.0 is a confirmed crossing and, being the smallest, the
    answer: the rule is stated on evaluated values, whatever order they were run in."""
    meets = {5.0, *np.arange(7.5, 40.5, 0.5).tolist()}
    fake = _FakeEvaluator(lambda x: 0.85 if x in meets else 0.5)
    lever = _lever()
    for i in (9, 10, 11):
        fake.at(lever, i)
    solution = solve(fake, lever, Guess(8.0, ()), confidence=0.8, marginal_rows=0)
    assert (solution.answer.x, solution.below.x) == (5.0, 4.5)


def test_search_says_when_the_cap_misses_unit() -> None:
    fake = _FakeEvaluator(lambda x: 0.5)
    fake.scenario = textbook(weeks=40)
    fake.window = Window(fake.scenario.start_date, fake.scenario.start_date + dt.timedelta(days=69))
    fake.target = parse_target("open_end <= 0")
    fake.series = lambda lever, x, until, ends: np.tile(np.where(ends >= 140, 0.0, 5.0), (5, 1))
    solution = solve(fake, _lever(cap=2.0), Guess(1.0, ()), confidence=0.8, marginal_rows=0)
    assert not solution.feasible and solution.answer is None
    assert solution.earliest.date == fake.scenario.start_date + dt.timedelta(days=139)
    assert solution.earliest.n_met == 5


def test_search_answer_zero_when_nothing_is_needed_unit() -> None:
    fake = _FakeEvaluator(lambda x: 1.0)
    solution = solve(fake, _lever(), Guess(12.0, ()), confidence=0.8, marginal_rows=3)
    assert solution.answer.x == 0.0 and solution.below is None
    assert solution.marginal == (0.0, 0.5, 1.0)  # two steps beyond the answer
