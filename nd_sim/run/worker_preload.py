"""Imported by the workers' forkserver (`run.workers`), never by anything else: it loads
the engine and the results' compiled passes, by running one replication of a tiny
scenario that switches every mechanism on, so that every worker forked from the server
starts with them loaded (numba, its registries, and each compiled function's cached
build: about 0.6-0.9 s a worker otherwise). On the first run after installing this is
where the engine compiles, once, instead of in every worker.

Nothing here may stop the server: whatever fails is left for the workers to meet (and
report) as they would have without it.
"""

from __future__ import annotations

import os
import signal
import tomllib

WARM_UP_SEED = 1
# Small enough to run in a few milliseconds, with what a run uses: teams, workshops,
# triage, several appointments, DNAs, withdrawals, returning families, priorities,
# outsourcing, funding, a staff change and a starting list.
WARM_UP_SCENARIO = """
name = "warm-up"
start_date = 2026-04-01
horizon_weeks = 26
[professions.paediatrician]
cost_gbp_per_wte_year = 120000
[professions.psychologist]
cost_gbp_per_wte_year = 70000
[teams.north.staff.paediatrician]
wte = 1.0
[teams.north.staff.psychologist]
wte = 1.5
[teams.south.staff.paediatrician]
wte = 1.2
[teams.south.staff.psychologist]
wte = 1.8
[districts.A]
team = "north"
referrals_per_week = 6.0
[districts.B]
team = "south"
referrals_per_week = 5.0
[pathway.triage]
hours_per_referral = { psychologist = 0.2 }
accept = 0.8
signpost = 0.12
more_information = 0.08
more_information_delay_weeks = 4
[[pathway.workshops]]
kind = "sleep"
every_weeks = 2
places_per_session = 8
uptake = 0.3
need_met_share = 0.1
[[pathway.appointments]]
name = "initial"
hours = { paediatrician = 1.0 }
gap_weeks_to_next = 2
[[pathway.appointments]]
name = "assessment"
hours = { psychologist = 2.5, paediatrician = 0.5 }
gap_weeks_to_next = 1
[[pathway.appointments]]
name = "feedback"
hours = { paediatrician = 1.0 }
[pathway.dna]
probability = 0.1
discharge_after = 3
[pathway.withdrawal]
weekly_hazard = 0.004
[pathway.rereferral]
probability = 0.2
after = ["signposted", "no_nd", "withdrawn"]
delay_weeks_mean = 10
[booking]
queue_order = "priority_shares"
lead_time_weeks = 1
new_patient_share = 0.4
priority_classes = [
  { name = "urgent", share_of_referrals = 0.1, share_of_new_slots = 0.3 },
  { name = "routine", share_of_referrals = 0.9, share_of_new_slots = 0.7 },
]
[[interventions]]
kind = "funding"
budget_gbp = 150000
from = 2026-05-01
over_months = 6
spend_on = { psychologist = 1.0 }
max_recruits_wte = { psychologist = 1.5 }
recruitment_lag_weeks = 2
ramp_up_weeks = 2
[[interventions]]
kind = "outsourced_assessments"
assessments = 20
price_gbp_each = 1500
from = 2026-05-01
until = 2026-08-01
districts = ["B"]
[[interventions]]
kind = "staff_change"
team = "north"
profession = "paediatrician"
wte = -0.2
from = 2026-07-01
[[starting_list.profile]]
district = "A"
stage = "waiting_first"
weeks_waiting_min = 2
weeks_waiting_max = 40
count = 30
[[starting_list.profile]]
district = "B"
stage = "in_assessment"
weeks_waiting_min = 10
weeks_waiting_max = 30
count = 10
"""


def warm_up() -> None:
    """Run one replication of the warm-up scenario as a worker runs one (outputs encoded,
    per-child rows included), and keep nothing of it."""
    from nd_sim.inputs.model import compile_model
    from nd_sim.run.allocator import keep_freed_memory
    from nd_sim.run.chunks import simulate_chunk
    from nd_sim.run.executors import system_allocator
    from nd_sim.scenario.loader import validate_raw

    keep_freed_memory()  # as the workers forked from this process will
    system_allocator()
    model = compile_model(validate_raw(tomllib.loads(WARM_UP_SCENARIO), {}, "warm-up"))
    simulate_chunk(model, 0, 0, (0,), WARM_UP_SEED, 1)


def _preload() -> None:
    # Ctrl-C is the command's to handle; the server ignores it only after its preload, and
    # a traceback from it mid-load would reach the terminal (workers ignore it too)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    try:
        from nd_sim.run.lean_imports import arrow_without_pandas, numba_without_scipy_blas

        arrow_without_pandas()  # before anything makes an Arrow array
        numba_without_scipy_blas()  # before anything compiles or loads a compiled function
        import nd_sim.run.chunks  # noqa: F401 - what a worker's tasks import

        if os.getppid() == parent:  # the command may have ended already (bad input)
            warm_up()
    except Exception:  # the server must start whatever happens here
        return


_preload()
