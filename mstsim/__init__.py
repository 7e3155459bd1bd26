"""mstsim: event-driven CPU simulation of QCFS-converted spiking networks (Masked Spiking Transformer),
with exact synaptic-operation accounting."""
from .ann import run_ann
from .api import simulate
from .engine import Events, SimResult, Simulator
from .ir import Graph, GraphError, MstsimError, ShapeMismatch, UnsupportedInput
from .ledger import COLUMNS, Ledger
from .network import Network, NotSpikeEquivalentWarning, from_onnx

__version__ = "0.1.0"


def sweep(models=None, **options):
    """Run or resume a grid of simulations in chunks, on local processes or Dask (docs/sweeps.md).

    See :func:`mstsim.sweep_plan.sweep` for the options; returns the results file read back.
    """
    from .sweep_plan import sweep as _sweep  # imported on use: the sweep machinery is optional weight
    return _sweep(models, **options)


__all__ = ["run_ann", "simulate", "Events", "SimResult", "Simulator", "Graph", "GraphError", "MstsimError",
           "ShapeMismatch", "UnsupportedInput", "COLUMNS", "Ledger", "__version__", "from_onnx", "Network",
           "NotSpikeEquivalentWarning", "sweep"]
