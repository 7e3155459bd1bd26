"""Numba kernels: raw arrays in, raw arrays out (``cache=True``, ``nogil=True``).

The step plan's kernels are ``plan_runner`` (one sample, many steps),
``plan_ops*`` (one op each) and the per-sample ``sample_*`` kernels; the
batched ``scatter``/``neuron`` kernels serve the benchmarks and ``Events``. ``mstsim.engine`` builds the plan;
``mstsim.reference`` is the oracle they are tested against.
"""
from .cache_guard import ensure_fresh_cache

ensure_fresh_cache()  # before any kernel module loads its cached code

from .neuron import fire, integrate_events  # noqa: E402
from .scatter import (scatter_affine, scatter_conv2d, scatter_one_to_one, scatter_sum_pool2d,  # noqa: E402
                      sum_fanout)

__all__ = ["fire", "integrate_events", "scatter_affine", "scatter_conv2d", "scatter_one_to_one",
           "scatter_sum_pool2d", "sum_fanout"]
