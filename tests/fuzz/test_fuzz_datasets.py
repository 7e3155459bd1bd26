"""Mutated dataset files through each reader and the run's preprocessing: every outcome is a batch
of inputs or an MstsimError naming the file, never another exception, a hang or a crash."""
import gzip
import pathlib
import shutil
import tempfile

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mstsim.datasets.digits import DATA_FILE, load_digits_table
from mstsim.inputs import Preprocess, load_samples

from ..datasets.ds_writers import (write_aedat2, write_atis_bin, write_cifar10_dir, write_cifar100_dir,
                                   write_gesture_npy)
from .harness import BYTE_MUTATIONS, fuzz_settings, mutate_bytes, result_or_mstsim_error

FUZZ = fuzz_settings(60)
BASE = pathlib.Path(tempfile.mkdtemp(prefix="mstsim-fuzz-data-"))
EVENTS = Preprocess(bins=2)


def _events(rng, n=40, side=34):
    t = np.sort(rng.integers(1, 50_000, n))
    return [(int(rng.integers(side)), int(rng.integers(side)), int(ti), int(rng.integers(2))) for ti in t]


def _build() -> dict[str, tuple[str, tuple, Preprocess]]:
    """One small valid dataset per reader: name -> (spec, model input shape, preprocessing)."""
    rng = np.random.default_rng(0)
    write_cifar10_dir(BASE / "cifar10", rng, per_file=2)
    write_cifar100_dir(BASE / "cifar100", rng, per_file=2)
    (BASE / "npz").mkdir()
    np.savez(BASE / "npz" / "d.npz", x=rng.integers(0, 256, (3, 1, 8, 8)).astype(np.uint8), y=np.arange(3), classes=np.array(["a", "b", "c"]))
    for d in range(2):
        write_atis_bin(BASE / "nmnist" / "Test" / str(d) / "00001.bin", _events(rng))
    for c in ("cat", "dog"):
        for k in range(2):
            write_atis_bin(BASE / "ncaltech101" / c / f"image_000{k}.bin", _events(rng))
            write_aedat2(BASE / "cifar10dvs" / c / f"cifar10_{c}_{k}.aedat", _events(rng, side=128))
    rows = np.array([[x, y, p, t / 1000] for x, y, t, p in _events(rng, side=128)], dtype=np.float32)
    write_gesture_npy(BASE / "dvsgesture" / "ibmGestureTest" / "user24_led" / "2.npy", rows)
    return {"cifar10": ("cifar10:{}", (3, 32, 32), Preprocess()),
            "cifar100": ("cifar100:{}", (3, 32, 32), Preprocess()),
            "npz": ("npz:{}/d.npz", (1, 8, 8), Preprocess()),
            "nmnist": ("nmnist:{}", (4, 8, 8), EVENTS),
            "ncaltech101": ("ncaltech101:{}", (4, 8, 8), EVENTS),
            "cifar10dvs": ("cifar10dvs:{}", (4, 8, 8), EVENTS),
            "dvsgesture": ("dvsgesture:{}", (4, 8, 8), EVENTS)}


READERS = _build()


def _files(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@FUZZ
@given(reader=st.sampled_from(sorted(READERS)), pick=st.integers(0, 100), kind=st.sampled_from(BYTE_MUTATIONS),
       where=st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=4), seed=st.integers(0, 2**16),
       split=st.sampled_from(["test", "all"]))
def test_mutated_dataset_files(reader, pick, kind, where, seed, split):
    spec, shape, pre = READERS[reader]
    case = pathlib.Path(tempfile.mkdtemp(dir=BASE, prefix="case-"))
    try:
        shutil.copytree(BASE / reader, case / reader)
        files = _files(case / reader)
        victim = files[pick % len(files)]
        victim.write_bytes(mutate_bytes(victim.read_bytes(), kind, where, np.random.default_rng(seed)))
        label = f"{reader} {victim.relative_to(case)} {kind} at {where} seed {seed}"
        got = result_or_mstsim_error(load_samples, spec.format(case / reader), pre, shape, steps=2,
                                     what=f"reading {label}")
        if got is not None:
            x, labels = got
            assert x.shape[1:] == shape and x.dtype == np.float32 and labels.shape == (x.shape[0],)
            assert np.isfinite(x).all()
    finally:
        shutil.rmtree(case, ignore_errors=True)


@settings(FUZZ, max_examples=15)
@given(kind=st.sampled_from(BYTE_MUTATIONS), where=st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=3),
       seed=st.integers(0, 2**16), packed=st.booleans())
def test_mutated_digits_table(kind, where, seed, packed):
    """The bundled table, damaged either inside its gzip stream or as the compressed file."""
    raw = DATA_FILE.read_bytes()
    rng = np.random.default_rng(seed)
    data = mutate_bytes(raw, kind, where, rng) if packed else \
        gzip.compress(mutate_bytes(gzip.decompress(raw), kind, where, rng))
    path = pathlib.Path(tempfile.mkdtemp(dir=BASE)) / "digits.csv.gz"
    path.write_bytes(data)
    got = result_or_mstsim_error(load_digits_table, path, what=f"digits table {kind} at {where}")
    if got is not None:
        pixels, labels = got
        assert pixels.shape == (1797, 64) and labels.shape == (1797,)
