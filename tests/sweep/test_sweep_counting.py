"""A sweep's counting conventions (pool_rule, count_padding; docs/accounting.md rules 17-18): they reach
every chunk, they are part of the work a resume must agree on, and they change counts, never results."""
import json

import h5py
import numpy as np
import pytest

import mstsim
from mstsim import sweep_results
from mstsim.cli import main
from mstsim.engine import Simulator
from mstsim.inputs import Preprocess, load_samples
from mstsim.rsm import configure_rsm
from mstsim.sweep_plan import SweepInterrupted, make_plan, sweep
from mstsim.sweep_report import summary
from mstsim.validate import ArgumentError

from .helpers import assert_same_results, datasets, pooled_cnn, stop_after_commits

#: 2 runs (masking 0 and 0.5 on every IF) of 8 digits, T = 3 and 6, in 3 chunks
GRID = dict(data="digits", samples=8, T=[3, 6], mask_ratios=[0.0, 0.5], mask_sites=["all"], seeds=[0], chunk=3)
GRID_ARGS = ["--data", "digits", "--samples", "8", "--T", "3", "6", "--mask-ratio", "0", "0.5", "--mask-sites", "all",
             "--seed", "0", "--chunk", "3", "--workers", "0"]
SETTINGS = {"events": {}, "through": {"pool_rule": "through"}, "dense": {"pool_rule": "dense"},
            "dense+padding": {"pool_rule": "dense", "count_padding": True}}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return pooled_cnn(tmp_path_factory.mktemp("model") / "pooled.onnx")


@pytest.fixture(scope="module")
def swept(model, tmp_path_factory):
    """The grid under each setting, in this process: name -> file."""
    folder = tmp_path_factory.mktemp("rules")
    files = {}
    for name, opts in SETTINGS.items():
        files[name] = folder / f"{name}.h5"
        assert sweep([model], out=files[name], workers=0, progress=False, **opts, **GRID).complete
    return files


def test_the_rules_change_the_counts_never_the_results(swept):
    res = {name: sweep_results.load(str(path)) for name, path in swept.items()}
    results = {name: {k: v for k, v in datasets(path).items() if "/ledger/" not in k} for name, path in swept.items()}
    assert results["events"] == results["through"] == results["dense"] == results["dense+padding"]
    preds = res["events"].runs[0].result.predictions
    assert len(np.unique(preds[-1])) > 2  # the equality above is not one of constant outputs

    def head(name, column):  # the Gemm after the pool, summed over runs
        return sum(sr.result.ledger.totals[sr.result.ledger.nodes.index("y"), mstsim.ledger.COL[column]]
                   for sr in res[name].runs)

    assert head("events", "macs") == head("through", "macs") == 0 < head("dense", "macs")
    assert head("dense", "acs") == 0 < head("events", "acs") < head("through", "acs")  # fewer pooled elements than spikes
    macs = {name: sum(sr.result.ledger.total("macs") for sr in r.runs) for name, r in res.items()}
    assert macs["events"] < macs["dense"] < macs["dense+padding"]  # the image's conv has padding taps
    for name, opts in SETTINGS.items():
        config = res[name].config
        assert (config["pool_rule"], config["count_padding"]) == (opts.get("pool_rule", "events"),
                                                                   opts.get("count_padding", False))


def test_every_run_is_counted_as_a_direct_engine_run_under_its_rule(model, swept):
    net = mstsim.from_onnx(model)
    x, _ = load_samples("digits", Preprocess.from_metadata(net.metadata), net.input_shape, limit=8, steps=6)
    for name, opts in SETTINGS.items():
        for sr in sweep_results.load(str(swept[name])).runs:
            sim = Simulator(configure_rsm(net.graph, sr.mask_ratio, "all"), seed=sr.seed, **opts)
            direct = sim.run(x, 6, detail=True, sample_ids=np.arange(8))
            assert np.array_equal(sr.result.ledger.per_step, direct.ledger.per_step), (name, sr.name)
            assert np.array_equal(sr.result.ledger.ann_macs, sim.ann_macs()), (name, sr.name)
            assert np.array_equal(sr.result.predictions, direct.predictions)


