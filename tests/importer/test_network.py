"""Network is a core object: built from a bare graph, one masking argument, one seed default, warnings."""
from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

import mstsim
import mstsim.network as network_mod
from mstsim import MstsimError, Network, NotSpikeEquivalentWarning
from mstsim.ir import IF, Affine, Graph, Input, Output, remaps
from mstsim.ir.analog import MaxPool2d
from mstsim.ir.attention import Mask
from mstsim.ir.errors import GraphError

CORE = Path(mstsim.__file__).parent


def _imported_modules(path: Path, module: str | None = None) -> set[str]:
    """Absolute names of the modules a core source file imports (relative ones resolved).

    ``module`` is the file's dotted name (default: from its place under mstsim/).
    """
    module = module or "mstsim." + ".".join(path.relative_to(CORE).with_suffix("").parts)
    parts = module.split(".")[:-1]  # the package a relative import starts from (also for __init__)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value))
    return found


def test_the_core_never_imports_the_importer_or_the_datasets():
    outside = ("mstsim.importers", "mstsim.datasets")
    offenders = {str(p.relative_to(CORE)): sorted(m for m in _imported_modules(p) if m.startswith(outside))
                 for p in CORE.rglob("*.py")}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"core modules importing the importer or the dataset readers: {offenders}"


def test_import_scanner_sees_every_form_of_import(tmp_path):
    # the check above must be able to fail: relative, absolute and importlib imports are all seen
    probe = tmp_path / "probe.py"
    probe.write_text("from ..importers.onnx import from_onnx\nimport mstsim.importers\n"
                     "importlib.import_module('mstsim.importers.onnx.ops')\n")
    found = _imported_modules(probe, "mstsim.engine.probe")
    assert {"mstsim.importers.onnx", "mstsim.importers", "mstsim.importers.onnx.ops"} <= found


def _pool_graph(ratio: float = 0.0) -> Graph:
    g = Graph()
    g.add(Input("x", shape=(1, 4, 4)))
    g.add(IF("a", ("x",), theta=1.0, levels=4))
    g.add(Mask("m", ("a",), ratio=ratio, site="a"))
    g.add(MaxPool2d("pool", ("m",), kernel=(2, 2)))
    g.add(remaps.reshape("flat", "pool", (1, 2, 2), (4,)))
    g.add(Affine("fc", ("flat",), weight=np.eye(3, 4)))
    g.add(Output("y", ("fc",)))
    return g


def test_network_from_a_bare_graph_runs_both_modes():
    net = Network(_pool_graph())
    x = np.random.default_rng(0).uniform(0, 1, (3, 1, 4, 4))
    with pytest.warns(NotSpikeEquivalentWarning):
        res = net.simulate(x, T=8, dtype=np.float64)
    assert res.cum_logits.shape == (8, 3, 3)
    assert net.run_ann(x).shape == (3, 3)
    assert "pool" in net.inspect() and repr(net).startswith("Network('<graph>'")


def test_not_spike_equivalent_nodes_are_warned_once_naming_the_onnx_node():
    net = Network(_pool_graph(), provenance={"pool": "node_max_pool2d"})
    x = np.zeros((1, 1, 4, 4))
    with pytest.warns(NotSpikeEquivalentWarning, match=r"MaxPool2d x1: 'pool' \(ONNX 'node_max_pool2d'\)"):
        net.simulate(x, T=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotSpikeEquivalentWarning)
        net.simulate(x, T=2)  # already warned about: silent
        net.simulate(x, T=2, rsm={"ratio": 0.5, "sites": "exported"})  # same nodes, new Mask ratio


def test_one_seed_default_for_both_modes():
    net = Network(_pool_graph(ratio=0.5))
    x = np.random.default_rng(1).uniform(0, 1, (4, 1, 4, 4))
    np.testing.assert_array_equal(net.run_ann(x), net.run_ann(x, seed=0))
    np.testing.assert_array_equal(mstsim.run_ann(net.graph, x), net.run_ann(x, seed=0))
    assert not np.array_equal(net.run_ann(x, seed=0), net.run_ann(x, seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotSpikeEquivalentWarning)
        a = net.simulate(x, T=4).cum_logits
        b = net.simulate(x, T=4, seed=0).cum_logits
    np.testing.assert_array_equal(a, b)


def test_one_masking_argument_for_both_modes():
    net = Network(_pool_graph(ratio=0.5))
    x = np.random.default_rng(2).uniform(0, 1, (4, 1, 4, 4))
    off = net.run_ann(x, rsm={"ratio": 0.0, "sites": "exported"})
    np.testing.assert_array_equal(off, net.run_ann(x, rsm={"ratio": 0.0, "sites": "all"}))
    assert net.configured({"ratio": 0.3, "sites": "all"}) is not net.graph and net.configured(None) is net.graph
    with pytest.warns(FutureWarning, match="rsm="):
        np.testing.assert_array_equal(net.run_ann(x, mask_ratio=0.0), off)
    for bad in ({"p": 0.5}, "0.5", True):
        with pytest.raises(GraphError, match="rsm must be"):
            net.run_ann(x, rsm=bad)


def test_from_onnx_without_an_installed_importer_says_so(monkeypatch):
    monkeypatch.setattr(network_mod, "entry_points", lambda **kw: [])
    with pytest.raises(MstsimError, match="no importer for 'onnx' models is installed"):
        mstsim.from_onnx("model.onnx")


def test_bundled_models_run_ann_with_defaults():
    models = sorted((CORE.parent / "models").glob("*.onnx"))
    assert len(models) >= 3
    for path in models:
        net = mstsim.from_onnx(path)
        x = np.random.default_rng(3).uniform(0, 1, (2,) + net.input_shape)
        y = net.run_ann(x)  # the README's call: no seed, no masking argument
        assert y.shape[0] == 2 and np.all(np.isfinite(y))


def test_mstsim_simulate_warns_too_once_per_node():
    g = _pool_graph()
    x = np.zeros((1, 1, 4, 4))
    with pytest.warns(NotSpikeEquivalentWarning, match=r"MaxPool2d x1: 'pool'$") as record:
        mstsim.simulate(g, x, T=2)
    assert record[0].filename == __file__  # points at the caller
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotSpikeEquivalentWarning)
        mstsim.simulate(g, x, T=2)
        Network(g).simulate(x, T=2)  # the same node objects: already warned about
