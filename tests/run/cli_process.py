"""A real ``mstsim run`` subprocess, for tests that signal it or limit what it may write."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
MODEL = str(FIXTURES / "vgg_torchscript.onnx")  # small: imports in 0.1 s


def write_npz(path, n: int = 8, seed: int = 0) -> str:
    """``n`` random 3x16x16 images (the fixture VGG's input) as ``npz:PATH``."""
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.integers(0, 256, (n, 3, 16, 16)).astype(np.uint8), y=rng.integers(0, 10, n))
    return f"npz:{path}"


def start(args, *, preexec_fn=None) -> subprocess.Popen:
    """``python -m mstsim run ARGS`` with stderr piped line by line."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "mstsim", "run", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, preexec_fn=preexec_fn)


def wait_for(proc: subprocess.Popen, predicate, lines: list[str]) -> bool:
    """Read stderr lines into ``lines`` until one satisfies ``predicate`` (False if the process ended)."""
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if predicate(lines[-1]):
            return True
    return False


def finish(proc: subprocess.Popen, lines: list[str], timeout: float = 300) -> tuple[int, str, list[str]]:
    """Exit status, stdout and every stderr line."""
    out, err = proc.communicate(timeout=timeout)
    lines += err.splitlines()
    return proc.returncode, out, lines
