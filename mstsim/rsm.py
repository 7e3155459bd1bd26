"""Random Spike Masking sites: find them in a graph and set or insert Mask nodes.

A site is an IF node: its spikes, after the reset, go through a Mask that
drops each with probability ``ratio`` (a dropped spike is lost). Presets are
structural, so they work whatever exporter named the nodes:

- ``attention``: the q and k spikes (the IFs feeding, through remaps, the two
  spiking operands of a MatMul) and the score spikes (the IF fed, through
  analog elementwise ops, by such a MatMul), as in the MST paper and code;
- ``mlp``: the IFs after the two Linear layers of each MLP (an Affine that
  widens the features, its IF, then an Affine back to the original width);
- ``all``: every IF (the paper masks every block of ResNet and VGG this way);
- ``exported``: only the Mask nodes already in the model (from the ONNX pattern);
- anything else is an ``fnmatch`` pattern on IF names and on Mask names and sites.
"""
from __future__ import annotations

import dataclasses
from fnmatch import fnmatch

from .ir import IF, Affine, Graph, Remap
from .ir.analog import Elementwise
from .ir.attention import Mask, MatMul
from .ir.errors import GraphError

PRESETS = ("attention", "mlp", "all", "exported")
_PASS_THROUGH = (Remap, Mask)


def _source_if(graph: Graph, name: str) -> str | None:
    """The IF a tensor comes from, through remaps and masks (None if not from one IF)."""
    while True:
        node = graph[name]
        if isinstance(node, IF):
            return name
        if not isinstance(node, _PASS_THROUGH) or len(node.inputs) != 1:
            return None
        name = node.inputs[0]


def _consumers_through(graph: Graph, name: str, kinds) -> list[str]:
    """Nodes reached from ``name`` through nodes of the given kinds (not included)."""
    found, stack = [], list(graph.consumers[name])
    while stack:
        n = stack.pop()
        if isinstance(graph[n], kinds):
            stack.extend(graph.consumers[n])
        else:
            found.append(n)
    return found


def attention_sites(graph: Graph) -> list[str]:
    sites = []
    for node in graph:
        if not isinstance(node, MatMul) or any(graph.kinds[s] != "event" for s in node.inputs):
            continue
        sites += [s for s in (_source_if(graph, x) for x in node.inputs) if s]
        sites += [n for n in _consumers_through(graph, node.name, Elementwise) if isinstance(graph[n], IF)]
    return sites


def mlp_sites(graph: Graph) -> list[str]:
    sites = []
    for fc1 in graph:
        if not isinstance(fc1, Affine) or fc1.weight.shape[0] <= fc1.weight.shape[1]:
            continue
        ifs = [n for n in _consumers_through(graph, fc1.name, Elementwise) if isinstance(graph[n], IF)]
        for if1 in ifs:
            for fc2 in _consumers_through(graph, if1, _PASS_THROUGH):
                node = graph[fc2]
                if isinstance(node, Affine) and node.weight.shape[0] == fc1.weight.shape[1]:
                    sites.append(if1)
                    sites += [n for n in _consumers_through(graph, fc2, Elementwise) if isinstance(graph[n], IF)]
    return sites


def select_sites(graph: Graph, sites, *, allow_empty: bool = False) -> tuple[list[str], list[str]]:
    """(IF nodes to mask, existing Mask nodes to set) for a preset, pattern or list of names.

    A preset that finds nothing is an error unless ``allow_empty`` (masking at ratio 0).
    """
    masks = [n.name for n in graph if isinstance(n, Mask)]
    if sites == "exported":
        return [], masks
    if sites == "attention":
        ifs = attention_sites(graph)
    elif sites == "mlp":
        ifs = mlp_sites(graph)
    elif sites == "all":
        ifs = [n.name for n in graph if isinstance(n, IF)]
    elif isinstance(sites, str):
        ifs = [n.name for n in graph if isinstance(n, IF) and fnmatch(n.name, sites)]
        masks = [m for m in masks if fnmatch(m, sites) or fnmatch(graph[m].site, sites)]
        if not ifs and not masks:
            raise GraphError(f"mask sites {sites!r} match no IF node and no Mask node")
        return list(dict.fromkeys(ifs)), masks
    else:
        if isinstance(sites, bytes) or not hasattr(sites, "__iter__"):
            raise GraphError(f"mask sites must be a preset ('attention', 'mlp', 'all', 'exported'), an fnmatch "
                             f"pattern or a list of IF names, got {sites!r}")
        ifs = list(sites)
        for name in ifs:
            if not isinstance(name, str):
                raise GraphError(f"mask site {name!r} is not an IF node name")
            if name not in graph or not isinstance(graph[name], IF):
                raise GraphError(f"mask site {name!r} is not an IF node of the graph")
    if not ifs and not allow_empty:
        raise GraphError(f"this network has no {sites!r} mask sites; try 'all' or a name pattern")
    ifs = list(dict.fromkeys(ifs))
    # an IF already followed by a Mask is masked there, not twice
    followed = {graph[m].inputs[0]: m for m in masks}
    return [s for s in ifs if s not in followed], [followed[s] for s in ifs if s in followed]


def _unused(graph: Graph, name: str) -> str:
    """``name``, or ``name#2``, ``name#3``... if a node of ``graph`` already has it."""
    base, i = name, 1
    while name in graph:
        i += 1
        name = f"{base}#{i}"
    return name


def configure_rsm(graph: Graph, ratio: float, sites="attention") -> Graph:
    """A copy of ``graph`` where the selected sites drop spikes with probability ``ratio``.

    Existing Mask nodes on those sites get the new ratio; the other selected
    IFs get a new Mask (named ``<IF>/rsm``) between them and all their consumers.
    """
    ratio = float(ratio)
    if not 0.0 <= ratio <= 1.0:
        raise GraphError(f"mask ratio must be in [0, 1], got {ratio}")
    new_ifs, set_masks = select_sites(graph, sites, allow_empty=ratio == 0.0)
    label = sites if isinstance(sites, str) else "user"
    rename = {s: _unused(graph, f"{s}/rsm") for s in new_ifs}
    out = Graph()
    for node in graph:
        inputs = tuple(rename.get(s, s) for s in node.inputs)
        changes = {"inputs": inputs} if inputs != node.inputs else {}
        if node.name in set_masks:
            changes["ratio"] = ratio
        out.add(dataclasses.replace(node, **changes) if changes else node)
        if node.name in rename:
            out.add(Mask(rename[node.name], (node.name,), ratio=ratio, site=f"{label}:{node.name}"))
    # module paths carry over; a new mask belongs to the module of the neuron it masks
    out.modules = dict(graph.modules)
    out.modules.update({rename[s]: graph.modules[s] for s in rename if s in graph.modules})
    return out
