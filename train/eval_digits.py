"""Measure the bundled digits models with mstsim and store the figures in models/<name>.json.

Run from the repository root in the mstsim environment (no torch needed):
    .venv/bin/python -m train.eval_digits [--T N] [--only NAME ...]
For each model: ANN accuracy (QCFS, float32) and SNN accuracy at every T up
to the bundled T (from one simulation: the readout is the running sum of
logits), ACs, MACs and energy per sample, on all 355 test samples, at masking
0 and 0.75 (and 0.5 for the CNN). Seed 0 fixes every mask. Then rewrites the
model cards (train/model_cards.py).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import onnx

import mstsim
import mstsim.datasets
from mstsim.ledger import E_AC_PJ, E_MAC_PJ
from train.digits_data import ROOT, load_split, preprocess
from train.model_cards import write_card

MODELS = os.path.join(ROOT, "models")
NAMES = ("mst_digits", "mst_digits_rsm75", "cnn_digits")
SEED, BATCH = 0, 128


def runs_for(meta):
    """(label, rsm) pairs: the model's masking sites at ratio 0 and 0.75 (+0.5 on CNNs)."""
    sites = meta["mask_sites"] or "attention"
    ratios = (0.0, 0.5, 0.75) if sites == "all" else (0.0, 0.75)
    return [(f"masking {p:g}", {"ratio": p, "sites": sites}) for p in ratios]


STEPS = (4, 8, 16, 32, 48, 64, 96, 128, 192, 256)


def checkpoints(T):
    """The T values reported in the accuracy table: STEPS up to T, and T itself."""
    return sorted({t for t in STEPS if t <= T} | {T})


def evaluate(name, T_override=None):
    path = os.path.join(MODELS, name + ".onnx")
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    meta = json.loads(props["mstsim.preprocess"])
    T = T_override or meta["T"]
    images, labels = load_split("test")
    ds = mstsim.datasets.open_dataset("digits", split="test")  # same split as mstsim's reader
    assert np.array_equal(ds.images, images) and np.array_equal(ds.labels, labels)
    x = preprocess(images, meta["mean"][0], meta["std"][0])
    net = mstsim.from_onnx(path)
    net.simulate(x[:2], T=2, seed=SEED)  # warm-up: numba compilation is not timed below
    runs = {}
    for label, rsm in runs_for(meta):
        t0 = time.time()
        logits = mstsim.run_ann(net.configured(rsm), x, dtype=np.float32, seed=SEED)
        t_ann = time.time() - t0
        t0 = time.time()
        res = net.simulate(x, T=T, rsm=rsm, seed=SEED, batch_size=BATCH)
        t_snn = time.time() - t0
        led = res.ledger
        correct = np.asarray(res.predictions) == labels[None, :]
        runs[label] = {
            "rsm": rsm,
            "ann_accuracy": float((logits.argmax(1) == labels).mean()),
            "snn_accuracy": {str(t): float(correct[t - 1].mean()) for t in checkpoints(T)},
            "acs_per_sample": led.per_sample("acs"),
            "effective_acs_per_sample": led.per_sample("effective_acs"),
            "macs_per_sample": led.per_sample("macs"),
            "element_ops_per_sample": led.per_sample("element_ops"),
            "events_dropped_per_sample": led.per_sample("events_dropped"),
            "energy_pj_per_sample": led.energy_pj() / led.samples,
            "ann_macs_per_sample": int(led.ann_macs.sum()),
            "ann_energy_pj_per_sample": led.ann_energy_pj() / led.samples,
            "top_acs_nodes": top_nodes(led, "acs", 5),
            "top_macs_nodes": top_nodes(led, "macs", 5),
            "seconds_ann": round(t_ann, 2), "seconds_snn": round(t_snn, 2),
        }
        print(f"{name} {label}: ANN {runs[label]['ann_accuracy']:.4f}  SNN "
              + " ".join(f"T{t}={a:.4f}" for t, a in runs[label]["snn_accuracy"].items())
              + f"  ACs {runs[label]['acs_per_sample']:.4g}  {t_ann + t_snn:.1f} s", flush=True)
    return {"mstsim_version": mstsim.__version__, "T": T, "test_samples": len(labels), "seed": SEED,
            "batch_size": BATCH, "dtype": "float32", "e_ac_pj": E_AC_PJ, "e_mac_pj": E_MAC_PJ,
            "cpu_threads": os.cpu_count(), "runs": runs}


def top_nodes(led, column, k):
    """The k nodes with the largest count in `column`, per sample (zero counts left out)."""
    counts = led.column(column)
    order = np.argsort(-counts, kind="stable")[:k]
    return [[led.nodes[i], float(counts[i]) / led.samples] for i in order if counts[i]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, help="simulate this long instead of the bundled T (exploration; "
                                          "the JSON is then not written)")
    ap.add_argument("--only", nargs="*", choices=NAMES)
    args = ap.parse_args()
    for name in args.only or NAMES:
        result = evaluate(name, args.T)
        if args.T:
            continue
        card = os.path.join(MODELS, name + ".json")
        data = json.load(open(card))
        data["evaluation"] = result
        with open(card, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        write_card(name, data)


if __name__ == "__main__":
    main()
