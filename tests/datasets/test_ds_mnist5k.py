"""The bundled MNIST-5k images: the reader on small archives made here, and the shipped file itself."""
import hashlib

import numpy as np
import pytest

from mstsim.datasets import DatasetError, open_dataset
from mstsim.datasets.mnist5k import DATA_FILE, load_mnist5k

# SHA-256 of the shipped file (datasets/data/README.md) and of its arrays' bytes (x, y, test)
FILE_SHA256 = "be3e6fbdc06ac823942570408d2d17539ac70ec2bcaf36e7e8dd3ec68b4720c8"
ARRAYS_SHA256 = "bb2551e7eeab340f75eddf805417b2d51a97efc5cf659525eb3a2c83da59b133"


def write(path, n=6, n_test=2, **override):
    rng = np.random.default_rng(3)
    arrays = {"x": rng.integers(0, 256, (n, 1, 28, 28), dtype=np.uint8),
              "y": (np.arange(n) % 10).astype(np.uint8),
              "test": np.arange(n) >= n - n_test}
    arrays.update(override)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return arrays


@pytest.mark.parametrize("split,rows", [("train", [0, 1, 2, 3]), ("test", [4, 5]), ("all", list(range(6)))])
def test_reader_splits_scales_and_keeps_order(tmp_path, split, rows):
    arrays = write(tmp_path / "m.npz")
    ds = open_dataset(f"mnist5k:{tmp_path / 'm.npz'}", split=split)
    assert (len(ds), ds.name, ds.kind, ds.num_classes) == (len(rows), "mnist5k", "image", 10)
    np.testing.assert_array_equal(ds.images * 255, arrays["x"][rows].astype(np.float32))
    assert ds.images.dtype == np.float32 and ds.labels.dtype == np.int64
    x, y = ds[-1]
    assert x.shape == (1, 28, 28) and y == int(arrays["y"][rows[-1]])


def test_relative_path_under_root(tmp_path):
    write(tmp_path / "m.npz")
    assert len(open_dataset("mnist5k:m.npz", split="all", root=str(tmp_path))) == 6


@pytest.mark.parametrize("override,match", [
    ({"test": None}, "'test' must be a bool array"),
    ({"test": np.zeros(6, np.uint8)}, "'test' must be a bool array"),
    ({"test": np.zeros(5, bool)}, "'test' must be a bool array"),
    ({"x": np.zeros((6, 1, 32, 32), np.uint8)}, r"'x' must be uint8 of shape \(N, 1, 28, 28\)"),
    ({"x": np.zeros((6, 1, 28, 28), np.float32)}, "'x' must be uint8"),
    ({"y": np.full(6, 10, np.uint8)}, "labels must be in 0..9"),
    ({"y": np.zeros(6, np.float32)}, "'y' must be an integer array"),
    ({"y": None}, "missing array"),
])
def test_malformed_archives_are_refused_naming_the_file(tmp_path, override, match):
    path = tmp_path / "bad.npz"
    write(path, **override)
    with pytest.raises(DatasetError, match=match) as info:
        open_dataset(f"mnist5k:{path}")
    assert str(path) in str(info.value)


def test_missing_and_damaged_files(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        open_dataset(f"mnist5k:{tmp_path / 'none.npz'}")
    path = tmp_path / "cut.npz"
    write(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DatasetError, match="cut.npz"):
        open_dataset(f"mnist5k:{path}")
    with pytest.raises(DatasetError, match="needs a path"):
        open_dataset("mnist5k:")


def test_bundled_file_is_the_converted_split():
    assert hashlib.sha256(DATA_FILE.read_bytes()).hexdigest() == FILE_SHA256
    x, y, test = load_mnist5k()
    assert (x.shape, x.dtype, y.shape, test.dtype) == ((5000, 1, 28, 28), np.uint8, (5000,), np.bool_)
    h = hashlib.sha256()
    with np.load(DATA_FILE) as a:
        for key in ("x", "y", "test"):
            h.update(a[key].tobytes())
    assert h.hexdigest() == ARRAYS_SHA256
    assert np.bincount(y[~test], minlength=10).tolist() == [400] * 10
    assert np.bincount(y[test], minlength=10).tolist() == [100] * 10
    assert not test[:4000].any() and test[4000:].all()  # train rows first, then test
    assert 0 < x.max() <= 255 and len(np.unique(x.reshape(5000, -1), axis=0)) == 5000  # no duplicate images


@pytest.mark.parametrize("split,n", [("train", 4000), ("test", 1000), ("all", 5000)])
def test_bundled_splits(split, n):
    ds = open_dataset("mnist5k", split=split)
    assert len(ds) == n and ds.images.shape == (n, 1, 28, 28)
    assert 0.0 <= ds.images.min() and ds.images.max() <= 1.0
