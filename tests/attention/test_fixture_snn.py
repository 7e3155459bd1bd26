"""Every fixture runs as an SNN and matches the independent PyTorch spiking re-simulation.

The references (tests/fixtures/onnx/<model>.npz) were computed by train/snn.py
in PyTorch with the MST semantics, at masking ratio 0, per step.
"""
import numpy as np
import pytest

from .fixtures import FILE_NAMES, MODEL_OF, network, reference


@pytest.mark.parametrize("file", FILE_NAMES)
def test_float64_matches_reference_step_by_step(file):
    ref = reference(MODEL_OF[file])
    want = ref["snn_cumlogits_f64"]
    res = network(file).simulate(ref["inputs"], T=want.shape[0], rsm={"ratio": 0.0, "sites": "exported"},
                                 dtype=np.float64, batch_size=3)
    # float64 against float64: the largest difference measured over all fixtures and steps is
    # 2.6e-13 of the step's largest logit (the MST ones; 0 to 7e-14 for the others), so 1e-12 is
    # just above what is achieved and still fails on any difference beyond rounding
    scale = np.abs(want).max(axis=(1, 2), keepdims=True)
    assert np.all(np.abs(res.cum_logits - want) <= 1e-12 * scale)
    assert np.array_equal(res.predictions, want.argmax(-1))


@pytest.mark.parametrize("file", FILE_NAMES)
def test_float32_predictions_agree(file):
    ref = reference(MODEL_OF[file])
    want = ref["snn_cumlogits_f64"]
    res = network(file).simulate(ref["inputs"], T=want.shape[0], rsm={"ratio": 0.0, "sites": "exported"})
    assert res.cum_logits.dtype == np.float32
    assert np.mean(res.predictions == want.argmax(-1)) >= 0.99
