"""What one replication returns: compact arrays, no DataFrames, cheap to pickle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RawResults:
    """Per-child milestones (days from the start; NaN = not reached) and per-week staff hours.

    ``hours_available`` and ``hours_used`` have shape (teams, professions, weeks).
    """

    replication: int
    referral_day: np.ndarray
    district: np.ndarray
    pathway: np.ndarray
    priority: np.ndarray
    start_stage: np.ndarray
    parent: np.ndarray
    triage_day: np.ndarray
    triage_result: np.ndarray
    more_information: np.ndarray
    first_day: np.ndarray
    outcome_day: np.ndarray
    exit_day: np.ndarray
    exit_code: np.ndarray
    outcome: np.ndarray
    dna: np.ndarray
    workshops: np.ndarray
    outsourced: np.ndarray
    step_days: np.ndarray  # (appointments, children): day each appointment was attended
    hours_available: np.ndarray
    hours_used: np.ndarray
    outsourced_cost_gbp: float
    appointments: int
    starting_ids: tuple[str, ...]

    @property
    def n_children(self) -> int:
        """Children simulated: today's list, new referrals and returning referrals."""
        return int(self.referral_day.size)
