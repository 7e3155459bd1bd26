"""mstsim: event-driven CPU simulation of QCFS-converted spiking networks (Masked Spiking Transformer),
with exact synaptic-operation accounting."""
from .ann import run_ann
from .api import simulate
from .engine import Events, SimResult, Simulator
from .ir import Graph, GraphError, MstsimError, ShapeMismatch, UnsupportedInput
from .ledger import COLUMNS, Ledger
from .network import Network, NotSpikeEquivalentWarning, from_onnx

__version__ = "0.1.0"


__all__ = ["run_ann", "simulate", "Events", "SimResult", "Simulator", "Graph", "GraphError", "MstsimError",
           "ShapeMismatch", "UnsupportedInput", "COLUMNS", "Ledger", "__version__", "from_onnx", "Network",
           "NotSpikeEquivalentWarning"]
