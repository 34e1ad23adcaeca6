"""`rng.streams` gives exactly the generators `rng.stream` gives, name by name."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.engine.rng import _pcg_states, stream, streams


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**70),
    st.integers(0, 2**40),
    st.lists(st.text(min_size=0, max_size=30), min_size=0, max_size=8),
)
def test_streams_match_stream_unit(seed: int, replication: int, names: list[str]) -> None:
    for name, generator in zip(names, streams(seed, replication, names), strict=True):
        want = stream(seed, replication, name)
        assert np.array_equal(generator.random(4), want.random(4))
        assert np.array_equal(generator.exponential(2.0, 3), want.exponential(2.0, 3))


def test_short_keys_fall_back_to_numpy_unit() -> None:
    """A key below 2**32 is one word for SeedSequence, which the batch path leaves to numpy."""
    for key in (0, 1, 2**32 - 1, 2**32, 2**64 - 1):
        bits = np.random.PCG64(np.random.SeedSequence(entropy=[7, 3, key]))
        state = bits.state["state"]
        assert _pcg_states(7, 3, [key]) == [(state["state"], state["inc"])]
