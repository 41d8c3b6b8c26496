"""Seed streams and chunk planning (na64.run.seeds)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.errors import InputError
from na64.run import chunk_generator, chunk_seed, plan_chunks
from na64.run.seeds import MAX_CHUNKS


@given(seed=st.integers(0, 2**64), n=st.integers(1, 50))
@settings(max_examples=50, deadline=None)
def test_chunk_seed_is_the_spawned_child(seed: int, n: int) -> None:
    # numpy's documented contract: spawn(n)[i] has spawn_key (i,) -- built directly here
    children = np.random.SeedSequence(seed).spawn(n)
    for i in (0, n // 2, n - 1):
        np.testing.assert_array_equal(
            chunk_seed(seed, i).generate_state(4), children[i].generate_state(4)
        )


def test_chunk_streams_differ() -> None:
    a = chunk_generator(1, 0).random(1000)
    b = chunk_generator(1, 1).random(1000)
    # independent U(0,1) streams: correlation ~ N(0, 1/sqrt(1000)); 0.15 is a 4.7 sigma bound
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.15
    np.testing.assert_array_equal(a, chunk_generator(1, 0).random(1000))


@given(n=st.integers(1, 10**7), size=st.integers(1, 10**6))
@settings(max_examples=200, deadline=None)
def test_plan_chunks_tiles_the_run_exactly(n: int, size: int) -> None:
    if -(-n // size) > MAX_CHUNKS:
        with pytest.raises(InputError, match="--chunk-size >= "):
            plan_chunks(n, size)
        return
    chunks = plan_chunks(n, size)
    assert chunks[0].start == 0
    assert sum(c.n_events for c in chunks) == n
    assert all(b.start == a.start + a.n_events for a, b in itertools.pairwise(chunks))
    assert all(c.n_events == size for c in chunks[:-1])
    assert 1 <= chunks[-1].n_events <= size
    assert [c.index for c in chunks] == list(range(len(chunks)))


@pytest.mark.parametrize(("n", "size", "field"), [(0, 10, "--events"), (10, 0, "--chunk-size"),
                                                  (10**13, 10, "--events")])
def test_plan_chunks_rejects_bad_sizes(n: int, size: int, field: str) -> None:
    with pytest.raises(InputError, match=field):
        plan_chunks(n, size)


def test_negative_seed_is_rejected() -> None:
    with pytest.raises(InputError, match="--seed"):
        chunk_seed(-1, 0)
