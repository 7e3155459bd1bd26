"""Common base classes, the error type and small helpers shared by the readers.

Every reader builds its list of samples when it is constructed (so a bad
layout is reported at once) and reads a sample's bytes only in
``__getitem__`` (so opening a large dataset stays cheap).
"""

from __future__ import annotations

import math
import os
import struct
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mstsim.ir.errors import MstsimError

SPLITS = ("train", "test", "all")

#: what NumPy raises on a damaged .npy or .npz file (its header parser goes through tokenize and ast)
NUMPY_READ_ERRORS = (ValueError, EOFError, SyntaxError, tokenize.TokenError, RecursionError, KeyError,
                     zipfile.BadZipFile, zlib.error, struct.error)


class DatasetError(MstsimError):
    """A dataset cannot be opened or read: unknown spec, missing or malformed file."""


class Dataset:
    """A labelled, indexable collection of samples.

    Attributes
    ----------
    name : str
        Dataset family, e.g. ``"cifar10"``.
    split : str
        ``"train"``, ``"test"`` or ``"all"``.
    classes : tuple of str
        Class names; ``classes[label]`` names a label.
    kind : str
        ``"image"`` (samples are float32 ``(C, H, W)`` in [0, 1]) or
        ``"events"`` (samples are structured arrays with fields x, y, t, p).
    """

    name: str = ""
    kind: str = "image"

    def __init__(self, *, split: str, classes: Sequence[str]):
        self.split = split
        self.classes = tuple(str(c) for c in classes)

    @property
    def num_classes(self) -> int:
        """Number of classes (``len(classes)``)."""
        return len(self.classes)

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def _check_index(self, index: int) -> int:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"{self.name}: index {index} out of range for {n} samples")
        return index % n

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.name} split={self.split} "
                f"n={len(self)} classes={self.num_classes}>")


class ImageArrayDataset(Dataset):
    """Images held in memory: subclasses set ``images`` (N, C, H, W) float32 and ``labels`` (N,) int64."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        i = self._check_index(index)
        return self.images[i], int(self.labels[i])


class FileEventDataset(Dataset):
    """Event samples stored one recording per file.

    Subclasses set ``name``, ``sensor_size`` (W, H, P) as in tonic, and
    implement :meth:`_read` for one file.
    """

    kind = "events"
    sensor_size: tuple[int, int, int] = (0, 0, 2)

    def __init__(self, files: Sequence[Path], labels: Sequence[int], *,
                 split: str, classes: Sequence[str]):
        super().__init__(split=split, classes=classes)
        self.files = list(files)
        self.labels = np.asarray(labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        i = self._check_index(index)
        return self._read(self.files[i]), int(self.labels[i])

    def _read(self, path: Path) -> np.ndarray:
        raise NotImplementedError


def check_split(split: str) -> str:
    """Return ``split`` if it is one of ``train``, ``test``, ``all``; raise otherwise."""
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    return split


def require_dir(path: Path, what: str, hint: str = "") -> Path:
    """Return ``path`` if it is a directory, else raise a :class:`DatasetError`."""
    if not path.is_dir():
        state = "is not a directory" if path.exists() else "does not exist"
        raise DatasetError(f"{what} {path} {state}" + (f"; {hint}" if hint else ""))
    return path


def require_file(path: Path, what: str) -> Path:
    """Return ``path`` if it is a regular file, else raise a :class:`DatasetError`."""
    if not path.is_file():
        state = "is not a file" if path.exists() else "does not exist"
        raise DatasetError(f"{what} {path} {state}")
    return path


def sorted_subdirs(path: Path) -> list[Path]:
    """Subdirectories of ``path`` sorted by name (plain string order), hidden ones skipped."""
    return sorted((p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def sorted_files(path: Path, suffixes: Sequence[str]) -> list[Path]:
    """Files in ``path`` whose suffix is in ``suffixes``, sorted by name."""
    return sorted((p for p in path.iterdir()
                   if p.is_file() and p.suffix.lower() in suffixes),
                  key=lambda p: p.name)


def head_tail_split(n: int, split: str, *, train_fraction: float,
                    rounding: Callable[[float], int] = math.ceil) -> slice:
    """Slice of one class's ``n`` ordered samples that belongs to ``split``.

    The first ``rounding(n * train_fraction)`` samples are the training part,
    the rest the test part, as in SpikingJelly's non-random
    ``split_to_train_test_set`` that MST's neuromorphic pipeline uses.
    """
    cut = int(rounding(n * train_fraction))
    return {"train": slice(0, cut), "test": slice(cut, n), "all": slice(0, n)}[split]


def wrap_os_error(path: os.PathLike, exc: OSError) -> DatasetError:
    """Turn an ``OSError`` raised while reading ``path`` into a :class:`DatasetError`."""
    return DatasetError(f"cannot read {path}: {exc.strerror or exc}")


def npy_data_bytes(fh) -> int:
    """Bytes of the array an open ``.npy`` stream holds, from its header, leaving ``fh`` after it.

    Lets a reader refuse a file that claims more than memory holds before NumPy allocates it
    (0 for header versions other than 1 and 2, which NumPy then checks itself).
    """
    version = np.lib.format.read_magic(fh)
    reader = {(1, 0): np.lib.format.read_array_header_1_0,
              (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if reader is None:
        return 0
    shape, _, dtype = reader(fh)
    return int(np.prod(shape, dtype=np.float64) * dtype.itemsize)
