"""Image datasets: digits, CIFAR-10/100 binary, npz."""

import gzip

import numpy as np
import pytest

from mstsim.datasets import DatasetError, batches, open_dataset
from mstsim.datasets.digits import DATA_FILE, digits_split_indices

from .ds_writers import write_cifar10_dir, write_cifar100_dir


# ---------------------------------------------------------------- digits
def test_digits_file_is_the_shipped_table():
    with gzip.open(DATA_FILE, "rt") as f:
        rows = [list(map(int, line.split(","))) for line in f]
    assert len(rows) == 1797 and all(len(r) == 65 for r in rows)
    table = np.array(rows)
    assert np.bincount(table[:, 64]).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@pytest.mark.parametrize("split,n", [("train", 1442), ("test", 355), ("all", 1797)])
def test_digits_splits(split, n):
    ds = open_dataset("digits", split=split)
    assert (len(ds), ds.name, ds.kind, ds.num_classes) == (n, "digits", "image", 10)
    x, y = ds[0]
    assert x.shape == (1, 8, 8) and x.dtype == np.float32 and isinstance(y, int)
    assert 0.0 <= ds.images.min() and ds.images.max() <= 1.0


def test_digits_values_and_stratified_rule():
    table = np.loadtxt(gzip.open(DATA_FILE, "rt"), delimiter=",", dtype=int)
    ds_all = open_dataset("digits", split="all")
    np.testing.assert_array_equal(ds_all.images.reshape(-1, 64) * 16, table[:, :64])
    test = digits_split_indices(table[:, 64], "test")
    train = digits_split_indices(table[:, 64], "train")
    assert len(np.intersect1d(test, train)) == 0 and len(test) + len(train) == 1797
    for c in range(10):
        rows = np.flatnonzero(table[:, 64] == c)
        k = len(rows) // 5
        np.testing.assert_array_equal(np.intersect1d(rows, test), rows[len(rows) - k:])
    ds_test = open_dataset("digits", split="test")
    x, y = ds_test[-1]
    np.testing.assert_array_equal(x.reshape(64) * 16, table[test[-1], :64])
    assert y == table[test[-1], 64]


def test_digits_rejects_a_path():
    with pytest.raises(DatasetError, match="takes no path"):
        open_dataset("digits:/tmp")


# ---------------------------------------------------------------- CIFAR
def test_cifar10_binary_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-bin"
    written = write_cifar10_dir(folder, rng)
    test = open_dataset(f"cifar10:{folder}")
    assert (len(test), test.num_classes, test.kind) == (2, 10, "image")
    assert test.classes[0] == "airplane" and test.classes[9] == "truck"
    labels, images = written["test_batch.bin"]
    for i in range(2):
        x, y = test[i]
        assert x.shape == (3, 32, 32) and x.dtype == np.float32
        np.testing.assert_array_equal(np.rint(x * 255).astype(np.uint8), images[i])
        assert y == labels[i]
    train = open_dataset("cifar10:cifar-10-batches-bin", split="train", root=str(tmp_path))
    assert len(train) == 10
    x, y = train[9]  # last record of data_batch_5
    np.testing.assert_array_equal(np.rint(x * 255), written["data_batch_5.bin"][1][1])
    assert len(open_dataset(f"cifar10:{tmp_path}", split="all")) == 12  # parent folder works


def test_cifar100_binary_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    written = write_cifar100_dir(tmp_path, rng)
    ds = open_dataset(f"cifar100:{tmp_path}", split="train")
    coarse, fine, images = written["train.bin"]
    assert ds.num_classes == 100 and ds.classes[5] == "fine5"
    assert ds.coarse_classes[19] == "coarse19"
    for i in range(3):
        x, y = ds[i]
        assert y == fine[i] and ds.coarse_labels[i] == coarse[i]
        np.testing.assert_array_equal(np.rint(x * 255).astype(np.uint8), images[i])


def test_cifar_truncated_file_is_named(tmp_path):
    write_cifar10_dir(tmp_path, np.random.default_rng(2))
    path = tmp_path / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DatasetError, match=r"data_batch_3\.bin.*3073-byte records"):
        open_dataset(f"cifar10:{tmp_path}", split="train")
    open_dataset(f"cifar10:{tmp_path}", split="test")  # the test file is intact


