"""Graphs derived from an imported one (masks configured, event input) keep its module paths."""
from mstsim.rsm import configure_rsm
from mstsim.run import with_event_input
from tests.modules.helpers import load


def test_configured_masks_belong_to_the_module_of_their_neuron():
    graph = load("mst_torchscript.onnx").graph
    masked = configure_rsm(graph, 0.5, "all")
    new = [n.name for n in masked if n.name not in graph.shapes]
    assert new and all(n.endswith("/rsm") for n in new)
    for name in new:
        neuron = masked[name].inputs[0]
        assert masked.modules[name] == graph.modules[neuron]
    assert all(masked.modules[k] == v for k, v in graph.modules.items())


def test_event_input_keeps_the_module_paths():
    graph = load("mst_torchscript.onnx").graph
    assert with_event_input(graph).modules == graph.modules
