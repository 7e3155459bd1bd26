"""Independent PyTorch spiking re-simulation of a QCFS model (reference for the simulator).

Each QCFS becomes an IFNeuron (theta = lam, v0 = theta/2, reset by subtraction,
output theta * spike). The same image is fed at every step and the unchanged
model forward runs once per step, so every non-QCFS op (BN affine, softmax with
bias and shift mask, LayerNorm, pooling, head) acts on that step's values and
q @ k^T multiplies that step's spike tensors. Readout: running sum of logits.
"""
import copy

import torch
import torch.nn as nn

from train.qcfs import QCFS, IFNeuron, MaskSpike, set_masking


def to_snn(model, dtype):
    """Copy of model in dtype with QCFS -> IFNeuron and masking disabled (ratio 0)."""
    snn = copy.deepcopy(model).to(dtype).eval()
    set_masking(snn, 0.0)
    for parent in list(snn.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, QCFS):
                # theta is lam's float32 value held exactly as a python float
                setattr(parent, name, IFNeuron(float(child.lam.item())))
    return snn


def reset(snn):
    for m in snn.modules():
        if isinstance(m, IFNeuron):
            m.reset()


@torch.no_grad()
def cumulative_logits(model, x, T, dtype):
    """(T, samples, classes) running sums of the per-step logits.

    Each sample is simulated on its own, with the neuron state reset before it.
    """
    snn = to_snn(model, dtype)
    out = []
    for i in range(x.shape[0]):
        reset(snn)
        xi = x[i:i + 1].to(dtype)
        total, steps = torch.zeros((), dtype=dtype), []
        for _ in range(T):
            total = total + snn(xi)[0]
            steps.append(total.clone())
        out.append(torch.stack(steps))
    reset(snn)
    return torch.stack(out, dim=1)


@torch.no_grad()
def ann_logits(model, x, dtype):
    """QCFS ANN output at masking ratio 0, computed in dtype."""
    ann = set_masking(copy.deepcopy(model).to(dtype).eval(), 0.0)
    return ann(x.to(dtype))


def count_layers(model):
    """Pattern counts the importer should find in the exported graph."""
    # batchnorm2d: all of them follow a Conv here, and both exporters fold
    # those into the Conv, so the graph has batchnorm - batchnorm2d BN nodes.
    kinds = {"qcfs": QCFS, "batchnorm": (nn.BatchNorm1d, nn.BatchNorm2d),
             "batchnorm2d": nn.BatchNorm2d, "masks": MaskSpike, "layernorm": nn.LayerNorm}
    return {k: sum(isinstance(m, t) for m in model.modules()) for k, t in kinds.items()}
