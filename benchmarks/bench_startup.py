"""Start-up of the default ``mstsim run``: process start to first result, cold and warm Numba cache; peak RSS.

    python benchmarks/bench_startup.py [--cold N] [--warm N] [--full] [--out PATH]

Each case starts a fresh process of the ``mstsim`` console script of this
interpreter's environment: ``mstsim run --samples 8 --T 8 --progress`` (the
bundled models, the default masking ratios: three runs). *First result* = the
first ``n/n samples`` progress line on stderr, i.e. the first run (masking 0)
has simulated all its samples; *exit* = the whole command, report printed; the first stderr line
("importing ...") marks the interpreter, ``import mstsim`` and argument checks.
*Cold*: ``NUMBA_CACHE_DIR`` and ``MSTSIM_CACHE_DIR`` (the import cache) are a
fresh empty directory, so every kernel is compiled and every model imported;
*warm*: the same directory again, filled by the cold run (``--cold N``: N cold runs,
each on a fresh directory, the first one's kept); then warm again with
the import cache off (``MSTSIM_CACHE_DIR=off``: every model imported afresh). Peak RSS is
the child's ``ru_maxrss`` and CPU time its ``ru_utime + ru_stime`` (``os.wait4``): on a shared
machine the CPU time of the whole command is the figure the other jobs inflate least. A warm run at ``--T 64`` shows whether
memory grows with T; ``--full`` adds the whole default run (all test samples,
the bundled T). A cold start is Numba compiling for tens of seconds, so it
moves with the host's speed, which on a shared VM changes by 2x within an
hour while the guest's load average stays under 2: the *host probe*, a
fresh interpreter compiling one fixed small function, is timed before the
first and after the last case so that runs can be compared. Writes
``benchmarks/results_startup.md``.

    python benchmarks/bench_startup.py --models [FILE.onnx ...] [--warm N] [--out PATH]

times, per model, a fresh interpreter that imports the model and is ready to
simulate: ``import mstsim``, the importer and onnx, ``mstsim.from_onnx(FILE)``
and a first ``simulate`` of one sample for one step (which loads the cached
kernels), each phase timed inside the child, the whole from ``Popen`` to the
child's report; peak RSS and CPU as above. One cold run fills a fresh
``NUMBA_CACHE_DIR`` (the kernels do not depend on the model), then every
model runs ``--warm`` times (default 3) and the minimum counts. Without
files: the bundled models. The child runs in this script's checkout and
imports ``mstsim`` from there, so the script copied into another checkout
measures that one (the results name the tree). Writes
``benchmarks/results_startup_models.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
MSTSIM = pathlib.Path(sys.executable).with_name("mstsim")
DONE = re.compile(r"(\d+)/(\d+) samples")
FIRST = ["run", "--samples", "8", "--T", "8", "--progress"]


def launch(args, cache_dir, ir_cache: bool = True) -> dict:
    """Run ``mstsim *args`` with ``NUMBA_CACHE_DIR`` and ``MSTSIM_CACHE_DIR`` (the import cache; "off" unless
    ``ir_cache``) in ``cache_dir``; seconds to first result and to exit, peak RSS."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir),
               MSTSIM_CACHE_DIR=str(cache_dir) if ir_cache else "off")
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen([str(MSTSIM), *args], stdout=out, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        first, err, opened = None, [], None
        for line in p.stderr:
            err.append(line)
            opened = opened or time.perf_counter() - t0
            m = DONE.search(line)
            if first is None and m and m.group(1) == m.group(2) and int(m.group(1)) > 0:
                first = time.perf_counter() - t0
        _, status, usage = os.wait4(p.pid, 0)
        total = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if p.returncode != 0:
            out.seek(0)
            tail = "".join(err)[-2000:] + out.read()[-2000:]
            raise SystemExit(f"mstsim {' '.join(args)} failed ({p.returncode}):\n{tail}")
    return dict(opened=opened, first=first, exit=total, cpu=usage.ru_utime + usage.ru_stime,
                rss_mib=usage.ru_maxrss / 1024, load=os.getloadavg()[0])


#: the host probe: a fixed, small Numba compile in a fresh interpreter (its own seconds, import excluded)
PROBE = """
import time, numpy as np, numba
t0 = time.perf_counter()
@numba.njit(cache=False)
def f(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * y[i] if x[i] > 0 else -x[i]
    return s
f(np.ones(3), np.ones(3))
print(time.perf_counter() - t0)
"""


def host_probe() -> float:
    """Seconds the host takes now to compile the probe (best of three fresh interpreters)."""
    return min(float(subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True,
                                    text=True).stdout) for _ in range(3))


