"""Build a graph's step plan: one code row per node, constants, and workspace sizes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Graph
from . import encode_analog  # noqa: F401  (registers its encoders)
from .encode_core import ENCODERS
from .encode_shadow import POOL_RULES, check_pool_rule, encode_shadow
from .gather_chains import retire_unread
from .plan_builder import PlanBuilder


@dataclass
class Plan:
    """The flat, compiled form of a graph for one dtype and input multiplicity.

    ``code`` (nodes x fields, int64), ``ints``/``flts``/``f64``/``hashes``
    constants, workspace sizes per sample (``wf_size`` floats, ``wi_size``
    ints), the initial state (``st_init``), the compaction scratch
    (``comp``: int offset, size, float offset) and the ANN MACs per node.
    """

    code: np.ndarray
    ints: np.ndarray
    flts: np.ndarray
    f64: np.ndarray
    hashes: np.ndarray
    wf_size: int
    wi_size: int
    st_init: np.ndarray
    comp: np.ndarray
    ann_macs: np.ndarray
    through_pools: list
    through_fallbacks: list  # pools of events "through" could not route: counted by "events"
    retired: list  # analog remaps every consumer reads through (gather_chains.py): not run

    def workspace_bytes(self, slots: int, batch: int) -> int:
        """Bytes of workspace (per slot) and state (per sample) a run allocates."""
        per_slot = self.wf_size * self.flts.itemsize + self.wi_size * 8
        return slots * per_slot + batch * self.st_init.size * self.flts.itemsize


def build_plan(graph: Graph, dtype, input_multiplicity: int = 1, *, pool_rule: str = "events",
               count_padding: bool = False, share: bool = True) -> Plan:
    """Encode every node of ``graph`` (topological order) into a plan.

    ``input_multiplicity`` bounds the events one input element can carry in a
    step (1 for direct encoding, the largest count for event streams); event
    buffer capacities follow from it. ``pool_rule`` (one of ``POOL_RULES``) and
    ``count_padding`` choose counting conventions (docs/accounting.md); they
    never change a value. ``share`` lets tensors whose lives within a step do
    not overlap share workspace (``workspace_reuse.py``); a run that reads
    every node's output after each step needs ``share=False``.
    """
    check_pool_rule(pool_rule)
    b = PlanBuilder(graph, dtype, max(int(input_multiplicity), 1), pool_rule=pool_rule,
                    count_padding=count_padding, share=share)
    for i, node in enumerate(graph):
        b.current = i
        ENCODERS.lookup(node)(b, node)
        encode_shadow(b, node)
    retired = retire_unread(b)
    fields = b.finish()
    fields["retired"] = retired
    fields["through_pools"] = list(b.through_pools)
    fields["through_fallbacks"] = list(b.through_fallbacks)
    fields["st_init"] = fields["st_init"].astype(b.dtype, copy=False)
    return Plan(**fields)
