"""Codes shared by the engines and the outputs: how a child left, and the kernel's counters.

Exit codes are numpy ints (they compare and index like ints). `kernel.py` keeps its own
copies (numba freezes them into that file's cache); a unit test checks they agree.
"""

from __future__ import annotations

import numpy as np

WAITING, ASSESSED, SIGNPOSTED, WITHDRAWN, MET_BY_WORKSHOP = np.arange(5, dtype=np.int64)
# a child's triage result (`RawResults.triage_result`)
NOT_TRIAGED, TRIAGE_ACCEPTED, TRIAGE_SIGNPOSTED = range(-1, 2)
SCRATCH_ROWS = 6  # rows of the kernel's scratch buffer (`State.buf`)
# where a child on today's list starts (the order of `inputs.starting_list.STAGES`)
TRIAGE, WAITING_FIRST, IN_ASSESSMENT = range(3)
# the kernel's counters (`State.counters`)
N_CHILDREN, APPOINTMENTS, WD_NEXT, N_OUTSOURCED, POOL_SHORT, WEEKS_RUN, EVENTS, IN_WD = range(8)
