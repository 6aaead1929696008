r"""LLVM building blocks for the numba kernels: a vectorisable max and exp.

Measured on the project machine (see ``PERFORMANCE.md``): a running max written with
``max()`` or ``np.maximum`` does not vectorise, LLVM's ``maxnum`` does; ``math.exp``
calls libm one element at a time, while the branch-free polynomial below vectorises.

``fast_exp32``/``fast_exp64`` compute :math:`e^z` for :math:`z \le 0` (the kernels only
exponentiate ``x - max``): Cody-Waite range reduction :math:`z = n \ln 2 + r`,
:math:`|r| \le \ln 2 / 2`, a polynomial for :math:`e^r`, and :math:`2^n` built from its
bits. Below the smallest normal power of two the result is exactly 0; NaN stays NaN (so
the kernels see it). Errors against float64/``math.exp`` are checked in the tests:
about 1 ulp. Rounding uses the ``1.5 * 2^23`` trick (adding it leaves ``round(t)`` in the
low bits), which also gives :math:`2^n` without a float-to-int conversion: a few
operations fewer per element than ``floor`` and ``fptosi``, measured 20 % faster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = [
    "as_element",
    "exp_nonpositive",
    "fast_exp32",
    "fast_exp64",
    "maxnum",
    "strict_sub",
    "sum_exp_term",
]


@intrinsic
def maxnum(typingctx: Any, a: Any, b: Any) -> Any:  # noqa: ARG001
    """``llvm.maxnum``: the larger of two floats, the other one if either is NaN."""
    if not (isinstance(a, types.Float) and a == b):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        t = context.get_value_type(a)
        fn = builder.module.declare_intrinsic("llvm.maxnum", [t], ir.FunctionType(t, [t, t]))
        return builder.call(fn, args)

    return a(a, b), codegen


@intrinsic
def strict_sub(typingctx: Any, a: Any, b: Any) -> Any:  # noqa: ARG001
    """``a - b`` in float64, fenced from fast-math reassociation in the code around it.

    The difference goes through ``llvm.arithmetic.fence``, which LLVM never reassociates
    across (an ``fsub`` merely without fast-math flags is not enough: InstCombine still
    folds it into a fast outer expression). So ``log S - strict_sub(x, M)`` is never
    rewritten as ``(log S - x) + M``, which at ``x = M = 1e30`` loses ``log S`` altogether.
    """
    if not (isinstance(a, types.Float) and isinstance(b, types.Float)):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        x, y = (
            context.cast(builder, v, t, types.float64) for v, t in zip(args, (a, b), strict=True)
        )
        t = ir.DoubleType()
        fence = builder.module.declare_intrinsic(
            "llvm.arithmetic.fence", [t], ir.FunctionType(t, [t])
        )
        return builder.call(fence, [builder.fsub(x, y)])

    return types.float64(a, b), codegen


@intrinsic
def _pow2_f64(typingctx: Any, n: Any) -> Any:  # noqa: ARG001
    """:math:`2^n` for an integral float64 ``n`` in ``[-1022, 1023]``, from its bits."""
    if n != types.float64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        i64 = ir.IntType(64)
        k = builder.fptosi(args[0], i64)
        bits = builder.shl(builder.add(k, ir.Constant(i64, 1023)), ir.Constant(i64, 52))
        return builder.bitcast(bits, ir.DoubleType())

    return types.float64(n), codegen


@intrinsic
def _pow2_from_magic(typingctx: Any, u: Any) -> Any:  # noqa: ARG001
    """:math:`2^n` from ``u = t + 1.5 * 2^23`` (``n = round(t)`` sits in its low bits)."""
    if u != types.float32:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        i32 = ir.IntType(32)
        shifted = builder.shl(builder.bitcast(args[0], i32), ir.Constant(i32, 23))
        return builder.bitcast(builder.add(shifted, ir.Constant(i32, 0x3F800000)), ir.FloatType())

    return types.float32(u), codegen


_F32 = types.float32
_LOG2E_32 = _F32(1.44269504088896341)
_LN2_HI_32 = _F32(0.693359375)  # ln 2 = hi + lo, hi with few bits so n * hi is exact
_LN2_LO_32 = _F32(-2.12194440e-4)
_ONE_32 = _F32(1.0)
# Cephes expf minimax coefficients of (e^r - 1 - r) / r^2 on |r| <= ln2 / 2.
_P0, _P1, _P2 = _F32(1.9875691500e-4), _F32(1.3981999507e-3), _F32(8.3334519073e-3)
_P3, _P4, _P5 = _F32(4.1665795894e-2), _F32(1.6666665459e-1), _F32(5.0000001201e-1)


_MAGIC_32 = _F32(12582912.0)  # 1.5 * 2^23: adding it rounds to an integer, in the low bits
_FLOOR_SUM_32 = _F32(-86.0)  # e^-86 = 4e-38: negligible beside a sum >= 1, still normal


@njit(fastmath={"contract"})  # not inlined: the caller's reassociation must not undo rounding
def sum_exp_term32(z: float) -> float:  # pragma: no cover - compiled
    """:math:`e^z` for ``z <= 0`` as a term of a sum that is at least 1 (float32).

    Below -86 it gives :math:`e^{-86}` instead of a smaller number (an absolute error
    under 5e-38, nothing beside a sum >= 1): one select fewer than :func:`fast_exp32` in
    the loop that dominates the forward pass. NaN stays NaN.
    """
    z = max(z, _FLOOR_SUM_32)  # a select: NaN compares False
    u = z * _LOG2E_32 + _MAGIC_32
    n = u - _MAGIC_32
    r = z - n * _LN2_HI_32 - n * _LN2_LO_32
    p = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * (r * r) + r + _ONE_32
    return p * _pow2_from_magic(u)


@njit(fastmath={"contract"})  # not inlined: the caller's reassociation must not undo rounding
def fast_exp32(z: float) -> float:  # pragma: no cover - compiled
    """:math:`e^z` in float32 for ``z <= 0`` (vectorisable; exactly 0 below -86)."""
    low = z < _FLOOR_SUM_32
    return _F32(0.0) if low else sum_exp_term32(z)


_LOG2E_64 = 1.4426950408889634
_LN2_HI_64 = 6.93145751953125e-1
_LN2_LO_64 = 1.42860682030941723212e-6
_LOW_64 = -708.0
# Taylor coefficients 1/k!, k = 2..13: the truncation error is below 2e-17 on |r| <= 0.35.
_C = tuple(
    1.0 / f
    for f in (2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800, 39916800, 479001600, 6227020800)
)
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = _C


@njit(inline="always", fastmath={"contract"})
def fast_exp64(z: float) -> float:  # pragma: no cover - compiled
    """:math:`e^z` in float64 for ``z <= 0`` (vectorisable; 0 below -708)."""
    low = z < _LOW_64
    z = _LOW_64 if low else z
    n = _floor(z * _LOG2E_64 + 0.5)
    r = z - n * _LN2_HI_64 - n * _LN2_LO_64
    q = (
        (
            (
                (
                    ((((((_C13 * r + _C12) * r + _C11) * r + _C10) * r + _C9) * r + _C8) * r + _C7)
                    * r
                    + _C6
                )
                * r
                + _C5
            )
            * r
            + _C4
        )
        * r
        + _C3
    ) * r + _C2
    p = q * (r * r) + r + 1.0
    e = p * _pow2_f64(n)
    return 0.0 if low else e


@intrinsic
def _floor(typingctx: Any, x: Any) -> Any:  # noqa: ARG001
    if not isinstance(x, types.Float):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        fn = builder.module.declare_intrinsic("llvm.floor", [context.get_value_type(x)])
        return builder.call(fn, args)

    return x(x), codegen


def exp_nonpositive(z):
    """:math:`e^z` for ``z <= 0`` in ``z``'s precision (compiled code only)."""
    raise NotImplementedError  # pragma: no cover - replaced by the overload in numba


@overload(exp_nonpositive)
def _exp_nonpositive(z):
    if z == types.float32:
        return lambda z: fast_exp32(z)  # noqa: PLW0108 - numba needs the overload's own signature
    if z == types.float64:
        return lambda z: fast_exp64(z)  # noqa: PLW0108
    return None


def as_element(array, value):
    """``value`` cast to ``array``'s element type (compiled code only)."""
    raise NotImplementedError  # pragma: no cover - replaced by the overload in numba


@overload(as_element)
def _as_element(array, value):  # noqa: ARG001
    if array.dtype == types.float32:
        return lambda array, value: np.float32(value)  # noqa: ARG005
    return lambda array, value: np.float64(value)  # noqa: ARG005


def sum_exp_term(z):  # type: ignore[no-untyped-def]
    """:math:`e^z` (``z <= 0``) as a term of a sum at least 1 (compiled code only)."""
    raise NotImplementedError  # pragma: no cover - replaced by the overload in numba


@overload(sum_exp_term)
def _sum_exp_term(z):  # type: ignore[no-untyped-def]
    if z == types.float32:
        return lambda z: sum_exp_term32(z)  # noqa: PLW0108
    if z == types.float64:
        return lambda z: fast_exp64(z)  # noqa: PLW0108
    return None
