"""Render models/<name>.md from models/<name>.json (called by train/eval_digits.py).

The numbers all come from the JSON (training: train_digits.py; evaluation:
eval_digits.py), so a card never disagrees with its measurements.
"""
import hashlib
import json
import os

from train.digits_data import ROOT

MODELS = os.path.join(ROOT, "models")

MST_ARCH = """\
Scaled-down MST (`train/mst.py`, `train/digits_models.py`), the paper's structure:
- patch embedding `Conv2d(1, 32, k2, s2)` on 16x16 -> 8x8 tokens -> BatchNorm1d -> QCFS;
- stage 1: dim 32, 2 blocks, 2 heads, window 4 (four 4x4 windows), shift 0 then 2
  (with the -100 cross-region mask); patch merging (BN1d(128) -> Linear(128, 64, no bias) -> QCFS);
- stage 2: dim 64, 2 blocks, 4 heads, 4x4 tokens = one window, so no shift;
- blocks: BN instead of LN, MST residual (`x = sc + attn(QCFS(BN1(x)))`, `y = BN2(x)`,
  `x = y + MLP(QCFS(y))`), relative position bias (7x7 table per head), qkv bias,
  scale head_dim^-0.5, QCFS after q, k, v, scores, attn@v, proj, fc1, fc2 and both shortcuts;
  MLP ratio 4 without BN (MST's CIFAR variant); softmax kept;
- final LayerNorm(64), mean over the 16 tokens, Linear(64, 10).
- RSM (`MaskSpike`, `x * (rand > p)`, no rescaling) on the q, k and score spikes of every block."""

CNN_ARCH = """\
VGG-style QCFS CNN (`DigitsVGG` in `train/digits_models.py`):
`[Conv3x3(1->32)-BN-QCFS, Conv3x3(32->32)-BN-QCFS, AvgPool2]`,
`[Conv3x3(32->64)-BN-QCFS, Conv3x3(64->64)-BN-QCFS, AvgPool2]`,
`Flatten(64x4x4) -> Linear(1024, 128) -> QCFS -> Linear(128, 10)`.
No RSM in the graph (trained unmasked); RSM is applied at simulation time on
every IF (`sites="all"`), as the paper does for CNNs."""

INFO = {
    "mst_digits": ("MST-style QCFS transformer, digits, no masking", MST_ARCH,
                   "Trained from scratch without masking (ratio 0)."),
    "mst_digits_rsm75": ("MST-style QCFS transformer, digits, trained with 75% RSM", MST_ARCH,
                         "Fine-tuned from `mst_digits` with RSM 0.75 on the attention sites, as the "
                         "MST authors did (unmasked first, then masked). The masks are active in "
                         "training and evaluation; the exported graph keeps them at 0.75."),
    "cnn_digits": ("VGG-style QCFS CNN, digits", CNN_ARCH, "Trained from scratch without masking."),
}


def pct(a):
    return f"{100 * a:.2f}"


def accuracy_table(ev):
    runs = ev["runs"]
    steps = list(next(iter(runs.values()))["snn_accuracy"])
    lines = ["| run | ANN | " + " | ".join(f"T={t}" for t in steps) + " |",
             "|---" * (len(steps) + 2) + "|"]
    for label, r in runs.items():
        lines.append(f"| {label} | {pct(r['ann_accuracy'])} | "
                     + " | ".join(pct(r["snn_accuracy"][t]) for t in steps) + " |")
    return "\n".join(lines)


def cost_table(ev):
    lines = ["| run | ACs / sample | MACs / sample | SNN energy / sample | ANN MACs / sample | "
             "ANN energy / sample | SNN / ANN energy |", "|---|---|---|---|---|---|---|"]
    for label, r in ev["runs"].items():
        e, ea = r["energy_pj_per_sample"], r["ann_energy_pj_per_sample"]
        lines.append(f"| {label} | {r['acs_per_sample']:,.0f} | {r['macs_per_sample']:,.0f} | "
                     f"{e / 1e6:.3f} uJ | {r['ann_macs_per_sample']:,} | {ea / 1e6:.3f} uJ | {e / ea:.2f} |")
    return "\n".join(lines)


