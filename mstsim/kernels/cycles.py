"""The CPU's cycle counter inside kernels, for the plan profiler (``Simulator.profile``) only."""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def cycles(typingctx):
    """``llvm.readcyclecounter`` (the time-stamp counter on x86-64) as an int64."""
    sig = types.int64()

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.readcyclecounter", fnty=ir.FunctionType(ir.IntType(64), []))
        return builder.call(fn, [])

    return sig, codegen
