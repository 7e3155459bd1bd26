"""Sweeps in this process and on local worker processes: the numbers, their determinism, resume, faults."""
import os

import numpy as np
import pytest

import mstsim
from mstsim import sweep_results, sweep_store
from mstsim.engine import Simulator
from mstsim.inputs import Preprocess, load_samples
from mstsim.ledger import COL
from mstsim.rsm import configure_rsm
from mstsim.sweep_plan import SweepInterrupted, make_plan, run_plan, sweep

from .helpers import (CNN, GRID, MST, assert_same_results, done_chunks, session, state, stop_after_commits,
                      wait_for)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small grid, in this process, in chunks of 3."""
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    mstsim.sweep([CNN], out=out, chunk=3, workers=0, **GRID)
    return out


def test_every_grid_point_equals_a_direct_engine_run_at_each_T(reference):
    res = sweep_results.load(str(reference))
    assert res.complete and len(res.runs) == 4
    net = mstsim.from_onnx(CNN)
    x, labels = load_samples("digits", Preprocess.from_metadata(net.metadata), net.input_shape, limit=8, steps=6)
    for sr in res.runs:
        r = sr.result
        assert np.array_equal(r.labels, labels) and np.array_equal(r.sample_ids, np.arange(8))
        for T in (3, 6):
            sim = Simulator(configure_rsm(net.graph, sr.mask_ratio, "all"), seed=sr.seed)
            direct = sim.run(x, T, detail=True, sample_ids=np.arange(8))
            assert np.array_equal(r.predictions[:T], direct.predictions)
            assert np.array_equal(r.ledger.per_step[:T], direct.ledger.per_step)
            if T == 6:
                assert np.array_equal(r.final_logits, direct.cum_logits[-1].reshape(8, -1).astype(np.float64))
                assert np.array_equal(r.ledger.totals, direct.ledger.totals)
    dropped = {(sr.mask_ratio, sr.seed): sr.result.ledger.total("events_dropped") for sr in res.runs}
    assert dropped[(0.0, 0)] == dropped[(0.0, 1)] == 0
    assert dropped[(0.5, 0)] > 0 and dropped[(0.5, 1)] > 0 and dropped[(0.5, 0)] != dropped[(0.5, 1)]


@pytest.mark.parametrize("chunk", [5, 8])
def test_same_bits_in_any_chunk_size(reference, tmp_path, chunk):
    out = tmp_path / "s.h5"
    assert sweep([CNN], out=out, chunk=chunk, workers=0, **GRID).complete
    assert_same_results(reference, out, runs_only=True)


def test_any_executor_even_threads_sharing_one_process(reference, tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    out = tmp_path / "s.h5"
    with ThreadPoolExecutor(2) as pool:
        assert sweep([CNN], out=out, chunk=3, executor=pool, **GRID).complete
    assert_same_results(reference, out)


def test_two_worker_processes_give_the_same_bits_even_when_one_is_killed(reference, tmp_path):
    """The pool resubmits the chunks of a worker that died; nothing changes in the results."""
    import multiprocessing
    import threading
    out = tmp_path / "s.h5"
    box = {}
    def run():
        try:
            box["res"] = sweep([CNN], out=out, chunk=1, workers=2, **GRID)
        except BaseException as exc:  # shown by the assertion below
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    # kill a worker of the first pool while every chunk is still owed: its workers compute faster
    # than the owner commits, so waiting for a committed chunk could find all of them computed
    wait_for(lambda: len(multiprocessing.active_children()) == 2)
    workers = multiprocessing.active_children()  # the pool's processes (spawned by multiprocessing)
    assert len(workers) == 2 and done_chunks(out) == 0
    first_pool = {str(w.pid) for w in workers}
    workers[0].kill()
    thread.join(300)
    assert "error" not in box, box.get("error")
    assert box["res"].complete
    assert_same_results(reference, out, runs_only=True)
    pids = {w.split(":")[1] for w in _workers(out)}
    assert str(os.getpid()) not in pids
    assert pids - first_pool  # the chunks after the kill ran in a new pool


def _workers(path):
    import h5py
    with h5py.File(path, "r", locking=False) as f:
        return [w.decode() for w in f["sweep/worker"][()].ravel()]


def test_mst_same_bits_in_any_chunk_size_and_thread_count(tmp_path, monkeypatch):
    """The attention model (float32 softmax, LayerNorm): chunks of 6 on all threads vs of 2 on one."""
    grid = dict(data="digits", samples=6, T=[4], mask_ratios=[0.75], seeds=[3])
    a = sweep([MST], out=tmp_path / "a.h5", chunk=6, workers=0, **grid)
    monkeypatch.setenv("MSTSIM_THREADS", "1")
    b = sweep([MST], out=tmp_path / "b.h5", chunk=2, workers=0, **grid)
    assert a.complete and b.complete
    assert a.runs[0].result.ledger.total("events_dropped") > 0
    assert_same_results(tmp_path / "a.h5", tmp_path / "b.h5", runs_only=True)


def test_interrupt_then_resume_recomputes_no_finished_chunk(reference, tmp_path, monkeypatch):
    out = tmp_path / "s.h5"
    calls = stop_after_commits(monkeypatch, 5)
    with pytest.raises(SweepInterrupted, match="holds 5 of 12 chunks.*--resume"):
        sweep([CNN], out=out, chunk=3, workers=0, **GRID)
    monkeypatch.undo()
    first = state(out)[:, :-1]
    assert (first == sweep_store.DONE).sum() == 5
    from mstsim.sweep_report import full_report
    partial = full_report(sweep_results.load(str(out)))
    assert "5 of 12 chunks done" in partial and "--resume" in partial

    import mstsim.sweep_exec as ex
    computed = []
    real = ex.run_chunk
    monkeypatch.setattr(ex, "run_chunk", lambda task: computed.append((task.run, task.chunk)) or real(task))
    res = sweep(None, out=out, resume=True, workers=0)
    assert res.complete
    assert sorted(computed) == sorted(set(np.ndindex(first.shape)) - set(calls))
    assert np.all(session(out)[first == sweep_store.DONE] == 1) and np.all(session(out)[first != sweep_store.DONE] == 2)
    assert_same_results(reference, out)


def test_resume_refuses_a_different_sweep_and_a_new_sweep_refuses_an_existing_file(reference, tmp_path):
    with pytest.raises(mstsim.MstsimError, match="seeds"):
        sweep([CNN], out=reference, resume=True, seeds=[7], workers=0)
    with pytest.raises(mstsim.MstsimError, match="--resume.*--overwrite"):
        sweep([CNN], out=reference, workers=0, **GRID)
    with pytest.raises(mstsim.MstsimError, match="does not exist"):
        sweep([CNN], out=tmp_path / "none.h5", resume=True, workers=0)


def test_a_chunk_with_bad_data_is_recorded_and_the_sweep_goes_on(tmp_path):
    plan = make_plan([CNN], chunk=3, **dict(GRID, seeds=[0], mask_ratios=[0.5]))
    plan.inputs[0][4, 0, 3, 3] = np.nan  # a sample of chunk 1 (samples 3-5)
    out = str(tmp_path / "s.h5")
    sweep_store.create(out, plan.config, plan.runs, plan.labels, plan.bounds)
    res = run_plan(plan, out, workers=0)
    assert not res.complete
    assert list(res.state[0]) == [sweep_store.DONE, sweep_store.FAILED, sweep_store.DONE]
    assert "NaN" in res.errors[(res.runs[0].name, 1)]
    r = res.runs[0].result
    assert r.ledger.samples == 5 and list(r.sample_ids) == [0, 1, 2, 6, 7]
    assert r.ledger.total("neuron_updates") > 0
    from mstsim.sweep_report import full_report
    assert "2 of 3 chunks done, 1 failed" in full_report(res) and "samples 3-5" in full_report(res)


def test_ledger_columns_are_exact_int64_and_sum_over_chunks(reference):
    res = sweep_results.load(str(reference))
    for sr in res.runs:
        led = sr.result.ledger
        assert led.per_step.dtype == np.int64 and np.array_equal(led.per_step.sum(0), led.totals)
        assert led.totals[:, COL["neuron_updates"]].sum() > 0


def test_report_tables_and_plots_are_the_files_numbers(reference, tmp_path, capsys):
    from mstsim.ledger import E_AC_PJ, E_MAC_PJ
    from mstsim.sweep_report import points, report
    res = sweep_results.load(str(reference))
    for p in points(res):
        runs = [sr.result for sr in res.runs if (sr.model, sr.mask_sites, sr.mask_ratio) == (p.model, p.sites, p.ratio)]
        assert p.seeds == [0, 1] and p.samples == 8
        for j, T in enumerate((3, 6)):
            for s, r in enumerate(runs):
                assert p.accuracy[s, j] == np.mean(r.predictions[T - 1] == r.labels)
                counts = r.ledger.per_step[:T].sum(axis=(0, 1)) / 8
                assert p.energy_uj[s, j] == pytest.approx((E_AC_PJ * counts[COL["acs"]] + E_MAC_PJ * counts[COL["macs"]]) / 1e6)
                assert p.dropped[s, j] == counts[COL["events_dropped"]]
    assert report(reference, tmp_path / "plots") == 0
    text = capsys.readouterr().out
    assert "12 of 12 chunks done" in text and "at T = 3" in text and "at T = 6" in text and " ± " in text
    names = sorted(f.name for f in (tmp_path / "plots").iterdir())
    assert names == ["sweep_accuracy_vs_T.png", "sweep_accuracy_vs_masking.png", "sweep_energy_vs_masking.png"]


def test_one_owner_at_a_time(reference):
    first = sweep_store.SweepWriter(str(reference))
    try:
        with pytest.raises(sweep_store.SweepFileError, match="another mstsim sweep is writing"):
            sweep_store.SweepWriter(str(reference))
        assert sweep_results.load(str(reference)).complete  # readers are never locked out
    finally:
        first.close()
    sweep_store.SweepWriter(str(reference)).close()


@pytest.mark.parametrize("args, says", [(["--mask-ratio", "2"], "--mask-ratio values must be in [0, 1]"),
                                        (["--chunk", "0"], "--chunk must be >= 1"),
                                        (["--T", "0"], "--T values must be >= 1"),
                                        (["--data", "digits", "--mask-sites", "nothing*"], "match no IF node")])
def test_bad_arguments_are_one_line_errors_and_write_nothing(tmp_path, capsys, args, says):
    from mstsim.cli import main
    out = tmp_path / "s.h5"
    assert main(["sweep", CNN, "--samples", "4", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_core_and_local_sweeps_never_import_dask():
    import subprocess
    import sys
    code = ("import sys, mstsim, mstsim.sweep_plan, mstsim.sweep_exec, mstsim.sweep_report, mstsim.cli; "
            "mstsim.cli.build_parser(); print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('distributed', 'dask')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
