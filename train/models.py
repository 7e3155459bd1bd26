"""Tiny QCFS test models (3x16x16 inputs, 10 classes) for the ONNX fixtures.

Every ReLU of the usual architecture is a QCFS. MaskSpike appears only in the
MST model (q, k and score spikes), as in the MST code.
"""
import itertools

import torch
import torch.nn as nn

from train.qcfs import FORMS, QCFS
from train.mst import MST, TokenBN

__all__ = ["VGGTiny", "ResNetTiny", "ViTTiny", "MST", "TokenBN"]


class VGGTiny(nn.Module):
    """Conv-BN-QCFS blocks, AvgPool, Linear head. Cycles through all QCFS forms."""

    def __init__(self, L=4, num_classes=10):
        super().__init__()
        forms = itertools.cycle(FORMS)

        def act():
            return QCFS(L, form=next(forms))

        def cbq(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), act()]

        self.features = nn.Sequential(
            *cbq(3, 8), *cbq(8, 8), nn.AvgPool2d(2),
            *cbq(8, 16), nn.AvgPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 4 * 4, 32), act(), nn.Linear(32, num_classes)
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """ResNet basic block; QCFS after the residual add."""

    def __init__(self, cin, cout, stride=1, groups=1, dilation=1, L=4, form="clip_then_floor"):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, padding=1, groups=groups, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.act1 = QCFS(L, form=form)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )
        self.act2 = QCFS(L, form=form)

    def forward(self, x):
        sc = x if self.downsample is None else self.downsample(x)
        h = self.act1(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return self.act2(h + sc)


class ResNetTiny(nn.Module):
    """Stem, plain block, strided block with 1x1 shortcut, grouped+dilated block."""

    def __init__(self, L=4, num_classes=10, form="clip_then_floor"):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), QCFS(L, form=form)
        )
        self.layer1 = BasicBlock(8, 8, L=L, form=form)
        self.layer2 = BasicBlock(8, 16, stride=2, L=L, form=form)
        self.layer3 = BasicBlock(16, 16, groups=4, dilation=2, L=L, form=form)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class ViTAttention(nn.Module):
    """Multi-head self-attention with separate q/k/v Linears and QCFS everywhere."""

    def __init__(self, dim, heads, L, form):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.q, self.k, self.v = (nn.Linear(dim, dim) for _ in range(3))
        self.q_act, self.k_act, self.v_act = (QCFS(L, form=form) for _ in range(3))
        self.score_act = QCFS(L, form=form)
        self.softmax = nn.Softmax(dim=-1)
        self.attn_v_act = QCFS(L, form=form)
        self.proj = nn.Linear(dim, dim)
        self.proj_act = QCFS(L, form=form)

    def split(self, x):  # (B, N, C) -> (B, heads, N, C/heads)
        B, N, C = x.shape
        return x.reshape(B, N, self.heads, C // self.heads).transpose(1, 2)

    def forward(self, x):
        B, N, C = x.shape
        q = self.split(self.q_act(self.q(x)))
        k = self.split(self.k_act(self.k(x)))
        v = self.split(self.v_act(self.v(x)))
        a = self.score_act((q @ k.transpose(-2, -1)) * self.scale)
        o = (self.softmax(a) @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj_act(self.proj(self.attn_v_act(o)))


class ViTBlock(nn.Module):
    def __init__(self, dim, heads, mlp_dim, L, form):
        super().__init__()
        self.norm1 = TokenBN(dim)
        self.attn = ViTAttention(dim, heads, L, form)
        self.norm2 = TokenBN(dim)
        self.fc1, self.fc1_act = nn.Linear(dim, mlp_dim), QCFS(L, form=form)
        self.fc2, self.fc2_act = nn.Linear(mlp_dim, dim), QCFS(L, form=form)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2_act(self.fc2(self.fc1_act(self.fc1(self.norm2(x)))))


class ViTTiny(nn.Module):
    """Pre-norm ViT with BatchNorm instead of LayerNorm; final LayerNorm, mean pool."""

    def __init__(self, L=4, num_classes=10, dim=32, depth=2, heads=2, mlp_dim=64,
                 patch=4, img=16, form="reciprocal"):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.pos_embed = nn.Parameter(torch.zeros(1, (img // patch) ** 2, dim))
        self.blocks = nn.Sequential(
            *(ViTBlock(dim, heads, mlp_dim, L, form) for _ in range(depth))
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))
