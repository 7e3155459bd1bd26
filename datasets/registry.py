"""``open_dataset``: from a spec string to a :class:`~mstsim.datasets.base.Dataset`."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from .base import Dataset, DatasetError, check_split
from .digits import DigitsDataset
from .mnist5k import Mnist5kDataset

# spec prefix -> (module, opener taking (path, split=...), what the path names); the modules
# are imported on use, since the event readers pull in tonic (and tonic pulls in torch if installed)
_OPENERS: dict[str, tuple[str, str, str]] = {
    "cifar10": ("cifar", "open_cifar10", "DIR"),
    "cifar100": ("cifar", "open_cifar100", "DIR"),
    "npz": ("npz", "NpzDataset", "FILE"),
    "nmnist": ("atis", "NMNISTDataset", "DIR"),
    "dvsgesture": ("dvsgesture", "DVSGestureDataset", "DIR"),
    "cifar10dvs": ("cifar10dvs", "CIFAR10DVSDataset", "DIR"),
    "ncaltech101": ("atis", "NCaltech101Dataset", "DIR"),
}

SPECS = ("digits", "mnist5k", "mnist5k:FILE") + tuple(f"{name}:{arg}" for name, (_, _, arg) in _OPENERS.items())


def open_dataset(spec: str, *, split: str = "test", root: str | None = None) -> Dataset:
    """Open a dataset from local files; nothing is ever downloaded.

    Parameters
    ----------
    spec : str
        ``digits``, ``mnist5k`` (both bundled), ``mnist5k:FILE`` (an archive in the
        bundled one's layout), ``cifar10:DIR``, ``cifar100:DIR``, ``npz:FILE``,
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
    if name == "mnist5k":
        if not sep:
            return Mnist5kDataset(split=split)
        if not arg:
            raise DatasetError(f"dataset spec {spec!r} needs a path after the colon, or none: mnist5k")
        return Mnist5kDataset(split=split, path=_path(arg, root))
    if name not in _OPENERS:
        raise DatasetError(f"unknown dataset spec {spec!r}; expected one of: {', '.join(SPECS)}")
    module, opener, what = _OPENERS[name]
    opener = getattr(importlib.import_module(f"{__package__}.{module}"), opener)
    if not arg:
        raise DatasetError(f"dataset spec {spec!r} needs a path: {name}:{what}")
    path = _path(arg, root)
    dataset = opener(path, split=split)
    if len(dataset) == 0:
        why = (" (the test split is the last 10% of each class's files, so a class needs at least 2)"
               if split == "test" and name in ("ncaltech101", "cifar10dvs") else "")
        raise DatasetError(f"{path}: the {split} split of this {name} dataset holds no samples{why}")
    return dataset


def _path(arg: str, root: str | None) -> Path:
    """``arg`` with ``~`` expanded, under ``root`` when relative and a root is given."""
    path = Path(os.path.expanduser(arg))
    if root is not None and not path.is_absolute():
        path = Path(os.path.expanduser(root)) / path
    return path