def masking_summary(ev):
    runs = ev["runs"]
    base, top = runs["masking 0"], runs["masking 0.75"]
    T = str(ev["T"])
    return (f"At T = {T}, masking 0.75 vs 0: SNN accuracy {pct(top['snn_accuracy'][T])} vs "
            f"{pct(base['snn_accuracy'][T])} %, ACs {top['acs_per_sample']:,.0f} vs "
            f"{base['acs_per_sample']:,.0f} per sample "
            f"(x{top['acs_per_sample'] / base['acs_per_sample']:.3f}), energy "
            f"x{top['energy_pj_per_sample'] / base['energy_pj_per_sample']:.3f}.")


def write_card(name, data, notes=""):
    title, arch, how = INFO[name]
    tr, ev, meta = data["training"], data["evaluation"], data["preprocess"]
    onnx_path = os.path.join(MODELS, name + ".onnx")
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    timing = " + ".join(f"{lab}: {r['seconds_ann']:.1f} s ANN, {r['seconds_snn']:.1f} s SNN"
                        for lab, r in ev["runs"].items())
    top = ", ".join(f"`{n}` {a:,.0f}" for n, a in ev["runs"]["masking 0"]["top_acs_nodes"])
    text = f"""# {name}: {title}

File: `models/{name}.onnx` ({tr['onnx_bytes']:,} bytes, SHA-256 `{sha[:16]}…`), measured figures
in `models/{name}.json`. TorchScript export (`dynamo=False`), opset 18, dynamic batch axis.

## Architecture

{arch}

QCFS: L = {meta['L']}, lam initialised to 2.0 and trained (one scalar per layer), floor with a
straight-through gradient. {tr['qcfs_layers']} QCFS layers, {tr['parameters']:,} parameters.

## Data and preprocessing

Bundled digits (`datasets/data/digits.csv.gz`), fixed split of docs/datasets.md: 1,442 train,
355 test (the last n_c // 5 rows of each class). Pixels / 16, nearest x2 upsampling to 16x16,
then (x - {meta['mean'][0]:.6f}) / {meta['std'][0]:.6f} (train-set pixel mean and std). Stored in the
ONNX `metadata_props` as `mstsim.preprocess`:

```json
{json.dumps(meta, sort_keys=True)}
```

## Training

`{tr['command']}` (all three models; torch {tr['torch']}, {tr['threads']} threads): {tr['seconds']:.0f} s
for this model. {how} AdamW (weight decay 0.05 on weight matrices only), peak lr {tr['lr']:g},
{tr['warmup_epochs']} warm-up epoch(s) then cosine to 1 % of the peak, {tr['epochs']} epochs, batch
{tr['batch']}, cross-entropy with label smoothing 0.1, gradient clipping 5, random shifts by up to
1 pixel (of the 8x8 image), seed {tr['seed']}. Torch (float32, masks as trained): train accuracy
{pct(tr['torch_train_accuracy'])} %, test accuracy {pct(tr['torch_test_accuracy'])} %. onnxruntime vs
torch at masking 0 on the test split: max |diff| {tr['ort_check_masking0']['max_abs_diff']:.2g},
argmax agreement {pct(tr['ort_check_masking0']['argmax_agreement'])} %.

## Results (mstsim {ev['mstsim_version']}, all {ev['test_samples']} test samples, seed {ev['seed']})

Test accuracy in % (ANN: QCFS network in float32 with the same masks; SNN: IF neurons,
direct input, running sum of logits, float32):

{accuracy_table(ev)}

Bundled T = {ev['T']}. Cost per sample at T = {ev['T']} (E_AC {ev['e_ac_pj']} pJ, E_MAC
{ev['e_mac_pj']} pJ; MACs are the analog-input layers, i.e. the first conv; softmax, LayerNorm and
other element operations are not priced):

{cost_table(ev)}

{masking_summary(ev)}

Top nodes by ACs (masking 0): {top}.

Simulation time on {ev['cpu_threads']} cores, batch {ev['batch_size']}, after numba warm-up:
{timing}.
{notes}
"""
    with open(os.path.join(MODELS, name + ".md"), "w") as f:
        f.write(text)
