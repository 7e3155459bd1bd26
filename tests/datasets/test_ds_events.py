"""Event datasets read from tiny files in their published on-disk formats."""

import sys
import types

import numpy as np
import pytest
import tonic.datasets as td

from mstsim.datasets import DatasetError, batches, events_to_frames, open_dataset

from .ds_writers import (AEDAT2_HEADER, atis_event_bytes, write_aedat2, write_atis_bin,
                        write_gesture_npy)


def assert_events(events, dtype, x, y, t, p):
    assert events.dtype == dtype
    for name, want in (("x", x), ("y", y), ("t", t), ("p", p)):
        np.testing.assert_array_equal(events[name], np.asarray(want).astype(dtype[name]))


# ---------------------------------------------------------------- ATIS .bin
def test_atis_encoder_matches_the_spec_bytes():
    # x=1, y=2, ON, t=0x012345 -> 01 02 | 1<<23 | 0x012345
    assert atis_event_bytes(1, 2, 0x012345, 1) == bytes([0x01, 0x02, 0x81, 0x23, 0x45])


def make_nmnist(root):
    write_atis_bin(root / "Train" / "3" / "00001.bin", [(0, 0, 0, 1), (33, 5, 100, 0)])
    write_atis_bin(root / "Train" / "7" / "00002.bin", [(4, 4, 8388607, 1)])
    # the marker adds 2**13 us to later events; it is not an event itself
    write_atis_bin(root / "Test" / "0" / "00004.bin", [(1, 2, 10, 0), None, (3, 4, 20, 1)])
    write_atis_bin(root / "Test" / "0" / "00003.bin", [(33, 33, 7, 1)])
    return root


def test_nmnist_fields_labels_and_order(tmp_path):
    root = make_nmnist(tmp_path)
    test = open_dataset(f"nmnist:{root}")
    assert (test.name, test.kind, test.num_classes, len(test)) == ("nmnist", "events", 10, 2)
    assert test.sensor_size == (34, 34, 2) == tuple(td.NMNIST.sensor_size)
    assert test.classes == tuple(td.NMNIST.classes)
    ev, lab = test[0]  # 00003.bin sorts first
    assert lab == 0
    assert_events(ev, td.NMNIST.dtype, [33], [33], [7], [1])
    ev, _ = test[1]
    assert_events(ev, td.NMNIST.dtype, [1, 3], [2, 4], [10, 20 + 2**13], [0, 1])
    train = open_dataset(f"nmnist:{root}", split="train")
    assert train.labels.tolist() == [3, 7]
    assert_events(train[0][0], td.NMNIST.dtype, [0, 33], [0, 5], [0, 100], [1, 0])
    assert_events(train[1][0], td.NMNIST.dtype, [4], [4], [2**23 - 1], [1])
    assert len(open_dataset(f"nmnist:{root}", split="all")) == 4


def test_nmnist_errors(tmp_path):
    with pytest.raises(DatasetError, match=r"N-MNIST directory .*nope does not exist"):
        open_dataset(f"nmnist:{tmp_path / 'nope'}")
    (tmp_path / "Train").mkdir()
    with pytest.raises(DatasetError, match=r"N-MNIST Test folder .*Test does not exist; "
                                           r"expected DIR/Test/<digit>/<id>.bin"):
        open_dataset(f"nmnist:{tmp_path}")
    bad = write_atis_bin(tmp_path / "Test" / "1" / "a.bin", [(1, 1, 1, 1)])
    bad.write_bytes(bad.read_bytes()[:-2])
    ds = open_dataset(f"nmnist:{tmp_path}")
    with pytest.raises(DatasetError, match=r"a\.bin: size 3 bytes is not a multiple of 5"):
        ds[0]
    (tmp_path / "Test" / "x").mkdir()
    with pytest.raises(DatasetError, match="class folders must be named 0..9"):
        open_dataset(f"nmnist:{tmp_path}")


