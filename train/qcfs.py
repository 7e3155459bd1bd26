"""QCFS activation, Random Spike Masking and the IF neuron used for test fixtures.

Semantics follow /work/shared/MST-REFERENCE.md sections 1 and 3:
  QCFS(x) = lam * clamp(floor(x * L / lam + 0.5) / L, 0, 1)
  IF:     theta = lam, v0 = theta / 2, v += x, spike if v >= theta,
          v -= theta on spike, output theta * spike.
"""
import torch
import torch.nn as nn

# Forward forms that compute the same value but export to different ONNX node
# chains; the importer must recognise all of them.
FORMS = ("floor_then_clip", "clip_then_floor", "reciprocal")


class GradFloor(torch.autograd.Function):
    """floor() with a straight-through gradient (as in the QCFS/MST code)."""

    @staticmethod
    def forward(ctx, x):
        return torch.floor(x)

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def symbolic(g, x):
        # Lets the TorchScript exporter emit a plain Floor instead of a PythonOp.
        return g.op("Floor", x)


class QCFS(nn.Module):
    """Quantization-clip-floor-shift activation with one trainable scalar lam."""

    def __init__(self, L=16, lam=2.0, form="floor_then_clip"):
        super().__init__()
        if form not in FORMS:
            raise ValueError(f"unknown QCFS form {form!r}")
        self.L = int(L)
        self.form = form
        self.lam = nn.Parameter(torch.tensor([float(lam)]))

    def forward(self, x):
        L, lam = self.L, self.lam
        if self.form == "floor_then_clip":  # MST / old QCFS repo order
            x = x / lam
            x = GradFloor.apply(x * L + 0.5) / L
            x = torch.clamp(x, 0, 1)
            return x * lam
        if self.form == "clip_then_floor":  # new QCFS repo order
            x = torch.clamp(x / lam, 0, 1)
            x = GradFloor.apply(x * L + 0.5) / L
            return x * lam
        # "reciprocal": multiply by 1/lam instead of dividing
        x = x * (1.0 / lam)
        x = GradFloor.apply(x * L + 0.5) * (1.0 / L)
        x = torch.clamp(x, 0, 1)
        return x * lam

    def extra_repr(self):
        return f"L={self.L}, form={self.form}"


class MaskSpike(nn.Module):
    """Random Spike Masking: drop each element with probability p, no rescaling.

    Active in eval mode too and kept in the graph even when p == 0, like the
    MST code. `bypass` exists only for deterministic reference computations:
    torch.rand can return exactly 0.0, which `> 0` would drop even at p == 0.
    """

    def __init__(self, p=0.0):
        super().__init__()
        self.p = float(p)
        self.bypass = False

    def forward(self, x):
        if self.bypass:
            return x
        mask = torch.rand(x.shape, dtype=x.dtype, device=x.device) > self.p
        return x * mask

    def extra_repr(self):
        return f"p={self.p}"


class IFNeuron(nn.Module):
    """Integrate-and-fire neuron replacing one QCFS in the spiking re-simulation."""

    def __init__(self, theta):
        super().__init__()
        self.theta = theta  # python float or 0-d tensor, in the simulation dtype
        self.v = None

    def reset(self):
        self.v = None

    def forward(self, x):
        if self.v is None:
            self.v = torch.full_like(x, 0.5) * self.theta
        self.v = self.v + x
        spike = (self.v >= self.theta).to(x.dtype)
        self.v = self.v - spike * self.theta  # soft reset: subtract theta
        return spike * self.theta


def set_masking(model, p):
    """Set every MaskSpike's ratio; at p == 0 it becomes an exact identity."""
    for m in model.modules():
        if isinstance(m, MaskSpike):
            m.p, m.bypass = float(p), p == 0
    return model


def qcfs_modules(model):
    """QCFS layers in module (registration) order."""
    return [m for m in model.modules() if isinstance(m, QCFS)]
