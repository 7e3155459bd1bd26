"""Conversion state shared by the converters, and the batch bookkeeping.

The exporters bake a batch size B into the graph; the IR is per sample.
Every dynamic tensor is a :class:`Value`: the IR node computing it, its
full ONNX shape, and the axis ``bax`` whose size is ``B * k`` with the
batch as the outer factor (``(B_, N, C)`` with ``B_ = B * windows`` after a
window partition has ``k = windows``). The per-sample shape is the full one
with that axis replaced by k, or dropped when k == 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper

from mstsim.ir import Graph, Node

from .errors import REEXPORT_HINT, BatchError, UnsupportedUse, node_label


@dataclass(frozen=True)
class Value:
    """A dynamic tensor: IR node name, full ONNX shape, batch axis and per-sample factor."""

    node: str
    full: tuple[int, ...]
    bax: int = 0
    k: int = 1

    @property
    def shape(self) -> tuple[int, ...]:
        """Per-sample shape."""
        if self.k == 1:
            return self.full[:self.bax] + self.full[self.bax + 1:]
        return self.full[:self.bax] + (self.k,) + self.full[self.bax + 1:]

    @property
    def squeezed(self) -> bool:
        return self.k == 1


class Ctx:
    """What a converter sees: constants, dynamic values, the IR under construction."""

    def __init__(self, source: str, opsets: dict[str, int], consts: dict, shapes: dict, batch: int,
                 used: set[str] | None = None):
        self.source, self.opsets, self.batch = source, opsets, batch
        self._used = used  # tensors read by some node or a graph output (None: all count as used)
        self.consts: dict[str, np.ndarray] = consts
        self.shapes: dict[str, tuple[int, ...]] = shapes
        self.values: dict[str, Value] = {}
        self.graph = Graph()
        self.provenance: dict[str, str] = {}  # IR node -> ONNX node name
        self.modules: dict[str, str] = {}  # IR node -> torch module path (see scopes.py)
        self.module: str | None = None  # the module of the ONNX node being converted
        self.node: onnx.NodeProto | None = None  # the ONNX node being converted
        self._names: set[str] = set()

    # -- the node being converted ------------------------------------------------
    def attrs(self) -> dict:
        return {a.name: helper.get_attribute_value(a) for a in self.node.attribute}

    def attr(self, name: str, default=None):
        return self.attrs().get(name, default)

    def opset(self) -> int:
        return self.opsets.get("", 1)

    def error(self, message: str, cls=UnsupportedUse) -> Exception:
        return cls(f"{self.source}: {node_label(self.node)}: {message}")

    def used(self, name: str) -> bool:
        """Whether tensor ``name`` is read by a node or is a graph output (optional outputs often are not)."""
        return bool(name) and (self._used is None or name in self._used)

    # -- tensors ------------------------------------------------------------------
    def is_const(self, name: str) -> bool:
        return name in self.consts

    def const(self, name: str, what: str = "this input") -> np.ndarray:
        if name not in self.consts:
            raise self.error(f"{what} ({name!r}) must be a constant, it depends on the network input")
        return self.consts[name]

    def input_const(self, index: int, default=None):
        """The constant at input ``index`` (None/default if absent or empty)."""
        if index >= len(self.node.input) or not self.node.input[index]:
            return default
        return self.const(self.node.input[index], f"input {index}")

    def value(self, name: str) -> Value:
        if name not in self.values:
            raise self.error(f"input {name!r} is not a dynamic tensor of the network")
        return self.values[name]

    def out_shape(self, index: int = 0) -> tuple[int, ...]:
        name = self.node.output[index]
        if name not in self.shapes:
            raise self.error(f"shape of output {name!r} is unknown after shape inference")
        return self.shapes[name]

    # -- building the IR ------------------------------------------------------------
    def fresh(self, base: str | None = None) -> str:
        base = base or self.node.output[0] or self.node.name or self.node.op_type
        name, i = base, 1
        while name in self._names:
            i += 1
            name = f"{base}#{i}"
        self._names.add(name)
        return name

    def add(self, node: Node, full, bax: int, k: int = 1) -> Value:
        """Add ``node`` to the IR and return its value (checking the per-sample shape)."""
        self.graph.add(node)
        self.provenance[node.name] = self.node.name if self.node is not None else node.name
        if self.module is not None:
            self.modules[node.name] = self.module
        value = Value(node.name, tuple(int(n) for n in full), bax, k)
        if self.graph.shapes[node.name] != value.shape:
            raise self.error(f"internal shape mismatch for {node.name!r}: IR {self.graph.shapes[node.name]} "
                             f"vs per-sample {value.shape} of {value.full}")
        return value

    # -- batch bookkeeping -----------------------------------------------------------------
    def axis(self, v: Value, axis: int) -> int:
        """Per-sample index of full axis ``axis`` (refusing the batch axis)."""
        a = int(axis) % len(v.full)
        if a == v.bax:
            raise self.error(f"acts along the batch axis {a} of shape {v.full}; {REEXPORT_HINT}", BatchError)
        return a - 1 if (v.squeezed and a > v.bax) else a

    def reshape_batch(self, v: Value, out_full) -> tuple[int, int]:
        """(bax, k) of a reshape of ``v`` to ``out_full``: the batch factor must survive as an axis."""
        pre = int(np.prod(v.full[:v.bax]))
        acc = 1
        for j, n in enumerate(out_full):
            if acc == pre and n % self.batch == 0 and n >= self.batch:
                return j, n // self.batch
            acc *= n
            if acc > pre:
                break
        raise self.error(f"reshape {v.full} -> {tuple(out_full)} mixes the exported batch of {self.batch} "
                         f"with other axes; {REEXPORT_HINT}", BatchError)

    def broadcast(self, values: list[Value], rank: int) -> tuple[int, int]:
        """(bax, k) of an elementwise result of full rank ``rank`` (batch axes must line up)."""
        got = {(v.bax + rank - len(v.full), v.k) for v in values}
        if len(got) != 1:
            raise self.error(f"operands {[v.full for v in values]} hold the batch on different axes; "
                             f"{REEXPORT_HINT}", BatchError)
        return got.pop()

    def const_per_sample(self, c: np.ndarray, rank: int, bax: int, k: int) -> np.ndarray:
        """A constant operand broadcast against full rank ``rank``, made per sample."""
        c = np.asarray(c, dtype=np.float64)
        c = c.reshape((1,) * (rank - c.ndim) + c.shape)
        if c.shape[bax] != 1:
            raise self.error(f"constant of shape {c.shape} varies along the batch axis; {REEXPORT_HINT}",
                             BatchError)
        if k == 1:
            c = c.reshape(c.shape[:bax] + c.shape[bax + 1:])
        while c.ndim and c.shape[0] == 1:  # leading ones broadcast anyway
            c = c[0]
        return c