def test_ncaltech101_split_and_classes(tmp_path):
    root = tmp_path / "Caltech101"  # tonic's extracted folder name is accepted too
    for i in range(1, 11):
        write_atis_bin(root / "accordion" / f"image_{i:04d}.bin", [(i, 2 * i, 3 * i, i % 2)])
    write_atis_bin(root / "airplanes" / "image_0001.bin", [(239, 179, 5, 0)])
    write_atis_bin(root / "BACKGROUND_Google" / "image_0001.bin", [(0, 0, 0, 0)])
    train = open_dataset(f"ncaltech101:{tmp_path}", split="train")
    test = open_dataset(f"ncaltech101:{tmp_path}", split="test")
    assert train.classes == test.classes == ("accordion", "airplanes")
    assert train.sensor_size == (240, 180, 2)
    # ceil(0.9 * 10) = 9 train, 1 test; ceil(0.9 * 1) = 1 train, 0 test
    assert [f.name for f in test.files] == ["image_0010.bin"]
    assert train.labels.tolist() == [0] * 9 + [1]
    assert_events(test[0][0], td.NCALTECH101.dtype, [10], [20], [30], [0])
    assert_events(train[9][0], td.NCALTECH101.dtype, [239], [179], [5], [0])
    frames = events_to_frames(train[9][0], train.sensor_size, 9)
    assert frames.shape == (18, 240, 240) and frames.sum() == 1
    assert frames[8, 179 + 30, 239] == 1  # polarity 0, last bin, 30 rows of top padding


def test_ncaltech101_empty_dir(tmp_path):
    (tmp_path / "faces").mkdir()
    with pytest.raises(DatasetError, match="no .bin files"):
        open_dataset(f"ncaltech101:{tmp_path}")


# ---------------------------------------------------------------- CIFAR10-DVS .aedat
def test_aedat2_layout_matches_the_spec(tmp_path):
    path = write_aedat2(tmp_path / "a.aedat", [(0, 127, 0x01020304, 1)])
    data = path.read_bytes()[len(AEDAT2_HEADER):]
    # x=0 -> bits 8..14 = 127, y=127 -> bits 1..7 = 0, ON -> bit 0 = 0
    assert data == bytes([0, 0, 0x7F, 0x00, 1, 2, 3, 4])


def test_cifar10dvs_fields_and_split(tmp_path):
    for i in range(12):
        write_aedat2(tmp_path / "cat" / f"cifar10_cat_{i}.aedat",
                     [(i, 127 - i, 1000 + i, i % 2), (127, 0, 2000 + i, 1)])
    write_aedat2(tmp_path / "airplane" / "cifar10_airplane_0.aedat", [(5, 6, 7, 0)])
    test = open_dataset(f"cifar10dvs:{tmp_path}")
    train = open_dataset(f"cifar10dvs:{tmp_path}", split="train")
    assert test.sensor_size == (128, 128, 2) and test.classes[3] == "cat"
    # per class, plain name order, first ceil(0.9 n) train: cat 11 train / 1 test
    assert [f.name for f in test.files] == ["cifar10_cat_9.aedat"]
    assert train.labels.tolist() == [0] + [3] * 11
    ev, lab = test[0]
    assert lab == 3
    assert_events(ev, td.CIFAR10DVS.dtype, [9, 127], [118, 0], [1009, 2009], [1, 1])
    assert_events(train[0][0], td.CIFAR10DVS.dtype, [5], [6], [7], [0])


def test_cifar10dvs_errors(tmp_path):
    path = write_aedat2(tmp_path / "dog" / "a.aedat", [(1, 2, 3, 1)] * 2)
    path.write_bytes(path.read_bytes()[:-3])
    ds = open_dataset(f"cifar10dvs:{tmp_path}", split="all")
    with pytest.raises(DatasetError, match=r"a\.aedat: 13 bytes after the header"):
        ds[0]
    path.write_bytes(b"\x00" * 16)
    with pytest.raises(DatasetError, match=r"a\.aedat: no valid '#!AER-DAT<version>' header"):
        ds[0]
    (tmp_path / "zebra").mkdir()
    with pytest.raises(DatasetError, match=r"zebra: unexpected folder"):
        open_dataset(f"cifar10dvs:{tmp_path}")


def test_cifar10dvs_aedat4_needs_the_aedat_package(tmp_path, monkeypatch):
    (tmp_path / "frog").mkdir()
    (tmp_path / "frog" / "x.aedat4").write_bytes(b"#!AER-DAT4.0\r\n")
    ds = open_dataset(f"cifar10dvs:{tmp_path}", split="all")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(DatasetError, match="optional 'aedat' package"):
        ds[0]


