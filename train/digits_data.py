"""The bundled 8x8 digits for training, numpy only, and the preprocessing stored with the models.

Reads datasets/data/digits.csv.gz with the fixed split documented in
docs/datasets.md (the same rule as mstsim.datasets' `digits`): for each class
c with n_c rows, the last n_c // 5 rows of that class in file order are test,
the rest train; samples keep file order. Pixels are scaled to [0, 1] by /16.

Preprocessing (recorded in the ONNX metadata as `mstsim.preprocess`):
nearest x2 upsampling to 16x16, then (x - mean) / std with the train split's
scalar pixel mean and std.
"""
import gzip
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_FILE = os.path.join(ROOT, "datasets", "data", "digits.csv.gz")
SIZES = {"train": 1442, "test": 355}
RESIZE = (16, 16)


def load_split(split):
    """(images (N, 1, 8, 8) float32 in [0, 1], labels (N,) int64) of 'train' or 'test'."""
    with gzip.open(DATA_FILE, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    assert table.shape == (1797, 65), table.shape
    pixels, labels = table[:, :64], table[:, 64]
    is_test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        rows = np.flatnonzero(labels == c)
        is_test[rows[len(rows) - len(rows) // 5:]] = True
    rows = np.flatnonzero(is_test if split == "test" else ~is_test)
    assert len(rows) == SIZES[split], (split, len(rows))
    images = (pixels[rows].reshape(-1, 1, 8, 8) / np.float32(16)).astype(np.float32)
    return images, labels[rows]


def norm_stats(train_images):
    """Scalar mean and std of the train pixels, as float32 values (nearest x2 keeps both)."""
    x = train_images.astype(np.float64)
    return float(np.float32(x.mean())), float(np.float32(x.std()))


def preprocess(images, mean, std):
    """(N, 1, 8, 8) in [0, 1] -> (N, 1, 16, 16) float32: nearest x2, then normalise."""
    up = images.repeat(2, axis=2).repeat(2, axis=3)
    return ((up - np.float32(mean)) / np.float32(std)).astype(np.float32)


def preprocess_meta(mean, std, T, L, ratio, sites):
    """The `mstsim.preprocess` metadata dict (stored as JSON in the ONNX file)."""
    return {"dataset": "digits", "resize": list(RESIZE), "resize_mode": "nearest",
            "mean": [mean], "std": [std], "T": T, "L": L, "masking_ratio": ratio,
            "mask_sites": sites, "classes": 10}
