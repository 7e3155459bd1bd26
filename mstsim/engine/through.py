"""Fan-out of a pool composed with its consumers, for ``pool_rule="through"``.

Under that rule an event at the pool's input element i is routed through the
pool (and any single-input remaps after it) straight into the consumer, and
costs one AC per synapse of the *composed* connection: the number of distinct
consumer outputs some window containing i reaches (a union: two paths to one
output through overlapping windows are one synapse). These tables are built
once per plan; they exploit the structure of the connection so that real CNN
layers build in milliseconds and nothing of size (pool inputs x consumer
outputs) is ever materialised.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ..ir import IF, Affine, AvgPool2d, Conv2d, GraphError, Mean, MstsimError, Remap
from .fanout import fanout_of
from .through_conv import conv_tables, gather_matrix, pack_bits

#: bound on the work (pairs x bytes of output bit sets) of the generic Affine path (about a second)
MAX_AFFINE_WORK = 1 << 31
#: bytes of packed weight columns OR-ed at once (memory of one chunk)
CHUNK_BYTES = 1 << 24


def through_tables(graph, pool_name: str) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """Composed pool-then-consumer fan-out of every element of the pool's input.

    Parameters
    ----------
    graph : mstsim.ir.Graph
        The network.
    pool_name : str
        An ``AvgPool2d`` or ``Mean`` node of ``graph``.

    Returns
    -------
    dict or None
        ``{consumer: (fan, eff)}`` for every first non-Remap node reached from
        the pool's output through single-input Remaps, if all of them are
        ``Affine``, ``Conv2d`` or ``IF``. ``fan[i]`` (int64, one per element of
        the pool's flat input) is the number of distinct consumer outputs
        reached from input element i through some window containing it and
        the remaps; ``eff[i]`` the same through non-zero weights only (every
        IF synapse has weight 1). ``None`` if the pool's output reaches
        anything else (a multi-input Remap, an Add, an Output, ...) or
        nothing: that pool is then counted by the ``events`` rule.

    Raises
    ------
    GraphError
        If ``pool_name`` is not a pool.
    MstsimError
        If a connection has no structure to exploit and is too large to tabulate.
    """
    pool = graph[pool_name]
    if not isinstance(pool, (AvgPool2d, Mean)):
        raise GraphError(f"through_tables: node {pool_name!r} is a {type(pool).__name__}, not AvgPool2d or Mean")
    reached = _reached(graph, pool_name)
    if not reached:
        return None
    windows = Windows(pool, graph.shapes[pool.inputs[0]], graph.shapes[pool_name])
    tables = {}
    for name, src in reached.items():
        node = graph[name]
        cin_shape, cout_shape = graph.shapes[node.inputs[0]], graph.shapes[name]
        where = f"pool_rule='through': pool {pool_name!r} into {name!r}"
        copies = np.bincount(src[src >= 0], minlength=windows.out_size)  # consumer inputs reading each pooled element
        if copies.max(initial=0) <= 1 and windows.single is not None:
            tables[name] = _direct(windows.single, src, windows.out_size, node, cin_shape, cout_shape)
        elif isinstance(node, IF):
            fan = windows.member @ copies.astype(np.int64)
            tables[name] = (fan, fan.copy())
        elif isinstance(node, Affine):
            tables[name] = _affine(windows, src, copies, node, where)
        else:
            tables[name] = conv_tables(windows, src, node, cin_shape, cout_shape, where)
    return tables


def _reached(graph, pool_name: str) -> dict[str, np.ndarray] | None:
    """Each consumer's input as a gather from the pool's flat output (-1: none), or None."""
    found = {}
    stack = [(pool_name, np.arange(int(np.prod(graph.shapes[pool_name])), dtype=np.int64))]
    while stack:
        name, src = stack.pop()
        for cname in graph.consumers[name]:
            node = graph[cname]
            if isinstance(node, Remap) and len(node.inputs) == 1:
                stack.append((cname, np.where(node.src >= 0, src[np.maximum(node.src, 0)], -1)))
            elif isinstance(node, (Affine, Conv2d, IF)):
                found[cname] = src
            else:
                return None
    return found


def window_members(n: int, k: int, stride: int, pad0: int, n_out: int) -> np.ndarray:
    """``(n, n_out)`` bool: input position p lies in window q (padding taps are not members)."""
    start = np.arange(n_out) * stride - pad0
    p = np.arange(n)[:, None]
    return (p >= start[None, :]) & (p < start[None, :] + k)


class Windows:
    """The pool's windows: which pooled elements (outputs) hold each element of its input.

    ``axes`` factorises the membership over a ``(C, H, W)`` input into channel,
    row and column membership (None for other inputs); pooled elements are
    then indexed as the output's ``keepdims`` form, whose flat order is the output's.
    """

    def __init__(self, pool, in_shape, out_shape):
        self._target = None
        if isinstance(pool, AvgPool2d):
            (c, h, w), (_, ho, wo) = in_shape, out_shape
            self.axes = (np.eye(c, dtype=bool), window_members(h, pool.kernel[0], pool.stride[0], pool.padding[0], ho),
                         window_members(w, pool.kernel[1], pool.stride[1], pool.padding[1], wo))
            self.out_size = c * ho * wo
            return
        reduced = pool.norm_axes(in_shape)
        keep = tuple(1 if a in reduced else n for a, n in enumerate(in_shape))
        target = np.zeros(in_shape, np.int64)  # each input's pooled element, summed axis by axis
        for a, stride in enumerate(np.cumprod((1,) + keep[:0:-1])[::-1]):
            if a not in reduced:
                target += (np.arange(in_shape[a]) * stride).reshape((-1,) + (1,) * (len(in_shape) - a - 1))
        self._target = target.reshape(-1)
        self.out_size = int(np.prod(keep))
        self.axes = None
        if len(in_shape) == 3:
            self.axes = tuple(np.ones((n, 1), bool) if a in reduced else np.eye(n, dtype=bool)
                              for a, n in enumerate(in_shape))

    @cached_property
    def single(self) -> np.ndarray | None:
        """The window holding each input (-1: none) if no input lies in two windows, else None."""
        if self._target is not None:
            return self._target
        if any(a.sum(axis=1).max() > 1 for a in self.axes):
            return None
        c, hp, wp = self.axes[0].shape[0], self.axes[1].shape[1], self.axes[2].shape[1]
        ky, kx = (np.where(a.any(axis=1), a.argmax(axis=1), -1) for a in self.axes[1:])
        k = (np.arange(c)[:, None, None] * hp + ky[None, :, None]) * wp + kx[None, None, :]
        return np.where((ky[None, :, None] >= 0) & (kx[None, None, :] >= 0), k, -1).reshape(-1)

    @cached_property
    def member(self):
        """Sparse int64 ``(pool inputs, pooled elements)`` membership."""
        if self._target is not None:
            size = self._target.size
            return sp.csr_matrix((np.ones(size, np.int64), self._target, np.arange(size + 1)),
                                 shape=(size, self.out_size))
        spatial = sp.kron(sp.csr_matrix(self.axes[1], dtype=np.int64), sp.csr_matrix(self.axes[2], dtype=np.int64))
        return sp.kron(sp.identity(self.axes[0].shape[0], dtype=np.int64), spatial, format="csr")


def _direct(k_of_i, src, out_size: int, node, cin_shape, cout_shape):
    """Every input in at most one window, every pooled element read at most once: compose the tables."""
    j_of_k = np.full(out_size, -1, np.int64)
    j = np.flatnonzero(src >= 0)
    j_of_k[src[j]] = j
    jj = np.where(k_of_i >= 0, j_of_k[np.maximum(k_of_i, 0)], -1)
    if isinstance(node, IF):
        fan = (jj >= 0).astype(np.int64)
        return fan, fan.copy()
    fan_c, eff_c = fanout_of(node, cin_shape, cout_shape)
    pick = np.maximum(jj, 0)
    return np.where(jj >= 0, fan_c[pick], 0), np.where(jj >= 0, eff_c[pick], 0)


def _affine(windows, src, copies, node: Affine, where: str):
    """Affine consumer of a general composed reach ``(pool inputs, consumer inputs)``.

    Pool input i reaches rows r (leading positions) with column sets; in each
    row it reaches every output (fan) and the union of the non-zero output
    sets of its columns (eff), OR-ed as packed bit rows.
    """
    n_out, width = node.weight.shape
    pairs = int((windows.member @ copies).sum())  # (pool input, consumer input) pairs, known before building them
    if pairs * -(-n_out // 8) > MAX_AFFINE_WORK:
        raise MstsimError(f"{where}: the composed connection is too large to tabulate "
                          f"({pairs} pool-input/consumer-input pairs); use pool_rule='events'")
    reach = (windows.member @ gather_matrix(src, windows.out_size)).tocsr()
    reach.sum_duplicates()
    words = packed_columns(node.weight)
    n_in = reach.shape[0]
    rows = np.repeat(np.arange(n_in), np.diff(reach.indptr))
    lead, col = np.divmod(reach.indices.astype(np.int64), width)
    new = np.ones(rows.size, bool)
    new[1:] = (rows[1:] != rows[:-1]) | (lead[1:] != lead[:-1])
    starts = np.flatnonzero(new)
    group_row = rows[starts]
    fan = np.bincount(group_row, minlength=n_in).astype(np.int64) * n_out
    counts = np.empty(starts.size, np.int64)
    bounds = np.append(starts, rows.size)
    step = max(1, CHUNK_BYTES // (8 * words.shape[1] * int(np.diff(bounds).max(initial=1))))
    for g0 in range(0, starts.size, step):
        g1 = min(g0 + step, starts.size)
        part = words[col[bounds[g0]:bounds[g1]]]
        merged = np.bitwise_or.reduceat(part, bounds[g0:g1] - bounds[g0], axis=0)
        counts[g0:g1] = np.bitwise_count(merged).sum(axis=1, dtype=np.int64)
    eff = np.zeros(n_in, np.int64)
    np.add.at(eff, group_row, counts)
    return fan, eff


def packed_columns(weight: np.ndarray) -> np.ndarray:
    """``(in, words)`` uint64 bit sets: row i holds the outputs o with ``weight[o, i] != 0``."""
    bits = pack_bits(weight != 0, axis=0, nbytes=-(-weight.shape[0] // 64) * 8)
    return np.ascontiguousarray(bits.T).view(np.uint64)
