"""Numbers, dates and settings as the report words them."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest

from nd_sim.report.html import assumption_rows
from nd_sim.report.numbers import (
    MINUS,
    interval_has_width,
    money_gbp,
    number,
    week_date,
    with_interval,
)
from nd_sim.report.settings_words import setting_label
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (774_648, {}, "£775,000"),
        (1_108_000, {}, "£1,108,000"),
        (1_108_000, {"short": True}, "£1.11m"),
        (1_800_000, {"short": True}, "£1.8m"),
        (504_000, {"short": True}, "£504,000"),
        (27_579.4, {}, "£28,000"),
        (1_500, {}, "£1,500"),
        (600.4, {}, "£600"),
        (0, {"signed": True}, "£0"),
        (-1_360_000, {"short": True, "signed": True}, f"{MINUS}£1.36m"),
        (2_000, {"signed": True}, "+£2,000"),
        (math.nan, {}, "–"),
    ],
)
def test_money_is_rounded_as_a_board_quotes_it_unit(value, kwargs, text) -> None:
    assert money_gbp(value, **kwargs) == text


def test_an_interval_without_width_is_not_printed_unit() -> None:
    assert with_interval(1_108_000, 1_108_000, 1_108_000, fmt=money_gbp) == "£1,108,000"
    assert with_interval(-0.01, -0.02, 0.01, signed=True) == "0.0"  # no "−0.0 (−0.0 to +0.0)"
    assert with_interval(5.0, math.nan, math.nan) == "5.0"
    assert with_interval(-49.3, -49.8, -48.8, signed=True) == (
        f"{MINUS}49.3 ({MINUS}49.8 to {MINUS}48.8)"
    )
    assert with_interval(2, 1, 3, digits=0, sep="–") == "2 (1–3)"
    assert not interval_has_width(3.0, 3.04) and interval_has_width(3.0, 3.1)
    assert number(-0.0001, 1) == "0.0" and number(1234.5, 1, signed=True) == "+1,234.5"


def test_weeks_are_dates_unit() -> None:
    assert week_date(dt.date(2026, 4, 1), 0) == "1 April 2026"
    assert week_date(dt.date(2026, 4, 1), 247) == "25 December 2030"


def test_settings_are_words_unit() -> None:
    scenario = load_scenario(FIXTURES / "small.toml")
    assert setting_label("interventions[0].max_recruits_wte.clinical_psychologist", scenario) == (
        "the cap on recruited clinical psychologists (WTE) of intervention "
        f"'{scenario.interventions[0].name}'"
    )
    assert setting_label("teams.north.staff.slt.wte") == (
        "speech and language therapists in the north team (WTE)"
    )
    assert setting_label("pathway.dna.probability") == "chance a family misses an appointment"
    assert setting_label("something_new_gbp") == "something new (£)"  # unknown: still words
    for path, _, _ in assumption_rows_of(scenario):
        words = setting_label(path, scenario)
        assert not re.search(r"\[\d+\]|\w_\w", words), (path, words)


def assumption_rows_of(scenario):
    """`assumption_rows` needs only a result's scenario."""

    class Run:
        pass

    run = Run()
    run.scenario = scenario
    return assumption_rows(run)
