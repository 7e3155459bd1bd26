"""Golden digests: the same spikes, ledger and logits bits on any x86-64 machine and SIMD width."""
import json
import os
import subprocess
import sys

import pytest

from . import golden

ROOT = golden.GOLDEN.parents[2]


def expected(dtypes):
    table = json.loads(golden.GOLDEN.read_text())
    return {k: v for k, v in table.items() if k.split()[-1] in dtypes}


def test_golden_digests_on_this_machine():
    assert golden.compute() == expected(("float32", "float64"))


@pytest.mark.skipif(sys.platform != "linux", reason="NUMBA_CPU_NAME=generic is checked on Linux x86-64")
def test_golden_digests_without_simd_codegen(tmp_path):
    """Kernels compiled for a generic x86-64 CPU (no AVX, no FMA) in a fresh cache give the same bits."""
    env = dict(os.environ, NUMBA_CPU_NAME="generic", NUMBA_CPU_FEATURES="", NUMBA_CACHE_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-m", "tests.engine.golden", "float32"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected(("float32",))
