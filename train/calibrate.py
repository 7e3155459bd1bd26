"""Give the untrained test models non-trivial, fully seeded weights.

One eval-mode forward pass on a calibration batch with forward pre-hooks sets,
in dataflow order, (a) each BatchNorm's running stats and affine from the
statistics of its actual input, perturbed at random, and (b) each QCFS lam so
that roughly 8-25% of its outputs are non-zero. Hooks run just before a module
computes, so every layer sees inputs produced by already-calibrated layers.
"""
import torch
import torch.nn as nn

from train.mst import TokenBN
from train.qcfs import QCFS

# Non-zero fraction bounds: QCFS(x) > 0 iff x >= lam / (2L).
MIN_FIRE, MAX_FIRE, TOP_Q = 0.08, 0.25, 0.995
# Inputs such as spike-product scores are discrete, and a quantile is a data
# value: without this factor many inputs would sit exactly on a QCFS step and
# flip between torch, onnxruntime, float32 and float64.
LAM_JITTER = 1.0123


def _randn(shape, g, std=1.0):
    return torch.randn(shape, generator=g) * std


def _uniform(shape, g, lo, hi):
    return lo + (hi - lo) * torch.rand(shape, generator=g)


@torch.no_grad()
def randomize_weights(model, g):
    """Re-draw every weight from generator g (module order) so nothing relies on torch's global RNG."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            m.weight.copy_(_randn(m.weight.shape, g, (2.0 / fan_in) ** 0.5))
            if m.bias is not None:
                m.bias.copy_(_randn(m.bias.shape, g, 0.1))
        elif isinstance(m, nn.LayerNorm):
            m.weight.copy_(_uniform(m.weight.shape, g, 0.5, 1.5))
            m.bias.copy_(_randn(m.bias.shape, g, 0.2))
    for name, p in model.named_parameters():
        if name.endswith("rel_bias_table"):  # larger than Swin's 0.02 so it matters
            p.copy_(_randn(p.shape, g, 0.5))
        elif name.endswith("pos_embed"):
            p.copy_(_randn(p.shape, g, 0.3))


def _bn_hook(g):
    @torch.no_grad()
    def hook(bn, inputs):
        x = inputs[0]
        dims = (0, 1) if isinstance(bn, TokenBN) else tuple(i for i in range(x.dim()) if i != 1)
        mean, var = x.mean(dims), x.var(dims)
        c = mean.shape
        bn.running_mean.copy_(mean + _randn(c, g, 0.2) * var.sqrt())
        bn.running_var.copy_(var * _uniform(c, g, 0.6, 1.6) + 1e-3)
        bn.weight.copy_(_uniform(c, g, 0.6, 1.4) * torch.where(_uniform(c, g, 0, 1) < 0.1, -1.0, 1.0))
        bn.bias.copy_(_randn(c, g, 0.2) - 0.2)  # slight negative shift: sparser spikes
    return hook


def choose_lam(x, L):
    """lam near the top quantile, but bounded so that 8-25% of outputs are non-zero."""
    x = x.detach().flatten().double()
    q = lambda p: torch.quantile(x, p).item()
    lam = min(max(q(TOP_Q), 2 * L * q(1 - MAX_FIRE)), 2 * L * q(1 - MIN_FIRE))
    if lam <= 0:  # fewer than MIN_FIRE positive inputs: let most positives fire
        pos = x[x > 0]
        lam = 2 * L * torch.quantile(pos, 0.1).item() if pos.numel() else 1.0
    return float(torch.tensor(lam * LAM_JITTER, dtype=torch.float32))


def _qcfs_hook(qcfs, inputs):
    with torch.no_grad():
        qcfs.lam.fill_(choose_lam(inputs[0], qcfs.L))


@torch.no_grad()
def calibrate(model, x, g):
    """Set BN stats/affine and every lam from one eval forward pass on batch x."""
    model.eval()
    handles = []
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            handles.append(m.register_forward_pre_hook(_bn_hook(g)))
        elif isinstance(m, QCFS):
            handles.append(m.register_forward_pre_hook(_qcfs_hook))
    try:
        model(x)
    finally:
        for h in handles:
            h.remove()
    return model


@torch.no_grad()
def fire_fractions(model, x):
    """Fraction of non-zero outputs of each QCFS (module order) on batch x."""
    fracs, handles = {}, []
    for m in model.modules():
        if isinstance(m, QCFS):
            hook = lambda mod, inp, out: fracs.__setitem__(mod, (out != 0).double().mean().item())
            handles.append(m.register_forward_hook(hook))
    model(x)
    for h in handles:
        h.remove()
    return [fracs[m] for m in model.modules() if isinstance(m, QCFS)]
