"""The C allocator's settings for a run's workers: keep freed memory for the next use.

A replication allocates and frees the same arrays, of 100 kB to a few MB, again and again.
glibc's malloc gives such blocks back to the system when they are freed (each is a mapping
of its own, and the heap's top is trimmed), so each new one costs a page fault per 4 kB on
first touch: on a virtual machine, several microseconds each. Measured on Lancashire, a
1,000-replication run's workers took 270,000-440,000 faults and 0.8-1.6 s of system time;
with the thresholds raised, 84,000 faults and 0.35 s, and the run 1-2 s quicker.

Left to glibc's own (dynamic) thresholds, the faults also depend on what a process did
before: workers forked from a forkserver that had run a small warm-up took from 18,000 to
890,000 faults each; 11,000 with the thresholds raised. The memory kept costs a worker
5-8 MB, which workers forked from the forkserver can afford (209 MB for Lancashire with
it, 204-206 without; 283-289 MB when they were forked from the command).

The command's own process (`nd_sim.launch`) keeps its freed memory too. With `--jobs 1` it
runs the replications itself: 100 Lancashire replications took 6% less time (5.5 s, was
5.7; median of 5 pairs). With workers, its summary of 1,000 replications at the end, with
one core idle, allocates arrays of 28 MB: 0.03-0.15 s less there. Its peak memory did not
change (about 400 MB for 1,000 replications, 430 MB for 100 with `--jobs 1`).
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest on 64-bit systems
TRIM_THRESHOLD_BYTES = 256 << 20


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (and the processes it forks
    later); False where the C library is not glibc (macOS, musl), which is left as it is.
    The C library is the one this process already runs on (finding it by name runs
    `ldconfig`: 7 ms at the start of every command)."""
    if not sys.platform.startswith("linux"):  # glibc is Linux's; CDLL(None) fails on Windows
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt if hasattr(libc, "gnu_get_libc_version") else None
    except (OSError, AttributeError, TypeError):
        mallopt = None
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
