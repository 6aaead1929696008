"""The machine's read bandwidth: a parallel sum over a float32 buffer of the input's size.

With numba: :func:`~crossentropy.bench._bandwidth_kernel.parallel_sum` over
``4 * threads`` contiguous blocks, vectorised by ``fastmath`` reassociation. Without numba,
``ndarray.sum`` (pairwise, vectorised, one thread): a lower figure, and the record says
which was used. The forward floor of a case is ``input bytes / bandwidth``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy.bench._measure import Prepared

if TYPE_CHECKING:
    from collections.abc import Callable

    from crossentropy.bench._spec import CaseSpec

__all__ = ["SETUPS"]


def _bandwidth(spec: CaseSpec) -> Prepared:
    nbytes = int(np.prod(spec.shape)) * np.dtype(spec.dtype).itemsize
    buffer = np.ones(max(1, nbytes // 4), dtype=np.float32)  # every page touched
    try:
        import numba
    except ImportError:
        method = "numpy ndarray.sum, 1 thread (numba is not installed)"
        return Prepared(buffer.sum, buffer.nbytes, finish=_no_value, details={"method": method})
    with contextlib.suppress(ValueError):  # more than NUMBA_NUM_THREADS: keep them all
        numba.set_num_threads(spec.threads)
    from crossentropy.bench._bandwidth_kernel import parallel_sum

    parts = 4 * numba.get_num_threads()
    method = f"numba prange sum, fastmath, {numba.get_num_threads()} threads"
    return Prepared(
        lambda: parallel_sum(buffer, parts),
        buffer.nbytes,
        finish=_no_value,
        details={"method": method},
    )


def _no_value(_: Any) -> tuple[float | None, float | None]:
    return None, None


SETUPS: dict[str, Callable[[CaseSpec], Prepared]] = {"sum": _bandwidth, "sum-after": _bandwidth}
