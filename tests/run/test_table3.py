"""mstsim.table3: the paper's Table-3 layout computed from a small hand-made results object."""
import re

import numpy as np
import pytest

from mstsim.ledger import COL, COLUMNS, E_AC_PJ, E_MAC_PJ, Ledger
from mstsim.results import Results, RunResult
from mstsim.table3 import PAPER, PAPER_LABEL, Cell, Row, _kind, default_rows, measure, table3

SAMPLES, T = 4, 2


def run(model, ratio, acs, macs, dropped, correct):
    """A RunResult of SAMPLES samples: `acs`, `macs`, `dropped` in total, `correct` right at T."""
    totals = np.zeros((2, len(COLUMNS)), dtype=np.int64)
    totals[0, COL["acs"]], totals[1, COL["macs"]], totals[0, COL["events_dropped"]] = acs, macs, dropped
    led = Ledger(nodes=["a", "b"], kinds=["event", "analog"], totals=totals, ann_macs=np.zeros(2, np.int64),
                 samples=SAMPLES, steps=T)
    labels = np.arange(SAMPLES, dtype=np.int64)
    preds = np.tile(np.where(np.arange(SAMPLES) < correct, labels, -1), (T, 1))
    return RunResult(name=f"{model}_{ratio}", mask_ratio=ratio, mask_sites="attention", T=T, labels=labels,
                     sample_ids=labels, predictions=preds, ann_predictions=labels,
                     final_logits=np.zeros((SAMPLES, 3)), ledger=led, neurons=np.ones(2, np.int64), model=model)


@pytest.fixture
def results():
    runs = [run("base", 0.0, 4000, 400, 0, 4), run("base", 0.5, 3000, 400, 80, 3),
            run("base", 0.75, 2000, 400, 120, 2), run("ft50", 0.5, 3600, 400, 90, 4)]
    config = {"data": "mnist5k", "samples": SAMPLES, "T": T, "seed": 0, "mask_sites": "attention"}
    return Results(config=config, runs=runs)


ROWS = [Row("masked at test", (("base", 0.0), ("base", 0.5), ("base", 0.75))),
        Row("fine-tuned", (("base", 0.0), ("ft50", 0.5), ("ft75", 0.75)))]


def energy_uj(acs, macs):
    return (E_AC_PJ * acs + E_MAC_PJ * macs) / SAMPLES / 1e6


def test_cells_are_the_runs_figures_per_sample(results):
    cells = measure(results, ROWS)
    c = cells[0][1]
    assert (c.acs, c.macs, c.dropped, c.accuracy) == (750.0, 100.0, 20.0, 0.75)
    assert c.energy_pj / 1e6 == pytest.approx(energy_uj(3000, 400))
    assert cells[1][2] is None  # ft75 was not run
    assert cells[1][1].run.model == "ft50"


def test_layout_paper_row_and_ratios_to_the_first_cell(results):
    text = table3(results, ROWS)
    lines = text.splitlines()
    header = next(l for l in lines if "masking 0%" in l)
    assert header.index("masking 0%") < header.index("masking 50%") < header.index("masking 75%")
    paper = next(l for l in lines if l.startswith(PAPER_LABEL))
    for p, (power, rel, acc) in PAPER.items():
        assert f"{acc:.2f}" in paper and power in paper and f"(x{rel:.2f})" in paper
    row = next(l for l in lines if l.startswith("masked at test"))
    e0, e50, e75 = energy_uj(4000, 400), energy_uj(3000, 400), energy_uj(2000, 400)
    assert re.search(rf"100\.00\s+{e0:.4f}\s+\(x1\.00\)\s+75\.00\s+{e50:.4f}\s+\(x{e50 / e0:.2f}\)"
                     rf"\s+50\.00\s+{e75:.4f}\s+\(x{e75 / e0:.2f}\)", row), row
    ft = next(l for l in lines if l.startswith("fine-tuned"))
    assert ft.rstrip().endswith("-")  # the missing ft75 cell
    assert "mnist5k, 4 samples, T = 2, seed 0" in text


def test_counts_block_lists_every_cell(results):
    text = table3(results, ROWS)
    counts = text[text.index("Counts per sample"):]
    base75 = next(l for l in counts.splitlines() if "masked at test" in l and " 75%" in l)
    assert "500" in base75 and "(x0.50)" in base75 and "30" in base75  # ACs 2000/4, x0.50, dropped 120/4
    assert "ft75" in counts and "(not in these results)" in counts


def test_default_rows_one_per_model_in_ratio_order(results):
    results.runs.append(run("base", None, 1, 1, 0, 1))  # "as exported" runs are left out
    rows = default_rows(results)
    assert [r.label for r in rows] == ["base", "ft50"]
    assert rows[0].cells == (("base", 0.0), ("base", 0.5), ("base", 0.75))
    assert "base" in table3(results)


def test_no_module_breakdown_without_module_paths(results):
    assert "by module" not in table3(results, ROWS)


def test_empty_results_say_so():
    assert "no run" in table3(Results(config={}, runs=[]))


@pytest.mark.parametrize("row,kind", [("stages.0.1.attn:qkv", "attn:qkv"), ("stages.1.0.mlp", "mlp"),
                                      ("stages.0.2", "stages.0.2"), ("patch_embed", "patch_embed"),
                                      ("(model)", "(model)")])
def test_module_kinds_drop_the_block_path(row, kind):
    assert _kind(row) == kind


def test_cell_of_a_run_without_samples_does_not_divide_by_zero(results):
    r = results.runs[0]
    r.ledger.samples = 0
    assert Cell.of(r).energy_pj == pytest.approx(E_AC_PJ * 4000 + E_MAC_PJ * 400)


def test_module_breakdown_sums_module_kinds_over_blocks(results):
    from mstsim.module_map import NodeModules
    mods = NodeModules(paths={"a": "stages.0.0.attn", "b": "stages.0.0.mlp"}, parts={"a": "qkT"},
                       ops={"a": "MatMul", "b": "Affine"})
    for r in results.runs:
        r.modules = mods
        r.ledger.totals[1, COL["acs"]] = 400  # node b (the MLP): the same in every run
    text = table3(results, ROWS[:1])
    block = text[text.index("ACs per sample by module, masked at test"):]
    lines = {l.split()[0]: l for l in block.splitlines()[3:]}
    assert re.search(r"attn:qkT\s+1,000\s+\(\+0\.0%\)\s+750\s+\(-25\.0%\)\s+500\s+\(-50\.0%\)", lines["attn:qkT"])
    assert re.search(r"mlp\s+100\s+\(\+0\.0%\)\s+100\s+\(\+0\.0%\)\s+100\s+\(\+0\.0%\)", lines["mlp"])
    assert re.search(r"total\s+1,100\s+\(\+0\.0%\)\s+850", lines["total"])


def test_configured_table_reads_the_recipes_stored_in_the_config(results):
    from mstsim.table3 import configured_table
    assert configured_table(results) is None  # no recipes stored: mstsim run prints no Table 3
    results.config["table3"] = [["fine-tuned", [["base", 0], ["ft50", 0.5]]]]
    text = configured_table(results)
    assert "fine-tuned" in text and "masked at test" not in text and "masking 75%" not in text
