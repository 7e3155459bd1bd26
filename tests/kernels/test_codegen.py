"""Generated code of every Numba kernel in mstsim.kernels: no FMA, no libm transcendentals.

glibc picks exp/log/erf/tanh/pow implementations at run time by CPU (FMA
variants via ifunc), and an FMA rounds once where mul+add rounds twice, so
either would make results depend on the machine. Each dispatcher found in
``mstsim.kernels`` and its submodules is checked for every signature it has
been compiled for in this process (a kernel no earlier test compiled is
compiled by a tiny engine run here); detmath's public functions are compiled
here explicitly. ``inline="always"`` helpers have no code of their own (they
are checked inside each caller); a public inline function (``det_exp``) is
checked as compiled for its call from Python. Code loaded from Numba's cache cannot be inspected, so such
overloads are recompiled without the cache for the check.
"""
import importlib
import math
import pkgutil
import re
import warnings

import numba as nb
import numpy as np
import pytest
from llvmlite import binding as llvm
from numba.core.dispatcher import Dispatcher

import mstsim.kernels
from mstsim.kernels import detmath as dm

FMA = re.compile(r"^\s*(vfn?m(add|sub)\w*|vfmaddsub\w*|vfmsubadd\w*)\s", re.M)
LIBM = {"exp", "exp2", "exp10", "expm1", "log", "log2", "log10", "log1p", "erf", "erfc", "tanh", "sinh", "cosh",
        "asinh", "acosh", "atanh", "pow", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "cbrt", "hypot",
        "lgamma", "tgamma", "fma", "sincos"}
SYMBOL = re.compile(r"(?:\$|call\w*\s+|jmp\w*\s+)([A-Za-z_][\w.]*)")


def kernel_modules():
    yield mstsim.kernels
    for info in pkgutil.walk_packages(mstsim.kernels.__path__, "mstsim.kernels."):
        yield importlib.import_module(info.name)


#: the plan's op bodies and per-sample kernels are linked into the plan's entries
#: (``plan_entries``), whose machine code holds theirs: tests/engine/test_plan_codegen.py compiles
#: every entry and checks it with the runner (the callees' own dispatchers carry no signature when
#: the entries were loaded from Numba's cache, so checking them one by one would depend on it)
INSIDE_THE_RUNNER = ("mstsim.kernels.plan_ops", "mstsim.kernels.plan_ops_analog", "mstsim.kernels.plan_shadow",
                     "mstsim.kernels.sample_", "mstsim.kernels.plan_entries", "mstsim.kernels.dense_linear")


def kernel_dispatchers() -> dict[str, Dispatcher]:
    """``module.name -> dispatcher`` for each dispatcher defined (not just imported) in a kernel module."""
    found = {}
    for mod in kernel_modules():
        if mod.__name__.startswith(INSIDE_THE_RUNNER):
            continue
        for name, obj in vars(mod).items():
            if mod.__name__ == "mstsim.kernels.plan_runner" and name not in ("run_sample", "run_part"):
                continue  # linked into run_sample, as above
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == mod.__name__ \
                    and (obj.targetoptions.get("inline") != "always" or name in dm.__all__):
                found[f"{mod.__name__}.{name}"] = obj
    return found


def compile_detmath() -> None:
    """Compile every public detmath function for the argument types the engine uses."""
    for name in dm.__all__:
        fn = getattr(dm, name)
        if not isinstance(fn, Dispatcher):
            continue
        n = fn.py_func.__code__.co_argcount
        if name in ("softmax_row", "layernorm_row"):
            for dtype in (np.float64, np.float32):
                x, out, work = np.ones(3, dtype), np.empty(3, dtype), np.empty(3)
                dm.softmax_row(x, out, work) if name == "softmax_row" else dm.layernorm_row(x, x, x, 1e-5, out)
        elif name == "apply_elementwise":
            fn(0, 1.0, 2.0, 3.0)
        else:
            fn(*[np.float32(1.5) if name.endswith("_f32") else 1.5] * n)


