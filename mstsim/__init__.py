"""mstsim: event-driven CPU simulation of QCFS-converted spiking networks (Masked Spiking Transformer),
with exact synaptic-operation accounting.

The public names load on first use (PEP 562), so ``import mstsim.cli`` is
quick and the command line can take Ctrl-C cleanly from its first moment.
"""
from importlib import import_module

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "run_ann": ".ann", "simulate": ".api", "Events": ".engine", "SimResult": ".engine", "Simulator": ".engine",
    "Graph": ".ir", "GraphError": ".ir", "MstsimError": ".ir", "ShapeMismatch": ".ir", "UnsupportedInput": ".ir",
    "COLUMNS": ".ledger", "Ledger": ".ledger", "Network": ".network", "NotSpikeEquivalentWarning": ".network",
    "from_onnx": ".network",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mstsim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


def sweep(models=None, **options):
    """Run or resume a grid of simulations in chunks, on local processes or Dask (docs/sweeps.md).

    See :func:`mstsim.sweep_plan.sweep` for the options; returns the results file read back.
    """
    from .sweep_plan import sweep as _sweep  # imported on use: the sweep machinery is optional weight
    return _sweep(models, **options)


__all__ = sorted(_EXPORTS) + ["__version__", "sweep"]
