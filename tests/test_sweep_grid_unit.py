"""Grid files: the cross product and named variants, each validated as a scenario file, and
every problem of the grid reported at once with the variant, path, value and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from nd_sim.errors import ScenarioError
from nd_sim.experiments.grid import MAX_VARIANTS, load_grid
from nd_sim.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS

ICB = SCENARIOS / "icb_funding.toml"
LANCASHIRE = SCENARIOS / "lancashire.toml"
GROWTH = "demand.growth_per_year"
BUDGET = "interventions[0].budget_gbp"


def _grid(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "grid.toml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str, scenario: Path = ICB) -> str:
    with pytest.raises(ScenarioError) as info:
        load_grid(_grid(tmp_path, text), scenario)
    assert info.value.source.endswith("grid.toml")
    return info.value.describe()


CROSS = f"""
[grid]
"{GROWTH}" = [0.03, {{ value = 0.06, note = "the plan" }}, 0.12]
"{BUDGET}" = [0, 600_000, 1_200_000, 1_800_000]
"""


def test_cross_product_order_count_and_names_unit(tmp_path: Path) -> None:
    grid = load_grid(_grid(tmp_path, CROSS), ICB)
    assert grid.keys == [GROWTH, BUDGET]
    assert grid.source == str(tmp_path / "grid.toml")
    assert [v.index for v in grid.variants] == list(range(12))
    combos = [(v.settings[GROWTH], v.settings[BUDGET]) for v in grid.variants]
    assert combos[:5] == [(0.03, 0), (0.03, 600_000), (0.03, 1_200_000), (0.03, 1_800_000),
                          (0.06, 0)]  # fmt: skip
    assert list(grid.variants[5].settings) == [GROWTH, BUDGET]
    assert grid.variants[5].name == f"{GROWTH}=0.06, {BUDGET}=600000"
    scenario = grid.variants[11].scenario
    assert scenario.demand.growth_per_year == 0.12
    assert scenario.interventions[0].budget_gbp == 1_800_000
    assert scenario.name == load_scenario(ICB).name  # the rest is the scenario's


def test_notes_of_set_values_unit(tmp_path: Path) -> None:
    grid = load_grid(_grid(tmp_path, CROSS), ICB)
    base = load_scenario(ICB)
    assert "ICB committed" in base.notes[BUDGET]
    notes = grid.variants[5].scenario.notes
    assert notes[GROWTH] == "the plan"  # the grid's own note
    assert notes[BUDGET] == "sweep: set by the grid grid.toml"  # replaces the stale source
    untouched = "teams.north.staff.paediatrician.wte"
    assert notes[untouched] == base.notes[untouched]


def test_explicit_variants_after_the_cross_product_unit(tmp_path: Path) -> None:
    text = (
        CROSS
        + """
[[variants]]
name = "as it is"
set = {}

[[variants]]
name = "two more paediatricians in the north"
[variants.set]
"teams.north.staff.paediatrician.wte" = 3.8
"pathway.appointments[0].hours.paediatrician" = 1.25

[[variants]]
name = "unquoted dotted keys"
set = { demand.growth_per_year = 0.2 }
"""
    )
    grid = load_grid(_grid(tmp_path, text), ICB)
    assert len(grid.variants) == 15
    assert grid.keys == [GROWTH, BUDGET, "teams.north.staff.paediatrician.wte",
                         "pathway.appointments[0].hours.paediatrician"]  # fmt: skip
    as_it_is, north, unquoted = grid.variants[12:]
    assert (as_it_is.index, as_it_is.name, as_it_is.settings) == (12, "as it is", {})
    assert as_it_is.scenario.model_dump() == load_scenario(ICB).model_dump()
    assert north.scenario.teams["north"].staff["paediatrician"].wte == 3.8
    assert north.scenario.pathway.appointments[0].hours["paediatrician"] == 1.25
    assert north.scenario.pathway.appointments[1].name == "assessment"  # a list entry, kept
    # A table is never set whole: the rest of [demand] survives the unquoted key.
    assert unquoted.settings == {GROWTH: 0.2}
    assert unquoted.scenario.demand.seasonality == load_scenario(ICB).demand.seasonality


def test_missing_tables_are_created_and_horizon_may_vary_unit(tmp_path: Path) -> None:
    text = """
