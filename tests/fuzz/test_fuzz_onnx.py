"""Mutated ONNX files of two fixtures through `mstsim.from_onnx` and `inspect`: every outcome is a
network or an MstsimError (one clear line from the CLI), never another exception, a hang or a crash.

Mutations: bit flips, truncation and byte edits of the file; and on the parsed protobuf: tensor
dims, attribute values, op types, domains, opset versions, dropped nodes and rewired inputs.
"""
import pathlib
import tempfile

import numpy as np
import onnx
from hypothesis import given
from hypothesis import strategies as st

import mstsim
from mstsim.cli import main

from .harness import BYTE_MUTATIONS, fuzz_settings, mutate_bytes, result_or_mstsim_error

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "onnx"
MODELS = ("vgg_torchscript.onnx", "resnet_dynamo.onnx", "vit_torchscript.onnx")
RAW = {name: (FIXTURES / name).read_bytes() for name in MODELS}
WORK = pathlib.Path(tempfile.mkdtemp(prefix="mstsim-fuzz-onnx-"))
FUZZ = fuzz_settings(60)

INTS = (-(2**40), -2, -1, 0, 1, 2, 3, 5, 64, 2**31, 2**40)
FLOATS = (float("nan"), float("inf"), -1.0, 0.0, 1e-30, 1e30)
METADATA = ('{"T": -1}', '[1]', '{"resize": "ab"}', '{"dataset": 5}', 'null', '{"bins": 1e400}',
            '{"mean": [1, "a"], "std": [1, 1]}', '{', '{"T": 1e12}', '{"resize": [100000, 100000]}',
            '{"dataset": "npz:/nonexistent.npz", "T": 8}', '{"events": 3}', '{"resize": [16]}', '"x"',
            '{"dataset": "digits", "T": 4}', '{"T": true}')
OPS = ("Relu", "Conv", "Gemm", "MatMul", "Softmax", "Reshape", "Transpose", "Gather", "Identity", "Add",
       "LayerNormalization", "Floor", "Clip", "Loop", "NoSuchOp", "")


def check_file(data: bytes, label: str, cli: bool = False):
    path = WORK / "case.onnx"
    path.write_bytes(data)
    net = result_or_mstsim_error(mstsim.from_onnx, path, what=f"from_onnx ({label})")
    if net is not None:
        text = result_or_mstsim_error(net.inspect, what=f"inspect ({label})")
        assert text is None or "nodes" in text
    if cli:
        check_cli_inspect(path, label)


def check_cli_inspect(path, label):
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = result_or_mstsim_error(main, ["inspect", str(path)], what=f"mstsim inspect ({label})")
    assert code in (0, 2), (label, code, err.getvalue())
    if code == 2:
        lines = err.getvalue().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mstsim: error: "), (label, err.getvalue())


@FUZZ
@given(name=st.sampled_from(MODELS), kind=st.sampled_from(BYTE_MUTATIONS),
       where=st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_mutated_bytes(name, kind, where, seed):
    data = mutate_bytes(RAW[name], kind, where, np.random.default_rng(seed))
    check_file(data, f"{name} {kind} at {where} seed {seed}", cli=kind == "truncate")


def _mutate_proto(m: onnx.ModelProto, kind: str, pick: int, value: int) -> None:
    g = m.graph
    node = g.node[pick % len(g.node)]
    if kind == "dims":
        dims = [d for t in g.initializer for d in [t]] or []
        if pick % 2 and dims:
            t = dims[pick % len(dims)]
            if t.dims:
                t.dims[value % len(t.dims)] = INTS[value % len(INTS)]
        else:
            shape = g.input[0].type.tensor_type.shape.dim
            shape[value % len(shape)].dim_value = max(INTS[value % len(INTS)], 0)
    elif kind == "attribute":
        if not node.attribute:
            return
        a = node.attribute[value % len(node.attribute)]
        if value % 5 == 0:
            node.attribute.remove(a)
        elif a.type == onnx.AttributeProto.INT:
            a.i = INTS[value % len(INTS)]
        elif a.type == onnx.AttributeProto.INTS and a.ints:
            a.ints[value % len(a.ints)] = INTS[value % len(INTS)]
        elif a.type == onnx.AttributeProto.FLOAT:
            a.f = FLOATS[value % len(FLOATS)]
        elif a.type == onnx.AttributeProto.TENSOR:
            a.t.dims.append(2)
    elif kind == "op_type":
        node.op_type = OPS[value % len(OPS)]
    elif kind == "domain":
        node.domain = ("com.microsoft", "ai.onnx.ml", "x.y")[value % 3]
    elif kind == "opset":
        m.opset_import[0].version = (0, 1, 7, 9, 99, 10**6)[value % 6]
    elif kind == "drop_node":
        g.node.remove(node)
    elif kind == "rewire" and node.input:
        names = [n.output[0] for n in g.node if n.output] + ["no_such_tensor", ""]
        node.input[value % len(node.input)] = names[value % len(names)]
    elif kind == "raw_data":
        t = g.initializer[pick % len(g.initializer)]
        t.raw_data = t.raw_data[: value % (len(t.raw_data) + 1)]
    elif kind == "metadata":
        onnx.helper.set_model_props(m, {"mstsim.preprocess": METADATA[value % len(METADATA)]})
    elif kind == "output":
        g.output[0].name = ("input", "", g.node[0].output[0], "nothing")[value % 4]


@FUZZ
@given(name=st.sampled_from(MODELS),
       kind=st.sampled_from(("dims", "attribute", "op_type", "domain", "opset", "drop_node", "rewire",
                             "raw_data", "output", "metadata")),
       pick=st.integers(0, 10**6), value=st.integers(0, 10**6))
def test_mutated_protobuf(name, kind, pick, value):
    m = onnx.load_from_string(RAW[name])
    _mutate_proto(m, kind, pick, value)
    check_file(m.SerializeToString(), f"{name} {kind} pick {pick} value {value}", cli=kind == "metadata")
