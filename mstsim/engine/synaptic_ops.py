"""Operators of synaptic nodes: scatter events (ACs) or run dense (MACs)."""
from __future__ import annotations

import numpy as np

from .. import dense
from ..ir import Affine, AvgPool2d, ChannelAffine, Conv2d, Mean
from ..kernels import scatter_affine, scatter_conv2d, scatter_one_to_one, scatter_sum_pool2d, sum_fanout
from ..ledger import COL
from .events import Events
from .fanout import fanout_of
from .op import Op, register_op


class SynapticOp(Op):
    """Shared logic: events cost their fan-out in ACs, analog input costs MACs.

    Subclasses provide ``scatter(ev, out)`` (add the events' contribution to a
    zeroed ``(B, n_out)`` array), ``forward(x)`` (dense, bias excluded) and
    optionally ``finish(out)`` (per-output scaling, e.g. pooling divisors).
    """

    bias_attr = "bias"

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.fanout, self.effective = fanout_of(node, self.in_shapes[0], self.out_shape)
        self.synapses = int(self.fanout.sum())
        # with no zero weights the effective count is the count: skip the second pass
        self.all_effective = bool(np.array_equal(self.fanout, self.effective))
        bias = getattr(node, self.bias_attr, None)
        self.bias = None if bias is None else self.broadcast_bias(bias)

    def broadcast_bias(self, bias: np.ndarray) -> np.ndarray:
        """The bias as a flat per-sample array of the output size."""
        return np.broadcast_to(bias.astype(self.dtype), self.out_shape).reshape(-1).copy()

    def step(self, ins, row):
        x = ins[0]
        b = x.batch if isinstance(x, Events) else x.shape[0]
        if isinstance(x, Events):
            row[COL["events_in"]] += x.count
            acs = sum_fanout(x.idx, self.fanout)
            row[COL["acs"]] += acs
            row[COL["effective_acs"]] += acs if self.all_effective else sum_fanout(x.idx, self.effective)
            out = np.zeros((b, self.out_size), dtype=self.dtype)
            self.scatter(Events(x.ptr, x.idx, x.val.astype(self.dtype, copy=False)), out)
        else:
            row[COL["macs"]] += b * self.synapses
            out = self.forward(x.reshape((b,) + tuple(self.in_shapes[0]))).reshape(b, -1)
        out = self.finish(out, row)
        if self.bias is not None:
            out += self.bias
            row[COL["bias_adds"]] += b * self.out_size
        return out

    def finish(self, out, row):
        return out


@register_op(Affine)
class AffineOp(SynapticOp):
    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.w_t = np.ascontiguousarray(node.weight.T.astype(self.dtype))
        self.n_in = node.weight.shape[1]

    def scatter(self, ev, out):
        scatter_affine(ev.ptr, ev.idx, ev.val, self.w_t, self.n_in, out)

    def forward(self, x):
        return x @ self.w_t


@register_op(Conv2d)
class Conv2dOp(SynapticOp):
    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        cout, cin_g, kh, kw = node.weight.shape
        g = node.groups
        # (C_in, kh, kw, C_out/G): the weights an input channel sends to its group
        w = node.weight.reshape(g, cout // g, cin_g, kh, kw).transpose(0, 2, 3, 4, 1)
        self.w_t = np.ascontiguousarray(w.reshape(g * cin_g, kh, kw, cout // g).astype(self.dtype))
        self.cin_g = cin_g

    def scatter(self, ev, out):
        n = self.node
        _, h, w = self.in_shapes[0]
        cout, ho, wo = self.out_shape
        hwc = np.zeros((out.shape[0], ho, wo, cout), dtype=self.dtype)
        scatter_conv2d(ev.ptr, ev.idx, ev.val, self.w_t, h, w, ho, wo, n.stride[0], n.stride[1],
                       n.dilation[0], n.dilation[1], n.padding[0], n.padding[1], self.cin_g, hwc)
        out[:] = hwc.transpose(0, 3, 1, 2).reshape(out.shape[0], -1)

    def forward(self, x):
        return dense.conv2d(self.node, x, with_bias=False)

    def broadcast_bias(self, bias):
        return np.broadcast_to(np.asarray(bias, dtype=self.dtype).reshape(-1, 1, 1), self.out_shape).reshape(-1).copy()


@register_op(AvgPool2d)
class AvgPool2dOp(SynapticOp):
    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        div = node.divisor(self.in_shapes[0]).astype(self.dtype)
        self.divisor = np.broadcast_to(div[None], self.out_shape).reshape(-1).copy()

    def scatter(self, ev, out):
        n = self.node
        c, h, w = self.in_shapes[0]
        _, ho, wo = self.out_shape
        scatter_sum_pool2d(ev.ptr, ev.idx, ev.val, h, w, ho, wo, n.kernel[0], n.kernel[1],
                           n.stride[0], n.stride[1], n.padding[0], n.padding[1], out.reshape(-1, c, ho, wo))

    def forward(self, x):
        return dense.sum_pool2d(self.node, x)

    def finish(self, out, row):
        row[COL["element_ops"]] += out.size
        return out / self.divisor


@register_op(Mean)
class MeanOp(SynapticOp):
    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        shape = tuple(self.in_shapes[0])
        axes = node.norm_axes(shape)
        self.count = self.dtype.type(int(np.prod([shape[a] for a in axes])))
        # target[i]: the output element that input element i is summed into
        kept = np.zeros(shape, dtype=np.int64)
        out_index = np.arange(self.out_size, dtype=np.int64).reshape(
            tuple(1 if i in axes else n for i, n in enumerate(shape)))
        self.target = np.ascontiguousarray((kept + out_index).reshape(-1))
        self.ones = np.ones(self.target.shape[0], dtype=self.dtype)

    def scatter(self, ev, out):
        scatter_one_to_one(ev.ptr, ev.idx, ev.val, self.target, self.ones, out)

    def forward(self, x):
        axes = tuple(a + 1 for a in self.node.norm_axes(x.shape[1:]))
        return x.sum(axis=axes)

    def finish(self, out, row):
        row[COL["element_ops"]] += out.size
        return out / self.count


@register_op(ChannelAffine)
class ChannelAffineOp(SynapticOp):
    bias_attr = "shift"

    def __init__(self, node, graph, dtype) -> None:
        super().__init__(node, graph, dtype)
        self.scale = self.broadcast_bias(node.scale)
        self.target = np.arange(self.out_size, dtype=np.int64)

    def broadcast_bias(self, values):
        """Per-channel values laid out over the flat output."""
        shape = [1] * len(self.out_shape)
        shape[self.node.axis] = -1
        return np.broadcast_to(values.astype(self.dtype).reshape(shape), self.out_shape).reshape(-1).copy()

    def scatter(self, ev, out):
        scatter_one_to_one(ev.ptr, ev.idx, ev.val, self.target, self.scale, out)

    def forward(self, x):
        return x.reshape(x.shape[0], -1) * self.scale
