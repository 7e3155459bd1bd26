"""``open_dataset``: from a spec string to a :class:`~mstsim.datasets.base.Dataset`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .atis import NCaltech101Dataset, NMNISTDataset
from .base import Dataset, DatasetError, check_split
from .cifar import open_cifar10, open_cifar100
from .cifar10dvs import CIFAR10DVSDataset
from .digits import DigitsDataset
from .dvsgesture import DVSGestureDataset
from .npz import NpzDataset

# spec prefix -> (opener taking (path, split=...), what the path names)
_OPENERS: dict[str, tuple[Callable[..., Dataset], str]] = {
    "cifar10": (open_cifar10, "DIR"),
    "cifar100": (open_cifar100, "DIR"),
    "npz": (NpzDataset, "FILE"),
    "nmnist": (NMNISTDataset, "DIR"),
    "dvsgesture": (DVSGestureDataset, "DIR"),
    "cifar10dvs": (CIFAR10DVSDataset, "DIR"),
    "ncaltech101": (NCaltech101Dataset, "DIR"),
}

SPECS = ("digits",) + tuple(f"{name}:{arg}" for name, (_, arg) in _OPENERS.items())


def open_dataset(spec: str, *, split: str = "test", root: str | None = None) -> Dataset:
    """Open a dataset from local files; nothing is ever downloaded.

    Parameters
    ----------
    spec : str
        ``digits``, ``cifar10:DIR``, ``cifar100:DIR``, ``npz:FILE``,
        ``nmnist:DIR``, ``dvsgesture:DIR``, ``cifar10dvs:DIR`` or
        ``ncaltech101:DIR``. See ``docs/datasets.md`` for each layout.
    split : {"test", "train", "all"}
        Which part to read (``npz`` files are taken whole whatever the split).
    root : str, optional
        Base directory for a relative ``DIR``/``FILE``; ``~`` is expanded.

    Returns
    -------
    Dataset
        Indexable ``(sample, label)`` collection.

    Raises
    ------
    DatasetError
        Unknown spec or split, missing or malformed file or directory.
    """
    check_split(split)
    name, sep, arg = str(spec).partition(":")
    name = name.strip().lower()
    if name == "digits":
        if sep:
            raise DatasetError(f"dataset spec {spec!r}: digits is built in and takes no path")
        return DigitsDataset(split=split)
    if name not in _OPENERS:
        raise DatasetError(f"unknown dataset spec {spec!r}; expected one of: {', '.join(SPECS)}")
    opener, what = _OPENERS[name]
    if not arg:
        raise DatasetError(f"dataset spec {spec!r} needs a path: {name}:{what}")
    path = Path(os.path.expanduser(arg))
    if root is not None and not path.is_absolute():
        path = Path(os.path.expanduser(root)) / path
    return opener(path, split=split)
