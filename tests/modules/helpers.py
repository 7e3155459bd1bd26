"""Shared pieces of the per-module tests: fixture networks, a small masked graph, ledgers."""
import functools
import pathlib
import warnings

import numpy as np

import mstsim
from mstsim.ir import IF, Affine, Graph, Input, Output

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx"


@functools.lru_cache(maxsize=None)
def load(name):
    """An ONNX fixture as a Network (its not-spike-equivalent warning is not what these tests check)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mstsim.from_onnx(FIXTURES / name)  # an absolute path stays itself


def simulate(graph, x, *, T=4, seed=0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mstsim.simulate(graph, x, T=T, seed=seed).ledger


def small_graph() -> Graph:
    """input -> enc.fc -> enc.act (IF) -> dec.fc -> dec.act (IF) -> head -> output, with module paths."""
    rng = np.random.default_rng(3)
    nodes = [Input("x", shape=(6,)),
             Affine("fc1", ("x",), weight=rng.normal(0.6, 0.4, (8, 6))),
             IF("act1", ("fc1",), theta=1.0),
             Affine("fc2", ("act1",), weight=rng.normal(0.5, 0.5, (8, 8))),
             IF("act2", ("fc2",), theta=1.0),
             Affine("head", ("act2",), weight=rng.normal(0.0, 1.0, (3, 8))),
             Output("y", ("head",))]
    paths = {"x": "", "fc1": "enc.fc", "act1": "enc.act", "fc2": "dec.fc", "act2": "dec.act", "head": "head",
             "y": ""}
    return Graph(nodes, modules=paths)


def small_inputs(n=5):
    return np.random.default_rng(4).random((n, 6)).astype(np.float32)