def test_cifar_missing_file_and_bad_label(tmp_path):
    write_cifar10_dir(tmp_path, np.random.default_rng(3))
    (tmp_path / "test_batch.bin").unlink()
    with pytest.raises(DatasetError, match=r"missing CIFAR binary file .*test_batch\.bin"):
        open_dataset(f"cifar10:{tmp_path}")
    bad = bytearray(3073)
    bad[0] = 10
    (tmp_path / "test_batch.bin").write_bytes(bytes(bad))
    with pytest.raises(DatasetError, match=r"test_batch\.bin: record 0 has label"):
        open_dataset(f"cifar10:{tmp_path}")


def test_cifar100_record_size_mismatch(tmp_path):
    write_cifar10_dir(tmp_path, np.random.default_rng(4), per_file=2)
    (tmp_path / "test.bin").write_bytes((tmp_path / "test_batch.bin").read_bytes())
    (tmp_path / "train.bin").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"test\.bin.*3074-byte records"):
        open_dataset(f"cifar100:{tmp_path}")


# ---------------------------------------------------------------- npz
def test_npz_uint8_and_float(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(4, 3, 5, 6), dtype=np.uint8)
    y = np.array([0, 2, 1, 2])
    np.savez(tmp_path / "a.npz", x=x, y=y, classes=np.array(["cat", "dog", "eel"]))
    ds = open_dataset("npz:a.npz", root=str(tmp_path))
    assert (len(ds), ds.classes, ds.kind) == (4, ("cat", "dog", "eel"), "image")
    img, lab = ds[3]
    assert img.dtype == np.float32 and img.shape == (3, 5, 6) and lab == 2
    np.testing.assert_allclose(img, x[3] / 255, rtol=1e-6)
    xf = rng.random((2, 1, 4, 4)).astype(np.float64)
    np.savez(tmp_path / "b.npz", x=xf, y=np.array([1, 0]))
    ds = open_dataset(f"npz:{tmp_path / 'b.npz'}")
    assert ds.classes == ("0", "1")
    np.testing.assert_allclose(ds[0][0], xf[0].astype(np.float32))
    xb, yb = next(batches(ds, 8, transform=None))
    assert xb.shape == (2, 1, 4, 4) and yb.tolist() == [1, 0]


@pytest.mark.parametrize("arrays,message", [
    (dict(x=np.zeros((2, 8, 8, 3), np.uint8), y=np.zeros(2, int)), r"looks like \(N, H, W, C\)"),
    (dict(x=np.zeros((2, 3, 8, 8), np.uint8)), r"missing array\(s\) \['y'\]"),
    (dict(x=np.full((1, 1, 2, 2), 2.0), y=np.zeros(1, int)), r"within \[0, 1\]"),
    (dict(x=np.zeros((2, 1, 2, 2)), y=np.zeros(3, int)), r"shape \(2,\)"),
    (dict(x=np.zeros((1, 1, 2, 2)), y=np.array([2]), classes=np.array(["a"])), "names only 1"),
])
def test_npz_malformed(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DatasetError, match=message):
        open_dataset(f"npz:{tmp_path / 'bad.npz'}")


def test_npz_not_a_zip_and_missing(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DatasetError, match="junk.npz"):
        open_dataset(f"npz:{tmp_path / 'junk.npz'}")
    with pytest.raises(DatasetError, match="nothere.npz does not exist"):
        open_dataset(f"npz:{tmp_path / 'nothere.npz'}")
    np.savez(tmp_path / "obj.npz", x=np.zeros((1, 1, 2, 2)), y=np.array([0], dtype=object))
    with pytest.raises(DatasetError, match="obj.npz"):
        open_dataset(f"npz:{tmp_path / 'obj.npz'}")


# ---------------------------------------------------------------- registry
@pytest.mark.parametrize("spec,message", [
    ("mnist:/x", "unknown dataset spec 'mnist:/x'; expected one of: digits, mnist5k, mnist5k:FILE, cifar10:DIR"),
    ("cifar10", r"needs a path: cifar10:DIR"),
    ("cifar10:/definitely/not/here", r"cifar10 directory /definitely/not/here does not exist"),
])
def test_registry_errors(spec, message):
    with pytest.raises(DatasetError, match=message):
        open_dataset(spec)


def test_unknown_split():
    with pytest.raises(DatasetError, match="unknown split 'val'"):
        open_dataset("digits", split="val")


def test_index_out_of_range():
    ds = open_dataset("digits")
    with pytest.raises(IndexError):
        ds[len(ds)]
