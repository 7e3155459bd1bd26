"""The networks of the end-to-end benchmark, as seeded torch QCFS models and legacy ONNX exports.

Every model is built from ``train/`` (MST, BasicBlock, QCFS, the digits
architectures) or from the QCFS-style CIFAR CNNs below, gets fully seeded
random weights, and is calibrated by ``train/calibrate.py`` (BatchNorm
statistics from its actual inputs, each lam set so that 8-25% of the QCFS
outputs are non-zero on the calibration batch), so the SNN fires at
realistic rates. Torch is imported here and only here (and by the benchmark
that uses this module): the simulator never imports it.
"""
from __future__ import annotations

import pathlib
import sys
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from train.calibrate import calibrate, fire_fractions, randomize_weights  # noqa: E402
from train.digits_models import DigitsVGG, build_mst  # noqa: E402
from train.models import MST, BasicBlock  # noqa: E402
from train.qcfs import QCFS  # noqa: E402

OPSET = 18


class VGG16(nn.Module):
    """VGG-16 for CIFAR in the QCFS code's style: conv3x3-BN-QCFS, AvgPool2d(2) after each
    stage (average pooling, not max, for conversion), 512-4096-4096-classes head with QCFS."""

    STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))

    def __init__(self, L=16, num_classes=10):
        super().__init__()
        layers, cin = [], 3
        for stage in self.STAGES:
            for c in stage:
                layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), QCFS(L)]
                cin = c
            layers.append(nn.AvgPool2d(2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(512, 4096), QCFS(L),
                                        nn.Linear(4096, 4096), QCFS(L), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class ResNet18(nn.Module):
    """ResNet-18 for CIFAR (3x3 stem, no max pool, [2, 2, 2, 2] basic blocks of 64-512
    channels, QCFS after every BN and after each residual add, global average pool, FC)."""

    def __init__(self, L=16, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), QCFS(L))
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride, L=L), BasicBlock(cout, cout, 1, L=L)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


@dataclass
class Case:
    """One benchmark network: how to build its torch model and where its ONNX file comes from.

    ``onnx`` is None for a model exported here; a bundled file otherwise (its
    torch ``build`` is then the same architecture with its own random weights).
    ``ratio``: the masking ratio of the graph's exported masks, applied alike in torch.
    """

    name: str
    build: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    seed: int
    batches: tuple[int, ...]
    T: int
    calib: int = 32
    onnx: str | None = None
    ratio: float = 0.0
    heavy: bool = False  # minutes to build or run: left out of --quick unless asked for by name


def mst_reference():
    """The MST reference code's structure scaled to CIFAR: img 32, patch 4, embed 48, depths 2/2,
    window 4, L 16; heads 3/6 (head dim 16), MLP ratio 4, CIFAR MLP (no BN)."""
    return MST(L=16, img=32, patch=4, dim=48, depths=(2, 2), heads=(3, 6), window=4)


def mst_swin_t():
    """Swin-T size as in MST.yaml: 224 input, patch 4, embed 96, depths 2/2/6/2, heads 3/6/12/24, window 7."""
    return MST(L=16, img=224, patch=4, dim=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24), window=7)


def cases(quick: bool) -> list[Case]:
    """The benchmark cases: T = 64 at batch 1, 16, 64 for the small networks, T = 32 at batch 1, 16, 32 for
    the CIFAR CNNs, T = 8 at batch 1 for the Swin-T size (``quick``: batches 1 and 2, T = 4 or 2)."""
    small, cnn, swin = ((1, 2), (1, 2), (1,)) if quick else ((1, 16, 64), (1, 16, 32), (1,))
    T, T_cnn, T_swin = (4, 4, 2) if quick else (64, 32, 8)
    models = ROOT / "models"
    out = [Case("MST ref. shape (32, p4, e48, 2/2, w4, L16)", mst_reference, (3, 32, 32), 808, small, T),
           Case("mst_digits (bundled)", lambda: build_mst(0.0), (1, 16, 16), 11, small, T,
                onnx=str(models / "mst_digits.onnx")),
           Case("mst_digits_rsm75 (bundled, RSM 0.75)", lambda: build_mst(0.75), (1, 16, 16), 22, small, T,
                onnx=str(models / "mst_digits_rsm75.onnx"), ratio=0.75),
           Case("cnn_digits (bundled, RSM 0.5 all)", lambda: DigitsVGG(0.5, widths=(64, 128)), (1, 16, 16), 33,
                small, T, onnx=str(models / "cnn_digits.onnx"), ratio=0.5),
           Case("VGG16 CIFAR (QCFS, L16)", VGG16, (3, 32, 32), 909, cnn, T_cnn, heavy=True),
           Case("ResNet-18 CIFAR (QCFS, L16)", ResNet18, (3, 32, 32), 910, cnn, T_cnn, heavy=True),
           Case("MST Swin-T size (224, e96, 2/2/6/2, w7, L16)", mst_swin_t, (3, 224, 224), 911, swin, T_swin,
                calib=4, heavy=True)]
    return out


def seeded_model(case: Case) -> nn.Module:
    """The case's torch model with seeded random weights, calibrated on random normal images."""
    torch.manual_seed(case.seed)  # default inits only; randomize_weights redraws every weight from g
    g = torch.Generator().manual_seed(case.seed)
    model = case.build()
    randomize_weights(model, g)
    calibrate(model, torch.randn((case.calib,) + case.input_shape, generator=g), g)
    return model.eval()


def export_legacy(model: nn.Module, input_shape, path) -> None:
    """TorchScript (legacy, ``dynamo=False``) export with a dynamic batch axis, masks bypassed."""
    x = torch.zeros((2,) + tuple(input_shape))
    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=OPSET, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def prepared(case: Case, cache: pathlib.Path) -> tuple[nn.Module, str]:
    """(calibrated torch model, ONNX file) of a case; the state dict and the export are kept in
    ``cache`` and reused by the next run with the same cache (same seeds give the same files)."""
    key = "".join(c if c.isalnum() else "_" for c in case.name)[:48] + f"_{case.seed}_torch{torch.__version__}"
    state, path = cache / f"{key}.pt", cache / f"{key}.onnx"
    if state.exists() and (case.onnx or path.exists()):
        torch.manual_seed(case.seed)
        model = case.build()
        model.load_state_dict(torch.load(state))
        return model.eval(), case.onnx or str(path)
    model = seeded_model(case)
    if case.onnx is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's TracerWarnings
            export_legacy(model, case.input_shape, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)
    torch.save(model.state_dict(), state.with_suffix(".tmp"))
    state.with_suffix(".tmp").replace(state)
    return model, case.onnx or str(path)


def inputs(case: Case, n: int) -> np.ndarray:
    """``n`` seeded inputs: real digits test images (the model's preprocessing) for the bundled models,
    random normal images (like the calibration batch) otherwise."""
    if case.onnx is not None:
        from train.digits_data import load_split, norm_stats, preprocess
        mean, std = norm_stats(load_split("train")[0])
        return preprocess(load_split("test")[0][:n], mean, std)
    g = torch.Generator().manual_seed(case.seed + 1)
    return torch.randn((n,) + case.input_shape, generator=g).numpy()


def firing(model: nn.Module, x: np.ndarray) -> tuple[float, float]:
    """(min, max) fraction of non-zero QCFS outputs of the ANN on ``x``."""
    with torch.no_grad():
        f = fire_fractions(model, torch.from_numpy(x))
    return min(f), max(f)
