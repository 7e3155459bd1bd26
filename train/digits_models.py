"""The three bundled digits models: two MSTs (train/mst.py) and a VGG-style QCFS CNN (RSM on every block).

Input: (1, 16, 16) digits (8x8 upsampled x2, normalised; see digits_data.py).
"""
import torch.nn as nn

from train.mst import MST
from train.qcfs import QCFS, MaskSpike

L = 8  # QCFS levels: 8 instead of MST's 16, so the SNN converges in fewer steps
LAM0 = 2.0  # initial lam, as MST's --threshold default

# Patch 4 on 16x16 gives 4x4 tokens of 2x2 original pixels (patch 2 would make
# each token a single pixel value: 89% test accuracy in a first run). Stage 1
# has four 2x2 windows (shift 1 in every second block); stage 2 is 2x2 tokens,
# one window, so no shift there.
MST_CONFIG = dict(img=16, patch=4, dim=32, depths=(2, 2), heads=(2, 4), window=2,
                  mlp_bn=False, in_chans=1, num_classes=10)  # CIFAR-style MLP (no BN)


def build_mst(masking_ratio=0.0, config=None):
    """MST(**config) (default MST_CONFIG) at L with lam 2.0 and Swin's bias-table init."""
    model = MST(L=L, masking_ratio=masking_ratio, **(config or MST_CONFIG))
    for m in model.modules():
        if isinstance(m, QCFS):
            m.lam.data.fill_(LAM0)
    # Swin initialises the relative position bias table with trunc-normal, std 0.02
    for m in model.modules():
        if hasattr(m, "rel_bias_table"):
            nn.init.trunc_normal_(m.rel_bias_table, std=0.02)
    return model


class DigitsVGG(nn.Module):
    """VGG-style QCFS CNN for RSM on every block, downsampling by stride-2 convolutions.

    [conv3x3-BN-QCFS-RSM, conv3x3/s2-BN-QCFS-RSM] per width (16x16 -> 8x8 -> 4x4),
    then `head`: "fc" = Flatten -> Linear(C*4*4, hidden) -> QCFS -> RSM -> Linear(hidden, 10)
    (every layer after the first conv gets spikes), "gap" = global average pool ->
    Linear(C, 10). No AvgPool between convs: an average of spikes is analog, so the
    next conv would cost dense MACs every step in the SNN. `MaskSpike(masking_ratio)`
    follows every QCFS (RSM on every block, as the paper for ResNet/VGG), active in
    training and evaluation, no rescaling.
    """

    def __init__(self, masking_ratio=0.0, widths=(32, 64), hidden=128, head="fc", num_classes=10):
        super().__init__()
        layers, cin = [], 1
        for w in widths:
            for stride in (1, 2):
                layers += [nn.Conv2d(cin, w, 3, stride=stride, padding=1), nn.BatchNorm2d(w),
                           QCFS(L, LAM0), MaskSpike(masking_ratio)]
                cin = w
        self.features = nn.Sequential(*layers)
        side = 16 // 2 ** len(widths)
        if head == "fc":
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(cin * side * side, hidden),
                                            QCFS(L, LAM0), MaskSpike(masking_ratio),
                                            nn.Linear(hidden, num_classes))
        elif head == "gap":
            self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                            nn.Linear(cin, num_classes))
        else:
            raise ValueError(f"unknown head {head!r}")

    def forward(self, x):
        return self.classifier(self.features(x))


def describe(model):
    """Parameter count and number of QCFS layers (for the model cards)."""
    return {"parameters": sum(p.numel() for p in model.parameters()),
            "qcfs_layers": sum(isinstance(m, QCFS) for m in model.modules())}
