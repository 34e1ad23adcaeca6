"""A what-if from the app's levers: a scenario file that `extends` the base.

The app never builds a scenario in memory: it writes the what-if as TOML beside the base
and loads it with the CLI's own loader, so every lever value is validated exactly as a file
would be, and the file the user downloads is the scenario that was run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from nd_sim.scenario.models import Scenario

STAFF_NOTE = "app: extra staff"


@dataclass(frozen=True)
class Levers:
    """What a commissioner can change in the app (every field optional)."""

    name: str = "what-if"
    extra_wte: tuple[tuple[str, str, float], ...] = ()  # (team, profession, WTE)
    staff_from: dt.date | None = None
    recruitment_lag_weeks: float = 12.0
    outsourced_per_month: float = 0.0
    outsourced_from: dt.date | None = None
    outsourced_until: dt.date | None = None
    price_gbp_each: float = 1500.0
    workshop_places: int | None = None
    shocks: tuple[tuple[str, float, dt.date, dt.date | None], ...] = ()  # district, x, from, until
    growth_per_year: float | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """True when nothing is changed (the what-if would be the base)."""
        return not (
            any(w for _, _, w in self.extra_wte)
            or self.outsourced_per_month > 0
            or self.workshop_places is not None
            or self.shocks
            or self.growth_per_year is not None
        )


def whatif_table(base_path: Path, base: Scenario, levers: Levers) -> dict:
    """The what-if as the TOML tables it is written as."""
    start = base.start_date
    out: dict = {"extends": str(Path(base_path).resolve()), "name": levers.name}
    out["description"] = f"A what-if made in nd-sim app from {base.name}."
    interventions = [i.model_dump(by_alias=True, exclude_none=True) for i in base.interventions]
    for team, profession, wte in levers.extra_wte:
        if wte:
            interventions.append(
                {
                    "kind": "staff_change",
                    "name": f"{wte:+g} WTE {profession} in {team}",
                    "team": team,
                    "profession": profession,
                    "wte": float(wte),
                    "from": levers.staff_from or start,
                    "recruitment_lag_weeks": float(levers.recruitment_lag_weeks),
                }
            )
    if levers.outsourced_per_month > 0:
        begin = levers.outsourced_from or start
        end = levers.outsourced_until or (begin + dt.timedelta(days=365))
        months = max((end - begin).days / (365.25 / 12), 0.0)
        interventions.append(
            {
                "kind": "outsourced_assessments",
                "name": f"{levers.outsourced_per_month:g} outsourced assessments a month",
                "assessments": round(levers.outsourced_per_month * months),
                "price_gbp_each": float(levers.price_gbp_each),
                "from": begin,
                "until": end,
            }
        )
    if interventions:
        out["interventions"] = interventions
    demand: dict = {}
    if levers.growth_per_year is not None:
        demand["growth_per_year"] = float(levers.growth_per_year)
    if levers.shocks:
        shocks = [s.model_dump(by_alias=True, exclude_none=True) for s in base.demand.shocks]
        for district, multiplier, begin, end in levers.shocks:
            shock = {"name": f"x{multiplier:g} in {district}", "districts": [district]}
            shock |= {"multiplier": float(multiplier), "from": begin}
            if end is not None:
                shock["until"] = end
            shocks.append(shock)
        demand["shocks"] = shocks
    if demand:
        out["demand"] = demand
    if levers.workshop_places is not None and base.pathway.workshops:
        workshops = [w.model_dump(by_alias=True) for w in base.pathway.workshops]
        for w in workshops:
            w["places_per_session"] = int(levers.workshop_places)
        out["pathway"] = {"workshops": workshops}
    return out


def whatif_toml(base_path: Path, base: Scenario, levers: Levers) -> str:
    """The what-if as the text of a scenario file."""
    return tomli_w.dumps(whatif_table(base_path, base, levers))
