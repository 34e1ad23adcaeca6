"""The documentation tells the truth: the scenario reference is generated from the models,
every scenario example in the docs loads, and every output column is documented."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel

from nd_sim.inputs.model import compile_model
from nd_sim.run.runner import run_to_folder
from nd_sim.run.settings import RunSettings
from nd_sim.scenario import load_scenario
from nd_sim.scenario import models as scenario_models
from nd_sim.scenario.docgen import DOC_PATH, render_scenario_reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.DOTALL | re.MULTILINE)
PATH_IN_BACKTICKS = re.compile(r"`([^`\n]+)`")


def _model_classes() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(scenario_models).values()
        if isinstance(obj, type)
        and issubclass(obj, scenario_models.Strict)
        and obj is not scenario_models.Strict
    ]


def test_scenario_reference_is_generated_functional() -> None:
    assert DOC_PATH == DOCS / "scenario.md"
    current = DOC_PATH.read_text() if DOC_PATH.exists() else ""
    assert current == render_scenario_reference(), (
        "docs/scenario.md differs from the models: run `python -m nd_sim.scenario.docgen`"
    )


def test_every_model_field_is_documented_functional() -> None:
    """Each model's keys all appear, together, under one dotted path prefix."""
    text = render_scenario_reference()
    paths = set(PATH_IN_BACKTICKS.findall(text))
    prefixes = {p.rsplit(".", 1)[0] for p in paths if "." in p} | {""}
    for model in _model_classes():
        keys = [info.alias or name for name, info in model.model_fields.items()]
        homes = [
            prefix
            for prefix in prefixes
            if all((f"{prefix}.{key}" if prefix else key) in paths for key in keys)
        ]
        assert homes, f"{model.__name__}: not every key of it is documented under one table"


def _doc_files() -> list[Path]:
    return [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]


def _toml_blocks() -> list[tuple[str, int, str]]:
    out = []
    for path in _doc_files():
        if path.exists():
            for k, match in enumerate(TOML_BLOCK.finditer(path.read_text())):
                out.append((path.name, k, match.group(1)))
    return out


def _block_params() -> list:
    return [pytest.param(doc, k, block, id=f"{doc}-{k}") for doc, k, block in _toml_blocks()]


def _is_scenario(block: str) -> bool:
    """A block is a whole scenario when its first non-blank line sets `name`."""
    lines = [line for line in block.splitlines() if line.strip()]
    return bool(lines) and lines[0].startswith("name =")


@pytest.mark.parametrize(("doc", "k", "block"), _block_params())
def test_doc_toml_examples_functional(doc: str, k: int, block: str, tmp_path: Path) -> None:
    """Every TOML block is valid TOML; a block starting with `name =` loads as a scenario.

    Blocks that do not start with `name =` (written `# fragment: ...`) are only parsed.
    A what-if's `extends = "x.toml"` is read as `scenarios/x.toml`, where such files live.
    """
    parsed = tomllib.loads(block)
    if not _is_scenario(block):
        return
    parent = parsed.get("extends")
    if isinstance(parent, str):
        target = (ROOT / "scenarios" / parent).resolve()
        assert target.exists(), f"{doc} block {k}: extends {parent!r}, not in scenarios/"
        block = block.replace(f'"{parent}"', json.dumps(str(target)), 1)
    path = tmp_path / "example.toml"
    path.write_text(block)
    compile_model(load_scenario(path))  # what `nd-sim validate` checks, starting list included


def test_docs_have_scenario_examples_functional() -> None:
    """The check above is not vacuous: README and docs hold whole scenarios."""
    assert sum(_is_scenario(block) for _, _, block in _toml_blocks()) >= 2


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "run"
    model = compile_model(load_scenario(FIXTURES / "mini.toml"))
    run_to_folder(model, RunSettings(2, 1, out))
    return out


def test_every_output_file_and_column_is_documented_functional(run_folder: Path) -> None:
    text = (DOCS / "outputs.md").read_text()
    documented = set(PATH_IN_BACKTICKS.findall(text))
    files = sorted(p.name for p in run_folder.iterdir())
    assert files, "the run wrote nothing"
    columns: dict[str, list[str]] = {}
    for name in files:
        assert name in documented, f"docs/outputs.md does not mention {name}"
        if name.endswith(".csv"):
            columns[name] = list(pd.read_csv(run_folder / name, nrows=0).columns)
        elif name.endswith(".parquet"):  # a partitioned dataset (a folder of parts)
            columns[name] = pq.read_table(run_folder / name).schema.names
        elif name.endswith(".json"):
            columns[name] = list(json.loads((run_folder / name).read_text()))
    missing = [f"{f}: {c}" for f, cols in columns.items() for c in cols if c not in documented]
    assert not missing, f"undocumented in docs/outputs.md: {missing}"


def test_every_kpi_is_documented_functional(run_folder: Path) -> None:
    text = (DOCS / "outputs.md").read_text()
    documented = set(PATH_IN_BACKTICKS.findall(text))
    kpis = pd.read_csv(run_folder / "summary.csv")["kpi"].unique()
    names = {k.split(".")[0] for k in kpis}
    assert "first_wait_median_weeks" in names
    missing = sorted(n for n in names if n not in documented)
    assert not missing, f"KPIs undocumented in docs/outputs.md: {missing}"
