"""Large zeroed workspaces on plain pages.

NumPy advises the kernel to back every large array with transparent huge pages. Where the kernel
then compacts memory at the first touch (``/sys/kernel/mm/transparent_hugepage/defrag`` =
``madvise``, as on the machine of ``benchmarks/README.md``), touching a 0.76 GB workspace took 2.7 s
instead of 0.5 s, and the steps ran no faster afterwards (the Swin-T size). An anonymous ``mmap``
gives zeroed plain pages, touched on demand.
"""
from __future__ import annotations

import mmap

import numpy as np

#: smaller arrays come from NumPy (which advises huge pages only from 4 MiB)
MIN_BYTES = 1 << 22


def zeroed(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A zero-filled C-contiguous array; large ones on an anonymous mapping of plain pages."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    if count * dtype.itemsize < MIN_BYTES or not hasattr(mmap, "MAP_PRIVATE"):
        return np.zeros(shape, dtype)
    # private: a shared anonymous mapping would be shmem, slower to fault in
    pages = mmap.mmap(-1, count * dtype.itemsize, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(pages, dtype=dtype).reshape(shape)
