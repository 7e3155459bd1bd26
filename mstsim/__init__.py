"""mstsim: event-driven CPU simulation of QCFS-converted spiking networks (Masked Spiking Transformer),
with exact synaptic-operation accounting."""
from .ann import run_ann
from .api import simulate
from .engine import Events, SimResult, Simulator
from .ir import Graph, GraphError, MstsimError, ShapeMismatch, UnsupportedInput
from .ledger import COLUMNS, Ledger

__version__ = "0.1.0"


def from_onnx(path_or_model, *, input_shape=None):
    """Import a QCFS network exported to ONNX (see ``mstsim.importers.onnx.from_onnx``)."""
    from .importers.onnx import from_onnx as _from_onnx  # imported lazily: onnx is heavy
    return _from_onnx(path_or_model, input_shape=input_shape)


__all__ = ["run_ann", "simulate", "Events", "SimResult", "Simulator", "Graph", "GraphError", "MstsimError",
           "ShapeMismatch", "UnsupportedInput", "COLUMNS", "Ledger", "__version__", "from_onnx"]
