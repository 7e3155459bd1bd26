"""Composed pool-then-consumer fan-out tables (pool_rule="through") against brute force.

The reference materialises window membership, every remap and the consumer's
synapses as dense boolean matrices, composes them and counts distinct outputs.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from mstsim.engine.through import through_tables
from mstsim.ir import (IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, GraphError, Input, Mean, MstsimError,
                       Output, Remap, remaps)


# -- brute force ------------------------------------------------------------------
def pool_matrix(node, in_shape, out_shape):
    m = np.zeros((int(np.prod(in_shape)), int(np.prod(out_shape))), bool)
    if isinstance(node, Mean):
        axes = node.norm_axes(in_shape)
        keep = tuple(1 if a in axes else n for a, n in enumerate(in_shape))
        for i, idx in enumerate(np.ndindex(*in_shape)):
            m[i, np.ravel_multi_index(tuple(0 if a in axes else v for a, v in enumerate(idx)), keep)] = True
        return m
    c, h, w = in_shape
    for k, (ch, oy, ox) in enumerate(np.ndindex(*out_shape)):
        for ky in range(node.kernel[0]):
            for kx in range(node.kernel[1]):
                y, x = oy * node.stride[0] - node.padding[0] + ky, ox * node.stride[1] - node.padding[1] + kx
                if 0 <= y < h and 0 <= x < w:
                    m[np.ravel_multi_index((ch, y, x), in_shape), k] = True
    return m


def synapse_matrices(node, in_shape, out_shape):
    """(structural, non-zero weight) synapses of a consumer as dense bool (inputs, outputs)."""
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    if isinstance(node, IF):
        return np.eye(n_in, dtype=bool), np.eye(n_in, dtype=bool)
    s, e = np.zeros((n_in, n_out), bool), np.zeros((n_in, n_out), bool)
    if isinstance(node, Affine):
        for j, idx in enumerate(np.ndindex(*in_shape)):
            for o in range(node.weight.shape[0]):
                t = np.ravel_multi_index(idx[:-1] + (o,), out_shape)
                s[j, t], e[j, t] = True, node.weight[o, idx[-1]] != 0
        return s, e
    cin, h, w = in_shape
    cin_g, kh, kw = node.weight.shape[1:]
    for t, (co, oy, ox) in enumerate(np.ndindex(*out_shape)):
        g = co // (out_shape[0] // node.groups)
        for i, ky, kx in np.ndindex(cin_g, kh, kw):
            y = oy * node.stride[0] - node.padding[0] + ky * node.dilation[0]
            x = ox * node.stride[1] - node.padding[1] + kx * node.dilation[1]
            if 0 <= y < h and 0 <= x < w:
                j = np.ravel_multi_index((g * cin_g + i, y, x), in_shape)
                s[j, t] = True
                e[j, t] |= node.weight[co, i, ky, kx] != 0
    return s, e


def brute_tables(graph, pool_name):
    pool = graph[pool_name]
    reach = pool_matrix(pool, graph.shapes[pool.inputs[0]], graph.shapes[pool_name])
    out, stack = {}, [(pool_name, reach)]
    while stack:
        name, reach = stack.pop()
        for cname in graph.consumers[name]:
            node = graph[cname]
            if isinstance(node, Remap) and len(node.inputs) == 1:
                r = np.zeros((reach.shape[1], node.src.size), bool)
                r[node.src[node.src >= 0], np.flatnonzero(node.src >= 0)] = True
                stack.append((cname, (reach.astype(int) @ r) > 0))
            elif isinstance(node, (Affine, Conv2d, IF)):
                s, e = synapse_matrices(node, graph.shapes[name], graph.shapes[cname])
                out[cname] = tuple(((reach.astype(int) @ m) > 0).sum(1) for m in (s, e))
            else:
                return None
    return out or None


def assert_tables(graph, pool="p"):
    got, want = through_tables(graph, pool), brute_tables(graph, pool)
    assert want is not None and got.keys() == want.keys()
    for name in want:
        for g, w in zip(got[name], want[name]):
            assert g.dtype == np.int64 and g.shape == w.shape
            np.testing.assert_array_equal(g, w, err_msg=name)


def sparse_weights(rng, shape):
    return rng.integers(-1, 3, size=shape) * (rng.random(shape) < 0.6)


# -- Hypothesis: random pools, remap chains and consumers ---------------------------
@st.composite
def pooled(draw, overlapping=False):
    """A graph with an event input and a pool ``p``; returns (graph, rng)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    g = Graph()
    if overlapping or draw(st.booleans()):
        kh, kw = draw(st.integers(1 + overlapping, 3)), draw(st.integers(1 + overlapping, 3))
        pads = tuple(draw(st.integers(0, k // 2)) for k in (kh, kw, kh, kw))
        h, w = draw(st.integers(max(1, kh - pads[0] - pads[2]), 6)), draw(st.integers(max(1, kw - pads[1] - pads[3]), 6))
        g.add(Input("x", (), shape=(draw(st.integers(1, 3)), h, w), kind="event"))
        sy, sx = (draw(st.integers(1, k - 1 if overlapping else 3)) for k in (kh, kw))
        g.add(AvgPool2d("p", ("x",), kernel=(kh, kw), stride=(sy, sx),
                        padding=pads, count_include_pad=draw(st.booleans())))
    else:
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=2, max_size=3)))
        axes = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                             unique_by=lambda a: a % len(shape)))
        g.add(Input("x", (), shape=shape, kind="event"))
        g.add(Mean("p", ("x",), axes=tuple(axes), keepdims=draw(st.booleans())))
    return g, rng


