"""What every tensor is, for counting: events, affine-of-events, analog, or routed through a pool.

Decided once per graph from its structure and the pool rule (docs/accounting.md
rules 16 and 17):

- ``EVENT``: spikes and event streams, merged by adds and moved by remaps;
- ``AE`` (affine of events): a per-channel affine of events or AE, an add or
  remap of events and AE (at least one AE), a pool of events or AE under the
  ``events`` rule. It carries underlying events and an offset flag;
- ``ROUTED``: the output of a pool under the ``through`` rule and of the
  single-input remaps after it, up to the synaptic consumers (Affine, Conv2d,
  IF) that the pool folds into. It carries the pool's input events (which
  the pool and those remaps pass on unchanged) and a 0/1
  matrix ``route`` from the pool's input elements to its own elements; the
  consumer's fan-out is that matrix times its synapse matrix, counted as
  distinct targets (a union, not a sum of paths);
- ``ANALOG``: everything else.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from ..ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Input, Mean, Remap
from ..ir.attention import Mask
from ..validate import ArgumentError

EVENT, AE, ANALOG, ROUTED = "event", "ae", "analog", "routed"
POOL_RULES = ("events", "through", "dense")
POOLS = (AvgPool2d, Mean)
#: consumers a pool folds into under ``through``
THROUGH_CONSUMERS = (Affine, Conv2d, IF)


def check_pool_rule(value) -> str:
    """``value`` if it names a pool rule, else an ArgumentError (a ValueError) naming ``pool_rule``."""
    if not isinstance(value, str) or value not in POOL_RULES:
        raise ArgumentError(f"pool_rule must be one of {', '.join(POOL_RULES)}, got {value!r}")
    return value


def remap_matrix(node: Remap, n_in: int) -> sparse.csr_matrix:
    """``(n_in, n_out)`` 0/1 matrix of a remap's gather map: element src[j] goes to j."""
    j = np.flatnonzero(node.src >= 0)
    return sparse.csr_matrix((np.ones(j.size, dtype=np.int64), (node.src[j], j)), shape=(n_in, node.src.size))


def folds_through(graph, pool) -> bool:
    """True when every path out of ``pool`` crosses only single-input remaps into Affine, Conv2d or IF."""
    todo = list(graph.consumers[pool.name])
    while todo:
        node = graph[todo.pop()]
        if isinstance(node, Remap) and len(node.inputs) == 1:
            todo.extend(graph.consumers[node.name])
        elif not isinstance(node, THROUGH_CONSUMERS):
            return False
    return True


class Forms:
    """``form[name]``, ``offset[name]``, ``route[name]`` and the composed fan-outs ``fan[consumer]``.

    ``fan[name] = (all, effective)``: per input element of the pool feeding
    the through consumer, the distinct outputs it reaches (through non-zero
    weights for ``effective``).
    """

    def __init__(self, graph, synapses: dict, pool_rule: str) -> None:
        self.form: dict[str, str] = {}
        self.offset: dict[str, bool] = {}
        self.route: dict[str, sparse.csr_matrix] = {}
        self.fan: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.pool_rule = pool_rule
        for node in graph:
            forms = [self.form[s] for s in node.inputs]
            if forms and forms[0] == ROUTED:
                form = self._routed(node, synapses.get(node.name))
            else:
                form = self._form(graph, node, forms, synapses)
            self.form[node.name] = form
            offset = any(self.offset[s] for s in node.inputs) or (isinstance(node, ChannelAffine)
                                                                  and node.shift is not None)
            self.offset[node.name] = offset and form in (AE, ROUTED)

    def _form(self, graph, node, forms, synapses) -> str:
        eventish = bool(forms) and all(f in (EVENT, AE) for f in forms)
        if isinstance(node, Input):
            return EVENT if graph.kinds[node.name] == EVENT else ANALOG
        if isinstance(node, IF):
            return EVENT
        if isinstance(node, Mask):
            return EVENT if forms[0] == EVENT else ANALOG
        if isinstance(node, (ChannelAffine, Add, Remap)) and eventish:
            return EVENT if all(f == EVENT for f in forms) and not isinstance(node, ChannelAffine) else AE
        if isinstance(node, POOLS) and eventish:
            if self.pool_rule == "dense":
                return ANALOG
            if self.pool_rule == "through" and folds_through(graph, node):
                self.route[node.name] = synapses[node.name].matrix()
                return ROUTED
            return AE
        return ANALOG

    def _routed(self, node, syn) -> str:
        """A node reading a through pool's output: a remap on the path, or the consumer it folds into."""
        route = self.route[node.inputs[0]]
        if isinstance(node, Remap):
            self.route[node.name] = route @ remap_matrix(node, route.shape[1])
            return ROUTED
        if isinstance(node, IF):  # the distinct neurons reached
            self.fan[node.name] = (_reach(route),) * 2
            return EVENT
        self.fan[node.name] = (_reach(route @ syn.matrix()), _reach(route @ syn.matrix(effective=True)))
        return ANALOG


def _reach(m) -> np.ndarray:
    """Per row, the number of distinct columns with a non-zero entry."""
    m = sparse.csr_matrix(m)
    m.eliminate_zeros()
    return np.diff(m.indptr).astype(np.int64)
