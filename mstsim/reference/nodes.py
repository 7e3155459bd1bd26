"""One step of every node type in the oracle: its values and its counts.

Each rule is ``step(sim, node, ins, row) -> (values, counts)`` with ``ins`` a
list of (values, counts) pairs (counts ``None`` for analog tensors) and
``row`` the node's ledger row for this step. The counting rules are those of
docs/accounting.md, applied to materialised structures.
"""
from __future__ import annotations

import numpy as np

from ..ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Input, Mean, Output, Remap
from ..ir.analog import Elementwise, Gelu, LayerNorm, MaxPool2d, Softmax
from ..ir.attention import Mask, MatMul
from ..ledger import COL
from . import analog, hashing


def _acs(row, n) -> None:
    row[COL["acs"]] += n
    row[COL["effective_acs"]] += n


def synaptic(sim, node, ins, row):
    (x, counts), syn = ins[0], sim.synapses[node.name]
    weight = sim.round(syn.weight)
    y = np.stack([np.bincount(syn.post, weights=x[b, syn.pre] * weight, minlength=syn.n_out)
                  for b in range(x.shape[0])])
    y = sim.round(y)
    if counts is not None:  # every (event, synapse) pair is one AC
        row[COL["acs"]] += int(counts[:, syn.pre].sum())
        row[COL["effective_acs"]] += int(counts[:, syn.pre[syn.weight != 0]].sum())
    else:  # every synapse once per sample
        row[COL["macs"]] += x.shape[0] * syn.count
    if syn.divisor is not None:
        y = sim.round(y / sim.round(syn.divisor))
        row[COL["element_ops"]] += y.size
    if syn.bias is not None:
        y = sim.round(y + sim.round(syn.bias))
        row[COL["bias_adds"]] += y.size
    return y, None


def integrate_and_fire(sim, node: IF, ins, row):
    x, counts = ins[0]
    theta = float(sim.round(node.theta))
    v = sim.potentials.get(node.name)
    if v is None:
        v = np.full(x.shape, float(sim.round(node.v_init)))
    v = sim.round(v + x)
    spikes = v >= theta
    sim.potentials[node.name] = sim.round(v - np.where(spikes, theta, 0.0))
    if counts is not None:  # each input event is one AC into one membrane
        _acs(row, int(counts.sum()))
    row[COL["neuron_updates"]] += v.size
    row[COL["events_out"]] += int(spikes.sum())
    return np.where(spikes, theta, 0.0), spikes.astype(np.int64)


def add(sim, node: Add, ins, row):
    y = sim.round(sum(v for v, _ in ins))
    if all(c is not None for _, c in ins):  # events merged, paid by the receiver
        counts = sum(c for _, c in ins)
        row[COL["events_out"]] += int(counts.sum())
        return y, counts
    n_analog = sum(c is None for _, c in ins)
    row[COL["element_ops"]] += y.size * (n_analog - 1)
    _acs(row, sum(int(c.sum()) for _, c in ins if c is not None))
    return y, None


def remap(sim, node: Remap, ins, row):
    def gather(parts):
        flat = np.concatenate(parts, axis=1)
        return np.where(node.src >= 0, flat[:, np.maximum(node.src, 0)], 0)

    y = gather([v for v, _ in ins])
    if all(c is not None for _, c in ins):
        counts = gather([c for _, c in ins])
        row[COL["events_out"]] += int(counts.sum())
        return y, counts
    return y, None


def output(sim, node: Output, ins, row):
    sim.total = sim.round(sim.total + ins[0][0])
    return sim.total.copy(), None


def input_(sim, node: Input, ins, row):
    y, counts = sim.input_step(node)
    if counts is not None:
        row[COL["events_out"]] += int(counts.sum())
    return y, counts


def _per_sample(sim, name, a):
    return a.reshape((a.shape[0],) + sim.graph.shapes[name])


