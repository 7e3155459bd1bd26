"""Deterministic maths for the compiled step plan: the same bits on every x86-64 machine.

NumPy's and Numba's exp/erf/tanh/log/pow end in glibc (or LLVM intrinsics that
call it), which picks an implementation at run time by CPU (FMA variants via
ifunc), so their last bits may differ between machines. Everything here is
built from IEEE +, -, *, /, sqrt (all correctly rounded), comparisons,
truncating float->int conversion and bit copies, in a fixed order, compiled
without ``fastmath`` (so LLVM never contracts a*b+c into an FMA nor reorders
a sum); coefficient tables come from 50-digit ``decimal`` arithmetic at import.
The results then depend only on the inputs. The one assumption is the default
FPU state (round to nearest, no flush-to-zero): :func:`fp_environment_ok`
checks it. ``tests/kernels/test_codegen.py`` checks the generated code of
every kernel for FMA instructions and libm calls; ``tests/kernels/golden.py``
holds exact output bits, also checked under ``NUMBA_CPU_NAME=generic``.

Scalar functions (float64 in, float64 out; ints and float32 are converted):

==================  ==================================  ===========================
function            semantics                           max error (measured) [#]_
==================  ==================================  ===========================
det_exp(x)          e^x; inf above 709.78, subnormals   0.504 ulp (0.500 subnormal)
det_expm1(x)        e^x - 1, no cancellation near 0     0.722 ulp
det_log(x)          ln x; -inf at +-0, nan below 0      0.500 ulp
det_erf(x)          erf; +-1 for |x| >= 6               0.537 ulp
det_tanh(x)         tanh; x for |x| < 2^-28             0.584 ulp
det_pow(x, y)       C99 / np.power (array exponent)     0.554 ulp
det_gelu(x)         (0.5 x)(1 + erf(x / sqrt 2))        one rounding per operation
det_gelu_tanh(x)    torch's tanh approximation          one rounding per operation
det_sqrt(x)         IEEE sqrt                           correctly rounded
det_reciprocal(x)   1 / x                               correctly rounded
det_round(x)        half to even (ONNX Round)           exact
det_floor/ceil/trunc(x)                                 exact, keep -0.0
det_maximum/minimum(a, b)  nan-propagating, b on ties   exact (as NumPy)
==================  ==================================  ===========================

.. [#] max over 20,000 seeded points per range (``python -m
   tests.kernels.measure_ulp``) against 60-digit ``decimal`` references; the
   tests assert 0.55 (exp, log), 0.6 (erf), 0.65 (tanh), 0.7 (pow) and 0.8
   (expm1) on other points and at the breakpoints and edge cases. The
   ``*_f32`` wrappers (exp, expm1, log, erf, tanh, pow, gelu, gelu_tanh,
   sqrt, reciprocal) compute in float64 and round once: <= 0.5 + 2^-20
   float32 ulp (measured 0.5000), i.e. correctly rounded but for ties within
   2^-29 ulp.

Row helpers (float64 or float32 rows, computed in float64, one rounding on
store): :func:`softmax_row` ``(x, out, work)`` and :func:`layernorm_row`
``(x, weight, bias, eps, out)``, each in the order its docstring states.
:func:`apply_elementwise` ``(code, a, b, c)`` runs any op of
``mstsim.ir.analog.ELEMENTWISE`` by ``OPCODES[name]``.

The public functions are ``cache=True, nogil=True`` dispatchers; the
building blocks behind each are ``inline="always"``, so each public function
compiles to one straight body, and ``det_exp`` itself is ``inline="always"``
so that a softmax loop calling it has no call per element. Pass float64 scalars (or call the
``*_f32`` wrappers): another argument type compiles another specialization.
Numba's cache does not notice edits to a callee in another file;
``mstsim.kernels.cache_guard`` clears the kernels' cache when any of their
sources (these included) changed.
"""
from ._bits import fp_environment_ok
from .elementwise import OP_NAMES, OPCODES, apply_elementwise
from .rows import layernorm_row, softmax_row
from .scalar import (det_ceil, det_erf, det_erf_f32, det_exp, det_exp_f32, det_expm1, det_expm1_f32, det_floor,
                     det_gelu, det_gelu_f32, det_gelu_tanh, det_gelu_tanh_f32, det_log, det_log_f32, det_maximum,
                     det_minimum, det_pow, det_pow_f32, det_reciprocal, det_reciprocal_f32, det_round, det_sqrt,
                     det_sqrt_f32, det_tanh, det_tanh_f32, det_trunc)

__all__ = ["OPCODES", "OP_NAMES", "apply_elementwise", "det_ceil", "det_erf", "det_erf_f32", "det_exp", "det_exp_f32",
           "det_expm1", "det_expm1_f32", "det_floor", "det_gelu", "det_gelu_f32", "det_gelu_tanh",
           "det_gelu_tanh_f32", "det_log", "det_log_f32", "det_maximum", "det_minimum", "det_pow", "det_pow_f32",
           "det_reciprocal", "det_reciprocal_f32", "det_round", "det_sqrt", "det_sqrt_f32", "det_tanh",
           "det_tanh_f32", "det_trunc", "fp_environment_ok", "layernorm_row", "softmax_row"]
