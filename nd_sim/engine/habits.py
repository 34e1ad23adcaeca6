"""What the engine reads of each child's random draws, worked out for many children at once.

The engine's loop would otherwise compare each child's uniform draws with the scenario's
chances one at a time; here the same float64 comparisons run elementwise in numpy, and the
engine reads small ints and bools (cheap to convert to lists, cheap to test).
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
    `second_look`, elementwise in float64."""
    pathway = model.scenario.pathway
    out: dict[str, np.ndarray] = {}
    if fixed_probs is not None:
        probs = np.array(fixed_probs, float).reshape(-1, 2)[district]
        p_acc, p_sign = probs[:, 0], probs[:, 1]
        u = a["u_triage"]
        accept = u < p_acc
        more = ~accept & (u >= p_acc + p_sign)
        out["decision"] = np.where(accept, ACCEPT, np.where(more, MORE, SIGNPOST))
        total = p_acc + p_sign
        second = (total > 0) & (a["u_triage_again"] * total < p_acc)
        out["again"] = np.where(second, ACCEPT, SIGNPOST)
    else:
        out["u_triage"] = a["u_triage"]
        out["u_triage_again"] = a["u_triage_again"]
    cdf = np.asarray(model.outcome_cdf, float)
    k = np.searchsorted(cdf, a["u_outcome"], side="right")
    out["outcome_of"] = np.minimum(k, cdf.size - 1)
    p_reref = pathway.rereferral.probability
    returns = a["u_rereferral"] < p_reref if p_reref else np.zeros(k.size, bool)
    out["returns"] = returns
    workshops = pathway.workshops
    bits = 1 << np.arange(len(workshops))
    uptake = np.array([w.uptake for w in workshops])
    out["wanted"] = ((a["workshop_u"] < uptake) * bits).sum(axis=1).astype(np.int64)
    met = np.array([w.need_met_share for w in workshops])
    out["met_mask"] = ((a["workshop_met_u"] < met) * bits).sum(axis=1).astype(np.int64)
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
