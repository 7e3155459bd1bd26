"""Fuse QCFS chains ``lam * clip(floor(x * L / lam + 1/2) / L, 0, 1)`` into one IF.

Exporters emit many equivalent chains (Div or Mul by the reciprocal, clip
before or after the floor, Clip or Max/Min or Relu, operands either side),
so the matcher does not enumerate forms. Around each Floor it collects the
path of scalar elementwise ops (one dynamic input, scalar constants, single
consumer), evaluates candidate sub-chains on probe points in float64, and
accepts the longest one that equals a QCFS function: lam is its saturation
value, L its number of steps, and it must agree with QCFS(lam, L) on a
dense grid and just either side of every threshold.
"""
from __future__ import annotations

import numpy as np
from onnx import helper

from ..errors import UnsupportedUse, node_label
from ..registry import MSTSIM_DOMAIN
from .view import OnnxView

_MAX_SIDE = 8  # scalar ops looked at on each side of the Floor


def _scalar_fn(view: OnnxView, node):
    """The node as a float64 function of its one dynamic input, or None."""
    dyn = view.dynamic_inputs(node)
    if len(dyn) != 1 or node.domain not in ("", "ai.onnx"):
        return None
    consts = [i for i in node.input if i and i != dyn[0]]
    vals = [view.scalar(c) for c in consts]
    if any(v is None for v in vals):
        return None
    op, first = node.op_type, node.input[0] == dyn[0]
    c = vals[0] if vals else None
    if op in ("Add", "Mul", "Max", "Min") and c is not None:
        f = {"Add": np.add, "Mul": np.multiply, "Max": np.maximum, "Min": np.minimum}[op]
        return lambda x: f(x, c)
    if op == "Sub" and c is not None:
        return (lambda x: x - c) if first else (lambda x: c - x)
    if op == "Div" and c is not None:
        return (lambda x: x / c) if first else (lambda x: c / x)
    if op == "Clip":
        a = view.attrs(node)  # bounds are attributes before opset 11, optional inputs after
        lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
        if len(node.input) > 1 and node.input[1]:
            lo = view.scalar(node.input[1])
        if len(node.input) > 2 and node.input[2]:
            hi = view.scalar(node.input[2])
        return lambda x: np.clip(x, lo, hi)
    if op == "Relu":
        return lambda x: np.maximum(x, 0)
    if op == "Identity" or (op == "Cast" and view.attrs(node).get("to") in (1, 10, 11, 16)):
        return lambda x: x
    if op == "Floor":
        return np.floor
    return None


def _qcfs(x, lam, levels):
    return lam * np.clip(np.floor(x * levels / lam + 0.5) / levels, 0, 1)


def _distance_to_nearest(xs, ascending):
    """``min_j |xs - ascending[j]|`` per point, from the two neighbours of each point only.

    Rounding is monotone, so ``|fl(x - t)|`` grows as t moves away from x on
    either side: the minimum over all t is at the nearest one below or above,
    and this equals the full ``len(xs) x len(ascending)`` minimum bit for bit.
    """
    above = np.minimum(np.searchsorted(ascending, xs), len(ascending) - 1)
    below = np.maximum(above - 1, 0)
    return np.minimum(np.abs(xs - ascending[below]), np.abs(xs - ascending[above]))


def _count_distinct(ys) -> int:
    """``len(np.unique(ys))``, without the sort when ``ys`` is already non-decreasing (a staircase)."""
    if ys.size > 1 and np.all(ys[1:] >= ys[:-1]):  # (False at any NaN: np.unique then decides)
        return 1 + int(np.count_nonzero(ys[1:] != ys[:-1]))
    return len(np.unique(ys))


