"""Divergences between discrete distributions: Kullback-Leibler and Jensen-Shannon.

Same conventions as :mod:`crossentropy.info._measures`: distributions along ``axis``,
batched over the other axes, from any array-API library; results keep the caller's
array type, dtype and device.
"""

from __future__ import annotations

import math
from typing import Any

from crossentropy._array_api import Array, namespace
from crossentropy._numerics import Base, log_base
from crossentropy.info._common import finish, log_ratio, prepare, safe_exp

__all__ = ["js_distance", "js_divergence", "kl_divergence"]


def _rel_entr(xp: Any, x: Array, y: Array) -> Array:
    r"""Elementwise :math:`x \log(x / y)`: 0 where ``x = 0``, ``+inf`` where only ``y = 0``.

    ``log(x / y)`` rather than ``log x - log y`` (scipy's ``rel_entr`` formula), kept
    from overflowing for subnormal ``y`` by :func:`log_ratio`. Masked entries see
    ``log(1 / 1)`` so nothing warns or makes NaN.
    """
    x_pos = x > 0
    both = x_pos & (y > 0)
    ones = xp.ones_like(x)
    log_xy = log_ratio(xp, xp.where(both, x, ones), xp.where(both, y, ones))
    inner = xp.where(both, x * log_xy, xp.full_like(log_xy, math.inf))
    return xp.where(x_pos, inner, xp.zeros_like(inner))


def _rel_entr_log(xp: Any, log_x: Array, log_y: Array) -> Array:
    r"""Elementwise :math:`e^{a} (a - b)` for log-probabilities ``a``, ``b`` (same conventions)."""
    x_zero, a = safe_exp(xp, log_x)
    y_zero, b = safe_exp(xp, log_y)
    inner = xp.where(y_zero, xp.full_like(a, math.inf), xp.exp(a) * (a - b))
    return xp.where(x_zero, xp.zeros_like(inner), inner)


def kl_divergence(
    p: Array,
    q: Array,
    /,
    *,
    axis: int = -1,
    base: Base = "nats",
    normalize: bool = False,
    tol: float | None = None,
    log_input: bool = False,
) -> Array:
    r"""Return the Kullback-Leibler divergence :math:`D(p \,\|\, q)` along ``axis``.

    Parameters
    ----------
    p : array_like, shape (..., K, ...)
        The true (reference) distributions along ``axis``.
    q : array_like, shape (..., K, ...)
        The approximating (model) distributions; broadcasts against ``p`` in the
        batch dimensions, with ``K`` entries along ``axis``.
    axis : int, default -1
        The axis holding the outcomes.
    base : {"nats", "bits", "dits"} or float, default "nats"
        Unit of the result.
    normalize : bool, default False
        Divide each slice of ``p`` and of ``q`` by its sum first (explicit opt-in).
    tol : float, optional
        Allowed deviation of each slice's sum from 1; default :math:`\sqrt{\epsilon}`
        of each argument's dtype (scikit-learn's choice).
    log_input : bool, default False
        ``p`` and ``q`` both hold natural-log probabilities; the divergence is then
        :math:`\sum_i e^{\ln p_i} (\ln p_i - \ln q_i)`, with no exponential of ``q``.

    Returns
    -------
    array, broadcast shape of ``p`` and ``q`` without ``axis``
        Divergences, :math:`\ge 0` (up to rounding), ``+inf`` where ``q`` gives zero
        probability to an outcome of positive ``p`` probability.

    Raises
    ------
    ValueError
        If ``p`` or ``q`` has a NaN, a negative value, a value above 1, or a slice not
        summing to 1 within ``tol`` (naming the argument, index and value); if the
        shapes do not broadcast or differ along ``axis``.

    See Also
    --------
    cross_entropy, js_divergence

    Notes
    -----
    .. math:: D_b(p \,\|\, q) = \sum_{i=1}^{K} p_i \log_b \frac{p_i}{q_i}
              = H_b(p, q) - H_b(p)

    Terms with :math:`p_i = 0` are 0 (also where :math:`q_i = 0`); :math:`p_i > 0` with
    :math:`q_i = 0` gives ``+inf`` exactly. Each term is computed as
    :math:`p_i \log(p_i / q_i)` (as scipy's ``rel_entr``), which is more accurate
    than the difference of logarithms when :math:`p \approx q`. The divergence is not
    symmetric; Gibbs' inequality gives :math:`D \ge 0` with equality iff :math:`p = q`.

    References
    ----------
    .. [1] S. Kullback and R. A. Leibler, "On Information and Sufficiency", Annals of
       Mathematical Statistics 22 (1951), 79-86.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.info import cross_entropy, entropy, kl_divergence
    >>> p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    >>> print(kl_divergence(p, q), kl_divergence(q, p))  # not symmetric
    0.5108 0.3681
    >>> print(kl_divergence(p, q) - (cross_entropy(p, q) - entropy(p)))
    0.0
    >>> kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    array(inf)
    """
    ln_base = log_base(base)
    xp, arrays = namespace(p, q, names=("p", "q"))
    (x, y), ax, out_dtype = prepare(
        xp, ("p", "q"), arrays, axis=axis, normalize=normalize, tol=tol, log_input=log_input
    )
    terms = _rel_entr_log(xp, x, y) if log_input else _rel_entr(xp, x, y)
    return finish(xp, xp.sum(terms, axis=ax), ln_base, out_dtype)


