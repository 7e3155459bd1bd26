"""One step of every node type in the oracle: its values and its counts.

Each rule is ``step(sim, node, ins, row) -> Tensor`` with ``ins`` the input
Tensors and ``row`` the node's ledger row for this step. A Tensor holds dense
values and, for the forms of ``forms.py``, per-element counts: the events of
an event tensor, the underlying events of an affine-of-events (AE) tensor,
the pool-input events a routed tensor carries to its consumer. The counting
rules are those of docs/accounting.md, applied to materialised structures.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Input, Mean, Output, Remap
from ..ir.analog import Elementwise, Gelu, LayerNorm, MaxPool2d, Softmax
from ..ir.attention import Mask, MatMul
from ..ledger import COL
from . import analog, hashing
from .forms import AE, ANALOG, EVENT, ROUTED


class Tensor(NamedTuple):
    values: np.ndarray               # (B, n) float64
    counts: np.ndarray | None = None  # (B, n) int64: events, underlying events or routed events
    form: str = ANALOG
    offset: bool = False


def _acs(row, n) -> None:
    row[COL["acs"]] += n
    row[COL["effective_acs"]] += n


def materialise(row, x: Tensor) -> Tensor:
    """An AE input read as analog: one AC per underlying event, its offset one bias add per element."""
    if x.form != AE:
        return x
    _acs(row, int(x.counts.sum()))
    if x.offset:
        row[COL["bias_adds"]] += x.values.size
    return Tensor(x.values)


def _weighted_sum(sim, syn, x):
    weight = sim.round(syn.weight)
    y = np.stack([np.bincount(syn.post, weights=x[b, syn.pre] * weight, minlength=syn.n_out)
                  for b in range(x.shape[0])])
    return sim.round(y)


def synaptic(sim, node, ins, row):
    x, syn, form = ins[0], sim.synapses[node.name], sim.forms.form[node.name]
    y = _weighted_sum(sim, syn, x.values)
    if syn.divisor is not None:
        y = sim.round(y / sim.round(syn.divisor))
    if syn.bias is not None:
        y = sim.round(y + sim.round(syn.bias))
    if form == ROUTED:  # a pool folded into its consumers: it costs nothing, its input events go on
        row[COL["events_out"]] += int(x.counts.sum())
        return Tensor(y, x.counts, ROUTED, x.offset)
    if form == AE and isinstance(node, ChannelAffine):  # folds into the consumers' weights and bias
        row[COL["events_out"]] += int(x.counts.sum())
        return Tensor(y, x.counts, AE, sim.forms.offset[node.name])
    if x.form == ROUTED:  # the consumer of a through pool: composed fan-out per routed event
        fan, eff = sim.forms.fan[node.name]
        row[COL["acs"]] += int((x.counts @ fan).sum())
        row[COL["effective_acs"]] += int((x.counts @ eff).sum())
    elif x.form in (EVENT, AE):  # every (event, synapse) pair is one AC
        row[COL["acs"]] += int(x.counts[:, syn.pre].sum())
        row[COL["effective_acs"]] += int(x.counts[:, syn.pre[syn.weight != 0]].sum())
    else:  # every synapse (or window tap, with count_padding) once per sample
        row[COL["macs"]] += x.values.shape[0] * (syn.taps if sim.count_padding else syn.count)
    if syn.divisor is not None:
        row[COL["element_ops"]] += y.size
    if syn.bias is not None or x.offset:  # the input's offset folds into a constant bias
        row[COL["bias_adds"]] += y.size
    if form == AE:  # a pool under `events`: one graded event per element some input event reaches
        touched = np.zeros(y.shape, dtype=np.int64)
        for b in range(y.shape[0]):
            touched[b, np.unique(syn.post[x.counts[b, syn.pre] > 0])] = 1
        row[COL["events_out"]] += int(touched.sum())
        return Tensor(y, touched, AE, x.offset)
    return Tensor(y)


def integrate_and_fire(sim, node: IF, ins, row):
    x = ins[0]
    theta = float(sim.round(node.theta))
    v = sim.potentials.get(node.name)
    if v is None:
        v = np.full(x.values.shape, float(sim.round(node.v_init)))
    v = sim.round(v + x.values)
    spikes = v >= theta
    sim.potentials[node.name] = sim.round(v - np.where(spikes, theta, 0.0))
    if x.form == ROUTED:  # events through a folded pool: one AC per distinct neuron reached
        _acs(row, int((x.counts @ sim.forms.fan[node.name][0]).sum()))
    elif x.counts is not None:  # each input (underlying) event is one AC into one membrane
        _acs(row, int(x.counts.sum()))
    if x.offset:
        row[COL["bias_adds"]] += v.size
    row[COL["neuron_updates"]] += v.size
    row[COL["events_out"]] += int(spikes.sum())
    return Tensor(np.where(spikes, theta, 0.0), spikes.astype(np.int64), EVENT)


def _moved(sim, node, y, counts, row) -> Tensor:
    """Events or underlying events merged or moved unchanged: the receiver pays for them."""
    row[COL["events_out"]] += int(counts.sum())
    return Tensor(y, counts, sim.forms.form[node.name], sim.forms.offset[node.name])


def add(sim, node: Add, ins, row):
    y = sim.round(sum(x.values for x in ins))
    if sim.forms.form[node.name] != ANALOG:
        return _moved(sim, node, y, sum(x.counts for x in ins), row)
    n_analog = sum(x.form == ANALOG for x in ins)  # truly analog operands, before materialising
    for x in ins:
        if x.form == EVENT:  # one AC into the dense sum
            _acs(row, int(x.counts.sum()))
        materialise(row, x)
    row[COL["element_ops"]] += y.size * max(n_analog - 1, 0)
    return Tensor(y)


def remap(sim, node: Remap, ins, row):
    def gather(parts):
        flat = np.concatenate(parts, axis=1)
        return np.where(node.src >= 0, flat[:, np.maximum(node.src, 0)], 0)

    y = gather([x.values for x in ins])
    form = sim.forms.form[node.name]
    if form == ROUTED:  # composed into the through connection: the routed events pass unchanged
        row[COL["events_out"]] += int(ins[0].counts.sum())
        return Tensor(y, ins[0].counts, ROUTED, ins[0].offset)
    if form != ANALOG:
        return _moved(sim, node, y, gather([x.counts for x in ins]), row)
    for x in ins:
        materialise(row, x)
    return Tensor(y)


def output(sim, node: Output, ins, row):
    x = materialise(row, ins[0])
    sim.total = sim.round(sim.total + x.values)
    return Tensor(sim.total.copy())


def input_(sim, node: Input, ins, row):
    y, counts = sim.input_step(node)
    if counts is None:
        return Tensor(y)
    row[COL["events_out"]] += int(counts.sum())
    return Tensor(y, counts, EVENT)


def _per_sample(sim, name, a):
    return a.reshape((a.shape[0],) + sim.graph.shapes[name])


def elementwise(sim, node: Elementwise, ins, row):
    ins = [materialise(row, x) for x in ins]
    shape = sim.graph.shapes[node.name]
    fn, accumulates = analog.OPS[node.op]
    args = [analog.right_aligned(_per_sample(sim, node.inputs[o], ins[o].values), len(shape)) if isinstance(o, int)
            else sim.round(o) for o in node.operands]
    with np.errstate(all="ignore"):
        y = np.broadcast_to(fn(*args), (sim.batch,) + shape).reshape(sim.batch, -1)
    if not accumulates:
        row[COL["element_ops"]] += y.size
        return Tensor(sim.round(y))
    n_analog = 0
    for o in node.operands:
        if not isinstance(o, int):  # a constant: one bias addition per output element
            row[COL["bias_adds"]] += y.size
        elif ins[o].counts is not None:  # events accumulate into every output element they reach
            reach = np.broadcast_to(analog.right_aligned(_per_sample(sim, node.inputs[o], ins[o].counts),
                                                         len(shape)), (sim.batch,) + shape)
            _acs(row, int(reach.sum()))
        else:
            n_analog += 1
    row[COL["element_ops"]] += y.size * max(n_analog - 1, 0)
    return Tensor(sim.round(y))


def _dense_unary(fn):
    def step(sim, node, ins, row):
        x = _per_sample(sim, node.inputs[0], materialise(row, ins[0]).values)
        y = fn(node, x).reshape(sim.batch, -1)
        row[COL["element_ops"]] += y.size
        return Tensor(sim.round(y))
    return step


def max_pool(sim, node: MaxPool2d, ins, row):
    y = analog.max_pool(sim.taps[node.name], materialise(row, ins[0]).values)
    row[COL["element_ops"]] += y.size
    return Tensor(y)


def _expanded(sim, node, k, a, full):
    """Operand k as ``(B, *full)``: leading axes broadcast as NumPy matmul does."""
    return np.broadcast_to(analog.right_aligned(_per_sample(sim, node.inputs[k], a), len(full)),
                           (sim.batch,) + full)


def matmul(sim, node: MatMul, ins, row):
    ins = [materialise(row, x) for x in ins]
    out = sim.graph.shapes[node.name]
    lead, m, n = out[:-2], out[-2], out[-1]
    k = sim.graph.shapes[node.inputs[0]][-1]
    full = (lead + (m, k), lead + (k, n))
    a, b = (_expanded(sim, node, i, ins[i].values, full[i]) for i in range(2))
    y = sim.round((a[..., :, :, None] * b[..., None, :, :]).sum(axis=-2)).reshape(sim.batch, -1)
    if ins[0].counts is None and ins[1].counts is None:
        row[COL["macs"]] += sim.batch * int(np.prod(lead)) * m * k * n
        return Tensor(y)
    # an analog operand is present everywhere; each (i, d, j) triple meets presence of a and of b
    pa, pb = (np.ones(full[i]) if ins[i].counts is None else _expanded(sim, node, i, ins[i].counts, full[i])
              for i in range(2))
    _acs(row, int((pa[..., :, :, None] * pb[..., None, :, :]).sum()))
    return Tensor(y)


def mask(sim, node: Mask, ins, row):
    x = materialise(row, ins[0])
    keep = hashing.keep_mask(sim.seed, sim.sample_ids, node.name, sim.t, x.values.shape[1], node.ratio)
    y = np.where(keep, x.values, 0.0)
    if x.counts is None:
        row[COL["element_ops"]] += y.size
        return Tensor(y)
    kept = np.where(keep, x.counts, 0)
    row[COL["events_out"]] += int(kept.sum())
    row[COL["events_dropped"]] += int(x.counts.sum() - kept.sum())
    return Tensor(y, kept, EVENT)


STEPS = {
    Input: input_, IF: integrate_and_fire, Add: add, Remap: remap, Output: output,
    Affine: synaptic, Conv2d: synaptic, AvgPool2d: synaptic, Mean: synaptic, ChannelAffine: synaptic,
    Elementwise: elementwise, MatMul: matmul, Mask: mask, MaxPool2d: max_pool,
    Softmax: _dense_unary(analog.softmax), LayerNorm: _dense_unary(analog.layer_norm), Gelu: _dense_unary(analog.gelu),
}


def ann_macs(sim, node) -> int:
    """The ANN's MACs of a node for one sample: its synapses (its window taps with count_padding),
    or lead x M x K x N for a MatMul."""
    if node.name in sim.synapses:
        syn = sim.synapses[node.name]
        return syn.taps if sim.count_padding else syn.count
    if isinstance(node, MatMul):
        return int(np.prod(sim.graph.shapes[node.name])) * sim.graph.shapes[node.inputs[0]][-1]
    return 0
