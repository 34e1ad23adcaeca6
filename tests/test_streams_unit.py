"""`rng.streams` gives exactly the generators `rng.stream` gives, name by name, and
`rng.uniforms` exactly their uniforms (the compiled SeedSequence and PCG64 against numpy)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.engine.rng import _pcg_states, stream, streams, uniforms


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


def test_short_keys_are_seeded_as_numpy_seeds_them_unit() -> None:
    """A key below 2**32 is one word for SeedSequence, a longer one two: both as numpy."""
    for key in (0, 1, 2**32 - 1, 2**32, 2**64 - 1):
        bits = np.random.PCG64(np.random.SeedSequence(entropy=[7, 3, key]))
        state = bits.state["state"]
        assert _pcg_states(7, 3, [key]) == [(state["state"], state["inc"])]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**70),
    st.integers(0, 2**40),
    st.lists(st.tuples(st.text(max_size=20), st.integers(0, 300)), max_size=8),
)
def test_uniforms_are_each_streams_own_unit(
    seed: int, replication: int, wanted: list[tuple[str, int]]
) -> None:
    names, counts = [n for n, _ in wanted], [k for _, k in wanted]
    got = uniforms(seed, replication, names, counts)
    want = [stream(seed, replication, n).random(k) for n, k in wanted]
    assert np.array_equal(got, np.concatenate(want) if want else np.empty(0))


def test_uniforms_with_short_and_long_keys_unit(monkeypatch) -> None:
    """Keys of one and two SeedSequence words, through the compiled path."""
    import nd_sim.engine.rng as rng

    for key in (0, 1, 2**32 - 1, 2**32, 2**64 - 1):
        monkeypatch.setattr(rng, "stream_key", lambda name, key=key: key)
        bits = np.random.Generator(np.random.PCG64(np.random.SeedSequence([7, 3, key])))
        assert np.array_equal(rng.uniforms(7, 3, ["any"], [5]), bits.random(5))


def test_uniforms_of_many_streams_of_any_length_unit() -> None:
    """Streams drawn four at a time, longest together, then one by one: each stream's
    own uniforms, in the order asked for, whatever the lengths (none, one, thousands)."""
    counts = [0, 5000, 1, 17, 3000, 0, 2999, 4, 40, 1, 12_000, 7, 3]
    names = [f"s{k}" for k in range(len(counts))]
    got = uniforms(11, 2, names, counts)
    want = [stream(11, 2, n).random(k) for n, k in zip(names, counts, strict=True)]
    assert np.array_equal(got, np.concatenate(want))
