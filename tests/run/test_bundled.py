"""The bundled models: `mstsim run` with no arguments (Table 3), and the figures their model cards state."""
import argparse
import json
import pathlib

import numpy as np
import pytest

import mstsim
from mstsim.cli import main
from mstsim.inputs import Preprocess, load_samples
from mstsim.run import BUNDLED, plan, with_default_samples
from mstsim.table3 import DEFAULT_PLAN, DEFAULT_SAMPLES, rows_for

MODELS = pathlib.Path(__file__).resolve().parents[2] / "models"
DIGITS = ["mst_digits", "mst_digits_rsm75", "cnn_digits"]
TABLE3 = ["mst_mnist", "mst_mnist_ft50", "mst_mnist_ft75", "mst_mnist_scratch50", "mst_mnist_scratch75"]


def card(name):
    return json.loads((MODELS / f"{name}.json").read_text())


def no_args(**kw):
    return argparse.Namespace(**{"model": None, "mask_ratio": None, **kw})


def test_default_plan_is_every_table3_cell_once():
    jobs = plan(no_args())
    assert jobs == [(BUNDLED / "mst_mnist.onnx", 0.0), (BUNDLED / "mst_mnist.onnx", 0.5),
                    (BUNDLED / "mst_mnist.onnx", 0.75), (BUNDLED / "mst_mnist_ft50.onnx", 0.5),
                    (BUNDLED / "mst_mnist_ft75.onnx", 0.75), (BUNDLED / "mst_mnist_scratch50.onnx", 0.5),
                    (BUNDLED / "mst_mnist_scratch75.onnx", 0.75)]
    assert all(m.is_file() for m, _ in jobs)
    rows = rows_for(True, jobs)
    assert [r[0] for r in rows] == [label for label, _ in DEFAULT_PLAN]
    assert all(r[1][0] == ["mst_mnist", 0.0] for r in rows)  # every recipe's x1 is the unmasked model
    for name in TABLE3:  # each masked model runs at the ratio it was trained with
        ratio = card(name)["preprocess"]["masking_ratio"]
        assert (BUNDLED / f"{name}.onnx", ratio) in jobs


def test_default_run_takes_default_samples_unless_told():
    assert with_default_samples(no_args(data=None, samples=None)).samples == DEFAULT_SAMPLES
    for told in (dict(samples=8), dict(model="m.onnx"), dict(data="digits"), dict(mask_ratio=[0.5])):
        args = no_args(**{"data": None, "samples": None, **told})
        assert with_default_samples(args) is args


def test_plan_with_ratios_or_a_model():
    assert plan(no_args(mask_ratio=[0.25])) == [(BUNDLED / "mst_mnist.onnx", 0.25)]
    jobs = plan(no_args(model="m.onnx", mask_ratio=[0.0, 0.5]))
    assert rows_for(False, jobs) == [["m", [["m", 0.0], ["m", 0.5]]]]
    assert rows_for(False, plan(no_args(model="m.onnx"))) == []


def test_default_run_prints_the_table3_layout(capsys):
    assert main(["run", "--samples", "8", "--T", "4"]) == 0
    out = capsys.readouterr().out
    assert "data mnist5k, 8 samples, T = 4" in out
    for title in ("p = 0 mst_mnist", "p = 0.75 mst_mnist_ft75", "p = 0.5 mst_mnist_scratch50"):
        assert title in out
    table = out[out.index("Table 3 of the MST paper, measured"):]
    assert table.index("paper: MST, CIFAR-10") < table.index(DEFAULT_PLAN[0][0]) < table.index(DEFAULT_PLAN[2][0])
    for label, _ in DEFAULT_PLAN:
        assert f"{label}" in table
    assert "Counts per sample of each cell" in table and "(x1.00)" in table
    # the Table-3 module breakdown stands for each masked run's own savings table, which --by-module adds
    assert "ACs per sample by module" in table and "Masking savings per module" not in out
    assert "Each masked run's savings per module: add --by-module" in out
    assert main(["run", "--samples", "8", "--T", "4", "--by-module"]) == 0
    assert capsys.readouterr().out.count("Masking savings per module") == 6


@pytest.mark.parametrize("name", DIGITS)
def test_model_card_ann_accuracy(name):
    data = card(name)
    net = mstsim.from_onnx(MODELS / f"{name}.onnx")
    pre = Preprocess.from_metadata(net.metadata)
    x, labels = load_samples(data["preprocess"]["dataset"], pre, net.input_shape, limit=None, steps=1)
    assert len(labels) == data["evaluation"]["test_samples"]
    for run in data["evaluation"]["runs"].values():
        ann = net.run_ann(x, dtype=np.float32, seed=0, rsm=run["rsm"])
        # ANN mode runs on NumPy/BLAS, whose rounding depends on the CPU: a prediction whose two best
        # logits are within rounding may flip on another machine, so one sample of slack (the SNN
        # figures below are exact: the plan's arithmetic is the same everywhere)
        assert abs(np.mean(ann.argmax(1) == labels) - run["ann_accuracy"]) <= 1 / len(labels) + 1e-12


@pytest.mark.parametrize("name", DIGITS + TABLE3)
def test_model_card_snn_figures_match_a_quick_simulation(name):
    data = card(name)
    net = mstsim.from_onnx(MODELS / f"{name}.onnx")
    for label, run in data["evaluation"]["runs"].items():
        q = run["quick_check"]
        x, labels = load_samples(data["preprocess"]["dataset"], Preprocess.from_metadata(net.metadata),
                                 net.input_shape, limit=q["samples"], steps=q["T"])
        res = net.simulate(x, T=q["T"], rsm=run["rsm"], seed=data["evaluation"]["seed"])
        led = res.ledger
        got = {"correct": int((np.asarray(res.predictions[-1]) == labels).sum()), "acs": led.total("acs"),
               "macs": led.total("macs"), "events_dropped": led.total("events_dropped")}
        assert got == {k: q[k] for k in got}, (name, label)
        # the ANN (NumPy/BLAS, CPU-dependent rounding): one flipped prediction of slack, as above; the
        # whole test split's ANN accuracy is checked for the small digits models only (seconds, not minutes)
        ann = net.run_ann(x, dtype=np.float32, seed=data["evaluation"]["seed"], rsm=run["rsm"])
        assert abs(int((ann.argmax(1) == labels).sum()) - q["ann_correct"]) <= 1, (name, label)


def test_mst_card_snn_accuracy_at_the_bundled_T():
    data = card("mst_digits")
    T = data["evaluation"]["T"]
    run = data["evaluation"]["runs"]["masking 0"]
    net = mstsim.from_onnx(MODELS / "mst_digits.onnx")
    x, labels = load_samples("digits", Preprocess.from_metadata(net.metadata), net.input_shape, limit=None, steps=T)
    res = net.simulate(x, T=T, rsm=run["rsm"], seed=0, batch_size=128)
    assert np.mean(res.predictions[-1] == labels) == pytest.approx(run["snn_accuracy"][str(T)], abs=1e-12)
    assert res.ledger.per_sample("acs") == pytest.approx(run["acs_per_sample"], rel=1e-12)