[grid]
"horizon_weeks" = [52, 104]
"start_date" = [2026-04-01]
"teams.north.staff.educational_psychologist.wte" = [0.5]
"""
    grid = load_grid(_grid(tmp_path, text), LANCASHIRE)
    assert [v.scenario.horizon_weeks for v in grid.variants] == [52, 104]
    assert grid.variants[0].scenario.teams["north"].staff["educational_psychologist"].wte == 0.5


def test_bad_values_name_the_variant_path_value_and_rule_unit(tmp_path: Path) -> None:
    text = f"""
[grid]
"{GROWTH}" = [0.06, 5.0]
"""
    text = _problems(tmp_path, text)
    assert "1 problem" in text
    assert (
        f'variant 1 "{GROWTH}=5.0": {GROWTH}: 5.0 -- Input should be less than or equal to 2'
        in text
    )


def test_unknown_key_gets_did_you_mean_once_unit(tmp_path: Path) -> None:
    text = _problems(tmp_path, '[grid]\n"demand.growth_per_yer" = [0.03, 0.06]\n')
    assert "every variant (all 2): demand.growth_per_yer" in text
    assert "did you mean 'growth_per_year'?" in text
    assert text.count("did you mean") == 1


def test_cross_check_problems_are_reported_unit(tmp_path: Path) -> None:
    text = '[[variants]]\nname = "north to nowhere"\nset = { "districts.Wyre.team" = "nowhere" }\n'
    text = _problems(tmp_path, text, LANCASHIRE)
    assert "variant 0 \"north to nowhere\": districts.Wyre.team: 'nowhere'" in text


def test_list_index_must_exist_unit(tmp_path: Path) -> None:
    text = _problems(tmp_path, '[grid]\n"interventions[3].budget_gbp" = [0, 1]\n')
    assert (
        "interventions[3].budget_gbp: '[3]' -- the index must exist: interventions has 1 entry"
        in text
    )


@pytest.mark.parametrize(
    ("grid", "needles"),
    [
        ("", ["a grid must vary something"]),
        ("[grid]\n", ["a grid must vary something"]),
        (f'[grid]\n"{GROWTH}" = 0.06\n', [f'grid."{GROWTH}": 0.06 -- must be a non-empty list']),
        (f'[grid]\n"{GROWTH}" = []\n', [f'grid."{GROWTH}": [] -- must be a non-empty list']),
        (
            f'[grid]\n"{GROWTH}" = [0.06, {{ value = 0.06, note = "again" }}, 0.1]\n',
            [f'grid."{GROWTH}": 0.06 -- values must differ'],
        ),
        (
            '[grid]\n"interventions[0].spend_on" = [{ slt = 1.0 }]\n',
            ["a value may not be a table"],
        ),
        ("[runs]\nn = 1\n", ["runs: 'runs' -- unknown table"]),
        ("[grids]\nn = 1\n", ["did you mean 'grid'?"]),
        (
            '[grid]\n"districts.Atlantis.referrals_per_week" = [1.0]\n',
            ["'Atlantis' -- must name one of the scenario's districts"],
        ),
        ('[grid]\n"districts.Wyre" = [1.0]\n', ["must name a setting of one district"]),
        ('[grid]\n"extends" = ["x.toml"]\n', ["cannot be set"]),
        ('[grid]\n"run.seed" = [1, 2]\n', ["run.seed", "same replications and seed"]),
        ('[grid]\n"demand..growth" = [1]\n', ["must be a dotted scenario path"]),
        (
            '[[variants]]\nname = "a"\nset = {}\n[[variants]]\nname = "a"\nset = {}\n',
            ["variants[1].name: 'a' -- variant names must be unique: variant 0 has it too"],
        ),
        ('[[variants]]\nname = ""\nset = {}\n', ["variants[0].name: '' -- must be a non-empty"]),
        ('[[variants]]\nname = "a"\n', ["variants[0].set: None -- must be a table"]),
        (
            '[[variants]]\nname = "a"\nset = {}\nwhy = 1\n',
            ["variants[0].why: 'why' -- unknown key"],
        ),
        ('[grid]\n"x" = [\n', ["must be valid TOML"]),
    ],
)
def test_rejections_unit(tmp_path: Path, grid: str, needles: list[str]) -> None:
    text = _problems(tmp_path, grid, LANCASHIRE)
    for needle in needles:
        assert needle in text, (needle, text)


def test_too_many_variants_unit(tmp_path: Path) -> None:
    values = ", ".join(str(i) for i in range(101))
    text = f'[grid]\n"horizon_weeks" = [{values}]\n"run.seed" = [{values}]\n'
    assert MAX_VARIANTS < 101 * 101
    assert f"'10,201 variants' -- at most {MAX_VARIANTS:,} variants" in _problems(tmp_path, text)


def test_missing_grid_file_unit(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="the grid file must exist"):
        load_grid(tmp_path / "nothing.toml", ICB)


def test_every_problem_at_once_unit(tmp_path: Path) -> None:
    text = f"""
