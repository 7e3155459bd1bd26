"""The bundled models: `mstsim run` with no arguments, and the figures their model cards state."""
import json
import pathlib

import numpy as np
import pytest

import mstsim
from mstsim.cli import main
from mstsim.inputs import Preprocess, load_samples

MODELS = pathlib.Path(__file__).resolve().parents[2] / "models"


def test_default_run_compares_unmasked_and_masked_models(capsys):
    assert main(["run", "--samples", "24", "--T", "8"]) == 0
    out = capsys.readouterr().out
    assert "data digits, 24 samples, T = 8" in out
    for title in ("p = 0 mst_digits", "p = 0.75 mst_digits", "p = 0.75 mst_digits_rsm75"):
        assert title in out
    assert "Top 8 nodes by ACs" in out and "energy" in out


@pytest.mark.parametrize("name", ["mst_digits", "mst_digits_rsm75", "cnn_digits"])
def test_model_card_figures_are_measured(name):
    card = json.loads((MODELS / f"{name}.json").read_text())
    net = mstsim.from_onnx(MODELS / f"{name}.onnx")
    pre = Preprocess.from_metadata(net.metadata)
    x, labels = load_samples("digits", pre, net.input_shape, limit=None, steps=1)
    for run in card["evaluation"]["runs"].values():
        rsm = run["rsm"]
        ann = net.run_ann(x, dtype=np.float32, seed=0, rsm=rsm)
        # ANN mode runs on NumPy/BLAS, whose rounding depends on the CPU: a prediction whose two best
        # logits are within rounding may flip on another machine, so one sample of slack (the SNN
        # figures below are exact: the plan's arithmetic is the same everywhere)
        assert abs(np.mean(ann.argmax(1) == labels) - run["ann_accuracy"]) <= 1 / len(labels) + 1e-12


def test_mst_card_snn_accuracy_at_the_bundled_T():
    card = json.loads((MODELS / "mst_digits.json").read_text())
    T = card["evaluation"]["T"]
    run = card["evaluation"]["runs"]["masking 0"]
    net = mstsim.from_onnx(MODELS / "mst_digits.onnx")
    x, labels = load_samples("digits", Preprocess.from_metadata(net.metadata), net.input_shape, limit=None, steps=T)
    res = net.simulate(x, T=T, rsm=run["rsm"], seed=0, batch_size=128)
    assert np.mean(res.predictions[-1] == labels) == pytest.approx(run["snn_accuracy"][str(T)], abs=1e-12)
    assert res.ledger.per_sample("acs") == pytest.approx(run["acs_per_sample"], rel=1e-12)
