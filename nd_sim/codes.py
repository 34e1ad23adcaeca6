"""Codes shared by the engines and the outputs: how a child left, and the kernel's counters.

Numpy ints, not Python ints: numba would compile a function again for each literal value
passed to it (four copies of `leave`, one per exit code). They compare and index like ints.

The compiled kernel freezes these values into its on-disk cache, which is keyed on
kernel.py alone: after changing one here, touch kernel.py (or delete nd_sim/__pycache__).
"""

from __future__ import annotations

import numpy as np

WAITING, ASSESSED, SIGNPOSTED, WITHDRAWN, MET_BY_WORKSHOP = np.arange(5, dtype=np.int64)
# the kernel's counters (`State.counters`)
N_CHILDREN, APPOINTMENTS, WD_NEXT, N_OUTSOURCED, POOL_SHORT, SEQ = range(6)
