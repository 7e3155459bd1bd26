"""The engine: a graph compiled to a flat step plan (``plan``), run by one Numba kernel per sample."""
from .events import Events
from .simulator import SimResult, Simulator

__all__ = ["Events", "SimResult", "Simulator"]
