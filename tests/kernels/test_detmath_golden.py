"""Exact output bits of mstsim.kernels.detmath, here and on a CPU without AVX/FMA code generation."""
import json
import os
import subprocess
import sys
from pathlib import Path

from mstsim.kernels import detmath as dm
from tests.kernels import golden

REPO = Path(__file__).resolve().parents[2]


def test_golden_table_covers_every_function_with_rounding():
    table = json.loads(golden.TABLE.read_text())
    exact_selections = {"det_maximum", "det_minimum", "apply_elementwise", "fp_environment_ok"}
    public = {n for n in dm.__all__ if n.startswith(("det_", "softmax", "layernorm"))} - exact_selections
    assert public <= set(table["outputs"]), public - set(table["outputs"])


def test_golden_bits_in_process():
    assert golden.differences(json.loads(golden.TABLE.read_text())) == []


def test_golden_bits_without_avx(tmp_path):
    """Fresh compilation for the generic x86-64 CPU (SSE2 only) gives the same bits."""
    env = {**os.environ, "NUMBA_CPU_NAME": "generic", "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    env.pop("NUMBA_CPU_FEATURES", None)
    run = subprocess.run([sys.executable, "-m", "tests.kernels.golden", "--check"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "bit-identical (cpu=generic)" in run.stdout
