"""A test helper: one replication's `children.parquet` rows written as a history extract
(docs/history.md), so that a calibration can be checked against the settings that made it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

EXIT_REASONS = {"waiting_at_end": "waiting"}


def history_from_children(
    children: Path, replication: int = 0, start: str | None = None
) -> pd.DataFrame:
    """The history rows of one replication: every first referral during the run (returning
    families are left out: the calibrated scenario keeps the template's re-referrals, so the
    fitted rates must be of first referrals, as docs/history.md asks)."""
    c = pd.read_parquet(children)
    c = c[(c.replication == replication) & (c.rereferral_of < 0)]
    c = c.astype({k: "object" for k in c.columns if str(c[k].dtype) == "category"})
    if start is None:
        c = c[c.start_stage == "new"]
    else:  # the children already waiting at `start` too, as a full extract would have them
        listed = c.start_stage != "new"
        accepted = listed & c.start_stage.isin(["waiting_first", "in_assessment"])
        c.loc[accepted & c.triage_date.isna(), "triage_date"] = c.referral_date
        c.loc[accepted, "triage_result"] = "accepted"
        seen = listed & (c.start_stage == "in_assessment") & c.first_appointment_date.isna()
        before = (pd.Timestamp(start) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        c.loc[seen, "first_appointment_date"] = before  # seen before the run: a date before it
    more = c["more_information"].map({True: "yes", False: "no"})
    return pd.DataFrame(
        {
            "referral_id": "R" + c["child"].astype(str),
            "district": c["district"],
            "referral_date": c["referral_date"],
            "pathway": c["pathway"],
            "priority": c["priority"],
            "triage_date": c["triage_date"],
            "triage_result": c["triage_result"].where(c["triage_date"].notna(), ""),
            "first_appointment_date": c["first_appointment_date"],
            "outcome_date": c["outcome_date"],
            "outcome": c["outcome"],
            "exit_date": c["exit_date"],
            "exit_reason": c["exit_reason"].replace(EXIT_REASONS),
            "dnas": c["dnas"],
            "more_information": more,
            **{k: c[k] for k in c.columns if k.startswith("appointment_date.")},
        }
    )
