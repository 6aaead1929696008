"""Surprisal, entropy, cross-entropy and perplexity of discrete distributions.

The divergences are in :mod:`crossentropy.info._divergence`, the joint-table measures
in :mod:`crossentropy.info._joint`.

Every function takes probability vectors along ``axis`` (default the last), batched
over the other axes, from any array-API library, and returns an array of the caller's
type, dtype and device (half precision is computed in float32 and cast back).
"""

from __future__ import annotations

import math
from typing import Any

from crossentropy._array_api import Array, compute_dtype, namespace
from crossentropy._numerics import Base, log_base, xlogy
from crossentropy._validation import check_probabilities
from crossentropy.info._common import finish, output_dtype, prepare, safe_exp

__all__ = [
    "cross_entropy",
    "entropy",
    "information",
    "perplexity",
]


def _entropy_nats(xp: Any, x: Array, ax: int, log_input: bool) -> Array:
    """Entropy in nats of prepared inputs along ``ax`` (0 log 0 = 0)."""
    if log_input:
        zero, lp = safe_exp(xp, x)
        terms = xp.where(zero, xp.zeros_like(lp), xp.exp(lp) * lp)
    else:
        terms = xlogy(xp, x, x)
    # 0 - sum rather than -sum: a certain outcome gives +0.0, not -0.0
    return 0.0 - xp.sum(terms, axis=ax)


def _cross_entropy_nats(xp: Any, x: Array, y: Array, ax: int, log_input: bool) -> Array:
    """Cross-entropy in nats of prepared inputs along ``ax`` (0 log 0 = 0, p log 0 = -inf)."""
    if log_input:
        zero, lp = safe_exp(xp, x)
        q_zero, lq = safe_exp(xp, y)
        # p_i log q_i = exp(lp) * lq: 0 where p_i = 0, -inf where only q_i = 0
        inner = xp.where(q_zero, xp.full_like(lq, -math.inf), xp.exp(lp) * lq)
        terms = xp.where(zero, xp.zeros_like(inner), inner)
    else:
        terms = xlogy(xp, x, y)
    return 0.0 - xp.sum(terms, axis=ax)


def information(p: Array, /, *, base: Base = "nats", log_input: bool = False) -> Array:
    r"""Return the information content (surprisal) :math:`-\log p` of each probability.

    Parameters
    ----------
    p : array_like, any shape
        Probabilities in ``[0, 1]`` (with ``log_input=True``: natural-log probabilities
        in ``[-inf, 0]``). Entries are independent; nothing needs to sum to one.
    base : {"nats", "bits", "dits"} or float, default "nats"
        Unit of the result: natural log, log base 2, log base 10, or any positive
        number other than 1.
    log_input : bool, default False
        ``p`` holds :math:`\ln p`; the result is then :math:`-\ln p / \ln b` with no
        exponential taken.

    Returns
    -------
    array, same shape as ``p``
        The surprisal of each entry, ``+inf`` where ``p = 0``. Floating dtype of ``p``
        (integer input gives the default float).

    Raises
    ------
    ValueError
        If an entry is NaN or outside ``[0, 1]`` (``[-inf, 0]`` for log input), naming
        the first such index and value; or if ``base`` is not a valid unit.

    Notes
    -----
    :math:`I(p) = -\log_b p = -\ln p / \ln b`. An impossible outcome (:math:`p = 0`) has
    infinite surprisal; this is the exact answer, not an error, and raises no warning.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System
       Technical Journal 27 (1948), 379-423.

    Examples
    --------
    A fair coin flip carries one bit; a certain event none; an impossible one infinitely
    many:

    >>> import numpy as np
    >>> from crossentropy.info import information
    >>> information(np.array([0.5, 1.0, 0.0]), base="bits")
    array([ 1.,  0., inf])
    """
    ln_base = log_base(base)
    xp, (x,) = namespace(p, names=("p",))
    out_dtype = output_dtype(xp, (x,))
    dtype = compute_dtype(xp, out_dtype)
    xc = x if x.dtype == dtype else xp.astype(x, dtype)
    check_probabilities(xp, "p", xc, axis=None, log=log_input)
    if log_input:
        result = 0.0 - xc  # 0 - x rather than -x: a certain event gives +0.0, not -0.0
    else:
        zero = xc == 0
        # log of where(p == 0, 1, p): no divide-by-zero warning, finite gradients;
        # -log 0 = +inf is written in directly.
        safe = xp.where(zero, xp.ones_like(xc), xc)
        result = xp.where(zero, xp.full_like(xc, math.inf), 0.0 - xp.log(safe))
    return finish(xp, result, ln_base, out_dtype)


