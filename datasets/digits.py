"""The 8x8 handwritten digits shipped in ``datasets/data/digits.csv.gz``.

The file is scikit-learn's copy of the UCI "Optical Recognition of Handwritten
Digits" test set (see ``datasets/data/README.md``): 1,797 rows of 64 pixel
values in 0..16 followed by the label.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from .base import DatasetError, ImageArrayDataset, check_split

DATA_FILE = Path(__file__).parent / "data" / "digits.csv.gz"
NUM_SAMPLES = 1797
TEST_DIVISOR = 5  # the last n_c // 5 samples (20 %, rounded down) of class c are test


def digits_split_indices(labels: np.ndarray, split: str) -> np.ndarray:
    """Row indices of ``split`` under the fixed stratified rule.

    For each class ``c`` with ``n_c`` rows, the last ``n_c // 5`` rows of that
    class in file order are the test split and the others the train split.
    Indices are returned in file order.
    """
    check_split(split)
    if split == "all":
        return np.arange(len(labels))
    is_test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        n_test = len(rows) // TEST_DIVISOR
        if n_test:
            is_test[rows[len(rows) - n_test:]] = True
    return np.flatnonzero(is_test if split == "test" else ~is_test)


def load_digits_table(path: Path = DATA_FILE) -> tuple[np.ndarray, np.ndarray]:
    """Read the gzip CSV and return ``(pixels (N, 64) uint8, labels (N,) int64)``."""
    try:
        with gzip.open(path, "rt", encoding="ascii") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, ValueError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DatasetError(f"cannot read the digits table {path}: {exc}") from None
    if table.shape != (NUM_SAMPLES, 65):
        raise DatasetError(f"{path}: expected {NUM_SAMPLES} rows of 65 values, "
                           f"got shape {table.shape}")
    pixels, labels = table[:, :64], table[:, 64]
    if pixels.min() < 0 or pixels.max() > 16 or labels.min() < 0 or labels.max() > 9:
        raise DatasetError(f"{path}: pixels must be in 0..16 and labels in 0..9")
    return pixels.astype(np.uint8), labels


class DigitsDataset(ImageArrayDataset):
    """8x8 grey digits as float32 ``(1, 8, 8)`` images in [0, 1] (pixel / 16)."""

    name = "digits"
    kind = "image"

    def __init__(self, *, split: str = "test"):
        super().__init__(split=check_split(split), classes=[str(d) for d in range(10)])
        pixels, labels = load_digits_table()
        rows = digits_split_indices(labels, split)
        self.images = (pixels[rows].reshape(-1, 1, 8, 8) / np.float32(16)).astype(np.float32)
        self.labels = labels[rows]
