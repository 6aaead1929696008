"""Whether the numba kernels can run, and which backend a call asked for.

Shared by :mod:`crossentropy.kernels` and the row kernels of :mod:`crossentropy.scoring`,
so neither reaches into the other. Importing this package never imports numba; the LLVM
building blocks the kernels compile with live in :mod:`crossentropy._jit.intrinsics`, which
does (import it only inside a numba kernel module).
"""

from __future__ import annotations

import functools
from typing import Literal

__all__ = ["BACKENDS", "Backend", "numba_available", "use_numba"]

#: The backends a kernel accepts: ``"auto"`` (numba when installed, else NumPy),
#: ``"numba"`` (an ImportError without it) and ``"numpy"``.
Backend = Literal["auto", "numba", "numpy"]
BACKENDS: tuple[Backend, ...] = ("auto", "numba", "numpy")


@functools.cache
def numba_available() -> bool:
    """Whether the numba kernels can be used (the ``fast`` extra is installed and imports)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def use_numba(backend: str) -> bool:
    """Whether ``backend`` means the numba kernels (``ImportError`` if asked without numba).

    Raises
    ------
    ValueError
        ``backend`` is not one of ``"auto"``, ``"numba"``, ``"numpy"``.
    ImportError
        ``backend="numba"`` without numba installed; the message names the ``fast`` extra.
    """
    if backend not in BACKENDS:
        msg = f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}"
        raise ValueError(msg)
    if backend == "numpy" or (backend == "auto" and not numba_available()):
        return False
    if not numba_available():
        msg = "backend='numba' needs numba: pip install 'crossentropy[fast]'"
        raise ImportError(msg)
    return True
