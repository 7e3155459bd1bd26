"""Readers name the file and what is wrong: bad timestamps, empty splits, a .npy given as .npz,
arrays too large for memory, files that would take quadratic time."""
import io
import zipfile

import numpy as np
import pytest

from mstsim import memory
from mstsim.datasets import DatasetError, open_dataset
from mstsim.datasets.transforms import event_bins

from .ds_writers import write_atis_bin, write_gesture_npy


def gesture_dir(tmp_path, rows):
    write_gesture_npy(tmp_path / "ibmGestureTest" / "user24_led" / "3.npy", np.asarray(rows))
    return open_dataset(f"dvsgesture:{tmp_path}")


@pytest.mark.parametrize("rows, expected", [
    ([[1, 2, 1, 5.0], [1, 2, 0, np.nan]], "event 1 holds a NaN or infinite value"),
    ([[1, 2, 1, 5.0], [1, 2, 0, np.inf]], "event 1 holds a NaN or infinite value"),
    ([[1, 2, 1, 5], [1, 2, 0, -3]], "event 1 has a negative t (-3)"),
    ([[-1, 2, 1, 5]], "event 0 has a negative x"),
    ([[70000, 2, 1, 5]], "beyond any DVS sensor"),
    ([[1, 2, 1, 1e17]], "overflow microseconds"),
])
def test_gesture_events_are_checked(tmp_path, rows, expected):
    ds = gesture_dir(tmp_path, rows)
    with pytest.raises(DatasetError, match="3.npy: ") as err:
        ds[0]
    assert expected in str(err.value)


def test_event_bins_refuse_non_finite_timestamps():
    with pytest.raises(ValueError, match="finite"):
        event_bins(np.array([0.0, np.nan]), 3)


def test_atis_file_of_overflow_markers_is_refused_quickly(tmp_path):
    write_atis_bin(tmp_path / "Test" / "0" / "00001.bin", [None] * 5000 + [(1, 1, 5, 1)])
    ds = open_dataset(f"nmnist:{tmp_path}")
    with pytest.raises(DatasetError, match="5000 timestamp-overflow records"):
        ds[0]


def test_empty_splits(tmp_path):
    np.savez(tmp_path / "e.npz", x=np.zeros((0, 1, 4, 4), np.uint8), y=np.zeros(0, np.int64))
    with pytest.raises(DatasetError, match="e.npz: the test split of this npz dataset holds no samples"):
        open_dataset(f"npz:{tmp_path / 'e.npz'}")
    (tmp_path / "Test" / "0").mkdir(parents=True)
    (tmp_path / "Train" / "0").mkdir(parents=True)
    write_atis_bin(tmp_path / "Train" / "0" / "1.bin", [(1, 1, 5, 1)])
    with pytest.raises(DatasetError, match="no .bin files under Test"):
        open_dataset(f"nmnist:{tmp_path}")
    assert len(open_dataset(f"nmnist:{tmp_path}", split="train")) == 1


def test_npy_and_other_files_given_as_npz(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(DatasetError, match="a.npy: expected an .npz archive .* found a single .npy array"):
        open_dataset(f"npz:{tmp_path / 'a.npy'}")
    (tmp_path / "b.npz").write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(DatasetError, match="cannot read .*b.npz"):
        open_dataset(f"npz:{tmp_path / 'b.npz'}")


def test_npz_claiming_a_huge_array_is_refused_before_reading(tmp_path, monkeypatch):
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as z:
        z.writestr("x.npy", _npy_header((10**6, 3, 1000, 1000)))
        z.writestr("y.npy", _npy_header((10**6,), "<i8"))
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**30)
    with pytest.raises(memory.InsufficientMemory, match="reading .*huge.npz needs about"):
        open_dataset(f"npz:{tmp_path / 'huge.npz'}")


def _npy_header(shape, descr="|u1") -> bytes:
    """Only the header of an .npy file (with its magic): its data would not fit anywhere."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()
