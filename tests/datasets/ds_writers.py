"""Writers of tiny files in the datasets' real on-disk formats, for the tests.

Each encoder is written from the format's specification, independently of
the readers under test, so a reader bug cannot cancel a writer bug.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

ATIS_OVERFLOW_Y = 240


def atis_event_bytes(x: int, y: int, t: int, p: int) -> bytes:
    """One 40-bit ATIS event: x, y, then bit 23 = polarity and bits 22..0 = t."""
    if not (0 <= x < 256 and 0 <= y < 256 and 0 <= t < 2**23 and p in (0, 1)):
        raise ValueError("value out of the 40-bit event's range")
    word = (p << 23) | t
    return bytes([x, y]) + word.to_bytes(3, "big")


def write_atis_bin(path: Path, events: list[tuple[int, int, int, int]]) -> Path:
    """Write ``(x, y, t, p)`` events; a ``None`` entry writes an overflow marker."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = b"".join(atis_event_bytes(0, ATIS_OVERFLOW_Y, 0, 0) if e is None
                   else atis_event_bytes(*e) for e in events)
    path.write_bytes(out)
    return path


def cifar_records(labels: list[tuple[int, ...]], images: np.ndarray) -> bytes:
    """CIFAR binary records: label byte(s) then the R, G, B 32x32 planes."""
    assert images.shape == (len(labels), 3, 32, 32) and images.dtype == np.uint8
    pairs = zip(labels, images, strict=True)
    return b"".join(bytes(lab) + img.tobytes(order="C") for lab, img in pairs)


def random_cifar_images(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)


def write_cifar10_dir(folder: Path, rng: np.random.Generator, per_file: int = 2,
                      names: list[str] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A ``cifar-10-batches-bin`` folder; returns {file: (labels, images)}."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for fname in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = rng.integers(0, 10, size=per_file)
        images = random_cifar_images(rng, per_file)
        (folder / fname).write_bytes(cifar_records([(int(v),) for v in labels], images))
        written[fname] = (labels, images)
    names = names or ["airplane", "automobile", "bird", "cat", "deer",
                      "dog", "frog", "horse", "ship", "truck"]
    (folder / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    return written


def write_cifar100_dir(folder: Path, rng: np.random.Generator, per_file: int = 3):
    """A ``cifar-100-binary`` folder; returns {file: (coarse, fine, images)}."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for fname in ("train.bin", "test.bin"):
        coarse = rng.integers(0, 20, size=per_file)
        fine = rng.integers(0, 100, size=per_file)
        images = random_cifar_images(rng, per_file)
        labels = [(int(c), int(f)) for c, f in zip(coarse, fine, strict=True)]
        (folder / fname).write_bytes(cifar_records(labels, images))
        written[fname] = (coarse, fine, images)
    (folder / "fine_label_names.txt").write_text("\n".join(f"fine{i}" for i in range(100)) + "\n")
    (folder / "coarse_label_names.txt").write_text("\n".join(f"coarse{i}" for i in range(20)))
    return written


AEDAT2_HEADER = (b"#!AER-DAT2.0\r\n"
                 b"# This is a raw AE data file - do not edit\r\n"
                 b"# Data format is int32 address, int32 timestamp (8 bytes total), "
                 b"repeated for each event\r\n"
                 b"# Timestamps tick is 1 us\r\n")


def dvs128_address(x: int, y: int, p: int) -> int:
    """Inverse of the CIFAR10-DVS convention (x = 127 - bits 8..14, y = 127 - bits 1..7,
    p = 1 - bit 0)."""
    return ((127 - x) << 8) | ((127 - y) << 1) | (1 - p)


def write_aedat2(path: Path, events: list[tuple[int, int, int, int]],
                 header: bytes = AEDAT2_HEADER) -> Path:
    """AEDAT 2.0: ASCII '#' header, then big-endian uint32 (address, timestamp) pairs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = b"".join(struct.pack(">II", dvs128_address(x, y, p), t) for x, y, t, p in events)
    path.write_bytes(header + body)
    return path


def write_gesture_npy(path: Path, rows: np.ndarray) -> Path:
    """tonic's preprocessed DVS Gesture sample: (N, 4) x, y, p, t[ms]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, rows)
    return path
