"""The onnx package's node conformance cases: every one passes or is refused clearly; the docs table is current."""
from collections import Counter

import onnx

from .conformance import DOC, render, results


def test_conformance_cases_pass_or_are_refused_and_the_table_is_current():
    rows = results()
    bad = [r for r in rows if r[2] not in ("pass", "refused")]
    assert not bad, f"{len(bad)} conformance cases give wrong numbers or crash: {bad[:10]}"
    counts = Counter(r[2] for r in rows)
    assert counts["pass"] >= 100 and len(rows) >= 300, counts  # the cases did run (any onnx release since 1.15)
    assert all(r[3] for r in rows if r[2] == "refused"), "every refusal has a message"
    table = DOC.read_text()
    if f"onnx {onnx.__version__})" in table:  # another onnx release has other cases: only the above holds
        assert table == render(rows), "docs/onnx-conformance.md is stale: run python -m tests.importer.conformance"
