"""A broadcast event operand of an elementwise add/sub costs one AC per output element it reaches.

docs/accounting.md rule 14: spikes of shape (1, n) added to a (3, n) tensor
are copied to 3 output rows, so each event costs 3 ACs. The random graphs
draw such operands too; this example pins the numbers.
"""
import numpy as np

from mstsim.ir import IF, Affine, Graph, Input, Mean, Output, remaps
from mstsim.ir.analog import Elementwise
from mstsim.ledger import COL

from .harness import assert_engine_matches_oracle, oracle_trace


def broadcast_event_add(op: str) -> Graph:
    g = Graph()
    g.add(Input("x", shape=(3, 2)))
    g.add(IF("s", ("x",), theta=0.25))
    g.add(Mean("m", ("s",), axes=(0,), keepdims=True))
    g.add(IF("ms", ("m",), theta=0.25))                                         # events of shape (1, 2)
    g.add(Elementwise("add", ("ms",), op=op, operands=(np.ones((3, 2)), 0)))  # broadcast to (3, 2)
    g.add(IF("o", ("add",), theta=0.5))
    g.add(remaps.flatten("f", "o", (3, 2)))
    g.add(Affine("fc", ("f",), weight=np.ones((2, 6))))
    g.add(Output("out", ("fc",)))
    return g


def test_a_broadcast_event_costs_its_reach():
    for op in ("add", "sub"):
        g, x = broadcast_event_add(op), np.ones((1, 3, 2))
        led = oracle_trace(g, x, 1, dtype=np.float64).ledger
        row = led.totals[led.nodes.index("add")]
        assert (row[COL["events_in"]], row[COL["acs"]], row[COL["bias_adds"]], row[COL["element_ops"]]) == (2, 6, 6, 0)
        assert_engine_matches_oracle(g, x, 3, dtype=np.float32, seed=0, sample_ids=None)
