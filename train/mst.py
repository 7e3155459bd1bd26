"""Scaled-down Masked Spiking Transformer (Swin with BatchNorm + QCFS + RSM).

Follows MST-REFERENCE.md section 2: patch embed Conv -> BN1d -> QCFS; blocks
with the MST residual (x = sc + h; y = BN2(x); x = y + MLP(QCFS(y))); window
attention with relative position bias, -100 shift mask and RSM on q, k and the
score spikes; patch merging; final LayerNorm, mean over tokens, Linear head.
"""
import torch
import torch.nn as nn

from train.qcfs import QCFS, MaskSpike

FORM = "floor_then_clip"  # the MST code's QCFS order


class TokenBN(nn.BatchNorm1d):
    """BatchNorm1d over the channel axis of (B, N, C) tokens, via transposes."""

    def forward(self, x):
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


def window_partition(x, w):
    """(B, H, W, C) -> (B * nW, w*w, C)."""
    B, H, W, C = x.shape
    x = x.view(B, H // w, w, W // w, w, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, C)


def window_reverse(windows, w, B, H, W):
    """(B * nW, w*w, C) -> (B, H, W, C)."""
    C = windows.shape[-1]
    x = windows.view(B, H // w, W // w, w, w, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(B, H, W, C)


def relative_position_index(w):
    """(w*w, w*w) index into the (2w-1)^2 bias table, as in Swin."""
    ij = torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")
    coords = torch.stack(ij).flatten(1)  # (2, N)
    rel = coords[:, :, None] - coords[:, None, :] + (w - 1)  # (2, N, N), >= 0
    return rel[0] * (2 * w - 1) + rel[1]


def shift_attn_mask(H, W, w, s):
    """(nW, N, N) mask: 0 inside the same pre-shift region, -100 across regions."""
    label = torch.zeros(1, H, W, 1)
    bounds = lambda n: ((0, n - w), (n - w, n - s), (n - s, n))
    for r, (h0, h1) in enumerate(bounds(H)):
        for c, (w0, w1) in enumerate(bounds(W)):
            label[:, h0:h1, w0:w1, :] = 3 * r + c
    lab = window_partition(label, w).squeeze(-1)  # (nW, N)
    diff = lab[:, None, :] - lab[:, :, None]
    return torch.where(diff != 0, torch.tensor(-100.0), torch.tensor(0.0))


class WindowAttention(nn.Module):
    def __init__(self, dim, w, heads, L, masking_ratio):
        super().__init__()
        self.heads, self.w, self.scale = heads, w, (dim // heads) ** -0.5
        self.rel_bias_table = nn.Parameter(torch.zeros((2 * w - 1) ** 2, heads))
        self.register_buffer("rel_index", relative_position_index(w))
        self.qkv = nn.Linear(dim, 3 * dim)
        self.q_act, self.k_act, self.v_act = (QCFS(L, form=FORM) for _ in range(3))
        self.q_mask, self.k_mask = MaskSpike(masking_ratio), MaskSpike(masking_ratio)
        self.attn_act, self.attn_mask = QCFS(L, form=FORM), MaskSpike(masking_ratio)
        self.softmax = nn.Softmax(dim=-1)
        self.attn_v_act = QCFS(L, form=FORM)
        self.proj = nn.Linear(dim, dim)
        self.proj_act = QCFS(L, form=FORM)

    def forward(self, x, shift_mask=None):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # each (B_, heads, N, C/heads)
        q = self.q_mask(self.q_act(q))
        k = self.k_mask(self.k_act(k))
        a = self.attn_mask(self.attn_act((q @ k.transpose(-2, -1)) * self.scale))
        v = self.v_act(v)
        bias = self.rel_bias_table[self.rel_index.view(-1)].view(N, N, -1)
        z = a + bias.permute(2, 0, 1).unsqueeze(0)
        if shift_mask is not None:
            nW = shift_mask.shape[0]
            z = z.view(B_ // nW, nW, self.heads, N, N) + shift_mask.unsqueeze(1).unsqueeze(0)
            z = z.view(-1, self.heads, N, N)
        o = (self.softmax(z) @ v).transpose(1, 2).reshape(B_, N, C)
        return self.proj_act(self.proj(self.attn_v_act(o)))


class Mlp(nn.Module):
    """fc1 -> [BN] -> QCFS -> fc2 -> [BN] -> QCFS (BN only in the ImageNet variant)."""

    def __init__(self, dim, hidden, L, bn):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.norm1 = TokenBN(hidden) if bn else nn.Identity()
        self.norm2 = TokenBN(dim) if bn else nn.Identity()
        self.fc1_act, self.fc2_act = QCFS(L, form=FORM), QCFS(L, form=FORM)

    def forward(self, x):
        x = self.fc1_act(self.norm1(self.fc1(x)))
        return self.fc2_act(self.norm2(self.fc2(x)))


class MSTBlock(nn.Module):
    def __init__(self, dim, res, heads, w, shift, L, masking_ratio, mlp_bn):
        super().__init__()
        if res <= w:  # one window covers the map: no partition, no shift
            w, shift = res, 0
        self.res, self.w, self.shift = res, w, shift
        self.norm1 = TokenBN(dim)
        self.shortcut1_act = QCFS(L, form=FORM)
        self.attn = WindowAttention(dim, w, heads, L, masking_ratio)
        self.norm2 = TokenBN(dim)
        self.shortcut2_act = QCFS(L, form=FORM)
        self.mlp = Mlp(dim, 4 * dim, L, mlp_bn)
        mask = shift_attn_mask(res, res, w, shift) if shift > 0 else None
        self.register_buffer("shift_mask", mask)

    def forward(self, x):
        B, N, C = x.shape
        H = W = self.res
        sc = x
        h = self.shortcut1_act(self.norm1(x)).view(B, H, W, C)
        if self.shift > 0:
            h = torch.roll(h, shifts=(-self.shift, -self.shift), dims=(1, 2))
        h = self.attn(window_partition(h, self.w), self.shift_mask)
        h = window_reverse(h, self.w, B, H, W)
        if self.shift > 0:
            h = torch.roll(h, shifts=(self.shift, self.shift), dims=(1, 2))
        x = sc + h.reshape(B, N, C)
        y = self.norm2(x)  # MST: the MLP residual adds BN2's output
        return y + self.mlp(self.shortcut2_act(y))


class PatchMerging(nn.Module):
    """2x2 strided gathers -> concat -> BN1d(4C) -> Linear(4C, 2C, no bias) -> QCFS."""

    def __init__(self, dim, res, L):
        super().__init__()
        self.res = res
        self.norm = TokenBN(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.reduction_act = QCFS(L, form=FORM)

    def forward(self, x):
        B, N, C = x.shape
        x = x.view(B, self.res, self.res, C)
        parts = [x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]]
        x = torch.cat(parts, -1).view(B, -1, 4 * C)
        return self.reduction_act(self.reduction(self.norm(x)))


class MST(nn.Module):
    def __init__(self, L=4, num_classes=10, img=16, patch=2, dim=16, depths=(2, 2),
                 heads=(2, 4), window=4, masking_ratio=0.0, mlp_bn=False, in_chans=3, pool="mean", pad=0):
        super().__init__()
        # "avgpool1d": the reference code's nn.AdaptiveAvgPool1d(1) over tokens (exported differently)
        self.avgpool = nn.AdaptiveAvgPool1d(1) if pool == "avgpool1d" else None
        # pad: zero border of the image inside the patch embedding (28x28 MNIST seen as 32x32)
        self.patch_embed = nn.Conv2d(in_chans, dim, patch, patch, padding=pad)
        self.embed_norm = TokenBN(dim)
        self.embed_act = QCFS(L, form=FORM)
        res, stages = (img + 2 * pad) // patch, []
        for i, (depth, nh) in enumerate(zip(depths, heads)):
            blocks = [MSTBlock(dim, res, nh, window, 0 if j % 2 == 0 else window // 2,
                               L, masking_ratio, mlp_bn) for j in range(depth)]
            if i < len(depths) - 1:
                blocks.append(PatchMerging(dim, res, L))
                dim, res = 2 * dim, res // 2
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = self.stages(self.embed_act(self.embed_norm(x)))
        x = self.norm(x)
        if self.avgpool is None:
            return self.head(x.mean(dim=1))
        return self.head(torch.flatten(self.avgpool(x.transpose(1, 2)), 1))