def assembly(d: Dispatcher, sig) -> str:
    if sig not in d.stats.cache_hits:
        return d.inspect_asm(sig)
    options = {k: v for k, v in d.targetoptions.items() if k not in ("cache", "nopython")}
    fresh = nb.njit(**options)(d.py_func)
    fresh.compile(sig)
    return fresh.inspect_asm(sig)


def problems(asm: str) -> list[str]:
    found = [f"FMA instruction {m.group(1)}" for m in FMA.finditer(asm)]
    for sym in set(SYMBOL.findall(asm)):
        base = sym.split("@")[0].lstrip("_").removesuffix("_finite")
        if base in LIBM or base.removesuffix("f") in LIBM:
            found.append(f"call to libm {sym}")
    return sorted(set(found))


DISPATCHERS = kernel_dispatchers()


def test_the_scan_sees_detmath_and_the_engine_kernels():
    names = set(DISPATCHERS)
    assert "mstsim.kernels.detmath.scalar.det_exp" in names and "mstsim.kernels.plan_runner.run_sample" in names


def test_the_scan_flags_fma_and_libm():
    """The patterns recognise what they look for (a check that cannot fail would prove nothing)."""
    asm = "\tvfmadd231sd\t%xmm1, %xmm2, %xmm0\n\tmovabsq\t$exp, %rax\n\tcallq\t*%rax\n\tcallq\ttanhf@PLT\n"
    assert problems(asm) == ["FMA instruction vfmadd231sd", "call to libm exp", "call to libm tanhf"]
    assert problems("\tvmulsd\t%xmm1, %xmm0, %xmm0\n\tmovabsq\t$_ZN6mstsim7kernels7detmath3expE, %rax\n") == []


def test_the_scan_catches_what_numba_emits_for_fastmath_and_math_exp():
    def muladd(a, b, c):
        return a * b + c

    def libm_exp(x):
        return math.exp(x)

    sig = (nb.float64,) * 3
    contracted = nb.njit(fastmath=True)(muladd)
    contracted.compile(sig)
    if "+fma" in llvm.get_host_cpu_features().flatten():  # LLVM contracts only where the CPU has FMA
        assert any(p.startswith("FMA") for p in problems(contracted.inspect_asm(sig)))
    calls = nb.njit(libm_exp)
    calls.compile((nb.float64,))
    assert "call to libm exp" in problems(calls.inspect_asm((nb.float64,)))


def compile_engine() -> None:
    """Run a tiny graph in both dtypes, pipelined on two threads: compiling the plan runner and the
    pipeline's part runner compiles every op and kernel they call."""
    from mstsim.engine import Simulator, pipeline
    from mstsim.ir import IF, Affine, Graph, Input, Output
    g = Graph([Input("x", shape=(2,)), IF("s", ("x",), theta=0.5), Affine("fc", ("s",), weight=np.ones((2, 2))),
               Output("y", ("fc",))])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "MIN_CYCLES_PER_STEP", 0)
        mp.setattr(pipeline, "FIRST_BLOCK", 1)
        mp.setattr(pipeline, "cpus_free", lambda: 1)
        mp.setenv("MSTSIM_THREADS", "2")
        for dtype in (np.float32, np.float64):
            sim = Simulator(g, dtype=dtype)
            sim.run(np.ones((1, 2)), 4)
            assert sim.pipelined


@pytest.mark.parametrize("name", sorted(DISPATCHERS))
def test_kernel_code_has_no_fma_and_no_libm(name):
    if name.startswith("mstsim.kernels.detmath."):
        compile_detmath()
    elif not DISPATCHERS[name].signatures:
        compile_engine()
    d = DISPATCHERS[name]
    if not d.signatures:
        msg = (f"{name}: not compiled in this process and no explicit signature, so not checked on its own "
               "(its code is part of every compiled caller's check)")
        warnings.warn(msg)
        pytest.skip(msg)
    bad = {str(sig): p for sig in d.signatures if (p := problems(assembly(d, sig)))}
    assert not bad, f"kernel {name}: {bad}"
