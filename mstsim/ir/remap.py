"""Index remaps: data movement expressed as one precomputed gather map.

Reshape, Flatten, Transpose, Slice, Concat, roll, zero padding, Gather with
constant indices, window partition: each is "output element j is input
element src[j]" (or zero). On events the engine inverts the map once at
build time and moves each event to its targets; nothing is densified and no
operation is counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np

from .base import ANALOG, EVENT, Node, Shape
from .errors import GraphError


@dataclass(eq=False)
class Remap(Node):
    """Gather from the inputs, flattened and laid end to end.

    ``y.flat[j] = concat(x_1.flat, x_2.flat, ...)[src[j]]``, or 0 where ``src[j] = -1``.

    ``in_shapes`` are the shapes the map was built for; ``op`` names what it
    came from (for reports only). Build it with the functions below.
    """

    in_shapes: tuple[tuple[int, ...], ...] = ()
    out_shape: tuple[int, ...] = ()
    src: np.ndarray = None
    op: str = "remap"

    arity: ClassVar[int | None] = None

    def validate(self) -> None:
        self.in_shapes = tuple(tuple(int(n) for n in s) for s in self.in_shapes)
        self.out_shape = tuple(int(n) for n in self.out_shape)
        if len(self.in_shapes) != len(self.inputs):
            raise self.bad(f"{len(self.inputs)} inputs but {len(self.in_shapes)} input shapes")
        self.src = np.ascontiguousarray(np.asarray(self.src, dtype=np.int64).reshape(-1))
        total = sum(int(np.prod(s)) for s in self.in_shapes)
        if self.src.size != int(np.prod(self.out_shape)):
            raise self.bad(f"map has {self.src.size} entries for output shape {self.out_shape}")
        if self.src.size and (self.src.min() < -1 or self.src.max() >= total):
            raise self.bad("map refers outside its inputs")

    def infer_shape(self, in_shapes: list[Shape]) -> Shape:
        for i, (got, want) in enumerate(zip(in_shapes, self.in_shapes)):
            if tuple(got) != want:
                raise self.mismatch(f"{self.op} was built for input shape {want}, input has {tuple(got)}", i)
        return self.out_shape

    def output_kind(self, in_kinds: list[str]) -> str:
        return EVENT if all(k == EVENT for k in in_kinds) else ANALOG


def _index(shape: Shape) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def _make(name: str, inputs: Sequence[str], in_shapes: Sequence[Shape], out: np.ndarray, op: str) -> Remap:
    return Remap(name=name, inputs=tuple(inputs), in_shapes=tuple(tuple(s) for s in in_shapes),
                 out_shape=out.shape, src=out.reshape(-1), op=op)


def reshape(name: str, x: str, in_shape: Shape, shape: Sequence[int]) -> Remap:
    """Reshape in C order (one dimension may be -1)."""
    try:
        out = _index(in_shape).reshape(tuple(int(n) for n in shape))
    except ValueError as exc:
        raise GraphError(f"node {name!r} (Reshape) from {x!r}: cannot reshape {tuple(in_shape)} to {tuple(shape)}") from exc
    return _make(name, [x], [in_shape], out, "Reshape")


def flatten(name: str, x: str, in_shape: Shape, start_axis: int = 0) -> Remap:
    """Collapse the axes from ``start_axis`` on (per sample) into one."""
    idx = _index(in_shape)
    lead = idx.shape[:start_axis]
    return _make(name, [x], [in_shape], idx.reshape(lead + (-1,)), "Flatten")


def transpose(name: str, x: str, in_shape: Shape, perm: Sequence[int]) -> Remap:
    perm = tuple(int(p) for p in perm)
    if sorted(p % len(in_shape) for p in perm) != list(range(len(in_shape))):
        raise GraphError(f"node {name!r} (Transpose) from {x!r}: perm {perm} does not fit shape {tuple(in_shape)}")
    return _make(name, [x], [in_shape], np.transpose(_index(in_shape), perm), "Transpose")


def slice_(name: str, x: str, in_shape: Shape, starts, ends, axes, steps=None) -> Remap:
    """ONNX-style Slice (negative and out-of-range bounds are clamped)."""
    idx = _index(in_shape)
    key = [slice(None)] * idx.ndim
    steps = steps if steps is not None else [1] * len(axes)
    for s, e, a, st in zip(starts, ends, axes, steps):
        if int(st) == 0:
            raise GraphError(f"node {name!r} (Slice): step 0 on axis {a}")
        key[int(a) % idx.ndim] = slice(int(s), int(e), int(st))
    out = idx[tuple(key)]
    if out.size == 0:
        raise GraphError(f"node {name!r} (Slice) from {x!r}: empty result from shape {tuple(in_shape)}")
    return _make(name, [x], [in_shape], out, "Slice")


def concat(name: str, xs: Sequence[str], in_shapes: Sequence[Shape], axis: int) -> Remap:
    parts, offset = [], 0
    for shape in in_shapes:
        parts.append(_index(shape) + offset)
        offset += int(np.prod(shape))
    try:
        out = np.concatenate(parts, axis=axis)
    except ValueError as exc:
        raise GraphError(f"node {name!r} (Concat) of {list(xs)}: shapes {list(map(tuple, in_shapes))} "
                         f"do not concatenate on axis {axis}") from exc
    return _make(name, xs, in_shapes, out, "Concat")


def roll(name: str, x: str, in_shape: Shape, shifts: Sequence[int], axes: Sequence[int]) -> Remap:
    """``torch.roll`` / ``numpy.roll``: element i moves to i + shift (cyclic)."""
    out = np.roll(_index(in_shape), tuple(int(s) for s in shifts), tuple(int(a) for a in axes))
    return _make(name, [x], [in_shape], out, "roll")


def pad(name: str, x: str, in_shape: Shape, pads: Sequence[tuple[int, int]]) -> Remap:
    """Zero padding, ``pads[i] = (before, after)`` for axis i."""
    out = np.pad(_index(in_shape), [tuple(int(v) for v in p) for p in pads], constant_values=-1)
    return _make(name, [x], [in_shape], out, "Pad")


def gather(name: str, x: str, in_shape: Shape, indices, axis: int) -> Remap:
    """``numpy.take`` with constant indices (negative indices wrap)."""
    idx = _index(in_shape)
    indices = np.asarray(indices, dtype=np.int64)
    n = idx.shape[axis]
    if indices.size and (indices.min() < -n or indices.max() >= n):
        raise GraphError(f"node {name!r} (Gather) from {x!r}: index out of range for axis {axis} of size {n}")
    return _make(name, [x], [in_shape], np.take(idx, indices % n, axis=axis), "Gather")


def window_partition(name: str, x: str, in_shape: Shape, window: int) -> Remap:
    """Swin window partition: ``(H, W, C)`` to ``(H/w * W/w, w*w, C)``."""
    h, w, c = in_shape
    if h % window or w % window:
        raise GraphError(f"node {name!r} (window partition): {h}x{w} is not a multiple of window {window}")
    idx = _index(in_shape).reshape(h // window, window, w // window, window, c)
    out = idx.transpose(0, 2, 1, 3, 4).reshape(-1, window * window, c)
    return _make(name, [x], [in_shape], out, "window_partition")


def compose(name: str, first: Remap, second: Remap) -> Remap:
    """One remap equal to ``second`` applied after ``first`` (second has one input)."""
    if len(second.inputs) != 1 or second.in_shapes[0] != first.out_shape:
        raise GraphError(f"node {name!r}: cannot compose {first.name!r} and {second.name!r}")
    src = np.where(second.src >= 0, first.src[np.maximum(second.src, 0)], -1)
    return Remap(name=name, inputs=first.inputs, in_shapes=first.in_shapes, out_shape=second.out_shape,
                 src=src, op=f"{first.op}+{second.op}")
