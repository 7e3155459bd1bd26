"""A small spiking self-attention block with MST's structure, built directly in the IR.

tokens -> IF -> qkv Linear -> q, k, v IFs -> RSM on q and k -> q k^T * scale
-> IF -> RSM -> + bias (-> softmax) -> P v -> IF -> proj Linear -> IF -> + shortcut
-> IF -> mean over tokens -> IF -> head. With ``softmax=False`` the scores go on
unnormalised (bias add only) so that every value stays dyadic and the engine
must match the oracle bit for bit.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mstsim.ir import IF, Add, Affine, Graph, Input, Mean, Output, remaps
from mstsim.ir.analog import Elementwise, Softmax
from mstsim.ir.attention import Mask, MatMul

from ..oracle.event_affine_graphs import batch_norm


def dyadic(rng, shape, scale=8.0, lo=-4, hi=4):
    return rng.integers(lo, hi + 1, size=shape) / scale


def attention_block(seed: int, *, tokens=6, heads=2, head_dim=3, ratio=0.5, softmax=True,
                    classes=4, mask_v=False) -> Graph:
    rng = np.random.default_rng(seed)
    n, h, d = tokens, heads, head_dim
    c = h * d
    g = Graph()
    g.add(Input("x", shape=(n, c)))
    g.add(IF("x_if", ("x",), theta=0.5, levels=8))
    g.add(Affine("qkv", ("x_if",), weight=dyadic(rng, (3 * c, c)), bias=dyadic(rng, (3 * c,))))
    # (n, 3c) -> (3, h, n, d): the split and head transpose as one remap per operand
    g.add(remaps.reshape("qkv_r", "qkv", (n, 3 * c), (n, 3, h, d)))
    g.add(remaps.transpose("qkv_t", "qkv_r", (n, 3, h, d), (1, 2, 0, 3)))
    for i, name in enumerate("qkv"):
        g.add(remaps.gather(f"{name}_sel", "qkv_t", (3, h, n, d), [i], 0))
        g.add(remaps.reshape(f"{name}_in", f"{name}_sel", (1, h, n, d), (h, n, d)))
        g.add(IF(f"{name}_if", (f"{name}_in",), theta=float(rng.choice([0.25, 0.5])), levels=8))
    g.add(Mask("q_rsm", ("q_if",), ratio=ratio, site="q"))
    g.add(Mask("k_rsm", ("k_if",), ratio=ratio, site="k"))
    v = "v_if"
    if mask_v:
        v = g.add(Mask("v_rsm", ("v_if",), ratio=ratio, site="v"))
    g.add(remaps.transpose("k_t", "k_rsm", (h, n, d), (0, 2, 1)))
    g.add(MatMul("scores", ("q_rsm", "k_t")))
    g.add(Elementwise("scale", ("scores",), op="mul", operands=(0, np.array(0.5))))
    g.add(IF("attn_if", ("scale",), theta=0.125, levels=8))
    g.add(Mask("attn_rsm", ("attn_if",), ratio=ratio, site="attn"))
    g.add(Elementwise("bias", ("attn_rsm",), op="add", operands=(0, dyadic(rng, (h, n, n), 16.0)), ))
    probs = g.add(Softmax("softmax", ("bias",), axis=-1)) if softmax else "bias"
    g.add(MatMul("pv", (probs, v)))
    g.add(IF("pv_if", ("pv",), theta=0.25, levels=8))
    g.add(remaps.transpose("pv_t", "pv_if", (h, n, d), (1, 0, 2)))
    g.add(remaps.reshape("pv_r", "pv_t", (n, h, d), (n, c)))
    g.add(Affine("proj", ("pv_r",), weight=dyadic(rng, (c, c))))
    g.add(IF("proj_if", ("proj",), theta=0.5, levels=8))
    g.add(Add("shortcut", ("proj_if", "x_if")))
    g.add(IF("res_if", ("shortcut",), theta=0.5, levels=8))
    g.add(Mean("pool", ("res_if",), axes=(0,)))
    # the mean divides by the token count: an IF keeps the head's input exact (spikes)
    g.add(IF("pool_if", ("pool",), theta=0.25, levels=8))
    g.add(Affine("head", ("pool_if",), weight=dyadic(rng, (classes, c)), bias=dyadic(rng, (classes,))))
    g.add(Output("logits", ("head",)))
    return g


def token_inputs(seed: int, batch: int, tokens=6, channels=6) -> np.ndarray:
    return np.random.default_rng(seed).integers(-8, 17, size=(batch, tokens, channels)) / 8.0


def random_attention(b, cur: str) -> str:
    """A randomly shaped spiking self-attention block on token spikes ``(n, c)``, drawn with builder ``b``.

    q, k, v from Affine + IF over tokens, split into windows and heads (k may
    have one head broadcast over the query heads); masks on q, k and the
    score spikes; q k^T (spike x spike) * scale -> IF -> Mask -> + bias
    (+ shift mask, broadcast over heads) -> softmax (generic family) -> P v
    (analog x spike) -> IF -> proj -> IF (+ shortcut -> IF). q, k, v and the shortcut read the
    spikes or a BatchNorm of them (an affine of events, as MST's residual stream).
    """
    g, draw = b.g, b.draw
    n, c = b.shape(cur)
    w = draw(st.sampled_from([k for k in (1, 2) if n % k == 0]))
    m, h, d = n // w, draw(st.integers(1, 2)), draw(st.integers(1, 3))

    # MST's blocks read the residual stream through a BatchNorm: an affine of events into qkv
    stream = batch_norm(b, cur) if draw(st.booleans()) else cur

    def heads(nh: int) -> str:
        s = b.spiking(b.affine(stream, nh * d))
        r = g.add(remaps.reshape(b.name("split"), s, (n, nh * d), (w, m, nh, d)))
        return g.add(remaps.transpose(b.name("heads"), r, (w, m, nh, d), (0, 2, 1, 3)))

    def maybe_mask(src: str) -> str:
        if draw(st.booleans()):
            return g.add(Mask(b.name("rsm"), (src,), ratio=draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))))
        return src

    q = maybe_mask(heads(h))
    nk = 1 if draw(st.booleans()) else h
    k = maybe_mask(heads(nk))
    v = heads(h)
    kt = g.add(remaps.transpose(b.name("kt"), k, (w, nk, m, d), (0, 1, 3, 2)))
    scores = g.add(MatMul(b.name("scores"), (q, kt)))
    factor = draw(st.sampled_from([0.5, 0.25])) if b.exact else b.rng.uniform(0.3, 0.7)
    scaled = g.add(Elementwise(b.name("scale"), (scores,), op="mul", operands=(0, np.array(factor))))
    attn = maybe_mask(b.spiking(scaled))
    biased = g.add(Elementwise(b.name("bias"), (attn,), op="add", operands=(0, b.values((h, m, m), scale=0.3))))
    if w > 1 or draw(st.booleans()):
        shift = b.rng.choice([0.0, -1.0 if b.exact else -100.0], size=(w, 1, m, m))
        biased = g.add(Elementwise(b.name("shift"), (biased,), op="add", operands=(0, shift)))
    probs = g.add(Softmax(b.name("softmax"), (biased,), axis=-1)) if not b.exact and draw(st.integers(0, 3)) else biased
    pv = b.spiking(g.add(MatMul(b.name("pv"), (probs, v))))
    back = g.add(remaps.transpose(b.name("merge"), pv, (w, h, m, d), (0, 2, 1, 3)))
    tokens = g.add(remaps.reshape(b.name("tokens"), back, (w, m, h, d), (n, h * d)))
    out = b.spiking(b.affine(tokens, c))
    if draw(st.booleans()):
        out = b.spiking(g.add(Add(b.name("shortcut"), (out, stream))))  # events + events, or an affine of events
    return out


def random_products(b, cur: str) -> str:
    """Products of dynamic tensors on token spikes ``(n, c)``: analog x analog or spike x analog, then spike x spike.

    ``S = A @ B^T`` (A analog) or ``S = cur @ B^T`` with B an analog tensor
    moved by a transpose remap; S -> IF -> ``S_spikes @ cur`` -> IF.
    """
    g = b.g
    n, c = b.shape(cur)
    bt = g.add(remaps.transpose(b.name("bt"), b.analog_of(cur), (n, c), (1, 0)))
    left = b.analog_of(cur) if b.draw(st.booleans()) else cur
    s = b.spiking(g.add(MatMul(b.name("gram"), (left, bt))))
    return b.spiking(g.add(MatMul(b.name("mix"), (s, cur))))
