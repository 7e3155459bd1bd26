"""The engine's Random Spike Masking hash equals the oracle's plain-integer re-derivation.

``mstsim.reference.hashing`` implements the rule of the ``mstsim.masking``
docstring with Python integers; here both are compared on arbitrary keys
(seeds and sample ids up to 2**64, long and non-ASCII names, large steps),
and the splitmix64 finaliser is checked against its published first outputs.
The random-graph properties then check the engine's Mask nodes in place.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from mstsim import masking
from mstsim.reference import hashing

U64 = st.integers(0, 2**64 - 1)


def test_splitmix64_known_answers():
    # the first three outputs of splitmix64 seeded with 0 (Vigna's reference splitmix64.c)
    gamma = 0x9E3779B97F4A7C15
    outputs = [hashing.splitmix64(k * gamma % 2**64) for k in range(3)]
    assert outputs == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


@settings(max_examples=60)
@given(seed=U64, samples=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=4),
       name=st.text(min_size=1, max_size=40), step=st.integers(0, 2**40), n=st.integers(1, 40),
       ratio=st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0.0, 1.0)))
def test_engine_masks_equal_the_oracle_masks(seed, samples, name, step, n, ratio):
    want = hashing.keep_mask(seed, samples, name, step, n, ratio)
    assert np.array_equal(masking.keep_mask(seed, samples, name, step, n, ratio), want)
    engine_u = masking.uniform(seed, samples, name, step, n)
    oracle_u = [[hashing.uniform(seed, s, name, step, e) for e in range(n)] for s in samples]
    assert np.array_equal(engine_u, np.array(oracle_u))


def test_drop_fraction_is_the_ratio():
    keep = hashing.keep_mask(3, range(40), "attn_rsm", 5, 500, 0.3)
    p = 1 - keep.mean()
    assert abs(p - 0.3) < 4 * np.sqrt(0.3 * 0.7 / keep.size)
    # decisions of different samples, steps and names are not the same draws
    assert not np.array_equal(keep[0], keep[1])
    assert not np.array_equal(keep, hashing.keep_mask(3, range(40), "attn_rsm", 6, 500, 0.3))
    assert not np.array_equal(keep, hashing.keep_mask(3, range(40), "q_rsm", 5, 500, 0.3))
