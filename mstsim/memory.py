"""How much memory a run will need, and whether this machine has it.

The estimate is made from the graph before anything is allocated, so a run
that cannot fit (``--T 1000000000``, a huge batch, a model whose metadata
asks for enormous images) is refused with the estimate and the available
memory instead of dying with a ``MemoryError`` after minutes of work.

:func:`engine_bytes_per_sample` is the engine's share; it is a conservative
model of the buffers (a dense value and a worst-case event list per node, a
second array for IF membranes) that the engine may refine with the exact
sizes of its step plan.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np

from .ir import IF, Graph
from .ir.errors import MstsimError
from .ledger import COLUMNS

INDEX_BYTES = 8          # an event's element index (int64)
RECORD_BYTES = 12        # a recorded spike: sample, step, index as int32
HEADROOM = 0.9           # refuse above this fraction of the available memory


class InsufficientMemory(MstsimError):
    """A run would need more memory than the machine has available."""


@dataclasses.dataclass
class MemoryEstimate:
    """Bytes a run needs, by part; ``bounds`` are upper bounds that may not be reached.

    ``parts`` is what the run allocates for certain (network state, ledger,
    results, inputs); ``bounds`` holds worst cases such as recorded spikes
    (every neuron firing at every step), which real runs stay far below.
    """

    parts: dict[str, int]
    bounds: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def total(self) -> int:
        return int(sum(self.parts.values()))

    @property
    def worst(self) -> int:
        return self.total + int(sum(self.bounds.values()))

    def describe(self) -> str:
        """One line: the total, then each part."""
        parts = ", ".join(f"{k} {format_bytes(v)}" for k, v in self.parts.items() if v)
        bounds = "".join(f"; {k} up to {format_bytes(v)}" for k, v in self.bounds.items() if v)
        return f"{format_bytes(self.total)} ({parts}{bounds})"


def format_bytes(n: float) -> str:
    """``1536`` -> ``1.5 KiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _elements(graph: Graph, name: str) -> int:
    return int(np.prod(graph.shapes[name], dtype=np.int64))


def weight_bytes(graph: Graph) -> int:
    """Bytes of every array held by the graph's nodes (weights, biases, tables)."""
    total = 0
    for node in graph:
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, np.ndarray):
                total += value.nbytes
    return total


def engine_bytes_per_sample(graph: Graph, dtype) -> int:
    """Engine buffers for one sample of a batch: every node's dense value, a worst-case
    event list for event nodes, and the membrane of every IF neuron."""
    item = np.dtype(dtype).itemsize
    total = 0
    for node in graph:
        n = _elements(graph, node.name)
        total += n * item
        if graph.kinds[node.name] == "event":
            total += n * INDEX_BYTES
        if isinstance(node, IF):
            total += n * item
    return total


def spiking_elements(graph: Graph) -> int:
    """Elements per sample of the nodes that emit events (what ``--record spikes`` stores)."""
    return sum(_elements(graph, n.name) for n in graph if graph.kinds[n.name] == "event")


def plan_bytes(plan, *, batch: int, slots: int) -> int:
    """What the engine allocates for a compiled plan: its tables, per-thread workspaces, per-sample state."""
    tables = plan.code.nbytes + plan.ints.nbytes + plan.flts.nbytes + plan.f64.nbytes
    return int(tables + plan.workspace_bytes(slots, batch))


def estimate_simulation(graph: Graph, *, samples: int, batch: int, T: int, dtype=np.float32,
                        detail: bool = False, record: bool = False, input_bytes: int = 0,
                        ann: bool = False, plan=None, slots: int | None = None) -> MemoryEstimate:
    """Bytes needed to simulate ``samples`` samples in batches of ``batch`` for ``T`` steps.

    Parameters
    ----------
    graph : Graph
    samples, batch, T : int
    dtype : float32 or float64
    detail : bool
        Per-step ledger rows (``T x nodes x columns`` int64, one for the run
        and one for the batch being merged into it).
    record : bool
        Spike recording: its upper bound goes to ``bounds``.
    input_bytes : int
        Bytes of the prepared inputs and preprocessing buffers.
    ann : bool
        Each batch is also evaluated in ANN mode (float32, every node's value kept), as ``mstsim run`` does.
    plan, slots : optional
        The engine's compiled plan and the workspaces it will use (threads, or the batch when
        stepping): the network state is then what the engine allocates, not an estimate.

    Returns
    -------
    MemoryEstimate
    """
    batch = max(1, min(batch, samples))
    item = np.dtype(dtype).itemsize
    nodes = len(graph)
    out = _elements(graph, graph.output_node().name)
    row = nodes * len(COLUMNS) * 8
    parts = {
        "weights": weight_bytes(graph),
        "network state": (engine_bytes_per_sample(graph, dtype) * batch if plan is None
                          else plan_bytes(plan, batch=batch, slots=min(slots or batch, batch))),
        "ledger": 2 * row + (2 * T * row if detail else 0),
        # cumulative logits of every step: per batch, and concatenated for all samples
        "logits": T * out * item * (samples + batch),
        "predictions": T * samples * 8 * 2,
        "inputs": int(input_bytes),
    }
    if ann:
        parts["ANN forward"] = sum(_elements(graph, n.name) for n in graph) * batch * 4
    bounds = {"recorded spikes": spiking_elements(graph) * T * samples * RECORD_BYTES} if record else {}
    return MemoryEstimate(parts, bounds)


def available_bytes() -> int | None:
    """Memory this process can still allocate: MemAvailable, capped by a cgroup limit.

    ``None`` when neither ``/proc/meminfo`` nor ``sysconf`` tells (then no run is refused).
    """
    found = _meminfo_available()
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            found = None
    limit = _cgroup_headroom()
    if limit is not None:
        found = limit if found is None else min(found, limit)
    return found


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_headroom() -> int | None:
    """cgroup v2 ``memory.max - memory.current`` of this process's group, if limited."""
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f:
            raw = f.read().strip()
        if raw == "max":
            return None
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as f:
            return max(int(raw) - int(f.read().strip()), 0)
    except (OSError, ValueError):
        return None


def check_fits(estimate: MemoryEstimate, what: str, *, available: int | None = None, hint: str = "") -> None:
    """Raise :class:`InsufficientMemory` naming both numbers if ``estimate`` does not fit.

    ``available`` defaults to :func:`available_bytes`; when that is unknown nothing is refused.
    """
    available = available_bytes() if available is None else available
    if available is None or estimate.total <= HEADROOM * available:
        return
    raise InsufficientMemory(f"{what} needs about {estimate.describe()}, but only "
                             f"{format_bytes(available)} is available" + (f"; {hint}" if hint else ""))


def warn_bounds(estimate: MemoryEstimate, *, available: int | None = None) -> str | None:
    """A warning when the worst case of ``bounds`` (recorded spikes) might not fit, else None."""
    available = available_bytes() if available is None else available
    if available is None or not estimate.bounds or estimate.worst <= HEADROOM * available:
        return None
    names = ", ".join(f"{k} (up to {format_bytes(v)})" for k, v in estimate.bounds.items())
    return (f"warning: {names} may not fit in the {format_bytes(available)} available if the network "
            f"fires densely; fewer --samples keep it bounded")
