"""Calling a compiled op body through its address, with Numba's own calling convention.

The plan runner calls each node's op through a table of addresses instead of
calling the op functions directly. A direct call links the callee's code
into the caller, which Numba then optimises and emits again: every op body
was compiled three times over (itself, the dispatch, the runner), most of a
cold start. Through an address each op body is compiled once, on its own.

``call_op(addr, args)`` calls the function at ``addr`` with the tuple
``args`` spread as its arguments and passes on an exception it raised, as a
direct call would. The function must have been compiled for exactly the
types of ``args``: ``args_key`` gives the runner a number for those types, to
compare with the one its table was built for (``key_of`` on the Python side).
"""
import zlib

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def key_of(arg_types) -> int:
    """A number for a tuple of Numba types (the same in the runner and in Python)."""
    return zlib.crc32(str(tuple(arg_types)).encode()) & 0x7FFFFFFF


@intrinsic
def args_key(typingctx, args):
    key = key_of(args.types)

    def codegen(context, builder, sig, llargs):
        return context.get_constant(types.int64, key)
    return types.int64(args), codegen


@intrinsic
def call_op(typingctx, addr, args):
    arg_types = tuple(args.types)

    def codegen(context, builder, sig, llargs):
        fnty = context.call_conv.get_function_type(types.none, arg_types)
        fn = builder.inttoptr(llargs[0], fnty.as_pointer())
        values = [builder.extract_value(llargs[1], k) for k in range(len(arg_types))]
        status, _ = context.call_conv.call_function(builder, fn, types.none, arg_types, values)
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        return context.get_dummy_value()
    return types.none(addr, args), codegen
