"""The runner's table of op entries, and compiling a cold cache on two processes.

The runner calls each node's op through an address in the table (``kernels.plan_entries``,
``engine.compiling``): a table built for other argument types, or without a slot the plan uses, must
be refused with an error, never called. On a cold cache a helper process compiles part of the
entries into Numba's cache (started by the run, or ahead of it); the run must then load them from
there and give the bits and counts of a run compiled in one process.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mstsim.engine import Simulator, compiling
from mstsim.engine.kernel_args import ahead_jobs
from mstsim.ir import EVENT, IF, Affine, Graph, Input, Output
from mstsim.ir.analog import Elementwise
from mstsim.kernels.plan_entries import BINARY_AT, ENTRIES, KEY, OP_AT, entry_of, slots_of
from mstsim.kernels.plan_layout import AFFINE, ELEMENTWISE, ENTRY

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _graph(op="add", kind="analog"):
    w = np.array([[0.5, -0.25, 1.0], [0.75, 0.5, -0.5]])
    return Graph([Input("x", shape=(3,), kind=kind), IF("s", ("x",), theta=0.5), Affine("fc", ("s",), weight=w),
                  Elementwise("e", ("fc",), op=op, operands=(0, np.array([0.5, -0.25]))), Output("y", ("e",))])


def test_each_node_names_the_entry_of_its_op():
    code = Simulator(_graph("add"), dtype=np.float32).plan.code
    fc, e = code[2], code[3]
    assert fc[ENTRY] == OP_AT + AFFINE and e[ENTRY] == BINARY_AT == entry_of(e)
    general = Simulator(_graph("max"), dtype=np.float32).plan.code[3]
    assert general[ENTRY] == OP_AT + ELEMENTWISE
    assert BINARY_AT not in slots_of(Simulator(_graph("max"), dtype=np.float32).plan.code)
    assert all(slot in ENTRIES for slot in slots_of(code))


@pytest.mark.parametrize("spoil", ["slot", "key"])
def test_a_table_that_does_not_fit_is_refused(monkeypatch, spoil):
    sim = Simulator(_graph(), dtype=np.float64)
    x = np.ones((1, 3))
    good = sim.run(x, 3)
    real = compiling.op_table

    def spoiled(arg_types, slots, also=()):
        table = real(arg_types, slots, also).copy()
        if spoil == "slot":
            table[sim.plan.code[2, ENTRY]] = 0
        else:
            table[KEY] += 1
        return table

    monkeypatch.setattr("mstsim.engine.simulator.op_table", spoiled)
    with pytest.raises(ValueError, match="op table"):
        sim.run(x, 3)
    monkeypatch.setattr("mstsim.engine.simulator.op_table", real)
    again = sim.run(x, 3)
    assert np.array_equal(good.cum_logits, again.cum_logits)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["analog", EVENT])
def test_what_is_compiled_ahead_is_what_the_run_compiles(monkeypatch, dtype, kind):
    sim = Simulator(_graph(kind=kind), dtype=dtype)
    asked = []
    real = compiling.op_table

    def spy(arg_types, slots, also=()):
        asked.extend(compiling.entry_jobs(arg_types, slots) + list(also))
        return real(arg_types, slots, also)

    monkeypatch.setattr("mstsim.engine.simulator.op_table", spy)
    x = np.ones((2, 3)) if kind == "analog" else np.ones((2, 4, 3), dtype=np.int64)
    sim.run(x, 4)
    names = lambda jobs: [(d.py_func.__name__, t) for d, t in jobs]  # noqa: E731
    assert names(asked) == names(ahead_jobs(sim.plan, dtype, sim.stream))


def test_jobs_are_claimed_once_between_two_processes(tmp_path):
    assert compiling.claim(str(tmp_path), 3) and not compiling.claim(str(tmp_path), 3)
    assert compiling.claim(str(tmp_path), 4)
    assert not compiling.claim(str(tmp_path / "gone"), 1)  # the other side already cleaned up


_INPUT = np.linspace(0.2, 1.4, 6, dtype=np.float32).reshape(2, 3)

_COLD_RUN = textwrap.dedent("""
    import json, sys
    import numpy as np
    from tests.engine.test_op_table import _INPUT, _graph
    from mstsim.engine import Simulator
    from mstsim.kernels.plan_entries import ENTRIES
    r = Simulator(_graph(), dtype=np.float32, seed=3).run(_INPUT, 6)
    loaded = sorted({d.py_func.__name__ for d in ENTRIES.values() if sum(d.stats.cache_hits.values())})
    print(json.dumps({"bits": r.cum_logits.view(np.uint32).tolist(), "ledger": r.ledger.totals.tolist(),
                      "loaded": loaded}))
""")


@pytest.mark.parametrize("ahead", [False, True])
def test_a_cold_cache_compiled_on_two_processes_gives_the_same_run(tmp_path, ahead):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), MSTSIM_COMPILE_HELPER="1",
               MSTSIM_THREADS="2", PYTHONPATH=REPO)
    code = _COLD_RUN.replace("r = Simulator(", "Simulator(_graph()).compile_ahead()\nr = Simulator(") if ahead \
        else _COLD_RUN
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    cold = json.loads(out.stdout.strip().splitlines()[-1])
    assert cold["loaded"], "the helper compiled nothing that the run then loaded from the cache"
    here = Simulator(_graph(), dtype=np.float32, seed=3).run(_INPUT, 6)  # compiled (or loaded) in this process
    assert cold["bits"] == here.cum_logits.view(np.uint32).tolist()
    assert cold["ledger"] == here.ledger.totals.tolist()