def import_time(cache_dir) -> float:
    """Seconds for a fresh interpreter to ``import mstsim`` and exit (warm cache)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mstsim"], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - t0


#: the child of ``--models``: each phase from its own start, then one JSON line
CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import mstsim
t1 = time.perf_counter()
import onnx
from mstsim.importers import onnx as _importer
t2 = time.perf_counter()
net = mstsim.from_onnx(sys.argv[1])
t3 = time.perf_counter()
x = np.random.default_rng(0).random((1, *net.input_shape)).astype(np.float32)
net.simulate(x, T=1)
t4 = time.perf_counter()
print(json.dumps(dict(tree=str(mstsim.__file__), import_mstsim=t1 - t0, import_importer=t2 - t1,
                      from_onnx=t3 - t2, first_simulate=t4 - t3, in_child=t4 - t0)), flush=True)
"""


def launch_model(path, cache_dir) -> dict:
    """One fresh interpreter importing ``path`` (import cache off) and simulating one step; its phases, wall to
    ready, CPU, RSS."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), MSTSIM_CACHE_DIR="off")
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, stderr=err,
                             text=True, env=env, cwd=ROOT)
        line = p.stdout.readline()
        ready = time.perf_counter() - t0
        p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if p.returncode or not line.strip():
            err.seek(0)
            raise SystemExit(f"importing {path} failed ({p.returncode}):\n{err.read()[-2000:]}")
    r = json.loads(line)
    r.update(ready=ready, load=load, start=ready - r["in_child"], cpu=usage.ru_utime + usage.ru_stime,
             rss_mib=usage.ru_maxrss / 1024)
    return r


def model_rows(paths, warm: int) -> list[str]:
    """Cold once (fills a fresh cache), then ``warm`` runs of every model; the table as Markdown lines."""
    phases = ("start", "import_mstsim", "import_importer", "from_onnx", "first_simulate", "ready", "cpu", "rss_mib")
    lines = ["| model | case | interpreter s | import mstsim s | import onnx + importer s | from_onnx s "
             "| first simulate s | **ready s** | CPU s | peak RSS MiB | load avg |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def row(name, case, values, loads):
        cells = [f"{values[k]:.0f}" if k == "rss_mib" else f"{values[k]:.2f}" for k in phases]
        return f"| {name} | {case} | " + " | ".join(cells) + f" | {min(loads):.2f}-{max(loads):.2f} |"

    with tempfile.TemporaryDirectory(prefix="mstsim-numba-cache-") as cache:
        cold = launch_model(paths[0], cache)
        lines.append(row(pathlib.Path(paths[0]).name, "cold (empty Numba cache)", cold, [cold["load"]]))
        for path in paths:
            runs = [launch_model(path, cache) for _ in range(warm)]
            best = {k: min(r[k] for r in runs) for k in phases}
            lines.append(row(pathlib.Path(path).name, f"warm, best of {warm}", best, [r["load"] for r in runs]))
    return [f"Tree measured: `{pathlib.Path(cold['tree']).parent.parent}`. Warm rows: each column is its own "
            "minimum over the runs (so the phases need not add up to *ready*, Popen to the child's report); "
            "load avg = the 1-minute load average before each run (range).", ""] + lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warm", type=int, default=3, help="warm repetitions (default 3)")
    ap.add_argument("--cold", type=int, default=1, help="cold repetitions, each on a fresh cache (default 1)")
    ap.add_argument("--full", action="store_true", help="also the whole default run, warm")
    ap.add_argument("--models", nargs="*", default=None, metavar="FILE",
                    help="time import-and-ready per model instead (default files: the bundled models)")
    ap.add_argument("--out", default=None, help="results file (default benchmarks/results_startup[_models].md)")
    a = ap.parse_args(argv)
    if a.models is not None:
        paths = a.models or sorted(str(p) for p in (ROOT / "models").glob("*.onnx"))
        text = "\n".join(model_rows(paths, a.warm)) + "\n"
        print(text)
        out = a.out or str(pathlib.Path(__file__).with_name("results_startup_models.md"))
        pathlib.Path(out).write_text(f"# Start-up per model\n\nCommand: `python benchmarks/bench_startup.py "
                                     f"{' '.join(sys.argv[1:])}`\n\n{text}")
        return 0
    a.out = a.out or str(pathlib.Path(__file__).with_name("results_startup.md"))
    rows = []
    load0, probe0 = os.getloadavg()[0], host_probe()
    for i in range(1, a.cold):  # the extra cold runs, each on a fresh cache of its own; the kept one is filled last
        with tempfile.TemporaryDirectory(prefix="mstsim-numba-cache-") as cache:
            rows.append((f"cold #{i + 1}", " ".join(FIRST), launch(FIRST, cache)))
    with tempfile.TemporaryDirectory(prefix="mstsim-numba-cache-") as cache:
        rows.insert(0, ("cold (empty Numba and import caches)" + (" #1" if a.cold > 1 else ""), " ".join(FIRST),
                        launch(FIRST, cache)))
        for i in range(a.warm):
            rows.append((f"warm #{i + 1}", " ".join(FIRST), launch(FIRST, cache)))
        for i in range(a.warm):
            rows.append((f"warm Numba cache, import cache off #{i + 1}", " ".join(FIRST),
                         launch(FIRST, cache, ir_cache=False)))
        t64 = FIRST[:4] + ["64", "--progress"]
        rows.append(("warm, T = 64", " ".join(t64), launch(t64, cache)))
        if a.full:
            rows.append(("warm, whole default run", "run --progress", launch(["run", "--progress"], cache)))
        t_import = import_time(cache)
    probe1 = host_probe()
    warm = [r[2] for r in rows if r[0].startswith("warm #")]
    lines = [f"1-min load average at the start {load0:.2f}; `python -c 'import mstsim'` (warm) {t_import:.2f} s; "
             f"host probe (PROBE: a fresh interpreter compiling one small function) {probe0:.3f} s before, "
             f"{probe1:.3f} s after.", "",
             "| case | command (`mstsim ...`) | to first stderr line s | to first result s | to exit s "
             "| CPU s (user + sys) | peak RSS MiB | load avg after |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, cmd, r in rows:
        first = "-" if r["first"] is None else f"{r['first']:.2f}"
        lines.append(f"| {name} | `{cmd}` | {r['opened']:.2f} | {first} | {r['exit']:.2f} | {r['cpu']:.2f} | {r['rss_mib']:.0f} "
                     f"| {r['load']:.2f} |")
    best = min(w["first"] for w in warm)
    best_off = min(r[2]["first"] for r in rows if "import cache off" in r[0])
    colds = sorted(r[2]["first"] for r in rows if r[0].startswith("cold"))
    cold = colds[(len(colds) - 1) // 2]  # the median (the lower one of an even count)
    lines += ["", f"Targets: warm start to first result < 2 s: best warm {best:.2f} s "
              f"({'met' if best < 2 else 'NOT met'}; {best_off:.2f} s with the import cache off); "
              f"cold < 20 s: {cold:.2f} s{' (median of %d)' % len(colds) if len(colds) > 1 else ''} "
              f"({'met' if cold < 20 else 'NOT met'})."]
    text = "\n".join(lines) + "\n"
    print(text)
    pathlib.Path(a.out).write_text(f"# Start-up benchmark results\n\nCommand: `python benchmarks/bench_startup.py "
                                   f"{' '.join(sys.argv[1:])}`\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
