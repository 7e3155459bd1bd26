"""Oracle rules for the attention and analog nodes (dense, brute-force counts).

MatMul counts are taken from the definition: an event of a at (l, i, d) and
an event of b at (l, d, j) meet once per pair; an analog operand has every
element present. Masks are drawn for the whole tensor with
``masking.keep_mask`` and applied to values and event counts alike.
"""
from __future__ import annotations

import numpy as np

from ..ann import ANN_OPS
from ..ir.analog import ELEMENTWISE, Elementwise
from ..ir.attention import Mask, MatMul
from ..ledger import COL
from ..masking import keep_mask


def ann_macs(graph, node) -> int:
    """A MatMul's MACs in the ANN: one per (i, d, j) triple of every leading index."""
    if not isinstance(node, MatMul):
        return 0
    return int(np.prod(graph.shapes[node.name])) * graph.shapes[node.inputs[0]][-1]


def matmul(node: MatMul, graph, ins_v, ins_c, row):
    a_shape, b_shape = (graph.shapes[s] for s in node.inputs)
    batch = ins_v[0].shape[0]
    a = ins_v[0].reshape((batch,) + a_shape)
    b = ins_v[1].reshape((batch,) + b_shape)
    rank = max(a.ndim, b.ndim)
    a = a.reshape(a.shape[:1] + (1,) * (rank - a.ndim) + a.shape[1:])
    b = b.reshape(b.shape[:1] + (1,) * (rank - b.ndim) + b.shape[1:])
    y = np.matmul(a, b)
    # presence: event counts for event operands, all ones for analog ones
    pa = np.ones_like(a, dtype=np.int64) if ins_c[0] is None else ins_c[0].reshape(a.shape)
    pb = np.ones_like(b, dtype=np.int64) if ins_c[1] is None else ins_c[1].reshape(b.shape)
    pairs = int(np.matmul(pa, pb).sum())
    if ins_c[0] is None and ins_c[1] is None:
        row[COL["macs"]] += pairs
    else:
        row[COL["acs"]] += pairs
        row[COL["effective_acs"]] += pairs
    return y.reshape(batch, -1), None


def mask(node: Mask, graph, ins_v, ins_c, row, seed, sample_ids, t):
    x, c = ins_v[0], ins_c[0]
    keep = keep_mask(seed, sample_ids, node.name, t, x.shape[1], node.ratio)
    y = np.where(keep, x, x.dtype.type(0))
    if c is None:
        row[COL["element_ops"]] += x.size
        return y, None
    kept = np.where(keep, c, 0)
    row[COL["events_out"]] += int(kept.sum())
    row[COL["events_dropped"]] += int(c.sum() - kept.sum())
    return y, kept


def analog(node, graph, ins_v, ins_c, row):
    batch = ins_v[0].shape[0]
    xs = [v.reshape((batch,) + graph.shapes[s]) for v, s in zip(ins_v, node.inputs)]
    y = ANN_OPS.lookup(node)(node, graph, *xs).reshape(batch, -1)
    if isinstance(node, Elementwise) and ELEMENTWISE[node.op][2] and node.op != "neg":
        n_analog = 0
        for o in node.operands:
            if not isinstance(o, int):
                row[COL["bias_adds"]] += y.size
            elif ins_c[o] is not None:
                row[COL["acs"]] += int(ins_c[o].sum())
                row[COL["effective_acs"]] += int(ins_c[o].sum())
            else:
                n_analog += 1
        row[COL["element_ops"]] += y.size * max(n_analog - 1, 0)
    else:
        row[COL["element_ops"]] += y.size
    return y, None
