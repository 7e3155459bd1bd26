"""A real ``mstsim sweep`` process killed (SIGKILL) or stopped (SIGTERM) mid-run, then resumed."""
import os
import signal
import subprocess

import numpy as np
import pytest

import mstsim.sweep_exec as ex
from mstsim import sweep_store
from mstsim.sweep_plan import sweep

from .helpers import CNN, GRID, assert_same_results, done_chunks, session, state, sweep_command, wait_for


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted sweep, in this process, in the same chunks as the killed one."""
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    sweep([CNN], out=out, chunk=1, workers=0, **GRID)
    return out


def start(out, *args):
    return subprocess.Popen(sweep_command("--chunk", "1", "--out", str(out), *args), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def resume_counting(out, monkeypatch) -> list:
    """Resume in this process, returning the chunks it computed."""
    computed = []
    real = ex.run_chunk
    monkeypatch.setattr(ex, "run_chunk", lambda task: computed.append((task.run, task.chunk)) or real(task))
    assert sweep(None, out=out, resume=True, workers=0).complete
    return computed


def test_sigkill_then_resume_equals_an_uninterrupted_run_and_recomputes_nothing(reference, tmp_path, monkeypatch):
    out = tmp_path / "s.h5"
    proc = start(out, "--workers", "1")
    try:
        wait_for(lambda: done_chunks(out) >= 3 or proc.poll() is not None)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker, like a lost machine
        proc.communicate()
    before = state(out)[:, :-1] == sweep_store.DONE
    assert 3 <= before.sum() < before.size, "the sweep finished before it could be killed"
    computed = resume_counting(out, monkeypatch)
    assert sorted(computed) == sorted(map(tuple, np.argwhere(~before).tolist()))
    assert np.all(session(out)[before] == 1) and np.all(session(out)[~before] == 2)
    assert_same_results(reference, out)


def test_sigterm_stops_cleanly_and_says_how_to_resume(reference, tmp_path, monkeypatch):
    out = tmp_path / "s.h5"
    proc = start(out, "--workers", "0")
    wait_for(lambda: done_chunks(out) >= 2 or proc.poll() is not None)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "SIGTERM" in err and "--resume" in err and "Traceback" not in err
    before = state(out)[:, :-1] == sweep_store.DONE
    assert 2 <= before.sum() < before.size
    computed = resume_counting(out, monkeypatch)
    assert len(computed) == int((~before).sum())
    assert_same_results(reference, out)
