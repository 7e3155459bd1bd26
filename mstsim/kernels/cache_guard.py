"""Keep Numba's on-disk cache of the kernels consistent with their sources.

Numba keys a cached function by its own file's timestamp only, so after an
edit to a kernel in another file (a callee inlined into the plan runner) it
would load stale machine code. At import we hash every kernel source; when
the hash differs from the one recorded beside the cache, the kernels' cache
files are deleted and compiled afresh.
"""
from __future__ import annotations

import hashlib
import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
STAMP = "mstsim-kernels.sha256"


def sources_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(HERE.rglob("*.py")):
        h.update(str(path.relative_to(HERE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_dirs() -> list[pathlib.Path]:
    """Where Numba keeps the kernels' cache: beside the sources, or under NUMBA_CACHE_DIR."""
    root = os.environ.get("NUMBA_CACHE_DIR")
    if not root:
        return sorted({p.parent / "__pycache__" for p in HERE.rglob("*.py")})
    base = pathlib.Path(root)
    # Numba mirrors the source folder's absolute path (drive stripped) under the cache dir
    return sorted({base / p.parent.relative_to(p.anchor) for p in HERE.rglob("*.py")})


def ensure_fresh_cache() -> None:
    """Delete the kernels' cached code when their sources changed since it was written."""
    digest = sources_digest()
    dirs = cache_dirs()
    stamp = dirs[0] / STAMP
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    for d in dirs:
        for pattern in ("*.nbi", "*.nbc"):
            for f in d.glob(pattern):
                try:
                    f.unlink()
                except OSError:  # another process got there first, or a read-only install
                    pass
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass
