"""Nodes with synapses: each input element reaches a fixed set of outputs.

On event input they run event-driven (every event is scattered to its
fan-out and costs one AC per target); on analog input they run dense and
cost MACs. Their output is always analog: the accumulators that the next
IF node integrates.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Node, Shape, as_array, pair, quad


def conv_out_size(n: int, k: int, stride: int, dilation: int, pad0: int, pad1: int) -> int:
    """Output length of a convolution or pooling window along one axis."""
    return (n + pad0 + pad1 - dilation * (k - 1) - 1) // stride + 1


@dataclass(eq=False)
class Affine(Node):
    """Dense affine map on the last axis (Linear, Gemm, MatMul by a constant).

    ``y[..., o] = sum_i W[o, i] * x[..., i] + b[o]``

    The leading axes (tokens) are independent: input ``(*lead, in)`` gives
    output ``(*lead, out)``. A folded BatchNorm is already inside W and b.
    """

    weight: np.ndarray = None  # (out, in)
    bias: np.ndarray | None = None  # (out,)

    def validate(self) -> None:
        self.weight = as_array(self.weight, "weight", self.name, ndim=2)
        if self.bias is not None:
            self.bias = as_array(self.bias, "bias", self.name, ndim=1)
            if self.bias.shape[0] != self.weight.shape[0]:
                raise self.bad(f"bias has {self.bias.shape[0]} entries for {self.weight.shape[0]} outputs")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shape = in_shapes[0]
        if len(shape) < 1 or shape[-1] != self.weight.shape[1]:
            raise self.mismatch(f"weight expects last axis {self.weight.shape[1]}, input has shape {shape}")
        return shape[:-1] + (self.weight.shape[0],)


@dataclass(eq=False)
class Conv2d(Node):
    """2-D convolution (cross-correlation) of a ``(C_in, H, W)`` input.

    ``y[co, oy, ox] = b[co] + sum_{ci in group(co), ky, kx}
    W[co, ci - g*C_in/G, ky, kx] * x[ci, oy*s_h - p_top + ky*d_h, ox*s_w - p_left + kx*d_w]``

    with zero outside the input. ``padding`` is (top, left, bottom, right).
    """

    weight: np.ndarray = None  # (C_out, C_in / groups, kh, kw)
    bias: np.ndarray | None = None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1

    def validate(self) -> None:
        self.weight = as_array(self.weight, "weight", self.name, ndim=4)
        self.stride = pair(self.stride, "stride", self.name)
        self.dilation = pair(self.dilation, "dilation", self.name)
        self.padding = quad(self.padding, "padding", self.name)
        self.groups = int(self.groups)
        if min(self.stride) < 1 or min(self.dilation) < 1 or self.groups < 1:
            raise self.bad("stride, dilation and groups must be >= 1")
        if self.weight.shape[0] % self.groups:
            raise self.bad(f"{self.weight.shape[0]} output channels do not split into {self.groups} groups")
        if self.bias is not None:
            self.bias = as_array(self.bias, "bias", self.name, ndim=1)
            if self.bias.shape[0] != self.weight.shape[0]:
                raise self.bad(f"bias has {self.bias.shape[0]} entries for {self.weight.shape[0]} channels")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shape = in_shapes[0]
        if len(shape) != 3:
            raise self.mismatch(f"expects (C, H, W), got {shape}")
        cin = self.weight.shape[1] * self.groups
        if shape[0] != cin:
            raise self.mismatch(f"weight expects {cin} input channels, input has shape {shape}")
        kh, kw = self.weight.shape[2:]
        pt, pl, pb, pr = self.padding
        ho = conv_out_size(shape[1], kh, self.stride[0], self.dilation[0], pt, pb)
        wo = conv_out_size(shape[2], kw, self.stride[1], self.dilation[1], pl, pr)
        if ho < 1 or wo < 1:
            raise self.mismatch(f"kernel {kh}x{kw} does not fit input {shape} with this padding")
        return (self.weight.shape[0], ho, wo)


@dataclass(eq=False)
class AvgPool2d(Node):
    """Average pooling of a ``(C, H, W)`` input.

    ``y[c, oy, ox] = (1 / n(oy, ox)) * sum_{ky, kx} x[c, oy*s_h - p_top + ky, ox*s_w - p_left + kx]``

    where n is kh*kw when ``count_include_pad`` (PyTorch's default) and the
    number of window positions inside the input otherwise (ONNX's default).
    Implemented as a sum-pool (one AC per event and window) followed by one
    scaling per output element.
    """

    kernel: tuple[int, int] = (2, 2)
    stride: tuple[int, int] | None = None
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    count_include_pad: bool = True

    def validate(self) -> None:
        self.kernel = pair(self.kernel, "kernel", self.name)
        self.stride = pair(self.stride if self.stride is not None else self.kernel, "stride", self.name)
        self.padding = quad(self.padding, "padding", self.name)
        if min(self.kernel) < 1 or min(self.stride) < 1:
            raise self.bad("kernel and stride must be >= 1")
        pt, pl, pb, pr = self.padding
        # a window made only of padding would divide by zero without count_include_pad
        if max(pt, pb) > self.kernel[0] // 2 or max(pl, pr) > self.kernel[1] // 2:
            raise self.bad(f"padding {self.padding} must be at most half the kernel {self.kernel}")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shape = in_shapes[0]
        if len(shape) != 3:
            raise self.mismatch(f"expects (C, H, W), got {shape}")
        pt, pl, pb, pr = self.padding
        ho = conv_out_size(shape[1], self.kernel[0], self.stride[0], 1, pt, pb)
        wo = conv_out_size(shape[2], self.kernel[1], self.stride[1], 1, pl, pr)
        if ho < 1 or wo < 1:
            raise self.mismatch(f"pool {self.kernel} does not fit input {shape}")
        return (shape[0], ho, wo)

    def divisor(self, in_shape: Shape) -> np.ndarray:
        """n(oy, ox) as a ``(Ho, Wo)`` integer array."""
        _, h, w = in_shape
        _, ho, wo = self.infer_shape([in_shape])
        if self.count_include_pad:
            return np.full((ho, wo), self.kernel[0] * self.kernel[1], dtype=np.int64)
        pt, pl = self.padding[0], self.padding[1]
        ys = np.arange(ho) * self.stride[0] - pt
        xs = np.arange(wo) * self.stride[1] - pl
        ny = np.minimum(ys + self.kernel[0], h) - np.maximum(ys, 0)
        nx = np.minimum(xs + self.kernel[1], w) - np.maximum(xs, 0)
        return np.outer(ny, nx).astype(np.int64)


@dataclass(eq=False)
class Mean(Node):
    """Mean over some axes (global average pool, ReduceMean, token pooling).

    ``y[rest] = (1 / prod(shape[axes])) * sum_{axes} x``

    One AC per event (each element reaches exactly one output), then one
    scaling per output element.
    """

    axes: tuple[int, ...] = (-1,)
    keepdims: bool = False

    def validate(self) -> None:
        self.axes = tuple(int(a) for a in np.atleast_1d(self.axes))
        if not self.axes:
            raise self.bad("needs at least one axis")

    def norm_axes(self, shape: Shape) -> tuple[int, ...]:
        axes = []
        for a in self.axes:
            if not -len(shape) <= a < len(shape):
                raise self.mismatch(f"axis {a} out of range for shape {shape}")
            axes.append(a % len(shape))
        if len(set(axes)) != len(axes):
            raise self.bad(f"repeated axis in {self.axes}")
        return tuple(sorted(axes))

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shape = in_shapes[0]
        axes = self.norm_axes(shape)
        if self.keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(shape))
        return tuple(n for i, n in enumerate(shape) if i not in axes)


@dataclass(eq=False)
class ChannelAffine(Node):
    """Per-channel scale and shift (BatchNorm in inference form, kept unfolded).

    ``y = scale[c] * x + shift[c]`` with c the index along ``axis``.
    Each event is one AC (a synapse of weight scale[c]); the shift is one
    bias addition per element and step.
    """

    scale: np.ndarray = None
    shift: np.ndarray | None = None
    axis: int = 0

    def validate(self) -> None:
        self.scale = as_array(self.scale, "scale", self.name, ndim=1)
        if self.shift is not None:
            self.shift = as_array(self.shift, "shift", self.name, ndim=1)
            if self.shift.shape != self.scale.shape:
                raise self.bad(f"shift shape {self.shift.shape} differs from scale shape {self.scale.shape}")
        self.axis = int(self.axis)

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        shape = in_shapes[0]
        if not -len(shape) <= self.axis < len(shape):
            raise self.mismatch(f"axis {self.axis} out of range for shape {shape}")
        if shape[self.axis] != self.scale.shape[0]:
            raise self.mismatch(f"{self.scale.shape[0]} channels, input axis {self.axis} of {shape} differs")
        return shape
