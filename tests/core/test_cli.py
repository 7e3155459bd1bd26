"""Batching does not change results; `python -m mstsim` reports errors without tracebacks."""
import subprocess
import sys

import numpy as np

from mstsim.api import simulate

from .test_ann_convergence import qcfs_cnn


def test_batching_does_not_change_results():
    g = qcfs_cnn(np.random.default_rng(3), levels=8)
    x = np.random.default_rng(4).uniform(0, 1, (5, 2, 10, 10))
    whole = simulate(g, x, T=6, dtype=np.float64)
    split = simulate(g, x, T=6, batch_size=2, dtype=np.float64)
    assert np.array_equal(whole.cum_logits, split.cum_logits)
    assert np.array_equal(whole.ledger.totals, split.ledger.totals)
    assert split.ledger.samples == 5


def test_python_dash_m_reports_errors_cleanly(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mstsim", "run", "--T", "0"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "--T must be an integer in [1, 1000000], got 0" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "mstsim", "run", str(tmp_path / "nope.onnx")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "nope.onnx" in proc.stderr and "Traceback" not in proc.stderr
