"""A lone sample pipelined on two threads gives the bits and counts of one thread.

The pipeline is forced on (no minimum step cost, one calibration step, blocks
of 1, 2, 4 ... steps; the machine taken as idle; part 0 hands each step over
as soon as part 1 is free, so the split moves from step to step) and compared with
``MSTSIM_THREADS=1`` on the bundled models and on random graphs of every
node type: cumulative logits bit for bit, ledger totals and per-step rows.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mstsim.engine import Simulator, pipeline

from ..core.random_graphs import random_graphs
from .bundled_cases import CASES, case_graph, digit_images


@pytest.fixture
def forced(monkeypatch):
    monkeypatch.setattr(pipeline, "MIN_CYCLES_PER_STEP", 0)
    monkeypatch.setattr(pipeline, "CALIBRATION_STEPS", 1)
    monkeypatch.setattr(pipeline, "FIRST_BLOCK", 1)
    monkeypatch.setattr(pipeline, "cpus_free", lambda: 1)  # as on an idle machine, whatever runs beside
    monkeypatch.setenv("MSTSIM_THREADS", "2")
    return monkeypatch


def one_and_two_threads(monkeypatch, graph, x, T, dtype, seed=3, ids=None):
    monkeypatch.setenv("MSTSIM_THREADS", "2")
    sim = Simulator(graph, dtype=dtype, seed=seed)
    two = sim.run(x, T, detail=True, sample_ids=ids)
    pipelined = sim.pipelined
    monkeypatch.setenv("MSTSIM_THREADS", "1")
    one = sim.run(x, T, detail=True, sample_ids=ids)
    assert not sim.pipelined
    return one, two, pipelined


def assert_same(one, two):
    assert np.array_equal(one.cum_logits.view(np.uint8), two.cum_logits.view(np.uint8))
    assert np.array_equal(one.ledger.totals, two.ledger.totals)
    assert np.array_equal(one.ledger.per_step, two.ledger.per_step)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bundled_models_pipelined_equal_one_thread(forced, case, dtype):
    graph = case_graph(*case)
    x = digit_images(1, graph.input_node().shape)
    one, two, pipelined = one_and_two_threads(forced, graph, x, 9, dtype, ids=np.array([5]))
    assert pipelined
    assert_same(one, two)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])  # env reset per call
@given(data=st.data(), T=st.integers(3, 9), exact=st.booleans())
def test_random_graphs_pipelined_equal_one_thread(forced, data, T, exact):
    graph, x = data.draw(random_graphs(exact=exact, max_layers=4))
    one, two, pipelined = one_and_two_threads(forced, graph, x[:1], T, np.float32 if exact else np.float64,
                                              seed=data.draw(st.integers(0, 2**32)))
    assert pipelined
    assert_same(one, two)


@pytest.mark.parametrize("knob, value", [
    ("cpus_free", lambda: 0),                   # another job is runnable: a busy machine
    ("MAX_WORKSPACE_BYTES", 0),                 # the workspace is too large for a second one
    ("MIN_CYCLES_PER_STEP", 10**15),            # the step is too short for the meeting to pay
], ids=["busy machine", "large workspace", "short step"])
def test_the_sample_stays_on_one_thread(forced, knob, value):
    forced.setattr(pipeline, knob, value)
    graph = case_graph(*CASES[0])
    one, two, pipelined = one_and_two_threads(forced, graph, digit_images(1, graph.input_node().shape), 9,
                                              np.float32)
    assert not pipelined
    assert_same(one, two)


def test_cpus_free_counts_what_is_runnable():
    assert -64 < pipeline.cpus_free() <= pipeline.available_cpus()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_long_plan_pipelined_from_its_first_step_equals_one_thread(forced, dtype):
    forced.setattr(pipeline, "SURELY_LONG_ELEMENTS", 0)  # every plan counts as long
    graph = case_graph(*CASES[1])
    one, two, pipelined = one_and_two_threads(forced, graph, digit_images(1, graph.input_node().shape), 7, dtype)
    assert pipelined
    assert_same(one, two)


def _schedule(monkeypatch, step_cycles: int, T: int, long_plan: bool = False) -> list:
    """The blocks run_lone_sample runs, ("whole" | "pipelined", t0, t1), with every node's step
    costing ``step_cycles`` / 2 (two nodes) and the machine idle."""
    monkeypatch.setattr(pipeline, "cpus_free", lambda: 1)
    blocks = []

    def whole(t0, t1, static_rows, fresh, cycles):
        blocks.append(("whole", t0, t1))
        if cycles.size:
            cycles += (t1 - t0) * step_cycles // 2

    def part(t0, t1, k, static2, fresh2, sync, cycles):
        if k == 0:
            blocks.append(("pipelined", t0, t1))

    pipeline.run_lone_sample(whole, part, 2, 9, T, threads=2, long_plan=long_plan)
    return blocks


def test_long_steps_run_in_one_block_short_ones_in_growing_blocks(monkeypatch):
    long_ = _schedule(monkeypatch, pipeline.LONG_STEP_CYCLES, 8)
    assert long_ == [("whole", 0, 1), ("pipelined", 1, 8)]
    assert _schedule(monkeypatch, 0, 8, long_plan=True) == [("pipelined", 0, 8)]  # surely long: no step alone
    short = _schedule(monkeypatch, pipeline.MIN_CYCLES_PER_STEP, 24)
    assert short == [("whole", 0, 1), ("pipelined", 1, 5), ("pipelined", 5, 13), ("pipelined", 13, 24)]
    assert _schedule(monkeypatch, pipeline.MIN_CYCLES_PER_STEP - 2, 24) == [("whole", 0, 1), ("whole", 1, 24)]
