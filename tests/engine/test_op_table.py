"""The runner's table of op entries, and compiling a cold cache on two processes.

The runner calls each node's op through an address in the table (``kernels.plan_entries``,
``engine.compiling``): a table built for other argument types, or without a slot the plan uses, must
be refused with an error, never called. On a cold cache a helper process compiles part of the
entries into Numba's cache; the run must then load them from there and give the bits and counts of
a run compiled in one process.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mstsim.engine import Simulator, compiling
from mstsim.ir import IF, Affine, Graph, Input, Output
from mstsim.ir.analog import Elementwise
from mstsim.kernels.plan_entries import BINARY_AT, ENTRIES, KEY, OP_AT, entry_of, slots_of
from mstsim.kernels.plan_layout import AFFINE, ELEMENTWISE, ENTRY

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _graph(op="add"):
    w = np.array([[0.5, -0.25, 1.0], [0.75, 0.5, -0.5]])
    return Graph([Input("x", shape=(3,)), IF("s", ("x",), theta=0.5), Affine("fc", ("s",), weight=w),
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


def test_the_helper_gets_about_half_the_work_less_its_start():
    jobs = [(ENTRIES[s], ()) for s in sorted(ENTRIES)]
    jobs = list({id(d): (d, t) for d, t in jobs}.values())
    theirs = compiling._helper_share(jobs)
    total = sum(compiling._seconds(d) for d, _ in jobs)
    share = sum(compiling._seconds(d) for d, _ in theirs)
    largest = max(compiling._seconds(d) for d, _ in jobs)
    assert 0 < len(theirs) < len(jobs)
    assert abs((total - share) - (share + compiling.HELPER_START_SECONDS)) <= largest


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


def test_a_cold_cache_compiled_on_two_processes_gives_the_same_run(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), MSTSIM_COMPILE_HELPER="1",
               MSTSIM_THREADS="2", PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", _COLD_RUN], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    cold = json.loads(out.stdout.strip().splitlines()[-1])
    assert cold["loaded"], "the helper compiled nothing that the run then loaded from the cache"
    here = Simulator(_graph(), dtype=np.float32, seed=3).run(_INPUT, 6)  # compiled (or loaded) in this process
    assert cold["bits"] == here.cum_logits.view(np.uint32).tolist()
    assert cold["ledger"] == here.ledger.totals.tolist()
