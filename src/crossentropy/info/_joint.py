"""Measures of a joint distribution table: mutual information and conditional entropy.

A joint table ``joint[..., i, j] = P(X = x_i, Y = y_j)`` holds the row variable ``X``
on the second-to-last axis and the column variable ``Y`` on the last axis; leading
axes are a batch of independent tables.
"""

from __future__ import annotations

from typing import Any, Literal

from crossentropy._array_api import Array, compute_dtype, is_lazy, namespace, to_numpy
from crossentropy._numerics import Base, log_base
from crossentropy._validation import (
    check_probabilities,
    default_tolerance,
    first_index,
    format_index,
    found_any,
)
from crossentropy.info._common import (
    check_tol,
    finish,
    log_ratio,
    normalize_slices,
    output_dtype,
)

__all__ = ["conditional_entropy", "mutual_information"]

Given = Literal["rows", "columns"]
_TABLE_AXES = (-2, -1)


def _prepare_joint(joint: Array, *, normalize: bool, tol: float | None) -> tuple[Any, Array, Any]:
    """Check (or normalise) a batch of joint tables; return ``xp``, the tables, out dtype."""
    tol = check_tol(tol)
    xp, (x,) = namespace(joint, names=("joint",))
    if x.ndim < 2:
        msg = (
            f"joint must have at least 2 dimensions (rows for X, columns for Y), got "
            f"shape {tuple(x.shape)}"
        )
        raise ValueError(msg)
    out_dtype = output_dtype(xp, (x,))
    dtype = compute_dtype(xp, out_dtype)
    xc = x if x.dtype == dtype else xp.astype(x, dtype)
    if normalize:
        return (
            xp,
            normalize_slices(xp, "joint", xc, axis=_TABLE_AXES, log=False, what="table"),
            out_dtype,
        )
    check_probabilities(xp, "joint", xc, axis=None)
    if x.shape[-2] == 0 or x.shape[-1] == 0 or is_lazy(xc):
        return xp, xc, out_dtype
    if tol is None:
        own = x.dtype if xp.isdtype(x.dtype, "real floating") else dtype
        tol = default_tolerance(xp, own)
    totals = xp.sum(xc, axis=_TABLE_AXES)
    off = xp.abs(totals - 1.0) > tol
    if found_any(xp, off):
        index = first_index(off) if off.ndim else ()
        total = float(to_numpy(totals)[index])
        where = f" at index {format_index(index)}" if index else ""
        msg = (
            f"joint must sum to 1 over its last two axes (tolerance {tol:.3g}); the "
            f"table{where} sums to {total!r}. Pass normalize=True to renormalise "
            f"explicitly."
        )
        raise ValueError(msg)
    return xp, xc, out_dtype


def _marginal_terms(xp: Any, x: Array, marginal: Array) -> Array:
    r"""Elementwise :math:`p_{ij} \log(p_{ij} / m)` with :math:`0 \log 0 = 0`.

    ``marginal`` broadcasts against ``x`` and is at least ``x`` wherever ``x > 0``, so
    the ratio is in ``(0, 1]`` there; masked entries see ``1 / 1`` (no warnings).
    """
    pos = x > 0
    ones = xp.ones_like(x)
    ratio = xp.where(pos, x, ones) / xp.where(pos, marginal, ones)
    return xp.where(pos, x * xp.log(ratio), xp.zeros_like(x))


def mutual_information(
    joint: Array,
    /,
    *,
    base: Base = "nats",
    normalize: bool = False,
    tol: float | None = None,
) -> Array:
    r"""Return the mutual information :math:`I(X; Y)` of a joint probability table.

    Parameters
    ----------
    joint : array_like, shape (..., R, C)
        ``joint[..., i, j] = P(X = x_i, Y = y_j)``: the row variable ``X`` on the
        second-to-last axis, the column variable ``Y`` on the last. Leading axes are a
        batch of tables.
    base : {"nats", "bits", "dits"} or float, default "nats"
        Unit of the result.
    normalize : bool, default False
        Divide each table by its total first, e.g. to pass a contingency table of
        counts (an explicit opt-in; this is *not* the "normalised mutual information"
        score of clustering). Negative, NaN and infinite entries and all-zero tables
        are still rejected.
    tol : float, optional
        Allowed deviation of each table's total from 1. The default is
        :math:`\sqrt{\epsilon}` of the dtype of ``joint`` (scikit-learn's choice).

    Returns
    -------
    array, shape (...)
        Mutual information of each table (0-d for a single table), in
        :math:`[0, \min(\log R, \log C)]` up to rounding.

    Raises
    ------
    ValueError
        If ``joint`` has fewer than 2 dimensions, a NaN, a negative entry or one above
        1, or a table whose total is not 1 within ``tol`` (naming the first offending
        index and value).

    See Also
    --------
    conditional_entropy, crossentropy.info.entropy

    Notes
    -----
    With the marginals :math:`p_{i\cdot} = \sum_j p_{ij}` and
    :math:`p_{\cdot j} = \sum_i p_{ij}`,

    .. math:: I(X; Y) = \sum_{i,j} p_{ij} \log_b \frac{p_{ij}}{p_{i\cdot}\, p_{\cdot j}}
              = H(X) + H(Y) - H(X, Y) = D(p_{XY} \,\|\, p_X \otimes p_Y),

    with :math:`0 \log 0 = 0`. It is symmetric in ``X`` and ``Y`` (``joint`` and its
    transpose give the same value) and 0 exactly when ``X`` and ``Y`` are independent.
    The sum is evaluated term by term (never as a difference of entropies, which
    cancels); each ratio is :math:`(p_{ij} / p_{i\cdot}) / p_{\cdot j}`, so nothing
    underflows or overflows. The result is not clipped at 0: for independent tables it can be a
    few ulps either side of 0.

    References
    ----------
    .. [1] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed.,
       Wiley (2006), sec. 2.4.

    Examples
    --------
    A fair bit copied exactly shares one bit; an independent pair shares nothing:

    >>> import numpy as np
    >>> from crossentropy.info import entropy, mutual_information
    >>> copy = np.array([[0.5, 0.0], [0.0, 0.5]])
    >>> mutual_information(copy, base="bits")
    array(1.)
    >>> independent = np.outer([0.5, 0.5], [0.25, 0.75])
    >>> mutual_information(independent)
    array(0.)

    The identity :math:`I(X;Y) = H(X) + H(Y) - H(X,Y)`:

    >>> joint = np.array([[0.3, 0.1], [0.2, 0.4]])
    >>> h_x, h_y = entropy(joint.sum(axis=1)), entropy(joint.sum(axis=0))
    >>> bool(np.isclose(mutual_information(joint), h_x + h_y - entropy(joint.ravel())))
    True

    Counts need ``normalize=True``:

    >>> print(mutual_information(np.array([[30, 10], [20, 40]]), normalize=True))
    0.0863
    """
    ln_base = log_base(base)
    xp, x, out_dtype = _prepare_joint(joint, normalize=normalize, tol=tol)
    rows = xp.sum(x, axis=-1, keepdims=True)  # P(X = x_i), shape (..., R, 1)
    columns = xp.sum(x, axis=-2, keepdims=True)  # P(Y = y_j), shape (..., 1, C)
    # p_ij / (p_i. p_.j) as (p_ij / p_i.) / p_.j: p_ij / p_i. is in (0, 1] and the
    # product of two small marginals, which could underflow, is never formed;
    # log_ratio keeps the second division from overflowing for a subnormal p_.j.
    pos = x > 0
    ones = xp.ones_like(x)
    conditional = xp.where(pos, x, ones) / xp.where(pos, rows, ones)
    log_ratio_ij = log_ratio(xp, conditional, xp.where(pos, columns, ones))
    terms = xp.where(pos, x * log_ratio_ij, xp.zeros_like(x))
    return finish(xp, xp.sum(terms, axis=_TABLE_AXES), ln_base, out_dtype)


