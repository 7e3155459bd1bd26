"""The user-facing network: an IR graph with where it came from, run as an SNN or as its ANN.

Importers (``mstsim.importers``) build a :class:`Network`; the core never
imports them: :func:`from_onnx` finds the ONNX importer through the
``mstsim.importers`` entry point group of the installed packages.
"""
from __future__ import annotations

import os
import warnings
import weakref
from importlib.metadata import entry_points

import numpy as np

from . import ann, validate
from .inspect_table import inspect_table
from .ir import Graph
from .ir.errors import GraphError, MstsimError
from .rsm import configure_rsm


class NotSpikeEquivalentWarning(UserWarning):
    """A node's SNN form does not average to its ANN form (softmax, LayerNorm, MaxPool, spike products...)."""


_WARNED: weakref.WeakSet = weakref.WeakSet()  # node objects already warned about in this process


def warn_not_spike_equivalent(graph: Graph, provenance: dict | None = None, *, stacklevel: int = 2) -> list[str]:
    """Warn about the nodes of ``graph`` that are not spike-equivalent, each once per process.

    Such a node acts on each step's values, so the SNN's time average is not
    the ANN's value through it (``spike_equivalent`` on the IR node types:
    softmax, LayerNorm, MaxPool, products of two signals...). One
    :class:`NotSpikeEquivalentWarning` per call names every node not warned
    about before, grouped by op.

    Parameters
    ----------
    graph : Graph
    provenance : dict, optional
        IR node name -> ONNX node name, named in the message.
    stacklevel : int
        Passed to :func:`warnings.warn` (2: the caller's caller).

    Returns
    -------
    list of str : the names of the nodes this call warned about.
    """
    by_kind: dict[str, list[str]] = {}
    named = []
    for node in graph:
        if getattr(node, "spike_equivalent", True) or node in _WARNED:
            continue
        _WARNED.add(node)
        op = getattr(node, "op", None)
        kind = type(node).__name__ + (f":{op}" if isinstance(op, str) else "")
        origin = (provenance or {}).get(node.name)
        by_kind.setdefault(kind, []).append(repr(node.name) + (f" (ONNX {origin!r})" if origin else ""))
        named.append(node.name)
    if named:
        groups = "; ".join(f"{kind} x{len(names)}: {', '.join(names)}" for kind, names in by_kind.items())
        warnings.warn(f"{len(named)} node(s) are not spike-equivalent (they act on each step's values, so the "
                      f"SNN's time average differs from the ANN through them): {groups}",
                      NotSpikeEquivalentWarning, stacklevel=stacklevel + 1)
    return named


def rsm_settings(rsm) -> tuple[float, object] | None:
    """Normalise the ``rsm`` argument: None, a ratio, or ``{"ratio": p, "sites": ...}``."""
    if rsm is None:
        return None
    if isinstance(rsm, dict):
        unknown = set(rsm) - {"ratio", "sites"}
        if unknown or "ratio" not in rsm:
            raise GraphError(f"rsm must be a ratio or {{'ratio': p, 'sites': ...}}, got keys {sorted(rsm)}")
        return validate.ratio(rsm["ratio"], "rsm ratio"), rsm.get("sites", "attention")
    if isinstance(rsm, bool) or not isinstance(rsm, (int, float, np.floating, np.integer)):
        raise GraphError(f"rsm must be None, a ratio or {{'ratio': p, 'sites': ...}}, got {rsm!r}")
    return validate.ratio(rsm, "rsm ratio"), "attention"


