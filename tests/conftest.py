"""The backend matrix: every array-library-agnostic test runs on each of these.

``xp`` is the array-API namespace of a backend (NumPy, array-api-strict, PyTorch CPU,
PyTorch CUDA where present, Dask); ``to_np`` brings a result back to NumPy for
comparison against an independent oracle.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

from crossentropy._array_api import to_numpy

BACKENDS = ["numpy", "array_api_strict", "torch", "dask", "torch_cuda"]


def _namespace(name: str) -> Any:
    if name == "numpy":
        import array_api_compat.numpy as xp

        return xp
    if name == "array_api_strict":
        return pytest.importorskip("array_api_strict")
    if name in ("torch", "torch_cuda"):
        torch = pytest.importorskip("torch")
        if name == "torch_cuda" and not torch.cuda.is_available():
            pytest.skip("no CUDA device")
        import array_api_compat.torch as xp

        return xp
    if name == "dask":
        pytest.importorskip("dask.array")
        import array_api_compat.dask.array as xp

        return xp
    raise AssertionError(name)


class Backend:
    """A backend under test: ``xp.asarray`` that lands on the right device, and ``to_np``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.xp = _namespace(name)
        self.device = "cuda" if name == "torch_cuda" else None

    def asarray(self, value: Any, dtype: Any = None) -> Any:
        """Create an array of this backend from NumPy data (dtype name or backend dtype)."""
        value = np.asarray(value)
        if isinstance(dtype, str):
            dtype = getattr(self.xp, dtype)
        if dtype is None:
            dtype = getattr(self.xp, str(value.dtype))
        if self.device is not None:
            return self.xp.asarray(value, dtype=dtype, device=self.device)
        if self.name == "dask":
            import dask.array as da

            chunks = max(1, (value.shape[0] + 1) // 2) if value.ndim else ()
            return da.from_array(value.astype(np.dtype(dtype)), chunks=chunks)
        return self.xp.asarray(value, dtype=dtype)

    def __repr__(self) -> str:
        return self.name


@pytest.fixture(
    params=[pytest.param(b, marks=pytest.mark.gpu) if b == "torch_cuda" else b for b in BACKENDS]
)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each array backend in turn (skipped when its library is not installed)."""
    return Backend(request.param)


@pytest.fixture
def to_np() -> Any:
    """Bring any backend's array back to NumPy."""
    return to_numpy


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests are reproducible."""
    return np.random.default_rng(20261122)
