"""The event-driven engine: operators per node type, stepped over time."""
from .events import Events
from .simulator import SimResult, Simulator

__all__ = ["Events", "SimResult", "Simulator"]
