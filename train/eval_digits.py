"""Measure the bundled models with mstsim and store the figures in models/<name>.json.

Run from the repository root in the mstsim environment (no torch needed):
    .venv/bin/python -m train.eval_digits [--T N] [--only NAME ...]
For each model: ANN accuracy (QCFS, float32) and SNN accuracy at every T up
to the bundled T (from one simulation: the readout is the running sum of
logits), ACs, MACs, energy and ACs per module kind per sample, on the whole
test split of its dataset (digits: 355, mnist5k: 1,000), read as `mstsim run`
reads it. Masking: the digits MSTs at 0 and 0.75 (the CNN also at 0.5); the
MNIST Table-3 models: the unmasked one at 0, 0.5 and 0.75, each masked one at
the ratio it was trained with. Seed 0 fixes every mask. Then rewrites the
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
from mstsim.ledger import E_AC_PJ, E_MAC_PJ
from mstsim.inputs import Preprocess, load_samples
from mstsim.table3 import kind_acs
from train.digits_data import ROOT, load_split, preprocess
from train import mnist_cards
from train.model_cards import write_card

MODELS = os.path.join(ROOT, "models")
NAMES = ("mst_digits", "mst_digits_rsm75", "cnn_digits", "mst_mnist", "mst_mnist_ft50", "mst_mnist_ft75",
         "mst_mnist_scratch50", "mst_mnist_scratch75")
SEED, BATCH = 0, 128


def runs_for(meta):
    """(label, rsm) pairs at the model's masking sites: digits MSTs at 0 and 0.75 (+0.5 on the CNN);
    the Table-3 models: an unmasked one at 0, 0.5 and 0.75, a masked one at its trained ratio."""
    sites = meta["mask_sites"] or "attention"
    if meta["dataset"] != "digits":
        ratios = (meta["masking_ratio"],) if meta["masking_ratio"] else (0.0, 0.5, 0.75)
    else:
        ratios = (0.0, 0.5, 0.75) if sites == "all" else (0.0, 0.75)
    return [(f"masking {p:g}", {"ratio": p, "sites": sites}) for p in ratios]


def module_acs(net, rsm, ledger):
    """ACs per sample by module kind (mstsim.table3.kind_acs); None while mstsim has no module ledger."""
    try:
        from mstsim.module_map import node_modules
    except ImportError:
        return None
    mods = node_modules(net.configured(rsm), net.graph.modules)
    return kind_acs(ledger, mods) if mods else None


STEPS = (4, 8, 16, 32, 48, 64, 96, 128, 192, 256)


def checkpoints(T):
    """The T values reported in the accuracy table: STEPS up to T, and T itself."""
    return sorted({t for t in STEPS if t <= T} | {T})


def evaluate(name, T_override=None):
    path = os.path.join(MODELS, name + ".onnx")
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    meta = json.loads(props["mstsim.preprocess"])
    T = T_override or meta["T"]
    net = mstsim.from_onnx(path)
    x, labels = load_samples(meta["dataset"], Preprocess.from_metadata(net.metadata), net.input_shape,
                             limit=None, steps=T)  # as `mstsim run` reads them
    if meta["dataset"] == "digits":  # the same split and preprocessing as train/digits_data.py
        images, train_labels = load_split("test")
        assert np.array_equal(labels, train_labels)
        assert np.array_equal(x, preprocess(images, meta["mean"][0], meta["std"][0]))
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
            "module_acs_per_sample": module_acs(net, rsm, led),
            "seconds_ann": round(t_ann, 2), "seconds_snn": round(t_snn, 2),
            "quick_check": quick_check(net, x, labels, rsm),
        }
        print(f"{name} {label}: ANN {runs[label]['ann_accuracy']:.4f}  SNN "
              + " ".join(f"T{t}={a:.4f}" for t, a in runs[label]["snn_accuracy"].items())
              + f"  ACs {runs[label]['acs_per_sample']:.4g}  {t_ann + t_snn:.1f} s", flush=True)
    return {"mstsim_version": mstsim.__version__, "T": T, "test_samples": len(labels), "seed": SEED,
            "batch_size": BATCH, "dtype": "float32", "e_ac_pj": E_AC_PJ, "e_mac_pj": E_MAC_PJ,
            "cpu_threads": os.cpu_count(), "runs": runs}


QUICK_SAMPLES, QUICK_T = 48, 12


def quick_check(net, x, labels, rsm):
    """Exact SNN figures of a short simulation (the first QUICK_SAMPLES test samples, T = QUICK_T) that
    tests/run/test_bundled.py repeats: the engine's counts and predictions are the same on every machine."""
    res = net.simulate(x[:QUICK_SAMPLES], T=QUICK_T, rsm=rsm, seed=SEED)
    ann = mstsim.run_ann(net.configured(rsm), x[:QUICK_SAMPLES], dtype=np.float32, seed=SEED)
    led = res.ledger
    return {"samples": QUICK_SAMPLES, "T": QUICK_T,
            "ann_correct": int((ann.argmax(1) == labels[:QUICK_SAMPLES]).sum()),
            "correct": int((np.asarray(res.predictions[-1]) == labels[:QUICK_SAMPLES]).sum()),
            "acs": led.total("acs"), "macs": led.total("macs"), "events_dropped": led.total("events_dropped")}


def quick_checks(name):
    """The stored evaluation with every run's quick_check computed again."""
    result = json.load(open(os.path.join(MODELS, name + ".json")))["evaluation"]
    net = mstsim.from_onnx(os.path.join(MODELS, name + ".onnx"))
    x, labels = load_samples(json.loads(net.metadata["mstsim.preprocess"])["dataset"],
                             Preprocess.from_metadata(net.metadata), net.input_shape, limit=QUICK_SAMPLES,
                             steps=QUICK_T)
    for run in result["runs"].values():
        run["quick_check"] = quick_check(net, x, labels, run["rsm"])
    return result


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
    ap.add_argument("--cards-only", action="store_true", help="only render the .md cards from the .json files")
    ap.add_argument("--quick-only", action="store_true", help="only recompute each run's quick_check")
    args = ap.parse_args()
    for name in args.only or NAMES:
        if args.cards_only:
            write_card(name, json.load(open(os.path.join(MODELS, name + ".json"))))
            continue
        result = quick_checks(name) if args.quick_only else evaluate(name, args.T)
        if args.T:
            continue
        card = os.path.join(MODELS, name + ".json")
        data = json.load(open(card))
        data["evaluation"] = result
        with open(card, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        write_card(name, data)
    mnist_cards.update_readme(MODELS)  # models/README.md's Table 3, once all its models are measured


if __name__ == "__main__":
    main()
