"""Build, calibrate and export the ONNX test fixtures; write the reference .npz files.

Run from the repository root:
    .venv-train/bin/python -m train.export_fixtures
Output goes to tests/fixtures/onnx/ (or the folder given as the argument). Every random choice is seeded, so a rerun
reproduces the files.
"""
import collections
import io
import json
import os
import sys
import traceback
import zipfile

import numpy as np

if __package__ in (None, ""):  # run as `python train/export_fixtures.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import onnx
import onnxruntime as ort
import torch

from train.calibrate import calibrate, fire_fractions, randomize_weights
from train.models import MST, ResNetTiny, VGGTiny, ViTTiny
from train.qcfs import qcfs_modules
from train.snn import ann_logits, count_layers, cumulative_logits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "onnx")
OPSET, EXPORT_BATCH, SAMPLES, CALIB, T = 18, 2, 4, 64, 32
INPUT_SHAPE, CLASSES = (3, 16, 16), 10

# name -> (constructor, L, masking ratio, seed)
MODELS = {
    "vgg": (lambda: VGGTiny(L=4), 4, 0.0, 101),
    "resnet": (lambda: ResNetTiny(L=4), 4, 0.0, 202),
    "vit": (lambda: ViTTiny(L=8), 8, 0.0, 303),
    "mst": (lambda: MST(L=8), 8, 0.0, 404),
    # ImageNet-style MLP with BN, exported with RSM at 75%
    "mst_mask75": (lambda: MST(L=8, masking_ratio=0.75, mlp_bn=True), 8, 0.75, 505),
    # the reference code's head: nn.AdaptiveAvgPool1d(1) over tokens (dynamo writes it as a batch-axis Gather)
    "mst_pool": (lambda: MST(L=8, pool="avgpool1d"), 8, 0.0, 606),
}
DYNBATCH = ("vgg", "mst", "mst_mask75")  # TorchScript exports with a dynamic batch axis
#: dynamo exports with a dynamic batch (dynamic_shapes) and the weights in external data (model.onnx.data)
DYNAMO_DYNBATCH = ("mst_pool",)
BATCH1 = ("vgg", "resnet", "vit", "mst", "mst_pool")  # dynamo exports at batch 1 as well
#: tensor names as torch.onnx.export(..., input_names=["input"], output_names=[...]) writes them
OUTPUT_NAME = {"mst_pool": "output"}


def build(name):
    ctor, _, _, seed = MODELS[name]
    torch.manual_seed(seed)  # global RNG: default inits and MaskSpike's torch.rand
    g = torch.Generator().manual_seed(seed)
    model = ctor()
    randomize_weights(model, g)
    calibrate(model, torch.randn((CALIB,) + INPUT_SHAPE, generator=g), g)
    inputs = torch.randn((SAMPLES,) + INPUT_SHAPE, generator=g)
    return model.eval(), inputs


def export(model, x, path, exporter, dynamic, output="logits"):
    kw = dict(input_names=["input"], output_names=[output], opset_version=OPSET)
    if exporter == "dynamo":
        shapes = ({0: torch.export.Dim("batch")},) if dynamic else None
        torch.onnx.export(model, (x,), path, dynamo=True, external_data=dynamic, dynamic_shapes=shapes,
                          verbose=False, **kw)
        strip_node_metadata(path)
    else:
        axes = {"input": {0: "batch"}, output: {0: "batch"}} if dynamic else None
        torch.onnx.export(model, (x,), path, dynamo=False, dynamic_axes=axes, **kw)


def strip_node_metadata(path):
    """Drop dynamo's per-node debug metadata except "namespace" (the module path).

    The stack traces hold absolute file paths (not reproducible elsewhere) and
    are ~75% of the file; the graph itself is untouched.
    """
    model = onnx.load(path, load_external_data=False)  # external data stays where it is
    for node in model.graph.node:
        keep = [p for p in node.metadata_props if p.key == "namespace"]
        del node.metadata_props[:]
        node.metadata_props.extend(keep)
    onnx.save(model, path)


