"""Sweeps on Dask distributed: an existing cluster (scheduler address) or a LocalCluster.

Imported only when asked for; ``distributed`` comes from the optional
``dist`` extra. Each worker gets the networks once, through a worker
plugin (so workers that join or restart later get them too), and chunks go
through Dask's ``concurrent.futures`` executor; the scheduler reruns the
chunks of a worker that dies.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import sys

from .ir.errors import UnsupportedInput
from .sweep_exec import cpu_share
from .sweep_worker import WorkerSetup, run_chunk

try:
    from distributed import Client, LocalCluster, WorkerPlugin
except ImportError:  # the dist extra is not installed
    Client = LocalCluster = None
    WorkerPlugin = object


class ModelsPlugin(WorkerPlugin):
    """Imports and warms the sweep's networks on every worker, before its first chunk."""

    def __init__(self, models: WorkerSetup) -> None:
        self.models = models

    def setup(self, worker) -> None:
        self.models.install()


class DaskBackend:
    """Chunks on a Dask cluster: ``scheduler`` (an address) or ``local_workers`` (a LocalCluster)."""

    def __init__(self, setup: WorkerSetup, *, scheduler=None, local_workers=None) -> None:
        if Client is None:
            raise UnsupportedInput("Dask is not installed: pip install 'mstsim[dist]' (or pip install distributed)")
        self.cluster = None
        try:
            if scheduler is None:
                self.cluster = LocalCluster(n_workers=int(local_workers), threads_per_worker=1, processes=True,
                                            dashboard_address=":0", silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise UnsupportedInput(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
        if self.cluster is not None:  # our own workers share this machine's cores
            setup = dataclasses.replace(setup, threads=cpu_share(int(local_workers)))
        key = hashlib.sha256("".join(m.sha256 for m in setup.models).encode()).hexdigest()[:16]
        self.client.register_plugin(ModelsPlugin(setup), name=f"mstsim-models-{key}")
        threads = sum(self.client.nthreads().values())
        self.workers = max(threads, 1)
        self.name = f"Dask at {self.client.scheduler.address} ({threads} worker threads)"
        print(f"mstsim sweep: Dask dashboard {self.client.dashboard_link}", file=sys.stderr)
        self.executor = self.client.get_executor(pure=False)

    def submit(self, task):
        return self.executor.submit(run_chunk, task)

    def restart(self) -> None:
        pass  # the scheduler reschedules a dead worker's chunks itself

    def close(self, *, kill: bool = False) -> None:
        self.executor.shutdown(wait=False)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

