"""For a QCFS CNN the SNN's mean output approaches the ANN's as T grows."""
import numpy as np

from mstsim.ann import run_ann
from mstsim.engine import Simulator
from mstsim.ir import IF, Affine, AvgPool2d, Conv2d, Graph, Input, Output, remaps


def qcfs_cnn(rng: np.random.Generator, levels: int = 16) -> Graph:
    """conv-IF-conv-IF-pool-IF-fc with thresholds set from the ANN's activations."""
    g = Graph()
    g.add(Input("x", shape=(2, 10, 10)))
    g.add(Conv2d("c1", ("x",), weight=rng.normal(0, 0.4, (6, 2, 3, 3)), bias=rng.normal(0, 0.1, 6), padding=1))
    g.add(IF("if1", ("c1",), theta=1.2, levels=levels))
    g.add(Conv2d("c2", ("if1",), weight=rng.normal(0, 0.25, (8, 6, 3, 3)), bias=rng.normal(0, 0.1, 8),
                 padding=1, stride=2))
    g.add(IF("if2", ("c2",), theta=1.0, levels=levels))
    g.add(AvgPool2d("p", ("if2",), kernel=2))
    g.add(IF("if3", ("p",), theta=0.8, levels=levels))
    g.add(remaps.flatten("flat", "if3", g.shapes["if3"]))
    g.add(Affine("fc", ("flat",), weight=rng.normal(0, 0.3, (5, g.shapes["flat"][0])), bias=np.zeros(5)))
    g.add(Output("out", ("fc",)))
    return g


def test_snn_mean_output_approaches_ann():
    """As T grows the IF rates tend to clip(z, 0, theta), the L -> infinity limit of
    QCFS; with L = 256 that limit and the ANN agree to about 1% (with L = 16 the
    error stalls near 19%, the quantisation gap, which is why L is large here)."""
    rng = np.random.default_rng(7)
    g = qcfs_cnn(rng, levels=256)
    x = rng.uniform(0, 1, (8, 2, 10, 10))
    ann = run_ann(g, x)
    res = Simulator(g, dtype=np.float64).run(x, 512)
    T = np.arange(1, 513)[:, None, None]
    err = np.linalg.norm(res.cum_logits / T - ann[None], axis=(1, 2)) / np.linalg.norm(ann)
    # measured: 0.58 at T=4, 0.18 at T=16, 0.044 at T=64, 0.010 at T=256, 0.011 at T=512
    assert err[3] > 0.3
    assert err[511] < err[63] < err[15] < err[3]
    assert err[255] < 0.03 and err[511] < 0.03
    assert np.array_equal(res.predictions[-1], ann.argmax(1))
