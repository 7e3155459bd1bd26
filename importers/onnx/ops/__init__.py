"""One converter per ONNX op; importing this package registers them all (explicitly listed)."""
from . import (abs, add, batch_norm, cast_ops, clip, concat, conv, div, equal, erf, exp, expand, floor, fused,  # noqa: F401
               gather, gelu, gemm, greater, layer_norm, less, matmul, max, min, mul, neg, pad, pools, pow,
               random, reciprocal, reduce_mean, relu, reshape, round, slice, softmax, split, sqrt, sub, tanh,
               transpose, where)
