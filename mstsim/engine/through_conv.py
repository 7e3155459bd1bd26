"""Composed pool-then-Conv2d fan-out tables (the Conv2d part of ``through.py``).

When the pool acts on ``(C, H, W)`` axis by axis and the remaps between pool
and conv gather axis by axis too (crop, zero-pad, channel slice, nearest
upsampling, identity), the composed connection factorises: channel pairs
(pool input channel, conv output channel) carry a pattern of non-zero taps,
and along each spatial axis each tap reaches a set of output rows (columns).
An input then reaches, for one output channel, the union over the pattern's
taps (ky, kx) of rows(ky) x columns(kx). Its size only depends on the pattern
and on the row (column) sets up to a common shift, so it is computed for a
few classes of positions and distinct patterns only. Anything else falls
back to sparse products, refused beyond a fixed size.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..ir import MstsimError

#: bound on the synapses the generic (unstructured) path materialises or multiplies
MAX_GENERIC = 1 << 20
#: bounds on the factorised path: (channel, output channel) pairs, patterns x pattern-grid cells
MAX_PAIRS = 1 << 23
MAX_GRID = 1 << 24


def conv_tables(windows, src, node, cin_shape, cout_shape, where: str):
    """``(fan, eff)`` over the pool's flat input for a Conv2d consumer.

    ``windows``: the pool's ``through.Windows``; ``src``: the conv input as a
    gather from the pool's flat output (-1: zero).
    """
    if windows.axes is not None:
        gathers = axis_gathers(src, cin_shape, tuple(a.shape[1] for a in windows.axes))
        if gathers is not None:
            return _factorised(windows.axes, gathers, node, cout_shape, where)
    return _generic(windows, src, node, cin_shape, cout_shape, where)


def gather_matrix(src: np.ndarray, out_size: int):
    """Sparse int64 ``(pooled elements, consumer inputs)``: pooled element k is read at consumer input j."""
    j = np.flatnonzero(src >= 0)
    return sp.csr_matrix((np.ones(j.size, np.int64), (src[j], j)), shape=(out_size, src.size))


def axis_gathers(src, shape, pooled_shape):
    """``(gc, gy, gx)`` with ``src[c, y, x] = ravel(gc[c], gy[y], gx[x])`` (-1 if any is -1), or None."""
    s = src.reshape(shape)
    valid = s >= 0
    if not valid.any():
        return tuple(np.full(n, -1, np.int64) for n in shape)
    mc, my, mx = valid.any(axis=(1, 2)), valid.any(axis=(0, 2)), valid.any(axis=(0, 1))
    if not np.array_equal(valid, mc[:, None, None] & my[None, :, None] & mx[None, None, :]):
        return None
    cc, cy, cx = np.unravel_index(np.where(valid, s, 0), pooled_shape)
    c0, y0, x0 = int(np.argmax(mc)), int(np.argmax(my)), int(np.argmax(mx))
    gc, gy, gx = np.where(mc, cc[:, y0, x0], -1), np.where(my, cy[c0, :, x0], -1), np.where(mx, cx[c0, y0, :], -1)
    same = (cc == gc[:, None, None]) & (cy == gy[None, :, None]) & (cx == gx[None, None, :])
    return (gc, gy, gx) if same[valid].all() else None


def _relation(pool_axis: np.ndarray, gather: np.ndarray) -> np.ndarray:
    """``(pool input positions, conv input positions)`` bool along one axis."""
    return pool_axis[:, np.maximum(gather, 0)] & (gather >= 0)[None, :]


def _tap_reach(rel: np.ndarray, k: int, stride: int, dilation: int, pad0: int, n_out: int) -> np.ndarray:
    """``(k, n, n_out)`` bool: position p reaches output q through tap t (conv input ``q*s - pad0 + t*d``)."""
    pos = np.arange(n_out)[None, :] * stride - pad0 + np.arange(k)[:, None] * dilation
    inside = (pos >= 0) & (pos < rel.shape[1])
    return (rel[:, np.clip(pos, 0, rel.shape[1] - 1)] & inside[None]).transpose(1, 0, 2)


def position_classes(reach: np.ndarray):
    """Group positions whose per-tap output sets agree up to a common shift.

    Returns the class of each position and, per class, its ``(k, span)`` sets
    cropped to their joint extent (one empty column for a position reaching nothing).
    """
    k, n, _ = reach.shape
    index, shapes, cls = {}, [], np.empty(n, np.int64)
    for p in range(n):
        rows = reach[:, p, :]
        cols = np.flatnonzero(rows.any(axis=0))
        sub = rows[:, cols[0]:cols[-1] + 1] if cols.size else np.zeros((k, 1), bool)
        key = (sub.shape[1], sub.tobytes())
        if key not in index:
            index[key] = len(shapes)
            shapes.append(sub)
        cls[p] = index[key]
    return cls, shapes


def pack_bits(flags: np.ndarray, axis: int, nbytes: int | None = None) -> np.ndarray:
    """Bit sets along ``axis``: element t is bit ``t % 8`` of byte ``t // 8`` (``nbytes`` bytes, zero padded).

    Only unions and popcounts are taken, so the bit order is free; one shift per bit
    plane is much faster than ``np.packbits`` along a short or non-contiguous axis.
    """
    n = flags.shape[axis]
    shape = list(flags.shape)
    shape[axis] = nbytes or -(-n // 8)
    out = np.zeros(shape, np.uint8)
    for b in range(min(8, n)):
        part = flags[(slice(None),) * axis + (slice(b, None, 8),)]
        out[(slice(None),) * axis + (slice(0, part.shape[axis]),)] |= part.view(np.uint8) << b
    return out


def unpack_bits(packed: np.ndarray, n: int) -> np.ndarray:
    """Inverse of ``pack_bits`` along the last axis: ``(..., n)`` 0/1."""
    t = np.arange(n)
    return (packed[..., t // 8] >> (t % 8).astype(np.uint8)) & 1


def _channel_patterns(gch: np.ndarray, weight: np.ndarray, groups: int):
    """For every reached (pool input channel c, output channel o): c, o and its non-zero tap pattern (packed).

    Several conv input channels gathered from one pool channel OR their patterns.
    """
    cout, cin_g = weight.shape[:2]
    cout_g = cout // groups
    packed = pack_bits(weight.reshape(cout, cin_g, -1) != 0, axis=2)
    pc, pin = np.nonzero(gch)
    chan = np.repeat(pc, cout_g)
    out = ((pin // cin_g) * cout_g)[:, None] + np.arange(cout_g)[None, :]
    out = out.reshape(-1)
    codes = packed[out, np.repeat(pin % cin_g, cout_g)]
    key = chan * cout + out
    if np.all(key[1:] > key[:-1]):  # each pool channel gathered once (no copies): nothing to merge
        return chan, codes
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return key[starts] // cout, np.bitwise_or.reduceat(codes[order], starts, axis=0)


def distinct_patterns(codes: np.ndarray):
    """Distinct rows of packed tap patterns and each row's index among them (integer keys when they fit)."""
    nb = codes.shape[1]
    if nb > 8:
        uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
        return uniq, inverse.reshape(-1)
    keys = np.ascontiguousarray(np.pad(codes, ((0, 0), (0, 8 - nb)))).view(np.uint64).reshape(-1)
    if nb <= 2:  # at most 16 taps: a presence table instead of a sort
        seen = np.bincount(keys.astype(np.int64), minlength=1 << (8 * nb)) > 0
        uniq, rank = np.flatnonzero(seen).astype(np.uint64), np.cumsum(seen) - 1
        inverse = rank[keys.astype(np.int64)]
    else:
        uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq.view(np.uint8).reshape(-1, 8)[:, :nb], inverse.reshape(-1)