def add_remap(draw, g, x, name, keep_rank=None):
    shape = g.shapes[x]
    ops = ["transpose", "slice", "gather", "pad", "roll"] + (["flatten", "reshape"] if keep_rank is None else [])
    op = draw(st.sampled_from(ops))
    axis = draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    if op == "transpose":  # into a conv, one mixing axes takes the unstructured path
        return g.add(remaps.transpose(name, x, shape, draw(st.permutations(range(len(shape))))))
    if op == "slice":
        start = draw(st.integers(0, n - 1))
        return g.add(remaps.slice_(name, x, shape, [start], [draw(st.integers(start + 1, n))], [axis],
                                   [draw(st.integers(1, 2))]))
    if op == "gather":  # may repeat or drop positions
        return g.add(remaps.gather(name, x, shape, draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)), axis))
    if op == "pad":
        pads = [(0, 0)] * len(shape)
        pads[axis] = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        return g.add(remaps.pad(name, x, shape, pads))
    if op == "roll":
        return g.add(remaps.roll(name, x, shape, [draw(st.integers(-3, 3))], [axis]))
    if op == "flatten":
        return g.add(remaps.flatten(name, x, shape, draw(st.integers(0, len(shape) - 1))))
    return g.add(remaps.reshape(name, x, shape, (int(np.prod(shape)),)))


