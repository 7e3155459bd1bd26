"""CIFAR10-DVS from ``DIR/<class>/<file>.aedat`` (original release) or ``.aedat4``.

The original release (Li et al. 2017) stores each recording as an AEDAT 2.0
file: ``#``-prefixed ASCII header lines (the first is ``#!AER-DAT2.0``), then
events of two big-endian uint32 words, address then timestamp (us). The header
and event words are read with tonic's AEDAT readers
(``tonic.io.read_aedat_header_from_file`` / ``get_aer_events_from_file``). The
DVS128 address is decoded as tonic (<= 1.2) and SpikingJelly did for this set,
which MST's pipeline used::

    x = 127 - ((address >> 8) & 0x7F)
    y = 127 - ((address >> 1) & 0x7F)
    p = 1 - (address & 1)

tonic 1.7's own CIFAR10DVS class reads AEDAT 4 re-encodings (``.aedat4``)
through the optional ``aedat`` package; such files are read with
``tonic.io.read_aedat4`` when that package is installed and refused with a
clear message otherwise. The version is taken from the file's first line, not
from its extension.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from tonic.datasets import CIFAR10DVS
from tonic.io import get_aer_events_from_file, read_aedat4, read_aedat_header_from_file

from .base import (DatasetError, FileEventDataset, check_split, head_tail_split,
                   require_dir, sorted_files, sorted_subdirs, wrap_os_error)

SUFFIXES = (".aedat", ".aedat4")
AEDAT4_MAGIC = b"#!AER-DAT4"
TRAIN_FRACTION = 0.9
CLASSES = tuple(sorted(CIFAR10DVS.classes, key=CIFAR10DVS.classes.get))


def decode_dvs128_address(address: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Build tonic's CIFAR10DVS structured events from raw AEDAT 2.0 words."""
    address = address.astype(np.uint32)
    events = np.empty(len(address), dtype=CIFAR10DVS.dtype)
    events["t"] = t
    events["x"] = 127 - ((address >> 8) & 0x7F)
    events["y"] = 127 - ((address >> 1) & 0x7F)
    events["p"] = (address & 1) == 0
    return events


def read_aedat2(path: Path) -> np.ndarray:
    """Read one original CIFAR10-DVS ``.aedat`` recording."""
    try:
        version, start, _ = read_aedat_header_from_file(str(path))
    except OSError as exc:
        raise wrap_os_error(path, exc) from None
    except (UnboundLocalError, ValueError, IndexError):
        # tonic leaves the version unset (UnboundLocalError) when no "!AER-DAT" line exists
        raise DatasetError(f"{path}: no valid '#!AER-DAT<version>' header line; "
                           f"expected an AEDAT 2.0 file") from None
    if not 2 <= version < 3:
        raise DatasetError(f"{path}: AEDAT version {version}; CIFAR10-DVS .aedat files are "
                           f"AEDAT 2.0 (8-byte big-endian address/timestamp events)")
    payload = path.stat().st_size - start
    if payload % 8:
        raise DatasetError(f"{path}: {payload} bytes after the header is not a whole "
                           f"number of 8-byte events (file truncated?)")
    raw = get_aer_events_from_file(str(path), version, start)
    return decode_dvs128_address(raw["address"], raw["timeStamp"])


def read_cifar10dvs_aedat4(path: Path) -> np.ndarray:
    """Read one ``.aedat4`` recording the way tonic 1.7's CIFAR10DVS does."""
    if importlib.util.find_spec("aedat") is None:
        raise DatasetError(f"{path}: reading .aedat4 files needs the optional 'aedat' "
                           f"package (used by tonic.io.read_aedat4), which is not installed; "
                           f"install it or use the original .aedat release")
    try:
        raw = read_aedat4(str(path))
    except Exception as exc:  # the decoder's own error types are not public
        raise DatasetError(f"{path}: cannot decode as AEDAT 4: {exc}") from None
    raw = np.asarray(raw).copy()
    raw.dtype.names = CIFAR10DVS.ordering  # tonic renames positionally: t, x, y, p
    events = np.empty(len(raw), dtype=CIFAR10DVS.dtype)
    for field in CIFAR10DVS.ordering:
        events[field] = raw[field]
    return events


class CIFAR10DVSDataset(FileEventDataset):
    """CIFAR10-DVS events, split per class: first ``ceil(0.9 n)`` sorted files train."""

    name = "cifar10dvs"
    sensor_size = tuple(CIFAR10DVS.sensor_size)
    dtype = CIFAR10DVS.dtype

    def __init__(self, root: Path, *, split: str = "test"):
        check_split(split)
        require_dir(root, "CIFAR10-DVS directory")
        files, labels, total = [], [], 0
        for d in sorted_subdirs(root):
            if d.name not in CIFAR10DVS.classes:
                raise DatasetError(f"{d}: unexpected folder; CIFAR10-DVS class folders are "
                                   f"{', '.join(CLASSES)}")
            found = sorted_files(d, SUFFIXES)
            total += len(found)
            part = found[head_tail_split(len(found), split, train_fraction=TRAIN_FRACTION)]
            files += part
            labels += [CIFAR10DVS.classes[d.name]] * len(part)
        if not total:
            raise DatasetError(f"{root}: no .aedat/.aedat4 files in class folders "
                               f"({', '.join(CLASSES)})")
        super().__init__(files, labels, split=split, classes=CLASSES)

    def _read(self, path: Path) -> np.ndarray:
        # the header, not the extension, tells the version (tonic issue #224)
        try:
            with open(path, "rb") as f:
                magic = f.read(len(AEDAT4_MAGIC))
        except OSError as exc:
            raise wrap_os_error(path, exc) from None
        if magic == AEDAT4_MAGIC:
            return read_cifar10dvs_aedat4(path)
        return read_aedat2(path)
