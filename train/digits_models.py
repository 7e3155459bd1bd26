"""The three bundled digits models: two MSTs (train/mst.py) and a VGG-style QCFS CNN.

Input: (1, 16, 16) digits (8x8 upsampled x2, normalised; see digits_data.py).
"""
import torch.nn as nn

from train.mst import MST
from train.qcfs import QCFS

L = 8  # QCFS levels: 8 instead of MST's 16, so the SNN converges in fewer steps
LAM0 = 2.0  # initial lam, as MST's --threshold default

# Patch 4 on 16x16 gives 4x4 tokens of 2x2 original pixels (patch 2 would make
# each token a single pixel value: 89% test accuracy in a first run). Stage 1
# has four 2x2 windows (shift 1 in every second block); stage 2 is 2x2 tokens,
# one window, so no shift there.
MST_CONFIG = dict(img=16, patch=4, dim=32, depths=(2, 2), heads=(2, 4), window=2,
                  mlp_bn=False, in_chans=1, num_classes=10)  # CIFAR-style MLP (no BN)


def build_mst(masking_ratio=0.0):
    model = MST(L=L, masking_ratio=masking_ratio, **MST_CONFIG)
    for m in model.modules():
        if isinstance(m, QCFS):
            m.lam.data.fill_(LAM0)
    # Swin initialises the relative position bias table with trunc-normal, std 0.02
    for m in model.modules():
        if hasattr(m, "rel_bias_table"):
            nn.init.trunc_normal_(m.rel_bias_table, std=0.02)
    return model


class DigitsVGG(nn.Module):
    """VGG-style: [conv-BN-QCFS] x2, avgpool, [conv-BN-QCFS] x2, avgpool, fc-QCFS, fc."""

    def __init__(self, widths=(32, 64), hidden=128, num_classes=10):
        super().__init__()
        layers, cin = [], 1
        for w in widths:
            for _ in range(2):
                layers += [nn.Conv2d(cin, w, 3, padding=1), nn.BatchNorm2d(w), QCFS(L, LAM0)]
                cin = w
            layers.append(nn.AvgPool2d(2))
        self.features = nn.Sequential(*layers)
        side = 16 // 2 ** len(widths)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(cin * side * side, hidden),
                                        QCFS(L, LAM0), nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def describe(model):
    """Parameter count and number of QCFS layers (for the model cards)."""
    return {"parameters": sum(p.numel() for p in model.parameters()),
            "qcfs_layers": sum(isinstance(m, QCFS) for m in model.modules())}