def add_branch(draw, g, rng, tag, kind=None):
    kind = kind or draw(st.sampled_from(["affine", "conv", "if"]))
    x = draw(st.sampled_from([n.name for n in g if isinstance(n, Remap) or n.name == "p"]))  # branch anywhere
    x = x if g.shapes[x] else g.add(remaps.reshape(f"{tag}s", x, (), (1,)))  # a Mean to a scalar
    if kind == "conv" and len(g.shapes[x]) != 3:
        kind = "affine"
    for i in range(draw(st.integers(0, 3))):
        x = add_remap(draw, g, x, f"{tag}r{i}", keep_rank=3 if kind == "conv" else None)
    shape = g.shapes[x]
    if kind == "if":
        return g.add(IF(f"{tag}if", (x,)))
    if kind == "affine":
        return g.add(Affine(f"{tag}fc", (x,), weight=sparse_weights(rng, (draw(st.integers(1, 4)), shape[-1]))))
    groups = draw(st.sampled_from([d for d in (1, 2, 3) if shape[0] % d == 0]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
    span_y, span_x = dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1
    if shape[1] + pads[0] + pads[2] < span_y or shape[2] + pads[1] + pads[3] < span_x:
        pads = (span_y, span_x, span_y, span_x)
    weight = sparse_weights(rng, (groups * draw(st.integers(1, 2)), shape[0] // groups, kh, kw))
    return g.add(Conv2d(f"{tag}conv", (x,), weight=weight, stride=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
                        padding=pads, dilation=dil, groups=groups))


@given(st.data())
def test_tables_equal_brute_force(data):
    g, rng = data.draw(pooled())
    for b in range(data.draw(st.integers(1, 2))):
        add_branch(data.draw, g, rng, f"b{b}")
    assert_tables(g)


@given(st.data(), st.sampled_from(["conv", "affine"]))
def test_overlapping_windows_equal_brute_force(data, kind):
    g, rng = data.draw(pooled(overlapping=True))
    add_branch(data.draw, g, rng, "b", kind)
    assert_tables(g)


# -- worked examples --------------------------------------------------------------
def test_pool_flatten_linear_reaches_every_output():
    g = Graph([Input("x", (), shape=(1, 4, 4), kind="event"), AvgPool2d("p", ("x",), kernel=(2, 2), stride=(2, 2))])
    g.add(remaps.flatten("f", "p", g.shapes["p"]))
    weight = np.ones((3, 4))
    weight[1, 2] = 0  # column 2 is the pooled element of the bottom-left window
    g.add(Affine("fc", ("f",), weight=weight))
    fan, eff = through_tables(g, "p")["fc"]
    np.testing.assert_array_equal(fan, np.full(16, 3))
    expect = np.full((4, 4), 3)
    expect[2:, :2] = 2
    np.testing.assert_array_equal(eff, expect.reshape(-1))


def test_overlapping_pool_into_conv_counts_unions():
    # 3x3 stride 1 pad 1 pool then 3x3 pad 1 conv: along an axis y reaches outputs y-2 .. y+2 (clipped)
    g = Graph([Input("x", (), shape=(1, 5, 5), kind="event"),
               AvgPool2d("p", ("x",), kernel=(3, 3), stride=(1, 1), padding=(1, 1, 1, 1))])
    weight = np.zeros((2, 1, 3, 3))
    weight[0] = 1.0
    weight[1, 0, 0, 0] = 1.0  # channel 1 reads pooled row oy - 1: output oy + 1 for pooled row oy
    g.add(Conv2d("c", ("p",), weight=weight, padding=(1, 1, 1, 1)))
    fan, eff = (t.reshape(5, 5) for t in through_tables(g, "p")["c"])
    # corner 2 x 3 x 3, edge 2 x 3 x 5, centre 2 x 5 x 5 (a sum over the 9 windows would give 162)
    assert (fan[0, 0], fan[0, 2], fan[2, 2], fan[4, 4]) == (18, 30, 50, 18)
    # channel 0: as fan / 2; channel 1: pooled rows {y-1, y, y+1} that are <= 3, each to one output
    assert (eff[0, 0], eff[0, 2], eff[2, 2], eff[4, 4]) == (9 + 4, 15 + 6, 25 + 9, 9 + 1)
    assert_tables(g)


def test_if_counts_distinct_neurons_of_copies():
    g = Graph([Input("x", (), shape=(1, 4), kind="event"), Mean("p", ("x",), axes=(0,), keepdims=False)])
    g.add(remaps.gather("dup", "p", (4,), [0, 0, 1, 3], 0))
    g.add(IF("n", ("dup",)))
    fan, eff = through_tables(g, "p")["n"]
    np.testing.assert_array_equal(fan, [2, 1, 0, 1])
    np.testing.assert_array_equal(eff, fan)


# -- what the rule does not route -------------------------------------------------
def _pool_graph():
    return Graph([Input("x", (), shape=(2, 4, 4), kind="event"), AvgPool2d("p", ("x",), kernel=(2, 2))])


FLAT = [lambda g: g.add(remaps.flatten("f", "p", (2, 2, 2)))]
TAILS = {
    "output": FLAT + [lambda g: g.add(Output("out", ("f",)))],
    "add": [lambda g: g.add(Add("a", ("p", "p")))],
    "concat": [lambda g: g.add(remaps.concat("cat", ["p", "p"], [(2, 2, 2)] * 2, 0)), lambda g: g.add(IF("n", ("cat",)))],
    "channel_affine": [lambda g: g.add(ChannelAffine("bn", ("p",), scale=np.ones(2)))],
    "nothing": [],
    "mixed": FLAT + [lambda g: g.add(Affine("fc", ("f",), weight=np.ones((3, 8)))), lambda g: g.add(Output("o", ("p",)))],
}


@pytest.mark.parametrize("tail", TAILS)
def test_unroutable_pools_return_none(tail):
    g = _pool_graph()
    for add in TAILS[tail]:
        add(g)
    assert through_tables(g, "p") is None


def test_non_pool_is_refused():
    g = _pool_graph()
    g.add(IF("n", ("p",)))
    with pytest.raises(GraphError, match="'n'"):
        through_tables(g, "n")


def test_large_unstructured_connection_is_refused_by_name():
    # a transpose swapping rows and columns before the conv: no per-axis structure to exploit
    g = Graph([Input("x", (), shape=(64, 32, 32), kind="event"), AvgPool2d("p", ("x",), kernel=(2, 2), stride=(1, 1))])
    g.add(remaps.transpose("t", "p", g.shapes["p"], (0, 2, 1)))
    g.add(Conv2d("c", ("t",), weight=np.ones((64, 64, 3, 3))))
    with pytest.raises(MstsimError, match="pool 'p' into 'c'"):
        through_tables(g, "p")


# -- real CNN sizes build (numbers checked element by element on a sample) ----------
def composed_outputs(graph, i, nonzero):
    """Brute force for one input element of x -> pool p -> stride-1 conv c: how many conv outputs it reaches."""
    p, c = graph["p"], graph["c"]
    ch, y, x = np.unravel_index(i, graph.shapes["x"])
    py, px = ([q for q in range(n) if 0 <= v - (q * s - pad) < k] for v, n, s, pad, k in
              zip((y, x), graph.shapes["p"][1:], p.stride, p.padding, p.kernel))
    co, ky, kx = np.nonzero((c.weight[:, ch] != 0) | (not nonzero))
    reached = {(o, a + c.padding[0] - j, b + c.padding[1] - k) for a in py for b in px for o, j, k in zip(co, ky, kx)}
    _, ho, wo = graph.shapes["c"]
    return sum(0 <= oy < ho and 0 <= ox < wo for _, oy, ox in reached)


@pytest.mark.parametrize("kernel, stride, pad", [(2, 2, 0), (3, 1, 1)])
def test_vgg_sized_pool_into_conv_builds(kernel, stride, pad):
    rng = np.random.default_rng(7)
    g = Graph([Input("x", (), shape=(64, 32, 32), kind="event"),
               AvgPool2d("p", ("x",), kernel=(kernel, kernel), stride=(stride, stride), padding=(pad,) * 4)])
    weight = rng.standard_normal((128, 64, 3, 3)) * (rng.random((128, 64, 3, 3)) < 0.7)
    g.add(Conv2d("c", ("p",), weight=weight, padding=(1, 1, 1, 1)))
    fan, eff = through_tables(g, "p")["c"]
    assert fan.shape == eff.shape == (64 * 32 * 32,) and (eff <= fan).all()
    for i in rng.integers(0, fan.size, 6).tolist() + [0, fan.size - 1]:
        assert (fan[i], eff[i]) == (composed_outputs(g, i, False), composed_outputs(g, i, True))


def test_vgg_and_resnet_heads_build():
    rng = np.random.default_rng(3)
    g = Graph([Input("x", (), shape=(512, 2, 2), kind="event"), AvgPool2d("p", ("x",), kernel=(2, 2))])
    g.add(remaps.flatten("f", "p", (512, 1, 1)))
    w = rng.standard_normal((4096, 512)) * (rng.random((4096, 512)) < 0.5)
    g.add(Affine("fc", ("f",), weight=w))
    fan, eff = through_tables(g, "p")["fc"]
    np.testing.assert_array_equal(fan, np.full(2048, 4096))
    np.testing.assert_array_equal(eff, np.repeat(np.count_nonzero(w, axis=0), 4))
    g = Graph([Input("x", (), shape=(512, 4, 4), kind="event"), Mean("p", ("x",), axes=(1, 2), keepdims=True)])
    g.add(remaps.flatten("f", "p", (512, 1, 1)))
    g.add(Affine("fc", ("f",), weight=w[:10]))
    fan, eff = through_tables(g, "p")["fc"]
    np.testing.assert_array_equal(eff, np.repeat(np.count_nonzero(w[:10], axis=0), 16))
    # overlapping windows into a large Linear: the generic (packed-bit) path
    g = Graph([Input("x", (), shape=(256, 4, 4), kind="event"), AvgPool2d("p", ("x",), kernel=(2, 2), stride=(1, 1))])
    g.add(remaps.flatten("f", "p", (256, 3, 3)))
    w = rng.standard_normal((1024, 2304)) * (rng.random((1024, 2304)) < 0.05)
    g.add(Affine("fc", ("f",), weight=w))
    fan, eff = through_tables(g, "p")["fc"]
    cols = [5 * 9 + py * 3 + px for py in (0, 1) for px in (0, 1)]  # the windows holding input (5, 1, 1)
    assert fan[5 * 16 + 1 * 4 + 1] == 1024
    assert eff[5 * 16 + 1 * 4 + 1] == np.count_nonzero(w[:, cols].any(axis=1))