def _factorised(axes, gathers, node, cout_shape, where: str):
    pc, py, px = axes
    gc, gy, gx = gathers
    c, h, w = pc.shape[0], py.shape[0], px.shape[0]
    _, ho, wo = cout_shape
    kh, kw = node.weight.shape[2:]
    gch = _relation(pc, gc)
    if np.count_nonzero(gch) * (node.weight.shape[0] // node.groups) > MAX_PAIRS:
        raise MstsimError(f"{where}: too many channel pairs to tabulate; use pool_rule='events'")
    if not gch.any():
        return np.zeros(c * h * w, np.int64), np.zeros(c * h * w, np.int64)
    by = _tap_reach(_relation(py, gy), kh, node.stride[0], node.dilation[0], node.padding[0], ho)
    bx = _tap_reach(_relation(px, gx), kw, node.stride[1], node.dilation[1], node.padding[1], wo)
    chan, codes = _channel_patterns(gch, node.weight, node.groups)
    fan = (np.bincount(chan, minlength=c)[:, None, None] * by.any(axis=0).sum(axis=1)[None, :, None]
           * bx.any(axis=0).sum(axis=1)[None, None, :])
    uniq, inverse = distinct_patterns(codes)
    patterns = unpack_bits(uniq, kh * kw).astype(np.float32)
    ycls, ysets = position_classes(by)
    xcls, xsets = position_classes(bx)
    # the tap-by-tap reach of every (row class, column class), laid side by side
    grids = [(ry[:, None, :, None] & rx[None, :, None, :]).reshape(kh * kw, -1) for ry in ysets for rx in xsets]
    widths = np.array([g.shape[1] for g in grids])
    if patterns.shape[0] * widths.sum() > MAX_GRID:
        raise MstsimError(f"{where}: {patterns.shape[0]} distinct tap patterns over {widths.sum()} cells "
                          "are too many to tabulate; use pool_rule='events'")
    union = (patterns @ np.concatenate(grids, axis=1).astype(np.float32)) > 0
    counts = np.add.reduceat(union, np.r_[0, np.cumsum(widths)[:-1]], axis=1, dtype=np.int64)
    n_pat = uniq.shape[0]
    if c * n_pat <= MAX_GRID:  # how many output channels of each pattern every pool channel has
        per_pattern = np.bincount(chan * n_pat + inverse, minlength=c * n_pat).reshape(c, n_pat)
    else:
        per_pattern = sp.csr_matrix((np.ones(chan.size, np.int64), (chan, inverse)), shape=(c, n_pat))
    per_channel = per_pattern @ counts
    eff = np.asarray(per_channel)[:, ycls[:, None] * len(xsets) + xcls[None, :]]
    return fan.reshape(-1).astype(np.int64, copy=False), eff.reshape(-1).astype(np.int64, copy=False)


def _synapses(node, cin_shape, cout_shape, nonzero: bool):
    """Sparse ``(conv inputs, conv outputs)`` synapse matrix (only non-zero weights if ``nonzero``)."""
    cin, h, w = cin_shape
    cout, ho, wo = cout_shape
    _, cin_g, kh, kw = node.weight.shape
    o, i, ky, kx, oy, ox = np.indices((cout, cin_g, kh, kw, ho, wo)).reshape(6, -1)
    y = oy * node.stride[0] - node.padding[0] + ky * node.dilation[0]
    x = ox * node.stride[1] - node.padding[1] + kx * node.dilation[1]
    keep = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    if nonzero:
        keep &= node.weight[o, i, ky, kx] != 0
    ci = (o // (cout // node.groups)) * cin_g + i
    rows = np.ravel_multi_index((ci[keep], y[keep], x[keep]), cin_shape)
    cols = np.ravel_multi_index((o[keep], oy[keep], ox[keep]), cout_shape)
    return sp.csr_matrix((np.ones(rows.size, np.int64), (rows, cols)), shape=(cin * h * w, cout * ho * wo))


def _generic(windows, src, node, cin_shape, cout_shape, where: str):
    """Unstructured composition (remaps mixing axes): bounded sparse products."""
    taps = int(np.prod(cout_shape)) * int(np.prod(node.weight.shape[1:]))
    per_input = (node.weight.shape[0] // node.groups) * int(np.prod(node.weight.shape[2:]))
    pairs = int((windows.member @ np.bincount(src[src >= 0], minlength=windows.out_size)).sum())
    if max(taps, pairs * per_input) > MAX_GENERIC:
        raise MstsimError(f"{where}: the remaps between pool and conv do not act axis by axis and the "
                          "connection is too large to tabulate exactly; use pool_rule='events'")
    reach = windows.member @ gather_matrix(src, windows.out_size)
    fan = np.diff((reach @ _synapses(node, cin_shape, cout_shape, False)).indptr)
    eff = np.diff((reach @ _synapses(node, cin_shape, cout_shape, True)).indptr)
    return fan.astype(np.int64), eff.astype(np.int64)
