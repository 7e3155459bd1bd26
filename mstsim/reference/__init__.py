"""The NumPy oracle: dense, clock-driven, brute-force counting. Tests only."""
from .simulator import ReferenceSimulator

__all__ = ["ReferenceSimulator"]