def test_cifar10dvs_aedat4_goes_through_tonic(tmp_path, monkeypatch):
    # a stand-in decoder with the interface tonic.io.read_aedat4 calls
    packet = np.array([(5, 1, 2, True), (9, 3, 4, False)],
                      dtype=[("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("on", "?")])

    class Decoder:
        def __init__(self, path):
            pass

        def id_to_stream(self):
            return {0: {"type": "events"}}

        def __iter__(self):
            return iter([{"stream_id": 0, "events": packet}])

    monkeypatch.setitem(sys.modules, "aedat", types.SimpleNamespace(Decoder=Decoder))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: object())
    (tmp_path / "frog").mkdir()
    (tmp_path / "frog" / "x.aedat").write_bytes(b"#!AER-DAT4.0\r\n")  # version from header
    ev, lab = open_dataset(f"cifar10dvs:{tmp_path}", split="all")[0]
    assert lab == 6
    assert_events(ev, td.CIFAR10DVS.dtype, [1, 3], [2, 4], [5, 9], [1, 0])


# ---------------------------------------------------------------- DVS Gesture
def test_dvsgesture_layout(tmp_path):
    rows = np.array([[1, 2, 1, 3], [127, 0, 0, 4]], dtype=np.int32)
    write_gesture_npy(tmp_path / "ibmGestureTrain" / "user01_fluorescent" / "10.npy", rows)
    write_gesture_npy(tmp_path / "ibmGestureTrain" / "user01_fluorescent" / "2.npy", rows[:1])
    write_gesture_npy(tmp_path / "ibmGestureTest" / "user24_led" / "0.npy",
                      rows.astype(np.float64))
    train = open_dataset(f"dvsgesture:{tmp_path}", split="train")
    assert train.sensor_size == (128, 128, 2) and train.num_classes == 11
    assert train.labels.tolist() == [10, 2] and train.users == [1, 1]
    assert train.lighting == ["fluorescent", "fluorescent"]
    assert_events(train[0][0], td.DVSGesture.dtype, [1, 127], [2, 0], [3000, 4000], [1, 0])
    test = open_dataset(f"dvsgesture:{tmp_path}")
    assert_events(test[0][0], td.DVSGesture.dtype, [1, 127], [2, 0], [3000, 4000], [1, 0])
    x, y = next(batches(test, 4, transform=lambda e: events_to_frames(e, (128, 128, 2), 2)))
    assert x.shape == (1, 4, 128, 128) and y.tolist() == [0] and x.sum() == 2


def test_dvsgesture_errors(tmp_path):
    with pytest.raises(DatasetError, match=r"ibmGestureTest does not exist; expected DIR/"):
        open_dataset(f"dvsgesture:{tmp_path}")
    write_gesture_npy(tmp_path / "ibmGestureTest" / "user02_led" / "11.npy", np.zeros((1, 4)))
    with pytest.raises(DatasetError, match=r"11\.npy: file names must be the gesture label"):
        open_dataset(f"dvsgesture:{tmp_path}")
    (tmp_path / "ibmGestureTest" / "user02_led" / "11.npy").unlink()
    bad = write_gesture_npy(tmp_path / "ibmGestureTest" / "user02_led" / "1.npy", np.zeros((3, 3)))
    ds = open_dataset(f"dvsgesture:{tmp_path}")
    with pytest.raises(DatasetError, match=r"1\.npy: expected a numeric \(N, 4\) array"):
        ds[0]
    bad.write_bytes(bad.read_bytes()[:-5])
    with pytest.raises(DatasetError, match=r"1\.npy: not a readable \.npy"):
        ds[0]
    (tmp_path / "ibmGestureTest" / "oops").mkdir()
    with pytest.raises(DatasetError, match="user<NN>_<lighting>"):
        open_dataset(f"dvsgesture:{tmp_path}")


def test_batches_refuses_raw_events(tmp_path):
    ds = open_dataset(f"nmnist:{make_nmnist(tmp_path)}")
    with pytest.raises(ValueError, match="pass a transform"):
        next(batches(ds, 2, transform=None))
