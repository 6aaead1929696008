"""The numba parallel sum that measures read bandwidth (imported only when numba is).

``prange`` over contiguous blocks, each summed by a plain loop over a slice of the
buffer indexed from 0 (a loop over ``range(lo, hi)`` of the whole buffer vectorised
worse here), compiled with ``fastmath`` so that LLVM may reassociate the float32
additions into independent vector lanes: one serial accumulator would be bound by the
latency of the adds, far below the memory's speed. Compiled once and cached on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["parallel_sum"]


@njit(parallel=True, fastmath=True, cache=True)
def parallel_sum(buffer, parts):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """Sum of a 1-D float32 ``buffer`` in ``parts`` blocks, the blocks in parallel."""
    n = buffer.shape[0]
    step = (n + parts - 1) // parts
    partial = np.zeros(parts, dtype=np.float32)
    for part in prange(parts):
        lo = min(n, part * step)
        block = buffer[lo : min(n, lo + step)]
        acc = np.float32(0.0)
        for i in range(block.shape[0]):
            acc += block[i]  # fastmath: reassociated into vector lanes
        partial[part] = acc
    return partial.sum()