def elementwise(sim, node: Elementwise, ins, row):
    shape = sim.graph.shapes[node.name]
    fn, accumulates = analog.OPS[node.op]
    args = [analog.right_aligned(_per_sample(sim, node.inputs[o], ins[o][0]), len(shape)) if isinstance(o, int)
            else sim.round(o) for o in node.operands]
    with np.errstate(all="ignore"):
        y = np.broadcast_to(fn(*args), (sim.batch,) + shape).reshape(sim.batch, -1)
    if not accumulates:
        row[COL["element_ops"]] += y.size
        return sim.round(y), None
    n_analog = 0
    for o in node.operands:
        if not isinstance(o, int):  # a constant: one bias addition per output element
            row[COL["bias_adds"]] += y.size
        elif ins[o][1] is not None:  # events accumulate into every output element they reach
            reach = np.broadcast_to(analog.right_aligned(_per_sample(sim, node.inputs[o], ins[o][1]), len(shape)),
                                    (sim.batch,) + shape)
            _acs(row, int(reach.sum()))
        else:
            n_analog += 1
    row[COL["element_ops"]] += y.size * max(n_analog - 1, 0)
    return sim.round(y), None


def _dense_unary(fn):
    def step(sim, node, ins, row):
        x = _per_sample(sim, node.inputs[0], ins[0][0])
        y = fn(node, x).reshape(sim.batch, -1)
        row[COL["element_ops"]] += y.size
        return sim.round(y), None
    return step



def max_pool(sim, node: MaxPool2d, ins, row):
    y = analog.max_pool(sim.taps[node.name], ins[0][0])
    row[COL["element_ops"]] += y.size
    return y, None


def _expanded(sim, node, k, a, full):
    """Operand k as ``(B, *full)``: leading axes broadcast as NumPy matmul does."""
    return np.broadcast_to(analog.right_aligned(_per_sample(sim, node.inputs[k], a), len(full)),
                           (sim.batch,) + full)


def matmul(sim, node: MatMul, ins, row):
    out = sim.graph.shapes[node.name]
    lead, m, n = out[:-2], out[-2], out[-1]
    k = sim.graph.shapes[node.inputs[0]][-1]
    full = (lead + (m, k), lead + (k, n))
    a, b = (_expanded(sim, node, i, ins[i][0], full[i]) for i in range(2))
    y = sim.round((a[..., :, :, None] * b[..., None, :, :]).sum(axis=-2)).reshape(sim.batch, -1)
    if ins[0][1] is None and ins[1][1] is None:
        row[COL["macs"]] += sim.batch * int(np.prod(lead)) * m * k * n
        return y, None
    # an analog operand is present everywhere; each (i, d, j) triple meets presence of a and of b
    pa, pb = (np.ones(full[i]) if ins[i][1] is None else _expanded(sim, node, i, ins[i][1], full[i])
              for i in range(2))
    _acs(row, int((pa[..., :, :, None] * pb[..., None, :, :]).sum()))
    return y, None


def mask(sim, node: Mask, ins, row):
    x, counts = ins[0]
    keep = hashing.keep_mask(sim.seed, sim.sample_ids, node.name, sim.t, x.shape[1], node.ratio)
    y = np.where(keep, x, 0.0)
    if counts is None:
        row[COL["element_ops"]] += x.size
        return y, None
    kept = np.where(keep, counts, 0)
    row[COL["events_out"]] += int(kept.sum())
    row[COL["events_dropped"]] += int(counts.sum() - kept.sum())
    return y, kept


STEPS = {
    Input: input_, IF: integrate_and_fire, Add: add, Remap: remap, Output: output,
    Affine: synaptic, Conv2d: synaptic, AvgPool2d: synaptic, Mean: synaptic, ChannelAffine: synaptic,
    Elementwise: elementwise, MatMul: matmul, Mask: mask, MaxPool2d: max_pool,
    Softmax: _dense_unary(analog.softmax), LayerNorm: _dense_unary(analog.layer_norm), Gelu: _dense_unary(analog.gelu),
}


def ann_macs(sim, node) -> int:
    """The ANN's MACs of a node for one sample: its synapse count, or lead x M x K x N for a MatMul."""
    if node.name in sim.synapses:
        return sim.synapses[node.name].count
    if isinstance(node, MatMul):
        return int(np.prod(sim.graph.shapes[node.name])) * sim.graph.shapes[node.inputs[0]][-1]
    return 0