def conditional_entropy(
    joint: Array,
    /,
    *,
    given: Given,
    base: Base = "nats",
    normalize: bool = False,
    tol: float | None = None,
) -> Array:
    r"""Return a conditional entropy of a joint probability table.

    Parameters
    ----------
    joint : array_like, shape (..., R, C)
        ``joint[..., i, j] = P(X = x_i, Y = y_j)``: the row variable ``X`` on the
        second-to-last axis, the column variable ``Y`` on the last. Leading axes are a
        batch of tables.
    given : {"rows", "columns"}
        The variable conditioned on, required (there is no safe default):
        ``given="rows"`` returns :math:`H(Y \mid X)`, the entropy of the column
        variable given the row variable; ``given="columns"`` returns
        :math:`H(X \mid Y)`.
    base : {"nats", "bits", "dits"} or float, default "nats"
        Unit of the result.
    normalize : bool, default False
        Divide each table by its total first, e.g. for counts (explicit opt-in).
    tol : float, optional
        Allowed deviation of each table's total from 1; default
        :math:`\sqrt{\epsilon}` of the dtype of ``joint`` (scikit-learn's choice).

    Returns
    -------
    array, shape (...)
        Conditional entropies (0-d for a single table), :math:`\ge 0`.

    Raises
    ------
    ValueError
        If ``given`` is not ``"rows"`` or ``"columns"``; if ``joint`` has fewer than 2
        dimensions, a NaN, a negative entry or one above 1, or a table whose total is not
        1 within ``tol`` (naming the first offending index and value).

    See Also
    --------
    mutual_information, crossentropy.info.entropy

    Notes
    -----
    .. math:: H(Y \mid X) = -\sum_{i,j} p_{ij} \log_b \frac{p_{ij}}{p_{i\cdot}}
              = H(X, Y) - H(X) = H(Y) - I(X; Y)

    (``given="rows"``; ``given="columns"`` swaps the roles and divides by
    :math:`p_{\cdot j}`). Terms with :math:`p_{ij} = 0` are 0; every other ratio is in
    :math:`(0, 1]`, so each term is non-negative and no cancellation occurs.
    :math:`H(Y \mid X) = 0` iff ``Y`` is a function of ``X``; it equals :math:`H(Y)`
    iff they are independent.

    References
    ----------
    .. [1] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed.,
       Wiley (2006), sec. 2.2.

    Examples
    --------
    ``Y`` is a copy of ``X`` plus a fair coin flip when ``X = 1``:

    >>> import numpy as np
    >>> from crossentropy.info import conditional_entropy, entropy
    >>> joint = np.array([[0.5, 0.0], [0.25, 0.25]])
    >>> conditional_entropy(joint, given="rows", base="bits")  # H(Y | X)
    array(0.5)
    >>> h_xy, h_x = entropy(joint.ravel()), entropy(joint.sum(axis=1))
    >>> bool(np.isclose(conditional_entropy(joint, given="rows"), h_xy - h_x))
    True
    """
    if given not in ("rows", "columns"):
        msg = f"given must be 'rows' (for H(Y | X)) or 'columns' (for H(X | Y)), got {given!r}"
        raise ValueError(msg)
    ln_base = log_base(base)
    xp, x, out_dtype = _prepare_joint(joint, normalize=normalize, tol=tol)
    marginal = xp.sum(x, axis=-1 if given == "rows" else -2, keepdims=True)
    terms = _marginal_terms(xp, x, marginal)
    return finish(xp, 0.0 - xp.sum(terms, axis=_TABLE_AXES), ln_base, out_dtype)