def _js_nats(xp: Any, x: Array, y: Array, ax: int, log_input: bool) -> Array:
    """Jensen-Shannon divergence in nats of prepared inputs along ``ax``."""
    if log_input:
        # ln m = ln((p + q) / 2) = logaddexp(ln p, ln q) - ln 2, never leaving log space
        log_m = xp.logaddexp(x, y) - math.log(2.0)
        left, right = _rel_entr_log(xp, x, log_m), _rel_entr_log(xp, y, log_m)
    else:
        m = (x + y) / 2.0
        left, right = _rel_entr(xp, x, m), _rel_entr(xp, y, m)
    return (xp.sum(left, axis=ax) + xp.sum(right, axis=ax)) / 2.0


def js_divergence(
    p: Array,
    q: Array,
    /,
    *,
    axis: int = -1,
    base: Base = "nats",
    normalize: bool = False,
    tol: float | None = None,
    log_input: bool = False,
) -> Array:
    r"""Return the Jensen-Shannon divergence of ``p`` and ``q`` along ``axis``.

    Parameters
    ----------
    p, q : array_like, shape (..., K, ...)
        Probability distributions along ``axis``; they broadcast against each other in
        the batch dimensions and must both have ``K`` entries along ``axis``.
    axis : int, default -1
        The axis holding the outcomes.
    base : {"nats", "bits", "dits"} or float, default "nats"
        Unit of the result.
    normalize : bool, default False
        Divide each slice of ``p`` and of ``q`` by its sum first (explicit opt-in).
    tol : float, optional
        Allowed deviation of each slice's sum from 1; default :math:`\sqrt{\epsilon}`
        of each argument's dtype (scikit-learn's choice).
    log_input : bool, default False
        ``p`` and ``q`` both hold natural-log probabilities; the mixture is formed in
        log space as :math:`\ln m_i = \operatorname{logaddexp}(\ln p_i, \ln q_i) - \ln 2`.

    Returns
    -------
    array, broadcast shape of ``p`` and ``q`` without ``axis``
        Divergences in :math:`[0, \log_b 2]`: at most :math:`\ln 2` nats, 1 bit.
        Always finite.

    Raises
    ------
    ValueError
        If ``p`` or ``q`` has a NaN, a negative value, a value above 1, or a slice not
        summing to 1 within ``tol`` (naming the argument, index and value); if the
        shapes do not broadcast or differ along ``axis``.

    See Also
    --------
    js_distance, kl_divergence

    Notes
    -----
    With the mixture :math:`m = (p + q) / 2`,

    .. math:: \mathrm{JS}_b(p, q) = \tfrac12 D_b(p \,\|\, m) + \tfrac12 D_b(q \,\|\, m).

    It is symmetric, finite (:math:`m_i > 0` wherever :math:`p_i > 0` or
    :math:`q_i > 0`), 0 iff :math:`p = q` and :math:`\log_b 2` iff the supports are
    disjoint. Terms follow the conventions of :func:`kl_divergence`.

    References
    ----------
    .. [1] J. Lin, "Divergence measures based on the Shannon entropy", IEEE
       Transactions on Information Theory 37 (1991), 145-151.

    Examples
    --------
    Distributions with disjoint supports are 1 bit apart, the maximum:

    >>> import numpy as np
    >>> from crossentropy.info import js_divergence
    >>> js_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0]), base="bits")
    array(1.)
    >>> p, q = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.5, 0.3])
    >>> bool(js_divergence(p, q) == js_divergence(q, p))
    True
    """
    ln_base = log_base(base)
    xp, arrays = namespace(p, q, names=("p", "q"))
    (x, y), ax, out_dtype = prepare(
        xp, ("p", "q"), arrays, axis=axis, normalize=normalize, tol=tol, log_input=log_input
    )
    return finish(xp, _js_nats(xp, x, y, ax, log_input), ln_base, out_dtype)


