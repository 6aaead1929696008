"""Evaluating a batch of candidates: vectorised, serial, or over any executor.

A *vectorised* objective takes the whole batch ``(N, *candidate_shape)`` and returns
``(N,)`` values. A *scalar* objective takes one candidate and returns one number; it is
called once per candidate, in order, or through ``executor.map`` of any
:class:`concurrent.futures.Executor`: a thread pool, a process pool, or a Dask cluster
through ``client.get_executor(pure=False)``. ``Executor.map`` returns results in the
order of its inputs, so the values never depend on which worker finished first.

Candidates are handed to the objective read-only: an objective that writes into its
argument raises instead of corrupting the sample the family is fitted to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Executor

    from numpy.typing import NDArray

__all__ = ["evaluate"]


def _as_value(raw: object, index: int) -> float:
    """One objective value as a float; a clear error for anything that is not a number."""
    try:
        array = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as error:
        msg = f"the objective must return a real number; candidate {index} gave {raw!r:.80}"
        raise TypeError(msg) from error
    if array.shape != ():
        msg = (
            f"a scalar objective must return one number per candidate; candidate {index} "
            f"gave an array of shape {array.shape} (pass vectorized=True for batch objectives)"
        )
        raise TypeError(msg)
    return float(array)


def evaluate(
    objective: Callable[[NDArray[Any]], Any],
    candidates: NDArray[Any],
    *,
    vectorized: bool = False,
    executor: Executor | None = None,
    chunksize: int = 1,
) -> NDArray[np.float64]:
    """Evaluate ``objective`` on every candidate, in order.

    Parameters
    ----------
    objective : callable
        ``objective(batch) -> (N,)`` when ``vectorized``, else
        ``objective(candidate) -> float``.
    candidates : ndarray, shape (N, *candidate_shape)
        The candidates; passed to ``objective`` as read-only views.
    vectorized : bool, default False
        Call ``objective`` once on the whole batch.
    executor : concurrent.futures.Executor or None, default None
        For a scalar objective: spread the calls with ``executor.map`` (results in
        input order). ``None`` calls it serially in this thread.
    chunksize : int, default 1
        Passed to ``executor.map``: candidates sent to a worker at a time. It matters
        for process pools (fewer, larger messages); thread pools and Dask ignore it.

    Returns
    -------
    ndarray of float64, shape (N,)
        The values, in the order of ``candidates``.

    Raises
    ------
    TypeError
        If a value is not a real number, or a scalar objective returns an array.
    ValueError
        If a vectorised objective returns the wrong shape, ``executor`` is combined
        with ``vectorized=True``, or ``chunksize < 1``. Exceptions raised by the
        objective itself propagate unchanged.

    Its behaviour is checked in ``tests/test_method_evaluate.py`` (a private helper
    has no doctest: doctests show public paths only).
    """
    if isinstance(chunksize, bool) or not isinstance(chunksize, (int, np.integer)):
        msg = f"chunksize must be an int, got {type(chunksize).__name__} {chunksize!r}"
        raise TypeError(msg)
    if chunksize < 1:
        msg = f"chunksize must be >= 1, got {chunksize}"
        raise ValueError(msg)
    view = candidates.view()
    view.flags.writeable = False  # the objective must not change the sample
    n = view.shape[0]
    if vectorized:
        if executor is not None:
            msg = (
                "executor spreads the calls of a scalar objective; a vectorized objective "
                "gets the whole batch at once (pass vectorized=False to use the executor)"
            )
            raise ValueError(msg)
        raw = objective(view)
        try:
            values = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as error:
            msg = f"a vectorized objective must return real numbers, got {raw!r:.80}"
            raise TypeError(msg) from error
        if values.shape != (n,):
            msg = (
                f"a vectorized objective must return shape ({n},) for {n} candidates, "
                f"got {values.shape}"
            )
            raise ValueError(msg)
        return values
    if executor is None:
        results: list[Any] = [objective(candidate) for candidate in view]
    else:
        results = list(executor.map(objective, view, chunksize=int(chunksize)))
    out = np.empty(n, dtype=np.float64)
    for i, raw_value in enumerate(results):
        out[i] = _as_value(raw_value, i)
    return out
