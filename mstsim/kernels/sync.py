"""Two threads meeting inside nogil kernels: release stores, acquire loads, and yielding the CPU.

A Python barrier wakes a sleeping thread through the OS (tens to hundreds of
microseconds on a virtual machine, as long as a small network's whole step);
the pipeline's two threads instead publish their phase in an int64 array and
spin on the other's. The atomic orderings keep the compiler from caching the
flag and order each step's stores before the flag (on x86-64 they are plain
moves). A part that has spun a while without news yields its CPU
(``sched_yield``), so that on a busy machine the other part, if it was
descheduled, gets to run instead of being waited for a whole time slice.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _pointer(context, builder, signature, args):
    aryty = signature.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    index = context.cast(builder, args[1], signature.args[1], types.intp)
    return cgutils.get_item_pointer(context, builder, aryty, ary, [index], wraparound=False)


@intrinsic
def store_release(typingctx, arr, i, value):
    """``arr[i] = value`` (int64 array) as a release store."""
    sig = types.void(arr, i, value)

    def codegen(context, builder, signature, args):
        val = context.cast(builder, args[2], signature.args[2], types.int64)
        builder.store_atomic(val, _pointer(context, builder, signature, args), "release", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def load_acquire(typingctx, arr, i):
    """``arr[i]`` (int64 array) as an acquire load."""
    sig = types.int64(arr, i)

    def codegen(context, builder, signature, args):
        return builder.load_atomic(_pointer(context, builder, signature, args), "acquire", 8)

    return sig, codegen


@intrinsic
def yield_cpu(typingctx):
    """``sched_yield()`` (POSIX; resolved in the process at load, so the cached kernel keeps working)."""
    sig = types.int32()

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
        return builder.call(fn, [])

    return sig, codegen
