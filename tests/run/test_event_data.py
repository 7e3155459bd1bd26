"""Event datasets through `mstsim run`: MST frames, and the event-stream mode where the first layer
receives each step's events and runs event-driven."""
import json

import numpy as np
import onnx
from onnx import helper

from mstsim.cli import main
from mstsim.ledger import COL
from mstsim.results import Results

from ..datasets.ds_writers import write_atis_bin
from ..importer.onnx_build import model, qcfs_nodes


def event_cnn(path, channels=2, size=8, events="frames", bins=1):
    """Conv(3x3) -> QCFS -> GlobalAveragePool -> Flatten -> Gemm, with mstsim.preprocess metadata."""
    rng = np.random.default_rng(0)
    mk = helper.make_node
    q, qc = qcfs_nodes("c", "a", lam=0.5, levels=8)
    nodes = [mk("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]), *q,
             mk("GlobalAveragePool", ["a"], ["p"]), mk("Flatten", ["p"], ["f"]), mk("Gemm", ["f", "wf"], ["y"], transB=1)]
    consts = {"w": rng.normal(0, 0.3, (4, channels, 3, 3)).astype(np.float32), "b": np.zeros(4, np.float32),
              "wf": rng.normal(0, 1, (10, 4)).astype(np.float32), **qc}
    m = model(nodes, (1, channels, size, size), consts)
    meta = {"dataset": None, "events": events, "bins": bins, "T": 8}
    helper.set_model_props(m, {"mstsim.preprocess": json.dumps(meta)})
    onnx.save(m, path)
    return str(path)


def nmnist_folder(root):
    rng = np.random.default_rng(1)
    for digit in range(3):
        for k in range(2):
            ev = [(int(rng.integers(34)), int(rng.integers(34)), int(t), int(rng.integers(2)))
                  for t in np.sort(rng.integers(1, 100000, 300))]
            write_atis_bin(root / "Test" / str(digit) / f"{k:05d}.bin", ev)
    return f"nmnist:{root}"


def test_frames_and_stream_modes(tmp_path, capsys):
    data = nmnist_folder(tmp_path / "nmnist")
    frames_model = event_cnn(tmp_path / "frames.onnx")
    out = tmp_path / "frames.h5"
    assert main(["run", frames_model, "--data", data, "--out", str(out), "--mask-ratio", "0"]) == 0
    res = Results.load(str(out)).runs[0]
    assert res.ledger.samples == 6 and res.T == 8
    conv = res.ledger.nodes.index([n for n in res.ledger.nodes if "c" == n or n.endswith("c")][0])
    assert res.ledger.totals[conv, COL["macs"]] > 0 and res.ledger.totals[conv, COL["acs"]] == 0

    stream_model = event_cnn(tmp_path / "stream.onnx", events="stream")
    out = tmp_path / "stream.h5"
    assert main(["run", stream_model, "--data", data, "--out", str(out), "--mask-ratio", "0"]) == 0
    res = Results.load(str(out)).runs[0]
    first = res.ledger.nodes.index("input") if "input" in res.ledger.nodes else 0
    assert res.ledger.totals[first, COL["events_out"]] > 0          # the stream's events
    assert res.ledger.totals[conv, COL["acs"]] > 0 and res.ledger.totals[conv, COL["macs"]] == 0
    capsys.readouterr()
    assert main(["run", stream_model, "--data", data, "--events", "frames", "--bins", "3", "--T", "2"]) == 2
    assert "the model expects (2, 8, 8)" in capsys.readouterr().err