def entropy(
    p: Array,
    /,
    *,
    axis: int = -1,
    base: Base = "nats",
    normalize: bool = False,
    tol: float | None = None,
    log_input: bool = False,
) -> Array:
    r"""Return the Shannon entropy :math:`H(p) = -\sum_i p_i \log p_i` along ``axis``.

    Parameters
    ----------
    p : array_like, shape (..., K, ...)
        Probability distributions over ``K`` outcomes along ``axis``, batched over the
        other axes.
    axis : int, default -1
        The axis holding the outcomes.
    base : {"nats", "bits", "dits"} or float, default "nats"
        Unit of the result (natural log, log base 2, log base 10, or any positive
        number other than 1).
    normalize : bool, default False
        Divide each slice by its sum first (an explicit opt-in for counts or weights).
        Negative, NaN and infinite entries and all-zero slices are still rejected.
    tol : float, optional
        Allowed deviation of each slice's sum from 1. The default is
        :math:`\sqrt{\epsilon}` of the dtype of ``p`` (scikit-learn's choice:
        about 1.5e-8 for float64, 3.5e-4 for float32). Ignored with ``normalize=True``.
    log_input : bool, default False
        ``p`` holds natural-log probabilities :math:`\ln p_i` in ``[-inf, 0]``; the
        entropy is then :math:`-\sum_i e^{\ln p_i} \ln p_i` with ``-inf`` terms
        counted as 0.

    Returns
    -------
    array, shape of ``p`` without ``axis``
        Entropies, a 0-d array for a single distribution, in ``[0, log K]``.

    Raises
    ------
    ValueError
        If ``p`` has a NaN, a negative value or a value above 1, or a slice that does
        not sum to 1 within ``tol``, naming the first offending index and value; if
        ``normalize=True`` and a slice sums to 0; if ``axis`` is out of range or ``p``
        is 0-d; if ``base`` is invalid.
    TypeError
        If ``p`` is complex or not numeric.

    See Also
    --------
    cross_entropy, kl_divergence, perplexity

    Notes
    -----
    .. math:: H_b(p) = -\sum_{i=1}^{K} p_i \log_b p_i

    with :math:`0 \log 0 = 0` (the limit as :math:`p_i \to 0`), so impossible outcomes
    contribute nothing. :math:`0 \le H(p) \le \log K`, with the maximum exactly for
    the uniform distribution. An empty distribution (:math:`K = 0`) has entropy 0, the
    empty sum.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System
       Technical Journal 27 (1948), 379-423.
    .. [2] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed.,
       Wiley (2006), ch. 2.

    Examples
    --------
    A fair coin carries one bit, a fair die :math:`\log_2 6` bits:

    >>> import numpy as np
    >>> from crossentropy.info import entropy
    >>> entropy(np.array([0.5, 0.5]), base="bits")
    array(1.)
    >>> print(entropy(np.full(6, 1 / 6), base="bits"))
    2.585

    Batches run along the other axes; counts need an explicit ``normalize=True``:

    >>> entropy(np.array([[1.0, 0.0], [0.5, 0.5]]))
    array([0.     , 0.693147])
    >>> print(entropy(np.array([3, 1]), normalize=True))
    0.5623
    """
    ln_base = log_base(base)
    xp, arrays = namespace(p, names=("p",))
    (x,), ax, out_dtype = prepare(
        xp, ("p",), arrays, axis=axis, normalize=normalize, tol=tol, log_input=log_input
    )
    return finish(xp, _entropy_nats(xp, x, ax, log_input), ln_base, out_dtype)


