"""The oracle's pool rules against a literal count by Python sets, and its values against the rules.

``through``: an event at i costs the number of distinct consumer outputs o
reached by some path i -> pooled k -> (remap) -> o; ``events``: the pooled
elements some event reaches are the consumer's graded events. Here both are
enumerated path by path from the IR's own window arithmetic (not from the
oracle's synapse lists or sparse products) for random pools, remaps and
consumers, and compared with the oracle's ledger.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from mstsim.ir import IF, Affine, AvgPool2d, Conv2d, Graph, Input, Output, remaps
from mstsim.ledger import COL
from mstsim.reference import ReferenceSimulator

from ..core.random_graphs import random_graphs


def windows(c, h, w, pool: AvgPool2d):
    """{pooled flat index: set of input flat indices in its window}, from the AvgPool2d docstring."""
    (kh, kw), (sh, sw), (pt, pl) = pool.kernel, pool.stride, pool.padding[:2]
    _, ho, wo = pool.infer_shape([(c, h, w)])
    out = {}
    for ch in range(c):
        for oy in range(ho):
            for ox in range(wo):
                taps = {(ch * h + oy * sh - pt + ky) * w + ox * sw - pl + kx
                        for ky in range(kh) for kx in range(kw)
                        if 0 <= oy * sh - pt + ky < h and 0 <= ox * sw - pl + kx < w}
                out[(ch * ho + oy) * wo + ox] = taps
    return out


def conv_targets(conv: Conv2d, shape, k: int, nonzero: bool) -> set:
    """Outputs of a single-group conv reached from input element k (from the Conv2d docstring)."""
    cin, h, w = shape
    cout, _, kh, kw = conv.weight.shape
    _, ho, wo = conv.infer_shape([shape])
    ci, iy, ix = np.unravel_index(k, shape)
    pt, pl = conv.padding[:2]
    hits = set()
    for co in range(cout):
        for ky in range(kh):
            for kx in range(kw):
                oy, ox = iy + pt - ky, ix + pl - kx
                if 0 <= oy < ho and 0 <= ox < wo and (not nonzero or conv.weight[co, ci, ky, kx] != 0):
                    hits.add((co * ho + oy) * wo + ox)
    return hits


@settings(max_examples=25)
@given(data=st.data())
def test_through_and_events_counts_equal_path_enumeration(data):
    d = data.draw
    c, h, w = d(st.integers(1, 2)), d(st.integers(2, 5)), d(st.integers(2, 5))
    k = (d(st.integers(1, min(3, h))), d(st.integers(1, min(3, w))))
    pool = AvgPool2d("pool", ("x",), kernel=k, stride=(d(st.integers(1, 2)), d(st.integers(1, 2))),
                     padding=(d(st.integers(0, k[0] // 2)), d(st.integers(0, k[1] // 2))),
                     count_include_pad=d(st.booleans()))
    g = Graph()
    g.add(Input("x", shape=(c, h, w), kind="event"))
    g.add(pool)
    pshape = g.shapes["pool"]
    rng = np.random.default_rng(d(st.integers(0, 2**32 - 1)))
    conv_consumer = d(st.booleans())
    if conv_consumer:
        weight = rng.integers(-1, 2, size=(2, pshape[0], 3, 3)).astype(float)
        consumer = g.add(Conv2d("conv", ("pool",), weight=weight, padding=1))
        route = {q: {q} for q in range(int(np.prod(pshape)))}
        targets = lambda q, nz: conv_targets(g["conv"], pshape, q, nz)
    else:  # a transpose then a Linear on the last axis: each pooled element reaches one row's outputs
        g.add(remaps.transpose("t", "pool", pshape, (2, 1, 0)))
        tshape = g.shapes["t"]
        weight = rng.integers(-1, 2, size=(3, tshape[-1])).astype(float)
        consumer = g.add(Affine("fc", ("t",), weight=weight))
        src = g["t"].src
        route = {q: set(np.flatnonzero(src == q).tolist()) for q in range(int(np.prod(pshape)))}
        n_in = tshape[-1]
        targets = lambda q, nz: {(q // n_in) * 3 + o for o in range(3) if not nz or weight[o, q % n_in] != 0}
    g.add(remaps.flatten("flat", consumer, g.shapes[consumer]))
    g.add(Output("out", ("flat",)))
    x = rng.poisson(0.5, size=(1, 1, c, h, w)).astype(float)
    events = x.reshape(-1)
    win = windows(c, h, w, pool)

    def reached(i, nonzero):
        return {o for q, taps in win.items() if i in taps for r in route[q] for o in targets(r, nonzero)}

    want = [sum(int(events[i]) * len(reached(i, nz)) for i in range(events.size)) for nz in (False, True)]
    row = _row(g, x, "through", consumer)
    assert (row[COL["acs"]], row[COL["effective_acs"]], row[COL["macs"]]) == (want[0], want[1], 0)
    touched = [q for q, taps in win.items() if any(events[i] for i in taps)]
    want = [sum(len(targets(r, nz)) for q in touched for r in route[q]) for nz in (False, True)]
    row = _row(g, x, "events", consumer)
    assert (row[COL["acs"]], row[COL["effective_acs"]], row[COL["events_in"]]) == (want[0], want[1],
                                                                                  len(touched))


def _row(g, x, rule, node):
    _, led, _ = ReferenceSimulator(g, pool_rule=rule).run(x, 1)
    return led.totals[led.nodes.index(node)]


@settings(max_examples=15)
@given(case=random_graphs(exact=False))
def test_oracle_values_do_not_depend_on_the_rules(case):
    graph, x = case
    _, _, base = ReferenceSimulator(graph).run(x, 3)
    for rules in ({"pool_rule": "through"}, {"pool_rule": "dense", "count_padding": True}):
        _, _, rec = ReferenceSimulator(graph, **rules).run(x, 3)
        for t in range(3):
            for name, v in base["values"][t].items():
                assert np.array_equal(rec["values"][t][name], v), (rules, t, name)
