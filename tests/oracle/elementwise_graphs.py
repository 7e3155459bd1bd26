"""Random Elementwise, Mask and analog per-step steps for ``tests/core/random_graphs.py``.

Operands are drawn as event tensors (the current spikes, the same tensor
twice, fresh spikes, or spikes of a reduced shape that broadcast), analog
tensors (a synaptic node's output) and constants of full, per-axis or
scalar shape. In the exact family only the ops that keep dyadic values
dyadic are drawn (division only by a power of two).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mstsim.ir import Mean
from mstsim.ir.analog import ELEMENTWISE, Elementwise, Gelu, LayerNorm, Softmax
from mstsim.ir.attention import Mask

EXACT_OPS = ["add", "sub", "mul", "div", "max", "min", "equal", "greater", "less", "where", "clip", "relu", "floor",
             "round", "neg", "abs", "trunc", "ne0"]
ALL_OPS = sorted(ELEMENTWISE)
#: operand slots that must be positive (division, square root, powers) in the generic family
POSITIVE = {"div": (1,), "reciprocal": (0,), "sqrt": (0,), "pow": (0,)}
RATIOS = [0.0, 0.25, 0.5, 0.75, 1.0]


def _const_shape(b, shape):
    options = [shape, ()] + [tuple(n if a == k else 1 for a, n in enumerate(shape)) for k in range(len(shape))]
    options.append(shape[1:])  # fewer axes: right-aligned broadcasting
    return b.draw(st.sampled_from(options))


def _constant(b, shape, positive):
    cshape = _const_shape(b, shape)
    if b.exact and positive:  # an exact division: by a power of two
        return np.full(cshape, b.draw(st.sampled_from([0.5, 2.0, 4.0, -2.0])))
    if positive:
        return b.rng.uniform(0.5, 2.0, size=cshape)
    return b.values(cshape)


def _positive(b, src):
    """|x| + c with c >= 1/2: a safe denominator, root or base."""
    a = b.g.add(Elementwise(b.name("abs"), (src,), op="abs"))
    return b.g.add(Elementwise(b.name("add"), (a,), op="add", operands=(0, np.array(b.rng.uniform(0.5, 1.0)))))


def _dynamic(b, cur, kind, first):
    if kind == "event":
        choice = "cur" if first else b.draw(st.sampled_from(["cur", "fresh", "reduced"]))
        if choice == "cur":
            return cur
        if choice == "fresh" or len(b.shape(cur)) < 2:
            return b.spiking(b.analog_of(cur))
        axes = (1, 2) if len(b.shape(cur)) == 3 else (0,)
        return b.spiking(b.g.add(Mean(b.name("mean"), (cur,), axes=axes, keepdims=True)))
    return b.analog_of(cur)


def elementwise_step(b, cur: str, op: str | None = None) -> str:
    """``cur`` -> Elementwise(op, operands) -> IF (op drawn when not given)."""
    op = op or b.draw(st.sampled_from(EXACT_OPS if b.exact else ALL_OPS))
    arity = ELEMENTWISE[op][1]
    kinds = [b.draw(st.sampled_from(["event", "analog", "const"])) for _ in range(arity)]
    if b.exact and op == "div":
        kinds[1] = "const"
    if all(k == "const" for k in kinds):
        kinds[0] = "event"
    inputs, operands, first = [], [], True
    for slot, kind in enumerate(kinds):
        positive = slot in POSITIVE.get(op, ())
        if kind == "const":
            operands.append(_constant(b, b.shape(cur), positive))
            continue
        src = _dynamic(b, cur, kind, first)
        first = False
        if positive and not b.exact:
            src = _positive(b, src)
        operands.append(len(inputs))
        inputs.append(src)
    y = b.g.add(Elementwise(b.name(op), tuple(inputs), op=op, operands=tuple(operands)))
    return b.spiking(y)


def mask_step(b, cur: str) -> str:
    """Random Spike Masking of the spikes (events dropped) or of an analog tensor (then an IF)."""
    ratio = b.draw(st.sampled_from(RATIOS))
    if b.draw(st.booleans()):
        return b.g.add(Mask(b.name("rsm"), (cur,), ratio=ratio))
    return b.spiking(b.g.add(Mask(b.name("rsm"), (b.analog_of(cur),), ratio=ratio)))


def unary_analog_step(b, kind: str, cur: str) -> str:
    """LayerNorm, Gelu or Softmax of the spikes or of an analog tensor, then an IF."""
    src = b.analog_of(cur) if b.draw(st.booleans()) else cur
    shape = b.shape(src)
    axis = b.draw(st.integers(-len(shape), -1))
    if kind == "layernorm":
        inner = shape[axis % len(shape):]
        w = b.rng.normal(1.0, 0.3, size=inner[-1:] if b.draw(st.booleans()) else inner)
        node = LayerNorm(b.name("ln"), (src,), axis=axis, eps=b.draw(st.sampled_from([1e-5, 1e-3])),
                         weight=w if b.draw(st.booleans()) else None,
                         bias=b.values(inner) if b.draw(st.booleans()) else None)
    elif kind == "gelu":
        node = Gelu(b.name("gelu"), (src,), approximate=b.draw(st.sampled_from(["none", "tanh"])))
    else:
        node = Softmax(b.name("softmax"), (src,), axis=axis)
    return b.spiking(b.g.add(node))
