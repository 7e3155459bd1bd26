"""The exported fixture models (tests/fixtures/onnx) and their reference files."""
import json
import pathlib
from functools import lru_cache

import numpy as np

import mstsim

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
FILES = json.loads((FIXTURES / "manifest.json").read_text())["files"]
FILE_NAMES = [f["file"] for f in FILES]
MODEL_OF = {f["file"]: f["model"] for f in FILES}


@lru_cache(maxsize=None)
def network(file: str):
    return mstsim.from_onnx(FIXTURES / file)


@lru_cache(maxsize=None)
def reference(model: str) -> dict:
    return dict(np.load(FIXTURES / f"{model}.npz"))
