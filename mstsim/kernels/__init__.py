"""Numba kernels: raw arrays in, raw arrays out (``cache=True``, ``nogil=True``).

The Python wrappers that validate and prepare their arguments live in
``mstsim.engine``; ``mstsim.reference`` is the oracle they are tested against.
"""
from .neuron import fire, integrate_events
from .remap import merge_events, remap_events
from .scatter import scatter_affine, scatter_conv2d, scatter_one_to_one, scatter_sum_pool2d, sum_fanout

__all__ = ["fire", "integrate_events", "merge_events", "remap_events", "scatter_affine", "scatter_conv2d",
           "scatter_one_to_one", "scatter_sum_pool2d", "sum_fanout"]
