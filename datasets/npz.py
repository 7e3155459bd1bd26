"""Images from a NumPy ``.npz`` archive.

Expected arrays:

* ``x``: images, shape ``(N, C, H, W)`` (channels first, as the ONNX models
  take them), dtype uint8 (0..255, scaled by 1/255) or floating point
  already in [0, 1]. ``(N, H, W, C)`` is not accepted: transpose it first.
* ``y``: integer labels, shape ``(N,)``, values in ``0 .. num_classes-1``.
* ``classes`` (optional): a string array of class names; without it the
  classes are named ``"0" .. str(max(y))``.

The archive is opened with ``allow_pickle=False``: object arrays are refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mstsim.memory import MemoryEstimate, check_fits

from .base import NUMPY_READ_ERRORS, DatasetError, ImageArrayDataset, npy_data_bytes, require_file

_LIKELY_CHANNELS = (1, 2, 3, 4)


def _load_arrays(path: Path, optional: tuple[str, ...] = ("classes",)) -> dict[str, np.ndarray]:
    """``x``, ``y`` and those of ``optional`` that the archive holds, checked to fit in memory."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError,) + NUMPY_READ_ERRORS as exc:
        raise DatasetError(f"cannot read {path} as an .npz archive: {type(exc).__name__}: {exc}") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        kind = "a single .npy array" if isinstance(loaded, np.ndarray) else type(loaded).__name__
        raise DatasetError(f"{path}: expected an .npz archive (np.savez) holding 'x' and 'y', "
                           f"found {kind}")
    try:
        with loaded as archive:
            missing = {"x", "y"} - set(archive.files)
            if missing:
                raise DatasetError(f"{path}: missing array(s) {sorted(missing)}; the archive "
                                   f"has {sorted(archive.files)}, expected 'x', 'y' "
                                   f"and optionally 'classes'")
            keys = [k for k in ("x", "y") + tuple(optional) if k in archive.files]
            need = sum(_member_bytes(archive, k) for k in keys)
            check_fits(MemoryEstimate({"arrays": 2 * need}), f"reading {path}")
            return {k: archive[k] for k in keys}
    except (OSError,) + NUMPY_READ_ERRORS as exc:
        raise DatasetError(f"cannot read {path} as an .npz archive: {type(exc).__name__}: {exc}") from None


def _member_bytes(archive, key: str) -> int:
    """Bytes of a member array once read as float32 (or wider), from its header."""
    with archive.zip.open(f"{key}.npy") as fh:
        return npy_data_bytes(fh) * 4


def _images(path: Path, x: np.ndarray) -> np.ndarray:
    """``x`` as float32 in [0, 1] (uint8 scaled by 1/255), after its shape and range are checked."""
    if x.ndim != 4:
        raise DatasetError(f"{path}: 'x' must have shape (N, C, H, W), got {x.shape}")
    if x.shape[1] not in _LIKELY_CHANNELS and x.shape[3] in _LIKELY_CHANNELS:
        raise DatasetError(f"{path}: 'x' has shape {x.shape}, which looks like (N, H, W, C); "
                           f"store it channels-first as (N, C, H, W)")
    if x.dtype == np.uint8:
        return (x / np.float32(255)).astype(np.float32)
    if not np.issubdtype(x.dtype, np.floating):
        raise DatasetError(f"{path}: 'x' has dtype {x.dtype}; expected uint8 or float in [0, 1]")
    x = x.astype(np.float32)
    if x.size and not (np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0):
        raise DatasetError(f"{path}: float 'x' must be finite and within [0, 1] "
                           f"(found {np.nanmin(x)} .. {np.nanmax(x)}); normalisation is "
                           f"applied later by mstsim.datasets.transforms.normalize")
    return x


def _labels(path: Path, y: np.ndarray, n: int) -> np.ndarray:
    """``y`` as int64, checked to be ``n`` non-negative integers."""
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(f"{path}: 'y' must be an integer array of shape ({n},), "
                           f"got {y.dtype} {y.shape}")
    if n and y.min() < 0:
        raise DatasetError(f"{path}: 'y' has negative labels")
    return y.astype(np.int64)


class NpzDataset(ImageArrayDataset):
    """Images and labels held in memory from one ``.npz`` file."""

    name = "npz"
    kind = "image"

    def __init__(self, path: Path, *, split: str = "test"):
        arrays = _load_arrays(require_file(path, "npz file"))
        self.path = path
        self.images = _images(path, arrays["x"])
        self.labels = _labels(path, arrays["y"], len(self.images))
        top = int(self.labels.max()) + 1 if len(self.labels) else 0
        if "classes" in arrays:
            names = arrays["classes"]
            if names.ndim != 1 or names.dtype.kind not in "US":
                raise DatasetError(f"{path}: 'classes' must be a 1-D string array")
            if len(names) < top:
                raise DatasetError(f"{path}: 'y' has label {top - 1} but 'classes' "
                                   f"names only {len(names)} classes")
            classes = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        else:
            classes = [str(i) for i in range(top)]
        super().__init__(split=split, classes=classes)
