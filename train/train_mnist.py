"""Train the bundled MNIST-5k MSTs (the paper's Table 3 recipes) and export them to models/*.onnx.

Run from the repository root (torch 2.13.0 CPU, 2 threads; about an hour on
a shared 2-core machine):
    .venv/bin/python -m train.train_mnist [--only NAME ...] [--val] [--epochs N]
The data are the bundled datasets/data/mnist5k.npz (4,000 train / 1,000 test,
read through mstsim.datasets). Every random choice is seeded, as in
train/train_digits.py, whose training loop and export this reuses.

Recipes (Table 3 of the paper: masking ratio vs power vs accuracy, RSM on the
self-attention sites only):
  mst_mnist            unmasked training (ratio 0);
  mst_mnist_ft50/75    the paper's recipe: mst_mnist fine-tuned with RSM on at 0.5 / 0.75;
  mst_mnist_scratch50/75  for comparison, masks on from the first epoch, as many epochs as
                       mst_mnist.
"""
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import torch

import mstsim.datasets
from train.digits_models import L, build_mst
from train.train_digits import holdout, recipe_parser, run_recipes, shift_batch

# The reference shape (MST-REFERENCE.md section 2 scaled down): 28x28 zero-padded by 2
# inside the patch embedding = 32x32, patch 4 -> 8x8 tokens, window 4 (four windows,
# shift 2 in every second block), patch merging -> 4x4 tokens = one window (no shift);
# embed 48, depths 2/2, heads 3/6 (head dim 16), MLP ratio 4 without BN (CIFAR variant).
MNIST_MST = dict(img=28, pad=2, patch=4, dim=48, depths=(2, 2), heads=(3, 6), window=4,
                 mlp_bn=False, in_chans=1, num_classes=10)
SHIFT = 2  # augmentation: random shifts by up to 2 pixels
T_BUNDLED = 32

EPOCHS, FT_EPOCHS = 15, 6
# One thread: with two on the shared 2 cores torch's OpenMP barriers made a step 10x slower
# (measured: 0.21 CPU-s per batch of 64 on 1 thread, 1.8-2.4 on 2)
THREADS = 1


def recipe(ratio, seed, init=None, epochs=EPOCHS, lr=2e-3, warmup=1):
    return dict(build=lambda: build_mst(ratio, MNIST_MST), ratio=ratio, sites="attention", epochs=epochs,
                lr=lr, warmup=warmup, seed=seed, init=init, T=T_BUNDLED)


RECIPES = {
    "mst_mnist": recipe(0.0, 41),
    "mst_mnist_ft50": recipe(0.5, 42, init="mst_mnist", epochs=FT_EPOCHS, lr=1e-3),
    "mst_mnist_ft75": recipe(0.75, 43, init="mst_mnist", epochs=FT_EPOCHS, lr=1e-3),
    "mst_mnist_scratch50": recipe(0.5, 44),
    "mst_mnist_scratch75": recipe(0.75, 45),
}


def load(split):
    """(images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64) of the bundled split."""
    ds = mstsim.datasets.open_dataset("mnist5k", split=split)
    return ds.images, ds.labels


def preprocess_meta(std, r):
    """The `mstsim.preprocess` metadata: x / std (mean 0, so the conv's zero padding is black)."""
    return {"dataset": "mnist5k", "mean": [0.0], "std": [std], "T": r["T"], "L": L,
            "masking_ratio": r["ratio"], "mask_sites": r["sites"], "classes": 10,
            "input": "28x28, zero-padded by 2 in the patch embedding (32x32)"}


def main():
    ap = recipe_parser(__doc__, RECIPES)
    ap.add_argument("--epochs", type=int, help="timing runs: this many epochs per recipe, write nothing")
    ap.add_argument("--keep", help="also save each trained state dict in this folder (not bundled)")
    args = ap.parse_args()
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    (xtr, ytr), (xte, yte) = load("train"), load("test")
    if args.val:  # never look at the test split while choosing a recipe
        (xtr, ytr), (xte, yte) = holdout(xtr, ytr)
    std = float(np.float32(xtr.astype(np.float64).std()))
    prep = lambda x, g=None: (shift_batch(x, g, SHIFT) if g is not None else x) / std
    data = ((torch.from_numpy(xtr), torch.from_numpy(ytr)),
            (prep(torch.from_numpy(xte)), torch.from_numpy(yte)), prep)
    recipes = RECIPES
    if args.epochs:
        recipes = {n: dict(r, epochs=args.epochs, warmup=min(r["warmup"], args.epochs)) for n, r in RECIPES.items()}
    run_recipes(recipes, args.only, data, lambda r: preprocess_meta(std, r),
                ".venv/bin/python -m train.train_mnist", val=args.val or bool(args.epochs), threads=THREADS,
                keep=args.keep)


if __name__ == "__main__":
    main()