def test_the_summary_names_the_conventions(swept):
    assert "pool rule 'through', padding taps not counted" in summary(sweep_results.load(str(swept["through"])))
    assert "pool rule 'dense', padding taps counted" in summary(sweep_results.load(str(swept["dense+padding"])))


def test_a_resume_with_another_convention_is_refused_and_changes_nothing(model, swept):
    before = datasets(swept["dense"])
    with pytest.raises(mstsim.MstsimError, match="pool_rule = 'dense', not 'events'.*same options"):
        sweep([model], out=swept["dense"], resume=True, pool_rule="events", workers=0)
    with pytest.raises(mstsim.MstsimError, match="count_padding = False, not True"):
        sweep([model], out=swept["dense"], resume=True, count_padding=True, workers=0)
    assert datasets(swept["dense"]) == before


def test_cli_flags_and_a_resume_that_takes_the_files_convention(model, swept, tmp_path, monkeypatch, capsys):
    out = tmp_path / "s.h5"
    stop_after_commits(monkeypatch, 2)
    assert main(["sweep", model, *GRID_ARGS, "--pool-rule", "dense", "--count-padding", "--out", str(out)]) == 130
    monkeypatch.undo()
    assert "--resume" in capsys.readouterr().err
    assert main(["sweep", "--out", str(out), "--resume", "--workers", "0"]) == 0  # no flags: the file's
    assert "pool rule 'dense', padding taps counted" in capsys.readouterr().out
    assert_same_results(swept["dense+padding"], out)


def test_a_file_written_before_the_conventions_resumes_as_events(model, swept, tmp_path, monkeypatch):
    out = tmp_path / "old.h5"
    stop_after_commits(monkeypatch, 2)
    with pytest.raises(SweepInterrupted):
        sweep([model], out=out, workers=0, progress=False, **GRID)
    monkeypatch.undo()
    with h5py.File(out, "r+") as f:  # as the code before the conventions wrote it
        config = json.loads(f.attrs["config"])
        del config["pool_rule"], config["count_padding"]
        f.attrs["config"] = json.dumps(config, sort_keys=True)
    with pytest.raises(mstsim.MstsimError, match="pool_rule = 'events', not 'through'"):
        sweep(None, out=out, resume=True, pool_rule="through", workers=0)
    res = sweep(None, out=out, resume=True, pool_rule="events", count_padding=False, workers=0, progress=False)
    assert res.complete and "pool_rule" not in res.config
    assert "pool rule 'events', padding taps not counted" in summary(res)
    assert_same_results(swept["events"], out)


@pytest.mark.parametrize("opts, says", [({"pool_rule": "sparse"}, "pool_rule must be one of 'events', 'through', "
                                                                  "'dense', got 'sparse'"),
                                        ({"count_padding": "yes"}, "count_padding must be True or False, got 'yes'")])
def test_bad_values_are_refused_before_anything_is_done(model, swept, tmp_path, opts, says):
    out = tmp_path / "s.h5"
    with pytest.raises(ArgumentError, match=says):
        sweep([model], out=out, workers=0, **opts, **GRID)
    assert not out.exists()
    with pytest.raises(ArgumentError, match=says):  # not "the file holds another sweep"
        sweep(None, out=swept["events"], resume=True, workers=0, **opts)
    with pytest.raises(ArgumentError, match=says):
        make_plan([model], **opts)


def test_the_cli_refuses_an_unknown_rule(model, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sweep", model, "--pool-rule", "sparse", "--out", str(tmp_path / "s.h5")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--pool-rule: invalid choice: 'sparse'" in err and "Traceback" not in err
    assert not (tmp_path / "s.h5").exists()


def test_a_worker_process_counts_under_the_sweeps_rule(model, swept, tmp_path):
    out = tmp_path / "s.h5"
    assert sweep([model], out=out, workers=1, progress=False, pool_rule="dense", **GRID).complete
    assert_same_results(swept["dense"], out)
