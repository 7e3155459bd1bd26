"""A broadcast operand read in repeated blocks (a bias tiled over windows, a mask over heads, a scalar)
runs in contiguous loops without its map: the same bits as the map, and the oracle's values.
"""
import numpy as np
import pytest

from mstsim.engine import Simulator
from mstsim.engine.encode_analog import broadcast_map, repeated_blocks
from mstsim.ir import Graph, Input, Output, remaps
from mstsim.ir.analog import Elementwise
from mstsim.kernels import plan_layout as L

from ..oracle.harness import assert_engine_matches_oracle

OUT = (4, 3, 5, 5)
FORMS = {  # constant shape -> (P, R), or None where the map is not repeated blocks
    (3, 5, 5): (75, 4), (4, 1, 5, 5): (25, 3), (): (1, 300), (4, 3, 5, 1): (1, 5), (1, 3, 1, 5): None,
}


@pytest.mark.parametrize("shape", list(FORMS), ids=str)
def test_the_forms_of_broadcast_maps(shape):
    assert repeated_blocks(broadcast_map(shape, OUT)) == FORMS[shape]


def _graph(op, const, first):
    g = Graph([Input("x", shape=OUT)])
    g.add(Elementwise("e", ("x",), op=op, operands=(const, 0) if first else (0, const)))
    g.add(remaps.flatten("flat", "e", OUT))
    g.add(Output("y", ("flat",)))
    return g


def _bits(g, x, dtype, blocks: bool):
    sim = Simulator(g, dtype=dtype)
    if not blocks:
        sim.plan.code[1, L.P0 + 8] = -1  # the map path
    return sim.run(x, 2).cum_logits.view(np.uint8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("first", [False, True], ids=["x op c", "c op x"])
@pytest.mark.parametrize("shape", list(FORMS), ids=str)
def test_blocks_give_the_bits_of_the_map(shape, first, op, dtype):
    rng = np.random.default_rng(7)
    const = rng.uniform(0.5, 3.0, size=shape) * rng.choice([-1, 1], size=shape)  # rounds, never 0
    g = _graph(op, const, first)
    sim = Simulator(g, dtype=dtype)
    assert sim.plan.code[1, L.P0 + 8] == (-1 if FORMS[shape] is None else (0 if first else 1))  # the constant
    x = rng.standard_normal((2,) + OUT)
    assert np.array_equal(_bits(g, x, dtype, True), _bits(g, x, dtype, False))
    dyadic = rng.choice([-1, 1], size=(2,) + OUT) * rng.integers(1, 9, size=(2,) + OUT) / 8.0  # never 0
    quarters = np.round(const * 4)
    exact = np.where(quarters == 0, 1.0, quarters) / 4  # dyadic, never 0
    assert_engine_matches_oracle(_graph(op, exact, first), dyadic, 2, dtype=dtype, seed=0, sample_ids=np.arange(2),
                                 rtol=1e-6 if op == "div" else 0.0)