[grid]
"{GROWTH}" = [0.03, 0.03, 9.0]
"teams.north.staff.paediatrician.wte" = [-1.0, 2.0]
"districts.Atlantis.team" = ["north"]

[[variants]]
name = "typo"
set = {{ "booking.lead_time_wks" = 2 }}

[extra]
"""
    error = _problems(tmp_path, text, LANCASHIRE)
    for needle in (
        "extra: 'extra' -- unknown table",
        f'grid."{GROWTH}": 0.03 -- values must differ',
        "'Atlantis' -- must name one of the scenario's districts",
        "variants 0, 2 (of 5): teams.north.staff.paediatrician.wte: -1.0 -- Input should be",
        "variants 2, 3 (of 5): demand.growth_per_year: 9.0 -- Input should be less than",
        "variant 4 \"typo\": booking.lead_time_wks: 'lead_time_wks' -- unknown key; did you mean",
    ):
        assert needle in error, (needle, error)


def test_shipped_sweeps_load_unit() -> None:
    funding = load_grid(SCENARIOS / "sweeps" / "funding_by_growth.toml", ICB)
    assert len(funding.variants) == 12 and funding.keys == [GROWTH, BUDGET]
    assert funding.variants[0].scenario.interventions[0].budget_gbp == 0
    staff = load_grid(SCENARIOS / "sweeps" / "staff_mix.toml", LANCASHIRE)
    assert staff.variants[0].name == "as now" and staff.variants[0].settings == {}
    assert len(staff.variants) == 5
    assert len({v.name for v in staff.variants}) == 5


def test_load_scenario_unchanged_by_the_split_unit(tmp_path: Path) -> None:
    """The loader now reads then validates; files load and fail as they did."""
    assert load_scenario(FIXTURES / "mini.toml").notes == {
        "professions.paediatrician.hours_per_wte_week": "Agenda for Change full time"
    }
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nnotes = 3\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert info.value.source == str(bad)
    assert str(info.value.problems[0]) == 'notes: 3 -- must be a table of "dotted.path" = "note"'


def test_the_docs_grid_example_loads_unit(tmp_path: Path) -> None:
    doc = (SCENARIOS.parent / "docs" / "sweep.md").read_text()
    block = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    grid = load_grid(_grid(tmp_path, block), ICB)
    assert len(grid.variants) == 14
    assert (
        grid.variants[13]
        .scenario.notes["teams.north.staff.paediatrician.wte"]
        .startswith("assumption")
    )


def test_a_district_name_with_a_space_unit(tmp_path: Path) -> None:
    text = '[grid]\n"districts.South Ribble.referrals_per_week" = [4.0, 8.0]\n'
    grid = load_grid(_grid(tmp_path, text), LANCASHIRE)
    assert grid.variants[1].scenario.districts["South Ribble"].referrals_per_week == 8.0


def test_a_grid_value_replaces_the_range_of_the_number_it_sets_unit(tmp_path: Path) -> None:
    scenario = tmp_path / "ranged.toml"
    scenario.write_text(
        f'extends = "{FIXTURES / "small.toml"}"\nname = "ranged"\n'
        "[pathway.dna]\nprobability = { value = 0.1, low = 0.05, high = 0.2 }\n"
        "[pathway.withdrawal]\nweekly_hazard = { value = 0.004, low = 0.002, high = 0.006 }\n"
    )
    text = '[grid]\n"pathway.dna.probability" = [0.3, { value = 0.4, low = 0.35, high = 0.45 }]\n'
    grid = load_grid(_grid(tmp_path, text), scenario)
    plain, ranged = (v.scenario for v in grid.variants)
    assert "pathway.dna.probability" not in plain.uncertain  # set plainly: certain
    assert ranged.uncertain["pathway.dna.probability"].low == 0.35  # the grid's own range
    for sc in (plain, ranged):  # the other ranges are kept
        assert sc.uncertain["pathway.withdrawal.weekly_hazard"].high == 0.006
