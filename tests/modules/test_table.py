"""Module tables add up to the ledger exactly; both exporters give the same table; masking savings."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mstsim.ledger import COL, COLUMNS, Ledger
from mstsim.modules import (COLUMNS as MODULE_COLUMNS, UNKNOWN_ROW, ModuleError, NodeModules, module_table,
                            node_modules, savings)
from mstsim.rsm import configure_rsm
from tests.modules.helpers import load, simulate, small_graph, small_inputs

NAMES = ["a", "a.b", "a.b.0", "a.b.1", "c", "c.attn", "c.attn.q", "d.0", "d.1", ""]


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 12))
    totals = np.array(draw(st.lists(st.lists(st.integers(0, 2**40), min_size=len(COLUMNS), max_size=len(COLUMNS)),
                                    min_size=n, max_size=n)), dtype=np.int64)
    nodes = [f"n{i}" for i in range(n)]
    led = Ledger(nodes=nodes, kinds=["event"] * n, totals=totals, ann_macs=np.zeros(n, np.int64), samples=3, steps=2)
    paths = {m: p for m, p in zip(nodes, draw(st.lists(st.sampled_from(NAMES + [None]), min_size=n, max_size=n)))
             if p is not None}
    ops = dict(zip(nodes, draw(st.lists(st.sampled_from(["IF", "Affine", "Remap", "MatMul"]), min_size=n,
                                        max_size=n))))
    return led, NodeModules(paths=paths, ops=ops)


@given(ledgers(), st.sampled_from(["auto", "block", "module", 1, 2, 3]))
def test_module_totals_equal_the_ledger_totals_exactly(case, level):
    led, mods = case
    table = module_table(led, mods, level)
    assert table.counts.dtype == np.int64 and sorted(sum(table.members, [])) == sorted(led.nodes)
    for j, name in enumerate(MODULE_COLUMNS):
        want = (led.totals[led.totals[:, COL["neuron_updates"]] > 0, COL["events_out"]].sum() if name == "spikes"
                else led.totals[:, COL[name]].sum())
        assert int(table.totals()[j]) == int(want)
    unknown = [n for n in led.nodes if n not in mods.paths]
    assert (UNKNOWN_ROW in table.rows) == bool(unknown)
    if unknown:
        assert table.members[table.rows.index(UNKNOWN_ROW)] == unknown


@pytest.fixture(scope="module")
def exporter_tables():
    """The MST fixture from both exporters on the same images: unmasked, and masking everything (ratio 1)."""
    x = np.random.default_rng(0).random((2, 3, 16, 16)).astype(np.float32)
    out = {}
    for exporter in ("torchscript", "dynamo"):
        net = load(f"mst_{exporter}.onnx")
        for ratio in (0.0, 1.0):
            graph = net.configured(ratio)
            out[exporter, ratio] = module_table(simulate(graph, x, T=4), node_modules(graph, net.graph.modules))
    return out


@pytest.mark.parametrize("ratio", [0.0, 1.0])
def test_both_exporters_give_the_same_module_table(exporter_tables, ratio):
    a, b = exporter_tables["torchscript", ratio], exporter_tables["dynamo", ratio]
    assert a.rows == b.rows and np.array_equal(a.counts, b.counts)
    assert a.column("acs").sum() > 0 and a.column("spikes").sum() > 0


def test_masking_everything_on_the_attention_sites_drops_in_qkT_and_scores(exporter_tables):
    sv = savings(exporter_tables["dynamo", 0.0], exporter_tables["dynamo", 1.0])
    dropped = dict(zip(sv.rows, sv.change("events_dropped")))
    assert all(v > 0 for r, v in dropped.items() if r.endswith(":qkT"))  # the q and k masks
    assert all(v == 0 for r, v in dropped.items() if not r.endswith((":qkT", ":scores")))
    masked = exporter_tables["dynamo", 1.0]
    assert all(masked.column("acs")[i] == 0 for i, r in enumerate(masked.rows) if r.endswith(":qkT"))
    assert sv.total_change("events_dropped")[0] == sum(dropped.values())


def test_savings_of_a_masked_run_against_the_unmasked_run():
    graph, x = small_graph(), small_inputs()
    base_graph = configure_rsm(graph, 0.0, ["act1"])
    masked_graph = configure_rsm(graph, 0.5, ["act1"])
    mods = node_modules(masked_graph, graph.modules)
    assert mods.paths["act1/rsm"] == "enc.act"  # an inserted mask belongs to what it masks
    base, run = (module_table(simulate(g, x, T=8, seed=5), mods, 1) for g in (base_graph, masked_graph))
    assert base.rows == run.rows == ["(model)", "enc", "dec", "head"]
    sv = savings(base, run)
    led_b, led_r = simulate(base_graph, x, T=8, seed=5), simulate(masked_graph, x, T=8, seed=5)
    row = {"enc": ["fc1", "act1", "act1/rsm"], "dec": ["fc2", "act2"], "head": ["head"]}
    for i, r in enumerate(sv.rows):
        names = row.get(r, ["x", "y"])
        idx = [led_b.nodes.index(n) for n in names]
        want = (led_r.totals[idx, COL["acs"]].sum() - led_b.totals[idx, COL["acs"]].sum()) / 5
        assert sv.change("acs")[i] == pytest.approx(want)
    changes = dict(zip(sv.rows, sv.change("acs")))
    assert changes["enc"] == 0 and changes["dec"] < 0  # the mask after enc's neurons saves in dec
    dropped = dict(zip(sv.rows, sv.change("events_dropped")))
    assert dropped["enc"] > 0 and dropped["dec"] == dropped["head"] == 0
    rel = dict(zip(sv.rows, sv.relative("acs")))
    assert rel["dec"] == pytest.approx(changes["dec"] / (base.column("acs")[base.rows.index("dec")] / 5))
    energy = sv.change("energy")
    assert energy.sum() == pytest.approx(0.9 * sv.change("acs").sum() + 4.6 * sv.change("macs").sum())


def test_savings_refuses_tables_of_different_structure():
    graph, x = small_graph(), small_inputs(2)
    led = simulate(graph, x, T=2)
    a = module_table(led, node_modules(graph), 1)
    b = module_table(led, node_modules(graph), "module")
    with pytest.raises(ModuleError, match="different module rows"):
        savings(a, b)


def test_a_ledger_without_module_paths_is_one_clear_bucket():
    graph, x = small_graph(), small_inputs(2)
    led = simulate(graph, x, T=2)
    table = module_table(led, NodeModules())
    assert table.rows == [UNKNOWN_ROW] and np.array_equal(table.totals(), module_table(led, node_modules(graph)).totals())