def match_qcfs(fns) -> tuple[float, int] | None:
    """(lam, L) if the composed function equals a QCFS, else None."""
    def g(x):
        with np.errstate(all="ignore"):
            for f in fns:
                x = f(np.asarray(x, dtype=np.float64))
        return x

    lam = float(g(np.array([1e30]))[0])
    if not (np.isfinite(lam) and lam > 0) or g(np.array([-1e30]))[0] != 0:
        return None
    xs = lam * np.linspace(-0.5, 1.5, 40001)
    ys = g(xs)
    levels = _count_distinct(ys) - 1
    if levels < 1 or levels > 4096:
        return None
    thresholds = lam * (np.arange(1, levels + 1) - 0.5) / levels
    near = _distance_to_nearest(xs, thresholds) < 1e-6 * lam
    if not np.allclose(ys[~near], _qcfs(xs[~near], lam, levels), rtol=1e-6, atol=1e-9 * lam):
        return None
    probe = np.concatenate([thresholds * (1 - 1e-5), thresholds * (1 + 1e-5)])
    if not np.allclose(g(probe), _qcfs(probe, lam, levels), rtol=1e-6, atol=1e-9 * lam):
        return None
    return lam, levels


def _chain_back(view, floor):
    out, name = [], floor.input[0]
    while len(out) < _MAX_SIDE and name in view.producer:
        node = view.producer[name]
        if _scalar_fn(view, node) is None or node.op_type == "Floor" or view.only_consumer(node.output[0]) is None:
            break
        out.append(node)
        name = view.dynamic_inputs(node)[0]
    return out


def _chain_forward(view, floor):
    out, node = [], floor
    while len(out) < _MAX_SIDE:
        nxt = view.only_consumer(node.output[0])
        if nxt is None or nxt.op_type == "Floor" or _scalar_fn(view, nxt) is None:
            break
        out.append(nxt)
        node = nxt
    return out


def _scale(view: OnnxView, node, divide_ok: bool) -> float | None:
    """The scalar c of ``x * c`` (or of ``x / c`` as 1/c when ``divide_ok``), else None."""
    if node is None or node.op_type not in (("Mul", "Div") if divide_ok else ("Mul",)):
        return None
    consts = [i for i in node.input if i not in view.dynamic_inputs(node)]
    if len(consts) != 1 or (node.op_type == "Div" and node.input[1] != consts[0]):
        return None
    c = view.scalar(consts[0])
    if c is None:
        return None
    with np.errstate(all="ignore"):
        return float(np.float64(1.0) / c) if node.op_type == "Div" else c


def _check_lam(view: OnnxView, floor, before, after) -> None:
    """Refuse ``x / lam -> (QCFS with lam 1) -> * lam`` when lam is zero, negative or not finite.

    With such a lam only the inner clip-floor matches a QCFS, and the outer
    scalings would silently stay analog ops around it.
    """
    inv, lam = _scale(view, before, True), _scale(view, after, False)
    if inv is None or lam is None:
        return
    valid = np.isfinite(lam) and lam > 0 and np.isfinite(inv) and inv > 0
    if not valid:
        raise UnsupportedUse(f"{view.source}: {node_label(after)}: the QCFS activation around "
                             f"Floor {floor.name or floor.output[0]!r} has lam = {lam:g} (input scaled by {inv:g}); lam must be "
                             "positive and finite: retrain or recalibrate that activation")


def fuse_qcfs(view: OnnxView, shapes: dict) -> int:
    """Replace every QCFS chain by one ``ai.mstsim::QCFS(theta, levels)``; return the count."""
    count = 0
    for floor in [n for n in view.nodes if n.op_type == "Floor"]:
        back, fwd = _chain_back(view, floor), _chain_forward(view, floor)
        combos = sorted(((i, j) for i in range(len(back) + 1) for j in range(len(fwd) + 1)),
                        key=lambda ij: -(ij[0] + ij[1]))
        for i, j in combos:
            chain = back[:i][::-1] + [floor] + fwd[:j]
            found = match_qcfs([_scalar_fn(view, n) for n in chain])
            if found is None:
                continue
            _check_lam(view, floor, back[i] if i < len(back) else None, fwd[j] if j < len(fwd) else None)
            x = view.dynamic_inputs(chain[0])[0]
            new = helper.make_node("QCFS", [x], [chain[-1].output[0]], name=chain[-1].name or chain[0].name,
                                   domain=MSTSIM_DOMAIN, theta=found[0], levels=found[1])
            view.replace(chain, new)
            count += 1
            break
    return count
