"""Preprocessing: image resizes, normalisation, event frames and streams."""

from fractions import Fraction

import numpy as np
import pytest
import tonic.datasets as td
from hypothesis import given, settings
from hypothesis import strategies as st

from mstsim.datasets.transforms import (CIFAR_MEAN, CIFAR_STD, event_bins, events_to_frames,
                                        events_to_stream, nearest_indices, normalize,
                                        pad_to_square, resize_bilinear, resize_nearest)

TONIC_DTYPES = [td.NMNIST.dtype, td.CIFAR10DVS.dtype, td.DVSGesture.dtype]


# ---------------------------------------------------------------- images
def test_normalize_per_channel():
    x = np.ones((2, 3, 2, 2), np.float32)
    out = normalize(x, CIFAR_MEAN, CIFAR_STD)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out[1, 2], (1 - 0.4465) / 0.2010, rtol=1e-6)
    with pytest.raises(ValueError, match="one per channel"):
        normalize(x, (0.5,), (0.5,))


def test_nearest_indices_follow_torch_rule():
    assert nearest_indices(3, 5).tolist() == [0, 0, 1, 1, 2]
    assert nearest_indices(5, 3).tolist() == [0, 1, 3]
    assert nearest_indices(128, 224)[-1] == 127 and nearest_indices(4, 4).tolist() == [0, 1, 2, 3]
    x = np.arange(6.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(resize_nearest(x, (4, 3)),
                                  [[[0, 1, 2], [0, 1, 2], [3, 4, 5], [3, 4, 5]]])


def test_resize_bilinear_half_pixel():
    out = resize_bilinear(np.array([[[0.0, 1.0]]]), (1, 4))
    np.testing.assert_allclose(out, [[[0.0, 0.25, 0.75, 1.0]]])
    x = np.random.default_rng(0).random((2, 3, 5, 7)).astype(np.float32)
    np.testing.assert_allclose(resize_bilinear(x, (5, 7)), x, rtol=1e-6)
    big = resize_bilinear(x, 32)
    assert big.shape == (2, 3, 32, 32) and big.min() >= x.min() - 1e-6


# ---------------------------------------------------------------- events
def make_events(dtype, xs, ys, ts, ps):
    ev = np.zeros(len(xs), dtype=dtype)
    ev["x"], ev["y"], ev["t"], ev["p"] = xs, ys, ts, ps
    return ev


def oracle_bin(t, t_max, bins):
    """The rule as written: bin i iff t / t_max in (i/bins, (i+1)/bins], 0 -> bin 0."""
    if t_max == 0 or t == 0:
        return 0
    r = Fraction(t, t_max)
    return next(i for i in range(bins) if Fraction(i, bins) < r <= Fraction(i + 1, bins))


@st.composite
def event_samples(draw):
    width, height = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    n = draw(st.integers(0, 40))
    xs = draw(st.lists(st.integers(0, width + 2), min_size=n, max_size=n))
    ys = draw(st.lists(st.integers(0, height + 2), min_size=n, max_size=n))
    ts = draw(st.lists(st.integers(0, 10**7), min_size=n, max_size=n))
    ps = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    dtype = draw(st.sampled_from(TONIC_DTYPES))
    return make_events(dtype, xs, ys, ts, ps), (width, height, 2)


@settings(deadline=None, max_examples=60)
@given(event_samples(), st.integers(1, 10))
def test_frames_preserve_count_of_events_inside_sensor(sample, bins):
    events, (w, h, _) = sample
    frames = events_to_frames(events, (w, h, 2), bins)
    side = max(w, h)
    assert frames.shape == (2 * bins, side, side) and frames.dtype == np.float32
    inside = (events["x"].astype(int) < w) & (events["y"].astype(int) < h)
    assert frames.sum() == inside.sum()


@settings(deadline=None, max_examples=60)
@given(event_samples(), st.integers(1, 10))
def test_frames_match_a_naive_oracle(sample, bins):
    events, (w, h, _) = sample
    want = np.zeros((2 * bins, h, w), np.float32)
    t_max = int(events["t"].max()) if len(events) else 0
    for e in events:
        x, y, p = int(e["x"]), int(e["y"]), int(e["p"])
        if x < w and y < h:
            want[p * bins + oracle_bin(int(e["t"]), t_max, bins), y, x] += 1
    np.testing.assert_array_equal(events_to_frames(events, (w, h, 2), bins), pad_to_square(want))


@settings(deadline=None, max_examples=100)
@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=30), st.integers(1, 16))
def test_bin_assignment_rule(ts, bins):
    t = np.array(ts, dtype=np.int64)
    got = event_bins(t, bins)
    assert got.tolist() == [oracle_bin(v, max(ts), bins) for v in ts]
    np.testing.assert_array_equal(event_bins(t.astype(np.uint64), bins), got)


def test_bin_edges_exact():
    # t / t_max = 1/3 exactly lies on the edge of bin 0 with 3 bins: it belongs to bin 0
    assert event_bins(np.array([0, 1, 2, 3]), 3).tolist() == [0, 0, 1, 2]
    assert event_bins(np.array([0.0, 1.5, 3.0]), 2).tolist() == [0, 0, 1]
    assert event_bins(np.array([0, 0]), 4).tolist() == [0, 0]
    with pytest.raises(ValueError, match="non-negative"):
        event_bins(np.array([-1, 2]), 2)


@settings(deadline=None, max_examples=60)
@given(event_samples(), st.integers(1, 8), st.sampled_from([None, 5, 12]))
def test_stream_steps_are_the_frames_bins(sample, steps, size):
    events, sensor = sample
    stream = events_to_stream(events, sensor, steps, size)
    frames = events_to_frames(events, sensor, steps, size)
    assert stream.shape == (steps, 2) + frames.shape[1:]
    for s in range(steps):
        for p in range(2):
            np.testing.assert_array_equal(stream[s, p], frames[p * steps + s])
    per_polarity = frames.reshape(2, steps, *frames.shape[1:]).sum(axis=1)
    np.testing.assert_array_equal(stream.sum(axis=0), per_polarity)


def test_frames_pad_and_resize_like_mst():
    # 3 wide x 1 high sensor -> padded to 3x3 with the row in the middle
    ev = make_events(td.NMNIST.dtype, [0, 2], [0, 0], [5, 10], [1, 0])
    frames = events_to_frames(ev, (3, 1, 2), 1)
    np.testing.assert_array_equal(frames[:, 1], [[0, 0, 1], [1, 0, 0]])
    assert frames[:, [0, 2]].sum() == 0
    resized = events_to_frames(ev, (3, 1, 2), 1, size=6)
    np.testing.assert_array_equal(resized, resize_nearest(frames, 6))
    assert resized.shape == (2, 6, 6)


def test_single_polarity_sensor_and_bad_input():
    ev = make_events(td.CIFAR10DVS.dtype, [1], [1], [4], [1])
    assert events_to_frames(ev, (2, 2, 1), 2).shape == (2, 2, 2)
    with pytest.raises(ValueError, match="missing"):
        events_to_frames(np.zeros(2, dtype=[("x", int), ("y", int)]), (2, 2, 2), 2)
