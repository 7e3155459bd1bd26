"""A small built-in QCFS network, so that ``mstsim run`` works before any model is given.

A seeded random QCFS CNN (conv-IF-conv-IF-avgpool-IF-linear) on seeded random
images: it shows the engine, the ledger and the SNN approaching its ANN.
"""
from __future__ import annotations

import numpy as np

from .ir import IF, Affine, AvgPool2d, Conv2d, Graph, Input, Output, remaps


def builtin_network(seed: int = 0, levels: int = 16) -> Graph:
    rng = np.random.default_rng(seed)
    g = Graph()
    g.add(Input("image", shape=(3, 16, 16)))
    g.add(Conv2d("conv1", ("image",), weight=rng.normal(0, 0.3, (16, 3, 3, 3)), bias=rng.normal(0, 0.1, 16),
                 padding=1))
    g.add(IF("conv1_if", ("conv1",), theta=1.0, levels=levels))
    g.add(Conv2d("conv2", ("conv1_if",), weight=rng.normal(0, 0.15, (32, 16, 3, 3)), bias=rng.normal(0, 0.1, 32),
                 padding=1, stride=2))
    g.add(IF("conv2_if", ("conv2",), theta=1.0, levels=levels))
    g.add(AvgPool2d("pool", ("conv2_if",), kernel=2))
    g.add(IF("pool_if", ("pool",), theta=0.5, levels=levels))
    g.add(remaps.flatten("flatten", "pool_if", g.shapes["pool_if"]))
    g.add(Affine("fc", ("flatten",), weight=rng.normal(0, 0.1, (10, g.shapes["flatten"][0])), bias=np.zeros(10)))
    g.add(Output("logits", ("fc",)))
    return g


def builtin_inputs(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (n, 3, 16, 16)).astype(np.float32)
