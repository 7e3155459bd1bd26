"""The compiled plan gives the same bits whatever the batching, sample order, threads or stepping."""
import numpy as np
import pytest

from mstsim.engine import Events, Simulator

from .bundled_cases import CASES, case_graph, digit_images

T = 6


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def case(request):
    graph = case_graph(*request.param)
    return graph, digit_images(7, graph.input_node().shape)


def run(graph, x, *, dtype=np.float32, ids=None, detail=True, on_step=None):
    return Simulator(graph, dtype=dtype, seed=3).run(x, T, detail=detail, sample_ids=ids, on_step=on_step)


def same(a, b):
    assert np.array_equal(a.cum_logits.view(np.uint8), b.cum_logits.view(np.uint8))  # bits, signed zeros too
    assert np.array_equal(a.ledger.totals, b.ledger.totals)
    if a.ledger.per_step is not None and b.ledger.per_step is not None:
        assert np.array_equal(a.ledger.per_step, b.ledger.per_step)


def concat(parts):
    """Results of consecutive sample ranges as one (ledgers summed)."""
    first = parts[0]
    led = first.ledger
    for p in parts[1:]:
        led.merge(p.ledger)
    first.cum_logits = np.concatenate([p.cum_logits for p in parts], axis=1)
    return first


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_splits_give_identical_bits(case, dtype):
    graph, x = case
    whole = run(graph, x, dtype=dtype)
    for size in (1, 3):
        parts = [run(graph, x[s:s + size], dtype=dtype, ids=np.arange(s, min(s + size, len(x))))
                 for s in range(0, len(x), size)]
        same(whole, concat(parts))


def test_sample_order_does_not_matter(case):
    graph, x = case
    order = np.array([4, 0, 6, 2, 5, 1, 3])
    whole = run(graph, x)
    shuffled = run(graph, x[order], ids=order)
    back = np.argsort(order)
    assert np.array_equal(whole.cum_logits.view(np.uint8), shuffled.cum_logits[:, back].view(np.uint8))
    assert np.array_equal(whole.ledger.totals, shuffled.ledger.totals)


@pytest.mark.parametrize("threads", ["1", "2", "5"])
def test_thread_count_does_not_matter(case, threads, monkeypatch):
    graph, x = case
    reference = run(graph, x)
    monkeypatch.setenv("MSTSIM_THREADS", threads)
    same(reference, run(graph, x))


def test_stepping_with_a_callback_equals_the_single_call(case):
    graph, x = case
    seen = []

    def on_step(t, values):
        spikes = {k: v for k, v in values.items() if isinstance(v, Events)}
        seen.append((t, sum(v.count for v in spikes.values())))

    stepped = run(graph, x, on_step=on_step)
    same(run(graph, x), stepped)
    assert [t for t, _ in seen] == list(range(T))
    events_out = stepped.ledger.per_step[:, :, 1]  # every event tensor's events, as the ledger counts them
    kinds = [graph.kinds[n.name] == "event" for n in graph]
    assert [c for _, c in seen] == list(events_out[:, kinds].sum(axis=1))


def test_no_detail_gives_the_same_totals(case):
    graph, x = case
    a, b = run(graph, x), run(graph, x, detail=False)
    assert b.ledger.per_step is None
    same(a, b)
