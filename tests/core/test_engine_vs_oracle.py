"""The event-driven engine equals the dense NumPy oracle, bit for bit, with exact counts."""
import numpy as np
import pytest
from hypothesis import given, settings

from mstsim.engine import Events, Simulator
from mstsim.ir import IF
from mstsim.reference import ReferenceSimulator

from .random_graphs import random_graphs


def engine_trace(graph, x, T, dtype):
    sim = Simulator(graph, dtype=dtype)
    trace = []
    if_ops = [op for op in sim.ops if isinstance(op.node, IF)]

    def on_step(t, values):
        spikes = {}
        for name, v in values.items():
            if isinstance(v, Events):
                n = int(np.prod(graph.shapes[name]))
                counts = np.zeros((v.batch, n), np.int64)
                rows = np.repeat(np.arange(v.batch), np.diff(v.ptr))
                np.add.at(counts, (rows, v.idx), 1)
                spikes[name] = counts
        trace.append((spikes, {op.node.name: op.v.copy() for op in if_ops}))

    return sim.run(x, T, detail=True, on_step=on_step), trace


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=40)
@given(case=random_graphs())
def test_engine_equals_oracle(case, dtype):
    graph, x = case
    T = 6
    res, trace = engine_trace(graph, x, T, dtype)
    cum, ledger, record = ReferenceSimulator(graph, dtype=dtype).run(x, T)
    for t in range(T):
        spikes, potentials = trace[t]
        for name, counts in spikes.items():
            assert np.array_equal(counts, record["counts"][t][name]), (t, name)
        for name, v in potentials.items():
            assert np.array_equal(v, record["potentials"][t][name]), (t, name)
    assert np.array_equal(res.cum_logits, cum)
    assert np.array_equal(res.ledger.per_step, ledger.per_step)
    assert np.array_equal(res.ledger.totals, ledger.totals)
    assert np.array_equal(res.ledger.ann_macs, ledger.ann_macs)
    assert res.ledger.totals.dtype == np.int64
