"""N-MNIST and N-Caltech101: ATIS recordings in the 40-bit ``.bin`` format.

Each event is 5 bytes: byte 0 = x, byte 1 = y, then a 24-bit big-endian word
whose bit 23 is the polarity (1 = ON) and bits 22..0 the timestamp in
microseconds. Records with y == 240 mark a timestamp overflow (+2**13 us to
all later events in tonic's decoding) and are not events. Decoding is done by
``tonic.io.read_mnist_file``; this module only lays out files, labels and
splits and turns malformed files into :class:`DatasetError`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tonic.datasets import NCALTECH101, NMNIST
from tonic.io import read_mnist_file

from .base import (DatasetError, FileEventDataset, check_split, head_tail_split,
                   require_dir, sorted_files, sorted_subdirs, wrap_os_error)

ATIS_EVENT_BYTES = 5
ATIS_OVERFLOW_Y = 240
ATIS_MAX_OVERFLOWS = 4096
NCALTECH101_SENSOR = (240, 180, 2)  # (W, H, P): tonic leaves it None; MST uses 180x240 frames
NCALTECH101_TRAIN_FRACTION = 0.9
NCALTECH101_SKIPPED = ("BACKGROUND_Google",)


def read_atis_bin(path: Path, dtype: np.dtype) -> np.ndarray:
    """Decode one ``.bin`` file with tonic, after checking it holds whole events."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise wrap_os_error(path, exc) from None
    if size % ATIS_EVENT_BYTES:
        raise DatasetError(f"{path}: size {size} bytes is not a multiple of "
                           f"{ATIS_EVENT_BYTES} (40-bit ATIS events); the file is truncated "
                           f"or not in the N-MNIST/N-Caltech101 .bin format")
    try:
        with open(path, "rb") as f:
            y = np.frombuffer(f.read(), dtype=np.uint8)[1::ATIS_EVENT_BYTES]
    except OSError as exc:
        raise wrap_os_error(path, exc) from None
    overflows = int(np.count_nonzero(y == ATIS_OVERFLOW_Y))
    if overflows > ATIS_MAX_OVERFLOWS:  # tonic shifts every later event once per marker: quadratic time
        raise DatasetError(f"{path}: {overflows} timestamp-overflow records (y = 240); N-MNIST and "
                           f"N-Caltech101 recordings hold few or none, so the file is damaged or not one")
    try:
        return read_mnist_file(str(path), dtype=dtype)
    except OSError as exc:
        raise wrap_os_error(path, exc) from None


class NMNISTDataset(FileEventDataset):
    """N-MNIST from ``DIR/Train/<digit>/<id>.bin`` and ``DIR/Test/<digit>/<id>.bin``."""

    name = "nmnist"
    sensor_size = tuple(NMNIST.sensor_size)
    dtype = NMNIST.dtype
    folders = {"train": ("Train",), "test": ("Test",), "all": ("Train", "Test")}

    def __init__(self, root: Path, *, split: str = "test"):
        check_split(split)
        require_dir(root, "N-MNIST directory")
        files, labels = [], []
        for folder in self.folders[split]:
            base = require_dir(root / folder, f"N-MNIST {folder} folder",
                               f"expected DIR/{folder}/<digit>/<id>.bin")
            for sub in sorted_subdirs(base):
                if not (len(sub.name) == 1 and sub.name.isdigit()):
                    raise DatasetError(f"{sub}: N-MNIST class folders must be named 0..9")
                found = sorted_files(sub, (".bin",))
                files += found
                labels += [int(sub.name)] * len(found)
        if not files:
            raise DatasetError(f"{root}: no .bin files under {' and '.join(self.folders[split])}")
        super().__init__(files, labels, split=split, classes=NMNIST.classes)

    def _read(self, path: Path) -> np.ndarray:
        return read_atis_bin(path, self.dtype)


class NCaltech101Dataset(FileEventDataset):
    """N-Caltech101 from ``DIR/<class>/image_XXXX.bin`` (or ``DIR/Caltech101/...``).

    Classes are the sub-folders in name order, without ``BACKGROUND_Google``
    (101 classes as in MST). There is no official split: within each class the
    files sorted by name are cut with :func:`head_tail_split` at 90 % (the first
    ``ceil(0.9 * n)`` train, the rest test).
    """

    name = "ncaltech101"
    sensor_size = NCALTECH101_SENSOR
    dtype = NCALTECH101.dtype

    def __init__(self, root: Path, *, split: str = "test"):
        check_split(split)
        require_dir(root, "N-Caltech101 directory")
        if (root / NCALTECH101.folder_name).is_dir():
            root = root / NCALTECH101.folder_name
        class_dirs = [d for d in sorted_subdirs(root) if d.name not in NCALTECH101_SKIPPED]
        if not class_dirs:
            raise DatasetError(f"{root}: expected one folder per class holding .bin files")
        files, labels, total = [], [], 0
        for label, d in enumerate(class_dirs):
            found = sorted_files(d, (".bin",))
            total += len(found)
            part = found[head_tail_split(len(found), split,
                                         train_fraction=NCALTECH101_TRAIN_FRACTION)]
            files += part
            labels += [label] * len(part)
        if not total:
            raise DatasetError(f"{root}: no .bin files in its class folders")
        super().__init__(files, labels, split=split, classes=[d.name for d in class_dirs])

    def _read(self, path: Path) -> np.ndarray:
        return read_atis_bin(path, self.dtype)
