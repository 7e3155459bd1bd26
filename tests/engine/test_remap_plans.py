"""Analog remaps in the plan: strided views copied without a map, chains composed and retired.

Both only move values, so the engine must still equal the oracle bit for bit
(every node's values each step, the retired ones included, and the ledger).
"""
import numpy as np
from hypothesis import given, strategies as st

from mstsim.engine.plan import build_plan
from mstsim.engine.strided import strided_form
from mstsim.ir import IF, Affine, Graph, Input, Output, remaps
from mstsim.kernels import plan_layout as L

from ..oracle.harness import assert_engine_matches_oracle


def walk(start, dims, strides) -> np.ndarray:
    """The row-major walk of a grid given innermost first."""
    src = np.array(start, dtype=np.int64)
    for n, s in zip(reversed(dims), reversed(strides)):
        src = (src[..., None] + s * np.arange(n)).astype(np.int64)
    return src.reshape(-1)


@st.composite
def views(draw):
    """A random transpose followed by a random strided slice, as the IR builds them."""
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=5)))
    perm = draw(st.permutations(range(len(shape))))
    t = remaps.transpose("t", "x", shape, perm)
    out = t.out_shape
    axis = draw(st.integers(0, len(out) - 1))
    step = draw(st.sampled_from([1, 2, -1]))
    lo = draw(st.integers(0, out[axis] - 1))
    end = out[axis] if step > 0 else -out[axis] - 1
    s = remaps.slice_("s", "t", out, [lo], [end], [axis], [step])
    return t.src[s.src]


@given(views())
def test_every_strided_view_is_found_and_walks_back_to_its_map(src):
    form = strided_form(src)
    assert form is not None
    assert np.array_equal(walk(*form), src)


@given(st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_any_map_is_either_refused_or_walked_exactly(n, seed):
    rng = np.random.default_rng(seed)
    src = rng.permutation(n) if seed % 2 else rng.integers(-1, n, size=n)
    form = strided_form(src)
    assert form is None or np.array_equal(walk(*form), src)


def tree_graph():
    """spikes -> Affine -> Transpose read by two Slices and a Gather, each into an IF."""
    g = Graph()
    g.add(Input("x", shape=(4, 6), kind="analog"))
    g.add(IF("s", ("x",), theta=0.5, levels=4))
    w = (np.arange(36).reshape(6, 6) % 7 - 3) / 8.0
    g.add(Affine("fc", ("s",), weight=w, bias=None))
    g.add(remaps.transpose("t", "fc", (4, 6), (1, 0)))
    g.add(remaps.slice_("a", "t", (6, 4), [0], [3], [0], [1]))
    g.add(remaps.slice_("b", "t", (6, 4), [1], [4], [1], [1]))
    g.add(remaps.gather("c", "t", (6, 4), np.array([3, 0, 0]), 1))
    flats = []
    for leaf in ("a", "b", "c"):
        g.add(IF(f"if_{leaf}", (leaf,), theta=0.25, levels=4))
        flats.append(g.add(remaps.flatten(f"flat_{leaf}", f"if_{leaf}", g.shapes[f"if_{leaf}"])))
    g.add(remaps.concat("cat", flats, [g.shapes[f] for f in flats], 0))
    g.add(Affine("head", ("cat",), weight=np.ones((3, g.shapes["cat"][0])) / 4, bias=None))
    g.add(Output("out", ("head",)))
    return g


def test_a_remap_read_only_by_remaps_is_retired_and_its_readers_are_strided():
    g = tree_graph()
    plan = build_plan(g, np.float32)
    assert plan.retired == ["t"]
    rows = {n.name: plan.code[i] for i, n in enumerate(g)}
    assert rows["t"][L.P0 + 5] == 2  # not run
    for name in ("a", "b"):  # Transpose then Slice: one strided view of fc
        assert rows[name][L.P0 + 5] == 3
        assert plan.ints[rows[name][L.INS]] == list(g.nodes).index(g["fc"])
    assert rows["c"][L.P0 + 5] == 1  # repeated indices: a map


def test_the_retired_tree_matches_the_oracle_bit_for_bit():
    g = tree_graph()
    x = np.random.default_rng(3).integers(-8, 9, size=(2, 4, 6)) / 8.0
    for dtype in (np.float32, np.float64):
        assert_engine_matches_oracle(g, x, 6, dtype=dtype, seed=1, sample_ids=np.arange(2))
