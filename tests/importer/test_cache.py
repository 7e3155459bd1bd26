"""The import cache gives back exactly what an import gives, and only while nothing it depends on changed."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import mstsim
from mstsim.importers.onnx import cache

from .graph_digest import digest

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "onnx")


@pytest.fixture
def cached(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("MSTSIM_CACHE_DIR", str(folder))
    return folder / "ir"


def copy(name, tmp_path, *extra):
    for n in (name,) + extra:
        shutil.copy(os.path.join(FIXTURES, n), tmp_path / n)
    return tmp_path / name


@pytest.mark.parametrize("name, extra", [("mst_torchscript.onnx", ()), ("mst_dynamo.onnx", ()),
                                         ("mst_pool_dynamo_dynbatch.onnx", ("mst_pool_dynamo_dynbatch.onnx.data",))])
def test_a_cached_import_equals_a_fresh_one(cached, tmp_path, name, extra):
    path = copy(name, tmp_path, *extra)
    fresh = mstsim.from_onnx(path)
    assert len(list(cached.iterdir())) == 1
    again = mstsim.from_onnx(path)
    assert digest(again) == digest(fresh)
    assert again.graph is not fresh.graph  # a copy of its own: configuring it cannot touch the next import
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for n in (name,) + extra:
        shutil.copy(tmp_path / n, moved / n)
    assert mstsim.from_onnx(moved / name).source == str(moved / name)


def test_the_arguments_are_part_of_the_key(cached, tmp_path, monkeypatch):
    path = copy("mst_torchscript_dynbatch.onnx", tmp_path)
    calls = [dict(), dict(input_shape=(3, 16, 16)), dict(require_qcfs=False)]
    first = [digest(mstsim.from_onnx(path, **kw)) for kw in calls]
    assert len(list(cached.iterdir())) == 3
    assert [digest(mstsim.from_onnx(path, **kw)) for kw in calls] == first
    monkeypatch.setenv("MSTSIM_CACHE_DIR", "off")
    assert [digest(mstsim.from_onnx(path, **kw)) for kw in calls] == first


def test_a_changed_file_or_external_data_is_imported_again(cached, tmp_path, monkeypatch):
    path = copy("mst_pool_dynamo_dynbatch.onnx", tmp_path, "mst_pool_dynamo_dynbatch.onnx.data")
    mstsim.from_onnx(path)
    data = tmp_path / "mst_pool_dynamo_dynbatch.onnx.data"
    raw = bytearray(data.read_bytes())
    raw[-4:] = np.float32(0.5).tobytes()  # the last weight changes
    data.write_bytes(bytes(raw))
    calls = []
    real = cache.lookup
    monkeypatch.setattr(cache, "lookup", lambda *a: calls.append(real(*a)) or calls[-1])
    mstsim.from_onnx(path)
    assert calls == [None]  # the external file's digest no longer matches: a miss


def test_a_corrupt_or_stale_entry_is_a_miss_and_is_rewritten(cached, tmp_path, monkeypatch):
    path = copy("mst_torchscript.onnx", tmp_path)
    fresh = mstsim.from_onnx(path)
    (entry,) = cached.iterdir()
    entry.write_bytes(b"not a pickle")
    assert cache.lookup(path, None, True) is None
    assert digest(mstsim.from_onnx(path)) == digest(fresh)
    assert cache.lookup(path, None, True) is not None  # written anew
    monkeypatch.setattr(cache, "code_digest", lambda: "another importer")
    assert cache.lookup(path, None, True) is None


def test_off_and_unwritable_caches_never_fail_an_import(tmp_path, monkeypatch):
    path = copy("mst_torchscript.onnx", tmp_path)
    monkeypatch.setenv("MSTSIM_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    mstsim.from_onnx(path)
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("MSTSIM_CACHE_DIR", str(blocker))
    mstsim.from_onnx(path)
    assert blocker.is_file()


def test_a_hit_does_not_load_onnx(cached, tmp_path):
    path = copy("mst_dynamo.onnx", tmp_path)
    mstsim.from_onnx(path)
    code = ("import sys, mstsim; net = mstsim.from_onnx(sys.argv[1]); "
            "print('onnx' in sys.modules, len(net.graph))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                         env={**os.environ, "MSTSIM_CACHE_DIR": str(cached.parent)}).stdout.split()
    assert out[0] == "False" and int(out[1]) > 10


def test_errors_are_not_cached(cached, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    for _ in range(2):
        with pytest.raises(mstsim.MstsimError):
            mstsim.from_onnx(bad)
    assert not cached.exists() or not list(cached.iterdir())
