"""Errors raised while building or running a network.

They carry the names of the nodes involved so that a user can find the
problem in their model; none of them should surface as a NumPy traceback.
"""


class MstsimError(Exception):
    """Base class of every error mstsim raises on purpose."""


class GraphError(MstsimError):
    """The graph is malformed: unknown input, duplicate name, cycle, bad parameter."""


class ShapeMismatch(GraphError):
    """Two connected nodes disagree about a tensor shape."""


class UnsupportedInput(MstsimError):
    """Inputs given to a simulation do not fit the network."""
