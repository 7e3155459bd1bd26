"""The counter-based RSM keep mask."""
import numpy as np

from mstsim.masking import keep_mask


def test_extremes_and_rate():
    assert keep_mask(0, [0, 1], "n", 0, 1000, 0.0).all()
    assert not keep_mask(0, [0, 1], "n", 0, 1000, 1.0).any()
    assert abs(keep_mask(3, range(4), "n", 0, 50000, 0.75).mean() - 0.25) < 0.01


def test_independent_of_batching_and_keyed():
    full = keep_mask(5, [0, 1, 2, 3], "site", 2, 300, 0.5)
    np.testing.assert_array_equal(keep_mask(5, [2], "site", 2, 300, 0.5)[0], full[2])
    for other in (keep_mask(6, [0], "site", 2, 300, 0.5), keep_mask(5, [0], "other", 2, 300, 0.5),
                  keep_mask(5, [0], "site", 3, 300, 0.5)):
        assert not np.array_equal(other[0], full[0])
