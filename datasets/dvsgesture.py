"""DVS Gesture in the layout tonic 1.7 extracts its archives to.

tonic's ``DVSGesture`` uses a preprocessed release (``ibmGestureTrain.tar.gz``
and ``ibmGestureTest.tar.gz``) in which every recording was already cut into
one file per gesture::

    DIR/ibmGestureTrain/user01_fluorescent/0.npy ... 10.npy
    DIR/ibmGestureTest/user24_led/...

Each ``<label>.npy`` is a plain ``(N, 4)`` numeric array with columns
x, y, p, t, with t in milliseconds; as tonic does, t is multiplied by 1000
(microseconds) and the array is cast to ``tonic.datasets.DVSGesture.dtype``.
The file stem is the label (0..10). Folder names are ``user<NN>_<lighting>``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.lib import recfunctions
from tonic.datasets import DVSGesture

from mstsim.memory import MemoryEstimate, check_fits

from .base import (NUMPY_READ_ERRORS, DatasetError, FileEventDataset, check_split, npy_data_bytes,
                   require_dir, sorted_files, sorted_subdirs, wrap_os_error)

FOLDERS = {"train": ("ibmGestureTrain",), "test": ("ibmGestureTest",),
           "all": ("ibmGestureTrain", "ibmGestureTest")}


def _parse_recording_folder(folder: Path) -> tuple[int, str]:
    user, _, lighting = folder.name.partition("_")
    if not (user.startswith("user") and user[4:].isdigit() and lighting):
        raise DatasetError(f"{folder}: expected a folder named user<NN>_<lighting>, "
                           f"e.g. user01_fluorescent")
    return int(user[4:]), lighting


def _parse_label(path: Path, num_classes: int) -> int:
    if not path.stem.isdigit() or int(path.stem) >= num_classes:
        raise DatasetError(f"{path}: file names must be the gesture label 0..{num_classes - 1}"
                           f" followed by .npy")
    return int(path.stem)


def read_gesture_npy(path: Path) -> np.ndarray:
    """Read one ``<label>.npy`` file into tonic's DVSGesture structured dtype."""
    try:
        with open(path, "rb") as fh:
            check_fits(MemoryEstimate({"events": 2 * npy_data_bytes(fh)}), f"reading {path}")
        raw = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise wrap_os_error(path, exc) from None
    except NUMPY_READ_ERRORS as exc:
        raise DatasetError(f"{path}: not a readable .npy array ({type(exc).__name__}: {exc})") from None
    if not isinstance(raw, np.ndarray):
        raise DatasetError(f"{path}: expected an .npy array, found {type(raw).__name__}")
    if raw.ndim != 2 or raw.shape[1] != 4 or raw.dtype.kind not in "biuf":
        raise DatasetError(f"{path}: expected a numeric (N, 4) array of x, y, p, t(ms), "
                           f"got {raw.dtype} {raw.shape}")
    # widen first: t in ms times 1000 can overflow the file's own integer type
    raw = raw.astype(np.float64 if raw.dtype.kind == "f" else np.int64)
    if raw.dtype.kind == "f" and not np.isfinite(raw).all():
        row = int(np.flatnonzero(~np.isfinite(raw).all(axis=1))[0])
        raise DatasetError(f"{path}: event {row} holds a NaN or infinite value ({raw[row].tolist()})")
    if raw.size and raw.min() < 0:
        row, col = (int(v) for v in np.argwhere(raw < 0)[0])
        raise DatasetError(f"{path}: event {row} has a negative {'xypt'[col]} ({raw[row, col]:g}); "
                           f"coordinates, polarity and timestamps are non-negative")
    if raw.size and float(raw[:, 3].max()) * 1000 >= 2.0**63:
        raise DatasetError(f"{path}: timestamps up to {raw[:, 3].max():g} ms overflow microseconds in int64")
    if raw.size and raw[:, :2].max() > np.iinfo(np.int16).max:
        raise DatasetError(f"{path}: an x or y of {raw[:, :2].max():g} is beyond any DVS sensor "
                           f"(int16 coordinates)")
    raw[:, 3] *= 1000
    return recfunctions.unstructured_to_structured(raw, DVSGesture.dtype)


class DVSGestureDataset(FileEventDataset):
    """DVS Gesture recordings, split by tonic's train/test folders.

    Besides ``labels`` it records ``users`` and ``lighting`` per sample.
    """

    name = "dvsgesture"
    sensor_size = tuple(DVSGesture.sensor_size)
    dtype = DVSGesture.dtype

    def __init__(self, root: Path, *, split: str = "test"):
        check_split(split)
        require_dir(root, "DVS Gesture directory")
        num_classes = len(DVSGesture.classes)
        files, labels, self.users, self.lighting = [], [], [], []
        for name in FOLDERS[split]:
            base = require_dir(root / name, f"DVS Gesture {name} folder",
                               f"expected DIR/{name}/user<NN>_<lighting>/<label>.npy")
            for rec in sorted_subdirs(base):
                user, lighting = _parse_recording_folder(rec)
                for f in sorted_files(rec, (".npy",)):
                    files.append(f)
                    labels.append(_parse_label(f, num_classes))
                    self.users.append(user)
                    self.lighting.append(lighting)
        if not files:
            raise DatasetError(f"{root}: no .npy files under {' and '.join(FOLDERS[split])}")
        super().__init__(files, labels, split=split, classes=DVSGesture.classes)

    def _read(self, path: Path) -> np.ndarray:
        return read_gesture_npy(path)
