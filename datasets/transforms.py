"""Preprocessing for images and event streams, in NumPy only.

Image functions take ``(C, H, W)`` or ``(N, C, H, W)`` float arrays. Event
functions take a structured array with fields ``x``, ``y``, ``t``, ``p``
(any order, any integer/bool dtypes, as the readers return them) and a tonic
``sensor_size`` ``(W, H, P)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)  # MST data/build.py for CIFAR-10/100
CIFAR_STD = (0.2023, 0.1994, 0.2010)


def _pair(size: int | Sequence[int]) -> tuple[int, int]:
    h, w = (size, size) if np.isscalar(size) else tuple(size)
    if int(h) < 1 or int(w) < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    return int(h), int(w)


def normalize(images: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Subtract a per-channel mean and divide by a per-channel std.

    Parameters
    ----------
    images : ndarray
        ``(C, H, W)`` or ``(N, C, H, W)``.
    mean, std : sequence of float
        One value per channel.

    Returns
    -------
    ndarray
        float32 array of the same shape.
    """
    images = np.asarray(images, dtype=np.float32)
    c = images.shape[-3]
    mean = np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)
    std = np.asarray(std, dtype=np.float32).reshape(-1, 1, 1)
    if len(mean) != c or len(std) != c:
        raise ValueError(f"mean and std need {c} values (one per channel), "
                         f"got {len(mean)} and {len(std)}")
    if np.any(std == 0):
        raise ValueError("std must be non-zero")
    return (images - mean) / std


def nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """Source index of every output index, as PyTorch's ``mode="nearest"`` computes it.

    ``min(floor(dst * scale), n_in - 1)`` with ``scale = n_in / n_out`` in
    float32, the arithmetic of PyTorch's CPU kernel, so results match it
    index for index.
    """
    if n_out == n_in:
        return np.arange(n_out)
    scale = np.float32(n_in) / np.float32(n_out)
    src = np.floor(np.arange(n_out, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(src, n_in - 1)


def resize_nearest(images: np.ndarray, size: int | Sequence[int]) -> np.ndarray:
    """Nearest-neighbour resize of the last two axes (``F.interpolate(mode="nearest")``).

    Parameters
    ----------
    images : ndarray
        ``(..., H, W)``.
    size : int or (int, int)
        Output ``(H, W)``; an int gives a square.

    Returns
    -------
    ndarray
        ``(..., size_h, size_w)``, same dtype.
    """
    images = np.asarray(images)
    h, w = _pair(size)
    rows = nearest_indices(images.shape[-2], h)
    cols = nearest_indices(images.shape[-1], w)
    return images[..., rows[:, None], cols[None, :]]


def _linear_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # half-pixel centres, source clamped at 0 (PyTorch align_corners=False)
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    src = np.maximum(src, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (src - lo).astype(np.float32)


def resize_bilinear(images: np.ndarray, size: int | Sequence[int]) -> np.ndarray:
    """Bilinear resize of the last two axes, ``align_corners=False``, no antialias.

    Equals ``F.interpolate(mode="bilinear", align_corners=False)``; for
    upsampling (CIFAR 32 -> 224) it is also what PIL's bilinear resize in
    MST's ``Resize(224)`` computes, except that PIL rounds to uint8.

    Parameters
    ----------
    images : ndarray
        ``(..., H, W)`` float.
    size : int or (int, int)
        Output ``(H, W)``; an int gives a square.

    Returns
    -------
    ndarray
        float32 ``(..., size_h, size_w)``.
    """
    images = np.asarray(images, dtype=np.float32)
    h, w = _pair(size)
    r0, r1, wr = _linear_weights(images.shape[-2], h)
    c0, c1, wc = _linear_weights(images.shape[-1], w)
    rows = images[..., r0, :] * (1 - wr)[:, None] + images[..., r1, :] * wr[:, None]
    return rows[..., c0] * (1 - wc) + rows[..., c1] * wc


def event_bins(t: np.ndarray, bins: int) -> np.ndarray:
    """Temporal bin of each event after per-sample normalisation ``t / t.max()``.

    Event ``k`` goes to bin ``i`` when ``t_k / t_max`` is in
    ``(i / bins, (i + 1) / bins]``; ``t == 0`` goes to bin 0, and so does every
    event when ``t_max == 0``. Integer timestamps are binned exactly
    (``ceil(t * bins / t_max) - 1`` in integer arithmetic).
    """
    t = np.asarray(t)
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    if t.dtype.kind == "f" and not np.isfinite(t).all():
        raise ValueError("timestamps must be finite for t / t.max() binning")
    if t.min() < 0:
        raise ValueError("timestamps must be non-negative for t / t.max() binning")
    t_max = t.max()
    if t_max == 0:
        return np.zeros(t.shape, dtype=np.int64)
    if np.issubdtype(t.dtype, np.integer) or t.dtype == bool:
        t = t.astype(np.int64)
        b = -((-t * bins) // int(t_max)) - 1  # ceil via floor of the negation
    else:
        b = np.ceil(t.astype(np.float64) / float(t_max) * bins).astype(np.int64) - 1
    return np.clip(b, 0, bins - 1)


def pad_to_square(frames: np.ndarray) -> np.ndarray:
    """Zero-pad the last two axes to a square, centred (the odd pixel goes after)."""
    h, w = frames.shape[-2:]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    pad = [(0, 0)] * (frames.ndim - 2) + [(top, side - h - top), (left, side - w - left)]
    return np.pad(frames, pad)


def events_to_frames(events: np.ndarray, sensor_size: Sequence[int], bins: int,
                     size: int | Sequence[int] | None = None) -> np.ndarray:
    """MST's voxel grid: per-bin, per-polarity event counts.

    Timestamps are normalised per sample and binned by :func:`event_bins`.
    Events outside the sensor (x >= W, y >= H, p >= P, or negative) are
    dropped. Channels are polarity-major, ``channel = p * bins + bin`` (all
    bins of polarity 0, then of polarity 1), as in the EST-style voxel grid of
    MST's pipeline. The ``(H, W)`` plane is zero-padded to a square and, if
    ``size`` is given, resized with :func:`resize_nearest`.

    Parameters
    ----------
    events : structured ndarray
        Fields ``x``, ``y``, ``t``, ``p`` (accessed by name).
    sensor_size : (int, int, int)
        ``(W, H, P)`` as in tonic. With ``P == 1`` polarity is ignored.
    bins : int
        Number of temporal bins (MST: 9).
    size : int or (int, int), optional
        Output spatial size (MST: 224); ``None`` keeps the padded square.

    Returns
    -------
    ndarray
        float32 ``(P * bins, S, S)`` counts (``S`` = max(W, H) or ``size``).
    """
    width, height, n_pol = (int(v) for v in sensor_size)
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    missing = {"x", "y", "t", "p"} - set(events.dtype.names or ())
    if missing:
        raise ValueError(f"events need fields x, y, t, p; missing {sorted(missing)}")
    b = event_bins(events["t"], bins)
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    p = np.zeros(len(events), np.int64) if n_pol == 1 else events["p"].astype(np.int64)
    keep = (x >= 0) & (x < width) & (y >= 0) & (y < height) & (p >= 0) & (p < n_pol)
    channel = p[keep] * bins + b[keep]
    flat = (channel * height + y[keep]) * width + x[keep]
    counts = np.bincount(flat, minlength=n_pol * bins * height * width)
    frames = pad_to_square(counts.astype(np.float32).reshape(n_pol * bins, height, width))
    return frames if size is None else resize_nearest(frames, size)


def events_to_stream(events: np.ndarray, sensor_size: Sequence[int], steps: int,
                     size: int | Sequence[int] | None = None) -> np.ndarray:
    """Event-stream input: one ``(P, S, S)`` count frame per simulation step.

    Step ``s`` receives exactly the events of temporal bin ``s`` of
    :func:`events_to_frames` with ``bins=steps`` (same normalisation, padding
    and resize), so ``stream[s, p] == frames[p * steps + s]``.

    Parameters
    ----------
    events : structured ndarray
        Fields ``x``, ``y``, ``t``, ``p``.
    sensor_size : (int, int, int)
        ``(W, H, P)`` as in tonic.
    steps : int
        Number of simulation steps (= temporal bins).
    size : int or (int, int), optional
        Output spatial size; ``None`` keeps the padded square.

    Returns
    -------
    ndarray
        float32 ``(steps, P, S, S)``.
    """
    frames = events_to_frames(events, sensor_size, steps, size)
    n_pol = int(sensor_size[2])
    return np.ascontiguousarray(
        frames.reshape(n_pol, steps, *frames.shape[-2:]).transpose(1, 0, 2, 3))
