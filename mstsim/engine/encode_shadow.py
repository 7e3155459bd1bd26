"""Plan fields for counting as a spike-driven implementation would (docs/accounting.md, rules 7 and 16-18).

An affine of events (a BatchNorm of spikes, sums of such tensors and spikes,
their remaps, a pool's touched outputs) keeps its values dense, as the
arithmetic needs, and also carries its *underlying events*: consumers count
ACs from those, not MACs from the dense values, since a spike-driven
implementation folds the scale into the consumer's weights and the offset
into its bias. Nothing here changes a value.
"""
from __future__ import annotations

import numpy as np

from ..ir import IF, Add, Affine, AvgPool2d, ChannelAffine, Conv2d, Mean, Remap
from ..validate import ArgumentError
from ..kernels import plan_layout as L
from .encode_core import inverse_fields

POOL_RULES = ("events", "through", "dense")
POOLS = (AvgPool2d, Mean)
LOCAL = ("events", "local")
# consumers that count ACs from the underlying events themselves
COUNT_THEMSELVES = (Affine, Conv2d, AvgPool2d, Mean, ChannelAffine, IF)


class ThroughFallbackWarning(UserWarning):
    """Some pools of events are counted by the ``events`` rule although ``through`` was asked for."""


def through_fallback_message(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return (f"pool_rule 'through': {len(names)} pool(s) of events counted by 'events' instead, since their "
            f"output reaches a node the rule cannot route into (docs/accounting.md, rule 17): {shown}")


def check_pool_rule(rule) -> None:
    if rule not in POOL_RULES:
        raise ArgumentError(f"pool_rule must be one of {', '.join(map(repr, POOL_RULES))}, got {rule!r}")


def check_count_padding(value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"count_padding must be True or False, got {value!r}")
    return bool(value)


def carrier(b, name: str):
    """(mode, has offset, capacity, multiplicity) of a tensor's underlying events; None when truly analog."""
    if b.is_events(name):
        return ("events", False, b.cap_of(name), b.mult.get(name, 1))
    return b.shadow.get(name)


def storage(b, name: str) -> tuple[int, int, int, int]:
    """(int workspace offset, form, counts length, form flag slot) of an events or AE tensor's underlying events."""
    r = b.code[b.index[name]]
    if r[L.KIND] == 1:
        return int(r[L.IOFF]), L.LIST, 0, -1
    return int(r[L.SHD]), int(r[L.SHD_FORM]), int(r[L.SHD_LEN]), int(r[L.SHD_FLAG])


def encode_shadow(b, node) -> None:
    """Fill the node's counting fields after its own encoder ran."""
    r = b.row(node)
    ins = [carrier(b, s) for s in node.inputs]
    if any(c is not None and c[0] != "events" for c in ins):
        r[L.SHD_IN] = 1
    made = None if b.static[node.name] or r[L.KIND] == 1 else _own(b, node, r, ins)
    if made is not None:
        own, form = made
        b.shadow[node.name] = own
        if form == "alias":  # the same events as its one input: read where they already are
            r[L.SHD], r[L.SHD_FORM], r[L.SHD_LEN], r[L.SHD_FLAG] = storage(b, node.inputs[0])
        elif form == "list":
            r[L.SHD], r[L.SHD_FORM], r[L.SHD_LEN] = b.int_scratch(own[2]), L.LIST, 0
        else:  # a list while sparse, else counts: room for the counts holds such a list too
            r[L.SHD], r[L.SHD_FORM], r[L.SHD_LEN] = b.int_scratch(own[2]), L.EITHER, own[2]
            r[L.SHD_FLAG], r[L.SHD_SPARSE] = b.int_scratch(1), _list_density(own[2])
        r[L.SHD_OFS] = int(own[1])
        r[L.SHD_THRU] = int(own[0] == "through")
    if r[L.SHD_IN] == 1:
        _consumer(b, node, r, ins)


def _own(b, node, r, ins):
    """(the underlying events the node's output carries, how they are stored), or None.

    Copies are aliases. Merges and moves keep a list of indices while their
    events are sparse, else a count per element, which a remap moves by the
    same gather as the values, in time proportional to the tensor, with no
    inverse map to look up per event (plan_shadow.py).
    """
    if not ins or any(c is None for c in ins):
        return None
    offset = any(c[1] for c in ins)
    kind = type(node)
    size = int(r[L.SIZE])
    if kind is ChannelAffine and ins[0][0] in LOCAL:  # folds into its consumers
        r[L.SHD_SRC], r[L.QUIET] = L.COPY, 1
        return ("local", offset or node.shift is not None, ins[0][2], ins[0][3]), "alias"
    if kind in POOLS and ins[0][0] in LOCAL:
        return _pool(b, node, r, ins[0])
    if kind is Add and all(c[0] in LOCAL for c in ins):  # a merge of events: free
        r[L.SHD_SRC], r[L.QUIET] = L.CONCAT, 1
        return ("local", offset, size, 1), "either"
    if kind is Remap:
        if len(ins) == 1 and ins[0][0] == "through":  # composed into the consumer's table
            r[L.SHD_SRC] = L.COPY
            return ins[0], "alias"
        if all(c[0] in LOCAL for c in ins):
            if _identity(b, node):  # a reshape: the same elements in the same order
                r[L.SHD_SRC] = L.COPY
                return ("local", offset, ins[0][2], ins[0][3]), "alias"
            r[L.SHD_SRC] = L.MOVE
            inverse_fields(b, node, r)
            r[L.MOVE_FAN] = int(np.bincount(node.src[node.src >= 0]).max(initial=0))
            # room to count each input's list into, when it has one
            r[L.CNT_AT] = b.counting_room([int(np.prod(b.graph.shapes[s])) for s in node.inputs])
            return ("local", offset, size, 1), "either"
    return None


def _list_density(size: int) -> int:
    """1 / the density below which a merge or move of ``size`` elements keeps a list."""
    return 1 if size <= L.LIST_ALWAYS_UP_TO else max(int(L.LIST_DENSITY), 1)


def _identity(b, node) -> bool:
    """A remap of one input whose output element j is input element j."""
    return (len(node.inputs) == 1 and int(np.prod(b.graph.shapes[node.inputs[0]])) == node.src.size
            and bool(np.array_equal(node.src, np.arange(node.src.size))))


def _pool(b, node, r, src):
    """A pool of events by the plan's pool rule (``dense``: no underlying events, its consumers pay MACs)."""
    if b.pool_rule == "dense":
        return None
    if b.pool_rule == "through":
        from .through import through_tables
        tables = through_tables(b.graph, node.name)
        if tables is not None:
            for consumer, (fan, eff) in tables.items():
                b.through_fan[consumer] = (b.ints(fan), b.ints(eff))
            b.through_pools.append(node.name)
            r[L.SHD_SRC], r[L.QUIET] = L.COPY, 1
            return ("through", src[1], src[2], src[3]), "alias"
        b.through_fallbacks.append(node.name)
    # "events" (or a "through" pool whose output reaches a node the rule cannot route into):
    # each pooled element some event reaches is one graded event
    size = int(r[L.SIZE])
    r[L.SHD_SRC] = L.TOUCHED
    r[L.MARK], r[L.MARK + 1] = b.dense(size), b.flts(np.ones(src[2]))
    b.need_compaction(size)
    b.need_compaction(src[2])  # a counts input is listed in the compaction scratch first
    return ("local", src[1], size, 1), "list"


def _consumer(b, node, r, ins) -> None:
    """How the node pays for affine-of-events inputs."""
    if node.name in b.shadow:  # carries them on
        return
    if ins[0] is not None and ins[0][0] == "through":
        fan, eff = b.through_fan[node.name]
        r[L.FAN_S], r[L.EFF_S] = fan, eff
    elif type(node) not in COUNT_THEMSELVES:
        r[L.MAT] = 1