def js_distance(
    p: Array,
    q: Array,
    /,
    *,
    axis: int = -1,
    base: Base = "nats",
    normalize: bool = False,
    tol: float | None = None,
    log_input: bool = False,
) -> Array:
    r"""Return the Jensen-Shannon distance :math:`\sqrt{\mathrm{JS}(p, q)}` along ``axis``.

    Parameters
    ----------
    p, q : array_like, shape (..., K, ...)
        Probability distributions along ``axis``; they broadcast against each other in
        the batch dimensions and must both have ``K`` entries along ``axis``.
    axis : int, default -1
        The axis holding the outcomes.
    base : {"nats", "bits", "dits"} or float, default "nats"
        Unit of the divergence under the square root.
    normalize : bool, default False
        Divide each slice of ``p`` and of ``q`` by its sum first (explicit opt-in).
    tol : float, optional
        Allowed deviation of each slice's sum from 1; default :math:`\sqrt{\epsilon}`
        of each argument's dtype (scikit-learn's choice).
    log_input : bool, default False
        ``p`` and ``q`` both hold natural-log probabilities.

    Returns
    -------
    array, broadcast shape of ``p`` and ``q`` without ``axis``
        Distances in :math:`[0, \sqrt{\log_b 2}]` (at most 1 with ``base="bits"``).

    Raises
    ------
    ValueError
        As :func:`js_divergence`.

    See Also
    --------
    js_divergence

    Notes
    -----
    :math:`\sqrt{\mathrm{JS}_b(p, q)}` is a metric on distributions (it satisfies the
    triangle inequality). It equals ``scipy.spatial.distance.jensenshannon(p, q,
    base=b)`` for normalised inputs. Rounding can leave the divergence a few ulps
    below 0 when :math:`p \approx q`; it is taken as 0 before the square root (the
    divergence is non-negative exactly), so the distance is never NaN.

    References
    ----------
    .. [1] D. M. Endres and J. E. Schindelin, "A new metric for probability
       distributions", IEEE Transactions on Information Theory 49 (2003), 1858-1860.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.info import js_distance, js_divergence
    >>> p, q = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.5, 0.3])
    >>> print(js_distance(p, q, base="bits"))
    0.2709
    >>> bool(np.isclose(js_distance(p, q) ** 2, js_divergence(p, q)))
    True
    """
    ln_base = log_base(base)
    xp, arrays = namespace(p, q, names=("p", "q"))
    (x, y), ax, out_dtype = prepare(
        xp, ("p", "q"), arrays, axis=axis, normalize=normalize, tol=tol, log_input=log_input
    )
    js = _js_nats(xp, x, y, ax, log_input) / ln_base
    # JS >= 0 exactly; a rounding residue a few ulps below 0 would make sqrt NaN.
    distance = xp.sqrt(xp.maximum(js, xp.zeros_like(js)))
    return finish(xp, distance, 1.0, out_dtype)