def cross_entropy(
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
    r"""Return the cross-entropy :math:`H(p, q) = -\sum_i p_i \log q_i` along ``axis``.

    Parameters
    ----------
    p : array_like, shape (..., K, ...)
        The true (target) distributions, along ``axis``.
    q : array_like, shape (..., K, ...)
        The model (predicted) distributions. ``p`` and ``q`` broadcast against each
        other in their batch dimensions; both must have ``K`` entries along ``axis``.
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
        ``p`` and ``q`` both hold natural-log probabilities; the result is then
        :math:`-\sum_i e^{\ln p_i} \ln q_i`, computed without exponentiating ``q``.

    Returns
    -------
    array, broadcast shape of ``p`` and ``q`` without ``axis``
        Cross-entropies (a 0-d array for a single pair), ``+inf`` where ``q`` gives
        zero probability to an outcome that ``p`` gives positive probability.

    Raises
    ------
    ValueError
        If ``p`` or ``q`` has a NaN, a negative value, a value above 1, or a slice not
        summing to 1 within ``tol`` (the message names the argument, the first offending
        index and the value); if the shapes do not broadcast or differ along ``axis``.

    See Also
    --------
    entropy, kl_divergence, perplexity

    Notes
    -----
    .. math:: H_b(p, q) = -\sum_{i=1}^{K} p_i \log_b q_i = H_b(p) + D_b(p \,\|\, q)

    Terms with :math:`p_i = 0` vanish even where :math:`q_i = 0` (:math:`0 \log 0 = 0`);
    :math:`p_i > 0` with :math:`q_i = 0` makes the cross-entropy exactly ``+inf``, a
    true answer rather than an error, with no warning. Gradients flow through
    ``q`` (for example with PyTorch autograd): :math:`\partial H / \partial q_i =
    -p_i / (q_i \ln b)`, and 0 where :math:`p_i = 0`.

    References
    ----------
    .. [1] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed.,
       Wiley (2006), ch. 2 and 5.

    Examples
    --------
    Classifying an image as cat, dog or horse. The target is "dog" and the model gives
    dog 0.4; then the target is "horse" and the model gives horse 0.7:

    >>> import numpy as np
    >>> from crossentropy.info import cross_entropy, entropy, kl_divergence
    >>> print(cross_entropy(np.array([0.0, 1.0, 0.0]), np.array([0.4, 0.4, 0.2])))
    0.92
    >>> print(cross_entropy(np.array([0.0, 0.0, 1.0]), np.array([0.1, 0.2, 0.7])))
    0.36

    Both at once, as a batch (rows are distributions):

    >>> targets = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> predictions = np.array([[0.4, 0.4, 0.2], [0.1, 0.2, 0.7]])
    >>> cross_entropy(targets, predictions).round(2)
    array([0.92, 0.36])

    Cross-entropy is entropy plus KL divergence:

    >>> p, q = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.5, 0.3])
    >>> bool(np.isclose(cross_entropy(p, q), entropy(p) + kl_divergence(p, q)))
    True
    """
    ln_base = log_base(base)
    xp, arrays = namespace(p, q, names=("p", "q"))
    (x, y), ax, out_dtype = prepare(
        xp, ("p", "q"), arrays, axis=axis, normalize=normalize, tol=tol, log_input=log_input
    )
    return finish(xp, _cross_entropy_nats(xp, x, y, ax, log_input), ln_base, out_dtype)


def perplexity(
    p: Array,
    q: Array | None = None,
    /,
    *,
    axis: int = -1,
    normalize: bool = False,
    tol: float | None = None,
    log_input: bool = False,
) -> Array:
    r"""Return the perplexity :math:`e^{H(p)}`, or :math:`e^{H(p, q)}` given a model ``q``.

    Parameters
    ----------
    p : array_like, shape (..., K, ...)
        The (true) distributions along ``axis``.
    q : array_like, shape (..., K, ...), optional
        Model distributions. Without ``q`` the perplexity of ``p`` itself is returned;
        with it, the perplexity of ``q`` on data from ``p`` (cross-entropy based).
    axis : int, default -1
        The axis holding the outcomes.
    normalize : bool, default False
        Divide each slice by its sum first (explicit opt-in).
    tol : float, optional
        Allowed deviation of each slice's sum from 1; default :math:`\sqrt{\epsilon}`
        of each argument's dtype (scikit-learn's choice).
    log_input : bool, default False
        Inputs hold natural-log probabilities.

    Returns
    -------
    array, shape of ``p`` (broadcast with ``q``) without ``axis``
        Perplexities, :math:`\ge 1`: the effective number of equally likely outcomes.
        ``+inf`` where the cross-entropy is infinite, or beyond the dtype's range.

    Raises
    ------
    ValueError
        As :func:`entropy` and :func:`cross_entropy`.

    See Also
    --------
    entropy, cross_entropy

    Notes
    -----
    .. math:: \mathrm{PP}(p) = b^{H_b(p)} = e^{H(p)}, \qquad
              \mathrm{PP}(p, q) = b^{H_b(p, q)} = e^{H(p, q)}

    The perplexity is the same in every base :math:`b` (:math:`b^{H_b} = e^{H_{nat}}`),
    so there is no ``base`` option. A uniform distribution over :math:`K` outcomes has
    perplexity exactly :math:`K`; :math:`\mathrm{PP}(p) \le \mathrm{PP}(p, q)`.

    References
    ----------
    .. [1] F. Jelinek, R. L. Mercer, L. R. Bahl and J. K. Baker, "Perplexity - a measure
       of the difficulty of speech recognition tasks", Journal of the Acoustical Society
       of America 62 (1977), S63.

    Examples
    --------
    A fair die is as perplexing as six equally likely choices:

    >>> import numpy as np
    >>> from crossentropy.info import perplexity
    >>> print(perplexity(np.full(6, 1 / 6)))
    6.0
    >>> print(perplexity(np.array([0.0, 1.0, 0.0]), np.array([0.4, 0.4, 0.2])))  # 1 / 0.4
    2.5
    """
    xp, arrays = namespace(p, q, names=("p", "q")) if q is not None else namespace(p, names=("p",))
    names = ("p", "q") if q is not None else ("p",)
    prepared, ax, out_dtype = prepare(
        xp, names, arrays, axis=axis, normalize=normalize, tol=tol, log_input=log_input
    )
    if q is None:
        h = _entropy_nats(xp, prepared[0], ax, log_input)
    else:
        h = _cross_entropy_nats(xp, prepared[0], prepared[1], ax, log_input)
    # exp overflows (and NumPy warns) past ln(max); the true value is +inf there.
    limit = math.log(float(xp.finfo(h.dtype).max))
    big = h > limit
    pp = xp.where(big, xp.full_like(h, math.inf), xp.exp(xp.where(big, xp.zeros_like(h), h)))
    return finish(xp, pp, 1.0, out_dtype)
