"""Bad graphs and bad inputs give clear errors that name the nodes involved."""
import numpy as np
import pytest

from mstsim.ann import run_ann
from mstsim.engine import Simulator
from mstsim.ir import (IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Graph, GraphError, Input, Output,
                       ShapeMismatch, UnsupportedInput, remaps)


def base():
    g = Graph()
    g.add(Input("x", shape=(2, 4, 4)))
    g.add(Conv2d("conv", ("x",), weight=np.ones((3, 2, 3, 3)), padding=1))
    g.add(IF("if", ("conv",), theta=1.0, levels=4))
    return g


def test_shape_mismatch_names_both_nodes():
    g = base()
    with pytest.raises(ShapeMismatch, match=r"'conv2'.*'if'.*2 input channels"):
        g.add(Conv2d("conv2", ("if",), weight=np.ones((3, 2, 1, 1))))
    with pytest.raises(ShapeMismatch, match=r"'fc'.*'if'"):
        g.add(Affine("fc", ("if",), weight=np.ones((2, 5))))
    g.add(Conv2d("other", ("x",), weight=np.ones((3, 2, 1, 1)), stride=2))
    with pytest.raises(ShapeMismatch, match=r"'sum'.*'if'.*'other'"):
        g.add(Add("sum", ("if", "other")))


def test_graph_structure_errors():
    g = base()
    with pytest.raises(GraphError, match="duplicate node name 'if'"):
        g.add(IF("if", ("conv",)))
    with pytest.raises(GraphError, match="reads 'later'.*topological"):
        g.add(IF("if2", ("later",)))
    with pytest.raises(GraphError, match="already has an input"):
        g.add(Input("x2", shape=(3,)))
    with pytest.raises(GraphError, match="no Output"):
        Simulator(g)


@pytest.mark.parametrize("make, message", [
    (lambda: IF("n", ("x",), theta=0.0), "theta must be finite and > 0"),
    (lambda: IF("n", ("x",), theta=1.0, levels=0), "levels"),
    (lambda: Conv2d("n", ("x",), weight=np.ones((3, 1, 3, 3)), groups=2), "groups"),
    (lambda: Conv2d("n", ("x",), weight=np.ones((3, 3))), "4 dimension"),
    (lambda: Affine("n", ("x",), weight=np.ones((2, 3)), bias=np.ones(3)), "bias has 3 entries"),
    (lambda: Affine("n", ("x",), weight=np.full((2, 3), np.nan)), "NaN"),
    (lambda: AvgPool2d("n", ("x",), kernel=2, padding=2), "at most half the kernel"),
    (lambda: ChannelAffine("n", ("x",), scale=np.ones(3), shift=np.ones(2)), "shift shape"),
    (lambda: Add("n", ()), "at least one input"),
    (lambda: IF("n", ("a", "b")), "takes 1 input"),
])
def test_bad_parameters(make, message):
    with pytest.raises(GraphError, match=message):
        make()


def test_remap_builders_check_shapes():
    with pytest.raises(GraphError, match=r"'r'.*cannot reshape"):
        remaps.reshape("r", "x", (2, 4, 4), (5, 7))
    with pytest.raises(GraphError, match="not a multiple of window"):
        remaps.window_partition("w", "x", (6, 6, 2), 4)
    g = base()
    r = remaps.reshape("r", "if", (3, 4, 5), (60,))
    with pytest.raises(ShapeMismatch, match=r"'r'.*built for input shape \(3, 4, 5\)"):
        g.add(r)


def test_bad_input_batches():
    g = base()
    g.add(remaps.flatten("flat", "if", g.shapes["if"]))
    g.add(Output("out", ("flat",)))
    with pytest.raises(UnsupportedInput, match=r"'x' expects a batch of shape \(B, 2, 4, 4\)"):
        Simulator(g).run(np.zeros((1, 2, 4, 5)), 2)
    with pytest.raises(UnsupportedInput, match="NaN"):
        run_ann(g, np.full((1, 2, 4, 4), np.nan))
    with pytest.raises(UnsupportedInput, match="T must be >= 1"):
        Simulator(g).run(np.zeros((1, 2, 4, 4)), 0)


def test_remap_composition_equals_chain():
    x = np.arange(24.0).reshape(1, 2, 3, 4)
    a = remaps.transpose("a", "x", (2, 3, 4), (1, 2, 0))
    b = remaps.roll("b", "a", (3, 4, 2), (1,), (0,))
    ab = remaps.compose("ab", a, b)
    from mstsim.dense import remap
    assert np.array_equal(remap(ab, x), np.roll(np.transpose(x[0], (1, 2, 0)), 1, 0)[None])
