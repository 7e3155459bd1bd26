"""The plan kernel, as compiled for the bundled models in both dtypes, has no FMA and calls no libm."""
import numpy as np
import pytest

from mstsim.engine import Simulator
from mstsim.kernels.plan_runner import run_sample
from tests.kernels.test_codegen import assembly, problems

from .bundled_cases import case_graph, digit_images


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_run_sample_machine_code(dtype):
    graph = case_graph("mst_digits", 0.5, "attention")  # every op the MST uses, masks included
    Simulator(graph, dtype=dtype).run(digit_images(1, graph.input_node().shape), 1)
    sigs = [s for s in run_sample.signatures if str(np.dtype(dtype)) in str(s[2])]
    assert sigs, "run_sample was not compiled for this dtype"
    for sig in sigs:
        assert problems(assembly(run_sample, sig)) == []