class Network:
    """A QCFS network: the IR graph plus where every node came from.

    Parameters and attributes
    -------------------------
    graph : Graph
        The per-sample IR.
    source : str
        The file it came from (for messages).
    provenance : dict
        IR node name -> name of the ONNX node (or chain end) it came from.
    tensors : dict
        IR node name -> file tensor whose value it computes (for checking
        against onnxruntime); nodes changed by fusions have no entry.
    patterns : dict
        Counts of the fused patterns and of the IR passes.
    metadata : dict
        The file's metadata (``mstsim.preprocess`` holds how to feed it).
    layouts : dict
        IR node name -> (full exported shape, batch axis, per-sample factor),
        see :meth:`per_sample`.
    export_batch : int or None
        The batch size baked into the file.
    onnx_input, onnx_output : str or None
        The file's input and output tensor names.
    """

    def __init__(self, graph: Graph, *, source: str = "<graph>", provenance=None, tensors=None, patterns=None,
                 metadata=None, layouts=None, export_batch=None, onnx_input=None, onnx_output=None):
        graph.check_complete()
        self.graph, self.source = graph, source
        self.provenance = dict(provenance or {})
        self.tensors = dict(tensors or {})
        self.patterns = dict(patterns or {})
        self.metadata = dict(metadata or {})
        self._layouts = dict(layouts or {})
        self.export_batch, self.onnx_input, self.onnx_output = export_batch, onnx_input, onnx_output

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.graph.input_node().shape

    def per_sample(self, node: str, full: np.ndarray) -> np.ndarray:
        """A batch tensor of the file, for IR node ``node``, as ``(B, *per-sample shape)``.

        The exported tensor may hold the batch as the outer factor of a
        non-leading axis (``(3, B * windows, ...)``); this undoes that.
        """
        if node not in self._layouts:
            raise GraphError(f"node {node!r} has no recorded layout in {self.source}")
        shape, bax, k = self._layouts[node]
        full = np.asarray(full).reshape(shape[:bax] + (-1, k) + shape[bax + 1:])
        full = np.moveaxis(full, bax, 0)
        return full.reshape((full.shape[0],) + self.graph.shapes[node])

    def configured(self, rsm=None) -> Graph:
        """The graph with Random Spike Masking set as ``rsm`` asks.

        ``rsm`` is None (the exported masks as they are), a ratio (on the
        ``attention`` sites: q, k and scores) or ``{"ratio": p, "sites": s}``
        with s in ``attention``, ``mlp``, ``all``, ``exported``, an fnmatch
        pattern or a list of IF names (see :mod:`mstsim.rsm`).
        """
        settings = rsm_settings(rsm)
        return self.graph if settings is None else configure_rsm(self.graph, *settings)

    def simulate(self, inputs, *, T: int, rsm=None, seed: int = 0, dtype=np.float32,
                 batch_size: int | None = None, detail: bool = False, progress=None, **hooks):
        """Run as a spiking network for T steps (see :func:`mstsim.simulate`).

        ``rsm`` as in :meth:`configured`; ``seed`` fixes every mask together
        with each sample's index. ``hooks`` are :func:`mstsim.simulate`'s
        ``sample_ids``, ``on_step``, ``on_batch``, ``between_batches``, ``pool_rule``
        and ``count_padding``.
        Warns (:class:`NotSpikeEquivalentWarning`) once for every node that is
        not spike-equivalent.
        """
        from .api import simulate  # here, not at the top: api imports this module for the warning

        unknown = set(hooks) - {"sample_ids", "on_step", "on_batch", "between_batches", "pool_rule",
                                "count_padding"}
        if unknown:
            raise validate.ArgumentError(f"Network.simulate got unknown keyword(s) {sorted(unknown)}")
        graph = self.configured(rsm)
        warn_not_spike_equivalent(graph, self.provenance)
        return simulate(graph, inputs, T=T, seed=seed, dtype=dtype, batch_size=batch_size,
                        detail=detail, progress=progress, **hooks)

    def run_ann(self, x, *, rsm=None, seed: int = 0, dtype=np.float64, keep: bool = False, sample_ids=None,
                mask_ratio=None):
        """Evaluate in ANN mode (every IF as its QCFS) on a batch ``(B, *input_shape)``.

        ``rsm`` and ``seed`` as in :meth:`simulate` (same default seed, so the
        ANN and the SNN draw their masks alike). ``keep`` returns every
        node's output. ``mask_ratio`` is deprecated: use
        ``rsm={"ratio": p, "sites": "exported"}``.
        """
        if mask_ratio is not None:
            warnings.warn("run_ann(mask_ratio=p) is deprecated; use rsm={'ratio': p, 'sites': 'exported'}",
                          FutureWarning, stacklevel=2)
            if rsm is not None:
                raise GraphError("pass rsm= or mask_ratio=, not both")
            rsm = {"ratio": mask_ratio, "sites": "exported"}
        return ann.run_ann(self.configured(rsm), x, dtype=dtype, keep=keep, seed=seed, sample_ids=sample_ids)

    def inspect(self) -> str:
        """A table of the graph: node, op, kind, shape, IF theta and L, fan-out (synapses per input
        event, docs/accounting.md), ANN MACs, warnings (ops that are not spike-equivalent, masks)."""
        return inspect_table(self.graph, self.patterns)

    def __repr__(self) -> str:
        return f"Network({self.source!r}, {len(self.graph)} nodes, input {self.input_shape})"


def importer(fmt: str):
    """The installed importer for model format ``fmt`` (entry point group ``mstsim.importers``)."""
    found = entry_points(group="mstsim.importers", name=fmt)
    if not found:
        raise MstsimError(f"no importer for {fmt!r} models is installed (entry point group 'mstsim.importers'); "
                          "reinstall mstsim with `pip install -e .`")
    return next(iter(found)).load()


def from_onnx(path_or_model, *, input_shape=None, require_qcfs: bool = True) -> Network:
    """Import a QCFS network exported to ONNX (see ``mstsim.importers.onnx.from_onnx``).

    Parameters
    ----------
    path_or_model : str, Path or onnx.ModelProto
    input_shape : sequence of int, optional
        Binds dynamic input dimensions (the full or the per-sample shape).
    require_qcfs : bool
        Refuse a model without any QCFS activation (default).

    Returns
    -------
    Network
    """
    if not isinstance(path_or_model, (str, os.PathLike)) and type(path_or_model).__name__ != "ModelProto":
        raise validate.ArgumentError(f"from_onnx takes a file path or an onnx.ModelProto, got "
                                     f"{type(path_or_model).__name__}")
    if input_shape is not None:
        if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__"):
            raise validate.ArgumentError(f"input_shape must be a sequence of positive ints, got {input_shape!r}")
        input_shape = tuple(validate.integer("input_shape entry", d, lo=1) for d in input_shape)
    return importer("onnx")(path_or_model, input_shape=input_shape, require_qcfs=require_qcfs)
