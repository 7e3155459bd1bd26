"""The IR: dataclass nodes whose docstrings state their maths, and the graph."""
from .base import ANALOG, EVENT, Node
from .errors import GraphError, MstsimError, ShapeMismatch, UnsupportedInput
from .graph import Graph
from .neuron import IF
from .remap import Remap
from . import remap as remaps
from .structure import Add, Input, Output
from .synaptic import Affine, AvgPool2d, ChannelAffine, Conv2d, Mean

__all__ = [
    "ANALOG", "EVENT", "Node", "Graph", "GraphError", "MstsimError", "ShapeMismatch", "UnsupportedInput",
    "IF", "Remap", "remaps", "Add", "Input", "Output", "Affine", "AvgPool2d", "ChannelAffine", "Conv2d", "Mean",
]
