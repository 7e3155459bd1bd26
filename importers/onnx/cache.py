"""A cache of imported models: importing an unchanged file again reads its IR back, without onnx.

An entry is keyed by the SHA-256 of the file with the import's arguments
(``input_shape``, ``require_qcfs``) and holds the IR graph and the import's
information, pickled. It is used only while the importer's and the IR's
sources (a digest of them), mstsim's version, Python and NumPy are those
that wrote it, and while every external data file the model read still has
the digest it had. ``MSTSIM_CACHE_DIR`` names the folder (default
``$XDG_CACHE_HOME/mstsim`` or ``~/.cache/mstsim``; entries go in its ``ir``
subfolder); ``MSTSIM_CACHE_DIR=off`` turns the cache off. A missing,
unreadable or stale entry is a miss: the model is imported and the entry
written anew, atomically; a cache that cannot be written never fails an
import. Only files are cached, never an in-memory ``ModelProto``.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

FORMAT = 1  # bump when an entry's layout changes
HERE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The folder of the IR entries, or None when the cache is off."""
    root = os.environ.get("MSTSIM_CACHE_DIR", "")
    if root.lower() == "off":
        return None
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "mstsim")
    return Path(root) / "ir"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the importer's and the IR's sources, with the versions that shape a pickle."""
    import mstsim.ir
    from mstsim import __version__
    h = hashlib.sha256(f"{FORMAT} {__version__} {sys.version} {np.__version__}".encode())
    for folder in (HERE, Path(mstsim.ir.__file__).resolve().parent):
        for path in sorted(folder.rglob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _entry_path(path: Path, input_shape, require_qcfs: bool) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    key = f"{file_digest(path)} {tuple(input_shape) if input_shape is not None else None} {bool(require_qcfs)}"
    return folder / (hashlib.sha256(key.encode()).hexdigest() + ".pkl")


def lookup(path_or_model, input_shape, require_qcfs: bool):
    """``(graph, info)`` of a cached import of this file, or None."""
    if not isinstance(path_or_model, (str, os.PathLike)) or not Path(path_or_model).is_file():
        return None
    path = Path(path_or_model)
    try:
        entry = _entry_path(path, input_shape, require_qcfs)
        if entry is None or not entry.is_file():
            return None
        with open(entry, "rb") as f:
            stored = pickle.load(f)
        if stored.get("code") != code_digest():
            return None
        for name, digest in stored["externals"]:
            if file_digest(path.parent / name) != digest:
                return None
        graph, info = stored["graph"], dict(stored["info"])
    except Exception:  # unreadable, truncated, from another layout or a vanished external file: a miss
        return None
    info["source"] = str(path)  # the same content may sit at another path now
    return graph, info


def store(path_or_model, input_shape, require_qcfs: bool, graph, info) -> None:
    """Keep an import of a file for next time; any failure leaves the cache as it was."""
    if not isinstance(path_or_model, (str, os.PathLike)):
        return
    path = Path(path_or_model)
    try:
        entry = _entry_path(path, input_shape, require_qcfs)
        if entry is None:
            return
        externals = [(name, file_digest(path.parent / name)) for name in external_files(path)]
        data = pickle.dumps({"code": code_digest(), "externals": externals, "graph": graph, "info": info},
                            protocol=pickle.HIGHEST_PROTOCOL)
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".pkl")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, entry)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except Exception:  # a read-only or full disk: no entry this time
        return


def external_files(path: Path) -> list[str]:
    """The external data files (relative to the model's folder) a model file reads."""
    import onnx
    from onnx import external_data_helper
    model = onnx.load(str(path), load_external_data=False)
    names = set()
    for tensor in external_data_helper._get_all_tensors(model):
        if external_data_helper.uses_external_data(tensor):
            names.add({e.key: e.value for e in tensor.external_data}.get("location", ""))
    return sorted(names)
