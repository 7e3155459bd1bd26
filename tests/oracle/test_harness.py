"""The comparison harness names the first divergence (so a failing property says where to look)."""
import copy

import numpy as np

from ..core.attention_graphs import attention_block, token_inputs
from .harness import first_divergence, ledger_divergence, oracle_trace


def test_first_divergence_names_step_node_and_margin():
    g = attention_block(2, softmax=True)
    base = oracle_trace(g, token_inputs(3, 2), 4, dtype=np.float64, seed=1)
    assert first_divergence(g, base, copy.deepcopy(base)) is None
    other = copy.deepcopy(base)
    other.counts[2]["attn_if"] = other.counts[2]["attn_if"].copy()
    other.counts[2]["attn_if"][1, 3] ^= 1                      # one spike flipped at step 2
    other.values[3]["softmax"] = other.values[3]["softmax"] * (1 + 1e-9)  # later and downstream: not reported
    where = first_divergence(g, other, base)
    assert where.startswith("step 2, node 'attn_if' (IF): event counts differ at sample 1, element 3")
    assert "oracle v - theta" in where
    drift = copy.deepcopy(base)
    drift.values[1]["softmax"] = drift.values[1]["softmax"] * (1 + 1e-9)
    assert first_divergence(g, drift, base, rtol=1e-12).startswith("step 1, node 'softmax' (Softmax): values differ")
    assert first_divergence(g, drift, base, rtol=1e-8) is None


def test_ledger_divergence_names_step_node_and_column():
    g = attention_block(2)
    base = oracle_trace(g, token_inputs(3, 2), 3, dtype=np.float64, seed=1).ledger
    other = copy.deepcopy(base)
    pv = base.nodes.index("pv")
    other.per_step[1, pv, 2] += 1
    want = base.per_step[1, pv, 2]
    assert ledger_divergence(other, base) == f"step 1, node 'pv', acs: engine {want + 1}, oracle {want}"
