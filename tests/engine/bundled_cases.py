"""The bundled models and masking settings the determinism tests run, on a few digits test images."""
from __future__ import annotations

import hashlib
import pathlib

import numpy as np

import mstsim
from mstsim.rsm import configure_rsm

MODELS = pathlib.Path(__file__).resolve().parents[2] / "models"
DIGITS = pathlib.Path(__file__).resolve().parents[2] / "datasets" / "data" / "digits.csv.gz"

#: (model, mask ratio, mask sites): unmasked, attention masks, masks on every IF (CNN)
CASES = [("mst_digits", 0.0, "attention"), ("mst_digits_rsm75", 0.75, "attention"), ("cnn_digits", 0.5, "all")]


def case_graph(model: str, ratio: float, sites: str):
    net = mstsim.from_onnx(MODELS / f"{model}.onnx")
    return configure_rsm(net.graph, ratio, sites)


def digit_images(n: int, shape) -> np.ndarray:
    """The first n digit images (8x8, 0..16) upsampled by repetition and scaled, as float64.

    Built without the dataset readers so the test depends on the engine only;
    the values are exact multiples of 1/16.
    """
    rows = np.loadtxt(DIGITS, delimiter=",", max_rows=n, ndmin=2)
    img = rows[:, :64].reshape(n, 8, 8) / 16.0
    c, h, w = shape
    img = np.repeat(np.repeat(img, h // 8, axis=1), w // 8, axis=2)
    return np.repeat(img[:, None], c, axis=1) - 0.5


def digest(res) -> dict:
    """SHA-256 of the result's exact bytes: cumulative logits, predictions, ledger totals and per step."""
    def h(a):
        return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
    out = {"cum_logits": h(res.cum_logits), "predictions": h(res.predictions.astype(np.int64)),
           "totals": h(res.ledger.totals)}
    if res.ledger.per_step is not None:
        out["per_step"] = h(res.ledger.per_step)
    return out
