"""Fixed-size batches of transformed samples, in dataset order."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .base import Dataset


def batches(dataset: Dataset, batch_size: int, *,
            transform: Callable[[np.ndarray], np.ndarray] | None,
            limit: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x_batch, labels)`` over the first ``limit`` samples of ``dataset``.

    Parameters
    ----------
    dataset : Dataset
        Any dataset returned by :func:`mstsim.datasets.open_dataset`.
    batch_size : int
        Samples per batch; the last batch may be smaller.
    transform : callable or None
        Applied to each sample before stacking, e.g. a ``functools.partial``
        of :func:`~mstsim.datasets.transforms.events_to_frames`. ``None``
        stacks the samples as they are (images only: event arrays differ in
        length).
    limit : int, optional
        Stop after this many samples (all samples when ``None``).

    Yields
    ------
    x_batch : ndarray
        ``np.stack`` of the transformed samples.
    labels : ndarray
        int64 ``(len(x_batch),)``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if transform is None and dataset.kind == "events":
        raise ValueError(f"{dataset.name} yields event arrays of varying length: pass a "
                         f"transform such as events_to_frames to batch them")
    total = len(dataset) if limit is None else min(len(dataset), max(int(limit), 0))
    for start in range(0, total, batch_size):
        xs, ys = [], []
        for i in range(start, min(start + batch_size, total)):
            sample, label = dataset[i]
            xs.append(sample if transform is None else transform(sample))
            ys.append(label)
        yield np.stack(xs), np.asarray(ys, dtype=np.int64)
