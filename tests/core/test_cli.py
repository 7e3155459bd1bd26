"""`mstsim run` with no model simulates the built-in network and prints its ledger."""
import subprocess
import sys

import numpy as np

from mstsim.api import simulate
from mstsim.builtin import builtin_inputs, builtin_network
from mstsim.cli import main


def test_run_builtin_prints_ledger(capsys):
    assert main(["run", "--T", "8", "--samples", "4", "--batch", "3"]) == 0
    out = capsys.readouterr().out
    assert "Ledger per sample" in out and "conv2_if" in out and "energy per sample" in out
    res = simulate(builtin_network(seed=0), builtin_inputs(4, seed=1), T=8, batch_size=3)
    acs = res.ledger.per_sample("acs")
    assert f"ACs {acs:.6g}" in out


def test_batching_does_not_change_results():
    g, x = builtin_network(seed=3), builtin_inputs(5, seed=4)
    whole = simulate(g, x, T=6, dtype=np.float64)
    split = simulate(g, x, T=6, batch_size=2, dtype=np.float64)
    assert np.array_equal(whole.cum_logits, split.cum_logits)
    assert np.array_equal(whole.ledger.totals, split.ledger.totals)
    assert split.ledger.samples == 5


def test_python_dash_m_reports_errors_cleanly(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mstsim", "run", "--T", "0", "--samples", "2"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "T must be >= 1" in proc.stderr and "Traceback" not in proc.stderr
