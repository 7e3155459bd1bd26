"""The engine equals the NumPy oracle on every fixture, masks on.

Integer paths (spike trains, every ledger count) must be identical. Analog
values may differ by rounding only: softmax, LayerNorm and the products
P v are summed in a different order by BLAS and by the event kernels, and
the weights are generic floats, so the outputs are compared with a relative
tolerance of 1e-10 in float64 (about a million times the unit roundoff).
"""
import numpy as np
import pytest

from mstsim.engine import Simulator
from mstsim.reference import ReferenceSimulator

from .fixtures import FILE_NAMES, MODEL_OF, network, reference


@pytest.mark.parametrize("file", FILE_NAMES)
def test_engine_equals_oracle(file):
    net = network(file)
    x = reference(MODEL_OF[file])["inputs"][:2]
    T = 4
    sim = Simulator(net.graph, dtype=np.float64, seed=11)
    res = sim.run(x, T, detail=True, sample_ids=[5, 9])
    cum, ledger, _ = ReferenceSimulator(net.graph, dtype=np.float64, seed=11).run(x, T, sample_ids=[5, 9])
    assert np.array_equal(res.ledger.per_step, ledger.per_step)
    assert np.array_equal(res.ledger.ann_macs, ledger.ann_macs)
    assert np.allclose(res.cum_logits, cum, rtol=1e-10, atol=1e-10 * np.abs(cum).max())
