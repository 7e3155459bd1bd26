"""The plan's machine code, as compiled for the bundled models in both dtypes, has no FMA and calls no libm.

The runner calls each op through its entry's address (``kernels.plan_entries``), so the op bodies are
in the entries' code, not in the runner's: every entry is compiled here for the types the run used
(the ones the MST does not use too) and checked, with the runner.
"""
import numpy as np
import pytest

from mstsim.engine import Simulator
from mstsim.kernels.plan_entries import ENTRIES
from mstsim.kernels.plan_runner import run_sample
from tests.kernels.test_codegen import assembly, problems

from .bundled_cases import case_graph, digit_images


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_runner_and_entries_machine_code(dtype):
    graph = case_graph("mst_digits", 0.5, "attention")  # every op the MST uses, masks included
    Simulator(graph, dtype=dtype).run(digit_images(1, graph.input_node().shape), 1)
    sigs = [s for s in run_sample.signatures if str(np.dtype(dtype)) in str(s[3])]
    assert sigs, "run_sample was not compiled for this dtype"
    entry_sigs = {s for s in ENTRIES[1].signatures if str(np.dtype(dtype)) in str(s[2])}
    assert entry_sigs, "no entry was compiled for this dtype"
    checked = {id(e): e for e in ENTRIES.values()}
    for entry in checked.values():
        for sig in entry_sigs:
            entry.compile(sig)
            assert problems(assembly(entry, sig)) == [], entry.py_func.__name__
    for sig in sigs:
        assert problems(assembly(run_sample, sig)) == []
    assert len(checked) >= 20  # every op body, the input steps and the shadow sources