def check(path, ref, x, masked, dynamic, batch=EXPORT_BATCH):
    """onnx.checker + onnxruntime; returns (max |ort - torch|, or None if masked)."""
    onnx.checker.check_model(onnx.load(path), full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    batches = [x.shape[0], 1] if dynamic else [batch]
    diff = 0.0
    for b in batches:
        out = sess.run(None, {"input": x[:b].numpy()})[0]
        assert out.shape == (b, CLASSES), out.shape
        if not masked:
            diff = max(diff, float(np.abs(out - ref[:b]).max()))
    return None if masked else diff


def op_counts(path):
    return dict(sorted(collections.Counter(n.op_type for n in onnx.load(path).graph.node).items()))


def save_npz(path, **arrays):
    """Like np.savez, but with fixed zip timestamps so reruns are byte-identical."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())


def main(out=OUT, only=None):
    """Export every model (or only model ``only``, keeping the manifest's other entries)."""
    os.makedirs(out, exist_ok=True)
    files, failures, models = [], [], {}
    if only is not None:
        with open(os.path.join(out, "manifest.json")) as f:
            old = json.load(f)
        files = [{"external_data": False, **e} for e in old["files"] if e["model"] != only]
        failures = [e for e in old["failures"] if not e["file"].startswith(only + "_")]
        models = {k: v for k, v in old["models"].items() if k != only}
    for name, (_, L, ratio, seed) in MODELS.items():
        if only is not None and name != only:
            continue
        model, x = build(name)
        lams = [q.lam.item() for q in qcfs_modules(model)]
        ref32 = ann_logits(model, x, torch.float32)
        save_npz(os.path.join(out, f"{name}.npz"),
                 inputs=x.numpy(),
                 ann_logits=ann_logits(model, x, torch.float64).numpy(),
                 ann_logits_f32=ref32.numpy(),
                 snn_cumlogits_f64=cumulative_logits(model, x, T, torch.float64).numpy(),
                 snn_cumlogits_f32=cumulative_logits(model, x, T, torch.float32).numpy(),
                 lam=np.array(lams, dtype=np.float32))
        fire = fire_fractions(model, x)
        models[name] = {"seed": seed, "L": L, "masking_ratio": ratio,
                        "qcfs_nonzero_fraction": [round(f, 4) for f in fire]}
        print(f"{name}: QCFS non-zero fraction {min(fire):.3f}..{max(fire):.3f}")
        jobs = [("torchscript", False, EXPORT_BATCH), ("dynamo", False, EXPORT_BATCH)]
        jobs += [("torchscript", True, EXPORT_BATCH)] if name in DYNBATCH else []
        jobs += [("dynamo", False, 1)] if name in BATCH1 else []
        jobs += [("dynamo", True, EXPORT_BATCH)] if name in DYNAMO_DYNBATCH else []
        for exporter, dynamic, batch in jobs:
            fname = f"{name}_{exporter}{'_dynbatch' if dynamic else ''}{'_b1' if batch == 1 else ''}.onnx"
            path = os.path.join(out, fname)
            torch.manual_seed(seed)  # exporters run the model: keep RSM draws seeded
            try:
                export(model, x[:batch], path, exporter, dynamic, OUTPUT_NAME.get(name, "logits"))
                diff = check(path, ref32.numpy(), x, ratio > 0, dynamic, batch)
            except Exception as exc:  # record, do not hack around it
                failures.append({"file": fname, "error": f"{type(exc).__name__}: {exc}"[:2000]})
                traceback.print_exc()
                if os.path.exists(path):
                    os.remove(path)
                continue
            print(f"  {fname}: {os.path.getsize(path)} bytes, max|ort-torch| = {diff}")
            files.append({
                "file": fname, "model": name, "exporter": exporter, "opset": OPSET,
                "batch": "dynamic" if dynamic else batch, "output_name": OUTPUT_NAME.get(name, "logits"),
                "external_data": os.path.exists(path + ".data"),
                "input_shape": list(INPUT_SHAPE), "num_classes": CLASSES,
                "L": L, "masking_ratio": ratio, "npz": f"{name}.npz", "T": T,
                "counts": count_layers(model), "lam": lams,
                "qcfs_forms": [q.form for q in qcfs_modules(model)],
                "ort_max_abs_diff": diff, "op_types": op_counts(path),
            })
    manifest = {"opset": OPSET, "export_batch": EXPORT_BATCH, "samples": SAMPLES, "T": T,
                "torch": torch.__version__.split("+")[0], "models": models,
                "files": files, "failures": failures}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(files)} files exported, {len(failures)} failures")
    return 0 if not failures else 1


if __name__ == "__main__":
    # optional: output folder (default tests/fixtures/onnx), then one model name to re-export alone
    sys.exit(main(*sys.argv[1:3]))
