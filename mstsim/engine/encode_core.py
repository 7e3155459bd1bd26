"""Encoders of the plan for the input, synaptic, IF, Add, Remap and Output nodes (one per node type)."""
from __future__ import annotations

import numpy as np

from ..ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Input, Mean, Output, Remap
from ..kernels import plan_layout as L
from ..registry import TypeRegistry
from .fanout import fanout_of
from .gather_chains import composed_gather, point_inputs
from .strided import strided_form

ENCODERS = TypeRegistry("plan encoder")
encodes = ENCODERS.register


def invert_map(src: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of a gather map's inverse: the outputs reading each of ``total`` inputs, ascending."""
    keep = src >= 0
    order = np.argsort(src[keep], kind="stable")
    targets = np.nonzero(keep)[0][order]
    inv_ptr = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(np.bincount(src[keep], minlength=total), out=inv_ptr[1:])
    return inv_ptr, targets.astype(np.int64)


@encodes(Input)
def _input(b, node):
    if node.kind == "event":
        b.begin(node, L.INPUT_EVENTS, events=True, cap_mult=b.m_in)
    else:
        b.begin(node, L.INPUT_ANALOG, events=False)


def padded_taps(node, out_shape) -> int | None:
    """Synapses of a window op counting the taps on padding (``count_padding``); None if no window."""
    out = int(np.prod(out_shape))
    if isinstance(node, Conv2d):
        return out * int(np.prod(node.weight.shape[1:]))
    if isinstance(node, AvgPool2d):
        return out * int(np.prod(node.kernel))
    return None


def _synaptic(b, node, op: int, *, bias=None, divisor=None):
    """The fields every synaptic node shares (plan_ops.synaptic)."""
    g = b.graph
    in_shape, out_shape = g.shapes[node.inputs[0]], g.shapes[node.name]
    r = b.begin(node, op, events=False)
    fan, eff = fanout_of(node, in_shape, out_shape)
    r[L.P0] = b.ints(fan)
    r[L.P0 + 1] = -1 if np.array_equal(fan, eff) else b.ints(eff)
    synapses = padded_taps(node, out_shape) if b.count_padding else None
    r[L.P0 + 2] = int(fan.sum()) if synapses is None else synapses
    b.ann_macs[b.index[node.name]] = r[L.P0 + 2]
    r[L.P0 + 4] = -1 if bias is None else b.flts(np.broadcast_to(bias, out_shape))
    r[L.P0 + 5] = -1 if divisor is None else b.flts(np.broadcast_to(divisor, out_shape))
    if not b.is_events(node.inputs[0]):
        b.need_compaction(int(np.prod(in_shape)))
    return r


@encodes(Affine)
def _affine(b, node):
    r = _synaptic(b, node, L.AFFINE, bias=node.bias)
    r[L.P0 + 3] = b.flts(node.weight.T)
    r[L.P0 + 6], r[L.P0 + 7] = node.weight.shape[1], node.weight.shape[0]
    # a dense input may take the dense kernel, whose added zeros change no bit while the weights are finite
    r[L.P0 + 8] = int(bool(np.all(np.isfinite(node.weight.astype(b.dtype)))))


@encodes(Conv2d)
def _conv(b, node):
    cout, cin_g, kh, kw = node.weight.shape
    bias = None if node.bias is None else node.bias.reshape(-1, 1, 1)
    r = _synaptic(b, node, L.CONV, bias=bias)
    g = node.groups
    w = node.weight.reshape(g, cout // g, cin_g, kh, kw).transpose(0, 2, 3, 4, 1)
    r[L.P0 + 3] = b.flts(w)
    _, h, wd = b.graph.shapes[node.inputs[0]]
    _, ho, wo = b.graph.shapes[node.name]
    r[L.P0 + 6] = b.ints([h, wd, ho, wo, *node.stride, *node.dilation, node.padding[0], node.padding[1],
                          cin_g, kh, kw, cout // g, cout])
    r[L.P0 + 7] = b.dense(cout * ho * wo)  # channels-last accumulator


@encodes(AvgPool2d)
def _avg_pool(b, node):
    in_shape = b.graph.shapes[node.inputs[0]]
    r = _synaptic(b, node, L.POOL_SUM, divisor=node.divisor(in_shape)[None])
    _, h, wd = in_shape
    _, ho, wo = b.graph.shapes[node.name]
    r[L.P0 + 6] = b.ints([h, wd, ho, wo, *node.stride, node.padding[0], node.padding[1], *node.kernel])


@encodes(Mean)
def _mean(b, node):
    shape = tuple(b.graph.shapes[node.inputs[0]])
    axes = node.norm_axes(shape)
    count = int(np.prod([shape[a] for a in axes]))
    r = _synaptic(b, node, L.ONE_TO_ONE, divisor=np.float64(count))
    out_index = np.arange(int(np.prod(b.graph.shapes[node.name]))).reshape(
        tuple(1 if i in axes else n for i, n in enumerate(shape)))
    r[L.P0 + 6] = b.ints(np.broadcast_to(out_index, shape))
    r[L.P0 + 7] = -1


@encodes(ChannelAffine)
def _channel_affine(b, node):
    shape = b.graph.shapes[node.name]
    per_channel = [1] * len(shape)
    per_channel[node.axis] = -1
    shift = None if node.shift is None else node.shift.reshape(per_channel)
    r = _synaptic(b, node, L.ONE_TO_ONE, bias=shift)
    r[L.P0 + 6] = b.ints(np.arange(int(np.prod(shape))))
    scale = np.broadcast_to(node.scale.reshape(per_channel), shape)
    r[L.P0 + 7] = b.flts(scale)
    # element i reads input i alone: a dense input is scaled in one pass, with no compaction (the
    # zeros a scatter would skip then add +-0 * scale, which changes no bit while the scale is finite)
    r[L.P0 + 8] = int(bool(np.all(np.isfinite(scale.astype(b.dtype)))))


@encodes(IF)
def _if(b, node):
    r = b.begin(node, L.IF, events=True)
    r[L.P0] = b.flts([node.theta])
    r[L.STATE] = b.state(r[L.SIZE], b.dtype.type(node.v_init))


@encodes(Add)
def _add(b, node):
    events = b.graph.kinds[node.name] == "event"
    mult = sum(b.mult.get(s, 0) for s in node.inputs) if events else 1
    b.begin(node, L.ADD, events=events, cap_mult=mult)


@encodes(Remap)
def _remap(b, node):
    g = b.graph
    events = g.kinds[node.name] == "event"
    mult = max(b.mult.get(s, 1) for s in node.inputs) if events else 1
    r = b.begin(node, L.REMAP, events=events, cap_mult=mult, need_dense=not events)
    if events:
        inverse_fields(b, node, r)
        return
    chain = composed_gather(b, node)
    if chain is not None:  # read the producers' inputs directly (gather_chains.py)
        ins, which, local = chain
        point_inputs(b, r, ins)
    else:
        ins, offsets = node.inputs, input_offsets(g, node)
        which = np.where(node.src >= 0, np.searchsorted(offsets, node.src, side="right") - 1, -1)
        local = np.where(node.src >= 0, node.src - offsets[np.maximum(which, 0)], 0)
    if len(ins) == 1 and bool(np.all(which >= 0)):  # one input, every output reads it: local is the map
        _one_input_gather(b, r, ins[0], local)
        return
    r[L.P0 + 5] = 0
    r[L.P0 + 3], r[L.P0 + 4] = b.ints(which), b.ints(local)


def _one_input_gather(b, r, name: str, src: np.ndarray) -> None:
    start = int(src[0]) if src.size else 0
    if np.array_equal(src, start + np.arange(src.size)):
        # a contiguous window of one dense input (reshape, a slice along the first axis): the
        # output is that window itself, nothing moves
        r[L.OFF] = b.code[b.index[name], L.OFF] + start
        r[L.P0 + 5], r[L.P0 + 3] = 2, start
        return
    form = strided_form(src)
    if form is not None:  # a strided view: copied without a map (strided.py)
        start, dims, strides = form
        r[L.P0 + 5], r[L.P0 + 4] = 3, b.ints([start, len(dims)] + dims + strides)
    else:  # a gather of one input: its indices are the map itself
        r[L.P0 + 5], r[L.P0 + 4] = 1, b.ints(src)


def input_offsets(g, node) -> np.ndarray:
    """Where each input of a remap starts in the concatenation of its inputs."""
    sizes = [int(np.prod(g.shapes[s])) for s in node.inputs]
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)


def inverse_fields(b, node, r) -> None:
    """P0..P2 of a remap moving events: the inverse gather map (CSR; P0 = -1 for a bijection) and each
    input's offset."""
    offsets = input_offsets(b.graph, node)
    total = int(sum(np.prod(b.graph.shapes[s]) for s in node.inputs))
    inv_ptr, inv_tgt = invert_map(node.src, total)
    # a bijection (transpose, reshape, roll) needs no pointers: input g's one target is inv_tgt[g]
    ptr = -1 if np.array_equal(inv_ptr, np.arange(total + 1)) else b.ints(inv_ptr)
    r[L.P0], r[L.P0 + 1], r[L.P0 + 2] = ptr, b.ints(inv_tgt), b.ints(offsets)


@encodes(Output)
def _output(b, node):
    r = b.begin(node, L.OUTPUT, events=False, need_dense=True)
    r[L.STATE] = b.state(r[L.SIZE], 0.0)
