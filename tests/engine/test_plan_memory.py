"""The memory check of a simulation counts what the engine allocates for its plan."""
import numpy as np

from mstsim import memory
from mstsim.engine import Simulator

from .bundled_cases import case_graph


def test_the_estimate_holds_the_plan_tables_workspaces_and_state():
    graph = case_graph("mst_digits", 0.0, "attention")
    plan = Simulator(graph, dtype=np.float32).plan
    tables = plan.code.nbytes + plan.ints.nbytes + plan.flts.nbytes + plan.f64.nbytes
    per_slot = plan.wf_size * 4 + plan.wi_size * 8
    assert memory.plan_bytes(plan, batch=10, slots=2) == tables + 2 * per_slot + 10 * plan.st_init.size * 4
    rough = memory.estimate_simulation(graph, samples=10, batch=10, T=4)
    exact = memory.estimate_simulation(graph, samples=10, batch=10, T=4, plan=plan, slots=2)
    assert exact.parts["network state"] == memory.plan_bytes(plan, batch=10, slots=2)
    assert {k: v for k, v in exact.parts.items() if k != "network state"} == \
        {k: v for k, v in rough.parts.items() if k != "network state"}
