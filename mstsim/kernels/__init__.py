"""Numba kernels: raw arrays in, raw arrays out (``cache=True``, ``nogil=True``).

The step plan's kernels: ``plan_runner`` (one sample, many steps),
``plan_ops*`` (one op each), the per-sample ``sample_*`` kernels and the
deterministic maths in ``detmath``. ``mstsim.engine`` builds the plan;
``mstsim.reference`` is the oracle they are tested against.
"""
from .cache_guard import ensure_fresh_cache

ensure_fresh_cache()  # before any kernel module loads its cached code
