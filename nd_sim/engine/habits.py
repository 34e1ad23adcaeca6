"""What the engine reads of each child's random draws, worked out for many children at once.

The engine's loop would otherwise compare each child's uniform draws with the scenario's
chances one at a time; here the same float64 comparisons run over all children in one
compiled pass (`engine.bulk`), and the engine reads small ints and bools (cheap to convert
to lists, cheap to test).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nd_sim.inputs.model import Model

ACCEPT, SIGNPOST, MORE = range(3)  # triage's answers
HABIT_COLUMNS = (
    "u_triage",
    "u_triage_again",
    "u_outcome",
    "u_rereferral",
    "workshop_u",
    "workshop_met_u",
)


def habits(
    model: Model,
    fixed_probs: Sequence[tuple[float, float]] | None,
    a: Mapping[str, np.ndarray],
    district: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per child: the triage answers when the chances do not change over time (ACCEPT,
    SIGNPOST or MORE at the first look, `again` at the second; else the draws themselves),
    the outcome, whether the family would come back, and bit masks of the workshops wanted
    and of those that would meet the need. The arithmetic is that of `first_look` and
    `second_look`, in float64, in one compiled pass over the children (`engine.bulk`)."""
    from nd_sim.engine import bulk  # compiled: workers only, never the parent

    pathway = model.scenario.pathway
    out: dict[str, np.ndarray] = {}
    if fixed_probs is not None:
        chances = np.array(fixed_probs, float).reshape(-1, 2)
        out["decision"], out["again"] = bulk.triage_answers(
            np.ascontiguousarray(a["u_triage"]),  # one compiled version, for contiguous draws
            np.ascontiguousarray(a["u_triage_again"]),
            np.asarray(district, np.int64),
            chances,
        )
    else:
        out["u_triage"] = a["u_triage"]
        out["u_triage_again"] = a["u_triage_again"]
    out["outcome_of"] = bulk.pick(a["u_outcome"], np.asarray(model.outcome_cdf, float))
    p_reref = pathway.rereferral.probability
    returns = a["u_rereferral"] < p_reref if p_reref else np.zeros(district.size, bool)
    out["returns"] = returns
    workshops = pathway.workshops
    uptake = np.array([w.uptake for w in workshops], float)
    out["wanted"] = bulk.bits_below(a["workshop_u"], uptake)
    met = np.array([w.need_met_share for w in workshops], float)
    out["met_mask"] = bulk.bits_below(a["workshop_met_u"], met)
    return out


def first_look(u: float, p_acc: float, p_sign: float) -> int:
    """Triage's first answer for one child."""
    if u < p_acc:
        return ACCEPT
    return MORE if u >= p_acc + p_sign else SIGNPOST


def second_look(u: float, p_acc: float, p_sign: float) -> int:
    """After more information: accept or signpost, in proportion."""
    total = p_acc + p_sign
    return ACCEPT if total > 0 and u * total < p_acc else SIGNPOST
