"""CIFAR-10 and CIFAR-100 from their *binary* distributions.

Record layouts (one record per image, no header, no padding):

* CIFAR-10  (``cifar-10-batches-bin``): 1 label byte + 3072 pixel bytes.
* CIFAR-100 (``cifar-100-binary``): 1 coarse-label byte, 1 fine-label byte,
  3072 pixel bytes.

The 3072 pixel bytes are the red, green and blue 32x32 planes in that order,
each row-major, so a record's pixels reshape directly to ``(3, 32, 32)``.
The pickled "python version" of the sets is never read: unpickling runs code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import Dataset, DatasetError, check_split, require_dir

PIXELS = 3 * 32 * 32


class _Layout:
    """Where one CIFAR variant keeps its files and how its records look."""

    def __init__(self, *, name, subdir, train, test, label_files, label_bytes, num_classes):
        self.name, self.subdir = name, subdir
        self.files = {"train": train, "test": test, "all": train + test}
        self.label_files, self.label_bytes = label_files, label_bytes
        self.num_classes = num_classes
        self.record = label_bytes + PIXELS


CIFAR10 = _Layout(
    name="cifar10", subdir="cifar-10-batches-bin",
    train=[f"data_batch_{i}.bin" for i in range(1, 6)], test=["test_batch.bin"],
    label_files=["batches.meta.txt"], label_bytes=1, num_classes=10)
CIFAR100 = _Layout(
    name="cifar100", subdir="cifar-100-binary",
    train=["train.bin"], test=["test.bin"],
    label_files=["fine_label_names.txt", "coarse_label_names.txt"], label_bytes=2,
    num_classes=100)


def _resolve_dir(root: Path, layout: _Layout) -> Path:
    """Accept either the extracted folder itself or its parent."""
    require_dir(root, f"{layout.name} directory")
    if not (root / layout.files["test"][0]).exists() and (root / layout.subdir).is_dir():
        return root / layout.subdir
    return root


def _read_names(path: Path, expected: int) -> list[str] | None:
    """Class names, one per line (blank lines ignored); ``None`` if the file is absent."""
    if not path.is_file():
        return None
    names = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    names = [n for n in names if n]
    if len(names) != expected:
        raise DatasetError(f"{path}: expected {expected} class names, one per line, "
                           f"found {len(names)}")
    return names


def _open_records(path: Path, record: int) -> np.memmap:
    """Memory-map a record file as ``(n, record)`` uint8 after checking its size."""
    if not path.is_file():
        raise DatasetError(f"missing CIFAR binary file {path}")
    size = path.stat().st_size
    if size == 0 or size % record:
        raise DatasetError(
            f"{path}: size {size} bytes is not a whole number of {record}-byte records "
            f"(truncated or not a CIFAR binary file of this variant)")
    return np.memmap(path, dtype=np.uint8, mode="r", shape=(size // record, record))


class CifarDataset(Dataset):
    """CIFAR images as float32 ``(3, 32, 32)`` in [0, 1] (byte / 255).

    For CIFAR-100 the label is the fine label (100 classes); the coarse
    labels are available as ``coarse_labels`` and ``coarse_classes``.
    """

    kind = "image"

    def __init__(self, root: Path, layout: _Layout, *, split: str = "test"):
        check_split(split)
        folder = _resolve_dir(root, layout)
        self.name = layout.name
        names = _read_names(folder / layout.label_files[0], layout.num_classes)
        super().__init__(split=split,
                         classes=names or [str(i) for i in range(layout.num_classes)])
        self._maps = [_open_records(folder / f, layout.record) for f in layout.files[split]]
        self._starts = np.cumsum([0] + [len(m) for m in self._maps])
        label_col = layout.label_bytes - 1
        self.labels = np.concatenate([m[:, label_col] for m in self._maps]).astype(np.int64)
        self._check_labels(folder, layout, self.labels, layout.num_classes, label_col)
        if layout.label_bytes == 2:
            self.coarse_classes = tuple(_read_names(folder / layout.label_files[1], 20)
                                        or [str(i) for i in range(20)])
            self.coarse_labels = np.concatenate([m[:, 0] for m in self._maps]).astype(np.int64)
            self._check_labels(folder, layout, self.coarse_labels, 20, 0)
        self._label_bytes = layout.label_bytes

    def _check_labels(self, folder, layout, labels, limit, column):
        bad = np.flatnonzero(labels >= limit)
        if bad.size:
            k = int(np.searchsorted(self._starts, bad[0], side="right") - 1)
            raise DatasetError(
                f"{folder / layout.files[self.split][k]}: record {bad[0] - self._starts[k]} "
                f"has label byte {column} = {labels[bad[0]]}, expected < {limit}")

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        i = self._check_index(index)
        k = int(np.searchsorted(self._starts, i, side="right") - 1)
        record = self._maps[k][i - self._starts[k]]
        image = record[self._label_bytes:].reshape(3, 32, 32) / np.float32(255)
        return image.astype(np.float32), int(self.labels[i])


def open_cifar10(root: Path, *, split: str = "test") -> CifarDataset:
    """Open ``cifar-10-batches-bin`` (or its parent folder) at ``root``."""
    return CifarDataset(root, CIFAR10, split=split)


def open_cifar100(root: Path, *, split: str = "test") -> CifarDataset:
    """Open ``cifar-100-binary`` (or its parent folder) at ``root``."""
    return CifarDataset(root, CIFAR100, split=split)
