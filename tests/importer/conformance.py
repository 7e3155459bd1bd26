"""The onnx package's node conformance cases, run through the importer in ANN mode.

Every one-node case of an op the registry holds either imports and matches
its expected output, or is refused with an ``MstsimError`` whose message
says why. Anything else (a wrong number, another exception) is a bug.

A case has one dynamic input: its first float input (else its first). The
other inputs are baked in as constants and only the first output is kept
(the others become unused outputs of the node). The first axis is the
batch, as in every export.

``python -m tests.importer.conformance`` rewrites docs/onnx-conformance.md;
tests/importer/test_conformance.py checks that it is current.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from mstsim import MstsimError
from mstsim.importers.onnx import from_onnx
from mstsim.importers.onnx.registry import supported_ops

DOC = Path(__file__).resolve().parents[2] / "docs" / "onnx-conformance.md"
#: case modules with no op the registry holds, left out because they are slow to build (pure-Python pools)
SLOW_UNRELATED = {"lppool", "attention"}


def collect_cases() -> list:
    """The one-node cases whose op has a converter (built by the onnx package, in this process)."""
    import onnx.backend.test.case.node as pkg
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _, name, _ in pkgutil.iter_modules(pkg.__path__):
            if name not in SLOW_UNRELATED:
                importlib.import_module(f"{pkg.__name__}.{name}")
    ops = set(supported_ops())
    return sorted((c for c in pkg._NodeTestCases
                   if len(c.model.graph.node) == 1 and c.model.graph.node[0].op_type in ops
                   and c.model.graph.node[0].domain in ("", "ai.onnx")), key=lambda c: c.name)


def _dynamic_index(inputs: list) -> int:
    for i, a in enumerate(inputs):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return i
    return 0


def _array(value):
    """Tensors as arrays (cases store some as TensorProto or NumPy scalars); sequences stay as they are."""
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value) if isinstance(value, np.generic) else value


def _as_float64(a: np.ndarray) -> np.ndarray:
    """Exact float64 values of any numeric array (ml_dtypes float8/bfloat16/int4 included)."""
    return a.astype(np.float64)


def one_input_model(case) -> tuple[onnx.ModelProto, object, np.ndarray]:
    """(model with one dynamic input and one output, that input's value, the expected output)."""
    model = onnx.ModelProto.FromString(case.model.SerializeToString())
    inputs, outputs = case.data_sets[0]
    inputs, outputs = [_array(a) for a in inputs], [_array(a) for a in outputs]
    k = _dynamic_index(inputs)
    graph_inputs = list(model.graph.input)
    for i, (vi, value) in enumerate(zip(graph_inputs, inputs)):
        if i != k and isinstance(value, np.ndarray):
            model.graph.initializer.append(numpy_helper.from_array(value, vi.name))
    keep = [vi for i, vi in enumerate(graph_inputs) if i == k or not isinstance(inputs[i], np.ndarray)]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    del model.graph.output[1:]
    return model, inputs[k] if inputs else None, outputs[0]


def run_case(case) -> tuple[str, str]:
    """("pass" | "refused" | "wrong" | "crash", detail)."""
    model, x, want = one_input_model(case)
    try:
        net = from_onnx(model, require_qcfs=False)
    except MstsimError as exc:
        message = str(exc).replace("<in-memory model>: ", "").splitlines()[0]
        return ("crash" if "internal error" in message else "refused"), message
    except Exception as exc:  # noqa: BLE001 (the point is to see every other exception)
        return "crash", f"import: {type(exc).__name__}: {exc}"[:300]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = net.run_ann(_as_float64(np.asarray(x)), dtype=np.float64)
        want = net.per_sample(net.graph.output_node().name, _as_float64(np.asarray(want)))
    except MstsimError as exc:  # the simulator refuses the case's input (NaN and infinities)
        return "refused", f"run: {exc}".splitlines()[0]
    except Exception as exc:  # noqa: BLE001
        return "crash", f"run: {type(exc).__name__}: {exc}"[:300]
    if got.shape != want.shape:
        return "wrong", f"shape {got.shape}, expected {want.shape}"
    ok = np.isclose(got, want, rtol=case.rtol, atol=case.atol, equal_nan=True)
    if not ok.all():
        i = np.unravel_index(np.argmin(ok), ok.shape)
        return "wrong", f"{int((~ok).sum())} of {ok.size} differ, e.g. {got[i]!r} vs {want[i]!r}"
    return "pass", ""


def results() -> list[tuple[str, str, str, str]]:
    """(case name, op, status, detail) for every collected case."""
    out = []
    for case in collect_cases():
        with np.errstate(all="ignore"):
            status, detail = run_case(case)
        out.append((case.name, case.model.graph.node[0].op_type, status, detail))
    return out


def render(rows) -> str:
    counts = Counter(r[2] for r in rows)
    lines = ["# ONNX node conformance cases", "",
             "The onnx package's own node test cases (`onnx.backend.test.case.node`, onnx "
             f"{onnx.__version__}) for every op the importer registers, one-node models only, run in ANN mode "
             "(tests/importer/conformance.py explains how a case becomes a one-input network). A case "
             "passes when its first output matches the expected values within the case's tolerance, or is "
             "refused with the message shown. Generated by `python -m tests.importer.conformance`; "
             "tests/importer/test_conformance.py fails when this table is stale.", "",
             f"**{len(rows)} cases: {counts['pass']} pass, {counts['refused']} refused, "
             f"{counts['wrong']} wrong, {counts['crash']} crash.**", "",
             "| case | op | result | reason |", "|---|---|---|---|"]
    for name, op, status, detail in rows:
        lines.append(f"| {name} | {op} | {status} | {detail.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    rows = results()
    DOC.write_text(render(rows))
    print(f"wrote {DOC}: {Counter(r[2] for r in rows)}")
    sys.exit(0)
